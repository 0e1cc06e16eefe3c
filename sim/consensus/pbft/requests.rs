//! Client requests as replicas see them: the transactions one upload brought to a validator,
//! forwarded as one request. Shared content (every replica can name a request by id); what
//! each replica knows or executed lives in its own state.
//!
//! A request is kept while it can still matter and released once it cannot (see
//! [`Requests::release`]), so memory follows the unsettled work, not the length of the run.
//! Ids stay unique over the run and keep their order.
//!
//! A request's id is the key its origin's handler ran under when it made the request
//! (`Ctx::key`), so no counter is shared between validators: keys grow from one handler to
//! the next, and a handler makes at most one request, so ids order as a counter in creation
//! order would (`sim/README.md`, validators in parallel). `(time, origin, origin's count)`
//! would not: uploads reach different validators at the same nanosecond, and then creation
//! follows the uploads' sources, not the origins.

use super::firsts::{self, Disagreement, Firsts};
use super::store::Store;
use crate::consensus::{Ctx, TxIn};
use crate::engine::{EventKey, Time};
use crate::ledger::TxKind;
use crate::metrics::Metrics;

/// Request header on the wire (client id, timestamp, signature).
pub const REQUEST_HEADER: u64 = 100;

/// A request's id: `(time, source, sequence)` of the key it was made under, as four 32-bit
/// words in that order (the array's order is the key's), 4-aligned so that a message
/// carrying one stays 24 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReqId([u32; 4]);

impl ReqId {
    pub fn of(key: EventKey) -> Self {
        let t = key.time();
        ReqId([(t >> 32) as u32, t as u32, key.source(), key.seq()])
    }
}

impl std::fmt::Display for ReqId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [hi, lo, source, seq] = self.0;
        let time = (u64::from(hi) << 32) | u64::from(lo);
        write!(f, "({time} ns, {source}, {seq})")
    }
}

pub struct Request {
    pub id: ReqId,
    pub origin: u32,
    pub bytes: u64,
    /// When it reached its origin.
    pub reached: Time,
    /// Its transactions: its store's from this index on.
    pub(super) first_tx: u64,
    pub(super) tx_count: u32,
    pub(super) released: bool,
}

/// Every request, in one store per partition of the validators (`store.rs`), each request in
/// its origin's, so that a validator's handler adds to and settles in its own partition's
/// store only (`sim/README.md`, validators in parallel). The validators run as one partition
/// until they run in windows. A request is found by its id in the store holding it; one in
/// none is released, and the first store answers for it as such. Where each request was
/// first executed is kept once per partition (`firsts.rs`).
pub struct Requests {
    stores: Vec<Store>,
    /// The first validator id of each partition (each a contiguous id range).
    bounds: Vec<u32>,
    /// Per partition, the first executions its replicas saw.
    firsts: Vec<Firsts>,
    /// Whether the family releases requests ([`Requests::releasing`]).
    releasing: bool,
    /// Most requests held at once.
    peak: usize,
}

impl Default for Requests {
    fn default() -> Self {
        Requests::with(false)
    }
}

impl Requests {
    fn with(releasing: bool) -> Self {
        Requests::partitioned(vec![0], releasing)
    }

    /// Requests of validators partitioned at `bounds` (each partition's first id, from 0 up).
    pub fn partitioned(bounds: Vec<u32>, releasing: bool) -> Self {
        assert!(bounds.first() == Some(&0) && bounds.is_sorted());
        let n = bounds.len();
        Requests {
            stores: (0..n).map(|_| Store::new()).collect(),
            bounds,
            firsts: (0..n).map(|_| Firsts::new(n)).collect(),
            releasing,
            peak: 0,
        }
    }

    /// Requests of a family that calls [`Requests::release`]; others keep every request and
    /// spend nothing on tracking what could go.
    pub fn releasing() -> Self {
        Requests::with(true)
    }

    /// How many partitions the stores are cut into.
    pub fn partitions(&self) -> usize {
        self.stores.len()
    }

    /// The partition of validator `v`: its store, and the one `Pbft`'s records of it are in.
    pub(super) fn partition_of(&self, v: u32) -> usize {
        self.bounds.partition_point(|&b| b <= v) - 1
    }

    fn store(&self, r: ReqId) -> &Store {
        match self.stores.as_slice() {
            [one] => one,
            all => all.iter().find(|s| s.index(r).is_some()).unwrap_or(&all[0]),
        }
    }

    /// The store holding kept request `r` and its position there (`None` once released).
    #[inline]
    fn locate(&self, r: ReqId) -> Option<(usize, usize)> {
        match self.stores.as_slice() {
            [one] => one.live_index(r).map(|i| (0, i)),
            all => all
                .iter()
                .enumerate()
                .find_map(|(k, s)| s.live_index(r).map(|i| (k, i))),
        }
    }

    fn store_mut(&mut self, r: ReqId) -> &mut Store {
        let k = match self.stores.as_slice() {
            [_] => 0,
            all => all.iter().position(|s| s.index(r).is_some()).unwrap_or(0),
        };
        &mut self.stores[k]
    }

    /// Registers the transactions that reached `origin` together; returns the request id.
    pub fn add<M, T>(&mut self, origin: u32, txs: &[TxIn], ctx: &mut Ctx<M, T>) -> ReqId {
        let id = ReqId::of(ctx.key);
        let k = self.partition_of(origin);
        self.stores[k].add(id, origin, txs, ctx);
        // Cut, the other stores are other partitions' to add to: the peak is taken at window
        // ends instead (`Requests::note_peak`; a diagnostic, as `Pbft`'s peaks).
        if self.stores.len() == 1 {
            self.peak = self.peak.max(self.live_len());
        }
        id
    }

    /// Counts the requests held now towards the peak: at a window's end, when cut.
    pub fn note_peak(&mut self) {
        self.peak = self.peak.max(self.live_len());
    }

    /// Requests added so far (released ones included).
    pub fn count(&self) -> u32 {
        self.stores.iter().map(Store::count).sum()
    }

    /// Requests added at `origin` so far.
    pub fn added_by(&self, origin: u32) -> u64 {
        self.stores[self.partition_of(origin)].added_by(origin)
    }

    /// The requests not yet released, by store and id. A released request is settled.
    pub fn live(&self) -> impl Iterator<Item = (ReqId, &Request)> {
        self.stores.iter().flat_map(Store::live)
    }

    /// Requests held now (released ones behind an unreleased one included), and the most
    /// held at once over the run.
    pub fn live_len(&self) -> usize {
        self.stores.iter().map(Store::live_len).sum()
    }

    pub fn peak_live(&self) -> usize {
        self.peak
    }

    /// Whether every transaction of `r` is settled (a released request is).
    pub fn is_settled(&self, r: ReqId) -> bool {
        self.store(r).is_settled(r)
    }

    /// Whether `r` is still kept.
    pub fn kept(&self, r: ReqId) -> bool {
        self.store(r).kept(r)
    }

    /// A request still kept; callers only name requests that can still matter.
    pub fn get(&self, r: ReqId) -> &Request {
        self.store(r).get(r)
    }

    /// Bytes of the requests of a batch, as a proposal carries them.
    pub fn bytes_of(&self, batch: &[ReqId]) -> u64 {
        batch.iter().map(|&r| self.get(r).bytes).sum()
    }

    /// How many of `r`'s transactions are of each kind, added to `into`.
    pub fn count_kinds(&self, r: ReqId, into: &mut [u32; TxKind::COUNT]) {
        self.store(r).count_kinds(r, into);
    }

    pub fn tx_count(&self, r: ReqId) -> u32 {
        self.get(r).tx_count
    }

    /// Marks the request proposed; records inclusion of transactions proposed for the first
    /// time. A released request was proposed before: nothing to record.
    pub fn on_proposed<M, T>(&mut self, r: ReqId, ctx: &mut Ctx<M, T>) {
        self.on_proposed_at(r, ctx.now, ctx.metrics);
    }

    /// As `on_proposed`, for a proposal made at `at`.
    pub fn on_proposed_at(&mut self, r: ReqId, at: Time, metrics: &mut Metrics) {
        self.store_mut(r).on_proposed(r, at, metrics);
    }

    /// Whether replica `node`'s state, executed through `exec_upto`, has executed `r`, as its
    /// partition's record says. Released requests were executed by every replica, so by any
    /// state a replica holds.
    pub fn executed(&self, node: u32, r: ReqId, exec_upto: u64) -> bool {
        self.locate(r).is_none_or(|at| {
            let s = self.first_at(node, at);
            s != 0 && s <= exec_upto
        })
    }

    /// Whether some replica has executed `r`. Reads every partition's record: for a family
    /// that runs with one partition (Raft), or at a window's end.
    pub fn executed_anywhere(&self, r: ReqId) -> bool {
        self.executed_somewhere(r, u64::MAX)
    }

    /// Whether some replica has executed `r` at or below `upto`; as `executed_anywhere`, it
    /// reads every partition's record (they agree: [`Requests::merge`]).
    pub fn executed_somewhere(&self, r: ReqId, upto: u64) -> bool {
        self.locate(r).is_none_or(|(k, i)| {
            let s = self.firsts.iter().map(|f| f.get(k, i)).find(|&s| s != 0);
            s.is_some_and(|s| s <= upto)
        })
    }

    /// The partition holding `node`'s records.
    #[inline]
    fn part_of(&self, node: u32) -> usize {
        if self.firsts.len() == 1 {
            0
        } else {
            self.partition_of(node)
        }
    }

    #[inline]
    fn first_at(&self, node: u32, (k, i): (usize, usize)) -> u64 {
        self.firsts[self.part_of(node)].get(k, i)
    }

    /// Replica `node` executes `r` at sequence `seq`; true when this is its first execution
    /// (a request may be ordered twice around a view change; the second copy is a no-op). A
    /// released request was executed everywhere below `seq`.
    pub fn execute(&mut self, node: u32, r: ReqId, seq: u64) -> bool {
        let Some(at) = self.locate(r) else {
            return false;
        };
        let p = self.part_of(node);
        let first = self.firsts[p].get(at.0, at.1);
        if first != 0 {
            return first == seq;
        }
        let log = self.firsts.len() > 1;
        self.firsts[p].set(at, r, seq, self.releasing, log);
        true
    }

    /// The merge of the partitions' first executions: stops the run if two partitions first
    /// executed a request at different sequence numbers (`firsts.rs`).
    #[inline]
    pub fn merge(&mut self) {
        // One partition: the check's one input agrees with itself.
        if self.firsts.len() == 1 {
            return;
        }
        if let Err(d) = self.check_agreement() {
            panic!(
                "the partitions disagree on where request {} was first executed: {} and {}",
                d.request, d.seqs.0, d.seqs.1
            );
        }
    }

    fn check_agreement(&mut self) -> Result<(), Disagreement> {
        let stores = &self.stores;
        firsts::agree(&mut self.firsts, |r, k| stores[k].live_index(r))
    }

    /// Settles the request's transactions (once each): the origin has executed it. Those
    /// invalidated at validation are dropped instead. Returns how many settled.
    pub fn settle<M, T>(&mut self, r: ReqId, ctx: &mut Ctx<M, T>) -> u64 {
        self.store_mut(r).settle(r, ctx)
    }

    /// As `settle`, for a family whose replicas executed the request's transactions
    /// themselves before (`Ctx::execute_part`): they settle now.
    pub fn settle_executed<M, T>(&mut self, r: ReqId, ctx: &mut Ctx<M, T>) -> u64 {
        self.store_mut(r).settle_executed(r, ctx)
    }

    /// Releases the requests first executed at or below `everywhere`, the sequence number
    /// every replica has executed (`Store::release`), as each partition recorded them.
    pub fn release(&mut self, everywhere: u64) {
        for p in 0..self.firsts.len() {
            while let Some(r) = self.firsts[p].pop_executed(everywhere) {
                if let Some((k, _)) = self.locate(r) {
                    self.stores[k].release(r);
                }
            }
        }
        for (k, s) in self.stores.iter_mut().enumerate() {
            let n = s.pop_released();
            for f in &mut self.firsts {
                f.popped(k, n);
            }
        }
    }

    /// The transactions of `r` that touch the shared key (`TxIn::hot`), by position in `r`.
    pub fn hot(&self, r: ReqId) -> impl Iterator<Item = usize> + use<'_> {
        self.store(r).hot(r)
    }

    /// Marks transaction `i` of `r` invalid: it is dropped where it would have settled.
    pub fn invalidate(&mut self, r: ReqId, i: usize) {
        self.store_mut(r).invalidate(r, i);
    }

    /// Transactions dropped because validation invalidated them.
    pub fn invalid_dropped(&self) -> u64 {
        self.stores.iter().map(Store::invalid_dropped).sum()
    }

    /// `(waiting, proposed but not settled)` transaction counts (released ones are settled).
    pub fn pending(&self) -> (u64, u64) {
        self.stores
            .iter()
            .map(Store::pending)
            .fold((0, 0), |(w, p), (a, b)| (w + a, p + b))
    }

    pub fn unincluded(&self) -> u64 {
        self.pending().0
    }
}

/// How far each replica has executed (`u64::MAX` once it never will again). What every one of
/// them has executed can no longer be asked about, which is when requests are released. The
/// lowest point and how many replicas sit at it are kept up to date, so a move costs O(1)
/// and the lowest point is looked for again only when its last replica leaves it.
pub struct Executed {
    points: Vec<u64>,
    min: u64,
    at_min: usize,
}

impl Executed {
    pub fn new(replicas: u32) -> Self {
        Executed {
            points: vec![0; replicas as usize],
            min: 0,
            at_min: replicas as usize,
        }
    }

    /// Moves replica `v`'s point to `upto`; returns its previous point.
    fn set(&mut self, v: u32, upto: u64) -> Option<u64> {
        let e = self.points.get_mut(v as usize)?;
        let was = std::mem::replace(e, upto);
        if upto < self.min {
            (self.min, self.at_min) = (upto, 1);
            return Some(was);
        }
        if was == self.min {
            self.at_min -= 1;
        }
        if upto == self.min {
            self.at_min += 1;
        }
        if self.at_min == 0 {
            self.min = self.points.iter().copied().min().unwrap_or(0);
            self.at_min = self.points.iter().filter(|&&p| p == self.min).count();
        }
        Some(was)
    }

    /// The point every replica has executed through.
    pub fn min(&self) -> u64 {
        self.min
    }

    /// Replica `v` has executed through `upto`; the lowest point is left for
    /// [`Executed::recount`] (partitions on threads write only their own replicas' points).
    pub fn put(&mut self, v: u32, upto: u64) {
        if let Some(e) = self.points.get_mut(v as usize) {
            *e = upto;
        }
    }

    /// The point every replica has executed through, found again after [`Executed::put`].
    pub fn recount(&mut self) -> u64 {
        self.min = self.points.iter().copied().min().unwrap_or(0);
        self.at_min = self.points.iter().filter(|&&p| p == self.min).count();
        self.min
    }

    /// Replica `v` has executed through `upto`. Returns the point every replica has now
    /// executed through when this may have moved it (only the slowest replica moving can).
    pub fn advance(&mut self, v: u32, upto: u64) -> Option<u64> {
        let was = self.set(v, upto)?;
        (self.min >= was).then_some(self.min)
    }

    /// Replica `v` has executed through `upto`. Returns the point every replica has now
    /// executed through when this raised it: once per rise, however many replicas sat at
    /// the old point (what a family needs whose release costs O(n) each time).
    pub fn raise(&mut self, v: u32, upto: u64) -> Option<u64> {
        let before = self.min;
        self.set(v, upto)?;
        (self.min > before).then_some(self.min)
    }
}

#[cfg(test)]
mod tests {
    use super::Executed;

    #[test]
    fn the_lowest_point_rises_once_its_last_replica_leaves_it() {
        let mut e = Executed::new(3);
        assert_eq!(e.raise(0, 5), None);
        assert_eq!(e.raise(1, 3), None);
        assert_eq!(e.raise(2, 4), Some(3));
        assert_eq!(e.raise(1, 9), Some(4));
        assert_eq!(e.raise(2, u64::MAX), Some(5));
        // `advance` answers whenever the slowest replica moved, the lowest point risen or not.
        let mut e = Executed::new(2);
        assert_eq!(e.advance(0, 2), Some(0));
        assert_eq!(e.advance(1, 1), Some(1));
        assert_eq!(e.advance(0, 3), None);
        assert_eq!(e.advance(1, 3), Some(3));
    }

    /// Partitions on threads `put` their own replicas' points, in whatever order the
    /// partitions run: the recount at the window's end finds the lowest point the sequential
    /// `raise`s reach, and the count of replicas at it that the `raise`s after it rely on.
    #[test]
    fn points_put_by_partitions_in_any_order_recount_to_the_sequential_lowest() {
        let parts = [
            vec![(0, 4), (0, 6)],
            vec![(1, 4)],
            vec![(2, 7), (2, 5)],
            vec![(3, 9)],
        ];
        let mut seq = Executed::new(4);
        for &(v, p) in parts.iter().flatten() {
            seq.raise(v, p);
        }
        assert_eq!(seq.min(), 4);
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            let mut cut = Executed::new(4);
            for &k in &order {
                for &(v, p) in &parts[k] {
                    cut.put(v, p);
                }
            }
            assert_eq!(cut.recount(), seq.min(), "{order:?}");
            // Replica 1 alone held the lowest point: leaving it raises it to replica 2's.
            assert_eq!(cut.raise(1, 8), Some(5), "{order:?}");
        }
    }
}
