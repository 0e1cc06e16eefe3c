//! Casper FFG bookkeeping of one node, as the consensus specs' epoch processing
//! (`weigh_justification_and_finalization`): the last four epochs' justification bits and the
//! four finalization rules.

/// An epoch boundary block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub epoch: u64,
    pub block: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ffg {
    pub previous_justified: Checkpoint,
    pub current_justified: Checkpoint,
    pub finalized: Checkpoint,
    /// `bits[i]`: the checkpoint `i` epochs before the current one is justified.
    bits: [bool; 4],
}

/// Target stake of one epoch's attestations that voted for the node's own checkpoint.
#[derive(Clone, Copy, Debug)]
pub struct Votes {
    pub target: Checkpoint,
    pub stake: u64,
}

impl Ffg {
    pub fn genesis(block: u32) -> Self {
        let c = Checkpoint { epoch: 0, block };
        Ffg {
            previous_justified: c,
            current_justified: c,
            finalized: c,
            bits: [false; 4],
        }
    }

    /// Processes the end of `epoch`: `previous` and `current` are the votes for the
    /// checkpoints of `epoch − 1` and `epoch`. Returns the newly finalized checkpoint, if any.
    pub fn end_epoch(
        &mut self,
        epoch: u64,
        previous: Option<Votes>,
        current: Votes,
        total: u64,
    ) -> Option<Checkpoint> {
        let supermajority = |stake: u64| stake as u128 * 3 >= total as u128 * 2;
        let old_previous = self.previous_justified;
        let old_current = self.current_justified;
        self.previous_justified = self.current_justified;
        self.bits = [false, self.bits[0], self.bits[1], self.bits[2]];
        if let Some(v) = previous
            && supermajority(v.stake)
        {
            self.current_justified = v.target;
            self.bits[1] = true;
        }
        if supermajority(current.stake) {
            self.current_justified = current.target;
            self.bits[0] = true;
        }
        let b = self.bits;
        let before = self.finalized;
        // The four rules of the specification, in its order; a later rule overrides.
        if b[1] && b[2] && b[3] && old_previous.epoch + 3 == epoch {
            self.finalized = old_previous;
        }
        if b[1] && b[2] && old_previous.epoch + 2 == epoch {
            self.finalized = old_previous;
        }
        if b[0] && b[1] && b[2] && old_current.epoch + 2 == epoch {
            self.finalized = old_current;
        }
        if b[0] && b[1] && old_current.epoch + 1 == epoch {
            self.finalized = old_current;
        }
        (self.finalized.epoch > before.epoch).then_some(self.finalized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(epoch: u64) -> Checkpoint {
        Checkpoint {
            epoch,
            block: epoch as u32 * 10,
        }
    }

    fn votes(epoch: u64, stake: u64) -> Votes {
        Votes {
            target: cp(epoch),
            stake,
        }
    }

    #[test]
    fn full_votes_finalize_each_checkpoint_one_epoch_after_the_next_is_justified() {
        let mut f = Ffg::genesis(0);
        assert_eq!(f.end_epoch(0, None, votes(0, 100), 100), None);
        assert_eq!(
            f.end_epoch(1, Some(votes(0, 100)), votes(1, 100), 100),
            None
        );
        assert_eq!(f.current_justified, cp(1));
        assert_eq!(
            f.end_epoch(2, Some(votes(1, 100)), votes(2, 100), 100),
            Some(cp(1))
        );
        assert_eq!(
            f.end_epoch(3, Some(votes(2, 100)), votes(3, 100), 100),
            Some(cp(2))
        );
    }

    #[test]
    fn two_thirds_is_the_threshold() {
        let mut f = Ffg::genesis(0);
        for e in 0..6 {
            let prev = (e > 0).then(|| votes(e - 1, 66));
            assert_eq!(f.end_epoch(e, prev, votes(e, 66), 100), None);
        }
        assert_eq!(f.current_justified, cp(0));
        let mut g = Ffg::genesis(0);
        let mut finalized = 0;
        for e in 0..6 {
            let prev = (e > 0).then(|| votes(e - 1, 67));
            finalized += g.end_epoch(e, prev, votes(e, 67), 100).is_some() as u32;
        }
        assert_eq!(finalized, 4);
    }

    #[test]
    fn late_votes_justify_through_the_previous_epoch_and_finalize_later() {
        // Current-epoch votes always fall short (the last slots' votes are not yet included);
        // the previous epoch's complete votes justify it one epoch late.
        let mut f = Ffg::genesis(0);
        let mut finals = Vec::new();
        for e in 0..6 {
            let prev = (e > 0).then(|| votes(e - 1, 80));
            if let Some(c) = f.end_epoch(e, prev, votes(e, 50), 100) {
                finals.push((e, c.epoch));
            }
        }
        // Checkpoint e is justified at the end of e + 1; it becomes the source of a chain of
        // three justified epochs only at the end of e + 3 (rule b[1] && b[2] && b[3]).
        assert_eq!(finals, [(4, 1), (5, 2)]);
    }
}
