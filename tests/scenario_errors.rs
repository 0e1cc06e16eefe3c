//! Every file in `tests/invalid_scenarios/` has one defect (`two_defects.yaml` two); loading it
//! must fail with a message that names the field and, for values that parse but are out of
//! range, the value and line. What each message must contain is `expected.txt` there.

use std::path::{Path, PathBuf};

use unchained::scenario::{self, ScenarioError};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| {
            p.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    files
}

/// The table in `tests/invalid_scenarios/expected.txt`: each file with the substrings its
/// error message must contain. A malformed table fails the test that reads it.
fn cases() -> Vec<(String, Vec<String>)> {
    let path = crate_dir().join("tests/invalid_scenarios/expected.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(want) = line.strip_prefix("  ") {
            let (_, wants) = cases
                .last_mut()
                .unwrap_or_else(|| panic!("expected.txt line {}: no file above it", i + 1));
            wants.push(want.to_string());
        } else {
            assert!(
                !cases.iter().any(|(file, _)| file == line),
                "expected.txt line {}: {line} listed twice",
                i + 1
            );
            cases.push((line.to_string(), Vec::new()));
        }
    }
    for (file, wants) in &cases {
        assert!(!wants.is_empty(), "expected.txt: {file} expects nothing");
    }
    cases
}

#[test]
fn each_invalid_scenario_names_its_defect() {
    let dir = crate_dir().join("tests/invalid_scenarios");
    let mut failures = Vec::new();
    for (file, expected) in cases() {
        let file = file.as_str();
        let path = dir.join(file);
        let message = match scenario::load(&path) {
            Ok(_) => {
                failures.push(format!("{file}: loaded without error"));
                continue;
            }
            Err(ScenarioError::Io { source, .. }) => {
                failures.push(format!("{file}: cannot be read: {source}"));
                continue;
            }
            Err(e) => e.to_string(),
        };
        if message.contains(['\n', '\r']) {
            failures.push(format!("{file}: message spans lines: {message:?}"));
        }
        // The message starts with the file so a batch of runs says which one is wrong.
        if !message.contains(file) {
            failures.push(format!("{file}: message does not name the file: {message}"));
        }
        for want in &expected {
            if !message.contains(want.as_str()) {
                failures.push(format!("{file}: expected `{want}` in: {message}"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A file added to the directory without a row in the table would be tested by nothing.
#[test]
fn every_invalid_scenario_file_is_in_the_table() {
    let on_disk: Vec<String> = yaml_files(&crate_dir().join("tests/invalid_scenarios"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut in_table: Vec<String> = cases().into_iter().map(|(f, _)| f).collect();
    in_table.sort();
    assert_eq!(on_disk, in_table);
}

#[test]
fn both_defects_of_a_file_are_reported() {
    let path = crate_dir().join("tests/invalid_scenarios/two_defects.yaml");
    match scenario::load(&path) {
        Err(ScenarioError::Invalid { errors, .. }) => {
            let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
            assert_eq!(paths, ["consensus.confirmations", "metrics.quantiles[1]"]);
            assert_eq!(errors[0].value, "0");
            assert_eq!(errors[1].value, "1.5");
        }
        other => panic!("expected validation errors, got {other:?}"),
    }
}

#[test]
fn every_error_in_a_file_is_reported() {
    let text = "\
duration_s: -1
validators: { count: 0 }
consensus: { protocol: nakamoto, block_interval_s: 0, confirmations: 0 }
metrics: { window_s: .nan, quantiles: [] }
";
    let Err(ScenarioError::Invalid { errors, .. }) = scenario::parse(text, "inline") else {
        panic!("expected validation errors");
    };
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "duration_s",
            "validators.count",
            "consensus.block_interval_s",
            "consensus.confirmations",
            "metrics.window_s",
            "metrics.quantiles",
        ]
    );
    let lines: Vec<Option<usize>> = errors.iter().map(|e| e.line).collect();
    assert_eq!(
        lines,
        [Some(1), Some(2), Some(3), Some(3), Some(4), Some(4)]
    );
}

#[test]
fn minimal_scenario_is_valid() {
    let text = "\
duration_s: 60
validators: { count: 4 }
consensus: { protocol: nakamoto, block_interval_s: 10 }
";
    let s = scenario::parse(text, "inline").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.validators.count, 4);
    assert!(s.devices.is_empty());
}

#[test]
fn scenario_with_every_model_is_valid() {
    let text = "\
name: everything
seed: 7
duration_s: 86400
devices:
  - name: meters
    count: 1e6
    connectivity: { model: duty_cycle, period_s: 600, on_s: 60, phase_jitter_s: 600 }
    workload: { model: periodic, interval_s: 600, jitter_s: 30 }
  - name: trackers
    count: 1000
    tx_bytes: 400
    buffer_tx: 1
    overflow: drop_newest
    uplink: { latency_ms: 0, bandwidth_bps: 9600 }
    connectivity:
      model: on_off
      on: { dist: weibull, shape: 0.7, mean_s: 300 }
      off: { dist: constant, value_s: 900 }
    workload: { model: poisson, rate_per_s: 0.01 }
  - name: spares
    count: 0
    connectivity: { model: never }
    workload: { model: poisson, rate_per_s: 1 }
gateways: { count: 50, backhaul_bps: 1e8 }
validators: { count: 5 }
network:
  latency: { model: constant, one_way_ms: 0, bandwidth_bps: 1e9 }
  jitter: pareto
  topology: { model: random, outbound: 4, max_inbound: 4 }
  processing_ms: 0
consensus:
  protocol: nakamoto
  block_interval_s: 600
  max_block_bytes: 1400
  confirmations: 1
  miners: 3
  hash_power: { model: shares, shares: [0, 1, 2.5] }
  relay: full
  validation_s_per_mb: 0
metrics: { window_s: 0.0864, quantiles: [0.001, 0.5, 0.999] }
";
    scenario::parse(text, "inline").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn shipped_scenarios_are_valid() {
    let dir = crate_dir().join("scenarios");
    if !dir.is_dir() {
        return;
    }
    let failures: Vec<String> = yaml_files(&dir)
        .iter()
        .filter_map(|path| scenario::load(path).err().map(|e| e.to_string()))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// 80,000 levels of nesting once took 45 s to reject (the YAML parser's time grows with the
/// square of the depth); the depth is now bounded before parsing.
#[test]
fn deep_nesting_is_rejected_quickly_with_its_line() {
    let depth = 80_000;
    let flow = format!(
        "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ protocol: pbft }}\nmetrics: {{ quantiles: {}{} }}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let block: String = (0..1_000)
        .map(|d| format!("{}k{d}:\n", " ".repeat(d)))
        .collect();
    for (what, text) in [("flow", flow), ("block", block)] {
        let started = std::time::Instant::now();
        let message = scenario::parse(&text, "deep.yaml").unwrap_err().to_string();
        let took = started.elapsed().as_secs_f64();
        assert!(took < 1.0, "{what}: took {took:.1} s");
        assert!(
            message.contains("nesting") && message.contains("at most 64 levels"),
            "{what}: {message}"
        );
        let line = if what == "flow" { "line 4" } else { "line 65" };
        assert!(message.contains(line), "{what}: {message}");
    }
}

/// A file over the size bound is refused without being read whole.
#[test]
fn oversized_file_is_refused() {
    let dir = std::env::temp_dir().join(format!("unchained-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.yaml");
    let mut text = String::from("duration_s: 60\nvalidators: { count: 4 }\n");
    text.push_str(&"# padding\n".repeat(120_000));
    text.push_str("consensus: { protocol: pbft }\n");
    std::fs::write(&path, text).unwrap();
    let message = scenario::load(&path).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(message.contains("larger than 1048576 bytes"), "{message}");
}
