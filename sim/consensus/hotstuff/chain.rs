//! The block tree and the safety rules: proposing on the highest QC, voting only for blocks
//! that extend the lock or carry a newer QC, the two-chain lock and the three-chain commit,
//! and the forking coalition of equivocating leaders.

use super::ReqId;
use super::{Block, FORK_CHILDREN, HotStuff, Msg, Node, Timer};
use crate::consensus::{Ctx, decided::Batch};
use std::collections::BTreeSet;

impl HotStuff {
    pub(super) fn extends(&self, mut b: u32, ancestor: u32) -> bool {
        let h = self.blocks.get(ancestor).height;
        while self.blocks.get(b).height > h {
            b = self.blocks.get(b).parent;
        }
        b == ancestor
    }

    /// Requests in uncommitted blocks from `b` down to the node's committed block.
    pub(super) fn in_chain(&self, node: &Node, mut b: u32) -> (BTreeSet<ReqId>, bool) {
        let mut set = BTreeSet::new();
        let floor = self.blocks.get(node.committed).height;
        let mut nonempty = false;
        while self.blocks.get(b).height > floor {
            let blk = &self.blocks.get(b);
            nonempty |= !blk.batch.is_empty();
            set.extend(blk.batch.iter().copied());
            b = blk.parent;
        }
        (set, nonempty)
    }

    /// The leader of `node.view` proposes on its highest QC, if there is anything to order.
    pub(super) fn propose(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let parent = node.high_qc;
        let (chained, uncommitted) = self.in_chain(node, parent);
        let mut batch = Vec::new();
        let mut txs = 0u64;
        for &r in &node.waiting {
            if chained.contains(&r) {
                continue;
            }
            let t = u64::from(self.requests.tx_count(r));
            if !batch.is_empty() && txs + t > u64::from(self.params.batch_max_tx) {
                break;
            }
            batch.push(r);
            txs += t;
        }
        if batch.is_empty() && !uncommitted {
            node.idle_leader = true;
            return;
        }
        node.idle_leader = false;
        node.proposed_view = node.view;
        for &r in &batch {
            self.requests.on_proposed(r, ctx);
        }
        let height = self.blocks.get(parent).height + 1;
        let b = self.blocks.push(Block {
            parent,
            justify: parent,
            view: node.view,
            height,
            batch,
            proposed_at: ctx.now,
        });
        if self.byz.equivocates(node.id) {
            self.equivocate(node, ctx, b);
            return;
        }
        self.multicast(ctx, Msg::Proposal(b));
        self.on_proposal(node, ctx, b);
    }

    /// A Byzantine leader proposes `a` to one half of the honest replicas and a conflicting
    /// block of the same view and height (the same requests in reverse order, so a different
    /// digest) to the other, the Byzantine replicas getting both.
    pub(super) fn equivocate(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, a: u32) {
        let blk = &self.blocks.get(a);
        let mut batch = blk.batch.clone();
        batch.reverse();
        let other = Block {
            parent: blk.parent,
            justify: blk.justify,
            view: blk.view,
            height: blk.height,
            batch,
            proposed_at: ctx.now,
        };
        let b = self.blocks.push(other);
        let view = self.blocks.get(a).view;
        if self.byz.equivocates(self.leader(view + 1)) {
            // A three-chain on each branch: three children after these.
            self.branch.insert(a, (true, FORK_CHILDREN));
            self.branch.insert(b, (false, FORK_CHILDREN));
        }
        for to in (0..self.n).filter(|&to| to != node.id) {
            let half = self.byz.half_of(to);
            for (blk, first) in [(a, true), (b, false)] {
                if half.is_none_or(|h| h == first) {
                    self.send(ctx, to, Msg::Proposal(blk));
                }
            }
        }
        self.on_proposal(node, ctx, a);
        self.on_proposal(node, ctx, b);
    }

    /// Sends this replica's vote for `b` to the next view's leader.
    pub(super) fn vote(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, b: u32) {
        let next = self.leader(self.blocks.get(b).view + 1);
        if next == node.id {
            let me = node.id;
            self.on_vote(node, ctx, me, b);
        } else {
            self.send(ctx, next, Msg::Vote(b));
        }
    }

    pub(super) fn on_proposal(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, b: u32) {
        let (view, justify) = (self.blocks.get(b).view, self.blocks.get(b).justify);
        let equivocates = self.byz.equivocates(node.id);
        if equivocates {
            // Votes for every proposal, conflicting ones included, whatever its lock says.
            self.vote(node, ctx, b);
        }
        if view < node.view {
            return;
        }
        self.update(node, ctx, justify);
        // Requests whose multicast this replica missed are known from the block itself.
        let committed_h = self.blocks.get(node.committed).height;
        for &r in &self.blocks.get(b).batch {
            if !self.requests.executed(node.id, r, committed_h) {
                node.waiting.insert(r);
            }
        }
        let lock_view = self.blocks.get(node.locked).view;
        let safe = self.extends(b, node.locked) || self.blocks.get(justify).view > lock_view;
        if safe && view > node.voted_view && !equivocates {
            node.voted_view = view;
            self.vote(node, ctx, b);
        }
        if node.view <= view {
            node.view = view + 1;
            self.arm(node, ctx);
        }
    }

    /// Applies the QC for `b2` carried by a proposal: highest QC, lock, commit.
    pub(super) fn update(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, b2: u32) {
        if self.blocks.get(b2).view > self.blocks.get(node.high_qc).view {
            node.high_qc = b2;
        }
        let b1 = self.blocks.get(b2).justify;
        if self.blocks.get(b1).view > self.blocks.get(node.locked).view {
            node.locked = b1;
        }
        let b0 = self.blocks.get(b1).justify;
        if self.blocks.get(b2).parent == b1
            && self.blocks.get(b1).parent == b0
            && self.blocks.get(b0).height > self.blocks.get(node.committed).height
        {
            self.commit(node, ctx, b0);
        }
    }

    pub(super) fn commit(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, b: u32) {
        let floor = self.blocks.get(node.committed).height;
        let mut chain = Vec::new();
        let mut c = b;
        while self.blocks.get(c).height > floor {
            chain.push(c);
            c = self.blocks.get(c).parent;
        }
        if c != node.committed {
            // The new chain does not extend what this replica committed.
            node.conflicts += 1;
        }
        for &blk in chain.iter().rev() {
            let height = self.blocks.get(blk).height;
            if self.record {
                node.decided.insert(height, blk);
                node.decided_at.insert(height, ctx.now);
            }
            for i in 0..self.blocks.get(blk).batch.len() {
                let r = self.blocks.get(blk).batch[i];
                let first = self.requests.execute(node.id, r, height);
                node.waiting.remove(&r);
                if first && self.requests.get(r).origin == node.id {
                    self.settled[node.id as usize] += self.requests.settle(r, ctx);
                }
            }
            self.decided = self.decided.max(height);
            let (requests, blocks, n, stored) = (&self.requests, &self.blocks, self.n, self.stored);
            let info = || {
                let blk = blocks.get(blk);
                Batch::of(
                    requests,
                    &blk.batch,
                    (blk.view % u64::from(n)) as u32,
                    blk.proposed_at,
                    stored.0,
                    stored.1,
                )
            };
            self.rows
                .applied(height, height, (node.id, blk, ctx.now), info);
        }
        node.committed = b;
        node.timeouts = 0;
        self.executed_to(node.id, self.blocks.get(b).height);
    }

    /// Replica `v` has committed through height `upto` (`u64::MAX`: it never will again);
    /// releases the requests every replica has now executed, and blocks at the end of the
    /// event, once per rise of the lowest committed height (a release looks at every
    /// replica's marks). Nothing asks a released request's size again: proposals are sized
    /// when sent, rows when first applied.
    pub(super) fn executed_to(&mut self, v: u32, upto: u64) {
        if let Some(everywhere) = self.exec.raise(v, upto) {
            self.requests.release(everywhere);
            self.release_due = true;
        }
    }

    /// The next view after `view` led by an equivocating replica and followed by another's.
    pub(super) fn fork_view(&self, view: u64) -> u64 {
        (view + 1..view + 1 + u64::from(self.n))
            .find(|&w| {
                self.byz.equivocates(self.leader(w)) && self.byz.equivocates(self.leader(w + 1))
            })
            .expect("a fork view exists once one did")
    }

    /// A fork branch's block `c` has a quorum: the next fork view's leader extends it.
    pub(super) fn certified(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, c: u32) {
        let (half, left) = self.branch[&c];
        if left == 0 {
            return;
        }
        let w = self.fork_view(self.blocks.get(c).view);
        let l = self.leader(w);
        if l != node.id {
            self.send(ctx, l, Msg::Collude(c));
            return;
        }
        let parent = &self.blocks.get(c);
        let child = Block {
            parent: c,
            justify: c,
            view: w,
            height: parent.height + 1,
            batch: Vec::new(),
            proposed_at: ctx.now,
        };
        let d = self.blocks.push(child);
        self.branch.insert(d, (half, left - 1));
        for to in (0..self.n).filter(|&to| to != node.id) {
            if self.byz.half_of(to).is_none_or(|h| h == half) {
                self.send(ctx, to, Msg::Proposal(d));
            }
        }
        self.on_proposal(node, ctx, d);
    }
}
