//! `unchained compare` on real run folders: a run against itself passes; a run of a scenario
//! with slower blocks fails and names the latency metrics (one of them moved beyond the run);
//! a tolerance file is obeyed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BASE: &str = "
seed: 3
duration_s: 900
devices:
  - name: meters
    count: 500
    connectivity: { model: duty_cycle, period_s: 120, on_s: 30 }
    workload: { model: periodic, interval_s: 60, jitter_s: 5 }
gateways: { count: 10 }
validators: { count: 20 }
consensus: { protocol: nakamoto, block_interval_s: 15, confirmations: 2 }
";

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("unchained-cmp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn write_run(yaml: &str, name: &str) -> PathBuf {
    let dir = temp(name);
    let out = common::run(&common::scenario(yaml));
    unchained::report::write_run(&out, &dir).unwrap();
    dir
}

fn compare(a: &Path, b: &Path, extra: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
        .arg("compare")
        .arg(a)
        .arg(b)
        .args(extra)
        .output()
        .unwrap()
}

fn line<'a>(stdout: &'a str, metric: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(metric))
        .unwrap_or_else(|| panic!("no row for {metric} in\n{stdout}"))
}

#[test]
fn same_run_passes_slower_blocks_regress_and_tolerances_apply() {
    let base = write_run(BASE, "base");
    let same = compare(&base, &base, &[]);
    let stdout = String::from_utf8_lossy(&same.stdout);
    assert_eq!(same.status.code(), Some(0), "{stdout}");
    assert!(line(&stdout, "settlement_p50_s").ends_with("ok"));

    let slow = write_run(
        &BASE.replace("block_interval_s: 15", "block_interval_s: 60"),
        "slow",
    );
    let worse = compare(&base, &slow, &[]);
    let stdout = String::from_utf8_lossy(&worse.stdout);
    assert_eq!(worse.status.code(), Some(1), "{stdout}");
    assert!(
        line(&stdout, "settlement_p50_s").ends_with("REGRESSED"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "inclusion_p90_s").ends_with("REGRESSED"),
        "{stdout}"
    );
    // A quantile that moved beyond the run is a regression too.
    assert!(
        line(&stdout, "settlement_p90_s").ends_with("REGRESSED"),
        "{stdout}"
    );
    // Swapped, the same change is an improvement of latency.
    let better = compare(&slow, &base, &[]);
    let stdout = String::from_utf8_lossy(&better.stdout);
    assert!(
        line(&stdout, "settlement_p50_s").ends_with("better"),
        "{stdout}"
    );

    let dir = temp("tol");
    let tol = dir.join("tolerance.yaml");
    std::fs::write(&tol, "default: { direction: ignore }\n").unwrap();
    let ignored = compare(&base, &slow, &[Path::new("--tolerance"), &tol]);
    assert_eq!(
        ignored.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ignored.stdout)
    );
    std::fs::write(&tol, "metrics:\n  settlement_p50_s: { relative: -1 }\n").unwrap();
    let bad = compare(&base, &slow, &[Path::new("--tolerance"), &tol]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("settlement_p50_s.relative = -1"));
    for d in [base, slow, dir] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

/// A run folder holding only `summary.parquet` built from `columns`, with its manifest.
fn summary_only(name: &str, columns: Vec<polars::prelude::Column>) -> PathBuf {
    let dir = temp(name);
    let height = columns.first().map_or(0, |c| c.len());
    let mut df = polars::prelude::DataFrame::new(height, columns).unwrap();
    let file = dir.join("summary.parquet");
    std::fs::write(&file, unchained::report::parquet(&mut df).unwrap()).unwrap();
    unchained::manifest::write(&dir, &[file]).unwrap();
    dir
}

fn summary(name: &str, metrics: &[(&str, f64)]) -> PathBuf {
    use polars::prelude::Column;
    summary_only(
        name,
        vec![
            Column::new(
                "metric".into(),
                metrics.iter().map(|m| m.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "value".into(),
                metrics.iter().map(|m| m.1).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// `compare a b` exits 2 with `text` in its error.
fn refused(a: &Path, b: &Path, text: &str) {
    let o = compare(a, b, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(text), "{err}");
}

#[test]
fn empty_or_malformed_baselines_and_one_sided_metrics_fail() {
    let base = summary("full", &[("settlement_p50_s", 10.0), ("tx_settled", 100.0)]);
    let empty = summary("empty", &[]);
    let named = format!(
        "{}: holds no metrics",
        empty.join("summary.parquet").display()
    );
    refused(&empty, &base, &named);
    refused(&base, &empty, &named);

    let no_value = summary_only(
        "novalue",
        vec![polars::prelude::Column::new(
            "metric".into(),
            ["settlement_p50_s"],
        )],
    );
    refused(&no_value, &base, "no column `value`");
    let text_value = summary_only(
        "textvalue",
        vec![
            polars::prelude::Column::new("metric".into(), ["settlement_p50_s"]),
            polars::prelude::Column::new("value".into(), ["10"]),
        ],
    );
    refused(&base, &text_value, "column `value` is");

    // A metric only in the candidate fails like one only in the baseline, unless its
    // direction is `ignore` (here `events`, ignored by default).
    let more = summary(
        "more",
        &[
            ("settlement_p50_s", 10.0),
            ("tx_settled", 100.0),
            ("stale_rate", 0.0),
            ("events", 5.0),
        ],
    );
    let o = compare(&base, &more, &[]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(line(&stdout, "stale_rate").ends_with("NEW"), "{stdout}");
    assert!(line(&stdout, "events").ends_with("ignored"), "{stdout}");
    let o = compare(&more, &base, &[]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(line(&stdout, "stale_rate").ends_with("MISSING"), "{stdout}");
    for d in [base, empty, no_value, text_value, more] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
