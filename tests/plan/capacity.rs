//! A fleet size searched downwards (the largest unsaturated fleet), `plan --capacity`, and
//! sharded grid runs feeding the search.

use super::*;

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
