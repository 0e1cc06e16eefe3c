//! rippled's dispute vote (`DisputedTx::updateVote`): the set a validator proposes next from
//! the sets its trusted peers propose.

use super::{Node, Xrpl};
use crate::ledger::TxRef;

impl Xrpl {
    /// The set this validator would propose next: every transaction some trusted proposal
    /// (its own included) carries, kept by rippled's `DisputedTx::updateVote` weighting.
    pub(super) fn vote_disputes(
        &self,
        node: &Node,
        mine: u32,
        others: &[u32],
        threshold: u64,
    ) -> Vec<TxRef> {
        // Peers mostly propose one of a few sets: count each distinct set once, with the
        // number of peers proposing it, instead of looking every transaction up in every
        // peer's set (at 150 validators that lookup was half of the run).
        let mut by_hash: Vec<(u64, u32)> = others
            .iter()
            .map(|&p| (self.positions[p as usize].hash, p))
            .collect();
        by_hash.sort_unstable();
        let mut sets: Vec<(u32, u64)> = Vec::new();
        for (i, &(h, p)) in by_hash.iter().enumerate() {
            let same = i > 0 && by_hash[i - 1].0 == h && {
                let &(rep, _) = sets.last().expect("a set before");
                self.positions[rep as usize].txs == self.positions[p as usize].txs
            };
            match sets.last_mut() {
                Some((_, n)) if same => *n += 1,
                _ => sets.push((p, 1)),
            }
        }
        // Disputes: every transaction some trusted proposal disagrees on, with its yays.
        let own = &self.positions[mine as usize].txs;
        let mut weighted: Vec<(TxRef, u64)> = own.iter().map(|&t| (t, 0)).collect();
        for &(p, n) in &sets {
            weighted.extend(self.positions[p as usize].txs.iter().map(|&t| (t, n)));
        }
        weighted.sort_unstable_by_key(|&(t, _)| t);
        let mut next = Vec::with_capacity(own.len());
        let peers = others.len() as u64;
        let mut i = 0;
        while i < weighted.len() {
            let t = weighted[i].0;
            let mut yays = 0;
            while i < weighted.len() && weighted[i].0 == t {
                yays += weighted[i].1;
                i += 1;
            }
            let ours = own.binary_search(&t).is_ok();
            let keep = if peers == 0 {
                ours
            } else {
                // rippled's DisputedTx::updateVote weighting.
                let weight = (yays * 100 + if ours { 100 } else { 0 }) / (peers + 1);
                weight > threshold
            };
            // Only the second face of a two-faced validator has a transaction excluded.
            if keep && Some(t) != node.excluded {
                next.push(t);
            }
        }
        next
    }
}
