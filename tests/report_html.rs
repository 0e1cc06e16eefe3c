//! `unchained report` on a real run folder: one self-contained file with the headings, the
//! charts inlined, the seed and the version; a folder that is neither run nor sweep is refused.
//! (tests/browser/report.sh renders the same pages in headless Chromium.)

mod common;

use std::process::Command;

const SMALL: &str = "
name: html-check
seed: 9
duration_s: 600
devices:
  - { name: meters, count: 200, workload: { model: periodic, interval_s: 60 } }
gateways: { count: 5 }
validators: { count: 10 }
consensus: { protocol: nakamoto, block_interval_s: 20, confirmations: 2 }
";

#[test]
fn run_report_is_self_contained_with_tables_charts_seed_and_version() {
    let dir = std::env::temp_dir().join(format!("unchained-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = common::run(&common::scenario(SMALL));
    unchained::report::write_run(&out, &dir).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_unchained"))
        .arg("report")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(status.status.success());
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for h in [
        "<h1>Run report: html-check</h1>",
        "<h2>Summary</h2>",
        "<h2>Latency</h2>",
        "<h2>Charts</h2>",
        "<h2>Scenario</h2>",
    ] {
        assert!(html.contains(h), "missing {h}");
    }
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("<th>seed</th><td>9</td>"));
    assert!(html.contains(&format!(
        "<th>simulator version</th><td>{}</td>",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(html.contains("<td>settlement_p50_s</td>"));
    // Nothing fetched from elsewhere: the SVG namespace is the only URL.
    let without_ns = html.replace("http://www.w3.org/2000/svg", "");
    for external in ["src=", "href=", "http://", "https://", "<script"] {
        assert!(
            !without_ns.contains(external),
            "report references {external}"
        );
    }

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_unchained"))
        .arg("report")
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("neither a run folder"));
    std::fs::remove_dir_all(&dir).unwrap();
}
