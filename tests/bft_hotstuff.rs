//! Chained HotStuff: safety under crashes, partitions and loss; liveness with up to f crashed
//! replicas; no progress beyond f; recovery after a partition; commit after three round trips
//! of the leaders plus the final proposal. T14 (linear scaling of messages) is a row of the
//! literature suite (`sim/validation/consensus.rs`).

mod common;

use common::bft_yaml as yaml;

use unchained::consensus::hotstuff::{HotStuff, Node};
use unchained::engine::{Time, from_secs};
use unchained::metrics::RunOutput;
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

fn run(text: &str) -> (RunOutput, HotStuff, Vec<Node>) {
    let s = common::scenario(text);
    let Consensus::Hotstuff(p) = &s.consensus else {
        panic!("not hotstuff")
    };
    let hs = HotStuff::new(p, s.validators.count as u32).recording();
    run_with(&s, hs, &Progress::hidden()).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_safe(nodes: &[Node]) {
    let logs: Vec<_> = nodes.iter().map(|n| &n.decided).collect();
    if let Err(e) = common::agree(&logs) {
        panic!("safety violated: {e}");
    }
    assert!(nodes.iter().all(|n| n.conflicts == 0));
}

fn unsettled(hs: &HotStuff, before: Time, down: &[u32]) -> usize {
    common::bft_unsettled(hs.requests(), before, down)
}

const CONSENSUS: &str =
    "consensus: { protocol: hotstuff, batch_max_tx: 20, view_timeout_ms: 500 }\n";

/// Also with aggregate certificates (only message sizes differ: the rules are the same).
#[test]
fn safe_over_many_seeds_and_fault_schedules() {
    let aggregate = CONSENSUS.replace(" }", ", certificate: aggregate }");
    for consensus in [CONSENSUS, &aggregate] {
        let mut decided_total = 0;
        for text in common::bft_fault_schedules(consensus) {
            let (out, hs, nodes) = run(&text);
            assert!(out.conservation.holds());
            assert_safe(&nodes);
            decided_total += hs.decisions();
        }
        assert!(decided_total > 1000, "{consensus}: {decided_total}");
    }
}

/// Two halves of ten, each with five consecutive leaders: a quorum smaller than
/// ⌈(n + f + 1)/2⌉ would let both halves commit different blocks at the same height.
#[test]
fn halves_of_a_split_network_never_both_commit() {
    for seed in 0..6 {
        let (_, _, nodes) = run(&common::bft_split_halves(CONSENSUS, seed));
        assert_safe(&nodes);
    }
}

#[test]
fn live_with_f_crashed_replicas() {
    for n in [4u32, 7, 10] {
        let (down, text) = common::bft_first_f_crashed(CONSENSUS, n);
        let (out, hs, nodes) = run(&text);
        assert_safe(&nodes);
        let bound = from_secs(10.0);
        assert_eq!(unsettled(&hs, from_secs(40.0) - bound, &down), 0, "n={n}");
        let max = common::metric(&out, "settlement_settled_only_max_s");
        eprintln!("hotstuff n={n} f crashed: settlement max {max:.2} s");
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
        assert!(nodes[0].decided.len() > 20);
    }
}

#[test]
fn commits_resume_after_a_partition_heals() {
    let (_, hs, nodes) = run(&common::bft_healed_halves(CONSENSUS));
    assert_safe(&nodes);
    for node in &nodes {
        let during = common::decided_between(&node.decided_at, 5.5, 15.0);
        let after = common::decided_between(&node.decided_at, 15.0, f64::INFINITY);
        assert_eq!(during, 0, "node {}", node.id);
        assert!(after > 50, "node {}: {after}", node.id);
    }
    assert_eq!(unsettled(&hs, from_secs(30.0), &[]), 0);
}

/// A block is committed when the proposal carrying the QC of its third descendant arrives:
/// three leader round trips (proposal, vote to the next leader) plus that proposal, 7 one-way
/// delays; the replica proposing that descendant commits one delay earlier.
#[test]
fn commit_after_three_round_trips() {
    let d = 100.0;
    let consensus = "consensus: { protocol: hotstuff, batch_max_tx: 1 }\n";
    let (_, hs, nodes) = run(&yaml(4, 0.005, 60.0, d, consensus));
    assert_safe(&nodes);
    let delay = from_secs(d / 1e3) as f64;
    let mut seven = 0;
    for node in &nodes {
        for (h, &b) in &node.decided {
            let lat = (node.decided_at[h] - hs.block(b).proposed_at) as f64 / delay;
            // Blocks committed by a later burst of traffic wait longer; only consecutive
            // proposals (no idle gap) are compared.
            let rounds = lat.round();
            if (lat - rounds).abs() < 1e-4 && rounds <= 7.0 {
                assert!(rounds == 6.0 || rounds == 7.0, "node {}: {lat}", node.id);
                seven += usize::from(rounds == 7.0);
            }
        }
    }
    assert!(seven > 10, "{seven}");
}

/// 10 % link loss on 7 replicas with the default 2 s view timeout, 600 s, 3 seeds: a lost
/// proposal or vote costs a view, and replicas that timed out at different moments must
/// still meet in one view. Every request that reached its origin 60 s before the end
/// settles, and no minute passes without a settlement. When NEW-VIEW went to the next leader
/// only, backed-off replicas drifted apart and settlement stopped for minutes.
#[test]
fn live_under_ten_percent_loss() {
    for seed in [1u32, 2, 3] {
        let consensus = "consensus: { protocol: hotstuff, batch_max_tx: 20 }\n";
        let text = common::with_seed(
            &yaml(
                7,
                0.5,
                600.0,
                50.0,
                &format!("{consensus}faults: {{ links: {{ loss: 0.1 }} }}\n"),
            ),
            seed,
        );
        let (out, hs, nodes) = run(&text);
        assert_safe(&nodes);
        assert_eq!(unsettled(&hs, from_secs(540.0), &[]), 0, "seed {seed}");
        let quiet = out
            .timeseries
            .iter()
            .filter(|r| r.window_end_s <= 600.0)
            .fold((0.0f64, 0.0f64), |(worst, since), r| {
                let since = if r.settled_tx_per_s > 0.0 {
                    0.0
                } else {
                    since + (r.window_end_s - r.window_start_s)
                };
                (worst.max(since), since)
            })
            .0;
        assert!(quiet < 60.0, "seed {seed}: {quiet} s without a settlement");
    }
}

/// A `NEW-VIEW` is the 100-byte header and its sender's highest certificate, and a proposal
/// the header, the certificate and its batch. With `certificate: aggregate` the certificate
/// is 96 bytes and a bitmap of n bits whatever n; with `signatures` it is q = ⌈(n + f + 1)/2⌉
/// signatures of 68 bytes (64-byte Ed25519 and a 4-byte id); `header` (the default) adds
/// nothing, as before certificates were sized. The first f replicas crash so that views time
/// out and `NEW-VIEW`s are sent.
#[test]
fn certificate_bytes_constant_in_n_with_aggregation_linear_without() {
    let mut aggregate = Vec::new();
    for n in [4u32, 16, 64] {
        let f = (n - 1) / 3;
        let q = (n + f + 1).div_ceil(2);
        for (model, certificate) in [
            ("header", 0),
            ("signatures", 68 * u64::from(q)),
            ("aggregate", 96 + u64::from(n.div_ceil(8))),
        ] {
            let consensus = format!(
                "consensus: {{ protocol: hotstuff, batch_max_tx: 20, view_timeout_ms: 500, \
                 certificate: {model} }}\n"
            );
            let (_, text) = common::bft_first_f_crashed(&consensus, n);
            let (out, hs, nodes) = run(&text);
            assert_safe(&nodes);
            assert!(hs.decisions() > 20, "n={n} {model}: {}", hs.decisions());
            let row = |kind: &str| {
                let r = out.messages.iter().find(|r| r.message == kind);
                r.unwrap_or_else(|| panic!("n={n} {model}: no {kind} row"))
            };
            let new_view = row("new_view");
            assert!(new_view.messages > 0, "n={n} {model}");
            assert_eq!(
                new_view.bytes,
                new_view.messages * (100 + certificate),
                "n={n} {model}"
            );
            // Every block is multicast to the n − 1 others (no equivocation here).
            let reqs = hs.requests();
            let proposals: u64 = hs
                .blocks()
                .skip(1)
                .map(|b| u64::from(n - 1) * (100 + certificate + reqs.bytes_of(&b.batch)))
                .sum();
            assert_eq!(row("proposal").bytes, proposals, "n={n} {model}");
            let vote = row("vote");
            let share = if model == "aggregate" { 132 } else { 100 };
            assert_eq!(vote.bytes, vote.messages * share, "n={n} {model}");
            if model == "aggregate" {
                aggregate.push(certificate);
            }
        }
    }
    // From 4 to 64 validators only the bitmap grows: 1 byte to 8.
    assert_eq!(aggregate, [97, 98, 104]);
}
