//! The normal case: the primary pre-prepares batches, replicas prepare, commit and execute
//! them in sequence order, and release what every replica has executed.

use super::batches::{Rec, local_id};
use super::requests::ReqId;
use super::{Ctx, Msg, Node, Pbft, Phase, Slot, Timer, VOTE_BYTES};
use crate::consensus::decided::Batch;

impl Pbft {
    /// The primary pre-prepares everything queued, in batches of at most `batch_max_tx`.
    pub(super) fn propose(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.batch_timer = false;
        while !node.queue.is_empty() {
            let mut batch = Vec::new();
            let mut txs = 0u64;
            while let Some(&(r, t)) = node.queue.front() {
                let t = u64::from(t);
                if !batch.is_empty() && txs + t > u64::from(self.params.batch_max_tx) {
                    break;
                }
                node.queue.pop_front();
                node.queue_tx -= t;
                if !self.requests.executed(node.id, r, node.exec_upto) {
                    batch.push(r);
                    txs += t;
                }
            }
            if batch.is_empty() {
                continue;
            }
            let logs = &mut self.own(node.id).logs;
            for &r in &batch {
                logs.proposed(ctx.key, r, ctx.now);
            }
            node.next_seq = node.next_seq.max(node.exec_upto) + 1;
            let (view, seq) = (node.view, node.next_seq);
            let id = self.new_batch(batch, seq, false, ctx);
            node.slots.insert(seq, Slot::new(view, id));
            if self.byz.equivocates(node.id) {
                self.equivocate(node, ctx, view, seq, id);
            } else {
                self.multicast(
                    node,
                    ctx,
                    Msg::PrePrepare {
                        view,
                        seq,
                        batch: id,
                    },
                );
            }
        }
    }

    /// Replica `v` has executed through `upto` (`u64::MAX`: it never will again); releases
    /// the requests every replica has now executed.
    /// Cut into partitions, the release waits for the window's end (rule 4: the least point
    /// as of then is a lower bound of the true one, and releasing later changes nothing a
    /// replica observes).
    /// Cut, a handler logs its replica's point in its own partition's records, put with the
    /// others' and the least found at the window's end.
    pub(super) fn executed_to(&mut self, v: u32, upto: u64) {
        if self.windowed {
            self.own(v).executed.push((v, upto));
        } else if let Some(everywhere) = self.exec.advance(v, upto) {
            self.release_through(everywhere);
        }
    }

    /// Releases what every replica has executed as of a window's end.
    pub(super) fn release_executed(&mut self) {
        for p in &mut self.parts {
            for (v, upto) in p.executed.drain(..) {
                self.exec.put(v, upto);
            }
        }
        let everywhere = self.exec.recount();
        if everywhere > self.floor {
            self.release_through(everywhere);
        }
    }

    fn release_through(&mut self, everywhere: u64) {
        // With one partition this runs inside a handler: the batches it made join first.
        self.settle_fresh();
        self.requests.release(everywhere);
        self.floor = everywhere;
        let requests = &self.requests;
        self.batches
            .release(everywhere, |r| requests.executed_somewhere(r, everywhere));
    }

    /// Counts decision state held now towards the peak; cut into partitions, at each
    /// window's end only (what is held in the middle of one depends on the order partitions
    /// ran in).
    pub(super) fn note_held(&mut self) {
        if !self.windowed {
            self.note_held_now();
        }
    }

    pub(super) fn note_held_now(&mut self) {
        let held: usize = self.parts.iter().map(|p| p.held).sum();
        let now = held + self.rows.open_len() + self.batches_len();
        self.peak_held = self.peak_held.max(now);
    }

    /// Records a batch proposed now by this node at `seq` (its `second` there when
    /// equivocating); returns its id.
    pub(super) fn new_batch(
        &mut self,
        batch: Vec<ReqId>,
        seq: u64,
        second: bool,
        ctx: &Ctx<Msg, Timer>,
    ) -> u32 {
        let txs = batch.iter().map(|&r| self.requests.tx_count(r)).sum();
        let rec = Rec {
            seq,
            bytes: self.requests.bytes_of(&batch),
            txs,
            requests: batch,
            proposer: ctx.node,
            proposed_at: ctx.now,
            number: 0,
        };
        let id = local_id(ctx.node, second);
        if self.recording {
            self.fresh_mut(ctx.node)
                .proposed_at
                .push(((seq, id), ctx.now));
        }
        self.fresh_mut(ctx.node).batches.insert((seq, id), rec);
        self.own(ctx.node).logs.batch(ctx.key, seq, id);
        self.note_held();
        id
    }

    /// A Byzantine primary pre-prepares `a` to one half of the honest replicas and a
    /// conflicting batch (the same requests in reverse order, so a different digest) to the
    /// other, the Byzantine replicas getting both; it commits both at once.
    pub(super) fn equivocate(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
        seq: u64,
        a: u32,
    ) {
        let mut other = self.batch_requests(node.id, seq, a).to_vec();
        other.reverse();
        let b = self.new_batch(other, seq, true, ctx);
        let me = ctx.node;
        for to in (0..self.n).filter(|&to| to != me) {
            let half = self.byz.half_of(to);
            for (batch, first) in [(a, true), (b, false)] {
                if half.is_none_or(|h| h == first) {
                    self.send(node, ctx, to, Msg::PrePrepare { view, seq, batch });
                }
            }
        }
        for batch in [a, b] {
            self.multicast(node, ctx, Msg::Commit { view, seq, batch });
        }
    }

    pub(super) fn pre_prepare(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
        seq: u64,
        batch: u32,
    ) {
        if self.byz.equivocates(node.id) {
            // Prepares and commits every proposal at once, conflicting ones included.
            self.learn_batch(node, ctx, seq, batch);
            self.multicast(node, ctx, Msg::Prepare { view, seq, batch });
            self.multicast(node, ctx, Msg::Commit { view, seq, batch });
            return;
        }
        // Below the floor every replica decided the same batch: a proposal there is stale.
        if node.decisions.get(&seq).is_some_and(|&b| b != batch) {
            return;
        }
        if let Some(s) = node.slots.get(&seq)
            && s.view == view
        {
            return;
        }
        node.slots.insert(seq, Slot::new(view, batch));
        self.learn_batch(node, ctx, seq, batch);
        node.vote(view, seq, batch, Phase::Prepare, node.id);
        self.multicast(node, ctx, Msg::Prepare { view, seq, batch });
        self.check_prepared(node, ctx, seq);
    }

    /// Learns the requests of a proposed batch, so a replica that missed their multicast
    /// knows them from the proposal.
    fn learn_batch(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, seq: u64, batch: u32) {
        for &r in self.batch_requests(node.id, seq, batch) {
            self.learn(node, ctx, r);
        }
    }

    pub(super) fn check_prepared(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, seq: u64) {
        let Some(&s) = node.slots.get(&seq) else {
            return;
        };
        if s.prepared || node.view != s.view || !node.active {
            return;
        }
        if node.votes_for(s.view, seq, s.batch, Phase::Prepare) + 1 < self.q {
            return;
        }
        node.slots.get_mut(&seq).expect("present").prepared = true;
        if self.byz.equivocates(node.id) {
            // Its commits went out with the proposal.
            return;
        }
        node.vote(s.view, seq, s.batch, Phase::Commit, node.id);
        let msg = Msg::Commit {
            view: s.view,
            seq,
            batch: s.batch,
        };
        self.multicast(node, ctx, msg);
        self.check_committed(node, ctx, s.view, seq, s.batch);
    }

    pub(super) fn check_committed(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
        seq: u64,
        batch: u32,
    ) {
        if node.votes_for(view, seq, batch, Phase::Commit) >= self.q {
            self.decide(node, ctx, seq, batch);
        }
    }

    /// Records the decision of `seq` and executes what is now contiguous.
    pub(super) fn decide(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        seq: u64,
        batch: u32,
    ) {
        // Executed here: decided before (at or below the floor, no longer held).
        if seq <= node.exec_upto {
            if node.decisions.get(&seq).is_some_and(|&b| b != batch) {
                node.conflicts += 1;
            }
            return;
        }
        match node.decisions.get(&seq) {
            Some(&b) if b != batch => node.conflicts += 1,
            Some(_) => return,
            None => {
                node.decisions.insert(seq, batch);
                self.own(node.id).held += 1;
                if self.recording {
                    node.decided.insert(seq, batch);
                    node.decided_at.insert(seq, ctx.now);
                }
                let rec = self.batch(node.id, seq, batch);
                let info = Batch::with(
                    rec.bytes,
                    rec.txs,
                    rec.proposer,
                    rec.proposed_at,
                    VOTE_BYTES,
                    self.q,
                );
                let by = (node.id, rec.number, ctx.now);
                self.own(node.id)
                    .logs
                    .applied(ctx.key, (seq, batch), by, info);
            }
        }
        let before = node.exec_upto;
        while let Some(&b) = node.decisions.get(&(node.exec_upto + 1)) {
            let s = node.exec_upto + 1;
            for i in 0..self.batch_requests(node.id, s, b).len() {
                let r = self.batch_requests(node.id, s, b)[i];
                let first = self.requests.execute(node.id, r, s);
                node.waiting.remove(&r);
                if first && self.requests.get(r).origin == node.id {
                    node.own.remove(&r);
                    node.settled += self.requests.settle(r, ctx);
                }
            }
            node.exec_upto = s;
            let own = self.own(node.id);
            own.decided = own.decided.max(s);
            // Executed here for good: `enqueue` turns them away before consulting `queued`.
            for &r in self.batch_requests(node.id, s, b) {
                if self.requests.executed(node.id, r, s) {
                    node.queued.remove(&r);
                }
            }
        }
        self.note_held();
        if node.exec_upto > before {
            self.executed_to(node.id, node.exec_upto);
        }
        let pruned = node.prune(self.floor);
        self.own(node.id).held -= pruned;
        if node.exec_upto > before {
            node.attempts = 0;
            if node.active {
                self.rearm(node, ctx);
            }
        }
        if node.exec_upto < seq && node.gap_timer < seq {
            node.gap_timer = seq;
            ctx.timer(self.timeout / 2, Timer::Gap(seq));
        }
    }
}
