//! Settlements as a keyed log: what handlers decided to settle, replayed through the
//! validators' shared execution timeline (`Executor::settle`, every replica's cores as one
//! FCFS timeline) in key order, the order the sequential engine settled in (`sim/README.md`,
//! validators in parallel, rule 3). The timeline returns nothing to the handler, so it can
//! run after it: at the end of each handler for now (one partition, so the replay is today's
//! order exactly), at each window's end once partitions run in windows.
//!
//! The transactions a settlement drops as invalid go through the same log: they are written
//! between the settlements of one request, and both reach the ordered `typed_log`, so
//! replaying the settlements alone would put the drops first.

use crate::engine::{EventKey, Time};
use crate::ledger::{Executor, TxTag};
use crate::metrics::Metrics;

#[derive(Clone, Copy)]
enum Entry {
    /// Decided at `at` in a block of `block_txs`: settled once the timeline has executed it.
    Settle { created: Time, block_txs: u32 },
    /// Dropped at `at`: validation found it invalid.
    Invalid,
}

#[derive(Clone, Copy)]
struct Logged {
    key: EventKey,
    at: Time,
    tx: TxTag,
    entry: Entry,
}

#[derive(Default)]
pub struct Settlements {
    log: Vec<Logged>,
}

impl Settlements {
    pub fn settle(&mut self, key: EventKey, at: Time, tx: TxTag, created: Time, block_txs: u32) {
        let entry = Entry::Settle { created, block_txs };
        self.log.push(Logged { key, at, tx, entry });
    }

    pub fn invalid(&mut self, key: EventKey, at: Time, tx: TxTag) {
        let entry = Entry::Invalid;
        self.log.push(Logged { key, at, tx, entry });
    }

    /// Replays the log in key order (a stable sort: one handler's entries share its key and
    /// keep the order it wrote them in).
    #[inline]
    pub fn replay(&mut self, exec: &mut Executor, metrics: &mut Metrics) {
        if self.log.is_empty() {
            return;
        }
        self.log.sort_by_key(|l| l.key);
        for l in self.log.drain(..) {
            match l.entry {
                Entry::Settle { created, block_txs } => {
                    exec.settle(metrics, l.tx, created, l.at, block_txs)
                }
                Entry::Invalid => metrics.on_dropped_tx(l.tx, l.at),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::TxKind;

    fn tag(seq: u32) -> TxTag {
        TxTag {
            device: 1,
            seq,
            kind: TxKind::SlaReport,
        }
    }

    /// Entries written out of key order (two partitions' logs appended) replay in key order,
    /// and one key's entries in the order they were written: settled, dropped, settled.
    #[test]
    fn replays_in_key_order_keeping_one_handlers_order() {
        let mut s = Settlements::default();
        let late = EventKey::new(20, 3, 0);
        let early = EventKey::new(10, 7, 0);
        s.settle(late, 20, tag(4), 0, 1);
        s.settle(early, 10, tag(1), 0, 3);
        s.invalid(early, 10, tag(2));
        s.settle(early, 10, tag(3), 0, 3);
        let mut m = Metrics::new(1_000_000_000, 100_000_000_000);
        s.replay(&mut Executor::default(), &mut m);
        let order: Vec<(u32, Option<Time>)> =
            m.typed_log.iter().map(|&(t, a)| (t.seq, a)).collect();
        assert_eq!(
            order,
            [(1, Some(10)), (2, None), (3, Some(10)), (4, Some(20))]
        );
        assert!(s.log.is_empty());
    }
}
