//! The tangle itself: transactions in issue order (so every approval points to a smaller id
//! and the graph is acyclic by construction), their approvers, cumulative weights and
//! confirmation.

use crate::engine::Time;
use crate::ledger::{TxKind, TxTag};

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
    /// Cumulative weight: 1 + transactions approving it directly or indirectly. Exact for
    /// every transaction still unconfirmed or issued within the weight window.
    pub weight: u32,
    pub confirmed: bool,
    /// When the coordinator's milestone or the weight threshold confirmed it.
    pub confirmed_at: Option<Time>,
    /// When its origin learnt it was confirmed (device transactions only).
    pub settled_at: Option<Time>,
}

impl Vertex {
    pub fn tag(&self) -> TxTag {
        TxTag {
            device: self.device,
            seq: self.seq,
            kind: self.kind,
        }
    }
}

pub struct Dag {
    pub v: Vec<Vertex>,
    /// Transactions without any approver.
    pub tips: u64,
    visited: Vec<u32>,
    mark: Vec<u32>,
    epoch: u32,
}

impl Dag {
    pub(crate) fn new() -> Self {
        Dag {
            v: vec![Vertex {
                issued: 0,
                origin: u32::MAX,
                bytes: 0,
                created: None,
                device: u32::MAX,
                seq: 0,
                kind: TxKind::Reading,
                parents: Vec::new(),
                approvers: Vec::new(),
                weight: 1,
                confirmed: true,
                confirmed_at: Some(0),
                settled_at: None,
            }],
            tips: 1,
            visited: Vec::new(),
            mark: vec![0],
            epoch: 0,
        }
    }

    pub(crate) fn len(&self) -> u32 {
        self.v.len() as u32
    }

    pub fn get(&self, x: u32) -> &Vertex {
        &self.v[x as usize]
    }

    /// Adds a transaction approving `parents` (deduplicated, all existing).
    pub(crate) fn push(&mut self, mut vx: Vertex) -> u32 {
        let id = self.len();
        vx.parents.sort_unstable();
        vx.parents.dedup();
        for &p in &vx.parents {
            assert!(p < id, "approval of a transaction not yet issued");
            let pv = &mut self.v[p as usize];
            if pv.approvers.is_empty() {
                self.tips -= 1;
            }
            pv.approvers.push(id);
        }
        self.v.push(vx);
        self.mark.push(0);
        self.tips += 1;
        id
    }

    /// Ancestors of `x` (not `x`) reached through transactions for which `go` holds; the walk
    /// does not continue past a transaction for which it fails. Each is visited once.
    pub(crate) fn ancestors(&mut self, x: u32, go: impl Fn(&Vertex) -> bool) -> Vec<u32> {
        self.epoch += 1;
        let e = self.epoch;
        let mut out = Vec::new();
        self.visited.clear();
        self.visited.push(x);
        while let Some(y) = self.visited.pop() {
            for i in 0..self.v[y as usize].parents.len() {
                let p = self.v[y as usize].parents[i];
                if self.mark[p as usize] == e || !go(&self.v[p as usize]) {
                    continue;
                }
                self.mark[p as usize] = e;
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
        Vertex {
            issued: 0,
            origin: 0,
            bytes: 1,
            created: None,
            device: u32::MAX,
            seq: 0,
            kind: TxKind::Reading,
            parents,
            approvers: Vec::new(),
            weight: 1,
            confirmed: false,
            confirmed_at: None,
            settled_at: None,
        }
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
    }
}
