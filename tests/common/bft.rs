//! BFT test networks and fault schedules shared by the PBFT, HotStuff, Tendermint and XRP
//! Ledger tests, and the checks they share.

use super::scenario;
use std::collections::BTreeMap;
use unchained::metrics::RunOutput;
use unchained::world::{self, Progress};

/// A BFT test network: `n` validators on a full mesh with constant one-way delay, 40 devices
/// sending Poisson requests through one gateway per validator; `extra` adds sections.
pub fn bft_yaml(n: u32, rate: f64, duration: f64, one_way_ms: f64, extra: &str) -> String {
    format!(
        "
seed: 5
duration_s: {duration}
devices:
  - count: 40
    workload: {{ model: poisson, rate_per_s: {rate} }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1e12 }}
gateways: {{ count: {n}, backhaul_bps: 1e12 }}
validators: {{ count: {n} }}
network:
  latency: {{ model: constant, one_way_ms: {one_way_ms}, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
{extra}"
    )
}

/// The mixed fault schedules of the BFT safety tests, one per seed in `0..24`: n = 4 or 7,
/// one to f + 1 random validators crashed (restarting on two seeds in three), a partition of
/// 30–70 % for a few seconds and 0–5 % loss. Yields the scenario texts.
pub fn bft_fault_schedules(consensus: &str) -> impl Iterator<Item = String> + '_ {
    (0..24u32).map(move |seed| {
        let n = [4, 7][seed as usize % 2];
        let f = (n - 1) / 3;
        let crashed = 1 + seed % (f + 1);
        let at = 2 + seed % 5;
        let recover = if seed % 3 == 0 {
            String::new()
        } else {
            format!(", recover_s: {}", at + 4 + seed % 4)
        };
        let faults = format!(
            "faults:\n  crashes: [{{ random: {crashed}, at_s: {at}{recover} }}]\n  \
             partitions: [{{ split: 0.{}, from_s: {}, to_s: {} }}]\n  links: {{ loss: 0.0{} }}\n",
            3 + seed % 5,
            5 + seed % 3,
            9 + seed % 4,
            seed % 6
        );
        let text = bft_yaml(
            n,
            0.5,
            20.0,
            10.0 + seed as f64,
            &format!("{consensus}{faults}"),
        );
        with_seed(&text, seed)
    })
}

/// Ten validators split into halves of five consecutive ones from 2 s to 25 s, for `seed`.
pub fn bft_split_halves(consensus: &str, seed: u32) -> String {
    let faults = "faults: { partitions: [{ groups: [[0, 1, 2, 3, 4]], from_s: 2, to_s: 25 }] }\n";
    with_seed(
        &bft_yaml(10, 1.0, 30.0, 20.0, &format!("{consensus}{faults}")),
        seed,
    )
}

/// `n` validators, the first f = ⌊(n − 1)/3⌋ crashed for good at 5 s, 40 s long: the crashed
/// ones and the scenario text.
pub fn bft_first_f_crashed(consensus: &str, n: u32) -> (Vec<u32>, String) {
    let down: Vec<u32> = (0..(n - 1) / 3).collect();
    let ids = down
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let faults = format!("faults: {{ crashes: [{{ nodes: [{ids}], at_s: 5 }}] }}\n");
    (
        down,
        bft_yaml(n, 0.5, 40.0, 50.0, &format!("{consensus}{faults}")),
    )
}

/// `n` validators with f + 1 of them (1 to f + 1) crashed for good at 5 s, 30 s long: one
/// more than a quorum tolerates, so nothing proposed after the crash may commit.
pub fn bft_beyond_f_crashed(consensus: &str, n: u32) -> String {
    let ids = (1..=(n - 1) / 3 + 1)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let faults = format!("faults: {{ crashes: [{{ nodes: [{ids}], at_s: 5 }}] }}\n");
    bft_yaml(n, 0.5, 30.0, 50.0, &format!("{consensus}{faults}"))
}

/// Four validators cut into two halves of two from 5 s to 15 s, 40 s long: neither half
/// holds a quorum of three while cut off.
pub fn bft_healed_halves(consensus: &str) -> String {
    let faults = "faults: { partitions: [{ groups: [[0, 1], [2, 3]], from_s: 5, to_s: 15 }] }\n";
    bft_yaml(4, 0.5, 40.0, 50.0, &format!("{consensus}{faults}"))
}

/// Decisions of one validator strictly between `from_s` and `to_s` seconds.
pub fn decided_between(
    at: &BTreeMap<u64, unchained::engine::Time>,
    from_s: f64,
    to_s: f64,
) -> usize {
    let (from, to) = (
        unchained::engine::from_secs(from_s),
        unchained::engine::from_secs(to_s),
    );
    at.values().filter(|&&t| t > from && t < to).count()
}

/// Requests whose origin is up at the end (not in `down`), that reached it before `before`
/// and are not settled: the liveness count of the BFT tests (PBFT, HotStuff and Tendermint
/// share the requests store).
pub fn bft_unsettled(
    reqs: &unchained::consensus::pbft::requests::Requests,
    before: unchained::engine::Time,
    down: &[u32],
) -> usize {
    reqs.live()
        .filter(|&(r, q)| q.reached < before && !down.contains(&q.origin) && !reqs.is_settled(r))
        .count()
}

/// `text` (from [`bft_yaml`]) with its seed replaced.
pub fn with_seed(text: &str, seed: u32) -> String {
    text.replace("seed: 5", &format!("seed: {seed}"))
}

/// Runs `text` with the XRP Ledger protocol value and hands back its validators' final states.
pub fn run_xrpl(text: &str) -> (RunOutput, Vec<unchained::consensus::xrpl::Node>) {
    use unchained::consensus::xrpl::Xrpl;
    use unchained::scenario::Consensus;
    let s = scenario(text);
    let Consensus::Xrpl(p) = &s.consensus else {
        panic!("not xrpl")
    };
    let xrpl = Xrpl::new(p, s.validators.count as u32).keep_logs();
    let (out, _, nodes) =
        world::run_with(&s, xrpl, &Progress::hidden()).unwrap_or_else(|e| panic!("{e}"));
    (out, nodes)
}
