//! Tendermint: safety under crashes, partitions and loss; liveness with up to f crashed
//! validators (a proposer among them); no progress beyond f; recovery after a partition;
//! commit three one-way delays after the proposal. T14 (quadratic scaling of messages, exact
//! count per height) is a row of the literature suite (`sim/validation/consensus.rs`).

mod common;

use common::bft_yaml as yaml;

use unchained::consensus::tendermint::{Node, Tendermint};
use unchained::engine::{Time, from_secs};
use unchained::metrics::RunOutput;
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

fn run(text: &str) -> (RunOutput, Tendermint, Vec<Node>) {
    let s = common::scenario(text);
    let Consensus::Tendermint(p) = &s.consensus else {
        panic!("not tendermint")
    };
    let hs = Tendermint::new(p, s.validators.count as u32).recording();
    run_with(&s, hs, &Progress::hidden()).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_safe(nodes: &[Node]) {
    let logs: Vec<_> = nodes.iter().map(|n| &n.decided).collect();
    if let Err(e) = common::agree(&logs) {
        panic!("safety violated: {e}");
    }
}

fn unsettled(hs: &Tendermint, before: Time, down: &[u32]) -> usize {
    common::bft_unsettled(hs.requests(), before, down)
}

const CONSENSUS: &str = "consensus: { protocol: tendermint, batch_max_tx: 20, \
    timeout_propose_ms: 500, timeout_prevote_ms: 200, timeout_precommit_ms: 200, timeout_delta_ms: 100 }\n";

#[test]
fn safe_over_many_seeds_and_fault_schedules() {
    let mut decided_total = 0;
    for text in common::bft_fault_schedules(CONSENSUS) {
        let (out, tm, nodes) = run(&text);
        assert!(out.conservation.holds());
        assert_safe(&nodes);
        decided_total += tm.decisions();
    }
    assert!(decided_total > 200, "{decided_total}");
}

/// Two halves of ten: a quorum smaller than ⌈(n + f + 1)/2⌉ would let both halves decide
/// different blocks at the same height.
#[test]
fn halves_of_a_split_network_never_both_commit() {
    for seed in 0..6 {
        let (_, _, nodes) = run(&common::bft_split_halves(CONSENSUS, seed));
        assert_safe(&nodes);
    }
}

/// f crashed validators, the proposer of the next height among them: the survivors wait out
/// its propose timeout and decide in the next round.
#[test]
fn live_with_f_crashed_validators_proposer_included() {
    for n in [4u32, 7, 10] {
        let (down, text) = common::bft_first_f_crashed(CONSENSUS, n);
        let (out, tm, nodes) = run(&text);
        assert_safe(&nodes);
        let bound = from_secs(10.0);
        assert_eq!(unsettled(&tm, from_secs(40.0) - bound, &down), 0, "n={n}");
        assert!(tm.round_changes > 0, "n={n}: no crashed proposer was met");
        let max = common::metric(&out, "settlement_settled_only_max_s");
        eprintln!(
            "tendermint n={n} f crashed: settlement max {max:.2} s, {} round changes",
            tm.round_changes
        );
        assert!(max < 10.0, "n={n}: {max}");
    }
}

#[test]
fn no_progress_beyond_f_crashes_but_still_safe() {
    for n in [4u32, 7] {
        let (_, _, nodes) = run(&common::bft_beyond_f_crashed(CONSENSUS, n));
        assert_safe(&nodes);
        let late: usize = nodes
            .iter()
            .map(|n| common::decided_between(&n.decided_at, 5.5, f64::INFINITY))
            .sum();
        assert_eq!(late, 0, "n={n}");
        assert!(
            nodes[0].decided.len() > 20,
            "n={n}: {}",
            nodes[0].decided.len()
        );
    }
}

#[test]
fn commits_resume_after_a_partition_heals() {
    let (_, tm, nodes) = run(&common::bft_healed_halves(CONSENSUS));
    assert_safe(&nodes);
    for node in &nodes {
        let during = common::decided_between(&node.decided_at, 5.5, 15.0);
        let after = common::decided_between(&node.decided_at, 15.0, f64::INFINITY);
        assert_eq!(during, 0, "node {}", node.id);
        assert!(after > 50, "node {}: {after}", node.id);
    }
    assert_eq!(unsettled(&tm, from_secs(30.0), &[]), 0);
}

/// With constant one-way delay d and no faults, every validator decides a block 3d after its
/// proposal: the proposal (d), everyone's prevotes (d), everyone's precommits (d).
#[test]
fn commit_three_one_way_delays_after_the_proposal() {
    let d = 100.0;
    let consensus = "consensus: { protocol: tendermint, batch_max_tx: 1 }\n";
    let (_, tm, nodes) = run(&yaml(4, 0.005, 60.0, d, consensus));
    assert_safe(&nodes);
    let delay = from_secs(d / 1e3) as f64;
    let mut decisions = 0;
    for node in &nodes {
        for (h, &b) in &node.decided {
            let lat = (node.decided_at[h] - tm.block(b).proposed_at) as f64 / delay;
            assert!(
                (lat - 3.0).abs() < 1e-6,
                "node {} height {h}: {lat}",
                node.id
            );
            decisions += 1;
        }
    }
    assert_eq!(tm.round_changes, 0);
    assert!(decisions > 40, "{decisions}");
}

/// Timeouts shorter than the network's delays, with jitter and loss: rounds change while votes
/// are in flight (thousands of round changes), and decisions stay equal.
#[test]
fn safe_when_rounds_race_the_votes() {
    let mut decided_total = 0;
    let mut rounds = 0;
    for seed in 0..16u32 {
        let n = [4, 7][seed as usize % 2];
        let consensus = "consensus: { protocol: tendermint, batch_max_tx: 5, \
            timeout_propose_ms: 15, timeout_prevote_ms: 5, timeout_precommit_ms: 5, \
            timeout_delta_ms: 2 }\nfaults: { links: { loss: 0.1 } }\n";
        let text = yaml(n, 2.0, 10.0, 10.0, consensus)
            .replace("seed: 5", &format!("seed: {seed}"))
            .replace("  processing_ms: 0", "  processing_ms: 0\n  jitter: pareto");
        let (out, tm, nodes) = run(&text);
        assert!(out.conservation.holds());
        assert_safe(&nodes);
        decided_total += tm.decisions();
        rounds += tm.round_changes;
    }
    eprintln!("racing rounds: {decided_total} decisions, {rounds} round changes");
    assert!(decided_total > 100, "{decided_total}");
    assert!(rounds > 1000, "{rounds}");
}
