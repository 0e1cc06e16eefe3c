//! The pacemaker and view changes: the next leader's QC from the votes, view timers with
//! backoff, `NEW-VIEW`s and joining a view f + 1 replicas moved to, and what each replica
//! holds on to at the end of its events (the release of blocks and of `NEW-VIEW` records).

use super::store::Marks;
use super::{HotStuff, MAX_BACKOFF, Msg, Node, Timer};
use crate::consensus::Ctx;

impl HotStuff {
    pub(super) fn arm(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.epoch = node.epoch.wrapping_add(1);
        if !node.waiting.is_empty() {
            let delay = self.timeout << node.timeouts.min(MAX_BACKOFF);
            ctx.timer(
                delay,
                Timer::View {
                    view: node.view,
                    epoch: node.epoch,
                },
            );
        }
    }

    pub(super) fn on_vote(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        b: u32,
    ) {
        if self.byz.equivocates(node.id) && self.branch.contains_key(&b) {
            if node.fork_votes.add(b, from) == Some(self.q) {
                self.certified(node, ctx, b);
            }
            return;
        }
        if node.votes.add(b, from) != Some(self.q) {
            return;
        }
        node.votes.release_below(&b);
        // A released block's view is below this leader's highest QC and view: no effect.
        let Some(view) = self.blocks.view_of(b) else {
            return;
        };
        if view > self.blocks.get(node.high_qc).view {
            node.high_qc = b;
        }
        if node.view <= view + 1 && node.proposed_view <= view {
            node.view = view + 1;
            self.propose(node, ctx);
            self.arm(node, ctx);
        }
    }

    /// Keeps the highest QC `NEW-VIEW`s for `view` carried; the later of two equally high.
    pub(super) fn note_qc(&self, node: &mut Node, view: u64, qc: u32) {
        let best = node.new_view_qc.entry(view).or_insert(qc);
        if self.blocks.view_of(qc) >= self.blocks.view_of(*best) {
            *best = qc;
        }
    }

    pub(super) fn on_new_view(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        view: u64,
        qc: u32,
    ) {
        if view < node.view || node.proposed_view >= view {
            return;
        }
        if node.new_views.add(view, from).is_none() {
            return;
        }
        self.note_qc(node, view, qc);
        // PBFT's liveness rule (Castro and Liskov, §4.5.2) for the pacemaker: f + 1 replicas
        // moving to a later view include an honest one, so a replica that fell behind (it
        // missed the proposals, or was down) joins that view at once, and says so to all,
        // instead of timing out view by view to it.
        let f = (self.n - 1) / 3;
        let behind = view > node.view
            && node.new_views.count(&view) > f
            && !node.new_views.has(&view, node.id);
        if behind {
            node.new_views.add(view, node.id);
            self.note_qc(node, view, node.high_qc);
            node.view = view;
            node.idle_leader = false;
            node.new_views.release_below(&view);
            node.new_view_qc = node.new_view_qc.split_off(&view);
            self.broadcast_new_view(node, ctx);
        }
        let count = node.new_views.count(&view);
        if self.leader(view) != node.id || count < self.q {
            if behind {
                self.arm(node, ctx);
            }
            return;
        }
        let best = node.new_view_qc[&view];
        node.new_views.release_below(&(view + 1));
        node.new_view_qc = node.new_view_qc.split_off(&(view + 1));
        if self.blocks.view_of(best) > Some(self.blocks.get(node.high_qc).view) {
            node.high_qc = best;
        }
        node.view = view;
        self.view_changes.push((ctx.now, view, node.id));
        self.propose(node, ctx);
        self.arm(node, ctx);
    }

    /// `NEW-VIEW` for this replica's view, with its highest certificate, to every other
    /// replica: the view's leader collects a quorum of them, the others learn of the view.
    /// Sent again every base timeout while the view has no proposal, however far the view
    /// timer has backed off, so that replicas cut off meanwhile meet again as soon as
    /// messages get through.
    pub(super) fn broadcast_new_view(&mut self, node: &Node, ctx: &mut Ctx<Msg, Timer>) {
        let msg = Msg::NewView {
            view: node.view,
            high_qc: node.high_qc,
        };
        self.multicast(ctx, msg);
        ctx.timer(self.timeout, Timer::Resend { view: node.view });
    }

    pub(super) fn resend_new_view(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
    ) {
        if node.view == view && node.voted_view < view && !node.waiting.is_empty() {
            self.broadcast_new_view(node, ctx);
        }
    }

    /// The end of each of `node`'s events: what it holds now, then the release of blocks
    /// if the lowest committed height rose.
    pub(super) fn after(&mut self, node: &mut Node) {
        if node.new_views.range(..node.view).next().is_some() {
            node.new_views.release_below(&node.view);
        }
        if node
            .new_view_qc
            .first_key_value()
            .is_some_and(|(&v, _)| v < node.view)
        {
            node.new_view_qc = node.new_view_qc.split_off(&node.view);
        }
        let held = node.new_views.len() + node.new_view_qc.len();
        self.peak_new_views = self.peak_new_views.max(held);
        self.marks[node.id as usize] = Marks {
            live: true,
            view: node.view,
            high_qc: node.high_qc,
            locked: node.locked,
            committed: node.committed,
        };
        debug_assert!(
            self.blocks.at_or_above_floor(&self.marks[node.id as usize]),
            "replica {}'s marks fell below the last release floor (store.rs, FLOOR)",
            node.id
        );
        if self.release_due {
            self.release();
        }
    }

    pub(super) fn release(&mut self) {
        self.release_due = false;
        self.blocks.release(&self.marks);
    }

    /// A restarted replica first learns its peers' views (instantly here) and moves to the
    /// highest view that f + 1 of them have reached, so at least one honest replica: timing
    /// out view by view from where it crashed would take minutes once the others' timeouts
    /// have backed off.
    pub(super) fn recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let f = ((self.n - 1) / 3) as usize;
        let mut others: Vec<u64> = (0..self.n)
            .filter(|&v| v != node.id)
            .map(|v| self.views[v as usize])
            .collect();
        others.sort_unstable_by(|a, b| b.cmp(a));
        if let Some(&view) = others.get(f)
            && view > node.view
        {
            node.view = view;
            node.idle_leader = false;
            self.views[node.id as usize] = view;
        }
        self.arm(node, ctx);
        self.after(node);
    }

    /// A view timer or a `NEW-VIEW` resend falls due.
    pub(super) fn time_out(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        let (view, epoch) = match timer {
            Timer::View { view, epoch } => (view, epoch),
            Timer::Resend { view } => {
                self.resend_new_view(node, ctx, view);
                return self.after(node);
            }
        };
        if epoch != node.epoch || view != node.view || node.waiting.is_empty() {
            return self.after(node);
        }
        node.timeouts += 1;
        node.view = view + 1;
        node.idle_leader = false;
        let (v, qc) = (node.view, node.high_qc);
        self.broadcast_new_view(node, ctx);
        if self.leader(v) == node.id {
            self.on_new_view(node, ctx, node.id, v, qc);
        }
        self.arm(node, ctx);
        self.views[node.id as usize] = node.view;
        self.after(node);
    }
}
