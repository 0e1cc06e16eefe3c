//! `blocks` rows built as decisions are applied, so that what is kept beyond the output is
//! the decisions some live replica has yet to apply, not the run's history.
//!
//! A row is keyed by what its family decides one at a time (a height for the batch families,
//! a transaction for the notary). It stays open until every replica has applied it or is
//! down for good (crashed with no restart: it can apply nothing more), and rows still open
//! at the end are closed then. A closed row is what `decided::row` makes of the applications,
//! so a run's rows do not depend on when they closed.
//!
//! Closed rows wait in memory; given a [`Spill`] (the command line's runs), every chunk
//! ([`spill::CHUNK`]) of them goes to a file of the output's staging folder, so what is held is
//! bounded by the rows open and one chunk, not by the length of the run.

use super::decided::{self, Batch};
use crate::engine::Time;
use crate::metrics::BlockRow;
use crate::metrics::spill::{self, Spill};
use std::collections::BTreeMap;

/// A row not yet applied by every live replica.
pub struct Open {
    pub height: u64,
    /// What each block applied (or ordered) here is, by block id.
    infos: Vec<(u32, Batch)>,
    /// `(replica, block, time)` of each application.
    applied: Vec<(u32, u32, Time)>,
    /// Live replicas that have not applied it.
    waiting: u32,
}

impl Open {
    pub fn is_applied(&self) -> bool {
        !self.applied.is_empty()
    }

    pub fn applied_by(&self, replica: u32) -> bool {
        self.applied.iter().any(|&(r, _, _)| r == replica)
    }
}

pub struct Rows<K> {
    replicas: u32,
    /// Per replica: down for good.
    gone: Vec<bool>,
    gone_count: u32,
    /// Per replica: honest (judged for conflicting decisions); empty when all are.
    honest: Vec<bool>,
    open: BTreeMap<K, Open>,
    closed: Vec<BlockRow>,
    /// Where full chunks of closed rows go; `None` keeps them all until `finish`.
    spill: Option<Spill>,
    /// The most rows held at once, open and closed.
    peak_held: usize,
    /// Rows at which two honest replicas applied different blocks.
    conflicting: u64,
}

impl<K: Ord + Copy> Rows<K> {
    pub fn new(replicas: u32) -> Self {
        Rows {
            replicas,
            gone: vec![false; replicas as usize],
            gone_count: 0,
            honest: Vec::new(),
            open: BTreeMap::new(),
            closed: Vec::new(),
            spill: None,
            peak_held: 0,
            conflicting: 0,
        }
    }

    /// Closed rows go to `to` a chunk at a time.
    pub fn spill_to(&mut self, to: &Spill) {
        self.spill = Some(to.clone());
    }

    /// Counts as conflicting only the blocks applied by replicas `honest` accepts.
    pub fn judging(mut self, honest: impl Fn(u32) -> bool) -> Self {
        self.honest = (0..self.replicas).map(honest).collect();
        self
    }

    pub fn get(&self, key: &K) -> Option<&Open> {
        self.open.get(key)
    }

    /// Opens the row `key` for `block` at `height`, replacing one not yet applied.
    pub fn open(&mut self, key: K, height: u64, block: u32, info: Batch) {
        let open = Open {
            height,
            infos: vec![(block, info)],
            applied: Vec::new(),
            waiting: self.replicas - self.gone_count,
        };
        self.open.insert(key, open);
    }

    /// Drops the open row `key`.
    pub fn remove(&mut self, key: &K) {
        self.open.remove(key);
    }

    /// `replica` applied `block` as row `key` at `height`, at `at`; `info` tells what the
    /// block is if the row has not seen it yet. A row is opened if there is none.
    pub fn applied(
        &mut self,
        key: K,
        height: u64,
        (replica, block, at): (u32, u32, Time),
        info: impl FnOnce() -> Batch,
    ) {
        let waiting = self.replicas - self.gone_count;
        let o = self.open.entry(key).or_insert_with(|| Open {
            height,
            infos: Vec::new(),
            applied: Vec::new(),
            waiting,
        });
        if !o.infos.iter().any(|&(b, _)| b == block) {
            o.infos.push((block, info()));
        }
        o.applied.push((replica, block, at));
        if !self.gone.get(replica as usize).copied().unwrap_or(true) {
            o.waiting = o.waiting.saturating_sub(1);
        }
        if o.waiting == 0 {
            let o = self.open.remove(&key).expect("open");
            self.close(o);
        }
    }

    /// `replica` crashed for good: rows no longer wait for it.
    pub fn down_for_good(&mut self, replica: u32) {
        let Some(g) = self.gone.get_mut(replica as usize) else {
            return;
        };
        if std::mem::replace(g, true) {
            return;
        }
        self.gone_count += 1;
        let mut done = Vec::new();
        for (&k, o) in self.open.iter_mut() {
            if !o.applied_by(replica) {
                o.waiting = o.waiting.saturating_sub(1);
                if o.waiting == 0 && o.is_applied() {
                    done.push(k);
                }
            }
        }
        for k in done {
            let o = self.open.remove(&k).expect("open");
            self.close(o);
        }
    }

    /// The row is the block of the lowest-numbered replica that applied it, timed over the
    /// replicas that applied that same block.
    fn close(&mut self, o: Open) {
        let &(_, block, _) = o
            .applied
            .iter()
            .min_by_key(|&&(r, _, _)| r)
            .expect("applied");
        let mut times: Vec<Time> = o
            .applied
            .iter()
            .filter(|&&(_, b, _)| b == block)
            .map(|&(_, _, at)| at)
            .collect();
        let info = &o.infos.iter().find(|&&(b, _)| b == block).expect("seen").1;
        let row = decided::row(o.height, block, info, &mut times, self.replicas);
        self.closed.push(row);
        self.peak_held = self.peak_held.max(self.open.len() + self.closed.len());
        if let Some(to) = &self.spill
            && self.closed.len() >= to.chunk()
        {
            to.append(&mut self.closed);
        }
        let honest = |r: u32| self.honest.get(r as usize).copied().unwrap_or(true);
        let mut judged = o.applied.iter().filter(|&&(r, _, _)| honest(r));
        if let Some(&(_, first, _)) = judged.next()
            && judged.any(|&(_, b, _)| b != first)
        {
            self.conflicting += 1;
        }
    }

    /// Rows open now.
    pub fn open_len(&self) -> usize {
        self.open.len()
    }

    /// The most rows held in memory at once, open and closed, taken as each row closes.
    pub fn peak_held(&self) -> usize {
        self.peak_held
    }

    /// Rows at which two honest replicas applied different blocks.
    pub fn conflicting(&self) -> u64 {
        self.conflicting
    }

    /// Every row not sent to the spill, by height: the closed ones and those some replica
    /// applied by the end. Rows no replica applied are dropped. Rows of equal height and
    /// block (a row opened again after it closed) keep the order they closed in, which the
    /// spill's merge reproduces across chunks.
    pub fn finish(&mut self) -> Vec<BlockRow> {
        for (_, o) in std::mem::take(&mut self.open) {
            if o.is_applied() {
                self.close(o);
            }
        }
        let mut rows = std::mem::take(&mut self.closed);
        spill::sort(&mut rows);
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::to_secs;

    fn info(b: u32) -> Batch {
        Batch {
            proposer: b % 4,
            proposed_at: 100 * (b as Time - 6),
            bytes: 10,
            tx_count: b,
        }
    }

    #[test]
    fn replicas_applying_another_block_do_not_count_for_the_row() {
        let mut rows = Rows::new(4).judging(|r| r != 2);
        for (r, h, b, at) in [
            (1, 1, 7, 120),
            (0, 1, 7, 110),
            (2, 1, 9, 105),
            (0, 2, 8, 210),
            (3, 2, 8, 230),
        ] {
            rows.applied(h, h, (r, b, at), || info(b));
        }
        assert_eq!(rows.open_len(), 2);
        // Replica 3 applies height 1: every replica has, so the row closes.
        rows.applied(1, 1, (3, 7, 140), || info(7));
        assert_eq!(rows.open_len(), 1);
        // Replica 2 (judged dishonest) differs at height 1: no conflict among the honest.
        assert_eq!(rows.conflicting(), 0);
        let out = rows.finish();
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].block, out[0].height, out[0].miner), (7, 1, 3));
        // Three of four replicas applied block 7: half at the 2nd, not all of them ever.
        assert_eq!(out[0].propagation_50_s, Some(to_secs(20)));
        assert_eq!(out[0].propagation_90_s, None);
        assert_eq!(out[1].propagation_50_s, Some(to_secs(30)));
        assert_eq!(out[1].propagation_100_s, None);
    }

    #[test]
    fn a_row_stops_waiting_for_a_replica_down_for_good_and_counts_honest_conflicts() {
        let mut rows = Rows::new(3);
        rows.applied(5, 5, (0, 7, 110), || info(7));
        rows.applied(5, 5, (1, 8, 120), || info(8));
        rows.applied(6, 6, (0, 9, 330), || info(9));
        assert_eq!(rows.open_len(), 2);
        rows.down_for_good(2);
        // Height 5 has every live replica; height 6 still waits for replica 1.
        assert_eq!(rows.open_len(), 1);
        assert_eq!(rows.conflicting(), 1);
        rows.applied(6, 6, (1, 9, 340), || info(9));
        assert_eq!(rows.open_len(), 0);
        let out = rows.finish();
        assert_eq!(out.iter().map(|r| r.block).collect::<Vec<_>>(), [7, 9]);
        // Of three replicas, one applied block 7 at height 5: the row never reaches half.
        assert_eq!(out[0].propagation_50_s, None);
        // Two of three applied block 9 (proposed at 300), the second 40 after.
        assert_eq!(out[1].propagation_50_s, Some(to_secs(40)));
        assert_eq!(out[1].propagation_100_s, None);
    }
}
