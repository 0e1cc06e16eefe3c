//! The access network's table and charts in a run folder: written only when the run has what
//! they show, and listed in the HTML report when written.

use std::fs;

use super::fixtures::{TempDir, sample};
use super::write_run;
use crate::engine::NS_PER_MS;
use crate::metrics::RadioDistanceRow;

fn bin(group: &str, from_m: f64, frames: u64, delivered: u64) -> RadioDistanceRow {
    RadioDistanceRow {
        group: group.into(),
        nearest_gateway_from_m: from_m,
        nearest_gateway_to_m: from_m + 500.0,
        devices: 10,
        frames,
        delivered,
        delivery_ratio: if frames == 0 {
            f64::NAN
        } else {
            delivered as f64 / frames as f64
        },
    }
}

fn files(dir: &TempDir) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn radio_charts_and_table_appear_only_when_the_run_has_them() {
    let plain = TempDir::new("no-radio-charts");
    write_run(&sample(), &plain.0).unwrap();
    let names = files(&plain);
    for absent in ["radio_distance", "delivery_by_distance", "receipt_cdf"] {
        assert!(
            !names.iter().any(|n| n.starts_with(absent)),
            "{absent} in {names:?}"
        );
    }

    let mut out = sample();
    out.radio_distance = vec![
        bin("meters", 0.0, 40, 38),
        bin("meters", 500.0, 30, 21),
        bin("meters", 1000.0, 0, 0),
        bin("trackers", 0.0, 12, 12),
    ];
    out.receipt_cdf = Some(vec![(2 * NS_PER_MS * 1000, 0.3), (90_000 * NS_PER_MS, 0.8)]);
    let dir = TempDir::new("radio-charts");
    write_run(&out, &dir.0).unwrap();
    for chart in ["delivery_by_distance", "receipt_cdf"] {
        let png = fs::read(dir.0.join(format!("{chart}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{chart}.png");
        let svg = fs::read_to_string(dir.0.join(format!("{chart}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{chart}.svg");
    }
    let svg = fs::read_to_string(dir.0.join("delivery_by_distance.svg")).unwrap();
    assert!(svg.contains("meters") && svg.contains("trackers"), "legend");
    let svg = fs::read_to_string(dir.0.join("receipt_cdf.svg")).unwrap();
    assert!(
        svg.contains("80.0 %"),
        "the share with a receipt by the end"
    );
    let csv = fs::read_to_string(dir.0.join("radio_distance.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "group,nearest_gateway_from_m,nearest_gateway_to_m,devices,frames,delivered,\
             delivery_ratio"
        )
    );
    // A bin whose devices sent nothing has no ratio: null, not NaN.
    assert_eq!(lines.nth(2), Some("meters,1000.0,1500.0,10,0,0,"));

    // Receipts on but none in the window: the chart says so instead of vanishing.
    out.receipt_cdf = Some(Vec::new());
    let empty = TempDir::new("radio-charts-empty");
    write_run(&out, &empty.0).unwrap();
    let svg = fs::read_to_string(empty.0.join("receipt_cdf.svg")).unwrap();
    assert!(svg.contains("no data"));

    let page = super::html::write(&dir.0, None, false).unwrap();
    let html = fs::read_to_string(page).unwrap();
    for title in [
        "Frame delivery by distance to the nearest gateway",
        "Settlement receipt latency CDF",
    ] {
        assert!(html.contains(title), "{title} not in the report");
    }
}
