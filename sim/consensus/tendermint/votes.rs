//! The votes one validator has received for one round of its current height.

use std::collections::BTreeMap;

/// A vote for no value.
pub const NIL: u32 = u32::MAX;
/// No vote received from that validator.
const NONE: u32 = u32::MAX - 1;

#[derive(Clone, Debug)]
pub struct RoundVotes {
    prevote: Vec<u32>,
    precommit: Vec<u32>,
    prevotes: u32,
    precommits: u32,
    /// Votes per (step, value); step is `true` for precommits.
    tally: BTreeMap<(bool, u32), u32>,
    /// The proposal received for this round: block and its proof-of-lock round.
    pub proposal: Option<(u32, Option<u64>)>,
}

impl RoundVotes {
    pub fn new(n: u32) -> Self {
        RoundVotes {
            prevote: vec![NONE; n as usize],
            precommit: vec![NONE; n as usize],
            prevotes: 0,
            precommits: 0,
            tally: BTreeMap::new(),
            proposal: None,
        }
    }

    /// Records a vote; false if the sender already voted in this step.
    pub fn add(&mut self, precommit: bool, from: u32, value: u32) -> bool {
        let (list, total) = if precommit {
            (&mut self.precommit, &mut self.precommits)
        } else {
            (&mut self.prevote, &mut self.prevotes)
        };
        if list[from as usize] != NONE {
            return false;
        }
        list[from as usize] = value;
        *total += 1;
        *self.tally.entry((precommit, value)).or_default() += 1;
        true
    }

    pub fn total(&self, precommit: bool) -> u32 {
        if precommit {
            self.precommits
        } else {
            self.prevotes
        }
    }

    /// Votes for `value` (a block or [`NIL`]).
    pub fn count(&self, precommit: bool, value: u32) -> u32 {
        self.tally.get(&(precommit, value)).copied().unwrap_or(0)
    }

    /// The value, other than nil, with at least `q` votes.
    pub fn quorum_value(&self, precommit: bool, q: u32) -> Option<u32> {
        self.tally
            .range((precommit, 0)..(precommit, NIL))
            .find(|&(_, &c)| c >= q)
            .map(|(&(_, v), _)| v)
    }

    /// Validators heard from in this round.
    pub fn senders(&self) -> u32 {
        self.prevote
            .iter()
            .zip(&self.precommit)
            .filter(|&(&a, &b)| a != NONE || b != NONE)
            .count() as u32
    }

    /// This validator's own vote in a step, if cast.
    pub fn own(&self, precommit: bool, id: u32) -> Option<u32> {
        let v = if precommit {
            self.precommit[id as usize]
        } else {
            self.prevote[id as usize]
        };
        (v != NONE).then_some(v)
    }
}
