//! `unchained plan` through the command line: the monotone search returns exactly the smallest
//! feasible fleet that the whole grid shows, in fewer evaluations; an unreachable requirement
//! exits 1 and is named; bad plan input is one line naming the field; a rerun reuses the runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "plan/capacity.rs"]
mod capacity;
#[path = "plan/seeds.rs"]
mod seeds;

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
