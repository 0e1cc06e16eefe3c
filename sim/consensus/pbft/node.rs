//! One replica's own state.

use super::Counts;
use super::requests::ReqId;
use crate::consensus::quorum::Tally;
use crate::engine::Time;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// What a replica holds for one sequence number in the view it last accepted a proposal in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub view: u64,
    pub batch: u32,
    pub prepared: bool,
}

impl Slot {
    pub fn new(view: u64, batch: u32) -> Self {
        Slot {
            view,
            batch,
            prepared: false,
        }
    }
}

/// The two voting phases of a slot, in the order a replica passes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Prepare,
    Commit,
}

/// A vote's key: sequence number first, so executing a slot releases a prefix.
type VoteKey = (u64, u64, u32, Phase);

#[derive(Clone, Debug)]
pub struct Node {
    pub id: u32,
    pub view: u64,
    /// False while changing to `view`.
    pub active: bool,
    /// Every sequence number up to this one is executed.
    pub exec_upto: u64,
    pub slots: BTreeMap<u64, Slot>,
    /// Votes by `(seq, view, batch, phase)`, for sequence numbers not yet executed. PBFT
    /// counts messages, not senders: a replica sends one vote per phase of a slot.
    pub votes: Tally<VoteKey>,
    /// Decisions this replica made: sequence number → batch, for those above what every
    /// replica that can still ask for them has executed (`Pbft::floor`).
    pub decisions: BTreeMap<u64, u32>,
    /// The decisions at or below this sequence number were dropped from `decisions`.
    pub released_upto: u64,
    /// Every decision this replica made, and when: kept only when recording (`Pbft::recording`).
    pub decided: BTreeMap<u64, u32>,
    pub decided_at: BTreeMap<u64, Time>,
    /// Decisions that contradicted an earlier one of this replica (must stay zero).
    pub conflicts: u64,
    /// Requests this replica knows of and has not executed.
    pub waiting: BTreeSet<ReqId>,
    /// Requests this replica is the origin of, not yet executed here.
    pub own: BTreeSet<ReqId>,
    // As primary:
    /// Requests to propose, with their transaction counts (a request may be released while
    /// queued; its count still shapes the batches).
    pub queue: VecDeque<(ReqId, u32)>,
    pub queued: BTreeSet<ReqId>,
    pub queue_tx: u64,
    pub batch_timer: bool,
    pub next_seq: u64,
    // Timers and view changes:
    pub epoch: u32,
    /// View changes attempted since the last execution (the timeout doubles with each).
    pub attempts: u32,
    /// View-change messages received, by target view.
    pub vc: BTreeMap<u64, Vec<u64>>,
    pub new_view_id: Option<u64>,
    pub asked_view: u64,
    /// Pre-prepares of views this replica has not installed yet.
    pub future: Vec<(u64, u64, u32, u32)>,
    /// A replica that sent a commit for a slot this replica has not executed.
    pub helper: u32,
    pub gap_timer: u64,
    // What this replica alone counts, summed over replicas at the end, so that the counts
    // stay with the replica wherever it runs (`sim/README.md`, validators in parallel):
    /// Messages it sent, by kind.
    pub sent: Counts,
    /// Transactions of requests it originated that it settled.
    pub settled: u64,
    /// Records it made (state transfers, view changes, new views): the next one's number, its
    /// id being `(id, number)` ([`Node::record_id`]).
    pub records_made: u32,
    /// `(time, view)` of every `NEW-VIEW` it sent: it took over as primary (the `leaders`
    /// table).
    pub took_over: Vec<(Time, u64)>,
}

impl Node {
    pub fn new(id: u32) -> Self {
        Node {
            id,
            view: 0,
            active: true,
            exec_upto: 0,
            slots: BTreeMap::new(),
            votes: Tally::counting(),
            decisions: BTreeMap::new(),
            released_upto: 0,
            decided: BTreeMap::new(),
            decided_at: BTreeMap::new(),
            conflicts: 0,
            waiting: BTreeSet::new(),
            own: BTreeSet::new(),
            queue: VecDeque::new(),
            queued: BTreeSet::new(),
            queue_tx: 0,
            batch_timer: false,
            next_seq: 0,
            epoch: 0,
            attempts: 0,
            vc: BTreeMap::new(),
            new_view_id: None,
            asked_view: 0,
            future: Vec::new(),
            helper: id,
            gap_timer: 0,
            sent: Counts::default(),
            settled: 0,
            records_made: 0,
            took_over: Vec::new(),
        }
    }

    /// The id of the next record this replica makes: its own id and count, so that no counter
    /// is shared between replicas (ids only name records; they reach no output).
    pub fn record_id(&mut self) -> u64 {
        let k = self.records_made;
        self.records_made += 1;
        (u64::from(self.id) << 32) | u64::from(k)
    }

    pub fn vote(&mut self, view: u64, seq: u64, batch: u32, phase: Phase, from: u32) {
        self.votes.add((seq, view, batch, phase), from);
    }

    pub fn votes_for(&self, view: u64, seq: u64, batch: u32, phase: Phase) -> u32 {
        self.votes.count(&(seq, view, batch, phase))
    }

    /// Drops per-slot state of executed sequence numbers, and the decisions at or below
    /// `floor`, which every replica that can still ask for them has executed. Returns how
    /// many decisions went.
    pub fn prune(&mut self, floor: u64) -> usize {
        let keep = self.exec_upto + 1;
        self.slots = self.slots.split_off(&keep);
        self.votes.release_below(&(keep, 0, 0, Phase::Prepare));
        let before = self.decisions.len();
        if self
            .decisions
            .first_key_value()
            .is_some_and(|(&s, _)| s <= floor)
        {
            self.decisions = self.decisions.split_off(&floor.saturating_add(1));
            self.released_upto = self.released_upto.max(floor.min(self.exec_upto));
        }
        before - self.decisions.len()
    }
}
