//! Records the validators made apart, added into one: what a partition of validators
//! records during a window, merged at the window's end (`sim/README.md`, validators in
//! parallel). Every term is an integer count or a histogram of integer counts, so the sum is
//! the same in any order and the merged recorder equals one that saw every record itself.

use super::Metrics;

impl Metrics {
    /// Adds the validator-side records of `other` (transactions reaching validators, included,
    /// settled, dropped or stranded there, blocks arriving, transactions flooded), as if
    /// recorded here. `other` must share this recorder's windows and measurement, and hold no
    /// ordered logs (`settled_log`, `typed_log`): those need the order of their records,
    /// which a sum loses.
    pub fn absorb_validators(&mut self, other: &Metrics) {
        assert_eq!(self.windows(), other.windows(), "one window grid");
        assert_eq!(self.measure(), other.measure(), "one measurement window");
        assert!(
            other.settled_log.is_empty() && other.typed_log.is_empty(),
            "ordered logs are merged in event order, not summed"
        );
        self.reached += other.reached;
        self.included += other.included;
        self.settled += other.settled;
        self.settled_during_window += other.settled_during_window;
        self.reverted_settlements += other.reverted_settlements;
        self.stranded += other.stranded;
        add(&mut self.settled_within, &other.settled_within);
        add(&mut self.included_w, &other.included_w);
        add(&mut self.settled_w, &other.settled_w);
        add(&mut self.dropped_w, &other.dropped_w);
        add(&mut self.stranded_w, &other.stranded_w);
        add(&mut self.chained_w, &other.chained_w);
        self.kinds.absorb(&other.kinds);
        self.access.absorb(&other.access);
        self.inclusion.absorb(&other.inclusion);
        self.settlement.absorb(&other.settlement);
        self.block_arrival.absorb(&other.block_arrival);
        if self.gossiped.len() < other.gossiped.len() {
            self.gossiped.resize(other.gossiped.len(), (0, 0));
        }
        for (x, y) in self.gossiped.iter_mut().zip(&other.gossiped) {
            x.0 += y.0;
            x.1 += y.1;
        }
    }

    /// An empty recorder on this one's window grid and measurement, for one partition's
    /// validator-side records (`world::part`).
    pub fn validators_delta(&self) -> Metrics {
        let mut m = Metrics::measured(self.window(), self.end(), self.measure().clone());
        m.log_settled = self.log_settled;
        m
    }

    /// Moves a partition's records here and leaves `delta` empty: the counts by
    /// [`Metrics::absorb_validators`], the settlements logged for receipts appended (one
    /// partition's log is in the order its events ran). The workloads empty `typed_log`
    /// after every handler, so it holds nothing here.
    pub fn take_validators(&mut self, delta: &mut Metrics) {
        debug_assert!(
            delta.created + delta.uploaded + delta.dropped_overflow + delta.upload_wait.count()
                == 0,
            "a partition records validator-side events only"
        );
        self.settled_log.append(&mut delta.settled_log);
        self.absorb_validators(delta);
        let log = std::mem::take(&mut delta.settled_log);
        *delta = self.validators_delta();
        delta.settled_log = log;
    }
}

/// Adds `b` into `a` element by element (both on one window grid).
fn add<T: Copy + std::ops::AddAssign>(a: &mut [T], b: &[T]) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x += *y);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{NS_PER_S, Purpose, Time, draw_u64};
    use crate::ledger::{TxKind, TxTag};
    use crate::metrics::Measure;

    fn recorder() -> Metrics {
        let measure = Measure {
            from: 10 * NS_PER_S,
            to: 50 * NS_PER_S,
            sla: vec![NS_PER_S, 5 * NS_PER_S],
        };
        Metrics::measured(NS_PER_S, 60 * NS_PER_S, measure)
    }

    /// The validator-side record `i` of a pseudo-random sequence.
    fn record(m: &mut Metrics, i: u64) {
        let word = |k: u64| draw_u64(7, i, Purpose::Consensus, k);
        let created: Time = word(0) % (55 * NS_PER_S);
        let at = created + word(1) % (5 * NS_PER_S);
        // Provenance events are chained (`chained_w`); the others are not.
        let kind = match word(2) % 4 {
            0 => TxKind::ProvenanceEvent,
            1 => TxKind::ChannelOpen,
            _ => TxKind::Reading,
        };
        let tx = TxTag {
            device: (word(3) % 100) as u32,
            seq: i as u32,
            kind,
        };
        match word(4) % 8 {
            0 => m.on_reached(created, created, at),
            1 => m.on_included(created, at),
            2 | 3 => m.on_settled_tx(tx, created, at, 1 + (i % 9) as u32),
            4 => m.on_stranded(kind, at),
            5 => m.on_gossiped((word(5) % 13) as u32, 200),
            6 => m.on_dropped_tx(tx, at),
            _ => {
                m.block_arrival.record(at - created);
                m.on_handed(kind);
            }
        }
        // The log of typed transactions' fates is the workloads' to empty.
        m.typed_log.clear();
    }

    fn fields(m: &Metrics) -> String {
        format!(
            "{:?}",
            (
                (m.reached, m.included, m.settled, m.settled_during_window),
                (m.reverted_settlements, m.stranded, &m.settled_within),
                (&m.included_w, &m.settled_w, &m.dropped_w, &m.stranded_w),
                (&m.chained_w, &m.gossiped),
                (
                    &m.kinds.reached,
                    &m.kinds.settled,
                    &m.kinds.dropped_at,
                    &m.kinds.created
                ),
            )
        )
    }

    /// Whether the histograms hold the same values (compared whole, not printed: their
    /// buckets run to thousands of numbers).
    fn same_histograms(a: &Metrics, b: &Metrics) -> bool {
        (&a.access, &a.inclusion, &a.settlement, &a.block_arrival)
            == (&b.access, &b.inclusion, &b.settlement, &b.block_arrival)
    }

    // Records split over three recorders by an arbitrary rule and absorbed, in either order,
    // equal the records made in one.
    #[test]
    fn absorbed_partitions_equal_one_recorder() {
        let mut whole = recorder();
        let mut parts = [recorder(), recorder(), recorder()];
        for i in 0..5_000 {
            record(&mut whole, i);
            record(&mut parts[(i * i % 3) as usize], i);
        }
        assert!(whole.settled > 1_000 && whole.settlement.count() > 500);
        for order in [[0, 1, 2], [2, 0, 1]] {
            let mut merged = recorder();
            for k in order {
                merged.absorb_validators(&parts[k]);
            }
            assert_eq!(fields(&merged), fields(&whole));
            assert!(same_histograms(&merged, &whole));
        }
        assert_ne!(fields(&parts[0]), fields(&whole));
        assert!(!same_histograms(&parts[0], &whole));
    }
}
