//! Same scenario and seed ⇒ byte-identical output files, whatever the thread count.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

const SMALL: &str = "
seed: 5
duration_s: 900
devices:
  - name: meters
    count: 3000
    connectivity: { model: duty_cycle, period_s: 120, on_s: 20 }
    workload: { model: periodic, interval_s: 60, jitter_s: 10 }
  - name: trackers
    count: 500
    connectivity: { model: on_off, on: { dist: exponential, mean_s: 60 }, off: { dist: exponential, mean_s: 120 } }
    workload: { model: poisson, rate_per_s: 0.02 }
gateways: { count: 30 }
validators: { count: 40 }
network: { jitter: pareto }
consensus: { protocol: nakamoto, block_interval_s: 20, confirmations: 2 }
metrics: { window_s: 60 }
";

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn run_with_threads(threads: usize, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let out = pool.install(|| common::run(&common::scenario(SMALL)));
    let dir = std::env::temp_dir().join(format!("unchained-det-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    unchained::report::write_run(&out, &dir).unwrap();
    let f = files(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    f
}

#[test]
fn outputs_are_byte_identical_across_runs_and_thread_counts() {
    let a = run_with_threads(1, "a");
    let b = run_with_threads(1, "b");
    let c = run_with_threads(4, "c");
    for name in [
        "summary.parquet",
        "summary.csv",
        "timeseries.parquet",
        "blocks.csv",
        "nodes.csv",
    ] {
        assert!(a.contains_key(name), "missing {name}");
    }
    assert_eq!(a.keys().collect::<Vec<_>>(), c.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two runs");
        assert!(bytes == &c[name], "{name} differs between 1 and 4 threads");
    }
}

#[test]
fn a_different_seed_changes_the_outputs() {
    let mut s = common::scenario(SMALL);
    let first = common::run(&s);
    s.seed = 6;
    let second = common::run(&s);
    assert_ne!(first.summary, second.summary);
}
