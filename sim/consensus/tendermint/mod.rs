//! Tendermint (Buchman, Kwon & Milosevic, "The latest gossip on BFT consensus", 2018), with
//! crash faults and the Byzantine validators of `adversary: { kind: byzantine, … }`.
//!
//! `n` validators, `f = ⌊(n − 1)/3⌋`, quorums `q = ⌈(n + f + 1)/2⌉` (`2f + 1` when
//! `n = 3f + 1`). Each height decides one block in one or more rounds; the proposer of round
//! `r` at height `h` is validator `(h + r) mod n`. A round runs propose → prevote → precommit:
//! the proposer multicasts a block (its `validValue` if it has one, else a new batch); a
//! validator prevotes it unless locked on another value since a later round; `q` prevotes for
//! a block (a *polka*) make a validator lock on it (`lockedValue`, `lockedRound`), remember it
//! as `validValue` and precommit it; `q` precommits for a block decide it. Votes are
//! multicast, so every step is all-to-all. Timeouts: `timeout_propose` (no proposal: prevote
//! nil), `timeout_prevote` (after any `q` prevotes without a polka: precommit nil),
//! `timeout_precommit` (after any `q` precommits without a decision: next round), each
//! growing by `timeout_delta` per round; `f + 1` messages of a later round make a validator
//! skip to it. A crashed proposer is thus replaced only after its round's timeouts.
//!
//! *Requests:* the origin multicasts each request to all validators, since proposers rotate;
//! a proposer proposes only while requests wait, so an idle network sends nothing. Blocks live
//! in a shared store (block parts are not modelled as messages), released with the requests
//! once every validator that can still run has decided past them (`store.rs`). Gossip is modelled by two
//! catch-up paths: a validator stuck in a step re-sends its votes of the round every
//! `timeout_prevote`, and a validator hearing from one at a lower height sends it the
//! decisions it missed (each carries its commit certificate). A transaction is **settled** when
//! its origin commits it. The summary adds `tendermint_*` message counts.
//!
//! *Byzantine validators.* An equivocating proposer sends one block to one half of the honest
//! validators and a conflicting one (the same requests in reverse order, or an empty block
//! when it has a single request) to the other, the Byzantine validators getting both; an
//! equivocating validator prevotes and precommits at once every proposal of its height it
//! sees, each value's votes going to the honest half that got that value (and to every
//! Byzantine validator), so each honest validator hears one vote per step from it. A
//! withholding validator sends no prevote or precommit. Both otherwise track heights like the
//! honest ones so they keep taking part. Votes are counted per sender: a second vote of one
//! sender in one step and round is ignored.

mod decide;
mod equivocation;
mod messages;
mod rounds;
mod store;
mod votes;

use super::byzantine::Byzantine;
use super::pbft::requests::{Executed, ReqId, Requests};
use super::rows::Rows;
use super::{Carries, Ctx, Kind, Protocol, Report, TxIn, decided};
use crate::engine::{Time, from_secs};
use crate::metrics::{LeaderRow, Metrics, Value};
use crate::scenario;
use std::collections::{BTreeMap, BTreeSet};
pub use store::Block;
use store::{Blocks, FirstExecuted, KEEP};
use votes::HeightVotes;
pub use votes::NIL;

const VOTE_BYTES: u64 = 100;
/// Decisions sent in one catch-up reply, at most.
const CATCH_UP_MAX: u64 = 64;
/// Messages for the next height buffered per validator, at most (per peer, four).
const BUFFER_PER_PEER: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Request(ReqId),
    Proposal {
        height: u64,
        round: u64,
        block: u32,
        pol_round: Option<u64>,
    },
    Prevote {
        height: u64,
        round: u64,
        value: u32,
    },
    Precommit {
        height: u64,
        round: u64,
        value: u32,
    },
    /// The sender is at this height and asks for the decisions from it on.
    Behind(u64),
    /// A decided block (its height, its id) with its commit certificate.
    Decision(u64, u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Propose,
    Prevote,
    Precommit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Propose {
        height: u64,
        round: u64,
    },
    Prevote {
        height: u64,
        round: u64,
    },
    Precommit {
        height: u64,
        round: u64,
    },
    /// Re-send this round's votes if still in the same step.
    Resend {
        height: u64,
        round: u64,
        step: Step,
    },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub request: u64,
    pub proposal: u64,
    pub prevote: u64,
    pub precommit: u64,
    pub catch_up: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.request + self.proposal + self.prevote + self.precommit + self.catch_up
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: u32,
    pub height: u64,
    pub round: u64,
    pub step: Step,
    locked: Option<(u32, u64)>,
    valid: Option<(u32, u64)>,
    /// Votes and proposals of every round of the current height.
    votes: HeightVotes,
    /// Decisions: height → block, and when; those at or below the floor (see `store.rs`) go
    /// unless the protocol is recording.
    pub decided: BTreeMap<u64, u32>,
    pub decided_at: BTreeMap<u64, Time>,
    waiting: BTreeSet<ReqId>,
    /// Proposer of the current round with nothing to propose yet.
    idle_proposer: bool,
    propose_armed: bool,
    prevote_armed: bool,
    precommit_armed: bool,
    polka_seen: bool,
    /// Messages for the next height, replayed when it starts.
    next: Vec<(u32, Msg)>,
    /// Decisions received for heights above the current one.
    pending: BTreeMap<u64, u32>,
    /// Per peer: the height last helped with, and when.
    helped: Vec<(u64, Time)>,
    /// Per peer: the height last asked for, and when.
    asked: Vec<(u64, Time)>,
    resends: u32,
    /// Equivocating validators: the (round, block) pairs of this height already voted for.
    equivocated: BTreeSet<(u64, u32)>,
    /// How much of the protocol's log of first executions this node has read.
    first_seen: u64,
    /// Requests read from that log, first executed above this node's height: they leave
    /// `waiting` when it decides that height.
    executed_above: BTreeMap<u64, Vec<ReqId>>,
}

pub struct Tendermint {
    params: scenario::Tendermint,
    n: u32,
    f: u32,
    q: u32,
    requests: Requests,
    blocks: Blocks,
    pub counts: Counts,
    decided: u64,
    /// Rounds begun beyond round 0, over all validators and heights.
    pub round_changes: u64,
    /// `(time, height, proposer)` of every proposal of a round after the first at its
    /// height: a proposer taking over after the rounds before it failed (the `leaders`
    /// table).
    takeovers: Vec<(Time, u64, u32)>,
    settled: Vec<u64>,
    byz: Byzantine,
    first_executed: FirstExecuted,
    /// Heights each validator has decided through, and entries of `first_executed` it has
    /// read (`u64::MAX` once down for good).
    exec: Executed,
    seen: Executed,
    /// Decisions at or below this height are released (see `store.rs`).
    floor: u64,
    /// The `blocks` rows, built as validators decide.
    rows: Rows<u64>,
    /// Keep every decision and block (`Node::decided`, `Node::decided_at`, `block`).
    recording: bool,
    /// Decisions the validators hold, and the most decision state (those, blocks, log
    /// entries and open rows) held at once.
    held: usize,
    peak_held: usize,
}

impl Tendermint {
    pub fn new(params: &scenario::Tendermint, n: u32) -> Self {
        let f = (n - 1) / 3;
        Tendermint {
            params: params.clone(),
            n,
            f,
            q: (n + f + 1).div_ceil(2),
            requests: Requests::releasing(),
            blocks: Blocks::default(),
            counts: Counts::default(),
            decided: 0,
            round_changes: 0,
            takeovers: Vec::new(),
            settled: vec![0; n as usize],
            byz: Byzantine::default(),
            first_executed: FirstExecuted::default(),
            exec: Executed::new(n),
            seen: Executed::new(n),
            floor: 0,
            rows: Rows::new(n),
            recording: false,
            held: 0,
            peak_held: 0,
        }
    }

    /// The protocol with the Byzantine validators `adversary` names (other adversaries: none).
    pub fn with_adversary(mut self, adversary: Option<&scenario::Adversary>) -> Self {
        self.byz = Byzantine::new(adversary, self.n);
        let byz = self.byz.clone();
        self.rows = Rows::new(self.n).judging(|r| byz.is_honest(r));
        self
    }

    /// The protocol keeping every validator's decisions and every block, which a run
    /// otherwise lets go once no live validator can need them; for checks over the whole run.
    pub fn recording(mut self) -> Self {
        self.recording = true;
        self.blocks.keep_all();
        self
    }

    /// The most decision state held at once: decisions validators hold, blocks kept, entries
    /// of the log of first executions and `blocks` rows not yet decided by every live
    /// validator.
    pub fn peak_decision_state(&self) -> usize {
        self.peak_held
    }

    fn note_held(&mut self) {
        let now = self.held + self.blocks.len() + self.first_executed.len() + self.rows.open_len();
        self.peak_held = self.peak_held.max(now);
    }

    pub fn byzantine(&self) -> &Byzantine {
        &self.byz
    }

    /// Heights decided (by at least one validator).
    pub fn decisions(&self) -> u64 {
        self.decided
    }

    /// A block still kept (every block when recording).
    pub fn block(&self, b: u32) -> &Block {
        self.blocks.get(b)
    }

    pub fn requests(&self) -> &Requests {
        &self.requests
    }

    pub fn proposer(&self, height: u64, round: u64) -> u32 {
        ((height + round) % u64::from(self.n)) as u32
    }

    fn timeout(&self, base_ms: f64, round: u64) -> Time {
        from_secs(base_ms / 1e3) + round * from_secs(self.params.timeout_delta_ms / 1e3)
    }
}

impl Protocol for Tendermint {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Request(_) => Kind::new("request", Carries::Transactions),
            Msg::Proposal { .. } => Kind::new("proposal", Carries::Block),
            Msg::Prevote { .. } => Kind::new("prevote", Carries::Vote),
            Msg::Precommit { .. } => Kind::new("precommit", Carries::Vote),
            Msg::Behind(_) => Kind::new("behind", Carries::Control),
            Msg::Decision(..) => Kind::new("decision", Carries::Block),
        }
    }

    fn new_node(&self, id: u32) -> Node {
        Node {
            id,
            height: 1,
            round: 0,
            step: Step::Propose,
            locked: None,
            valid: None,
            votes: HeightVotes::new(self.n, id),
            decided: BTreeMap::new(),
            decided_at: BTreeMap::new(),
            waiting: BTreeSet::new(),
            idle_proposer: self.proposer(1, 0) == id,
            propose_armed: false,
            prevote_armed: false,
            precommit_armed: false,
            polka_seen: false,
            next: Vec::new(),
            pending: BTreeMap::new(),
            helped: vec![(0, 0); self.n as usize],
            asked: vec![(0, 0); self.n as usize],
            resends: 0,
            equivocated: BTreeSet::new(),
            first_seen: 0,
            executed_above: BTreeMap::new(),
        }
    }

    fn on_start(&mut self, _node: &mut Node, _ctx: &mut Ctx<Msg, Timer>) {}

    fn on_down_for_good(&mut self, node: &mut Node, _now: Time) {
        self.rows.down_for_good(node.id);
        if let Some(upto) = self.seen.advance(node.id, u64::MAX) {
            self.first_executed.release(upto);
        }
        if let Some(everywhere) = self.exec.advance(node.id, u64::MAX) {
            self.release_below(everywhere);
        }
        if !self.recording {
            // It helps no one again.
            self.held -= node.decided.len();
            node.decided.clear();
            node.decided_at.clear();
        }
    }

    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        match node.step {
            Step::Propose => {
                node.propose_armed = false;
                if self.proposer(node.height, node.round) != node.id
                    && (!node.waiting.is_empty() || node.round > 0)
                {
                    self.arm_propose(node, ctx);
                }
            }
            Step::Prevote | Step::Precommit => {
                node.resends = 0;
                self.arm_resend(node, ctx);
            }
        }
        node.prevote_armed = false;
        node.precommit_armed = false;
        self.advance(node, ctx);
    }

    fn on_transactions(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        if txs.is_empty() {
            return;
        }
        let r = self.requests.add(node.id, txs, ctx);
        self.multicast(ctx, Msg::Request(r));
        self.learn(node, ctx, r);
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        self.receive(node, ctx, from, msg);
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        let here = |h: u64, r: u64| h == node.height && r == node.round;
        match timer {
            Timer::Propose { height, round } => {
                if here(height, round) && node.step == Step::Propose {
                    self.cast(node, ctx, false, NIL);
                    self.advance(node, ctx);
                }
            }
            Timer::Prevote { height, round } => {
                if here(height, round) && node.step == Step::Prevote {
                    self.cast(node, ctx, true, NIL);
                    self.advance(node, ctx);
                }
            }
            Timer::Precommit { height, round } => {
                if here(height, round) {
                    self.start_round(node, ctx, round + 1);
                    self.advance(node, ctx);
                }
            }
            Timer::Resend {
                height,
                round,
                step,
            } => {
                if !here(height, round) || node.step != step {
                    return;
                }
                let round = node.round;
                let (pv, pc) = (node.votes.own(round, false), node.votes.own(round, true));
                if let Some(value) = pv {
                    let msg = Msg::Prevote {
                        height,
                        round,
                        value,
                    };
                    self.resend(ctx, msg);
                }
                if let Some(value) = pc {
                    let msg = Msg::Precommit {
                        height,
                        round,
                        value,
                    };
                    self.resend(ctx, msg);
                }
                node.resends += 1;
                self.arm_resend(node, ctx);
            }
        }
    }

    fn vote_usage(&self, nodes: &[Node]) -> super::quorum::Usage {
        nodes.iter().map(|n| n.votes.usage()).sum()
    }

    fn spill_rows(&mut self, to: &crate::metrics::spill::Spill) {
        self.rows.spill_to(to);
    }

    fn mempool_len(&self) -> u64 {
        self.requests.unincluded()
    }

    fn finish(&mut self, nodes: &[Node], _end: Time, _metrics: &mut Metrics) -> Report {
        let c = self.counts;
        let blocks = self.rows.finish();
        let height = nodes.iter().map(|n| n.height).max().unwrap_or(0);
        let mut summary = decided::summary(
            "tendermint",
            self.decided,
            vec![
                ("tendermint_final_height".into(), Value::from(height)),
                (
                    "tendermint_round_changes".into(),
                    Value::from(self.round_changes),
                ),
            ],
            &[
                ("request", c.request),
                ("proposal", c.proposal),
                ("prevote", c.prevote),
                ("precommit", c.precommit),
                ("catch_up", c.catch_up),
            ],
        );
        summary.extend(self.byz.rows_of(self.rows.conflicting()));
        let equivocations = Value::from(self.blocks.equivocations());
        summary.push(("byzantine_equivocations".into(), equivocations));
        let mut report = decided::report(
            &self.requests,
            &self.settled[..self.n as usize],
            blocks,
            summary,
        );
        report.leaders = Some(LeaderRow::table(&[("round_change", &self.takeovers)]));
        report
    }
}
