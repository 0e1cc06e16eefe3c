//! Settlement receipts back to devices: a PSM device out of reach gets its receipt at its
//! next wake, never earlier, in the closed form of its schedule; receipts are conserved
//! (delivered, pending at the network, dropped by quota); results do not depend on the
//! thread count.

mod common;

/// `devices` NB-IoT trackers reporting every `interval_s` into a PBFT chain with a constant
/// 20 ms one-way delay, on cells without limits; `radio` and `receipts` complete the group.
fn trackers(devices: u32, duration_s: f64, interval_s: f64, radio: &str, receipts: &str) -> String {
    let measure_s = duration_s - 180.0;
    format!(
        "
seed: 11
duration_s: {duration_s}
devices:
  - name: trackers
    count: {devices}
    workload: {{ model: periodic, interval_s: {interval_s} }}
    tx_bytes: 100
    radio: {{ model: nbiot, {radio} }}
    receipts: {receipts}
gateways: {{ count: 4, kind: cell, backhaul_bps: 1e12 }}
validators: {{ count: 4 }}
network:
  latency: {{ model: constant, one_way_ms: 20, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus: {{ protocol: pbft }}
metrics: {{ window_s: 60, warmup_s: 60, measure_s: {measure_s} }}
"
    )
}

/// A device that sleeps the moment it has sent (no inactivity linger, T3324 = 0) cannot be
/// reached when its transaction settles a fraction of a second later: its receipt waits at
/// the network and goes down in its next session, as soon as it is connected. Created at the
/// reading, held at the next reading + setup + the receipt's transfer, for every receipt:
/// latency = P + 1 s + 104 B × 8 / 26 kbit/s = 60 + 1 + 0.032 s.
#[test]
fn a_sleeping_psm_device_gets_its_receipt_at_its_next_wake_in_closed_form() {
    let text = trackers(
        200,
        600.0,
        60.0,
        "psm: { t3324_s: 0, t3412_s: 3600 }, inactivity_s: 0",
        "{ size_bytes: 104 }",
    );
    let out = common::run(&common::scenario(&text));
    let expected = 60.0 + 1.0 + 104.0 * 8.0 / 26_000.0;
    let mean = common::metric(&out, "receipt_delivered_only_mean_s");
    let max = common::metric(&out, "receipt_delivered_only_max_s");
    assert!((mean - expected).abs() < 1e-6, "mean {mean} vs {expected}");
    assert!((max - expected).abs() < 1e-6, "max {max} vs {expected}");
    // Every reading of the window settles and gets its receipt.
    assert_eq!(common::metric(&out, "receipt_reached_share"), 1.0);
    let p50 = common::metric(&out, "receipt_p50_s");
    assert!((p50 - expected).abs() < 0.01 * expected, "{p50}");
    // The same device lingering 20 s after sending is still connected when its transaction
    // settles: the receipt arrives within the second, far before the next wake.
    let text = trackers(
        200,
        600.0,
        60.0,
        "psm: { t3324_s: 0, t3412_s: 3600 }, inactivity_s: 20",
        "{ size_bytes: 104 }",
    );
    let out = common::run(&common::scenario(&text));
    let max = common::metric(&out, "receipt_delivered_only_max_s");
    assert!(max < 3.0, "{max}");
}

/// Within T3324 the device is paged: the receipt waits for its next paging occasion (every
/// 2.56 s), then a connection setup, never longer than that after it is ready (settlement,
/// then 20 ms from the validator to the cell).
#[test]
fn an_idle_device_is_paged_within_one_drx_cycle() {
    let text = trackers(
        200,
        600.0,
        60.0,
        "psm: { t3324_s: 20, t3412_s: 3600 }, inactivity_s: 0",
        "{ size_bytes: 104 }",
    );
    let out = common::run(&common::scenario(&text));
    let settle_max = common::metric(&out, "settlement_settled_only_max_s");
    let max = common::metric(&out, "receipt_delivered_only_max_s");
    let mean = common::metric(&out, "receipt_delivered_only_mean_s");
    let settle_mean = common::metric(&out, "settlement_settled_only_mean_s");
    let transfer = 104.0 * 8.0 / 26_000.0;
    assert!(
        max <= settle_max + 0.02 + 2.56 + 1.0 + transfer + 1e-6,
        "{max} vs {settle_max}"
    );
    // Half a DRX cycle on average, and a setup.
    assert!(
        mean > settle_mean + 1.0 && mean < settle_mean + 1.0 + 2.56,
        "{mean}"
    );
}

#[test]
fn receipts_are_conserved_and_quotas_drop_them_by_reason() {
    // Two reports a minute but three receipts a day allowed: three per device go, the rest
    // are dropped; the run ends with the last ones still waiting at the network.
    let text = trackers(
        100,
        300.0,
        30.0,
        "psm: { t3324_s: 0, t3412_s: 3600 }, inactivity_s: 0",
        "{ size_bytes: 104, proof: merkle, quota_per_day: 3 }",
    );
    let out = common::run(&common::scenario(&text));
    let created = common::metric(&out, "receipts_created");
    let delivered = common::metric(&out, "receipts_delivered");
    let pending = common::metric(&out, "receipts_pending_at_network");
    let dropped = common::metric(&out, "receipts_dropped_quota");
    assert_eq!(created, delivered + pending + dropped);
    assert!(created > 0.0);
    assert_eq!(delivered + pending, 3.0 * 100.0);
    assert!(dropped > 0.0 && delivered > 0.0);
    assert_eq!(out.conservation.settled as f64, created);
}

#[test]
fn receipt_outputs_are_byte_identical_at_1_2_and_8_threads() {
    let text = trackers(
        2_000,
        600.0,
        60.0,
        "psm: { t3324_s: 20, t3412_s: 120 }, edrx: { cycle_s: 20.48 }",
        "{ size_bytes: 104, proof: merkle }",
    )
    .replace("kind: cell,", "kind: cell, max_connections: 10,");
    let a = common::files_at(1, &text, "rc-a");
    let b = common::files_at(2, &text, "rc-b");
    let c = common::files_at(8, &text, "rc-c");
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between 1 and 2 threads");
        assert!(bytes == &c[name], "{name} differs between 1 and 8 threads");
    }
}

/// A LoRaWAN class A device hears its receipt only in the receive window after an uplink.
/// Settled within a fraction of a second, the receipt is ready before RX1 of the very uplink
/// that carried the reading opens (1 s after the frame), and goes down in it: latency =
/// frame airtime + 1 s + the receipt's airtime at the same data rate, for every receipt.
/// With 2 s of settlement delay it misses that window and waits for the next uplink, 60 s on.
#[test]
fn lorawan_receipts_arrive_only_in_the_receive_window_after_an_uplink() {
    use unchained::radio::{MAC_OVERHEAD_BYTES, Phy};
    let lora = |one_way_ms: f64| {
        format!(
            "
seed: 3
duration_s: 600
devices:
  - name: meters
    count: 20
    workload: {{ model: periodic, interval_s: 60 }}
    tx_bytes: 20
    radio: {{ model: lorawan, sf: 7 }}
    receipts: {{ size_bytes: 104 }}
gateways: {{ count: 1, backhaul_bps: 1e12 }}
area: {{ shape: disc, size_m: 200 }}
validators: {{ count: 4 }}
network:
  latency: {{ model: constant, one_way_ms: {one_way_ms}, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus: {{ protocol: pbft }}
metrics: {{ window_s: 60, warmup_s: 60, measure_s: 420 }}
"
        )
    };
    let toa = |bytes: u32| Phy::lorawan(7, 125_000).time_on_air(bytes + MAC_OVERHEAD_BYTES);
    let secs = |t: u64| t as f64 / 1e9;
    let out = common::run(&common::scenario(&lora(20.0)));
    let expected = secs(toa(20)) + 1.0 + secs(toa(104));
    for stat in ["mean", "max"] {
        let v = common::metric(&out, &format!("receipt_delivered_only_{stat}_s"));
        assert!((v - expected).abs() < 1e-6, "{stat} {v} vs {expected}");
    }
    let slow = common::run(&common::scenario(&lora(500.0)));
    let expected = 60.0 + secs(toa(20)) + 1.0 + secs(toa(104));
    for stat in ["mean", "max"] {
        let v = common::metric(&slow, &format!("receipt_delivered_only_{stat}_s"));
        assert!((v - expected).abs() < 1e-6, "{stat} {v} vs {expected}");
    }
}

/// Checking a receipt costs `receipt_mj` on the device: the group's energy grows by exactly
/// that much per receipt delivered, and nothing else moves.
#[test]
fn each_delivered_receipt_charges_receipt_mj() {
    let radio = "psm: { t3324_s: 20, t3412_s: 3600 }";
    let run = |extra: &str| {
        let text = trackers(
            100,
            600.0,
            60.0,
            radio,
            &format!("{{ size_bytes: 104 }}{extra}"),
        );
        common::run(&common::scenario(&text))
    };
    let free = run("");
    let charged = run("\n    energy: { receipt_mj: 5 }");
    let delivered = common::metric(&charged, "receipts_delivered");
    assert!(delivered > 500.0, "{delivered}");
    assert_eq!(delivered, common::metric(&free, "receipts_delivered"));
    let joules = |o: &unchained::metrics::RunOutput| o.energy.rows[0].energy_j;
    let added = joules(&charged) - joules(&free);
    assert!(
        (added - delivered * 5e-3).abs() < 1e-6,
        "{added} J added for {delivered} receipts"
    );
}
