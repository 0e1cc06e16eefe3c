//! Fabric-style Raft ordering under partitions and message loss, over many seeds: a leader cut
//! off with a minority commits nothing while the majority elects a new leader; after the heal
//! the old leader steps down and its uncommitted entries are overwritten; no committed entry
//! is ever lost or moved at any orderer, and peers never commit different blocks at one
//! height. With up to 10 % link loss every transaction at a live origin still settles.

mod common;

use unchained::consensus::raft::{Node, Raft, Role};
use unchained::engine::{Time, from_secs};
use unchained::metrics::RunOutput;
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

/// One-way delay of every message.
const D: Time = 10_000_000;
const ELECTION_MS: f64 = 300.0;
const HEARTBEAT_MS: f64 = 50.0;
const VALIDATORS: u32 = 7;

fn yaml(seed: u64, orderers: u32, duration: f64, faults: &str) -> String {
    format!(
        "
seed: {seed}
duration_s: {duration}
devices:
  - count: 40
    workload: {{ model: poisson, rate_per_s: 0.2 }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1e12 }}
gateways: {{ count: {VALIDATORS}, backhaul_bps: 1e12 }}
validators: {{ count: {VALIDATORS} }}
network:
  latency: {{ model: constant, one_way_ms: 10, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus: {{ protocol: raft, orderers: {orderers}, endorsers: 1, batch_timeout_ms: 100,
  max_message_count: 10, election_timeout_ms: {ELECTION_MS}, heartbeat_ms: {HEARTBEAT_MS} }}
{faults}"
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

/// Safety over the final state and the run's record: every entry a leader ever counted as
/// committed sits at its index in every orderer's log (once replication had a second to reach
/// the orderers outside the majority that committed it: those committed just before `end`
/// may still be in flight to them), no orderer ever dropped a committed
/// entry, orderers' logs agree up to the smallest commit index, and every peer committed at
/// each height exactly the block the logs hold there.
fn check_safety(label: &str, raft: &Raft, nodes: &[Node], end: Time) -> usize {
    let orderers = &nodes[..raft.orderers() as usize];
    assert_eq!(
        raft.overwritten_committed, 0,
        "{label}: a committed entry was overwritten"
    );
    let mut committed = 0;
    for (b, blk) in raft.blocks().iter().enumerate().skip(1) {
        if blk.committed_at == 0 {
            continue;
        }
        committed += 1;
        if blk.committed_at + from_secs(1.0) > end {
            continue;
        }
        for o in orderers {
            assert_eq!(
                o.log.get(blk.index as usize).copied(),
                Some(b as u32),
                "{label}: committed entry {b} not at index {} of orderer {}",
                blk.index,
                o.id
            );
        }
    }
    let floor = orderers.iter().map(|n| n.commit).min().unwrap_or(0) as usize;
    for o in orderers {
        assert_eq!(o.log[..=floor], orderers[0].log[..=floor], "{label}");
    }
    let logs: Vec<_> = nodes.iter().map(|n| &n.committed).collect();
    common::agree(&logs).unwrap_or_else(|e| panic!("{label}: {e}"));
    for n in nodes {
        for (&h, &b) in &n.committed {
            assert_ne!(
                raft.block(b).committed_at,
                0,
                "{label}: peer {} committed uncommitted block {b} at height {h}",
                n.id
            );
            assert_eq!(raft.block(b).index, h, "{label}: peer {} height {h}", n.id);
        }
    }
    committed
}

/// Every request that reached its origin before `until` settled.
fn check_settled(label: &str, raft: &Raft, nodes: &[Node], until: Time) -> usize {
    let reqs = raft.requests();
    // Released requests were settled; the kept ones are checked one by one.
    let mut total = reqs.count() as usize - reqs.live().count();
    for (r, q) in reqs.live() {
        if q.reached > until {
            continue;
        }
        total += 1;
        if !reqs.is_settled(r) {
            for n in nodes {
                eprintln!("{}", n.describe());
            }
            eprintln!("{:?} {:?}", raft.elections, raft.step_downs);
            for (b, blk) in raft.blocks().iter().enumerate() {
                if blk.batch.contains(&r) {
                    eprintln!(
                        "in block {b} index {} term {} appended {} committed {}",
                        blk.index, blk.term, blk.appended_at, blk.committed_at
                    );
                }
            }
        }
        assert!(
            reqs.is_settled(r),
            "{label}: request {r} from {} at {} ns unsettled",
            q.origin,
            q.reached
        );
    }
    total
}

#[test]
fn a_leader_cut_off_with_a_minority_is_replaced_and_its_entries_overwritten() {
    let (from_s, to_s, end_s) = (10.0, 20.0, 40.0);
    let (from, to) = (from_secs(from_s), from_secs(to_s));
    let mut overwritten = 0;
    for seed in 0..12u64 {
        let orderers = if seed % 2 == 0 { 5 } else { 3 };
        // The leader in office when the partition starts (runs agree until then).
        let (_, probe, _) = run(&yaml(seed, orderers, from_s, ""));
        let &(_, old_term, old) = probe.elections.last().expect("a leader before the cut");
        // The leader, as many followers as keep its side a minority, and one plain peer.
        let mut minority: Vec<u32> = (0..orderers / 2).map(|k| (old + k) % orderers).collect();
        minority.push(VALIDATORS - 2);
        let loss = [0.0, 0.02, 0.05][seed as usize % 3];
        let faults = format!(
            "faults:\n  partitions: [{{ groups: [{minority:?}], from_s: {from_s}, to_s: {to_s} }}]\n  \
             links: {{ loss: {loss} }}\n"
        );
        let (out, raft, nodes) = run(&yaml(seed, orderers, end_s, &faults));
        let label = format!("seed {seed}, {orderers} orderers, cut off {minority:?}");
        assert!(common::metric(&out, "msgs_dropped_partition") > 0.0);
        let before: Vec<_> = raft.elections.iter().filter(|e| e.0 < from).collect();
        assert_eq!(
            before.last().map(|e| e.2),
            Some(old),
            "{label}: runs diverged"
        );

        // The majority elects a leader of its own while cut off, within the timeout bound
        // (the last heartbeat up to one period before the cut, a timeout below 2T, one split
        // vote allowed, message delays).
        let next = raft
            .elections
            .iter()
            .find(|e| e.0 >= from && !minority.contains(&e.2))
            .unwrap_or_else(|| panic!("{label}: no new leader on the majority side"));
        let bound = from_secs((HEARTBEAT_MS + 4.0 * 2.0 * ELECTION_MS) / 1e3) + 4 * D;
        assert!(
            next.0 < to && next.0 - from <= bound,
            "{label}: majority leader at {} ns",
            next.0
        );
        assert!(next.1 > old_term, "{label}");

        // The old leader kept appending what its side submitted, and none of it committed.
        let isolated: Vec<usize> = (1..raft.blocks().len())
            .filter(|&b| {
                let blk = raft.block(b as u32);
                blk.term == old_term && blk.appended_at >= from && !blk.batch.is_empty()
            })
            .collect();
        assert!(
            !isolated.is_empty(),
            "{label}: the old leader appended nothing while cut off"
        );
        for &b in &isolated {
            assert_eq!(
                raft.block(b as u32).committed_at,
                0,
                "{label}: entry {b} committed by the isolated leader"
            );
        }
        // Only acknowledgements already in flight at the cut can commit the old term's entries.
        for (b, blk) in raft.blocks().iter().enumerate() {
            if blk.term == old_term && blk.committed_at != 0 {
                assert!(
                    blk.committed_at < from + 2 * D + 1000,
                    "{label}: old-term entry {b} committed at {} ns while cut off",
                    blk.committed_at
                );
            }
        }

        // After the heal the old leader learns of the newer term at once (a heartbeat period
        // and a delay, or a few more under loss) and its entries are gone from every log.
        let down = raft
            .step_downs
            .iter()
            .find(|s| s.2 == old && s.1 > old_term)
            .unwrap_or_else(|| panic!("{label}: the old leader never stepped down"));
        assert!(
            down.0 >= to && down.0 <= to + from_secs(10.0 * HEARTBEAT_MS / 1e3) + 2 * D,
            "{label}: old leader stepped down at {} ns",
            down.0
        );
        assert_ne!(nodes[old as usize].seat.role, Role::Leader, "{label}");
        for o in &nodes[..orderers as usize] {
            for &b in &isolated {
                assert!(
                    !o.log.contains(&(b as u32)),
                    "{label}: orderer {} still holds the isolated entry {b}",
                    o.id
                );
            }
        }
        overwritten += raft.overwritten;

        let committed = check_safety(&label, &raft, &nodes, from_secs(end_s));
        assert!(committed > 50, "{label}: {committed} committed entries");
        // Everything submitted, on either side, settles once the partition heals.
        let total = check_settled(&label, &raft, &nodes, from_secs(end_s - 10.0));
        assert!(total > 150, "{label}: {total} requests");
        eprintln!(
            "{label}: new leader {} after {:.3} s; {} entries appended while cut off, none \
             committed; old leader stepped down {:.3} s after the heal; {} entries overwritten; \
             {committed} committed; {total} requests settled",
            next.2,
            (next.0 - from) as f64 / 1e9,
            isolated.len(),
            (down.0 - to) as f64 / 1e9,
            raft.overwritten
        );
    }
    assert!(overwritten > 0);
}

#[test]
fn everything_at_a_live_origin_settles_under_link_loss() {
    for seed in 0..4u64 {
        for loss in [0.0, 0.03, 0.06, 0.1] {
            let orderers = if seed % 2 == 0 { 5 } else { 3 };
            let faults = format!("faults:\n  links: {{ loss: {loss} }}\n");
            let (out, raft, nodes) = run(&yaml(seed, orderers, 60.0, &faults));
            let label = format!("seed {seed}, {orderers} orderers, loss {loss}");
            if loss > 0.0 {
                assert!(common::metric(&out, "msgs_dropped_link_loss") > 0.0);
            }
            let committed = check_safety(&label, &raft, &nodes, from_secs(60.0));
            assert!(committed > 100, "{label}: {committed} committed entries");
            let total = check_settled(&label, &raft, &nodes, from_secs(50.0));
            assert!(total > 300, "{label}: {total} requests");
            assert!(out.conservation.holds());
        }
    }
}
