//! Where requests were first executed, kept once per partition of the validators, so that a
//! replica's handler writes only its own partition's record (`sim/README.md`, validators in
//! parallel). Every correct replica executes the same log, so a request's first execution in
//! any partition is at the same sequence number; a merge checks that the partitions agree and
//! stops the run if not (an equivocating primary re-proposes the same requests at the same
//! sequence, so it agrees too). With one partition the check has one input.

use super::requests::ReqId;
use std::collections::{BTreeSet, VecDeque};

/// One partition's first executions.
#[derive(Default)]
pub struct Firsts {
    /// Per store, the sequence number at which this partition's replicas first executed each
    /// request (0: not yet), aligned with the store's list: the same front, and grown only as
    /// far as the last request executed here.
    by_store: Vec<VecDeque<u64>>,
    /// Executed here and not yet released: `(first sequence, id)`; kept only when the family
    /// releases requests.
    executed: BTreeSet<(u64, ReqId)>,
    /// First executions since the last merge, `(request, store, sequence)`; kept only when
    /// another partition may disagree.
    fresh: Vec<(ReqId, usize, u64)>,
}

/// Two partitions' replicas first executed `request` at different sequence numbers.
#[derive(Debug, PartialEq, Eq)]
pub struct Disagreement {
    pub request: ReqId,
    pub seqs: (u64, u64),
}

impl Firsts {
    pub fn new(stores: usize) -> Self {
        Firsts {
            by_store: vec![VecDeque::new(); stores],
            ..Firsts::default()
        }
    }

    /// The first sequence here of the request at position `i` of store `k` (0: not yet).
    #[inline]
    pub fn get(&self, k: usize, i: usize) -> u64 {
        self.by_store[k].get(i).copied().unwrap_or(0)
    }

    /// Records `r`, at position `i` of store `k`, first executed here at `seq`.
    pub fn set(&mut self, (k, i): (usize, usize), r: ReqId, seq: u64, releasing: bool, log: bool) {
        let list = &mut self.by_store[k];
        if list.len() <= i {
            list.resize(i + 1, 0);
        }
        list[i] = seq;
        if releasing {
            self.executed.insert((seq, r));
        }
        if log {
            self.fresh.push((r, k, seq));
        }
    }

    /// The next request executed here at or below `everywhere`, taken off the list of those
    /// to release.
    pub fn pop_executed(&mut self, everywhere: u64) -> Option<ReqId> {
        let &(s, r) = self.executed.first()?;
        (s <= everywhere).then(|| {
            self.executed.pop_first();
            r
        })
    }

    /// Store `k` dropped `n` requests from its front.
    pub fn popped(&mut self, k: usize, n: usize) {
        let list = &mut self.by_store[k];
        list.drain(..n.min(list.len()));
    }
}

/// The merge's check: every first execution a partition recorded since the last merge is
/// at the sequence number any other partition recorded for it; `locate` finds a request's
/// position in its store while it is kept (a released one was executed everywhere, its
/// records gone with it). Empties the partitions' logs.
pub fn agree(
    parts: &mut [Firsts],
    locate: impl Fn(ReqId, usize) -> Option<usize>,
) -> Result<(), Disagreement> {
    let mut found = Ok(());
    for p in 0..parts.len() {
        let fresh = std::mem::take(&mut parts[p].fresh);
        for &(r, k, seq) in &fresh {
            let Some(i) = locate(r, k) else {
                continue;
            };
            let other = parts
                .iter()
                .map(|q| q.get(k, i))
                .find(|&s| s != 0 && s != seq);
            if let (Ok(()), Some(s)) = (&found, other) {
                found = Err(Disagreement {
                    request: r,
                    seqs: (seq, s),
                });
            }
        }
        parts[p].fresh = fresh;
        parts[p].fresh.clear();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EventKey;

    fn two() -> (Vec<Firsts>, ReqId) {
        let parts = vec![Firsts::new(1), Firsts::new(1)];
        (parts, ReqId::of(EventKey::new(7, 3, 1)))
    }

    /// Two partitions whose replicas first executed one request at different sequence
    /// numbers stop the merge, in the window that saw both or in a later one.
    #[test]
    fn partitions_that_disagree_on_a_first_execution_fail_the_merge() {
        let (mut parts, r) = two();
        parts[0].set((0, 0), r, 5, false, true);
        parts[1].set((0, 0), r, 6, false, true);
        let d = agree(&mut parts, |_, _| Some(0));
        assert_eq!(
            d,
            Err(Disagreement {
                request: r,
                seqs: (5, 6)
            })
        );

        let (mut parts, r) = two();
        parts[0].set((0, 0), r, 5, false, true);
        assert_eq!(agree(&mut parts, |_, _| Some(0)), Ok(()));
        parts[1].set((0, 0), r, 6, false, true);
        let d = agree(&mut parts, |_, _| Some(0));
        assert_eq!(
            d,
            Err(Disagreement {
                request: r,
                seqs: (6, 5)
            })
        );
    }

    /// Agreeing partitions pass, as does a request released since (executed everywhere,
    /// its records gone), and each merge empties the logs it checked.
    #[test]
    fn partitions_that_agree_pass_and_each_merge_checks_its_window_once() {
        let (mut parts, r) = two();
        parts[0].set((0, 2), r, 5, false, true);
        parts[1].set((0, 2), r, 5, false, true);
        assert_eq!(agree(&mut parts, |_, _| Some(2)), Ok(()));
        assert!(parts.iter().all(|p| p.fresh.is_empty()));
        parts[1].by_store[0][2] = 9;
        assert_eq!(agree(&mut parts, |_, _| Some(2)), Ok(()));
        parts[0].set((0, 3), r, 4, false, true);
        parts[1].set((0, 3), r, 8, false, true);
        assert_eq!(agree(&mut parts, |_, _| None), Ok(()));
    }
}
