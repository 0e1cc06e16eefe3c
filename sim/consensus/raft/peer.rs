//! The peer side: endorsement, submission to the orderers, block validation and commit.

use super::{Ctx, HEADER, Msg, Node, Raft, ReqId, Timer};
use crate::consensus::decided::Batch;
use crate::engine::Time;
use crate::ledger::{Part, TxKind};

impl Raft {
    /// The peers asked on attempt `attempt`: the next `endorsers` after the origin, shifted by
    /// one set per retry so that a crashed endorser is eventually passed over.
    fn endorsers(&self, origin: u32, attempt: u32) -> Vec<u32> {
        let e = self.params.endorsers;
        let others = self.n - 1;
        (0..e)
            .map(|k| (origin + 1 + (attempt * e + k) % others) % self.n)
            .collect()
    }

    pub(super) fn endorse(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, r: ReqId) {
        let attempt = node.pending[&r].attempt;
        if self.params.endorsers == 0 {
            // The origin endorses it itself, on its own cores.
            let bytes = self.requests.get(r).bytes;
            self.on_endorse(node, ctx, node.id, r, attempt, bytes);
            return;
        }
        let bytes = self.requests.get(r).bytes;
        for to in self.endorsers(node.id, attempt) {
            self.send(ctx, to, Msg::Endorse { r, attempt, bytes });
        }
        self.arm_retry(node, ctx, r);
    }

    /// An endorser simulates `r` (reading the versions of the keys it touches) on its
    /// cores and answers `from` once that is done: at once when execution is free.
    pub(super) fn on_endorse(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        r: ReqId,
        attempt: u32,
        bytes: u64,
    ) {
        self.mvcc.read(&self.requests, r);
        let done = self.work(ctx, &[r], Part::Endorse);
        if done > ctx.now {
            ctx.timer(
                done - ctx.now,
                Timer::Endorsement {
                    from,
                    r,
                    attempt,
                    bytes,
                },
            );
        } else {
            self.endorsement_done(node, ctx, from, r, attempt, bytes);
        }
    }

    pub(super) fn endorsement_done(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        r: ReqId,
        attempt: u32,
        bytes: u64,
    ) {
        if from != node.id {
            self.send(ctx, from, Msg::Endorsed { r, attempt, bytes });
        } else if node
            .pending
            .get(&r)
            .is_some_and(|p| !p.endorsed && p.attempt == attempt)
        {
            self.endorsed(node, ctx, r);
        }
    }

    /// This peer's cores do `part` of the work of requests `rs` from now; returns when that
    /// ends (now when execution is free). A request already released (a duplicate ordered
    /// again, executed everywhere at its first position) costs nothing.
    fn work(&self, ctx: &mut Ctx<Msg, Timer>, rs: &[ReqId], part: Part) -> Time {
        if !ctx.executes() {
            return ctx.now;
        }
        let mut kinds = [0; TxKind::COUNT];
        for &r in rs {
            if self.requests.kept(r) {
                self.requests.count_kinds(r, &mut kinds);
            }
        }
        ctx.execute_part(ctx.now, &kinds, part)
    }

    /// How long validating block `b` takes from now: the per-transaction checks on this
    /// peer's cores (none when execution is free), then `block_validation_ms`.
    pub(super) fn validation_time(&self, ctx: &mut Ctx<Msg, Timer>, b: u32) -> Time {
        let endorsements = self.params.endorsers;
        let part = Part::Validate { endorsements };
        let done = self.work(ctx, &self.blocks.get(b).batch, part);
        done - ctx.now + self.validation
    }

    pub(super) fn on_endorsed(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        r: ReqId,
        attempt: u32,
    ) {
        let Some(p) = node.pending.get_mut(&r) else {
            return;
        };
        if p.endorsed || p.attempt != attempt {
            return;
        }
        p.got += 1;
        if p.got == self.params.endorsers {
            self.endorsed(node, ctx, r);
        }
    }

    fn endorsed(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, r: ReqId) {
        node.pending.get_mut(&r).expect("pending").endorsed = true;
        self.submit(node, ctx, r);
        self.arm_retry(node, ctx, r);
    }

    fn submit(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, r: ReqId) {
        let to = node.leader_hint;
        node.pending.get_mut(&r).expect("pending").sent_to = to;
        let bytes = self.requests.get(r).bytes;
        if to == node.id {
            self.on_submit(node, ctx, r, bytes);
        } else {
            self.send(ctx, to, Msg::Submit { r, bytes });
        }
    }

    pub(super) fn arm_retry(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, r: ReqId) {
        let p = node.pending.get_mut(&r).expect("pending");
        p.round = p.round.wrapping_add(1);
        let delay = if p.endorsed {
            2 * self.election + self.batch_timeout
        } else {
            self.election
        };
        ctx.timer(delay, Timer::Retry { r, round: p.round });
    }

    pub(super) fn on_retry(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        r: ReqId,
        round: u32,
    ) {
        let Some(p) = node.pending.get_mut(&r) else {
            return;
        };
        if p.round != round {
            return;
        }
        if p.endorsed {
            // Unless a leader was heard of since, the orderer tried may be down or deposed:
            // try the next one.
            if p.sent_to == node.leader_hint {
                node.leader_hint = (node.leader_hint + 1) % self.orderers;
            }
            self.submit(node, ctx, r);
            // The block holding it may have been ordered already and its delivery (or the
            // fetch of a gap) lost: ask the presumed leader for the blocks this peer lacks. A
            // leader ignores a transaction ordered before, so without this the origin could
            // wait forever. Every pending transaction retries, so the request is made at most
            // once per election timeout, and names only the gap: asking
            // each time for everything from the next height on made a peer that validates
            // slower than blocks arrive receive its whole backlog again for every one of its
            // transactions (a million devices: 460 M deliveries in 90 s, growing with the
            // square of the time).
            if node.leader_hint != node.id {
                let leader = node.leader_hint;
                self.fetch_gap(node, ctx, leader, true);
            }
            self.catch_up(node, ctx);
            self.arm_retry(node, ctx, r);
        } else {
            p.attempt += 1;
            p.got = 0;
            self.endorse(node, ctx, r);
        }
    }

    /// An orderer's peer side takes the blocks it lacks from its own log up to its commit
    /// index (committed there means committed everywhere). A leader needs this: the blocks
    /// its predecessor committed but never delivered (cut off or crashed first) reach no one
    /// else's peer through it otherwise, and it fetches from no one.
    pub(super) fn catch_up(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if node.id >= self.orderers {
            return;
        }
        for h in Self::next_height(node)..=node.commit {
            if !node.received.contains_key(&h) {
                let b = Self::entry(node, h);
                self.on_deliver(node, ctx, node.id, b);
            }
        }
    }

    /// Asks orderer `to` for the lowest run of heights this peer lacks (from the next height
    /// to commit up to the first block it already holds). A gap seen on a delivery is asked
    /// of its sender once; a retry asks at most once per election timeout, whatever the gap
    /// and orderer (each waiting transaction retries, and leader hints rotate).
    fn fetch_gap(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, to: u32, retry: bool) {
        if retry && ctx.now < node.fetched_at.saturating_add(self.election) {
            return;
        }
        let mut lo = Self::next_height(node);
        let mut above = node.received.range(lo..).map(|(&h, _)| h);
        let hi = loop {
            match above.next() {
                Some(h) if h == lo => lo += 1,
                Some(h) => break h - 1,
                None => break u64::MAX,
            }
        };
        if !retry && node.fetched == (lo, to) {
            return;
        }
        node.fetched = (lo, to);
        node.fetched_at = ctx.now;
        self.send(ctx, to, Msg::Fetch { from: lo, to: hi });
    }

    pub(super) fn next_height(node: &Node) -> u64 {
        node.committed.keys().next_back().map_or(1, |h| h + 1)
    }

    pub(super) fn on_deliver(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        b: u32,
    ) {
        // A released block is below every live peer's height: ignored here in any case.
        let Some(blk) = self.blocks.find(b) else {
            return;
        };
        let h = blk.index;
        let next = Self::next_height(node);
        if h < next {
            return;
        }
        if from < self.orderers && from != node.id {
            node.leader_hint = from;
        }
        node.received.insert(h, b);
        if from != node.id && !node.received.contains_key(&next) {
            self.fetch_gap(node, ctx, from, false);
        }
        if !node.validating {
            self.start_validation(node, ctx);
        }
    }

    fn start_validation(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let next = Self::next_height(node);
        if let Some(&b) = node.received.get(&next) {
            node.validating = true;
            // The leader's empty entries carry nothing to validate.
            let delay = if self.blocks.get(b).batch.is_empty() {
                0
            } else {
                self.validation_time(ctx, b)
            };
            ctx.timer(delay, Timer::Validate);
        }
    }

    /// Peer `v` has committed through height `h` (`u64::MAX`: it never will again); releases
    /// the requests every peer has now executed.
    pub(super) fn committed_to(&mut self, v: u32, h: u64) {
        if let Some(everywhere) = self.heights.advance(v, h) {
            self.requests.release(everywhere);
        }
    }

    pub(super) fn on_validated(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if !node.validating {
            return;
        }
        node.validating = false;
        let h = Self::next_height(node);
        let Some(b) = node.received.remove(&h) else {
            return;
        };
        node.committed.insert(h, b);
        let blk = self.blocks.get(b);
        let info = || Batch {
            proposer: blk.leader,
            proposed_at: blk.appended_at,
            bytes: HEADER + blk.bytes,
            tx_count: blk.tx_count,
        };
        self.rows.applied(h, h, (node.id, b, ctx.now), info);
        self.mvcc
            .validate(&mut self.requests, &self.blocks.get(b).batch, h);
        for i in 0..self.blocks.get(b).batch.len() {
            let r = self.blocks.get(b).batch[i];
            let first = self.requests.execute(node.id, r, h);
            if first && self.requests.get(r).origin == node.id {
                // Validated above on this peer's cores (`validation_time`).
                self.settled[node.id as usize] += self.requests.settle_executed(r, ctx);
                node.pending.remove(&r);
            }
        }
        self.committed_to(node.id, h);
        self.start_validation(node, ctx);
    }
}
