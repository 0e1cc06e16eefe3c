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

/// A LoRaWAN class A device hears its receipt only in a receive window after an uplink, and
/// the network server answers an uplink with the receipts it held 1 s before the uplink
/// ended: a receipt settled within the second after its reading misses that reading's own
/// windows and goes down after the next uplink, one period on. Latency = period + frame
/// airtime + RECEIVE_DELAY1 (1 s) + the receipt's airtime in RX1 at the uplink's data rate
/// (no payload CRC on downlinks), for every receipt. With a 0.6 s backhaul each way the
/// gateway gets the answer after RX1 opened, and sends it in RX2: RECEIVE_DELAY2 (2 s) and
/// the airtime at DR0 (SF12) instead.
#[test]
fn lorawan_receipts_arrive_in_rx1_or_rx2_after_the_next_uplink_in_closed_form() {
    use unchained::radio::{MAC_OVERHEAD_BYTES, Phy};
    let lora = |one_way_ms: f64, size: u32| {
        format!(
            "
seed: 3
duration_s: 3600
devices:
  - name: meter
    count: 1
    workload: {{ model: periodic, interval_s: 60 }}
    tx_bytes: 20
    radio: {{ model: lorawan, sf: 7 }}
    receipts: {{ size_bytes: {size} }}
gateways: {{ count: 1, backhaul_bps: 1e12 }}
area: {{ shape: disc, size_m: 200 }}
validators: {{ count: 4 }}
network:
  latency: {{ model: constant, one_way_ms: {one_way_ms}, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus: {{ protocol: pbft }}
metrics: {{ window_s: 60, warmup_s: 60, measure_s: 3300 }}
"
        )
    };
    let secs = |t: u64| t as f64 / 1e9;
    let up = secs(Phy::lorawan(7, 125_000).time_on_air(20 + MAC_OVERHEAD_BYTES));
    let down = |sf: u8, bytes: u32| {
        let phy = Phy {
            crc: false,
            ..Phy::lorawan(sf, 125_000)
        };
        secs(phy.time_on_air(bytes + MAC_OVERHEAD_BYTES))
    };
    for (one_way_ms, size, expected) in [
        (20.0, 104, 60.0 + up + 1.0 + down(7, 104)),
        (600.0, 40, 60.0 + up + 2.0 + down(12, 40)),
    ] {
        let out = common::run(&common::scenario(&lora(one_way_ms, size)));
        for stat in ["mean", "max"] {
            let v = common::metric(&out, &format!("receipt_delivered_only_{stat}_s"));
            assert!(
                (v - expected).abs() < 1e-6,
                "{one_way_ms} ms: {stat} {v} vs {expected}"
            );
        }
        assert!(common::metric(&out, "receipts_delivered") > 50.0);
        assert_eq!(common::metric(&out, "receipt_reached_share"), 1.0);
        for why in ["busy", "duty_cycle", "backhaul"] {
            let missed = common::metric(&out, &format!("receipt_windows_missed_{why}"));
            assert_eq!(missed, 0.0, "{why}");
        }
    }
}

/// A busy gateway: 30 meters every 60 s whose 150-byte receipts need the gateway's downlink
/// duty cycle (1 % in RX1's sub-band, 10 % in RX2's) far beyond what one gateway has: most
/// windows are missed for the duty cycle, receipts wait for later uplinks, and every receipt
/// is still counted (delivered, or pending at the network server).
#[test]
fn lorawan_receipts_wait_for_the_gateway_duty_cycle_and_are_conserved() {
    let text = "
seed: 5
duration_s: 900
devices:
  - name: meters
    count: 30
    workload: { model: periodic, interval_s: 60 }
    tx_bytes: 20
    radio: { model: lorawan, sf: 7 }
    receipts: { size_bytes: 150 }
gateways: { count: 1, backhaul_bps: 1e12 }
area: { shape: disc, size_m: 200 }
validators: { count: 4 }
network:
  latency: { model: constant, one_way_ms: 20, bandwidth_bps: 1e12 }
  topology: { model: full_mesh }
  processing_ms: 0
consensus: { protocol: pbft }
";
    let out = common::run(&common::scenario(text));
    let m = |k: &str| common::metric(&out, k);
    let created = m("receipts_created");
    assert!(created > 300.0, "{created}");
    assert_eq!(
        created,
        m("receipts_delivered") + m("receipts_pending_at_network") + m("receipts_dropped_quota")
    );
    assert!(m("receipts_pending_at_network") > 0.5 * created);
    assert!(m("receipt_windows_missed_duty_cycle") > 100.0);
    // One gateway's downlinks: at most 1 % of the time in RX1's sub-band and 10 % in RX2's.
    let airtime = m("radio_downlink_airtime_s");
    assert!(airtime > 0.0 && airtime <= 0.11 * 900.0, "{airtime}");
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
