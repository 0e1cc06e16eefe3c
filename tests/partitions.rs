//! The validators cut into partitions and run in windows of the lookahead on one thread
//! (`world::run_partitioned`, `sim/README.md`, validators in parallel) give the outputs of one
//! partition, byte for byte, with crashes and recoveries, a network partition and link loss,
//! with and without jitter: every message, broadcast copy and upload keeps its key whichever
//! partition sends or receives it, and `SYSTEM`'s events stay barriers.
//!
//! The family here keeps only its own node's state, as a family must to be cut: each validator
//! folds every event it handles (time, sender, content) into a digest, in order, so one event
//! handled at another time, under another key order or twice changes its digest.

mod common;

use std::collections::BTreeMap;
use unchained::consensus::{Carries, Ctx, Kind, Protocol, Report, TxIn};
use unchained::engine::{NS_PER_MS, Time};
use unchained::metrics::{Metrics, Value};
use unchained::world::{Progress, run_partitioned};

type Files = BTreeMap<String, Vec<u8>>;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Msg {
    Hello(u32),
    Echo(u32),
    Txs(u32),
}

#[derive(Clone, Copy, Debug)]
enum Timer {
    Round(u32),
    AtOnce(u32),
}

struct Node {
    id: u32,
    digest: u64,
    events: u64,
    txs: u64,
}

impl Node {
    fn note(&mut self, now: Time, what: u64) {
        self.events += 1;
        let x = self.digest.rotate_left(7) ^ now ^ what.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.digest = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
}

/// Rounds of broadcasts (to all, or to the first half: a cluster), echoes back to some senders,
/// timers due at once, and each upload's count passed to the next validator.
struct Chatter {
    n: u32,
    /// The partitions' first ids, as the world cut them.
    bounds: Vec<u32>,
}

const ROUND: Time = 40 * NS_PER_MS;

impl Protocol for Chatter {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn new_node(&self, id: u32) -> Node {
        Node {
            id,
            digest: u64::from(id),
            events: 0,
            txs: 0,
        }
    }

    fn on_start(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.note(ctx.now, 1);
        ctx.timer(NS_PER_MS * u64::from(3 + node.id % 7), Timer::Round(0));
    }

    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.note(ctx.now, 2);
        ctx.timer(NS_PER_MS, Timer::Round(0));
    }

    fn on_transactions(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        node.txs += txs.len() as u64;
        node.note(ctx.now, 3 + txs.len() as u64);
        let count = txs.len() as u32;
        ctx.send(
            (node.id + 1) % self.n,
            Msg::Txs(count),
            100 + 50 * u64::from(count),
        );
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        let what = match msg {
            Msg::Hello(r) => {
                if (from + r + node.id).is_multiple_of(4) {
                    ctx.send(from, Msg::Echo(r), 80);
                }
                u64::from(r) << 2
            }
            Msg::Echo(r) => (u64::from(r) << 2) | 1,
            Msg::Txs(c) => (u64::from(c) << 2) | 2,
        };
        node.note(ctx.now, (u64::from(from) << 40) ^ what);
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        match timer {
            Timer::Round(r) => {
                node.note(ctx.now, 5 + (u64::from(r) << 8));
                let bytes = 150 + 100 * u64::from(r % 3);
                if r % 5 == 4 {
                    ctx.broadcast_below(self.n / 2 + 1, Msg::Hello(r), bytes);
                } else {
                    ctx.broadcast(Msg::Hello(r), bytes);
                }
                if r.is_multiple_of(3) {
                    ctx.timer(0, Timer::AtOnce(r));
                }
                ctx.timer(
                    ROUND + NS_PER_MS * u64::from(node.id % 5),
                    Timer::Round(r + 1),
                );
            }
            Timer::AtOnce(r) => node.note(ctx.now, 6 + (u64::from(r) << 8)),
        }
    }

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Hello(_) => Kind::new("hello", Carries::Vote),
            Msg::Echo(_) => Kind::new("echo", Carries::Control),
            Msg::Txs(_) => Kind::new("txs", Carries::Transactions),
        }
    }

    fn partition(&mut self, bounds: &[u32]) -> bool {
        self.bounds = bounds.to_vec();
        true
    }

    fn mempool_len(&self) -> u64 {
        0
    }

    fn finish(&mut self, nodes: &[Node], _end: Time, _metrics: &mut Metrics) -> Report {
        let held = nodes.iter().map(|n| n.txs).sum();
        let events: u64 = nodes.iter().map(|n| n.events).sum();
        let summary = vec![("chatter_events".to_string(), Value::from(events))];
        Report::of_settled(&vec![0; nodes.len()], held, 0, summary)
    }
}

/// Thirteen validators, 20 s: two crash at 3 s (one for good, one back at 9 s), a third
/// crashes at 12 s; a split of 40 % from 5 s to 8 s, and 3 % loss.
fn text(jitter: bool) -> String {
    let faults = "consensus: { protocol: pbft }\nfaults:\n  crashes: [{ nodes: [4], at_s: 3 }, \
                  { nodes: [9], at_s: 3, recover_s: 9 }, { nodes: [1], at_s: 12.5 }]\n  \
                  partitions: [{ split: 0.4, from_s: 5, to_s: 8 }]\n  links: { loss: 0.03 }\n";
    let text = common::bft_yaml(13, 3.0, 20.0, 10.0, faults);
    if jitter {
        text.replace("  processing_ms: 0", "  processing_ms: 1\n  jitter: pareto")
    } else {
        text
    }
}

/// The run's output files, every validator's digest and event count, and the partitions'
/// first ids.
fn run(text: &str, partitions: u32) -> (Files, Vec<(u64, u64)>, Vec<u32>) {
    let s = common::scenario(text);
    let chatter = Chatter {
        n: s.validators.count as u32,
        bounds: vec![0],
    };
    let (out, chatter, nodes) =
        run_partitioned(&s, chatter, &Progress::hidden(), partitions).unwrap();
    let tag = format!("partitions-{partitions}-{}", text.len());
    let files = common::output_files(&out, &tag);
    let digests = nodes.iter().map(|n| (n.digest, n.events)).collect();
    (files, digests, chatter.bounds)
}

fn check(jitter: bool) {
    let text = text(jitter);
    let (one, digests, bounds) = run(&text, 1);
    assert_eq!(bounds, [0], "one partition leaves the family uncut");
    assert!(
        digests.iter().all(|&(_, events)| events > 100),
        "every validator handled events: {digests:?}"
    );
    for (k, want) in [(2, vec![0, 7]), (4, vec![0, 4, 8, 12])] {
        let (files, got, bounds) = run(&text, k);
        assert_eq!(bounds, want, "{k} partitions");
        for (v, (a, b)) in digests.iter().zip(&got).enumerate() {
            assert_eq!(a, b, "validator {v}'s events differ with {k} partitions");
        }
        assert_eq!(
            one.keys().collect::<Vec<_>>(),
            files.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &one {
            assert!(bytes == &files[name], "{name} differs with {k} partitions");
        }
    }
}

#[test]
fn partitions_without_jitter_give_the_outputs_of_one() {
    check(false);
}

#[test]
fn partitions_with_jitter_give_the_outputs_of_one() {
    check(true);
}

/// PBFT's outputs with `partitions`, the partitions' first ids checked through the requests'
/// stores being cut: the run's output files.
fn pbft(text: &str, partitions: u32, tag: &str) -> Files {
    use unchained::consensus::pbft::Pbft;
    use unchained::scenario::Consensus;
    let s = common::scenario(text);
    let Consensus::Pbft(p) = &s.consensus else {
        panic!("not pbft")
    };
    let pbft = Pbft::new(p, s.validators.count as u32).with_adversary(s.adversary.as_ref());
    let (out, pbft, _) = run_partitioned(&s, pbft, &Progress::hidden(), partitions).unwrap();
    let n = s.validators.count as u32;
    assert_eq!(
        pbft.requests().partitions() as u32,
        n.div_ceil(n.div_ceil(partitions)),
        "PBFT is cut into {partitions}"
    );
    common::output_files(&out, &format!("pbft-{tag}-{partitions}"))
}

fn pbft_check(text: &str, tag: &str) {
    let one = pbft(text, 1, tag);
    for k in [2, 4] {
        let files = pbft(text, k, tag);
        assert_eq!(
            one.keys().collect::<Vec<_>>(),
            files.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &one {
            assert!(
                bytes == &files[name],
                "{tag}: {name} differs with {k} partitions"
            );
        }
    }
}

/// The shipped scenario: a primary crash, a second crash an hour later, then the regions
/// split; two simulated hours.
#[test]
fn pbft_validators_in_partitions_give_the_outputs_of_one() {
    let text = std::fs::read_to_string("scenarios/pbft-validators.yaml").unwrap();
    pbft_check(&text, "validators");
}

/// Thirteen replicas: two crash (one back later), a split of 40 % and 3 % loss.
#[test]
fn pbft_with_crashes_a_split_and_loss_in_partitions_gives_the_outputs_of_one() {
    let faults = "consensus: { protocol: pbft, view_timeout_ms: 400 }\nfaults:\n  crashes: \
                  [{ nodes: [0], at_s: 3 }, { nodes: [9], at_s: 4, recover_s: 11 }]\n  \
                  partitions: [{ split: 0.4, from_s: 6, to_s: 9 }]\n  links: { loss: 0.03 }\n";
    let text = common::bft_yaml(13, 3.0, 20.0, 10.0, faults);
    pbft_check(&text, "faults");
}
