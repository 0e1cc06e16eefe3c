//! The BFT notary cluster's view change (PBFT, Castro & Liskov 1999, §4.4); the normal case is
//! in `bft.rs`, the low-water mark in `checkpoint.rs`.
//!
//! A backup that got a request (an initiator's retry goes to every member) and
//! sees it executed within the view-change timeout moves to view v + 1 and sends every member
//! its stable sequence and prepared certificates; a member hearing f + 1 view changes for
//! higher views joins the smallest; one waiting too long for the new view moves on, the wait
//! doubling each time. The new leader, with 2f + 1 view changes, takes the highest stable
//! sequence as executed, rebuilds its consumed states from the certificates up to it in
//! sequence order, and re-proposes (new-view) each sequence above it — the certificate of the
//! highest view, or a null request — before new requests. A signed request was prepared at
//! 2f + 1 members, so any 2f + 1 view changes carry it and it keeps its sequence; the decision
//! of every sequence is therefore the same at every leader and no state is signed twice.
//! Under loss, a member waiting for a new view sends its view change again every quarter of
//! the timeout, and the leader of a formed view sends its new view again to a member asking
//! for that view or an older one, so view changes converge.
//! Certificates below the stable sequence stand for the checkpoint PBFT would send: they are
//! not counted in the message's bytes. Faults are crashes, so a pre-prepare of a higher view
//! from that view's leader is taken as proof of the new view.

use super::{Ctx, Msg, Node, Notary, Timer};

/// View-change and new-view header, and one certificate or proposal in them.
const HEADER: u64 = 100;
const CERT_BYTES: u64 = 48;

/// What a view-change message carries: the sender's stable sequence and its certificates
/// `(sequence, view, request)` (`None`: a null request).
pub struct ViewChange {
    pub stable: u64,
    pub certs: Vec<(u64, u64, Option<u32>)>,
}

/// What a new-view message carries: the sequence taken as executed and the proposals above it.
pub struct NewView {
    pub start: u64,
    pub proposals: Vec<(u64, Option<u32>)>,
}

impl Notary {
    pub(super) fn start_view_change(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
    ) {
        node.view = view;
        node.changing = true;
        let stable = Self::stable_of(node);
        let certs: Vec<_> = node.certs.iter().map(|(&s, &(v, t))| (s, v, t)).collect();
        let above = certs.iter().filter(|c| c.0 > stable).count() as u64;
        let id = self.vc_store.push(view, ViewChange { stable, certs });
        node.vc_id = id;
        self.multicast(
            node,
            ctx,
            Msg::ViewChange { view, id },
            HEADER + CERT_BYTES * above,
        );
        ctx.timer(self.view_change / 4, Timer::VcResend(view, id));
        node.vcs.entry(view).or_default().insert(node.id, id);
        let wait = self.view_change << node.vc_tries.min(6);
        node.vc_tries += 1;
        ctx.timer(wait, Timer::ViewChange(view));
        self.try_new_view(node, ctx, view);
    }

    /// PBFT retransmits a view change while waiting for the new view: it or the new view may
    /// have been lost.
    pub(super) fn on_vc_resend(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
        id: u32,
    ) {
        if !node.changing || node.view != view || node.vc_id != id {
            return;
        }
        let vc = &self.vc_store[id];
        let above = vc.certs.iter().filter(|c| c.0 > vc.stable).count() as u64;
        let msg = Msg::ViewChange { view, id };
        self.multicast(node, ctx, msg, HEADER + CERT_BYTES * above);
        ctx.timer(self.view_change / 4, Timer::VcResend(view, id));
    }

    /// The leader of the current view sends its new view again to a member asking for this
    /// view or an older one: that member missed it.
    fn resend_new_view(&mut self, node: &Node, ctx: &mut Ctx<Msg, Timer>, to: u32) {
        let Some(id) = node.nv_id else { return };
        if node.changing || node.new_view != node.view || node.id != self.leader_of(node.view) {
            return;
        }
        let nv = &self.nv_store[id];
        let bytes = HEADER + CERT_BYTES * (self.quorum() as u64 + nv.proposals.len() as u64);
        let view = node.view;
        self.send(ctx, to, Msg::NewView { view, id }, bytes);
    }

    pub(super) fn on_view_change_timer(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
    ) {
        if node.changing && node.view == view {
            self.start_view_change(node, ctx, view + 1);
        }
    }

    pub(super) fn on_view_change(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        view: u64,
        id: u32,
    ) {
        if node.id >= self.cluster {
            return;
        }
        if view <= node.view && !node.changing {
            return self.resend_new_view(node, ctx, from);
        }
        if view < node.view {
            return;
        }
        node.vcs.entry(view).or_default().insert(from, id);
        // f + 1 members want a later view: at least one is up and right to.
        let mut senders: Vec<u32> = node
            .vcs
            .range(node.view + 1..)
            .flat_map(|(_, m)| m.keys().copied())
            .collect();
        senders.sort_unstable();
        senders.dedup();
        if senders.len() as u32 > self.quorum() / 2 {
            let smallest = *node.vcs.range(node.view + 1..).next().expect("senders").0;
            return self.start_view_change(node, ctx, smallest);
        }
        self.try_new_view(node, ctx, view);
    }

    fn try_new_view(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, view: u64) {
        let ready = node.view == view
            && node.changing
            && node.id == self.leader_of(view)
            && node.vcs.get(&view).map_or(0, |m| m.len()) as u32 >= self.quorum();
        if ready {
            self.new_view(node, ctx, view);
        }
    }

    /// The new leader's state from 2f + 1 view changes, and its re-proposals.
    fn new_view(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, view: u64) {
        let ids: Vec<u32> = node.vcs[&view].values().copied().collect();
        let mut start = 0;
        let mut union: std::collections::BTreeMap<u64, (u64, Option<u32>)> = Default::default();
        for &id in &ids {
            let vc = &self.vc_store[id];
            start = start.max(vc.stable);
            for &(s, v, t) in &vc.certs {
                if union.get(&s).is_none_or(|&(w, _)| v > w) {
                    union.insert(s, (v, t));
                }
            }
        }
        // Released transactions' certificates may be gone: the states the signed ones
        // consumed are the checkpoint's, and nothing asks about them again.
        node.consumed = self.bft.consumed().clone();
        node.results.clear();
        node.ordered.clear();
        node.committed.clear();
        for (&s, &(v, t)) in union.range(..=start) {
            node.pp.insert(s, (v, t));
            if let Some(t) = t
                && self.txs.kept(t)
            {
                node.ordered.insert(t, s);
                self.decide(node, t);
            }
        }
        node.exec = start;
        node.stable = start;
        let last = union.keys().next_back().copied().unwrap_or(0).max(start);
        let proposals: Vec<(u64, Option<u32>)> = (start + 1..=last)
            .map(|s| (s, union.get(&s).and_then(|&(_, t)| t)))
            .collect();
        node.next_seq = last + 1;
        self.enter_view(node, view);
        node.new_view = view;
        self.view_changes.push((ctx.now, view, node.id));
        let bytes = HEADER + CERT_BYTES * (ids.len() + proposals.len()) as u64;
        let id = self.nv_store.push(
            view,
            NewView {
                start,
                proposals: proposals.clone(),
            },
        );
        node.nv_id = Some(id);
        self.multicast(node, ctx, Msg::NewView { view, id }, bytes);
        self.learn_executed(node, ctx);
        for (s, t) in proposals {
            node.pp.insert(s, (view, t));
            if let Some(t) = t {
                node.ordered.insert(t, s);
                self.rows.proposed(t, s, node.id, ctx.now);
            }
            self.check_prepared(node, ctx, view, s);
        }
        // Requests that reached this member while the leader was failing.
        for t in std::mem::take(&mut node.waiting) {
            self.order(node, ctx, t);
        }
    }

    pub(super) fn on_new_view(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        view: u64,
        id: u32,
    ) {
        // A pre-prepare of the view may have overtaken its (larger) new-view message.
        let fresh = view >= node.view && view > node.new_view;
        if node.id >= self.cluster || !fresh || from != self.leader_of(view) {
            return;
        }
        self.enter_view(node, view);
        node.new_view = view;
        let nv = &self.nv_store[id];
        node.stable = node.stable.max(nv.start);
        let proposals = nv.proposals.clone();
        self.learn_executed(node, ctx);
        for (s, t) in proposals {
            self.accept_proposal(node, ctx, view, s, t);
        }
        self.forward_waiting(node, ctx);
    }

    /// A backup in a new view passes its waiting requests to the new leader (they reached it
    /// while the view was changing, or the old leader never answered) and waits again.
    pub(super) fn forward_waiting(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if node.waiting.is_empty() || node.id == self.leader_of(node.view) {
            return;
        }
        let leader = self.leader_of(node.view);
        for t in node.waiting.clone() {
            let bytes = self.tx_bytes(t);
            self.send(ctx, leader, Msg::Forward(t), bytes);
        }
        self.arm_progress(node, ctx);
    }

    /// A member back from a crash: its timers were lost.
    pub(super) fn recover_bft_member(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if node.changing {
            let view = node.view;
            ctx.timer(self.view_change, Timer::ViewChange(view));
        }
        if !node.waiting.is_empty() {
            self.arm_progress(node, ctx);
        }
    }
}
