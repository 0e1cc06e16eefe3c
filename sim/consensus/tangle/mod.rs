//! IOTA-style tangle (Popov, "The Tangle"): no blocks; each transaction, when it reaches its
//! validator (an IOTA node), approves `approvals` earlier transactions chosen by a tip
//! selection rule among those that node can see, then takes `pow_s` of proof of work before
//! it is attached and starts to propagate. A transaction is visible at node `v` from
//! `issued + pow_s + path delay(origin → v)`, so Popov's delay `h` is `pow_s` plus the
//! network delay.
//!
//! Tip selection is uniform over the issuing node's visible tips, or Popov's weighted random
//! walk (MCMC) from the newest transaction at least `depth_s` old towards the tips, stepping
//! from `x` to a visible approver `y` with probability ∝ exp(−α·(H_x − H_y)), `H` the
//! cumulative weight. Confirmation is either by cumulative weight (a transaction is confirmed
//! once `threshold` transactions approve it directly or indirectly; its origin learns it when
//! the transaction that crossed the threshold reaches it) or by coordinator milestones
//! (validator 0 issues one every `interval_s`, selecting tips like anyone; everything it
//! approves directly or indirectly is confirmed, and each node learns it when the milestone
//! message arrives). Settled = confirmed, as known at the transaction's own validator.
//!
//! Cumulative weights come from the whole tangle (including transactions the walking node
//! cannot see yet); the walk itself only steps to visible approvers. The `blocks` table lists
//! milestones (`tx_count` = transactions they newly confirmed); it is empty under weight
//! confirmation.
//!
//! Scenario faults: a transaction attached while a partition separates its origin from `v`
//! reaches `v` only once the partition ends (nodes fetch what they missed when they next hear
//! of it), plus the path delay. A crashed node attaches nothing (its gateways hold the
//! readings) and learns confirmations due while it was down when it restarts. A node that
//! missed milestones (lost, cut off or down) processes every one up to the newest it
//! receives, as an IOTA node solidifies the milestones it lacks. A coordinator restarting
//! after a missed milestone issues one at once. Link loss applies to milestones only; the
//! gossip of transactions themselves is taken as redundant enough to lose nothing.
//!
//! Transactions that can no longer matter are released as the run goes (see `release`), and
//! the approval statistics are kept in streaming form, so memory stays flat in simulated time.

pub mod dag;
mod milestones;
mod release;
mod report;
mod tips;
mod visibility;

use super::{Carries, Ctx, Gossip, Kind, Protocol, Report, TxIn};
use crate::engine::{Time, from_secs};
use crate::metrics::Metrics;
use crate::scenario::{self, Confirmation, TipSelection};
use dag::{Dag, GENESIS, Vertex};
use milestones::Milestone;
use release::Approvals;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

const MILESTONE_BYTES: u64 = 1_600;

pub struct Tangle {
    params: scenario::Tangle,
    pow: Time,
    dag: Dag,
    /// Transactions that may be a tip for some node: unapproved, or first approved less than
    /// `horizon` ago (uniform selection only; the walk finds tips from its start).
    open: Vec<u32>,
    /// `open`'s length after it was last pruned.
    open_pruned: usize,
    /// Longest time from issue until a transaction is visible everywhere.
    horizon: Time,
    unsettled: u64,
    settled: Vec<u64>,
    milestones: Vec<Milestone>,
    tips_area: Vec<f64>,
    tips_since: Time,
    /// Partition windows: from, to, and each validator's group.
    cuts: Vec<(Time, Time, Vec<u32>)>,
    down: Vec<bool>,
    /// Validators down for good: they learn no confirmation again, so theirs are not queued
    /// in `due`, and their confirmed transactions go without being settled (`release`).
    gone: Vec<bool>,
    /// Per origin: confirmations it has yet to learn, by the time it learns them.
    due: Vec<BTreeSet<(Time, u32)>>,
    /// When the coordinator's next milestone is due.
    milestone_at: Time,
    /// Settlements of a transaction already settled (never expected).
    resettled: u64,
    /// Walks that would have started at a released transaction (never expected).
    lost_walks: u64,
    /// Time to first approval and orphans, over the released transactions so far.
    approvals: Approvals,
    /// Whether every transaction is kept to the end (for checks that inspect the whole DAG).
    keep_all: bool,
    since_release: u32,
    sweeps: u32,
    /// Per (origin, size): the longest delay from the origin to any node, for the release's
    /// visible-everywhere check without partitions (delays do not change during a run).
    farthest: RefCell<HashMap<(u32, u32), Time>>,
}

#[derive(Clone, Debug)]
pub struct Node {
    id: u32,
    /// First milestone this node has not processed.
    next_milestone: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Milestone(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Milestone,
    Settle(u32),
}

impl Tangle {
    pub fn new(params: &scenario::Tangle, validators: u32) -> Self {
        Tangle {
            params: params.clone(),
            pow: from_secs(params.pow_s),
            dag: Dag::new(),
            open: vec![GENESIS],
            open_pruned: 1,
            horizon: from_secs(params.pow_s),
            unsettled: 0,
            settled: vec![0; validators as usize],
            milestones: Vec::new(),
            tips_area: Vec::new(),
            tips_since: 0,
            cuts: Vec::new(),
            down: vec![false; validators as usize],
            gone: vec![false; validators as usize],
            due: vec![BTreeSet::new(); validators as usize],
            milestone_at: 0,
            resettled: 0,
            lost_walks: 0,
            approvals: Approvals::default(),
            keep_all: false,
            since_release: 0,
            sweeps: 0,
            farthest: RefCell::new(HashMap::new()),
        }
    }

    /// Keeps every transaction to the end instead of releasing those that can no longer
    /// matter: the outputs are the same, the memory grows with the run.
    pub fn keep_all(mut self) -> Self {
        self.keep_all = true;
        self
    }

    /// Applies the scenario's partitions to what each node sees.
    pub fn with_faults(mut self, faults: Option<&scenario::Faults>, validators: u32) -> Self {
        if let Some(f) = faults {
            self.cuts = f
                .partitions
                .iter()
                .map(|p| {
                    (
                        from_secs(p.from_s),
                        from_secs(p.to_s),
                        p.group_of(validators),
                    )
                })
                .collect();
        }
        self
    }

    /// The transactions held (all of them under `keep_all`), with their approvals, weights
    /// and confirmation and settlement times.
    pub fn dag(&self) -> &Dag {
        &self.dag
    }

    /// Settlements of an already settled transaction; 0 unless confirmation is undone.
    pub fn resettled(&self) -> u64 {
        self.resettled
    }

    fn tips_changed(&mut self, now: Time, metrics: &Metrics, before: u64) {
        let window = metrics.window();
        if self.tips_area.is_empty() {
            self.tips_area = vec![0.0; metrics.windows()];
        }
        let mut t = self.tips_since;
        while t < now {
            let w = ((t / window) as usize).min(self.tips_area.len() - 1);
            let stop = now.min((w as Time + 1) * window);
            let stop = if stop <= t { now } else { stop };
            self.tips_area[w] += before as f64 * (stop - t) as f64;
            t = stop;
        }
        self.tips_since = now;
    }

    fn attach(&mut self, v: u32, tx: Option<TxIn>, ctx: &mut Ctx<Msg, Timer>) -> u32 {
        let parents = self.select(v, ctx);
        let before = self.dag.tips;
        self.tips_changed(ctx.now, ctx.metrics, before);
        let bytes = tx.map_or(MILESTONE_BYTES as u32, |t| t.bytes);
        let mut vx = Vertex::new(ctx.now, v, bytes, parents);
        if let Some(t) = tx {
            (vx.created, vx.device, vx.seq, vx.kind) = (Some(t.created), t.device, t.seq, t.kind);
        }
        let x = self.dag.push(vx);
        if self.params.tip_selection == TipSelection::Uniform {
            self.open.push(x);
        }
        if let Confirmation::Weight { threshold } = self.params.confirmation {
            self.add_weight(x, threshold, ctx);
        } else if let TipSelection::Walk { depth_s, .. } = self.params.tip_selection {
            let window = from_secs(depth_s) + self.horizon;
            let now = ctx.now;
            for a in self.dag.ancestors(x, |t| t.issued + window >= now) {
                self.dag.get_mut(a).expect("held").weight += 1;
            }
        }
        self.release(ctx);
        x
    }

    /// Adds the new transaction `x` to its ancestors' cumulative weights; an ancestor
    /// reaching the threshold is confirmed, and its origin learns it when `x` reaches it.
    fn add_weight(&mut self, x: u32, threshold: u32, ctx: &mut Ctx<Msg, Timer>) {
        let window = match self.params.tip_selection {
            TipSelection::Walk { depth_s, .. } => from_secs(depth_s) + self.horizon,
            TipSelection::Uniform => 0,
        };
        let now = ctx.now;
        // A confirmed transaction's ancestors are heavier still, hence confirmed too.
        let up = self
            .dag
            .ancestors(x, |t| !t.confirmed || t.issued + window >= now);
        let mut learn = Vec::new();
        for a in up {
            let t = self.dag.get_mut(a).expect("held");
            t.weight += 1;
            if !t.confirmed && t.weight > threshold {
                t.confirmed = true;
                t.confirmed_at = Some(now);
                if t.created.is_some() {
                    learn.push((a, t.origin));
                }
            }
        }
        for (a, o) in learn {
            let at = self.visible_at(x, o, ctx);
            if !self.gone[o as usize] {
                self.due[o as usize].insert((at, a));
            }
            ctx.timer(at - now, Timer::Settle(a));
        }
    }

    fn settle(&mut self, x: u32, ctx: &mut Ctx<Msg, Timer>) {
        let t = self
            .dag
            .get_mut(x)
            .expect("unsettled transactions are held");
        if t.settled_at.is_some() {
            self.resettled += 1;
            return;
        }
        t.settled_at = Some(ctx.now);
        let created = t.created.expect("device transaction");
        // One transaction per vertex: its receipt proves one.
        ctx.settle(t.tag(), created, 1);
        self.settled[t.origin as usize] += 1;
        self.unsettled -= 1;
    }

    /// Confirmations `v` learns by now that no timer delivered (its issuer was down).
    fn learn_due(&mut self, v: u32, ctx: &mut Ctx<Msg, Timer>) {
        while let Some(&(at, x)) = self.due[v as usize].first()
            && at <= ctx.now
        {
            self.due[v as usize].pop_first();
            self.settle(x, ctx);
        }
    }
}

impl Protocol for Tangle {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Milestone(_) => Kind::new("milestone", Carries::Vote),
        }
    }

    /// IOTA nodes send each transaction whole to every neighbour but the sender.
    fn gossip(&self) -> Option<Gossip> {
        Some(Gossip::Push)
    }

    fn new_node(&self, id: u32) -> Node {
        Node {
            id,
            next_milestone: 0,
        }
    }

    fn on_start(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let n = self.settled.len() as u32;
        for v in 0..n {
            let d = Self::delay(node.id, v, 250, ctx);
            self.horizon = self.horizon.max(self.pow + d + d / 2);
        }
        if let (Confirmation::Milestones { interval_s }, 0) = (&self.params.confirmation, node.id) {
            self.milestone_at = ctx.now + from_secs(*interval_s);
            ctx.timer(from_secs(*interval_s), Timer::Milestone);
        }
    }

    fn on_crash(&mut self, node: &mut Node, _now: Time) {
        self.down[node.id as usize] = true;
    }

    fn on_down_for_good(&mut self, node: &mut Node, _now: Time) {
        self.gone[node.id as usize] = true;
        self.due[node.id as usize].clear();
    }

    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        self.down[node.id as usize] = false;
        self.learn_due(node.id, ctx);
        // The coordinator's milestone timer was lost if it fell due while it was down.
        if let (Confirmation::Milestones { .. }, 0) = (&self.params.confirmation, node.id)
            && self.milestone_at <= ctx.now
        {
            self.milestone_at = ctx.now;
            ctx.timer(0, Timer::Milestone);
        }
    }

    fn on_transactions(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        self.learn_due(node.id, ctx);
        for &tx in txs {
            ctx.metrics.on_reached(tx.created, tx.uploaded, ctx.now);
            self.attach(node.id, Some(tx), ctx);
            ctx.metrics.on_included(tx.created, ctx.now);
            ctx.metrics.on_gossiped(node.id, tx.bytes);
            self.unsettled += 1;
        }
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, _from: u32, msg: Msg) {
        self.learn_due(node.id, ctx);
        let Msg::Milestone(id) = msg;
        self.milestones_to(node, id, ctx);
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        self.learn_due(node.id, ctx);
        match timer {
            Timer::Milestone => {
                if ctx.now != self.milestone_at {
                    return;
                }
                self.issue_milestone(ctx);
                let id = self.milestones.len() as u32 - 1;
                self.milestones_to(node, id, ctx);
                if let Confirmation::Milestones { interval_s } = self.params.confirmation {
                    self.milestone_at = ctx.now + from_secs(interval_s);
                    ctx.timer(from_secs(interval_s), Timer::Milestone);
                }
            }
            Timer::Settle(x) => {
                // The issuer's wake-up for the origin, which learns it now unless it is down
                // (then it learns on restart).
                // Released only after it settled, past this wake-up, or with its origin down
                // for good.
                let Some(t) = self.dag.try_get(x) else { return };
                let o = t.origin as usize;
                if !self.down[o] && self.due[o].remove(&(ctx.now, x)) {
                    self.settle(x, ctx);
                }
            }
        }
    }

    fn mempool_len(&self) -> u64 {
        0
    }

    fn finish(&mut self, _nodes: &[Node], end: Time, metrics: &mut Metrics) -> Report {
        self.report(end, metrics)
    }
}
