//! The LoRaWAN access network inside full runs: the radio decides delivery, readings are
//! conserved through it, and collision resolution does not depend on the thread count.

mod common;

use std::collections::BTreeMap;

/// A small, busy cell: 3,000 meters sending a reading a minute into a few gateways, enough
/// for collisions and every gateway hearing most devices.
fn city(gateways: u32, seed: u64, devices: u32) -> String {
    format!(
        "
seed: {seed}
duration_s: 600
devices:
  - name: meters
    count: {devices}
    workload: {{ model: periodic, interval_s: 60, jitter_s: 20 }}
    tx_bytes: 20
    radio: {{ model: lorawan, sf: adr }}
gateways: {{ count: {gateways} }}
area: {{ shape: disc, size_m: 12000, gateways: grid }}
validators: {{ count: 4 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 1 }}
metrics: {{ window_s: 60 }}
"
    )
}

fn files_at(threads: usize, text: &str, tag: &str) -> BTreeMap<String, Vec<u8>> {
    common::files_at(threads, text, &format!("lora-{tag}"))
}

#[test]
fn outputs_with_collisions_are_byte_identical_at_1_2_and_8_threads() {
    // 40 gateways make 40 fleet shards, so frames heard by one gateway come from many shards.
    let text = city(40, 3, 3000);
    let a = files_at(1, &text, "a");
    let b = files_at(2, &text, "b");
    let c = files_at(8, &text, "c");
    assert!(a.contains_key("radio.csv") && a.contains_key("gateways.parquet"));
    let radio = String::from_utf8(a["radio.csv"].clone()).unwrap();
    let collided: u64 = radio
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(7).unwrap().parse::<u64>().unwrap())
        .sum();
    assert!(collided > 100, "the test needs collisions:\n{radio}");
    common::assert_same_files(&a, &b, &c);
}

#[test]
fn readings_are_conserved_through_the_radio() {
    let out = common::run(&common::scenario(&city(4, 1, 3000)));
    let c = &out.conservation;
    assert!(c.holds(), "{c:?}");
    let frames = common::metric(&out, "radio_frames");
    let delivered = common::metric(&out, "radio_frames_delivered");
    assert!(
        frames > 15_000.0 && delivered < frames,
        "{frames} {delivered}"
    );
    // Every reading of a lost frame is dropped with the frame's reason.
    let lost_readings: u64 = [
        "below_sensitivity",
        "gateway_transmitting",
        "no_demodulator",
        "collision",
    ]
    .iter()
    .map(|r| c.dropped(&format!("radio_{r}")))
    .sum();
    let lost_frames: u64 = out.radio.iter().map(|r| r.lost.iter().sum::<u64>()).sum();
    assert_eq!(lost_frames, (frames - delivered) as u64);
    let readings: u64 = out.radio.iter().map(|r| r.readings).sum();
    assert!(lost_readings >= lost_frames && lost_readings < readings);
    // A frame is heard by gateways it reaches: with four gateways, most frames reach more
    // than one and the network server keeps one copy.
    assert!(common::metric(&out, "radio_duplicates") > 0.0);
}

#[test]
fn more_gateways_deliver_more_over_three_seeds() {
    for seed in [1, 2, 3] {
        let ratios: Vec<f64> = [1u32, 4, 16]
            .iter()
            .map(|&g| {
                let out = common::run(&common::scenario(&city(g, seed, 3000)));
                common::metric(&out, "radio_delivery_ratio")
            })
            .collect();
        assert!(
            ratios.windows(2).all(|w| w[1] > w[0] + 0.01),
            "seed {seed}: delivery ratio by 1, 4, 16 gateways: {ratios:?}"
        );
    }
}

#[test]
fn gateways_from_a_csv_file_run_and_travel_inline_in_the_resolved_scenario() {
    let dir = std::env::temp_dir().join(format!("unchained-lora-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("gw.csv"), "x_m,y_m\n-3000,0\n3000,0\n").unwrap();
    let text = city(2, 1, 500).replace(
        "gateways: grid }",
        "gateways: listed, gateways_csv: gw.csv }",
    );
    std::fs::write(dir.join("s.yaml"), &text).unwrap();
    let s = unchained::scenario::load(&dir.join("s.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let area = s.area.as_ref().unwrap();
    assert_eq!(area.gateway_coordinates, [[-3000.0, 0.0], [3000.0, 0.0]]);
    let resolved = unchained::scenario::to_yaml(&s);
    assert!(!resolved.contains("gw.csv") && resolved.contains("gateway_coordinates"));
    let again = unchained::scenario::parse(&resolved, "resolved").unwrap();
    assert_eq!(
        again.area,
        s.area.clone().map(|mut a| {
            a.gateways_csv = None;
            a
        })
    );
    let out = common::run(&s);
    assert!(
        out.gateways.iter().all(|g| g.frames_received > 0),
        "{:?}",
        out.gateways
    );
    std::fs::write(dir.join("gw.csv"), "x,y\n0,0\n").unwrap();
    let e = unchained::scenario::load(&dir.join("s.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("area.gateways_csv = \"gw.csv\": row 1 must be the header x_m,y_m"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
