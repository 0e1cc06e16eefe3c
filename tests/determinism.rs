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
    run_text_with_threads(SMALL, threads, tag)
}

fn run_text_with_threads(text: &str, threads: usize, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let out = pool.install(|| common::run(&common::scenario(text)));
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
    let c = run_with_threads(2, "c");
    let d = run_with_threads(8, "d");
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
        assert!(bytes == &c[name], "{name} differs between 1 and 2 threads");
        assert!(bytes == &d[name], "{name} differs between 1 and 8 threads");
    }
}

/// Gateways that batch, more gateways than fleet shards (so a shard holds several), devices
/// with uplink delays shorter than the fleet's step, and validators crashing and splitting:
/// every path by which device events reach the validators' loop.
const SHARDED: &str = "
seed: 9
duration_s: 600
devices:
  - name: meters
    count: 20000
    connectivity: { model: duty_cycle, period_s: 60, on_s: 10 }
    workload: { model: periodic, interval_s: 30, jitter_s: 5 }
  - name: trackers
    count: 2000
    connectivity: { model: always_on }
    workload: { model: poisson, rate_per_s: 0.05 }
    uplink: { latency_ms: 0.001, bandwidth_bps: 1e9 }
gateways: { count: 150, batch_interval_ms: 500 }
validators: { count: 20 }
consensus: { protocol: nakamoto, block_interval_s: 15, confirmations: 1 }
faults:
  crashes: [ { nodes: [0, 1, 2], at_s: 100, recover_s: 200 } ]
metrics: { window_s: 30 }
";

/// PBFT with broadcasts queued once (issue 19) under crashes, a partition and link loss.
const BFT_FAULTS: &str = "name: det-bft
seed: 9
duration_s: 400
devices:
  - name: meters
    count: 3000
    connectivity: { model: duty_cycle, period_s: 60, on_s: 10 }
    workload: { model: periodic, interval_s: 60, jitter_s: 5 }
gateways: { count: 10, batch_interval_ms: 500 }
validators: { count: 16 }
network: { latency: { model: simblock2019 }, topology: { model: full_mesh } }
consensus: { protocol: pbft, batch_max_tx: 100, batch_timeout_ms: 200, view_timeout_ms: 2000 }
faults:
  links: { loss: 0.02 }
  crashes: [ { nodes: [0], at_s: 60 }, { nodes: [3], at_s: 150, recover_s: 250 } ]
  partitions: [ { split: 0.5, from_s: 300, to_s: 330 } ]
";

#[test]
fn bft_with_faults_is_identical_at_1_2_and_8_threads() {
    identical_at_1_2_and_8_threads(BFT_FAULTS, "b");
}

#[test]
fn sharded_fleet_outputs_are_identical_at_1_2_and_8_threads() {
    identical_at_1_2_and_8_threads(SHARDED, "s");
}

fn identical_at_1_2_and_8_threads(text: &str, tag: &str) {
    let one = run_text_with_threads(text, 1, &format!("{tag}1"));
    for threads in [2, 8] {
        let other = run_text_with_threads(text, threads, &format!("{tag}{threads}"));
        assert_eq!(
            one.keys().collect::<Vec<_>>(),
            other.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &one {
            assert!(
                bytes == &other[name],
                "{name} differs between 1 and {threads} threads"
            );
        }
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

#[test]
fn announce_relay_is_byte_identical_across_thread_counts() {
    for upload in ["fifo", "fair", "stop_and_wait"] {
        let text = SMALL
            .replace(
                "network: { jitter: pareto }",
                &format!("network: {{ jitter: pareto, relay_model: announce, upload: {upload} }}"),
            )
            .replace(
                "consensus: { protocol: nakamoto, block_interval_s: 20, confirmations: 2 }",
                "consensus: { protocol: nakamoto, block_interval_s: 20, confirmations: 2, \
                 compact_failure_rate: 0.3, churn_nodes: 0.5, churn_compact_failure_rate: 0.6, \
                 missing_share: { model: simblock } }",
            );
        assert!(text.contains("announce") && text.contains("simblock"));
        let a = run_text_with_threads(&text, 1, &format!("{upload}-a"));
        let c = run_text_with_threads(&text, 2, &format!("{upload}-c"));
        let d = run_text_with_threads(&text, 8, &format!("{upload}-d"));
        for (name, bytes) in &a {
            assert!(
                bytes == &c[name],
                "{upload}: {name} differs between 1 and 2 threads"
            );
            assert!(
                bytes == &d[name],
                "{upload}: {name} differs between 1 and 8 threads"
            );
        }
    }
}

#[test]
fn privacy_observers_and_mitigations_are_identical_at_1_2_and_8_threads() {
    let text = SHARDED
        .replace(
            "    workload: { model: periodic, interval_s: 30, jitter_s: 5 }",
            "    workload: { model: periodic, interval_s: 30, jitter_s: 5 }\n    identity: { rotate_every_tx: 4 }\n    mitigation: { delay: { dist: exponential, mean_s: 20 }, pad_to_bytes: 300 }",
        )
        .replace("batch_interval_ms: 500 }", "batch_interval_ms: 500, mix: true }")
        + "observers:\n  - { kind: validator, node: 4 }\n  - { kind: gateway, gateway: 3 }\n  - { kind: network, nodes: [0, 7] }\n";
    let one = run_text_with_threads(&text, 1, "p1");
    assert!(one.contains_key("privacy.csv"));
    for threads in [2, 8] {
        let other = run_text_with_threads(&text, threads, &format!("p{threads}"));
        for (name, bytes) in &one {
            assert!(
                bytes == &other[name],
                "{name} differs between 1 and {threads} threads"
            );
        }
    }
}
