//! The recorder the model writes into while it runs.

use super::{Histogram, KindCounts};
use crate::engine::Time;
use crate::ledger::{TxKind, TxTag};

/// What the summary's statistics cover: the transactions created in `[from, to)`, followed
/// to the end of the run, with settlement deadlines to count them against.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub from: Time,
    pub to: Time,
    /// Settlement deadlines, nanoseconds, in the scenario's order.
    pub sla: Vec<Time>,
}

impl Measure {
    /// The whole run, no deadlines.
    pub fn whole(end: Time) -> Self {
        Measure {
            from: 0,
            to: end,
            sla: Vec::new(),
        }
    }

    pub fn covers(&self, created: Time) -> bool {
        (self.from..self.to).contains(&created)
    }
}

/// A settlement, kept until the run hands it to the receipts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettledTx {
    pub device: u32,
    pub created: Time,
    pub at: Time,
    pub block_txs: u32,
}

/// Per-window counters and latency histograms of one run. The stage histograms hold the
/// transactions created inside the measurement window only; the counters and time series
/// cover the whole run.
pub struct Metrics {
    window: Time,
    end: Time,
    measure: Measure,
    /// Transactions created inside the measurement window: the population every stage's
    /// statistics are taken over, those that never reached the stage counted as later than
    /// the run.
    pub measured: u64,
    /// Settlements (of any transaction) that happened inside the measurement window: the rate
    /// the system served at, against the rate offered to it.
    pub settled_during_window: u64,
    /// Per deadline of `measure.sla`, the window's transactions settled within it.
    pub settled_within: Vec<u64>,
    pub created: u64,
    pub uploaded: u64,
    pub reached: u64,
    pub included: u64,
    pub settled: u64,
    pub dropped_overflow: u64,
    /// Settled blocks later replaced by a deeper reorganisation (a settlement revoked).
    pub reverted_settlements: u64,
    pub created_w: Vec<u64>,
    pub included_w: Vec<u64>,
    pub settled_w: Vec<u64>,
    /// Device-nanoseconds online per window.
    pub online_w: Vec<u128>,
    /// Transactions waiting at validators (not yet in any block) at each window's end.
    pub mempool_w: Vec<u64>,
    /// Drops of every reason, by time (for overflow: when the reading that overflowed the
    /// buffer was created).
    pub dropped_w: Vec<u64>,
    /// Of the above, the net change in chained transactions (`TxKind::chained`): created
    /// minus settled and dropped, by time.
    pub chained_w: Vec<i64>,
    /// Transactions handed to a validator down for good (see [`Metrics::on_stranded`]), by
    /// the time they reached it; chained ones are left out, as `chained_w` holds them.
    pub stranded_w: Vec<u64>,
    pub stranded: u64,
    pub upload_wait: Histogram,
    pub access: Histogram,
    pub inclusion: Histogram,
    pub settlement: Histogram,
    /// Delay from a block's creation to its arrival at each node.
    pub block_arrival: Histogram,
    /// Per validator, the transactions that entered there and were flooded to the others
    /// without messages (see `consensus::Gossip`), and their bytes.
    pub gossiped: Vec<(u64, u64)>,
    /// Settlements not yet handed to the receipts (only when `log_settled`).
    pub settled_log: Vec<SettledTx>,
    pub log_settled: bool,
    /// Transactions created inside the measurement window by devices that get receipts: the
    /// population of the `receipt` stage.
    pub receipt_measured: u64,
    /// Creation to the device holding its receipt.
    pub receipt: Histogram,
    /// Every count above that concerns transactions, by kind.
    pub kinds: KindCounts,
    /// Fates of transactions of kinds other than `reading`, in the order they happened, for
    /// the workloads that react to them (`Some(at)`: settled at `at`; `None`: dropped). The
    /// world empties it after every handler, so it holds one handler's worth at most.
    pub typed_log: Vec<(TxTag, Option<Time>)>,
}

impl Metrics {
    /// A recorder whose statistics cover the whole run.
    pub fn new(window: Time, end: Time) -> Self {
        Self::measured(window, end, Measure::whole(end))
    }

    pub fn measured(window: Time, end: Time, measure: Measure) -> Self {
        let windows = end.div_ceil(window).max(1) as usize;
        Metrics {
            window,
            end,
            measured: 0,
            settled_during_window: 0,
            settled_within: vec![0; measure.sla.len()],
            measure,
            created: 0,
            uploaded: 0,
            reached: 0,
            included: 0,
            settled: 0,
            dropped_overflow: 0,
            reverted_settlements: 0,
            created_w: vec![0; windows],
            included_w: vec![0; windows],
            settled_w: vec![0; windows],
            online_w: vec![0; windows],
            mempool_w: vec![0; windows],
            dropped_w: vec![0; windows],
            chained_w: vec![0; windows],
            stranded_w: vec![0; windows],
            stranded: 0,
            upload_wait: Histogram::new(),
            access: Histogram::new(),
            inclusion: Histogram::new(),
            settlement: Histogram::new(),
            block_arrival: Histogram::new(),
            gossiped: Vec::new(),
            settled_log: Vec::new(),
            log_settled: false,
            receipt_measured: 0,
            receipt: Histogram::new(),
            kinds: KindCounts::default(),
            typed_log: Vec::new(),
        }
    }

    pub fn window(&self) -> Time {
        self.window
    }

    pub fn end(&self) -> Time {
        self.end
    }

    pub fn measure(&self) -> &Measure {
        &self.measure
    }

    pub fn windows(&self) -> usize {
        self.created_w.len()
    }

    fn w(&self, t: Time) -> usize {
        ((t / self.window) as usize).min(self.windows() - 1)
    }

    /// A reading created at `at`.
    pub fn on_created(&mut self, at: Time) {
        self.on_created_of(TxKind::Reading, at);
    }

    pub fn on_created_of(&mut self, kind: TxKind, at: Time) {
        self.kinds.created[kind.index()] += 1;
        self.created += 1;
        self.measured += self.measure.covers(at) as u64;
        self.created_w_add(at);
        self.chained_add(kind, at, 1);
    }

    fn chained_add(&mut self, kind: TxKind, at: Time, n: i64) {
        if kind.chained() {
            let w = self.w(at);
            self.chained_w[w] += n;
        }
    }

    /// A transaction created by a device that gets receipts.
    pub fn on_created_with_receipt(&mut self, at: Time) {
        self.receipt_measured += self.measure.covers(at) as u64;
        self.on_created(at);
    }

    /// A receipt of a transaction created at `created` reached its device at `at`.
    pub fn on_receipt(&mut self, created: Time, at: Time) {
        if self.measure.covers(created) {
            self.receipt.record(at - created);
        }
    }

    fn created_w_add(&mut self, at: Time) {
        let w = self.w(at);
        self.created_w[w] += 1;
    }

    pub fn on_dropped_overflow(&mut self, at: Time) {
        self.dropped_overflow += 1;
        self.kinds.dropped_before[TxKind::Reading.index()] += 1;
        let w = self.w(at);
        self.dropped_w[w] += 1;
    }

    /// A transaction reached a validator that is down for good at `at`: it stays pending in
    /// transit for the rest of the run, and no throughput of the chain could serve it.
    pub fn on_stranded(&mut self, kind: TxKind, at: Time) {
        self.stranded += 1;
        if !kind.chained() {
            let w = self.w(at);
            self.stranded_w[w] += 1;
        }
    }

    /// A reading lost before any validator (radio), for a reason its model counts itself;
    /// kept here for the time series and the per-kind accounting.
    pub fn on_dropped(&mut self, at: Time) {
        self.kinds.dropped_before[TxKind::Reading.index()] += 1;
        let w = self.w(at);
        self.dropped_w[w] += 1;
    }

    /// A transaction a validator dropped for a reason the protocol counts itself.
    pub fn on_dropped_tx(&mut self, tx: TxTag, at: Time) {
        self.kinds.dropped_at[tx.kind.index()] += 1;
        if tx.kind != TxKind::Reading {
            self.typed_log.push((tx, None));
        }
        let w = self.w(at);
        self.dropped_w[w] += 1;
        self.chained_add(tx.kind, at, -1);
    }

    /// A transaction handed to a validator's handler.
    pub fn on_handed(&mut self, kind: TxKind) {
        self.kinds.reached[kind.index()] += 1;
    }

    pub fn on_uploaded(&mut self, created: Time, at: Time) {
        self.uploaded += 1;
        if self.measure.covers(created) {
            self.upload_wait.record(at - created);
        }
    }

    /// A transaction created at `created` and uploaded at `uploaded` reached a validator.
    pub fn on_reached(&mut self, created: Time, uploaded: Time, at: Time) {
        self.reached += 1;
        if self.measure.covers(created) {
            self.access.record(at - uploaded);
        }
    }

    pub fn on_included(&mut self, created: Time, at: Time) {
        self.included += 1;
        if self.measure.covers(created) {
            self.inclusion.record(at - created);
        }
        let w = self.w(at);
        self.included_w[w] += 1;
    }

    /// A device's transaction settled in a block (or batch) of `block_txs` transactions:
    /// counted as [`Metrics::on_settled`] and by kind, logged for its receipt when receipts
    /// are on, and for its workload when it is not a reading.
    pub fn on_settled_tx(&mut self, tx: TxTag, created: Time, at: Time, block_txs: u32) {
        self.on_settled(created, at);
        self.kinds.settled[tx.kind.index()] += 1;
        self.chained_add(tx.kind, at, -1);
        if tx.kind != TxKind::Reading {
            self.typed_log.push((tx, Some(at)));
        }
        if self.log_settled {
            self.settled_log.push(SettledTx {
                device: tx.device,
                created,
                at,
                block_txs,
            });
        }
    }

    fn on_settled(&mut self, created: Time, at: Time) {
        self.settled += 1;
        if self.measure.covers(created) {
            let latency = at - created;
            self.settlement.record(latency);
            for (n, &deadline) in self.settled_within.iter_mut().zip(&self.measure.sla) {
                *n += (latency <= deadline) as u64;
            }
        }
        self.settled_during_window += self.measure.covers(at) as u64;
        let w = self.w(at);
        self.settled_w[w] += 1;
    }

    /// A transaction of `bytes` entered at validator `origin` and is flooded from there.
    pub fn on_gossiped(&mut self, origin: u32, bytes: u32) {
        let o = origin as usize;
        if self.gossiped.len() <= o {
            self.gossiped.resize(o + 1, (0, 0));
        }
        self.gossiped[o].0 += 1;
        self.gossiped[o].1 += u64::from(bytes);
    }

    /// Adds the online interval `[from, to)` of one device, clipped to the run.
    pub fn on_online(&mut self, from: Time, to: Time) {
        let to = to.min(self.end);
        let mut t = from;
        while t < to {
            let w = self.w(t);
            let w_end = ((w as Time + 1) * self.window).min(self.end);
            let stop = to.min(w_end);
            self.online_w[w] += (stop - t) as u128;
            if stop == t {
                break;
            }
            t = stop;
        }
    }

    /// Adds `devices` always-online devices over the whole run in one step.
    pub fn on_always_online(&mut self, devices: u64) {
        for w in 0..self.windows() {
            let a = w as Time * self.window;
            let b = (a + self.window).min(self.end);
            self.online_w[w] += devices as u128 * (b - a) as u128;
        }
    }

    /// Adds the device-side records of a fleet shard: what devices create, drop on overflow,
    /// upload and spend online. Every term is an integer count, so the sum is the same in any
    /// order.
    pub fn absorb_devices(&mut self, other: &Metrics) {
        assert_eq!(
            self.windows(),
            other.windows(),
            "shards share the window grid"
        );
        debug_assert!(
            other.reached + other.included + other.settled + other.access.count() == 0,
            "a shard records device-side events only"
        );
        debug_assert_eq!(self.measure, other.measure, "shards share the window");
        self.created += other.created;
        self.measured += other.measured;
        self.receipt_measured += other.receipt_measured;
        self.uploaded += other.uploaded;
        self.dropped_overflow += other.dropped_overflow;
        self.kinds.absorb(&other.kinds);
        let add = |a: &mut Vec<u64>, b: &Vec<u64>| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.created_w, &other.created_w);
        add(&mut self.dropped_w, &other.dropped_w);
        for (x, y) in self.online_w.iter_mut().zip(&other.online_w) {
            *x += y;
        }
        self.upload_wait.absorb(&other.upload_wait);
    }

    /// Records the mempool size for the window that ends at `at`.
    pub fn sample(&mut self, at: Time, mempool: u64) {
        let w = self.w(at.saturating_sub(1));
        self.mempool_w[w] = mempool;
    }

    /// Transactions created but neither settled nor dropped at each window's end. Derived
    /// from the per-window counts at the end of the run, because a sleeping device's readings
    /// are generated when it wakes, after the windows they belong to were sampled.
    pub fn pending_by_window(&self) -> Vec<u64> {
        let mut pending = 0i128;
        (0..self.windows())
            .map(|w| {
                pending += self.created_w[w] as i128
                    - self.settled_w[w] as i128
                    - self.dropped_w[w] as i128;
                pending as u64
            })
            .collect()
    }

    /// [`Metrics::pending_by_window`] less the chained transactions pending (at most one per
    /// chain in progress) and those stranded at validators down for good (no consensus can
    /// serve them, however fast): the backlog that a queue which never drains would grow.
    pub fn queued_by_window(&self) -> Vec<u64> {
        let mut chained = 0i64;
        let mut stranded = 0i64;
        self.pending_by_window()
            .into_iter()
            .zip(self.chained_w.iter().zip(&self.stranded_w))
            .map(|(p, (&c, &s))| {
                chained += c;
                stranded += s as i64;
                (p as i64 - chained - stranded).max(0) as u64
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_intervals_split_over_windows_and_clip_at_the_end() {
        let mut m = Metrics::new(10, 25);
        assert_eq!(m.windows(), 3);
        m.on_online(5, 100);
        assert_eq!(m.online_w, vec![5, 10, 5]);
        m.on_always_online(2);
        assert_eq!(m.online_w, vec![25, 30, 15]);
    }
}
