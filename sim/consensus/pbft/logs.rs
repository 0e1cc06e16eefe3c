//! What a replica's handler writes into state other partitions share, kept as `(event key,
//! entry)` and replayed in key order, the order the sequential engine wrote it in
//! (`sim/README.md`, validators in parallel, rule 3): the applications that build the
//! `blocks` rows, the proposals of batches, which number them for those rows, and the first
//! proposals of requests, which record inclusion in the requests' stores and in the metrics.
//! Replayed at the end of each event for now (one
//! partition, so the replay is today's order exactly); partitioned, at each window's end.

use super::Pbft;
use super::batches::NULL_BATCH;
use super::fresh::Fresh;
use super::requests::ReqId;
use crate::consensus::decided::Batch;
use crate::engine::{EventKey, Time};
use crate::metrics::Metrics;

/// One replica's application of a decided batch: the batch `(sequence number, id)`,
/// `(replica, batch number, time)`, and what the batch is (taken when applied: the batch may
/// be released before the replay). The number is 0 for a batch proposed in the same event
/// (or window) and not yet numbered: the replay gives it.
struct Applied {
    key: EventKey,
    batch: (u64, u32),
    by: (u32, u32, Time),
    info: Batch,
}

/// What one partition's replicas write that others read only at window ends (`Pbft::parts`):
/// its logs, its fresh records, its replicas' views and executed points, the decisions its
/// replicas hold, and the highest sequence number one of them executed. The sums and the
/// maximum take any order; the logs are replayed in key order, the fresh records keyed by
/// their makers' ids, the points put by replica.
pub struct Own {
    pub logs: Logs,
    pub fresh: Fresh,
    /// The partition's first replica; per replica from it, as of its last event, its view
    /// (`u64::MAX` once down for good) and the `NEW-VIEW` it installed.
    pub lo: u32,
    pub views: Vec<u64>,
    pub installed: Vec<Option<u64>>,
    /// Cut: `(replica, point)` each time one of its replicas executed further in this
    /// window, put into `Pbft::exec` at the window's end.
    pub executed: Vec<(u32, u64)>,
    pub held: usize,
    pub decided: u64,
}

impl Own {
    /// The records of the `len` replicas from `lo`.
    pub fn new(lo: u32, len: u32) -> Self {
        Own {
            logs: Logs::default(),
            fresh: Fresh::default(),
            lo,
            views: vec![0; len as usize],
            installed: vec![None; len as usize],
            executed: Vec::new(),
            held: 0,
            decided: 0,
        }
    }
}

#[derive(Default)]
pub struct Logs {
    applied: Vec<Applied>,
    /// `(key, request, time)` of each request a primary put in a batch.
    proposed: Vec<(EventKey, ReqId, Time)>,
    /// `(key, sequence number, id)` of each batch proposed.
    batches: Vec<(EventKey, u64, u32)>,
    /// The batches the replay under way numbered, with their numbers.
    numbered: Vec<((u64, u32), u32)>,
}

impl Logs {
    pub fn applied(&mut self, key: EventKey, batch: (u64, u32), by: (u32, u32, Time), info: Batch) {
        self.applied.push(Applied {
            key,
            batch,
            by,
            info,
        });
    }

    pub fn batch(&mut self, key: EventKey, seq: u64, id: u32) {
        self.batches.push((key, seq, id));
    }

    pub fn proposed(&mut self, key: EventKey, r: ReqId, at: Time) {
        self.proposed.push((key, r, at));
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.proposed.is_empty() && self.applied.is_empty() && self.batches.is_empty()
    }

    /// Appends `other`'s entries, emptying it.
    fn absorb(&mut self, other: &mut Logs) {
        self.applied.append(&mut other.applied);
        self.proposed.append(&mut other.proposed);
        self.batches.append(&mut other.batches);
    }
}

impl Pbft {
    /// Replays the logs in key order (a stable sort: one handler's entries share its key and
    /// keep the order it wrote them in).
    #[inline]
    pub(super) fn replay(&mut self, metrics: &mut Metrics) {
        if self.windowed {
            return;
        }
        // Uncut, the one partition's records: most events (votes) write none, and one test
        // keeps them off both paths.
        let own = &self.parts[0];
        if own.logs.is_empty() && !own.fresh.made() {
            return;
        }
        self.settle_fresh();
        self.replay_logs_now(metrics);
    }

    /// [`Self::replay`], cut or not: at a window's end when cut.
    #[inline]
    pub(super) fn replay_logs_now(&mut self, metrics: &mut Metrics) {
        self.requests.merge();
        // Most events (votes) write neither log: the test keeps them off the replay's path.
        if self.parts.iter().all(|p| p.logs.is_empty()) {
            return;
        }
        // Every partition's entries in one list each, in partition 0's (keeping its room).
        let mut logs = std::mem::take(&mut self.parts[0].logs);
        for p in &mut self.parts[1..] {
            logs.absorb(&mut p.logs);
        }
        self.replay_logs(&mut logs, metrics);
        self.parts[0].logs = logs;
    }

    fn replay_logs(&mut self, logs: &mut Logs, metrics: &mut Metrics) {
        logs.proposed.sort_by_key(|&(key, _, _)| key);
        for (_, r, at) in logs.proposed.drain(..) {
            self.requests.on_proposed_at(r, at, metrics);
        }
        logs.batches.sort_by_key(|&(key, _, _)| key);
        for (_, seq, id) in logs.batches.drain(..) {
            let number = self.batches.number(seq, id);
            logs.numbered.push(((seq, id), number));
        }
        if logs.applied.is_empty() {
            logs.numbered.clear();
            return;
        }
        logs.applied.sort_by_key(|a| a.key);
        for mut a in logs.applied.drain(..) {
            if a.by.1 == 0 && a.batch.1 != NULL_BATCH {
                let fresh = logs.numbered.iter().find(|&&(b, _)| b == a.batch);
                a.by.1 = fresh
                    .expect("an unnumbered batch was proposed in this replay")
                    .1;
            }
            let seq = a.batch.0;
            self.rows.applied(seq, seq, a.by, || a.info);
        }
        logs.numbered.clear();
        self.note_held();
    }
}

#[cfg(test)]
mod tests {
    use super::super::batches::{Rec, local_id};
    use super::*;
    use crate::consensus::Protocol;
    use crate::scenario;

    fn rec(seq: u64, proposer: u32, at: Time) -> Rec {
        Rec {
            seq,
            requests: Vec::new(),
            bytes: 0,
            txs: 0,
            proposer,
            proposed_at: at,
            number: 0,
        }
    }

    /// Two primaries in different partitions propose in one window, the second partition's
    /// first, and replicas of the second apply its batch before the window's end: the
    /// replay numbers the batches in key order, not in partition order, and the application
    /// takes the number its batch was given. Fails with the sorts of `replay_logs` removed.
    #[test]
    fn the_replay_numbers_two_partitions_proposals_in_key_order() {
        let mut pbft = Pbft::new(&scenario::Pbft::default(), 4);
        assert!(pbft.partition(&[0, 2]));
        let (a, b) = (local_id(3, false), local_id(0, false));
        pbft.batches.push(a, rec(1, 3, 10));
        pbft.parts[1].logs.batch(EventKey::new(10, 4, 0), 1, a);
        pbft.batches.push(b, rec(2, 0, 20));
        pbft.parts[0].logs.batch(EventKey::new(20, 1, 0), 2, b);
        let info = || Batch::with(0, 0, 3, 10, 100, 3);
        for (t, by) in [(15, 3), (30, 2)] {
            let key = EventKey::new(t, 1 + by, 1);
            pbft.parts[1].logs.applied(key, (1, a), (by, 0, t), info());
        }
        let mut metrics = Metrics::new(1_000, 1_000);
        pbft.replay_logs_now(&mut metrics);
        assert_eq!(pbft.batches.get(1, a).number, 1);
        assert_eq!(pbft.batches.get(2, b).number, 2);
        let row = pbft.rows.get(&1).expect("two of four replicas applied it");
        assert!(row.applied_by(2) && row.applied_by(3));
    }
}
