//! Tendermint's locking and valid-value rules under a hand-made message schedule.
//!
//! Four validators, ids 0–3 (f = 1, quorums of 3). At height 1 validator 1 proposes block A
//! in round 0. Validator 2 misses the proposal, so it prevotes nil and sees no polka;
//! validators 0, 1 and 3 see A's polka, lock on A and precommit it. Only validator 1 gathers
//! three precommits for A and decides it; from then on it is silent (crashed, within f), and
//! its round-0 prevote reaches validator 2 only after six seconds. Round 1's proposer is
//! validator 2, which knows no polka and proposes a new block B.
//!
//! The locking rule (a validator locked on A prevotes nil for any other value without a newer
//! polka) keeps validators 0 and 3 from prevoting B, which with validator 2 would be a polka
//! and a decision on B at the height validator 1 decided A. The valid-value rule (a proposer
//! that saw a polka re-proposes that value with its polka round) lets round 2's proposer,
//! validator 3, propose A again, which validator 2 (by then holding round 0's polka) accepts;
//! without it every later proposer offers a fresh block the locked validators refuse, and the
//! height never decides.
//!
//! The schedule is driven here, one message at a time, through the protocol's handlers.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use std::collections::BTreeMap;
use unchained::consensus::tendermint::{Msg, Node, Tendermint, Timer};
use unchained::consensus::{Ctx, Protocol, TxIn};
use unchained::engine::{Command, EventKey, Time, from_secs};
use unchained::metrics::Metrics;
use unchained::net::{Network, Reach};
use unchained::scenario::{self, Consensus};

enum Ev {
    Msg { to: u32, from: u32, msg: Msg },
    Timer { node: u32, timer: Timer },
}

struct Harness {
    tm: Tendermint,
    nodes: Vec<Node>,
    net: Network,
    reach: Reach,
    metrics: Metrics,
    rngs: Vec<ChaCha8Rng>,
    queue: BTreeMap<(Time, u64), Ev>,
    seq: u64,
    /// Handlers run so far: each runs under a key of its own (`Ctx::key`).
    handled: u32,
    one_way: Time,
}

/// Where the schedule sends a message: `None` drops it, `Some(t)` delivers it `t` after it
/// was sent.
fn route(from: u32, to: u32, msg: &Msg, one_way: Time) -> Option<Time> {
    if from != 1 {
        return Some(one_way);
    }
    match *msg {
        Msg::Request(_) => Some(one_way),
        Msg::Proposal { round: 0, .. } if to != 2 => Some(one_way),
        Msg::Prevote {
            height: 1,
            round: 0,
            ..
        } => Some(if to == 2 { from_secs(6.0) } else { one_way }),
        _ => None,
    }
}

impl Harness {
    fn new(one_way_ms: f64) -> Self {
        let text = format!(
            "
duration_s: 60
validators: {{ count: 4 }}
network:
  latency: {{ model: constant, one_way_ms: {one_way_ms}, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
consensus: {{ protocol: tendermint }}
"
        );
        let s = scenario::parse(&text, "test").unwrap_or_else(|e| panic!("{e}"));
        let Consensus::Tendermint(p) = &s.consensus else {
            panic!("not tendermint")
        };
        let tm = Tendermint::new(p, 4).recording();
        let nodes = (0..4).map(|v| tm.new_node(v)).collect();
        let net = Network::build(&s);
        let reach = Reach::build(&net, &[]);
        Harness {
            tm,
            nodes,
            net,
            reach,
            metrics: Metrics::new(from_secs(1.0), from_secs(60.0)),
            rngs: (0..4).map(ChaCha8Rng::seed_from_u64).collect(),
            queue: BTreeMap::new(),
            seq: 0,
            handled: 0,
            one_way: from_secs(one_way_ms / 1e3),
        }
    }

    fn push(&mut self, at: Time, ev: Ev) {
        self.seq += 1;
        self.queue.insert((at, self.seq), ev);
    }

    fn step(
        &mut self,
        now: Time,
        v: u32,
        handler: impl FnOnce(&mut Tendermint, &mut Node, &mut Ctx<Msg, Timer>),
    ) {
        let mut out = Vec::new();
        self.handled += 1;
        let mut ctx = Ctx {
            now,
            node: v,
            key: EventKey::new(now, 0, self.handled),
            rng: &mut self.rngs[v as usize],
            net: &self.net,
            reach: &self.reach,
            metrics: &mut self.metrics,
            exec: &mut unchained::ledger::Executor::default(),
            settlements: &mut Default::default(),
            out: &mut out,
        };
        handler(&mut self.tm, &mut self.nodes[v as usize], &mut ctx);
        for cmd in out {
            let sends: Vec<(u32, Msg)> = match cmd {
                Command::Send { to, msg, .. } => vec![(to, msg)],
                Command::Broadcast { msg, .. } => {
                    (0..4).filter(|&to| to != v).map(|to| (to, msg)).collect()
                }
                Command::Timer { delay, timer } => {
                    self.push(now + delay, Ev::Timer { node: v, timer });
                    continue;
                }
            };
            for (to, msg) in sends {
                if let Some(d) = route(v, to, &msg, self.one_way) {
                    self.push(now + d, Ev::Msg { to, from: v, msg });
                }
            }
        }
    }

    fn run(&mut self, until: Time) {
        let tx = TxIn {
            device: 0,
            seq: 0,
            bytes: 100,
            kind: unchained::ledger::TxKind::Reading,
            hot: false,
            created: 0,
            uploaded: 0,
        };
        for v in 0..4 {
            self.step(0, v, |p, n, c| p.on_start(n, c));
        }
        self.step(0, 1, |p, n, c| p.on_transactions(n, c, &[tx]));
        while let Some(entry) = self.queue.first_entry() {
            let (now, _) = *entry.key();
            if now > until {
                break;
            }
            match entry.remove() {
                Ev::Msg { to, from, msg } => {
                    self.step(now, to, |p, n, c| p.on_message(n, c, from, msg))
                }
                Ev::Timer { node, timer } => {
                    self.step(now, node, |p, n, c| p.on_timer(n, c, timer))
                }
            }
        }
    }
}

#[test]
fn a_locked_value_is_the_only_one_decided_and_is_re_proposed() {
    for one_way_ms in [5.0, 10.0, 40.0] {
        let mut h = Harness::new(one_way_ms);
        h.run(from_secs(40.0));
        // The schedule did what it is for: validator 1 decided round 0's block.
        let a = *h.nodes[1]
            .decided
            .get(&1)
            .unwrap_or_else(|| panic!("{one_way_ms} ms: validator 1 decided nothing"));
        assert_eq!(h.tm.block(a).round, 0);
        assert!(h.nodes[1].decided_at[&1] < from_secs(1.0));
        for v in [0u32, 2, 3] {
            let n = &h.nodes[v as usize];
            let b = *n.decided.get(&1).unwrap_or_else(|| {
                panic!(
                    "{one_way_ms} ms: validator {v} decided nothing at height 1 in 40 s (round {})",
                    n.round
                )
            });
            assert_eq!(
                b,
                a,
                "{one_way_ms} ms: validator {v} decided block {b} (round {}) where validator 1 decided {a}",
                h.tm.block(b).round
            );
        }
        let late = h.nodes.iter().map(|n| n.decided_at[&1]).max().unwrap();
        eprintln!(
            "{one_way_ms} ms: all decided block {a} by {:.2} s",
            late as f64 / 1e9
        );
    }
}
