//! Confirmed LoRaWAN uplinks inside full runs: ACKs in the class A windows, repeats when no
//! ACK comes, readings waiting in the device buffer, and the same outputs at any thread count.

mod common;

use std::collections::BTreeMap;

use unchained::metrics::registry;

/// Pure ALOHA on US915 (eight uplink channels, no duty cycle): one SF, every device within
/// reach of four co-located gateways, no shadowing and a capture threshold no pair of
/// devices reaches, so any two frames that overlap on a channel are both lost, at every
/// gateway alike. ACKs take RX1 at 500 kHz from whichever gateway is idle.
fn aloha(rate_per_s: f64, retransmissions: u32) -> String {
    format!(
        "
seed: 5
duration_s: 3600
devices:
  - name: meters
    count: 2000
    workload: {{ model: poisson, rate_per_s: {rate_per_s} }}
    tx_bytes: 130
    buffer_tx: 16
    radio: {{ model: lorawan, region: us915, sf: 7, confirmed: true, retransmissions: {retransmissions} }}
gateways: {{ count: 4 }}
area:
  shape: disc
  size_m: 2000
  gateways: listed
  gateway_coordinates: [[0, 0], [0, 0], [0, 0], [0, 0]]
  capture_db: 50
  demodulators: 64
  path_loss: {{ shadowing_db: 0 }}
validators: {{ count: 4 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 1 }}
"
    )
}

/// Time on air of a 130-byte reading (PHY payload 143 B) at SF7/125 kHz, CR 4/5, 8 preamble
/// symbols, explicit header, CRC (Semtech AN1200.13): T_sym = 1.024 ms, preamble
/// 12.25 T_sym, payload 8 + ⌈(8·143 − 28 + 28 + 16)/28⌉·5 = 218 symbols.
const TOA_S: f64 = (12.25 + 218.0) * 1.024e-3;

/// Transmissions of a frame allowed `m` repeats when each fails with probability `p`.
fn attempts(p: f64, m: u32) -> f64 {
    (1.0 - p.powi(m as i32 + 1)) / (1.0 - p)
}

/// The loss of pure ALOHA with its own repeats: p = 1 − e^(−2G), where the offered load per
/// channel G counts every transmission, G = G₀ · attempts(p, m); solved by iteration.
fn aloha_loss(rate_per_s: f64, m: u32) -> f64 {
    let g0 = 2000.0 * rate_per_s * TOA_S / 8.0;
    let mut p = 0.0;
    for _ in 0..200 {
        p = 1.0 - (-2.0 * g0 * attempts(p, m)).exp();
    }
    p
}

#[test]
fn repeats_per_frame_follow_the_loss_model() {
    for (rate, m) in [(0.0019, 3), (0.003, 2)] {
        let out = common::run(&common::scenario(&aloha(rate, m)));
        let p = aloha_loss(rate, m);
        let expected = attempts(p, m);
        let measured = common::metric(&out, "radio_transmissions_per_confirmed_frame");
        let loss = 1.0 - common::metric(&out, "radio_delivery_ratio");
        assert!(
            (loss - p).abs() < 0.02,
            "rate {rate}: loss per transmission {loss:.4}, ALOHA model {p:.4}"
        );
        assert!(
            (measured / expected - 1.0).abs() < 0.02,
            "rate {rate}, m {m}: {measured:.4} transmissions per frame, model {expected:.4} \
             at p = {p:.4}"
        );
        // Every received transmission got its ACK, but for a few whose windows found all four
        // transmitters booked: the gateways have no duty cycle to wait for.
        let delivered = common::metric(&out, "radio_frames_delivered");
        let no_window = common::metric(&out, "radio_acks_no_window");
        let acks = common::metric(&out, "radio_acks_rx1") + common::metric(&out, "radio_acks_rx2");
        assert_eq!(acks + no_window, delivered);
        assert!(no_window < 1e-3 * delivered, "{no_window} of {delivered}");
        // Frames given up: those whose m + 1 transmissions all failed, p^(m+1) of them.
        let frames = common::metric(&out, "radio_confirmed_frames");
        let given_up = common::metric(&out, "radio_frames_given_up") / frames;
        let model = p.powi(m as i32 + 1);
        assert!(
            (given_up - model).abs() < 0.15 * model + 4.0 * (model / frames).sqrt(),
            "given up {given_up:.5}, model {model:.5}"
        );
        assert!(out.conservation.holds(), "{:?}", out.conservation);
    }
}

/// The city cell of `tests/lorawan.rs`, confirmed, with EU868's duty cycles on uplinks and
/// ACKs, and readings arriving faster than a 1 % sub-band lets them leave.
fn busy_city(buffer: u32) -> String {
    busy_city_with(buffer, "")
}

/// `busy_city` with `extra` lines in the meters' group.
fn busy_city_with(buffer: u32, extra: &str) -> String {
    format!(
        "
seed: 3
duration_s: 900
devices:
  - name: meters
    count: 1500
    workload: {{ model: periodic, interval_s: 20, jitter_s: 9 }}
    tx_bytes: 40
    buffer_tx: {buffer}
    radio: {{ model: lorawan, sf: adr, confirmed: true, retransmissions: 2 }}{extra}
gateways: {{ count: 12 }}
area: {{ shape: disc, size_m: 12000, gateways: grid }}
validators: {{ count: 4 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 1 }}
metrics: {{ window_s: 60 }}
"
    )
}

#[test]
fn confirmed_outputs_are_byte_identical_at_1_2_and_8_threads() {
    let text = busy_city(4);
    let files = |threads: usize, tag: &str| -> BTreeMap<String, Vec<u8>> {
        common::files_at(threads, &text, &format!("class-a-{tag}"))
    };
    let (a, b, c) = (files(1, "a"), files(2, "b"), files(8, "c"));
    let summary = String::from_utf8(a["summary.csv"].clone()).unwrap();
    for line in summary.lines().skip(1) {
        let metric = line.split(',').next().unwrap();
        assert!(
            registry::entry(metric).is_some(),
            "{metric} not in the registry"
        );
    }
    for needed in [
        "radio_retransmissions,",
        "radio_acks_rx2,",
        "radio_frames_given_up,",
    ] {
        let line = summary.lines().find(|l| l.starts_with(needed)).unwrap();
        let value: f64 = line.split(',').nth(1).unwrap().parse().unwrap();
        assert!(value > 0.0, "the test needs {line}");
    }
    common::assert_same_files(&a, &b, &c);
}

/// Settlement receipts ride on the ACKs and share the gateways' transmitters with them; the
/// outcome is fixed by the model, not by the thread count.
#[test]
fn confirmed_uplinks_with_receipts_are_byte_identical_at_1_2_and_8_threads() {
    let text = busy_city_with(4, "\n    receipts: { size_bytes: 60 }");
    let files = |threads: usize, tag: &str| -> BTreeMap<String, Vec<u8>> {
        common::files_at(threads, &text, &format!("class-a-receipts-{tag}"))
    };
    let (a, b, c) = (files(1, "a"), files(2, "b"), files(8, "c"));
    let summary = String::from_utf8(a["summary.csv"].clone()).unwrap();
    for needed in [
        "receipts_delivered,",
        "receipts_pending_at_network,",
        "receipt_windows_missed_duty_cycle,",
        "radio_acks_rx1,",
    ] {
        let line = summary.lines().find(|l| l.starts_with(needed)).unwrap();
        let value: f64 = line.split(',').nth(1).unwrap().parse().unwrap();
        assert!(value > 0.0, "the test needs {line}");
    }
    common::assert_same_files(&a, &b, &c);
}

#[test]
fn readings_waiting_for_acks_and_duty_cycle_overflow_the_buffer_and_are_conserved() {
    let small = common::run(&common::scenario(&busy_city(2)));
    let large = common::run(&common::scenario(&busy_city(64)));
    for out in [&small, &large] {
        assert!(out.conservation.holds(), "{:?}", out.conservation);
    }
    let overflow = |o: &unchained::metrics::RunOutput| o.conservation.dropped("buffer_overflow");
    // A reading every 20 s, and a frame (with its ACK wait) takes longer than that at the
    // slower SFs under a 1 % duty cycle: a buffer of two overflows, one of 64 hardly.
    assert!(
        overflow(&small) > 10 * overflow(&large).max(1),
        "{} vs {}",
        overflow(&small),
        overflow(&large)
    );
    assert!(small.conservation.pending_on_device <= 2 * 1500);
    assert!(large.conservation.pending_on_device > small.conservation.pending_on_device);
}

/// One EU868 meter beside its gateway, at SF7, a reading a minute.
fn lone_meter(confirmed: bool) -> String {
    format!(
        "
seed: 1
duration_s: 600
devices:
  - name: meter
    count: 1
    workload: {{ model: periodic, interval_s: 60 }}
    tx_bytes: 20
    radio: {{ model: lorawan, sf: 7, confirmed: {confirmed} }}
gateways: {{ count: 1 }}
area: {{ shape: disc, size_m: 100 }}
validators: {{ count: 4 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 1 }}
"
    )
}

// An ACK heard in RX1 replaces the device's empty RX1, its wait for RX2 and its empty RX2
// (Casals et al.'s currents at 3.3 V, sleep 0.045 mA in between): per frame
// 3.3 V × [(38.1 − 0.045) mA × (41.216 − 12.288) ms − (27.1 − 0.045) × (1000 − 12.288)
// − (35.0 − 0.045) × 33.024], with the ACK's 12 bytes 41.216 ms at SF7, an empty RX1 12
// symbols (12.288 ms) and an empty RX2 at DR0 (2^12 + 32) / 125 kHz = 33.024 ms.
#[test]
fn an_ack_in_rx1_is_charged_in_place_of_the_empty_windows() {
    let plain = common::run(&common::scenario(&lone_meter(false)));
    let acked = common::run(&common::scenario(&lone_meter(true)));
    let frames = common::metric(&acked, "radio_frames");
    assert_eq!(frames, common::metric(&plain, "radio_frames"));
    assert_eq!(common::metric(&acked, "radio_acks_rx1"), frames);
    let per_frame_uj = 3.3
        * ((38.1 - 0.045) * (41.216 - 12.288)
            - (27.1 - 0.045) * (1000.0 - 12.288)
            - (35.0 - 0.045) * 33.024);
    let measured = acked.energy.rows[0].energy_j - plain.energy.rows[0].energy_j;
    let expected = frames * per_frame_uj * 1e-6;
    assert!(
        (measured - expected).abs() < 1e-6,
        "{measured} J vs {expected} J over {frames} frames"
    );
}
