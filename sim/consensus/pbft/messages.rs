//! What goes out of a replica (counted, sized, or held back by a withholding one) and what it
//! does with each message and timer that reaches it.

use super::*;

impl Pbft {
    pub(super) fn send(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, to: u32, msg: Msg) {
        if let Some(bytes) = self.outgoing(node, msg, 1) {
            ctx.send(to, msg, bytes);
        }
    }

    /// Counts `copies` of `msg` going out from `node`; their size, or `None` when a
    /// withholding replica keeps them back.
    pub(super) fn outgoing(&self, node: &mut Node, msg: Msg, copies: u64) -> Option<u64> {
        if self.byz.withholds(node.id)
            && matches!(
                msg,
                Msg::Prepare { .. } | Msg::Commit { .. } | Msg::ViewChange { .. }
            )
        {
            return None;
        }
        let bytes = match msg {
            Msg::Request(r) => self.requests.get(r).bytes,
            Msg::PrePrepare { seq, batch, .. } => {
                VOTE_BYTES + self.batch(node.id, seq, batch).bytes
            }
            Msg::ViewChange { id, .. } => {
                VOTE_BYTES * (1 + self.view_change(node.id, id).certs.len() as u64)
            }
            Msg::NewView { id, .. } => {
                VOTE_BYTES * (1 + self.new_view(node.id, id).entries.len() as u64)
            }
            Msg::Transfer(id) => {
                let t = self.transfer(node.id, id);
                VOTE_BYTES * (1 + t.released + t.entries.len() as u64)
            }
            _ => VOTE_BYTES,
        };
        let c = &mut node.sent;
        *match msg {
            Msg::Request(_) => &mut c.request,
            Msg::PrePrepare { .. } => &mut c.pre_prepare,
            Msg::Prepare { .. } => &mut c.prepare,
            Msg::Commit { .. } => &mut c.commit,
            Msg::ViewChange { .. } => &mut c.view_change,
            Msg::NewView { .. } => &mut c.new_view,
            Msg::NeedNewView(_) | Msg::Fetch { .. } | Msg::Transfer(_) => &mut c.catch_up,
        } += copies;
        Some(bytes)
    }

    pub(super) fn multicast(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, msg: Msg) {
        if let Some(bytes) = self.outgoing(node, msg, u64::from(self.n - 1)) {
            ctx.broadcast(msg, bytes);
        }
    }

    pub(super) fn handle(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        msg: Msg,
    ) {
        match msg {
            Msg::Request(r) => {
                self.learn(node, ctx, r);
                self.enqueue(node, ctx, r);
            }
            Msg::PrePrepare { view, seq, batch } => {
                if self.behind(node, ctx, from, view) {
                    node.future.push((view, seq, batch, from));
                    return;
                }
                if view == node.view && node.active && from == self.primary(view) {
                    self.pre_prepare(node, ctx, view, seq, batch);
                }
            }
            Msg::Prepare { view, seq, batch } => {
                if seq > node.exec_upto {
                    node.vote(view, seq, batch, Phase::Prepare, from);
                }
                if !self.behind(node, ctx, from, view) && view == node.view {
                    self.check_prepared(node, ctx, seq);
                }
            }
            Msg::Commit { view, seq, batch } => {
                self.behind(node, ctx, from, view);
                // A commit certificate proves the decision whatever view this replica is in.
                if seq > node.exec_upto {
                    node.vote(view, seq, batch, Phase::Commit, from);
                    self.check_committed(node, ctx, view, seq, batch);
                }
                if node.exec_upto < seq {
                    node.helper = from;
                }
            }
            Msg::ViewChange { id, view } => self.on_view_change(node, ctx, from, id, view),
            Msg::NewView { id, view } => self.on_new_view(node, ctx, id, view),
            Msg::NeedNewView(view) => {
                if view == node.view
                    && node.active
                    && let Some(id) = node.new_view_id
                {
                    self.send(node, ctx, from, Msg::NewView { id, view });
                }
            }
            Msg::Fetch { from: lo, to: hi } => {
                let released = if lo <= node.released_upto {
                    hi.min(node.released_upto) - lo + 1
                } else {
                    0
                };
                let entries: Vec<(u64, u32)> = node
                    .decisions
                    .range(lo..=hi)
                    .map(|(&s, &b)| (s, b))
                    .collect();
                if released > 0 || !entries.is_empty() {
                    let id = node.record_id();
                    let t = Transfer { released, entries };
                    self.fresh_mut(node.id).transfers.insert(id, t);
                    self.send(node, ctx, from, Msg::Transfer(id));
                }
            }
            Msg::Transfer(id) => {
                let entries = self.take_transfer(node.id, id);
                for (s, b) in entries.unwrap_or_default() {
                    self.decide(node, ctx, s, b);
                }
            }
        }
    }

    pub(super) fn tick(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        match timer {
            Timer::Batch { view } => {
                if view == node.view && node.batch_timer {
                    self.propose(node, ctx);
                }
            }
            Timer::Progress { epoch } => {
                if epoch == node.epoch && (!node.waiting.is_empty() || !node.active) {
                    node.attempts += 1;
                    let next = node.view + 1;
                    self.start_view_change(node, ctx, next);
                }
            }
            Timer::VcResend { view } => self.resend_view_change(node, ctx, view),
            Timer::Retry(r, k) => {
                if node.own.contains(&r) {
                    self.multicast(node, ctx, Msg::Request(r));
                    let k = (k + 1).min(MAX_BACKOFF);
                    ctx.timer(self.timeout << k, Timer::Retry(r, k));
                }
            }
            Timer::Gap(seq) => {
                if node.exec_upto < seq && node.helper != node.id {
                    let msg = Msg::Fetch {
                        from: node.exec_upto + 1,
                        to: seq,
                    };
                    let helper = node.helper;
                    self.send(node, ctx, helper, msg);
                    node.gap_timer = 0;
                }
            }
        }
    }
}
