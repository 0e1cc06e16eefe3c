//! The `radio_distance` table of full runs: every frame of the `radio` table is counted once,
//! in its group's bin of distance to the device's nearest gateway, and devices far from every
//! gateway deliver less.

mod common;

use unchained::metrics::RunOutput;

/// Two LoRaWAN groups around three gateways in a 12 km disc: meters on ADR, and sensors held
/// at SF12 with confirmed uplinks, whose repeats count as frames too.
const CITY: &str = "
seed: 4
duration_s: 600
devices:
  - name: meters
    count: 2000
    workload: { model: periodic, interval_s: 60, jitter_s: 20 }
    tx_bytes: 20
    radio: { model: lorawan, sf: adr }
  - name: sensors
    count: 600
    workload: { model: periodic, interval_s: 120, jitter_s: 30 }
    tx_bytes: 20
    radio: { model: lorawan, sf: 12, confirmed: true, retransmissions: 2 }
gateways: { count: 3 }
area: { shape: disc, size_m: 12000, gateways: grid }
validators: { count: 4 }
consensus: { protocol: nakamoto, block_interval_s: 30, confirmations: 1 }
";

fn radio_totals(out: &RunOutput, group: &str) -> (u64, u64) {
    let rows = out.radio.iter().filter(|r| r.group == group);
    rows.fold((0, 0), |(f, d), r| (f + r.frames, d + r.delivered))
}

#[test]
fn distance_bins_hold_every_frame_of_the_radio_table_once() {
    let out = common::run(&common::scenario(CITY));
    assert!(common::metric(&out, "radio_retransmissions") > 0.0);
    for (group, devices) in [("meters", 2000), ("sensors", 600)] {
        let bins: Vec<_> = out
            .radio_distance
            .iter()
            .filter(|r| r.group == group)
            .collect();
        assert!(
            bins.len() >= 5 && bins.len() <= 20,
            "{group}: {}",
            bins.len()
        );
        let width = bins[0].nearest_gateway_to_m - bins[0].nearest_gateway_from_m;
        for b in &bins {
            assert!(b.delivered <= b.frames, "{b:?}");
            let k = (b.nearest_gateway_from_m / width).round();
            assert_eq!(b.nearest_gateway_from_m, k * width, "{b:?}");
            assert_eq!(b.nearest_gateway_to_m, (k + 1.0) * width, "{b:?}");
        }
        assert_eq!(bins.iter().map(|b| b.devices).sum::<u64>(), devices);
        let frames = bins.iter().map(|b| b.frames).sum::<u64>();
        let delivered = bins.iter().map(|b| b.delivered).sum::<u64>();
        assert_eq!((frames, delivered), radio_totals(&out, group), "{group}");
        // Devices with their nearest gateway beyond the median bin deliver a smaller share.
        let middle = bins[bins.len() / 2].nearest_gateway_from_m;
        let share = |far: bool| {
            let part = bins
                .iter()
                .filter(|b| (b.nearest_gateway_from_m >= middle) == far);
            let (f, d) = part.fold((0, 0), |(f, d), b| (f + b.frames, d + b.delivered));
            d as f64 / f as f64
        };
        assert!(
            share(false) > share(true),
            "{group}: near {} vs far {}",
            share(false),
            share(true)
        );
    }
}
