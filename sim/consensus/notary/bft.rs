//! The BFT notary cluster: PBFT (Castro & Liskov 1999) over notarisation requests, with
//! view change (`view_change.rs`). Members `0..3f+1`; the leader of view `v` is member `v mod n`.
//!
//! Normal case: the leader gives each request the next sequence number and pre-prepares it;
//! backups prepare to all; a member holding the pre-prepare and 2f + 1 of pre-prepare and
//! prepares (its own included) is prepared, keeps the (view, sequence, request) certificate and
//! votes commit to the leader; at 2f + 1 commits the leader executes sequences in order. The
//! uniqueness check is that execution: a request whose input an earlier sequence consumed is
//! rejected, otherwise signed. Pre-prepares carry the leader's executed sequence, so backups
//! know a stable prefix without extra messages. Under loss, a leader whose next sequence
//! stalls sends its pre-prepare again, and members repeat their prepare and commit; votes
//! count once per sender. A backup that forwarded a request hears from the leader when it is
//! executed, and forwards it again when the initiator retries (the forward or the reply may be
//! lost).

use super::{Ctx, Msg, Node, Notary, Stage, Timer, VOTE_BYTES};

impl Notary {
    pub(super) fn leader_of(&self, view: u64) -> u32 {
        (view % u64::from(self.cluster)) as u32
    }

    pub(super) fn stable_of(node: &Node) -> u64 {
        node.stable.max(node.exec)
    }

    /// To every other member: the members are the network's first `cluster` nodes.
    pub(super) fn multicast(
        &mut self,
        node: &Node,
        ctx: &mut Ctx<Msg, Timer>,
        msg: Msg,
        bytes: u64,
    ) {
        let others = self.cluster - u32::from(node.id < self.cluster);
        self.count(msg, others);
        ctx.broadcast_below(self.cluster, msg, bytes);
    }

    /// A request at a member: the leader orders it; a backup (the initiator retried) forwards
    /// it and waits for it to be executed. Below its quorum for good the cluster orders
    /// nothing more: the leader answers only what it decided, as in the Raft cluster
    /// (`on_request`), and a backup waits for nothing.
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
        if self.known_done(node, t) || self.quorum_gone() {
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

    pub(super) fn arm_progress(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
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
    pub(super) fn order(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, t: u32) {
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
        if self.quorum_gone() {
            return;
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
        // Below its quorum for good the cluster decides nothing more: sent again, a
        // pre-prepare would name a transaction its parties gave up on, once released.
        if node.view != view
            || node.changing
            || node.id != self.leader_of(view)
            || self.quorum_gone()
        {
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

    pub(super) fn enter_view(&mut self, node: &mut Node, view: u64) {
        node.view = view;
        node.changing = false;
        node.vc_tries = 0;
    }

    pub(super) fn accept_proposal(
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
    pub(super) fn check_prepared(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
        seq: u64,
    ) {
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
    pub(super) fn learn_executed(&mut self, node: &mut Node, ctx: &Ctx<Msg, Timer>) {
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
    pub(super) fn decide(&self, node: &mut Node, t: u32) -> bool {
        let input = self.txs[t].input;
        let ok = *node.consumed.entry(input).or_insert(t) == t;
        node.results.insert(t, ok);
        ok
    }
}
