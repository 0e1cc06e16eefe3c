//! The tangle itself: transactions in issue order (so every approval points to a smaller id
//! and the graph is acyclic by construction), their approvers, cumulative weights and
//! confirmation. Transactions that can no longer matter are released (see `Tangle::release`):
//! the live ones from `base` on sit in issue order, and the few below it still needed
//! (genesis, those pending at an origin that is down) in an ordered map.

use crate::engine::Time;
use crate::ledger::{TxKind, TxTag};
use std::collections::{BTreeMap, VecDeque};

pub const GENESIS: u32 = 0;

#[derive(Clone, Debug)]
pub struct Vertex {
    pub issued: Time,
    pub origin: u32,
    pub bytes: u32,
    /// Device creation time; `None` for genesis and milestones.
    pub created: Option<Time>,
    /// The issuing device (`u32::MAX` for genesis and milestones).
    pub device: u32,
    /// The device's sequence number and the transaction's kind (see `ledger::TxTag`).
    pub seq: u32,
    pub kind: TxKind,
    pub parents: Vec<u32>,
    pub approvers: Vec<u32>,
    /// When its first approver was issued (approvers come in issue order).
    pub first_approved: Option<Time>,
    /// Cumulative weight: 1 + transactions approving it directly or indirectly. Exact for
    /// every transaction still unconfirmed or issued within the weight window.
    pub weight: u32,
    pub confirmed: bool,
    /// When the coordinator's milestone or the weight threshold confirmed it.
    pub confirmed_at: Option<Time>,
    /// When its origin learnt it was confirmed (device transactions only).
    pub settled_at: Option<Time>,
    /// The last ancestor walk that reached it.
    mark: u32,
}

impl Vertex {
    /// A transaction not yet attached: no approvers, weight 1, unconfirmed.
    pub(crate) fn new(issued: Time, origin: u32, bytes: u32, parents: Vec<u32>) -> Self {
        Vertex {
            issued,
            origin,
            bytes,
            created: None,
            device: u32::MAX,
            seq: 0,
            kind: TxKind::Reading,
            parents,
            approvers: Vec::new(),
            first_approved: None,
            weight: 1,
            confirmed: false,
            confirmed_at: None,
            settled_at: None,
            mark: 0,
        }
    }

    pub fn tag(&self) -> TxTag {
        TxTag {
            device: self.device,
            seq: self.seq,
            kind: self.kind,
        }
    }
}

pub struct Dag {
    /// Live transactions with ids from `base` on, by `id - base`.
    recent: VecDeque<Vertex>,
    base: u32,
    /// Live transactions below `base`: genesis, and those held past the release age.
    old: BTreeMap<u32, Vertex>,
    /// Transactions without any approver.
    pub tips: u64,
    /// Approvals of a released transaction, and approvals of nothing: never expected.
    pub violations: u64,
    peak_live: usize,
    visited: Vec<u32>,
    epoch: u32,
}

impl Dag {
    pub(crate) fn new() -> Self {
        let mut genesis = Vertex::new(0, u32::MAX, 0, Vec::new());
        genesis.confirmed = true;
        genesis.confirmed_at = Some(0);
        Dag {
            recent: VecDeque::new(),
            base: GENESIS + 1,
            old: BTreeMap::from([(GENESIS, genesis)]),
            tips: 1,
            violations: 0,
            peak_live: 1,
            visited: Vec::new(),
            epoch: 0,
        }
    }

    /// Transactions issued so far, genesis included (the next id).
    pub(crate) fn len(&self) -> u32 {
        self.base + self.recent.len() as u32
    }

    /// Transactions held now.
    pub fn live(&self) -> usize {
        self.recent.len() + self.old.len()
    }

    /// The most transactions held at once.
    pub fn peak_live(&self) -> usize {
        self.peak_live
    }

    /// The first transaction not yet released or moved aside.
    pub(crate) fn base(&self) -> u32 {
        self.base
    }

    pub fn try_get(&self, x: u32) -> Option<&Vertex> {
        if x >= self.base {
            self.recent.get((x - self.base) as usize)
        } else {
            self.old.get(&x)
        }
    }

    /// A transaction still held; releasing one that is asked for again is a bug.
    pub fn get(&self, x: u32) -> &Vertex {
        self.try_get(x)
            .unwrap_or_else(|| panic!("transaction {x} asked for after its release"))
    }

    pub(crate) fn get_mut(&mut self, x: u32) -> Option<&mut Vertex> {
        if x >= self.base {
            self.recent.get_mut((x - self.base) as usize)
        } else {
            self.old.get_mut(&x)
        }
    }

    /// The live transactions in issue order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Vertex)> {
        let base = self.base;
        self.aside().chain(
            self.recent
                .iter()
                .enumerate()
                .map(move |(i, v)| (base + i as u32, v)),
        )
    }

    /// The id just past the last live transaction of `recent` issued at or before `t`.
    pub(crate) fn issued_until(&self, t: Time) -> u32 {
        self.base + self.recent.partition_point(|v| v.issued <= t) as u32
    }

    /// Adds a transaction approving `parents` (deduplicated, all issued before).
    pub(crate) fn push(&mut self, mut vx: Vertex) -> u32 {
        let id = self.len();
        vx.parents.sort_unstable();
        vx.parents.dedup();
        self.violations += vx.parents.is_empty() as u64;
        let issued = vx.issued;
        for &p in &vx.parents {
            assert!(p < id, "approval of a transaction not yet issued");
            let Some(pv) = self.get_mut(p) else {
                self.violations += 1;
                continue;
            };
            let was_tip = pv.approvers.is_empty();
            if was_tip {
                pv.first_approved = Some(issued);
            }
            pv.approvers.push(id);
            self.tips -= was_tip as u64;
        }
        self.recent.push_back(vx);
        self.tips += 1;
        self.peak_live = self.peak_live.max(self.live());
        id
    }

    /// Takes the transaction at `base` out of the sequence: dropped for good, or moved aside
    /// when `keep` (it is still needed).
    pub(crate) fn pop_base(&mut self, keep: bool) -> Option<Vertex> {
        let v = self.recent.pop_front()?;
        let x = self.base;
        self.base += 1;
        if keep {
            self.old.insert(x, v);
            None
        } else {
            Some(v)
        }
    }

    /// The transactions set aside below `base`, genesis first.
    pub(crate) fn aside(&self) -> impl Iterator<Item = (u32, &Vertex)> {
        self.old.iter().map(|(&x, v)| (x, v))
    }

    /// Drops a transaction set aside earlier (never genesis).
    pub(crate) fn take_aside(&mut self, x: u32) -> Option<Vertex> {
        if x == GENESIS {
            return None;
        }
        self.old.remove(&x)
    }

    /// Whether `x` or a held transaction approving it directly or indirectly has an id of at
    /// least `a`; released approvers are not followed. Newest approvers are followed first,
    /// so a live branch is usually found in a few steps.
    pub(crate) fn reaches(&self, x: u32, a: u32) -> bool {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![x];
        while let Some(y) = stack.pop() {
            if y >= a {
                return true;
            }
            if let Some(v) = self.try_get(y) {
                stack.extend(v.approvers.iter().filter(|&&z| seen.insert(z)));
            }
        }
        false
    }

    /// Ancestors of `x` (not `x`) reached through transactions for which `go` holds; the walk
    /// does not continue past a transaction for which it fails, nor past a released one
    /// (released only once `go` can no longer hold for it). Each is visited once.
    pub(crate) fn ancestors(&mut self, x: u32, go: impl Fn(&Vertex) -> bool) -> Vec<u32> {
        self.epoch += 1;
        let e = self.epoch;
        let mut out = Vec::new();
        self.visited.clear();
        self.visited.push(x);
        while let Some(y) = self.visited.pop() {
            let Some(n) = self.try_get(y).map(|v| v.parents.len()) else {
                continue;
            };
            for i in 0..n {
                let p = self.get(y).parents[i];
                let Some(pv) = self.get_mut(p) else { continue };
                if pv.mark == e || !go(pv) {
                    continue;
                }
                pv.mark = e;
                out.push(p);
                self.visited.push(p);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vx(parents: Vec<u32>) -> Vertex {
        Vertex::new(0, 0, 1, parents)
    }

    #[test]
    fn tips_and_ancestors() {
        let mut d = Dag::new();
        let a = d.push(vx(vec![GENESIS, GENESIS]));
        let b = d.push(vx(vec![GENESIS]));
        assert_eq!(d.tips, 2);
        let c = d.push(vx(vec![a, b]));
        assert_eq!(d.tips, 1);
        let mut anc = d.ancestors(c, |_| true);
        anc.sort();
        assert_eq!(anc, [GENESIS, a, b]);
        let anc = d.ancestors(c, |v| !v.confirmed);
        assert_eq!(anc.len(), 2);
        assert_eq!(d.violations, 0);
    }

    #[test]
    fn released_transactions_are_skipped_and_approving_one_is_a_violation() {
        let mut d = Dag::new();
        let a = d.push(vx(vec![GENESIS]));
        let b = d.push(vx(vec![a]));
        assert!(d.pop_base(false).is_some());
        assert_eq!((d.base(), d.live(), d.len()), (b, 2, 3));
        assert!(d.try_get(a).is_none());
        assert_eq!(d.ancestors(b, |_| true), Vec::<u32>::new());
        let c = d.push(vx(vec![a, b]));
        assert_eq!(d.violations, 1);
        assert_eq!(d.get(b).approvers, [c]);
        assert!(d.pop_base(true).is_none());
        assert_eq!(
            d.iter().map(|(x, _)| x).collect::<Vec<_>>(),
            [GENESIS, b, c]
        );
        assert_eq!(d.peak_live(), 3);
    }
}
