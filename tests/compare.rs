//! `unchained compare` on real run folders: a run against itself passes; a run of a scenario
//! with slower blocks is reported as a different scenario, and compared anyway on request it
//! fails naming the latency metrics (one of them moved beyond the run); a tolerance file is
//! obeyed. On hand-made summaries: a better cost is `better`, a count moving by one passes,
//! and the JSON, Markdown and JUnit outputs carry the same verdicts as the text.

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
        .find(|l| !l.starts_with(' ') && l.split_whitespace().next() == Some(metric))
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
    // A changed input is the scenarios differing, not 22 regressions.
    let differ = compare(&base, &slow, &[]);
    let stdout = String::from_utf8_lossy(&differ.stdout);
    assert_eq!(differ.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with("scenarios differ:"), "{stdout}");
    assert!(
        stdout.contains("consensus.block_interval_s  15.0 -> 60.0"),
        "{stdout}"
    );
    assert!(stdout.contains("--allow-changed-inputs"), "{stdout}");
    assert!(!stdout.contains("REGRESSED"), "{stdout}");

    let allow: &[&Path] = &[Path::new("--allow-changed-inputs")];
    let worse = compare(&base, &slow, allow);
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
    let better = compare(&slow, &base, allow);
    let stdout = String::from_utf8_lossy(&better.stdout);
    assert!(
        line(&stdout, "settlement_p50_s").ends_with("better"),
        "{stdout}"
    );

    let dir = temp("tol");
    let tol = dir.join("tolerance.yaml");
    std::fs::write(&tol, "default: { direction: ignore }\n").unwrap();
    let ignored = compare(&base, &slow, &[Path::new("--tolerance"), &tol, allow[0]]);
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

fn stdout_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn registry_directions_floors_and_inputs_decide_verdicts() {
    let base = summary(
        "reg-base",
        &[
            ("devices", 100.0),
            ("cost_servers_usd_per_month", 100.0),
            ("net_bytes_per_settled_tx", 2000.0),
            ("net_message_bytes", 1e6),
            ("tx_pending_in_transit", 16.0),
            ("settlement_p50_s", 10.0),
        ],
    );
    let cand = summary(
        "reg-cand",
        &[
            ("devices", 100.0),
            ("cost_servers_usd_per_month", 80.0),
            ("net_bytes_per_settled_tx", 1500.0),
            ("net_message_bytes", 8e5),
            ("tx_pending_in_transit", 17.0),
            ("settlement_p50_s", 10.0),
        ],
    );
    let o = compare(&base, &cand, &[]);
    let stdout = stdout_of(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    // Cheaper and less traffic are better, not CHANGED.
    for m in [
        "cost_servers_usd_per_month",
        "net_bytes_per_settled_tx",
        "net_message_bytes",
    ] {
        assert!(line(&stdout, m).ends_with("better"), "{m}: {stdout}");
    }
    assert!(line(&stdout, "cost_servers_usd_per_month").contains("USD/month"));
    // 16 → 17 is +6.25 %, within the floor of small counts.
    assert!(
        line(&stdout, "tx_pending_in_transit").ends_with("ok"),
        "{stdout}"
    );
    // Swapped, the cost is a regression.
    let o = compare(&cand, &base, &[]);
    let stdout = stdout_of(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(line(&stdout, "cost_servers_usd_per_month").ends_with("REGRESSED"));

    // A changed input: the scenarios differ, nothing is judged unless allowed.
    let more = summary(
        "reg-more",
        &[
            ("devices", 200.0),
            ("cost_servers_usd_per_month", 200.0),
            ("net_bytes_per_settled_tx", 2000.0),
            ("net_message_bytes", 2e6),
            ("tx_pending_in_transit", 16.0),
            ("settlement_p50_s", 10.0),
        ],
    );
    let o = compare(&base, &more, &[]);
    let stdout = stdout_of(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("scenarios differ:\n  devices  100 -> 200\n"),
        "{stdout}"
    );
    assert!(stdout.contains("differ in 1 input;"), "{stdout}");
    assert!(!stdout.contains("REGRESSED"), "{stdout}");
    let o = compare(&base, &more, &[Path::new("--format"), Path::new("json")]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["compared"], false);
    assert_eq!(j["passed"], false);
    assert_eq!(j["inputs_differ"][0]["input"], "devices");
    assert_eq!(j["inputs_differ"][0]["candidate"], "200");
    let o = compare(&base, &more, &[Path::new("--allow-changed-inputs")]);
    let stdout = stdout_of(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(line(&stdout, "devices").ends_with("input"), "{stdout}");
    assert!(line(&stdout, "cost_servers_usd_per_month").ends_with("REGRESSED"));
    for d in [base, cand, more] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn json_markdown_and_junit_carry_the_text_verdicts() {
    let base = summary(
        "fmt-base",
        &[
            ("settlement_p50_s", 10.0),
            ("settled_tx_per_s", 5.0),
            ("stale_rate", 0.01),
            ("created_tx_per_s", 5.0),
            ("settlement_p90_s", 20.0),
            ("events", 1000.0),
        ],
    );
    let cand = summary(
        "fmt-cand",
        &[
            ("settlement_p50_s", 15.0),
            ("settled_tx_per_s", 6.0),
            ("stale_rate", 0.01),
            ("created_tx_per_s", 6.0),
            ("settlement_p90_s", f64::NAN),
            ("events", 2000.0),
            ("tx_settled", 10.0),
        ],
    );
    let text = compare(&base, &cand, &[]);
    let text_out = stdout_of(&text);
    assert_eq!(text.status.code(), Some(1), "{text_out}");
    let verdict = |m: &str| {
        line(&text_out, m)
            .split_whitespace()
            .last()
            .unwrap()
            .to_string()
    };
    assert_eq!(verdict("settlement_p50_s"), "REGRESSED");
    assert_eq!(verdict("settled_tx_per_s"), "better");
    assert_eq!(verdict("created_tx_per_s"), "CHANGED");
    assert_eq!(verdict("events"), "ignored");
    assert_eq!(verdict("tx_settled"), "NEW");

    let o = compare(&base, &cand, &[Path::new("--format"), Path::new("json")]);
    assert_eq!(o.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout_of(&o)));
    let rows = j["metrics"].as_array().unwrap();
    assert_eq!(rows.len(), 7);
    for r in rows {
        let m = r["metric"].as_str().unwrap();
        assert_eq!(r["verdict"].as_str().unwrap(), verdict(m), "{m}");
        assert_eq!(
            r["fails"].as_bool().unwrap(),
            verdict(m).chars().all(|c| !c.is_lowercase()),
            "{m}"
        );
    }
    let p90 = rows
        .iter()
        .find(|r| r["metric"] == "settlement_p90_s")
        .unwrap();
    assert!(p90["candidate"].is_null() && p90["candidate_text"] == "NaN");
    assert_eq!(j["failures"], 4);
    assert_eq!(j["passed"], false);

    let o = compare(
        &base,
        &cand,
        &[Path::new("--format"), Path::new("markdown")],
    );
    let md = stdout_of(&o);
    assert!(
        md.contains("| `settlement_p50_s` | s | 10 | 15 | +50.00% | **REGRESSED** |"),
        "{md}"
    );
    assert!(
        md.contains("| `settled_tx_per_s` | tx/s | 5 | 6 | +20.00% | better |"),
        "{md}"
    );

    let dir = temp("junit");
    let xml = dir.join("compare.xml");
    let o = compare(&base, &cand, &[Path::new("--junit"), &xml]);
    assert_eq!(o.status.code(), Some(1));
    let report = std::fs::read_to_string(&xml).unwrap();
    assert!(report.contains("tests=\"8\" failures=\"4\""), "{report}");
    assert!(
        report.contains("name=\"settlement_p50_s\"><failure message=\"REGRESSED\">"),
        "{report}"
    );
    assert!(report.contains("name=\"events\"><skipped/>"), "{report}");
    // An existing file is the user's: refused without --force, replaced with it.
    let o = compare(&base, &base, &[Path::new("--junit"), &xml]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --force"));
    assert_eq!(std::fs::read_to_string(&xml).unwrap(), report);
    let o = compare(
        &base,
        &base,
        &[Path::new("--junit"), &xml, Path::new("--force")],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&xml)
            .unwrap()
            .contains("failures=\"0\"")
    );
    for d in [base, cand, dir] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
