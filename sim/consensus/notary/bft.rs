//! The BFT notary cluster: PBFT (Castro & Liskov 1999) over notarisation requests, with
//! view change. Members `0..3f+1`; the leader of view `v` is member `v mod n`.
//!
//! Normal case: the leader gives each request the next sequence number and pre-prepares it;
//! backups prepare to all; a member holding the pre-prepare and 2f + 1 of pre-prepare and
//! prepares (its own included) is prepared, keeps the (view, sequence, request) certificate and
//! votes commit to the leader; at 2f + 1 commits the leader executes sequences in order. The
//! uniqueness check is that execution: a request whose input an earlier sequence consumed is
//! rejected, otherwise signed. Pre-prepares carry the leader's executed sequence, so backups
//! know a stable prefix without extra messages.
//!
//! View change: a backup that got a request (an initiator's retry goes to every member) and
//! sees it executed within the view-change timeout moves to view v + 1 and sends every member
//! its stable sequence and prepared certificates; a member hearing f + 1 view changes for
//! higher views joins the smallest; one waiting too long for the new view moves on, the wait
//! doubling each time. The new leader, with 2f + 1 view changes, takes the highest stable
//! sequence as executed, rebuilds its consumed states from the certificates up to it in
//! sequence order, and re-proposes (new-view) each sequence above it — the certificate of the
//! highest view, or a null request — before new requests. A signed request was prepared at
//! 2f + 1 members, so any 2f + 1 view changes carry it and it keeps its sequence; the decision
//! of every sequence is therefore the same at every leader and no state is signed twice.
//! Under loss, a leader whose next sequence stalls sends its pre-prepare again, and members
//! repeat their prepare and commit; votes count once per sender. A backup that forwarded a
//! request hears from the leader when it is executed, and forwards it again when the initiator
//! retries (the forward or the reply may be lost). A member waiting for a new view sends its
//! view change again every quarter of the timeout, and the leader of a formed view sends its
//! new view again to a member asking for that view or an older one, so view changes converge.
//! Certificates below the stable sequence stand for the checkpoint PBFT would send: they are
//! not counted in the message's bytes. Faults are crashes, so a pre-prepare of a higher view
//! from that view's leader is taken as proof of the new view.

use super::checkpoint::drop_below;
use super::{Ctx, Msg, Node, Notary, Stage, Timer, VOTE_BYTES};

/// View-change and new-view header, and one certificate or proposal in them.
const HEADER: u64 = 100;
const CERT_BYTES: u64 = 48;
/// Sequences a member's low-water mark advances by before it discards what lies below: the
/// pass over its prepared marks then costs little per sequence.
const RELEASE_CHUNK: u64 = 64;

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
    fn leader_of(&self, view: u64) -> u32 {
        (view % u64::from(self.cluster)) as u32
    }

    fn stable_of(node: &Node) -> u64 {
        node.stable.max(node.exec)
    }

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
        let lowest = self.bft.lowest_view(self.cluster);
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

    /// To every other member: the members are the network's first `cluster` nodes.
    fn multicast(&mut self, node: &Node, ctx: &mut Ctx<Msg, Timer>, msg: Msg, bytes: u64) {
        let others = self.cluster - u32::from(node.id < self.cluster);
        self.count(msg, others);
        ctx.broadcast_below(self.cluster, msg, bytes);
    }

    /// A request at a member: the leader orders it; a backup (the initiator retried) forwards
    /// it and waits for it to be executed.
    pub(super) fn bft_request(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        forwarded_by: Option<u32>,
        t: u32,
    ) {
        if node.id >= self.cluster {
            return;
        }
        if node.id == self.leader_of(node.view) && !node.changing {
            if let Some(b) = forwarded_by {
                node.forwarders.entry(t).or_default().insert(b);
            }
            return self.order(node, ctx, t);
        }
        if self.known_done(node, t) {
            return;
        }
        // A retried request already waiting: the forward or the leader's reply may be lost.
        let first = node.waiting.insert(t);
        if !node.changing {
            let bytes = self.tx_bytes(t);
            let leader = self.leader_of(node.view);
            self.send(ctx, leader, Msg::Forward(t), bytes);
        }
        if first && node.waiting.len() == 1 {
            self.arm_progress(node, ctx);
        }
    }

    fn known_done(&self, node: &Node, t: u32) -> bool {
        node.ordered
            .get(&t)
            .is_some_and(|&s| s <= Self::stable_of(node))
    }

    fn arm_progress(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.progress_epoch = node.progress_epoch.wrapping_add(1);
        ctx.timer(self.view_change, Timer::Progress(node.progress_epoch));
    }

    pub(super) fn on_progress(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, epoch: u32) {
        if epoch != node.progress_epoch {
            return;
        }
        let waiting = std::mem::take(&mut node.waiting);
        node.waiting = waiting
            .into_iter()
            .filter(|&t| !self.known_done(node, t))
            .collect();
        if node.waiting.is_empty() || node.changing {
            return;
        }
        self.start_view_change(node, ctx, node.view + 1);
    }

    /// The leader's answer to a request: again if already decided, nothing while in progress,
    /// a rejection if an executed sequence consumed its input, else the next sequence.
    fn order(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, t: u32) {
        if let Some(&signed) = node.results.get(&t) {
            self.tell_forwarders(node, ctx, t);
            return if signed {
                self.sign(t, ctx)
            } else {
                self.reject(t, ctx)
            };
        }
        if node.ordered.contains_key(&t) {
            return;
        }
        let input = self.txs[t].input;
        if node.consumed.get(&input).is_some_and(|&o| o != t) {
            node.results.insert(t, false);
            self.rows.rejected(t);
            self.tell_forwarders(node, ctx, t);
            return self.reject(t, ctx);
        }
        let seq = node.next_seq;
        node.next_seq += 1;
        node.ordered.insert(t, seq);
        let n = &mut self.txs[t];
        if n.stage == Stage::Collecting {
            n.stage = Stage::Notarising;
        }
        self.propose(node, ctx, seq, Some(t));
    }

    fn propose(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, seq: u64, t: Option<u32>) {
        let view = node.view;
        node.pp.insert(seq, (view, t));
        if let Some(t) = t {
            self.rows.proposed(t, seq, node.id, ctx.now);
        }
        let bytes = t.map_or(VOTE_BYTES, |t| self.tx_bytes(t));
        let msg = Msg::PrePrepare {
            view,
            seq,
            t,
            stable: node.exec,
        };
        self.multicast(node, ctx, msg, bytes);
        self.check_prepared(node, ctx, view, seq);
        self.arm_resend(node, ctx);
    }

    fn arm_resend(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if !node.resend_armed {
            node.resend_armed = true;
            ctx.timer(self.view_change / 4, Timer::Resend(node.view, node.exec));
        }
    }

    /// Links lose messages: a leader whose next sequence has not executed for a quarter of
    /// the view-change timeout sends its pre-prepare again (no message without loss or crash).
    pub(super) fn on_resend(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
        exec: u64,
    ) {
        node.resend_armed = false;
        if node.view != view || node.changing || node.id != self.leader_of(view) {
            return;
        }
        let seq = node.exec + 1;
        if seq >= node.next_seq {
            return;
        }
        if node.exec == exec
            && let Some(&(v, t)) = node.pp.get(&seq)
            && v == view
        {
            let bytes = t.map_or(VOTE_BYTES, |t| self.tx_bytes(t));
            let msg = Msg::PrePrepare {
                view,
                seq,
                t,
                stable: node.exec,
            };
            self.multicast(node, ctx, msg, bytes);
        }
        self.arm_resend(node, ctx);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_pre_prepare(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        view: u64,
        seq: u64,
        t: Option<u32>,
        stable: u64,
    ) {
        if view < node.view || from != self.leader_of(view) || node.id >= self.cluster {
            return;
        }
        if view > node.view || node.changing {
            self.enter_view(node, view);
            self.forward_waiting(node, ctx);
        }
        node.stable = node.stable.max(stable);
        self.learn_executed(node, ctx);
        if seq <= node.floor {
            // Below the low-water mark: sent before its request was done, and lingering far
            // beyond any delay the network models (`txs.rs`).
            debug_assert!(false, "pre-prepare of sequence {seq} below {}", node.floor);
            return;
        }
        self.accept_proposal(node, ctx, view, seq, t);
    }

    fn enter_view(&mut self, node: &mut Node, view: u64) {
        node.view = view;
        node.changing = false;
        node.vc_tries = 0;
    }

    fn accept_proposal(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
        seq: u64,
        t: Option<u32>,
    ) {
        if node.pp.get(&seq).is_some_and(|&(v, _)| v > view) {
            return;
        }
        if node.pp.get(&seq) == Some(&(view, t)) {
            // The leader sent it again: a prepare or commit of ours may have been lost.
            self.multicast(node, ctx, Msg::Prepare { view, seq, t }, VOTE_BYTES);
            if node.prepared_at.contains(&(view, seq)) {
                let leader = self.leader_of(view);
                self.send(ctx, leader, Msg::Commit { view, seq, t }, VOTE_BYTES);
            }
            return;
        }
        node.pp.insert(seq, (view, t));
        if let Some(t) = t {
            node.ordered.insert(t, seq);
            // Learned executed before the proposal itself arrived.
            if seq <= node.reported {
                self.rows.applied(t, seq, node.id, ctx.now);
            }
        }
        self.multicast(node, ctx, Msg::Prepare { view, seq, t }, VOTE_BYTES);
        self.check_prepared(node, ctx, view, seq);
    }

    pub(super) fn on_prepare(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        view: u64,
        seq: u64,
    ) {
        // Votes for an earlier view, for a slot already prepared, or below the low-water mark
        // (executed and released) change nothing.
        if view < node.view || seq <= node.floor || node.prepared_at.contains(&(view, seq)) {
            return;
        }
        node.pcount.release_below(&(node.view, 0));
        node.pcount.add((view, seq), from);
        self.check_prepared(node, ctx, view, seq);
    }

    /// Prepared: the pre-prepare, the member's own prepare (a backup's) and the others'
    /// prepares reach 2f + 1.
    fn check_prepared(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, view: u64, seq: u64) {
        if node.view != view || node.changing {
            return;
        }
        let Some(&(v, t)) = node.pp.get(&seq) else {
            return;
        };
        let leader = self.leader_of(view);
        let own = u32::from(node.id != leader);
        let others = node.pcount.count(&(view, seq));
        let count = 1 + own + others;
        if v != view || count < self.quorum() || !node.prepared_at.insert((view, seq)) {
            return;
        }
        node.pcount.release_key(&(view, seq));
        node.certs.insert(seq, (view, t));
        if node.id == leader {
            let me = node.id;
            self.commit_vote(node, ctx, me, view, seq);
        } else {
            self.send(ctx, leader, Msg::Commit { view, seq, t }, VOTE_BYTES);
        }
    }

    pub(super) fn commit_vote(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        view: u64,
        seq: u64,
    ) {
        if node.view != view || node.changing || node.id != self.leader_of(view) {
            return;
        }
        // A committed slot's later votes change nothing.
        if seq <= node.exec || node.committed.contains(&seq) {
            return;
        }
        node.ccount.release_below(&(view, 0));
        if node.ccount.add((view, seq), from) == Some(self.quorum()) {
            node.ccount.release_key(&(view, seq));
            node.committed.insert(seq);
            self.execute(node, ctx);
        }
    }

    /// Executes committed sequences in order: the uniqueness check.
    fn execute(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        while node.committed.remove(&(node.exec + 1)) {
            node.exec += 1;
            let Some(&(_, Some(t))) = node.pp.get(&node.exec) else {
                self.bft.executed(node.exec, false);
                continue;
            };
            let Some(n) = self.txs.get_mut(t) else {
                // Released once decided and done: it was executed at another sequence.
                debug_assert!(false, "transaction {t} executed after its release");
                self.bft.executed(node.exec, false);
                continue;
            };
            let first = n.seq == 0;
            if first {
                n.seq = node.exec;
            }
            self.bft.executed(node.exec, first);
            self.tell_forwarders(node, ctx, t);
            if self.decide(node, t) {
                self.sign(t, ctx);
            } else {
                self.rows.rejected(t);
                self.reject(t, ctx);
            }
        }
        self.learn_executed(node, ctx);
    }

    /// The member counts, in `blocks`, the sequences it now knows executed: as the leader that
    /// executed them, or from the leader's executed sequence in a pre-prepare or new view.
    fn learn_executed(&mut self, node: &mut Node, ctx: &Ctx<Msg, Timer>) {
        let upto = Self::stable_of(node);
        for s in node.reported + 1..=upto {
            if let Some(&(_, Some(t))) = node.pp.get(&s) {
                self.rows.applied(t, s, node.id, ctx.now);
            }
        }
        node.reported = node.reported.max(upto);
    }

    /// Backups that forwarded `t` learn it was executed (they wait for it to start no view
    /// change); only retried requests are forwarded, so this costs nothing without faults.
    fn tell_forwarders(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, t: u32) {
        for b in node.forwarders.remove(&t).unwrap_or_default() {
            self.send(ctx, b, Msg::Executed(t), VOTE_BYTES);
        }
    }

    /// Whether `t`, next in sequence order, may consume its input.
    fn decide(&self, node: &mut Node, t: u32) -> bool {
        let input = self.txs[t].input;
        let ok = *node.consumed.entry(input).or_insert(t) == t;
        node.results.insert(t, ok);
        ok
    }

    fn start_view_change(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, view: u64) {
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
    fn forward_waiting(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
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
