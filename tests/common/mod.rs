//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use unchained::metrics::{PrivacyRow, RunOutput};
use unchained::scenario::{self, Scenario};
use unchained::world::{self, Progress};

mod bft;
mod notary;
mod relay;
// Each test file uses some of these and not others.
#[allow(unused_imports)]
pub use {bft::*, notary::*, relay::*};

pub fn scenario(yaml: &str) -> Scenario {
    scenario::parse(yaml, "test").unwrap_or_else(|e| panic!("test scenario invalid: {e}"))
}

/// Every example scenario of `scenarios/` as `(file stem, text)`, sorted, with its duration
/// cut to `duration_s` and the files it names (an area's gateway file) made absolute.
pub fn examples(duration_s: u32) -> Vec<(String, String)> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let cut: Vec<String> = text
                .lines()
                .map(|l| {
                    if l.starts_with("duration_s:") {
                        format!("duration_s: {duration_s}")
                    } else {
                        l.replace("file: ", &format!("file: {}/", dir.display()))
                    }
                })
                .collect();
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            (name, cut.join("\n"))
        })
        .collect()
}

/// One `consensus:` body per family, small enough for runs of a minute with four validators.
pub const FAMILIES: [&str; 9] = [
    "pbft",
    "hotstuff",
    "tendermint",
    "xrpl",
    "raft, orderers: 3, endorsers: 1",
    "notary, cluster: { model: raft, nodes: 4 }",
    "pos, slot_s: 1, slots_per_epoch: 4",
    "tangle, confirmation: { model: milestones, interval_s: 5 }",
    "nakamoto, block_interval_s: 5, confirmations: 2",
];

pub fn run(s: &Scenario) -> RunOutput {
    world::run(s, &Progress::hidden()).unwrap_or_else(|e| panic!("run failed: {e}"))
}

pub fn metric(out: &RunOutput, name: &str) -> f64 {
    out.metric(name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// Checks that no two logs hold different values at the same position; returns the first
/// disagreement.
pub fn agree(logs: &[&std::collections::BTreeMap<u64, u32>]) -> Result<(), String> {
    let mut seen = std::collections::BTreeMap::new();
    for (node, log) in logs.iter().enumerate() {
        for (&pos, &value) in log.iter() {
            if let Some(&(other, v)) = seen.get(&pos)
                && v != value
            {
                return Err(format!(
                    "position {pos}: node {other} decided {v}, node {node} decided {value}"
                ));
            }
            seen.entry(pos).or_insert((node, value));
        }
    }
    Ok(())
}

/// The output files of a run of `text` on a pool of `threads` threads.
pub fn files_at(threads: usize, text: &str, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let out = pool.install(|| run(&scenario(text)));
    output_files(&out, tag)
}

/// Every file a run writes, by name, from a scratch folder named after `tag`.
pub fn output_files(out: &RunOutput, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("unchained-out-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    unchained::report::write_run(out, &dir).unwrap();
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

/// Asserts that the output files of runs at 1, 2 and 8 threads are the same, byte for byte.
pub fn assert_same_files(
    a: &BTreeMap<String, Vec<u8>>,
    b: &BTreeMap<String, Vec<u8>>,
    c: &BTreeMap<String, Vec<u8>>,
) {
    assert_eq!(a.keys().collect::<Vec<_>>(), c.keys().collect::<Vec<_>>());
    for (name, bytes) in a {
        assert!(bytes == &b[name], "{name} differs between 1 and 2 threads");
        assert!(bytes == &c[name], "{name} differs between 1 and 8 threads");
    }
}

/// `count` strictly periodic devices (every 60 s, no jitter, always online) behind gateways
/// configured by `gateways`, rotating keys every 5 transactions, on a small PBFT network, for
/// two simulated hours; `extra` goes into the device group (a mitigation), `observers` is the
/// list of observers, one per line.
pub fn privacy_meters(
    seed: u64,
    count: u32,
    extra: &str,
    gateways: &str,
    observers: &str,
) -> String {
    format!(
        "
seed: {seed}
duration_s: 7200
devices:
  - name: meters
    count: {count}
    workload: {{ model: periodic, interval_s: 60, jitter_s: 0 }}
    identity: {{ rotate_every_tx: 5 }}
{extra}
gateways: {gateways}
validators: {{ count: 4 }}
network:
  latency: {{ model: constant, one_way_ms: 10, bandwidth_bps: 1e8 }}
  topology: {{ model: full_mesh }}
consensus: {{ protocol: pbft }}
observers:
{observers}
"
    )
}

/// The `privacy` row of observer `name`.
pub fn privacy_row<'a>(out: &'a RunOutput, name: &str) -> &'a PrivacyRow {
    out.privacy
        .iter()
        .find(|r| r.observer == name)
        .unwrap_or_else(|| panic!("no observer {name}"))
}

/// Pay-per-use channels (an opening and a closing transaction per channel) between 440
/// devices, 40 of them providers, through 4 gateways to 4 validators for `duration_s` on
/// `consensus`, with `faults` (the section's fields, or nothing) when given.
pub fn channels_yaml(duration_s: u32, consensus: &str, faults: &str) -> String {
    let faults = if faults.is_empty() {
        String::new()
    } else {
        format!("faults: {{ {faults} }}\n")
    };
    format!(
        "
duration_s: {duration_s}
devices:
  - count: 440
    workload:
      {{ model: pay_per_use, providers: 40, uses_per_s: 0.05, payments_per_channel: 5,
        channel_max_s: 600 }}
gateways: {{ count: 4 }}
validators: {{ count: 4 }}
consensus: {consensus}
{faults}"
    )
}

/// Every YAML file under `scenarios/` (scenarios, sweeps and plans), sorted.
pub fn scenario_yamls() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("scenarios")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
