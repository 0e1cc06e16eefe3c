//! Seeds a plan adds while a configuration's interval straddles the requirement, and the cap
//! that leaves it undecided.

use super::*;

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
fn interval(xs: &[f64]) -> Interval {
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

/// A 95 % interval of the mean: (low, mean, high).
type Interval = (f64, f64, f64);

/// Four seeds of the one configuration, run and read here: their values and the intervals
/// of all four and of the first two.
fn four_seeds(dir: &Path) -> (Vec<f64>, Interval, Interval) {
    let four = dir.join("four");
    let lax = one_point_plan(dir, "four.yaml", 4, 4, 0.0);
    assert_eq!(plan(&lax, &four, &[]).status.code(), Some(0));
    let xs = seed_values(&four, 4);
    let (all, first_two) = (interval(&xs), interval(&xs[..2]));
    (xs, all, first_two)
}

#[test]
fn a_straddling_interval_adds_seeds_and_the_cap_leaves_it_undecided() {
    let dir = temp("straddle");
    let (xs, (lo4, mean4, hi4), (lo2, _, hi2)) = four_seeds(&dir);
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
    let (xs, (lo4, mean4, hi4), (lo2, _, hi2)) = four_seeds(&dir);
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
