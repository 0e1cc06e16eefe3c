//! Fabric-style Raft ordering: T16 (commit 2d after append, 2(n − 1) replication messages per
//! entry), a new leader after a leader crash within the election-timeout bound with every
//! committed entry kept in place, liveness with one orderer of three crashed, and the example
//! scenario's leader change.

mod common;

use unchained::consensus::raft::{Node, Raft, Role};
use unchained::engine::{Time, from_secs};
use unchained::metrics::RunOutput;
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

/// `common::bft_yaml`'s network (one-way 10 ms) under Raft with `consensus`'s fields, seeded `seed`.
fn yaml(seed: u64, n: u32, rate: f64, duration: f64, consensus: &str, extra: &str) -> String {
    let extra = format!("consensus: {{ protocol: raft, {consensus} }}\n{extra}");
    common::bft_yaml(n, rate, duration, 10.0, &extra).replacen(
        "seed: 5",
        &format!("seed: {seed}"),
        1,
    )
}

fn run(text: &str) -> (RunOutput, Raft, Vec<Node>) {
    let s = common::scenario(text);
    let Consensus::Raft(p) = &s.consensus else {
        panic!("not raft")
    };
    let raft = Raft::new(p, s.validators.count as u32).keep_all();
    run_with(&s, raft, &Progress::hidden()).unwrap_or_else(|e| panic!("{e}"))
}

const D: Time = 10_000_000;

#[test]
fn t16_commit_two_delays_after_append_and_two_messages_per_follower() {
    for n in [3u32, 5, 7] {
        let text = yaml(
            3,
            n,
            0.01,
            120.0,
            &format!("orderers: {n}, endorsers: 0, max_message_count: 1"),
            "",
        );
        let (_, raft, nodes) = run(&text);
        let entries = raft.blocks().len() as u64 - 1;
        assert!(entries > 20, "n={n}: only {entries} entries");
        for (i, b) in raft.blocks().iter().enumerate().skip(1) {
            assert!(b.committed_at > 0, "n={n}: entry {i} never committed");
            let took = b.committed_at - b.appended_at;
            // Transfer at 1e12 bit/s adds a few ns per message.
            assert!(
                (2 * D..2 * D + 1000).contains(&took),
                "n={n}: entry {i} committed {took} ns after append, expected 2d = {} ns",
                2 * D
            );
        }
        let c = raft.counts;
        assert_eq!(c.append, u64::from(n - 1) * entries, "n={n}: {c:?}");
        assert_eq!(c.append_ack, u64::from(n - 1) * entries, "n={n}: {c:?}");
        assert_eq!(raft.elections.len(), 1, "n={n}");
        let leader = raft.elections[0].2;
        assert_eq!(nodes[leader as usize].seat.role, Role::Leader);
    }
}

/// Leader crash: a new leader within the bound, and every entry committed before the crash is
/// in every live orderer's log at the same index.
#[test]
fn leader_crash_elects_new_leader_and_keeps_committed_entries() {
    let election_ms = 300.0;
    let crash_s = 20.0;
    for seed in 0..8u64 {
        let consensus = format!(
            "orderers: 5, endorsers: 2, batch_timeout_ms: 100, max_message_count: 10, \
             election_timeout_ms: {election_ms}, heartbeat_ms: 50"
        );
        // First find the leader this seed elects, then crash it in an otherwise equal run.
        let (_, probe, _) = run(&yaml(seed, 7, 0.2, crash_s, &consensus, ""));
        let leader = probe.elections[0].2;
        let faults = format!("faults:\n  crashes: [{{ nodes: [{leader}], at_s: {crash_s} }}]\n");
        let (_, raft, nodes) = run(&yaml(seed, 7, 0.2, 60.0, &consensus, &faults));
        let crash = from_secs(crash_s);
        assert_eq!(
            raft.elections[0].2, leader,
            "seed {seed}: runs diverged before the crash"
        );
        let next = raft
            .elections
            .iter()
            .find(|e| e.0 > crash)
            .unwrap_or_else(|| panic!("seed {seed}: no election after the crash"));
        assert_ne!(next.2, leader);
        // The last heartbeat reached followers at most one heartbeat before the crash; a timeout
        // is below 2T; allow one split vote (another 2T) and message delays.
        let bound = from_secs(50.0 / 1e3 + 4.0 * 2.0 * election_ms / 1e3) + 4 * D;
        assert!(
            next.0 - crash <= bound,
            "seed {seed}: new leader {} ns after the crash (bound {bound})",
            next.0 - crash
        );
        let live: Vec<&Node> = nodes[..5].iter().filter(|n| n.id != leader).collect();
        let mut checked = 0;
        for (b, blk) in raft.blocks().iter().enumerate().skip(1) {
            if blk.committed_at == 0 || blk.committed_at > crash {
                continue;
            }
            checked += 1;
            for node in &live {
                assert_eq!(
                    node.log.get(blk.index as usize).copied(),
                    Some(b as u32),
                    "seed {seed}: committed entry {b} missing at index {} of orderer {}",
                    blk.index,
                    node.id
                );
            }
        }
        assert!(
            checked > 10,
            "seed {seed}: only {checked} committed entries"
        );
        // Log matching: live orderers agree on every index up to the smallest commit index.
        let floor = live.iter().map(|n| n.commit).min().unwrap_or(0) as usize;
        for node in &live {
            assert_eq!(node.log[..=floor], live[0].log[..=floor], "seed {seed}");
        }
        // Peers committed the same blocks at the same heights.
        let logs: Vec<_> = nodes.iter().map(|n| &n.committed).collect();
        common::agree(&logs).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn all_transactions_settle_with_one_orderer_of_three_crashed() {
    for seed in 0..4u64 {
        for crashed in 0..3u32 {
            let faults = format!("faults:\n  crashes: [{{ nodes: [{crashed}], at_s: 10 }}]\n");
            let consensus = "orderers: 3, endorsers: 2, batch_timeout_ms: 200, \
                             election_timeout_ms: 500, heartbeat_ms: 100";
            let (out, raft, nodes) = run(&yaml(seed, 6, 0.1, 80.0, consensus, &faults));
            let reqs = raft.requests();
            // Released requests were settled; the kept ones are checked one by one.
            let mut total = reqs.count() as usize - reqs.live().count();
            for (r, q) in reqs.live() {
                // Transactions at the crashed validator die with it; give the rest 20 s.
                if q.origin == crashed || q.reached > from_secs(60.0) {
                    continue;
                }
                total += 1;
                if !reqs.is_settled(r) {
                    for n in &nodes {
                        eprintln!("{}", n.describe());
                    }
                    eprintln!("{:?} {:?}", raft.elections, raft.counts);
                    eprintln!("executed anywhere {}", reqs.executed_anywhere(r));
                    for (b, blk) in raft.blocks().iter().enumerate() {
                        if blk.batch.contains(&r) {
                            eprintln!(
                                "in block {b} index {} term {} committed {}",
                                blk.index, blk.term, blk.committed_at
                            );
                        }
                    }
                }
                assert!(
                    reqs.is_settled(r),
                    "seed {seed}, orderer {crashed} down: request {r} from {} at {} ns unsettled",
                    q.origin,
                    q.reached
                );
            }
            assert!(total > 50, "seed {seed}: {total} requests");
            assert!(common::metric(&out, "settled_tx_per_s") > 0.0);
            let logs: Vec<_> = nodes.iter().map(|n| &n.committed).collect();
            common::agree(&logs).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }
}

/// The example scenario crashes the leader the ordering service elected at the start: its run
/// shows a leader change in the summary, the restarted orderer rejoins as a follower, peers
/// agree on every height, and conservation holds.
#[test]
fn the_example_scenario_changes_leader() {
    let text = std::fs::read_to_string("scenarios/raft-fabric.yaml").expect("example scenario");
    let s = common::scenario(&text);
    let crash = &s.faults.as_ref().expect("faults").crashes[0];
    let crashed = crash.nodes.as_ref().expect("named nodes")[0] as u32;
    let crash_at = from_secs(crash.at_s);
    let (out, raft, nodes) = run(&text);
    let before: Vec<_> = raft.elections.iter().filter(|e| e.0 < crash_at).collect();
    assert_eq!(
        before.last().map(|e| e.2),
        Some(crashed),
        "the scenario must crash the leader in office: {:?}",
        raft.elections
    );
    let after = raft
        .elections
        .iter()
        .find(|e| e.0 > crash_at)
        .unwrap_or_else(|| panic!("no election after the crash: {:?}", raft.elections));
    assert_ne!(after.2, crashed);
    assert!(common::metric(&out, "raft_leader_changes") >= 1.0);
    assert_eq!(
        common::metric(&out, "raft_leader_changes"),
        raft.leader_changes() as f64
    );
    assert_eq!(
        common::metric(&out, "raft_elections"),
        raft.elections.len() as f64
    );
    assert_ne!(nodes[crashed as usize].seat.role, Role::Leader);
    let logs: Vec<_> = nodes.iter().map(|n| &n.committed).collect();
    common::agree(&logs).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.conservation.holds(), "{:?}", out.conservation);
    assert!(out.conservation.settled > out.conservation.created / 2);
    eprintln!(
        "elections {:?}, settled {} of {}",
        raft.elections, out.conservation.settled, out.conservation.created
    );
}

/// Peers that validate slower than blocks are cut fall behind, and every transaction waiting
/// at its origin retries. Each retry once asked the leader for every block from the peer's
/// next height on, so the backlog was delivered again for each waiting transaction: with a
/// million devices 30 M deliveries in 30 s and 460 M in 90 s, memory growing to gigabytes. A
/// retry now asks only for the gap, once per gap and leader within an election timeout, so
/// deliveries stay within a small multiple of one per block and peer.
#[test]
fn retries_of_a_lagging_peer_do_not_redeliver_its_backlog() {
    let consensus = "orderers: 3, endorsers: 1, batch_timeout_ms: 50, max_message_count: 5, \
                     election_timeout_ms: 300, heartbeat_ms: 50, block_validation_ms: 400";
    let mut text = yaml(3, 7, 2.0, 12.0, consensus, "");
    text = text.replace("count: 40", "count: 400");
    let (out, _, _) = run(&text);
    let blocks = common::metric(&out, "raft_committed_entries");
    let deliveries = common::metric(&out, "raft_msgs_deliver");
    eprintln!("{deliveries} deliveries for {blocks} blocks");
    assert!(blocks > 100.0, "{blocks} blocks");
    // One delivery per block to each of the six other validators, plus fetched gaps.
    assert!(
        deliveries < 2.0 * 6.0 * blocks,
        "{deliveries} deliveries for {blocks} blocks"
    );
    assert!(out.conservation.holds());
}
