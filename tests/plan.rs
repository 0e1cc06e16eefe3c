//! `unchained plan` through the command line: the monotone search returns exactly the smallest
//! feasible fleet that the whole grid shows, in fewer evaluations; an unreachable requirement
//! exits 1 and is named; bad plan input is one line naming the field; a rerun reuses the runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("unchained-plan-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// A plan over the example base (PBFT, meters reading every 2 s, one simulated minute).
fn plan_file(dir: &Path, requirement: &str, monotone: bool) -> PathBuf {
    let base = std::fs::canonicalize("scenarios/plans/meters-base.yaml").unwrap();
    let text = format!(
        "name: fleet\nbase: {}\nseeds: 2\nrequirements:\n  - {requirement}\nchoices:\n  - {{ \
         path: \"devices[0].count\", min: 10, max: 200, step: 10{} }}\nobjective: \
         \"devices[0].count\"\n",
        base.display(),
        if monotone {
            ", monotone: increasing"
        } else {
            ""
        }
    );
    write_plan(dir, "plan.yaml", &text)
}

/// Writes a plan file `name` into `dir` and returns its path.
fn write_plan(dir: &Path, name: &str, text: &str) -> PathBuf {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    f
}

fn plan(file: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
        .arg("plan")
        .arg(file)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap()
}

/// `plan.csv` as rows of (column → text).
fn rows(out: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(out.join("plan.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let body = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (head, body)
}

fn col(head: &[String], name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("{name} in {head:?}"))
}

/// Runs a plan that must succeed; its chosen fleet size and the configurations evaluated.
fn chosen_fleet(file: &Path, out: &Path) -> (i64, usize) {
    let o = plan(file, out, &[]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let (head, body) = rows(out);
    let chosen: Vec<&Vec<String>> = body
        .iter()
        .filter(|r| r[col(&head, "chosen")] == "true")
        .collect();
    assert_eq!(chosen.len(), 1);
    let fleet = chosen[0][col(&head, "devices[0].count")].parse().unwrap();
    (fleet, body.len())
}

const NEED: &str = "{ metric: settled_tx_per_s, op: \">=\", value: 40 }";

#[test]
fn bisection_finds_the_grids_smallest_feasible_fleet_in_fewer_runs() {
    let dir = temp("monotone");
    let searched = dir.join("searched");
    let (answer, probes) = chosen_fleet(&plan_file(&dir, NEED, true), &searched);

    // The whole grid, judged here from its means and interval ends (not its verdicts).
    let griddir = temp("grid");
    let grid_out = griddir.join("grid");
    let out = plan(&plan_file(&griddir, NEED, false), &grid_out, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (ghead, gbody) = rows(&grid_out);
    assert_eq!(gbody.len(), 20, "the grid evaluates every fleet size");
    let value = |r: &Vec<String>, c: &str| -> f64 { r[col(&ghead, c)].parse().unwrap() };
    let smallest = gbody
        .iter()
        .filter(|r| {
            value(r, "r0_settled_tx_per_s_mean") >= 40.0
                && value(r, "r0_settled_tx_per_s_ci95_low") >= 40.0
        })
        .map(|r| value(r, "devices[0].count") as i64)
        .min()
        .unwrap();
    assert_eq!(answer, smallest);
    // 40 readings a second at one reading per meter every 2 s: about 80 meters.
    assert!((80..=100).contains(&answer), "{answer}");
    assert!(probes < gbody.len() / 2, "{probes} probes");

    // The report of the plan folder opens with the answer and draws the frontier.
    let report = Command::new(env!("CARGO_BIN_EXE_unchained"))
        .arg("report")
        .arg(&searched)
        .output()
        .unwrap();
    assert!(report.status.success(), "{report:?}");
    let html = std::fs::read_to_string(searched.join("report.html")).unwrap();
    let answer_at = html.find("<h1>Plan fleet</h1>").expect("answer heading");
    let frontier_at = html.find("<h2>Frontier</h2>").expect("frontier section");
    assert!(answer_at < frontier_at);
    assert!(
        html.contains(&format!("devices[0].count={answer}</strong>")),
        "answer in bold"
    );
    assert_eq!(
        html.matches("<svg").count(),
        1,
        "one numeric requirement, one chart"
    );

    // A rerun reuses every run and writes the same table; so does another --jobs.
    let before = std::fs::read(searched.join("plan.parquet")).unwrap();
    let again = plan(&plan_file(&dir, NEED, true), &searched, &["--jobs", "1"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        before,
        std::fs::read(searched.join("plan.parquet")).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&griddir).unwrap();
}

#[test]
fn an_unreachable_requirement_exits_1_and_is_named() {
    let dir = temp("infeasible");
    let need = "{ metric: settled_tx_per_s, op: \">=\", value: 1000 }";
    let out = plan(&plan_file(&dir, need, true), &dir.join("out"), &[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let md = std::fs::read_to_string(dir.join("out/plan.md")).unwrap();
    assert!(
        md.contains("No configuration meets all requirements"),
        "{md}"
    );
    assert!(
        md.contains("devices[0].count=200: settled_tx_per_s >= 1000 (fail"),
        "{md}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_plan_input_is_one_line_naming_the_field() {
    let dir = temp("bad");
    let cases = [
        (
            "{ metric: settled_tx_per_s, op: \">\", value: 40 }",
            "requirements[0].op = >: one of >=, <=, == (line 5)",
        ),
        (
            "{ metric: settled_tx_per_s, op: \">=\", value: lots }",
            "requirements[0].value = lots",
        ),
        (
            "{ metric: no_such_metric, op: \">=\", value: 1 }",
            "no_such_metric: not a summary metric",
        ),
    ];
    for (need, expected) in cases {
        let out = plan(&plan_file(&dir, need, true), &dir.join("out"), &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A one-configuration plan over the example base, named alike so that seed `k` is the same
/// world in every plan folder.
fn one_point_plan(dir: &Path, file: &str, seeds: u32, max_seeds: u32, need: f64) -> PathBuf {
    let base = std::fs::canonicalize("scenarios/plans/meters-base.yaml").unwrap();
    let text = format!(
        "name: straddle\nbase: {}\nseeds: {seeds}\nmax_seeds: {max_seeds}\nrequirements:\n  - \
         {{ metric: settled_tx_per_s, op: \">=\", value: {need} }}\nchoices:\n  - {{ path: \
         \"devices[0].count\", min: 100, max: 100 }}\nobjective: \"devices[0].count\"\n",
        base.display()
    );
    write_plan(dir, file, &text)
}

/// `settled_tx_per_s` of each seed's run, read from its own summary table.
fn seed_values(out: &Path, seeds: u32) -> Vec<f64> {
    use polars::prelude::*;
    (0..seeds)
        .map(|k| {
            let path = out.join(format!("runs/point=0/seed={k}/summary.parquet"));
            let df = ParquetReader::new(std::fs::File::open(path).unwrap())
                .finish()
                .unwrap();
            let metric = df.column("metric").unwrap().str().unwrap().clone();
            let value = df.column("value").unwrap().f64().unwrap().clone();
            let i = (0..df.height())
                .find(|&i| metric.get(i) == Some("settled_tx_per_s"))
                .unwrap();
            value.get(i).unwrap()
        })
        .collect()
}

/// The 95 % interval of the mean, with Student's t for 1 and 3 degrees of freedom.
fn interval(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = match xs.len() {
        2 => 12.706,
        4 => 3.182,
        other => panic!("no t for {other} seeds"),
    };
    let half = t * (var / n).sqrt();
    (mean - half, mean, mean + half)
}

#[test]
fn a_straddling_interval_adds_seeds_and_the_cap_leaves_it_undecided() {
    let dir = temp("straddle");
    // Four seeds of the one configuration, run and read here.
    let four = dir.join("four");
    let lax = one_point_plan(&dir, "four.yaml", 4, 4, 0.0);
    assert_eq!(plan(&lax, &four, &[]).status.code(), Some(0));
    let xs = seed_values(&four, 4);
    let (lo4, mean4, hi4) = interval(&xs);
    let (lo2, _, hi2) = interval(&xs[..2]);
    assert!(lo4 < mean4 && mean4 < hi4, "seeds differ: {xs:?}");

    // At the four seeds' mean, two and four seeds both straddle: undecided at the cap.
    assert!(lo2 < mean4 && mean4 < hi2, "{xs:?}");
    let capped = dir.join("capped");
    let out = plan(
        &one_point_plan(&dir, "capped.yaml", 2, 4, mean4),
        &capped,
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let (head, body) = rows(&capped);
    assert_eq!(body[0][col(&head, "seeds")], "4");
    assert_eq!(body[0][col(&head, "status")], "undecided");
    assert!(capped.join("runs/point=0/seed=3").is_dir());

    // Just under the four seeds' lower end, two seeds straddle and four decide: feasible.
    let need = lo4 - 1e-9 * lo4.abs();
    assert!(lo2 < need, "{xs:?}");
    let grown = dir.join("grown");
    let out = plan(&one_point_plan(&dir, "grown.yaml", 2, 4, need), &grown, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (head, body) = rows(&grown);
    assert_eq!(body[0][col(&head, "seeds")], "4");
    assert_eq!(body[0][col(&head, "status")], "feasible");

    // Without room to grow, the same target stays undecided at two seeds.
    let fixed = dir.join("fixed");
    let out = plan(&one_point_plan(&dir, "fixed.yaml", 2, 2, need), &fixed, &[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let (head, body) = rows(&fixed);
    assert_eq!(body[0][col(&head, "seeds")], "2");
    assert_eq!(body[0][col(&head, "status")], "undecided");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The capacity example with the fleet size searched downwards, or (`monotone: false`) the
/// whole grid.
fn capacity_plan(dir: &Path, monotone: bool) -> PathBuf {
    let text = std::fs::read_to_string("scenarios/plans/nakamoto-capacity.yaml").unwrap();
    let base = std::fs::canonicalize("scenarios/plans/capacity-base.yaml").unwrap();
    let mut text = text.replace(
        "base: capacity-base.yaml",
        &format!("base: {}", base.display()),
    );
    if !monotone {
        text = text.replace(", monotone: decreasing", "");
    }
    write_plan(dir, "capacity.yaml", &text)
}

#[test]
fn a_decreasing_search_finds_the_largest_unsaturated_fleet_of_the_grid() {
    let dir = temp("capacity");
    let searched = dir.join("searched");
    let (answer, probes) = chosen_fleet(&capacity_plan(&dir, true), &searched);

    let grid = dir.join("grid");
    let out = plan(&capacity_plan(&dir, false), &grid, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (ghead, gbody) = rows(&grid);
    assert_eq!(gbody.len(), 30);
    // Judged here: no seed saturated (the flag's mean over seeds is 0).
    let largest = gbody
        .iter()
        .filter(|r| r[col(&ghead, "r0_saturated_mean")].parse::<f64>().unwrap() == 0.0)
        .map(|r| r[col(&ghead, "devices[0].count")].parse::<i64>().unwrap())
        .max()
        .unwrap();
    assert_eq!(answer, largest);
    // Blocks of 10,000 bytes every 10 s carry at most 10 readings of 100 bytes a second:
    // 100 sensors reading every 10 s. Below 80 % of that the chain keeps up.
    assert!((80..=100).contains(&answer), "{answer}");
    assert!(probes < gbody.len() / 2, "{probes} probes");
    let md = std::fs::read_to_string(searched.join("plan.md")).unwrap();
    assert!(
        md.starts_with("# Plan nakamoto-capacity\n\nLargest configuration"),
        "{md}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn capacity(out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
        .args([
            "plan",
            "--capacity",
            "scenarios/plans/capacity-base.yaml",
            "--out",
        ])
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap()
}

/// `plan --capacity`: the chain of capacity-base.yaml carries at most 10 readings a second
/// (blocks of 10,000 bytes every 10 s, readings of 100 bytes), i.e. 100 sensors reading
/// every 10 s; the answer is pinned to one sensor, agrees with the verdicts in the plan
/// tables it leaves behind, and needs far fewer configurations than the 100 values below
/// the scenario's own 100 sensors.
#[test]
fn capacity_brackets_the_largest_unsaturated_fleet_to_one_sensor() {
    let dir = temp("capacity-flag");
    let out = dir.join("cap");
    let o = capacity(&out, &[]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let csv = std::fs::read_to_string(out.join("capacity.csv")).unwrap();
    let mut lines = csv.lines();
    let head: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let row: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let cap: i64 = row[col(&head, "capacity")].parse().unwrap();
    let bound: i64 = row[col(&head, "first_failing")].parse().unwrap();
    assert!((80..100).contains(&cap), "{cap}");
    assert_eq!(bound, cap + 1);
    let configurations: usize = row[col(&head, "configurations")].parse().unwrap();
    assert!(configurations < 25, "{configurations}");
    // The plan folder that decided it shows the capacity feasible and the bound not.
    let decided = ["bisect", "ramp-low", "ramp"]
        .iter()
        .map(|d| out.join(d))
        .find(|d| {
            d.join("plan.csv").exists() && {
                let (h, b) = rows(d);
                b.iter()
                    .any(|r| r[col(&h, "devices[0].count")] == bound.to_string())
                    && b.iter()
                        .any(|r| r[col(&h, "devices[0].count")] == cap.to_string())
            }
        })
        .expect("a plan folder holding both ends");
    let (h, b) = rows(&decided);
    let status = |v: i64| {
        b.iter()
            .find(|r| r[col(&h, "devices[0].count")] == v.to_string())
            .map(|r| r[col(&h, "status")].clone())
            .unwrap()
    };
    assert_eq!(status(cap), "feasible");
    assert_ne!(status(bound), "feasible");
    let md = std::fs::read_to_string(out.join("capacity.md")).unwrap();
    assert!(
        md.contains(&format!("**devices[0].count = {cap}**")),
        "{md}"
    );

    // Unreachable: exit 1, said so. Malformed condition: exit 2 naming the flag.
    let none = capacity(&dir.join("none"), &["--require", "settled_tx_per_s >= 1e9"]);
    assert_eq!(none.status.code(), Some(1), "{none:?}");
    assert!(String::from_utf8_lossy(&none.stdout).contains("No value meets"));
    let bad = capacity(&dir.join("bad"), &["--require", "settled_tx_per_s > 1"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--require") && err.lines().count() == 1,
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `plan --shard I/N` runs shard I of the whole grid (as `sweep run --shard` would) and stops;
/// the search afterwards finds the plan's seeds of every configuration in place (only extra
/// seeds of straddling ones remain to run) and writes the same `plan.csv` as a plan run in one
/// go.
#[test]
fn sharded_grid_runs_feed_the_same_search() {
    let dir = temp("shard");
    let file = capacity_plan(&dir, true);
    let sharded = dir.join("sharded");
    for i in 0..2 {
        let o = plan(&file, &sharded, &["--shard", &format!("{i}/2")]);
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        assert!(!sharded.join("plan.csv").exists(), "a shard judges nothing");
    }
    let runs = std::fs::read_dir(sharded.join("runs")).unwrap().count();
    assert_eq!(runs, 30, "every configuration of the grid");
    let o = plan(&file, &sharded, &[]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let whole = dir.join("whole");
    assert_eq!(plan(&file, &whole, &[]).status.code(), Some(0));
    assert_eq!(
        std::fs::read(sharded.join("plan.csv")).unwrap(),
        std::fs::read(whole.join("plan.csv")).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Cells × connections per cell for the trackers example, both monotone or (`monotone:
/// false`) a plain grid: counts 1–12, connection limits 10, 20 and 40.
fn cells_plan(dir: &Path, monotone: bool) -> PathBuf {
    let base = std::fs::canonicalize("scenarios/plans/trackers-cells-base.yaml").unwrap();
    let m = if monotone {
        ", monotone: increasing"
    } else {
        ""
    };
    let text = format!(
        "name: cells\nbase: {}\nseeds: 2\nmax_seeds: 2\nrequirements:\n  - {{ metric: \
         settled_within_10s_share, op: \">=\", value: 0.99 }}\nchoices:\n  - {{ path: \
         gateways.max_connections, values: [10, 20, 40]{m} }}\n  - {{ path: gateways.count, \
         min: 1, max: 12{m} }}\nobjective: gateways.count\n",
        base.display()
    );
    write_plan(dir, "plan.yaml", &text)
}

/// With two monotone choices the search walks the staircase: for every connection limit, the
/// fewest cells it reports as meeting the requirement are exactly the fewest that the whole
/// grid shows, and it ran fewer configurations than the grid. A search that stopped at the
/// first feasible line, or took a neighbour's verdict for a step, reports another staircase.
#[test]
fn two_monotone_choices_give_the_grids_staircase_in_fewer_runs() {
    let dir = temp("staircase");
    let walked = dir.join("walked");
    let o = plan(&cells_plan(&dir, true), &walked, &[]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let md = std::fs::read_to_string(walked.join("plan.md")).unwrap();
    let (_, body) = rows(&walked);

    let griddir = temp("staircase-grid");
    let grid = griddir.join("grid");
    let o = plan(&cells_plan(&griddir, false), &grid, &[]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let (head, gbody) = rows(&grid);
    assert_eq!(gbody.len(), 36);
    let value = |r: &Vec<String>, c: &str| -> i64 { r[col(&head, c)].parse().unwrap() };
    let mut steps = Vec::new();
    for limit in [10, 20, 40] {
        let fewest = gbody
            .iter()
            .filter(|r| value(r, "gateways.max_connections") == limit)
            .filter(|r| r[col(&head, "status")] == "feasible")
            .map(|r| value(r, "gateways.count"))
            .min();
        let step = fewest.map_or("none".to_string(), |c| c.to_string());
        assert!(
            md.contains(&format!("- gateways.max_connections={limit}: {step}\n")),
            "limit {limit}: grid says {step}\n{md}"
        );
        steps.push(fewest);
    }
    // The staircase has steps: more connections per cell need fewer cells.
    assert!(
        steps.windows(2).all(|w| w[1] <= w[0] || w[0].is_none()),
        "{steps:?}"
    );
    assert!(steps.iter().flatten().count() >= 2, "{steps:?}");
    assert!(
        body.len() * 2 < gbody.len(),
        "{} of {}",
        body.len(),
        gbody.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&griddir).unwrap();
}

/// The straddle example's configuration (100 meters, point 0, so its seeds are the same
/// worlds) under `settled_tx_per_s <= need`, optionally followed by 10 meters, which settle a
/// tenth as much and meet it by far. The objective, the offered load, prefers the smaller
/// fleet (a list of values is categorical, so the fleet size itself cannot be the objective).
fn contender_plan(dir: &Path, file: &str, need: f64, with_small: bool) -> PathBuf {
    let base = std::fs::canonicalize("scenarios/plans/meters-base.yaml").unwrap();
    let values = if with_small { "[100, 10]" } else { "[100]" };
    let text = format!(
        "name: straddle\nbase: {}\nseeds: 2\nmax_seeds: 4\nrequirements:\n  - {{ metric: \
         settled_tx_per_s, op: \"<=\", value: {need} }}\nchoices:\n  - {{ path: \
         \"devices[0].count\", values: {values} }}\nobjective: created_tx_per_s\n",
        base.display()
    );
    write_plan(dir, file, &text)
}

/// Seeds go only where they can change the answer: alone, a straddling configuration grows
/// to the cap; beside a smaller feasible one (the objective prefers it), the same
/// configuration stays undecided at its first two seeds and the small one is chosen.
#[test]
fn seeds_are_added_only_where_they_can_change_the_answer() {
    let dir = temp("contender");
    let four = dir.join("four");
    let lax = one_point_plan(&dir, "four.yaml", 4, 4, 0.0);
    assert_eq!(plan(&lax, &four, &[]).status.code(), Some(0));
    let xs = seed_values(&four, 4);
    let (lo4, mean4, hi4) = interval(&xs);
    let (lo2, _, hi2) = interval(&xs[..2]);
    assert!(
        lo2 < mean4 && mean4 < hi2 && lo4 < mean4 && mean4 < hi4,
        "{xs:?}"
    );

    let alone = dir.join("alone");
    let out = plan(
        &contender_plan(&dir, "alone.yaml", mean4, false),
        &alone,
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let (head, body) = rows(&alone);
    assert_eq!(body[0][col(&head, "seeds")], "4");
    assert_eq!(body[0][col(&head, "status")], "undecided");

    let beside = dir.join("beside");
    let out = plan(
        &contender_plan(&dir, "beside.yaml", mean4, true),
        &beside,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (head, body) = rows(&beside);
    let row = |n: &str| {
        body.iter()
            .find(|r| r[col(&head, "devices[0].count")] == n)
            .unwrap()
    };
    assert_eq!(row("100")[col(&head, "seeds")], "2");
    assert_eq!(row("100")[col(&head, "status")], "undecided");
    assert_eq!(row("10")[col(&head, "status")], "feasible");
    assert_eq!(row("10")[col(&head, "chosen")], "true");
    assert!(!beside.join("runs/point=0/seed=2").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
