//! The votes one validator has received at its current height, over all its rounds: released
//! together when the height is decided.

use crate::consensus::quorum::Tally;

/// A vote for no value.
pub const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct HeightVotes {
    me: u32,
    /// Who voted in each (round, step), each sender once; step is `true` for precommits. A
    /// second vote of one sender in one step and round is ignored, whatever its value.
    voted: Tally<(u64, bool)>,
    /// Votes per (round, step, value).
    values: Tally<(u64, bool, u32)>,
    /// The proposal received in each round: block and its proof-of-lock round.
    proposals: Vec<(u64, (u32, Option<u64>))>,
    /// This validator's own votes, by (round, step).
    own: Vec<((u64, bool), u32)>,
}

impl HeightVotes {
    pub fn new(n: u32, me: u32) -> Self {
        HeightVotes {
            me,
            voted: Tally::per_sender(n),
            values: Tally::counting(),
            proposals: Vec::new(),
            own: Vec::new(),
        }
    }

    /// Records a vote; false if the sender already voted in this step of this round.
    pub fn add(&mut self, round: u64, precommit: bool, from: u32, value: u32) -> bool {
        if self.voted.add((round, precommit), from).is_none() {
            return false;
        }
        self.values.add((round, precommit, value), from);
        if from == self.me {
            self.own.push(((round, precommit), value));
        }
        true
    }

    /// Votes cast in a step of a round.
    pub fn total(&self, round: u64, precommit: bool) -> u32 {
        self.voted.count(&(round, precommit))
    }

    /// Votes for `value` (a block or [`NIL`]) in a step of a round.
    pub fn count(&self, round: u64, precommit: bool, value: u32) -> u32 {
        self.values.count(&(round, precommit, value))
    }

    /// The value, other than nil, with at least `q` votes in a step of a round.
    pub fn quorum_value(&self, round: u64, precommit: bool, q: u32) -> Option<u32> {
        self.values
            .range((round, precommit, 0)..(round, precommit, NIL))
            .find(|&(_, c)| c >= q)
            .map(|((_, _, v), _)| v)
    }

    /// The block with `q` precommits in the earliest round that has one.
    pub fn decided(&self, q: u32) -> Option<u32> {
        self.values
            .range(..)
            .find(|&((_, precommit, v), c)| precommit && v != NIL && c >= q)
            .map(|((_, _, v), _)| v)
    }

    /// The latest round after `round` in which more than `f` validators were heard from.
    pub fn later_round(&self, round: u64, f: u32) -> Option<u64> {
        let mut last = None;
        for ((r, _), _) in self.voted.range((round + 1, false)..).rev() {
            if last == Some(r) {
                continue;
            }
            last = Some(r);
            if self.voted.senders_of_either(&(r, false), &(r, true)) > f {
                return Some(r);
            }
        }
        None
    }

    pub fn proposal(&self, round: u64) -> Option<(u32, Option<u64>)> {
        self.proposals
            .iter()
            .find(|&&(r, _)| r == round)
            .map(|&(_, p)| p)
    }

    /// Records the round's proposal; false if it already has one.
    pub fn set_proposal(&mut self, round: u64, p: (u32, Option<u64>)) -> bool {
        if self.proposal(round).is_some() {
            return false;
        }
        self.proposals.push((round, p));
        true
    }

    /// This validator's own vote in a step of a round, if cast.
    pub fn own(&self, round: u64, precommit: bool) -> Option<u32> {
        self.own
            .iter()
            .find(|&&(k, _)| k == (round, precommit))
            .map(|&(_, v)| v)
    }

    /// The height is decided: every vote is released.
    pub fn clear(&mut self) {
        self.voted.clear();
        self.values.clear();
        self.proposals.clear();
        self.own.clear();
    }

    /// What the votes hold; the proposal and own-vote lists (a few entries per round) apart.
    pub fn usage(&self) -> crate::consensus::quorum::Usage {
        self.voted.usage() + self.values.usage()
    }
}
