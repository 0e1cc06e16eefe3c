//! The notary's `blocks` rows. The notary decides transactions one at a time, so each signed
//! transaction is a row: the record every cluster member adds to its uniqueness log
//! (`NOTARY_LOG_BYTES`, the same bytes the storage figure counts), at the height the cluster
//! ordered it (Raft log index, PBFT sequence, or the single notary's signing order), proposed
//! by the member that ordered it, with the time until half, nine tenths and all of the members
//! had applied it (Raft: applied the committed entry; PBFT: the leader executed it, a backup
//! learned it executed from the leader's next pre-prepare or new view).
//!
//! A row stays open only until its last member applies it, and rows still open at the end are
//! closed then, so what is kept beyond the output is the transactions in flight.

use super::NOTARY_LOG_BYTES;
use crate::consensus::decided::Batch;
use crate::consensus::rows;
use crate::engine::Time;
use crate::metrics::BlockRow;

/// Open rows by transaction (a row's block is its transaction), and the most open at once.
pub struct Rows(pub(super) rows::Rows<u32>, usize);

impl Rows {
    pub fn new(members: u32) -> Self {
        Rows(rows::Rows::new(members), 0)
    }

    /// Member `proposer` ordered transaction `t` at `height`. An order no member applied yet
    /// is replaced (a new leader ordered the request again after the first order was lost).
    pub fn proposed(&mut self, t: u32, height: u64, proposer: u32, at: Time) {
        if self.0.get(&t).is_some_and(|o| o.is_applied()) {
            return;
        }
        let info = Batch {
            proposer,
            proposed_at: at,
            bytes: NOTARY_LOG_BYTES,
            tx_count: 1,
        };
        self.0.open(t, height, t, info);
        self.1 = self.1.max(self.0.open_len());
    }

    /// `member` applied `t`, ordered at `height`, and found it valid (it is signed). Applying
    /// another order of `t`, or applying it again, changes nothing.
    pub fn applied(&mut self, t: u32, height: u64, member: u32, at: Time) {
        let Some(o) = self.0.get(&t) else {
            return;
        };
        if o.height != height || o.applied_by(member) {
            return;
        }
        self.0.applied(t, height, (member, t, at), || {
            unreachable!("an order carries its batch")
        });
    }

    /// `t` was rejected: it is no record of the uniqueness log.
    pub fn rejected(&mut self, t: u32) {
        if self.0.get(&t).is_some_and(|o| !o.is_applied()) {
            self.0.remove(&t);
        }
    }

    /// `member` is down for good: rows close once every other member applied them, as the
    /// batch families' rows do (`consensus::rows`), instead of waiting for the end of the run.
    pub fn down_for_good(&mut self, member: u32) {
        self.0.down_for_good(member);
    }

    /// Rows open now: transactions ordered that some live member has yet to apply.
    pub fn open_len(&self) -> usize {
        self.0.open_len()
    }

    /// The most rows open at once.
    pub fn peak_open(&self) -> usize {
        self.1
    }

    /// Every row, by height: the closed ones and those some member applied by the end.
    /// Orders no member applied are dropped (never signed, or replaced by another order).
    pub fn finish(&mut self) -> Vec<BlockRow> {
        self.0.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_closes_when_its_last_member_applies_and_reorders_replace_unapplied_ones() {
        let mut rows = Rows::new(3);
        rows.proposed(7, 1, 0, 100);
        // Lost before any member applied it: the next leader orders it at height 2.
        rows.proposed(7, 2, 1, 150);
        rows.applied(7, 1, 1, 160);
        rows.applied(7, 2, 1, 170);
        rows.applied(7, 2, 1, 175);
        rows.applied(7, 2, 2, 180);
        assert_eq!(rows.0.open_len(), 1);
        rows.proposed(7, 3, 2, 190);
        rows.applied(7, 2, 0, 250);
        assert_eq!(rows.0.open_len(), 0);
        rows.proposed(8, 3, 1, 300);
        rows.applied(8, 3, 1, 310);
        rows.proposed(9, 4, 1, 320);
        rows.rejected(9);
        rows.proposed(10, 5, 1, 330);
        let out = rows.finish();
        assert_eq!(out.len(), 2);
        let r = &out[0];
        assert_eq!((r.block, r.height, r.miner, r.tx_count), (7, 2, 1, 1));
        assert_eq!(r.size_bytes, NOTARY_LOG_BYTES);
        // Two of three members (ceil of half) by 180, all three by 250, proposed at 150.
        assert_eq!(r.propagation_50_s, Some(crate::engine::to_secs(30)));
        assert_eq!(r.propagation_100_s, Some(crate::engine::to_secs(100)));
        // Still open at the end: one member of three applied it.
        assert_eq!((out[1].block, out[1].height), (8, 3));
        assert_eq!(out[1].propagation_50_s, None);
    }
}
