//! The downlink columns of the `gateways` table: per gateway, what its one transmitter sent in
//! RX1 and RX2, for ACKs and receipts, how long it was on the air, and the windows it had to
//! refuse; summed over the gateways they must give the summary's network-wide counts.

mod common;

use unchained::metrics::RunOutput;

/// EU868 meters at a fixed SF7 around three gateways, a reading every 20 s: the gateways'
/// 1 % duty cycle in RX1's sub-band and their single transmitter make them refuse windows,
/// and many ACKs fall back to RX2 (869.525 MHz, DR0).
fn meters(radio: &str, receipts: &str) -> String {
    format!(
        "
seed: 9
duration_s: 900
devices:
  - name: meters
    count: 400
    workload: {{ model: periodic, interval_s: 20, jitter_s: 9 }}
    tx_bytes: 20
    buffer_tx: 8
    radio: {{ model: lorawan, region: eu868, sf: 7{radio} }}{receipts}
gateways: {{ count: 3 }}
area: {{ shape: disc, size_m: 1500, gateways: grid }}
validators: {{ count: 4 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 1 }}
"
    )
}

/// Time on air of a 12-byte ACK (no payload CRC on downlinks, explicit header, CR 4/5,
/// 8 preamble symbols; Semtech AN1200.13): at SF7/125 kHz (RX1 of an SF7 uplink) T_sym =
/// 1.024 ms, 12.25 + 8 + ⌈(96 − 28 + 28)/28⌉·5 = 40.25 symbols; at SF12/125 kHz (EU868 RX2,
/// low-data-rate optimisation) T_sym = 32.768 ms, 12.25 + 8 + ⌈(96 − 48 + 28)/40⌉·5 = 30.25.
const ACK_RX1_S: f64 = 40.25 * 1.024e-3;
const ACK_RX2_S: f64 = 30.25 * 32.768e-3;

fn total(out: &RunOutput, f: impl Fn(&unchained::metrics::GatewayRow) -> u64) -> f64 {
    out.gateways.iter().map(f).sum::<u64>() as f64
}

#[test]
fn ack_downlinks_per_gateway_add_up_to_the_summary_and_take_the_acks_time_on_air() {
    let out = common::run(&common::scenario(&meters(", confirmed: true", "")));
    assert_eq!(out.gateways.len(), 3);
    let rx1 = common::metric(&out, "radio_acks_rx1");
    let rx2 = common::metric(&out, "radio_acks_rx2");
    assert!(
        rx1 > 0.0 && rx2 > 0.0,
        "the test needs both windows: {rx1}, {rx2}"
    );
    assert_eq!(total(&out, |g| g.downlinks_rx1), rx1);
    assert_eq!(total(&out, |g| g.downlinks_rx2), rx2);
    assert_eq!(total(&out, |g| g.downlinks_with_ack), rx1 + rx2);
    assert_eq!(total(&out, |g| g.downlinks_with_receipt), 0.0);
    let refused = |g: &unchained::metrics::GatewayRow| {
        g.downlink_windows_refused_busy + g.downlink_windows_refused_duty_cycle
    };
    assert!(total(&out, refused) > 0.0, "no window was refused");
    let mut airtime = 0.0;
    for g in &out.gateways {
        assert_eq!(g.downlinks_with_ack, g.downlinks_rx1 + g.downlinks_rx2);
        let want = g.downlinks_rx1 as f64 * ACK_RX1_S + g.downlinks_rx2 as f64 * ACK_RX2_S;
        assert!(
            (g.downlink_airtime_s - want).abs() < 1e-6,
            "gateway {}: {} s on the air, {want} s by the formula",
            g.gateway,
            g.downlink_airtime_s
        );
        airtime += g.downlink_airtime_s;
    }
    let summary = common::metric(&out, "radio_downlink_airtime_s");
    assert!((airtime - summary).abs() < 1e-6, "{airtime} vs {summary}");
}

#[test]
fn receipt_downlinks_per_gateway_add_up_to_the_summary() {
    let receipts = "\n    receipts: { size_bytes: 60 }";
    // Unconfirmed: a receipt part goes down alone; confirmed: it rides on the ACK.
    for confirmed in [false, true] {
        let radio = if confirmed { ", confirmed: true" } else { "" };
        let out = common::run(&common::scenario(&meters(radio, receipts)));
        let sent = common::metric(&out, "receipt_downlinks");
        assert!(sent > 0.0, "confirmed {confirmed}: no receipt went down");
        assert_eq!(total(&out, |g| g.downlinks_with_receipt), sent);
        let acks = if confirmed {
            common::metric(&out, "radio_acks_rx1") + common::metric(&out, "radio_acks_rx2")
        } else {
            0.0
        };
        assert_eq!(total(&out, |g| g.downlinks_with_ack), acks);
        for g in &out.gateways {
            let carried = if confirmed {
                g.downlinks_with_ack
            } else {
                g.downlinks_with_receipt
            };
            assert_eq!(g.downlinks_rx1 + g.downlinks_rx2, carried, "{confirmed}");
        }
        assert!(out.conservation.holds(), "{:?}", out.conservation);
    }
}
