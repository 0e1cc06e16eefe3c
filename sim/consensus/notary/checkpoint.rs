//! What lets the BFT members discard their records below a low-water mark, as PBFT's stable
//! checkpoint does (Castro & Liskov 1999, §4.3), while a new leader still rebuilds exactly the
//! consumed states it would have rebuilt from every certificate of the run.
//!
//! A transaction leaves the shared store (`txs.rs`) only once the sequence it was executed at
//! is known executed at f + 1 members (the `(f + 1)`-th highest stable sequence): any 2f + 1
//! view changes include one of them, so every new view starts at or above it. The retired
//! sequence is the highest below which every sequence is executed and names no transaction
//! still tracked; a member discards its pre-prepares, certificates and prepared marks at or
//! below it (and below what it has counted in `blocks`), and its map of transactions to
//! sequences and decisions for transactions released. A new view's rebuild then finds in the
//! view changes every certificate naming a transaction still tracked; the states that
//! released signed transactions consumed, and that a tracked or future transaction may still
//! name, are kept here, once for the cluster, as the checkpoint's state.

use super::{NTx, Node, Notary, Stage};
use crate::scenario::NotaryCluster;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
pub struct Checkpoint {
    /// Sequences executed whose transaction is still tracked, and the highest executed.
    executed_live: BTreeSet<u64>,
    exec_high: u64,
    /// Each member's stable sequence and view as it last knew them.
    stables: Vec<u64>,
    views: Vec<u64>,
    /// States consumed by released signed transactions, not yet retired, by the transaction.
    consumed: BTreeMap<u64, u32>,
}

impl Checkpoint {
    /// A leader executed `seq`; `first_of_tx` when it is where its transaction was first
    /// executed.
    pub fn executed(&mut self, seq: u64, first_of_tx: bool) {
        if first_of_tx {
            self.executed_live.insert(seq);
        }
        self.exec_high = self.exec_high.max(seq);
    }

    pub fn publish(&mut self, member: u32, stable: u64, view: u64) {
        let m = member as usize;
        if self.stables.len() <= m {
            self.stables.resize(m + 1, 0);
            self.views.resize(m + 1, 0);
        }
        self.stables[m] = self.stables[m].max(stable);
        debug_assert!(self.views[m] <= view, "views only grow");
        self.views[m] = view;
    }

    /// The lowest view of a member not `gone` (one yet to publish counts as view 0): a
    /// member down for good reads nothing more, and its view stays where it stopped.
    pub fn lowest_view(&self, members: u32, gone: &[bool]) -> u64 {
        if self.views.len() < members as usize {
            return 0;
        }
        let live = self.views.iter().zip(gone).filter(|&(_, &g)| !g);
        live.map(|(&v, _)| v).min().unwrap_or(0)
    }

    /// The sequence known executed at f + 1 members (`u64::MAX` outside the BFT cluster).
    pub fn quorum_stable(&self, cluster: &NotaryCluster) -> u64 {
        let &NotaryCluster::Bft { faults } = cluster else {
            // No view changes: nothing waits on a stable sequence.
            return u64::MAX;
        };
        let mut s = self.stables.clone();
        s.sort_unstable_by(|a, b| b.cmp(a));
        s.get(faults as usize).copied().unwrap_or(0)
    }

    /// Whether a done transaction may leave the store: not executed (a single notary's, or
    /// one the BFT leader rejected before ordering it), or executed at a sequence every new
    /// view starts at or above.
    pub fn may_release(n: &NTx, quorum_stable: u64) -> bool {
        n.seq == 0 || n.seq <= quorum_stable
    }

    pub fn released(&mut self, t: u32, n: &NTx) {
        if n.seq != 0 {
            self.executed_live.remove(&n.seq);
            if n.stage == Stage::Signed {
                self.consumed.insert(n.input, t);
            }
        }
    }

    /// No transaction still tracked or to come consumes `x`.
    pub fn retire(&mut self, x: u64) {
        self.consumed.remove(&x);
    }

    /// The highest sequence at or below which every sequence is executed and names no
    /// transaction still tracked, and which every new view starts at or above.
    pub fn retired_seq(&self, cluster: &NotaryCluster) -> u64 {
        let live = self.executed_live.first().map_or(u64::MAX, |&s| s - 1);
        self.exec_high.min(live).min(self.quorum_stable(cluster))
    }

    /// The states released signed transactions consumed, for a new leader's rebuild.
    pub fn consumed(&self) -> &BTreeMap<u64, u32> {
        &self.consumed
    }

    pub fn len(&self) -> usize {
        self.executed_live.len() + self.consumed.len()
    }
}

/// View-change or new-view contents by id, each for a view. Only a message for a view at or
/// above its receiver's view is read (a member ignores view changes and new views for views
/// below its own), so contents for views below every member's view — as each last published
/// it; views only grow — are read no more, and go once they are half of what is kept.
pub struct ByView<T> {
    items: BTreeMap<u32, (u64, T)>,
    next: u32,
    kept: usize,
}

impl<T> Default for ByView<T> {
    fn default() -> Self {
        ByView {
            items: BTreeMap::new(),
            next: 0,
            kept: 0,
        }
    }
}

impl<T> ByView<T> {
    pub fn push(&mut self, view: u64, item: T) -> u32 {
        self.items.insert(self.next, (view, item));
        self.next += 1;
        self.next - 1
    }

    pub fn release_below(&mut self, view: u64) {
        if self.items.len() >= 2 * self.kept + 8 {
            self.items.retain(|_, (v, _)| *v >= view);
            self.kept = self.items.len();
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
}

impl<T> std::ops::Index<u32> for ByView<T> {
    type Output = T;
    fn index(&self, id: u32) -> &T {
        &self
            .items
            .get(&id)
            .unwrap_or_else(|| panic!("view message {id} read after its release"))
            .1
    }
}

/// Drops the entries of `map` keyed below `floor`; a map that holds none is left untouched,
/// so the common case costs one look at its first key.
pub(super) fn drop_below<K: Ord + Copy, V>(map: &mut BTreeMap<K, V>, floor: K) {
    if map.first_key_value().is_some_and(|(&k, _)| k < floor) {
        *map = map.split_off(&floor);
    }
}

/// Sequences a member's low-water mark advances by before it discards what lies below: the
/// pass over its prepared marks then costs little per sequence.
const RELEASE_CHUNK: u64 = 64;

impl Notary {
    /// Discards what this member can no longer need (`checkpoint.rs`). Its pre-prepares,
    /// certificates and prepared marks at or below the retired sequence and what it counted
    /// in `blocks`: every request there is executed and released or null, each new view
    /// starts above, and such a pre-prepare or vote is stale (below PBFT's low-water mark).
    /// Its maps by transaction, for transactions released: nothing names those again. The
    /// consumed states and decisions of a member not leading: only the leader of the current
    /// view reads them, and a member rebuilds both when it forms a new view; the leader's
    /// consumed states no transaction can name again (`Notary::retire`).
    pub(super) fn bft_release(&mut self, node: &mut Node) {
        self.bft.publish(node.id, Self::stable_of(node), node.view);
        let lowest = self.bft.lowest_view(self.cluster, &self.gone);
        self.vc_store.release_below(lowest);
        self.nv_store.release_below(lowest);
        let floor = self
            .bft
            .retired_seq(&self.params.cluster)
            .min(node.reported);
        if floor >= node.floor + RELEASE_CHUNK {
            node.pp = node.pp.split_off(&(floor + 1));
            node.certs = node.certs.split_off(&(floor + 1));
            node.prepared_at.retain(|&(_, s)| s > floor);
            node.floor = floor;
        }
        let base = self.txs.base();
        drop_below(&mut node.ordered, base);
        drop_below(&mut node.results, base);
        drop_below(&mut node.forwarders, base);
        let view = node.view;
        drop_below(&mut node.vcs, view);
        if node.id != self.leader_of(node.view) || node.changing {
            node.consumed.clear();
            node.results.clear();
            node.pruned_at = 0;
        } else if node.consumed.len() >= 2 * node.pruned_at + 64 {
            node.consumed.retain(|&x, _| !self.retired(x));
            node.pruned_at = node.consumed.len();
        }
    }
}
