//! NB-IoT and LTE-M inside full runs: cells that fill up make connections wait (counted),
//! the device's radio states are accounted from its sessions, and the results do not depend
//! on the thread count.

mod common;

use std::collections::BTreeMap;

/// `devices` NB-IoT trackers with PSM reporting every `interval_s`, through `cells` cells of
/// at most `k` connections each, on a Raft chain.
fn fleet(devices: u32, cells: u32, k: &str, interval_s: f64, jitter_s: f64) -> String {
    format!(
        "
seed: 7
duration_s: 900
devices:
  - name: trackers
    count: {devices}
    workload: {{ model: periodic, interval_s: {interval_s}, jitter_s: {jitter_s} }}
    tx_bytes: 100
    radio: {{ model: nbiot, psm: {{ t3324_s: 20, t3412_s: 3600 }} }}
gateways: {{ count: {cells}, kind: cell{k} }}
validators: {{ count: 4 }}
consensus: {{ protocol: raft }}
metrics: {{ window_s: 60 }}
"
    )
}

fn files_at(threads: usize, text: &str, tag: &str) -> BTreeMap<String, Vec<u8>> {
    common::files_at(threads, text, &format!("cell-{tag}"))
}

#[test]
fn more_connections_than_a_cell_holds_wait_and_are_counted() {
    // 2,000 devices in 4 cells reporting within the same 10 s each minute: about 500 per
    // cell asking within 10 s, each holding a slot for ~21 s, far above 20 slots.
    let busy = common::run(&common::scenario(&fleet(
        2_000,
        4,
        ", max_connections: 20",
        60.0,
        5.0,
    )));
    let waited = common::metric(&busy, "cell_wait_connections");
    let connections = common::metric(&busy, "cell_connections");
    // A device whose next report comes while it still waits or lingers sends on that
    // connection, so there are fewer connections than reports.
    assert!(connections >= 2_000.0, "{connections}");
    assert!(waited > connections / 2.0, "{waited} of {connections}");
    assert!(common::metric(&busy, "cell_wait_s") > 0.0);
    assert_eq!(common::metric(&busy, "cell_peak_connections"), 20.0);
    // Unlimited cells: nobody waits, and settlement is faster.
    let free = common::run(&common::scenario(&fleet(2_000, 4, "", 60.0, 5.0)));
    assert_eq!(common::metric(&free, "cell_wait_connections"), 0.0);
    assert!(common::metric(&free, "cell_connections") > connections);
    assert!(common::metric(&free, "settlement_p50_s") < common::metric(&busy, "settlement_p50_s"));
}

#[test]
fn psm_devices_spend_the_rest_of_the_run_asleep() {
    // One report every 300 s: three sessions in 900 s, each 1 s setup, 100 bytes at
    // 62.5 kbit/s (12.8 ms) and 20 s of linger, then 20 s paged idle; the rest in PSM. A
    // device's last session may be cut by the end of the run.
    let out = common::run(&common::scenario(&fleet(100, 2, "", 300.0, 0.0)));
    let sessions = common::metric(&out, "cell_connections") / 100.0;
    assert_eq!(sessions, 3.0);
    let connected = common::metric(&out, "cellular_connected_s_per_device");
    let idle = common::metric(&out, "cellular_idle_s_per_device");
    let psm = common::metric(&out, "cellular_psm_s_per_device");
    let per_session = 1.0 + 0.0128 + 20.0;
    assert!(connected <= 3.0 * per_session + 1e-6, "{connected}");
    assert!(connected > 2.0 * per_session, "{connected}");
    assert!((40.0..=60.0 + 1e-6).contains(&idle), "{idle}");
    assert!((connected + idle + psm - 900.0).abs() < 1e-6);
    assert_eq!(common::metric(&out, "cellular_taus"), 0.0);
}

#[test]
fn cellular_outputs_are_byte_identical_at_1_2_and_8_threads() {
    let text = fleet(
        3_000,
        24,
        ", max_connections: 8, uplink_bps: 20000",
        60.0,
        25.0,
    );
    let a = files_at(1, &text, "a");
    let b = files_at(2, &text, "b");
    let c = files_at(8, &text, "c");
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between 1 and 2 threads");
        assert!(bytes == &c[name], "{name} differs between 1 and 8 threads");
    }
}
