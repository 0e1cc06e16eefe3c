//! Sweeps through the command line: plan counts, validation through axis paths, sharded runs
//! merging to exactly the dataset of a single run, reruns skipping complete runs, and a
//! leftover temporary folder never taken for a complete run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BASE: &str = "
name: base
seed: 7
duration_s: 600
devices:
  - name: meters
    count: 200
    connectivity: { model: duty_cycle, period_s: 120, on_s: 30 }
    workload: { model: periodic, interval_s: 60, jitter_s: 5 }
gateways: { count: 8 }
validators: { count: 12 }
consensus: { protocol: nakamoto, block_interval_s: 20, confirmations: 2 }
";

const SWEEP: &str = "
name: small
scenario: base.yaml
seeds: 2
axes:
  consensus.block_interval_s: [10, 40]
  devices[0].count: [100, 300]
";

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("unchained-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn sweep_file(dir: &Path, sweep: &str) -> PathBuf {
    std::fs::write(dir.join("base.yaml"), BASE).unwrap();
    let f = dir.join("sweep.yaml");
    std::fs::write(&f, sweep).unwrap();
    f
}

fn unchained(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{}{err}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &err
}

/// Every file under `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn plan_counts_points_and_runs_and_names_bad_fields() {
    let dir = temp("plan");
    let f = sweep_file(
        &dir,
        "scenario: base.yaml\nseeds: 4\naxes:\n  consensus.block_interval_s: [10, 20, 40]\n\
         zip:\n  - gateways.count: [4, 8]\n    validators.count: [10, 20]\n",
    );
    let text = ok(unchained(&["sweep", "plan"], &[&f]));
    assert!(text.contains("6 points × 4 seeds = 24 runs"), "{text}");
    assert!(
        text.contains(
            "point=5 consensus.block_interval_s=40, gateways.count=8, validators.count=20"
        ),
        "{text}"
    );

    let f = sweep_file(
        &dir,
        "scenario: base.yaml\naxes:\n  consensus.block_interval_s: [10, -5]\n",
    );
    let out = unchained(&["sweep", "plan"], &[&f]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("point 1") && err.contains("consensus.block_interval_s = -5"),
        "{err}"
    );
    let f = sweep_file(
        &dir,
        "scenario: base.yaml\naxes:\n  devices[2].count: [1]\n",
    );
    let err = String::from_utf8_lossy(&unchained(&["sweep", "plan"], &[&f]).stderr).into_owned();
    assert!(err.contains("devices[2] does not exist"), "{err}");
    let f = sweep_file(
        &dir,
        "scenario: base.yaml\nzip:\n  - gateways.count: [4, 8]\n    validators.count: [10]\n",
    );
    let err = String::from_utf8_lossy(&unchained(&["sweep", "plan"], &[&f]).stderr).into_owned();
    assert!(err.contains("equal length"), "{err}");
    // A misspelt chart metric is refused when the sweep is planned, not drawn empty.
    let f = sweep_file(
        &dir,
        "scenario: base.yaml\naxes:\n  consensus.block_interval_s: [10, 20]\n\
         charts:\n  - { metric: settlment_p50, x: consensus.block_interval_s }\n",
    );
    let out = unchained(&["sweep", "plan"], &[&f]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("charts[0].metric = settlment_p50: not a summary metric"),
        "{err}"
    );
    let f = sweep_file(
        &dir,
        "scenario: base.yaml\naxes:\n  consensus.block_interval_s: [10, 20]\n\
         charts:\n  - { metric: settlement_p50_s, x: consensus.block_interval_s }\n",
    );
    ok(unchained(&["sweep", "plan"], &[&f]));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn shards_merge_to_the_single_run_dataset_reruns_skip_and_leftovers_are_ignored() {
    let dir = temp("runs");
    let f = sweep_file(&dir, SWEEP);
    let single = dir.join("single");
    let sharded = dir.join("sharded");
    ok(unchained(
        &["sweep", "run", "--quiet", "--out"],
        &[&single, &f],
    ));
    ok(unchained(&["sweep", "merge"], &[&single]));
    for shard in ["0/2", "1/2"] {
        ok(unchained(
            &["sweep", "run", "--quiet", "--shard", shard, "--out"],
            &[&sharded, &f],
        ));
    }
    ok(unchained(&["sweep", "merge"], &[&sharded]));
    let a = tree(&single);
    let b = tree(&sharded);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a.contains_key("runs/point=3/seed=1/summary.parquet"));
    assert!(a.contains_key("combined.parquet") && a.contains_key("combined.csv"));
    for (name, bytes) in &a {
        assert!(
            &b[name] == bytes,
            "{name} differs between single and sharded"
        );
    }
    // The merged sweeps compare equal, point by point.
    let same = unchained(&["compare"], &[&single, &sharded]);
    let table = String::from_utf8_lossy(&same.stdout);
    assert_eq!(same.status.code(), Some(0), "{table}");
    assert!(table.contains("point=3 settlement_p50_s"), "{table}");
    // Seeds differ across seed indices and points: the runs are not copies of each other.
    assert_ne!(
        a["runs/point=0/seed=0/summary.parquet"],
        a["runs/point=0/seed=1/summary.parquet"]
    );

    // A rerun finds everything complete and touches nothing.
    let before = std::fs::metadata(single.join("runs/point=1/seed=0/summary.parquet"))
        .unwrap()
        .modified()
        .unwrap();
    let text = ok(unchained(&["sweep", "run", "--out"], &[&single, &f]));
    assert!(text.contains("ran 0, skipped 8"), "{text}");
    let after = std::fs::metadata(single.join("runs/point=1/seed=0/summary.parquet"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);

    // An interrupted run: its temporary folder holds a summary but the run is not under runs/.
    std::fs::remove_dir_all(single.join("runs/point=2/seed=1")).unwrap();
    let leftover = single.join(".tmp/point=2.seed=1.4242424");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join("summary.parquet"), b"PAR1 truncated").unwrap();
    let out = unchained(&["sweep", "merge"], &[&single]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 of 8 runs are not complete (first: point=2/seed=1)"),
        "{err}"
    );
    let text = ok(unchained(&["sweep", "run", "--out"], &[&single, &f]));
    assert!(text.contains("ran 1, skipped 7"), "{text}");
    assert!(!leftover.exists(), "the leftover was not cleaned");
    ok(unchained(&["sweep", "merge"], &[&single]));
    assert_eq!(tree(&single), b);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Five axes × 100 values (10¹⁰ points) once aborted planning with a 560 GB allocation; the
/// grid is bounded before it is built, and the error says by what.
#[test]
fn huge_grid_is_refused_with_its_bound() {
    let dir = temp("huge");
    let values: Vec<String> = (1..=100).map(|v| v.to_string()).collect();
    let list = format!("[{}]", values.join(", "));
    let axes: String = [
        "consensus.block_interval_s",
        "consensus.confirmations",
        "devices[0].count",
        "gateways.count",
        "validators.count",
    ]
    .iter()
    .map(|a| format!("  {a}: {list}\n"))
    .collect();
    for sweep in [
        format!("scenario: base.yaml\naxes:\n{axes}"),
        "scenario: base.yaml\nseeds: 4000000000\naxes:\n  gateways.count: [4, 8]\n".into(),
    ] {
        let f = sweep_file(&dir, &sweep);
        let started = std::time::Instant::now();
        let out = unchained(&["sweep", "plan"], &[&f]);
        assert!(started.elapsed().as_secs_f64() < 5.0);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("at most 100000 runs"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `sweep merge` reads `plan.yaml` and `points.parquet` like a scenario: an inconsistent plan
/// (a zero dimension, a chart of a missing axis, empty axes, an unbounded point count) or a
/// points table shorter than the plan is an error naming the field, never a panic.
#[test]
fn merge_refuses_an_inconsistent_plan_or_points_table() {
    let dir = temp("plan-damage");
    let f = sweep_file(
        &dir,
        "name: small\nscenario: base.yaml\nseeds: 1\naxes:\n  consensus.block_interval_s: [10, 40]\n  devices[0].count: [100, 300]\n",
    );
    let out = dir.join("out");
    ok(unchained(
        &["sweep", "run", "--quiet", "--out"],
        &[&out, &f],
    ));
    let plan_path = out.join("plan.yaml");
    let plan = std::fs::read_to_string(&plan_path).unwrap();
    let points = std::fs::read(out.join("points.parquet")).unwrap();
    let edits: [(&str, &str, &str); 5] = [
        ("- 2\n- 2\n", "- 0\n- 2\n", "dim_sizes[0] = 0: must be >= 1"),
        (
            "charts: []",
            "charts:\n- { metric: stale_rate, x: nope }",
            "charts[0].x = nope: must be an axis",
        ),
        ("points: 4\n", "points: 4000000000\n", "points = 4000000000"),
        (
            "axes:\n- consensus.block_interval_s\n- devices[0].count\n",
            "axes: []\n",
            "axes = []",
        ),
        ("seeds: 1\n", "seeds: 0\n", "seeds = 0: must be >= 1"),
    ];
    // An edit alone is caught by the folder's checksums; these rewrite the manifest to match,
    // as someone editing the folder on purpose would, so the plan's own checks are reached.
    let reseal = || {
        let files = [out.join("plan.yaml"), out.join("points.parquet")];
        unchained::manifest::write(&out, &files).unwrap();
    };
    std::fs::write(&plan_path, plan.replacen("seeds: 1\n", "seeds: 0\n", 1)).unwrap();
    let res = unchained(&["sweep", "merge"], &[&out]);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("plan.yaml: damaged or edited"), "{err}");
    for (from, to, want) in edits {
        assert!(plan.contains(from), "{from:?} not in {plan}");
        std::fs::write(&plan_path, plan.replacen(from, to, 1)).unwrap();
        reseal();
        let res = unchained(&["sweep", "merge"], &[&out]);
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{to:?}: {err}");
        assert!(
            err.contains(want) && err.contains("(line "),
            "{to:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Fewer points in the table than planned.
    std::fs::write(&plan_path, &plan).unwrap();
    let short = dir.join("short");
    let f3 = sweep_file(
        &dir,
        "name: small\nscenario: base.yaml\nseeds: 1\naxes:\n  consensus.block_interval_s: [10]\n  devices[0].count: [100, 300]\n",
    );
    ok(unchained(
        &["sweep", "run", "--quiet", "--out"],
        &[&short, &f3],
    ));
    std::fs::copy(short.join("points.parquet"), out.join("points.parquet")).unwrap();
    reseal();
    let res = unchained(&["sweep", "merge"], &[&out]);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("points.parquet"), "{err}");
    std::fs::write(out.join("points.parquet"), points).unwrap();
    reseal();
    ok(unchained(&["sweep", "merge"], &[&out]));
    std::fs::remove_dir_all(dir).unwrap();
}

/// The sweep report's results table names each point by its steps' labels, as the Points
/// table does, instead of by its index.
#[test]
fn the_sweep_report_names_points_by_their_labels() {
    let dir = temp("labels");
    let f = sweep_file(
        &dir,
        "
name: labelled
scenario: base.yaml
seeds: 1
axes:
  consensus:
    - { label: PoW fast, protocol: nakamoto, block_interval_s: 10, confirmations: 2 }
    - { label: PoW slow, protocol: nakamoto, block_interval_s: 40, confirmations: 2 }
",
    );
    let out = dir.join("out");
    ok(unchained(
        &["sweep", "run", "--quiet", "--merge", "--out"],
        &[&out, &f],
    ));
    ok(unchained(&["report"], &[&out]));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let results = html
        .split("<h2>Results")
        .nth(1)
        .and_then(|r| r.split("</table>").next())
        .unwrap_or_else(|| panic!("no results table in {html}"));
    for label in ["PoW fast", "PoW slow"] {
        assert!(
            results.contains(&format!("<tr><td>{label}</td>")),
            "{label} names no row of the results table:\n{results}"
        );
    }
    assert!(!results.contains("<tr><td>0</td>"), "{results}");
    std::fs::remove_dir_all(dir).unwrap();
}
