//! Coordinator milestones: validator 0 issues one every `interval_s`; everything it approves
//! directly or indirectly is confirmed, and each node settles its share when the milestone
//! message arrives, processing any it missed first.

use std::collections::BTreeMap;

use super::{Ctx, MILESTONE_BYTES, Msg, Node, Tangle, Timer};
use crate::engine::Time;

pub(super) struct Milestone {
    pub(super) issued: Time,
    /// Device transactions it newly confirmed.
    pub(super) count: u32,
    /// Those the origin has yet to learn, by origin validator, each in id order.
    pub(super) txs: BTreeMap<u32, Vec<u32>>,
}

impl Tangle {
    pub(super) fn issue_milestone(&mut self, ctx: &mut Ctx<Msg, Timer>) {
        let m = self.attach(ctx.node, None, ctx);
        let now = ctx.now;
        let t = self.dag.get_mut(m).expect("just attached");
        t.confirmed = true;
        t.confirmed_at = Some(now);
        let mut txs: Vec<(u32, u32)> = Vec::new();
        for a in self.dag.ancestors(m, |t| !t.confirmed) {
            let t = self.dag.get_mut(a).expect("held");
            t.confirmed = true;
            t.confirmed_at = Some(now);
            if t.created.is_some() {
                txs.push((t.origin, a));
            }
        }
        txs.sort_unstable();
        let count = txs.len() as u32;
        let mut by_origin: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (o, a) in txs {
            by_origin.entry(o).or_default().push(a);
        }
        let id = self.milestones.len() as u32;
        self.milestones.push(Milestone {
            issued: now,
            count,
            txs: by_origin,
        });
        for v in 0..self.settled.len() as u32 {
            if v != ctx.node {
                ctx.send(v, Msg::Milestone(id), MILESTONE_BYTES);
            }
        }
    }

    /// Processes every milestone `node` lacks up to `id`.
    pub(super) fn milestones_to(&mut self, node: &mut Node, id: u32, ctx: &mut Ctx<Msg, Timer>) {
        for k in node.next_milestone..=id {
            self.settle_milestone(k, node.id, ctx);
        }
        node.next_milestone = node.next_milestone.max(id + 1);
    }

    /// Settles what milestone `id` confirmed at `v`; each node processes a milestone once,
    /// so its list for `v` is dropped.
    pub(super) fn settle_milestone(&mut self, id: u32, v: u32, ctx: &mut Ctx<Msg, Timer>) {
        for x in self.milestones[id as usize]
            .txs
            .remove(&v)
            .unwrap_or_default()
        {
            self.settle(x, ctx);
        }
    }
}
