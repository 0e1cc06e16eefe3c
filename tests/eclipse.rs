//! Eclipse attack on Nakamoto (`adversary: { kind: eclipse, … }`): validators 8 and 9 are cut
//! off from every honest peer for `[FROM_S, UNTIL_S)` and hear only attacker 7. With equal
//! hash power the bubble holds 30 % of it, so its chain falls behind the network's; blocks the
//! eclipsed nodes accept there (and the payments their merchants see confirmed in them) are
//! orphaned when the eclipse ends and they reorganise onto the honest chain.
//! The last test eclipses a Tendermint validator: the cut is the network's, for any protocol.

mod common;

use unchained::consensus::nakamoto::{Nakamoto, Node};
use unchained::consensus::tendermint::{Node as TmNode, Tendermint};
use unchained::engine::from_secs;
use unchained::ledger::BlockStore;
use unchained::metrics::RunOutput;
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

const FROM_S: f64 = 100.0;
const UNTIL_S: f64 = 700.0;
const ECLIPSED: [u32; 2] = [8, 9];
const ATTACKER: u32 = 7;

fn yaml(seed: u64, duration_s: f64, eclipse: bool) -> String {
    let adversary = if eclipse {
        format!(
            "adversary: {{ kind: eclipse, nodes: [8, 9], attackers: [{ATTACKER}], \
             from_s: {FROM_S}, until_s: {UNTIL_S} }}\n"
        )
    } else {
        String::new()
    };
    format!(
        "
seed: {seed}
duration_s: {duration_s}
validators: {{ count: 10 }}
devices:
  - count: 50
    workload: {{ model: poisson, rate_per_s: 0.02 }}
gateways: {{ count: 10 }}
network:
  latency: {{ model: constant, one_way_ms: 50, bandwidth_bps: 1.0e8 }}
  topology: {{ model: full_mesh }}
consensus: {{ protocol: nakamoto, block_interval_s: 10, confirmations: 3 }}
{adversary}"
    )
}

fn run(text: &str) -> (RunOutput, Nakamoto, Vec<Node>) {
    let s = common::scenario(text);
    let Consensus::Nakamoto(p) = &s.consensus else {
        panic!("not nakamoto")
    };
    let n = s.validators.count as u32;
    // The bubble's orphaned blocks are read after the run.
    let proto = Nakamoto::with_adversary(p, n, s.seed, s.adversary.as_ref()).keeping_block_lists();
    let (out, proto, nodes) = run_with(&s, proto, &Progress::hidden()).expect("runs");
    (out, proto, nodes)
}

fn honest(v: u32) -> bool {
    v != ATTACKER && !ECLIPSED.contains(&v)
}

/// Lowest tip height among honest nodes, highest among eclipsed ones.
fn heights(blocks: &BlockStore, nodes: &[Node]) -> (u32, u32) {
    let h = |n: &Node| blocks.get(n.tip()).height;
    let honest_min = nodes.iter().filter(|n| honest(n.id())).map(h).min();
    let eclipsed_max = nodes.iter().filter(|n| !honest(n.id())).map(h).max();
    (honest_min.expect("honest"), eclipsed_max.expect("eclipsed"))
}

/// At the end of the eclipse the eclipsed nodes' tips lag every honest tip by several blocks
/// and sit on a branch of their own; without the eclipse, the same seeds keep every tip
/// within two blocks.
#[test]
fn eclipsed_chain_falls_behind() {
    for seed in 1..5 {
        let (out, proto, nodes) = run(&yaml(seed, UNTIL_S, true));
        let blocks = proto.blocks();
        let (honest_h, eclipsed_h) = heights(blocks, &nodes);
        eprintln!("seed {seed}: honest tips >= {honest_h}, eclipsed tips <= {eclipsed_h}");
        assert!(eclipsed_h + 10 <= honest_h, "seed {seed}");
        assert!(common::metric(&out, "msgs_dropped_eclipse") > 0.0);
        let honest_tip = nodes[0].tip();
        for &v in &ECLIPSED {
            let tip = nodes[v as usize].tip();
            let fork = blocks.fork_point(tip, honest_tip);
            // The eclipsed branch holds blocks mined after the eclipse began.
            assert!(blocks.get(tip).mined_at >= from_secs(FROM_S), "seed {seed}");
            assert!(
                blocks.get(fork).height < blocks.get(tip).height,
                "seed {seed}"
            );
        }
        let (_, proto, nodes) = run(&yaml(seed, UNTIL_S, false));
        let (honest_h, eclipsed_h) = heights(proto.blocks(), &nodes);
        assert!(eclipsed_h + 2 >= honest_h, "seed {seed} without eclipse");
    }
}

/// After the eclipse the eclipsed nodes reorganise onto the honest chain: their tips end on
/// the main chain, the blocks the bubble mined during the eclipse are orphaned, and the
/// eclipsed nodes had taken payments as settled (3 confirmations) in blocks that were
/// reverted — a merchant behind an eclipsed node could be double-spent. Without the eclipse
/// far fewer settlements are reverted.
#[test]
fn eclipsed_nodes_reorganise_and_lose_settled_blocks() {
    for seed in 1..5 {
        let (out, proto, nodes) = run(&yaml(seed, UNTIL_S + 300.0, true));
        let blocks = proto.blocks();
        let main = blocks.main_chain();
        // The last block may still be in flight at the end.
        for n in &nodes {
            let tip = n.tip();
            let settled = main[tip as usize] || main[blocks.get(tip).parent as usize];
            assert!(settled, "seed {seed}: node {} off the main chain", n.id());
        }
        let orphaned = blocks
            .iter()
            .filter(|(id, b)| {
                !main[*id as usize]
                    && !honest(b.miner)
                    && (from_secs(FROM_S)..from_secs(UNTIL_S)).contains(&b.mined_at)
            })
            .count();
        // Payments reaching an eclipsed node, in orphaned blocks it saw 3 deep (the block
        // counting as one): what its merchants took as settled and the network never kept.
        let bubble_top = blocks
            .iter()
            .filter(|(id, b)| !main[*id as usize] && !honest(b.miner))
            .map(|(_, b)| b.height)
            .max()
            .unwrap_or(0);
        let lost_payments: usize = blocks
            .iter()
            .filter(|(id, b)| !main[*id as usize] && !honest(b.miner) && b.height + 2 <= bubble_top)
            .map(|(_, b)| {
                b.txs
                    .iter()
                    .filter(|t| ECLIPSED.contains(&t.origin))
                    .count()
            })
            .sum();
        let reverted = common::metric(&out, "reverted_settlements");
        let (control, _, _) = run(&yaml(seed, UNTIL_S + 300.0, false));
        let baseline = common::metric(&control, "reverted_settlements");
        eprintln!(
            "seed {seed}: bubble blocks orphaned {orphaned}, payments lost {lost_payments}, \
             reverted settlements {reverted} (without eclipse {baseline})"
        );
        assert!(lost_payments >= 10, "seed {seed}: {lost_payments}");
        assert!(orphaned >= 8, "seed {seed}: {orphaned}");
        assert!(
            reverted >= 3.0 * ECLIPSED.len() as f64,
            "seed {seed}: {reverted}"
        );
        assert!(
            reverted > 3.0 * baseline,
            "seed {seed}: {reverted} vs {baseline}"
        );
    }
}

#[test]
fn eclipse_runs_repeat_exactly() {
    let s = common::scenario(&yaml(2, UNTIL_S + 300.0, true));
    let bits = || -> Vec<(String, u64)> {
        let out = common::run(&s);
        out.summary
            .into_iter()
            .map(|(k, v)| (k, v.as_f64().to_bits()))
            .collect()
    };
    assert_eq!(bits(), bits());
}

/// The eclipse is the network's, not Nakamoto's: a Tendermint validator eclipsed from 10 s to
/// 20 s (no attackers) decides nothing meanwhile while the other three, a quorum, go on; after
/// it, catch-up brings it level with them.
#[test]
fn eclipsed_tendermint_validator_stalls_then_catches_up() {
    let text = |eclipse: &str| {
        common::bft_yaml(
            4,
            0.5,
            30.0,
            10.0,
            &format!(
                "consensus: {{ protocol: tendermint, timeout_propose_ms: 500, \
                 timeout_prevote_ms: 200, timeout_precommit_ms: 200 }}\n{eclipse}"
            ),
        )
    };
    let s = common::scenario(&text(
        "adversary: { kind: eclipse, nodes: [3], from_s: 10, until_s: 20 }\n",
    ));
    let Consensus::Tendermint(p) = &s.consensus else {
        panic!("not tendermint")
    };
    let proto = Tendermint::new(p, 4).recording();
    let (out, _, nodes) = run_with(&s, proto, &Progress::hidden()).expect("runs");
    assert!(common::metric(&out, "msgs_dropped_eclipse") > 0.0);
    let within = |n: &TmNode, from: f64, to: f64| {
        n.decided_at
            .values()
            .filter(|&&t| (from_secs(from)..from_secs(to)).contains(&t))
            .count()
    };
    // Decisions made between 10.5 s (messages in flight have landed) and 20 s.
    let eclipsed = within(&nodes[3], 10.5, 20.0);
    let others: Vec<usize> = nodes[..3].iter().map(|n| within(n, 10.5, 20.0)).collect();
    eprintln!("decisions in the eclipse: eclipsed {eclipsed}, others {others:?}");
    assert_eq!(eclipsed, 0);
    assert!(others.iter().all(|&d| d >= 5), "{others:?}");
    let heights: Vec<u64> = nodes.iter().map(|n| n.height).collect();
    assert!(heights[3] + 1 >= heights[0], "{heights:?}");
    let logs: Vec<_> = nodes.iter().map(|n| &n.decided).collect();
    common::agree(&logs).expect("agree");
}
