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

pub mod dag;

use super::{Carries, Ctx, Gossip, Kind, NodeStats, Protocol, Report, TxIn};
use crate::engine::{Time, from_secs, to_secs};
use crate::ledger::TxKind;
use crate::metrics::{BlockRow, Metrics, Value};
use crate::net::millis;
use crate::scenario::{self, Confirmation, TipSelection};
use dag::{Dag, GENESIS, Vertex};
use rand::RngExt;
use std::collections::BTreeSet;

const MILESTONE_BYTES: u64 = 1_600;

pub struct Tangle {
    params: scenario::Tangle,
    pow: Time,
    dag: Dag,
    /// Transactions that may be a tip for some node: unapproved, or first approved less than
    /// `horizon` ago.
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
    /// Per origin: confirmations it has yet to learn, by the time it learns them.
    due: Vec<BTreeSet<(Time, u32)>>,
    /// When the coordinator's next milestone is due.
    milestone_at: Time,
    /// Settlements of a transaction already settled (never expected).
    resettled: u64,
}

struct Milestone {
    vertex: u32,
    /// Newly confirmed device transactions, sorted by origin validator.
    txs: Vec<(u32, u32)>,
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
            due: vec![BTreeSet::new(); validators as usize],
            milestone_at: 0,
            resettled: 0,
        }
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

    /// The transactions, approvals, weights and confirmation and settlement times.
    pub fn dag(&self) -> &Dag {
        &self.dag
    }

    /// Settlements of an already settled transaction; 0 unless confirmation is undone.
    pub fn resettled(&self) -> u64 {
        self.resettled
    }

    /// When something sent from `a` at `t` can reach `b`: at `t`, or when the partitions
    /// separating them then have ended.
    fn resync(cuts: &[(Time, Time, Vec<u32>)], mut t: Time, a: u32, b: u32) -> Time {
        while let Some(&(_, to, _)) = cuts
            .iter()
            .find(|(from, to, g)| (*from..*to).contains(&t) && g[a as usize] != g[b as usize])
        {
            t = to;
        }
        t
    }

    /// When a transaction attached at `t` has been able to spread to every node.
    fn spread_from(cuts: &[(Time, Time, Vec<u32>)], t: Time) -> Time {
        cuts.iter()
            .filter(|(from, to, _)| (*from..*to).contains(&t))
            .map(|&(_, to, _)| to)
            .max()
            .unwrap_or(t)
            .max(t)
    }

    fn delay(origin: u32, v: u32, bytes: u32, ctx: &Ctx<Msg, Timer>) -> Time {
        if origin == v {
            return 0;
        }
        // Milestones enter at the coordinator, which may receive no transactions itself.
        let direct = || millis(ctx.net.latency_ms(origin, v));
        if ctx.reach.is_origin(origin) {
            ctx.reach.delay(origin, v, bytes).unwrap_or_else(direct)
        } else {
            direct()
        }
    }

    fn visible_at(&self, x: u32, v: u32, ctx: &Ctx<Msg, Timer>) -> Time {
        let t = self.dag.get(x);
        if x == GENESIS {
            return 0;
        }
        let sent = t.issued + self.pow;
        let sent = if self.cuts.is_empty() || t.origin == v || t.origin as usize >= self.down.len()
        {
            sent
        } else {
            Self::resync(&self.cuts, sent, t.origin, v)
        };
        sent + Self::delay(t.origin, v, t.bytes, ctx)
    }

    fn visible(&self, x: u32, v: u32, ctx: &Ctx<Msg, Timer>) -> bool {
        self.visible_at(x, v, ctx) <= ctx.now
    }

    fn visible_approvers(&self, x: u32, v: u32, ctx: &Ctx<Msg, Timer>) -> Vec<u32> {
        let a = &self.dag.get(x).approvers;
        a.iter()
            .copied()
            .filter(|&y| self.visible(y, v, ctx))
            .collect()
    }

    fn select(&mut self, v: u32, ctx: &mut Ctx<Msg, Timer>) -> Vec<u32> {
        let k = self.params.approvals as usize;
        match self.params.tip_selection {
            TipSelection::Uniform => {
                self.prune_open(ctx.now);
                // Uniform over the tips `v` sees, by rejection from `open` (a superset): each
                // accepted draw is uniform over them. Scanning them all per transaction cost
                // O(λh) each, minutes at thousands of readings per second. Too many
                // rejections (few tips visible, as in a split) fall back to the scan.
                let is_tip = |x: u32, ctx: &Ctx<Msg, Timer>| {
                    self.visible(x, v, ctx)
                        && !self
                            .dag
                            .get(x)
                            .approvers
                            .iter()
                            .any(|&y| self.visible(y, v, ctx))
                };
                let mut picks = Vec::with_capacity(k);
                for _ in 0..32 * k {
                    if picks.len() == k {
                        return picks;
                    }
                    let x = self.open[ctx.rng.random_range(0..self.open.len())];
                    if is_tip(x, ctx) {
                        picks.push(x);
                    }
                }
                if picks.len() == k {
                    return picks;
                }
                let tips: Vec<u32> = self
                    .open
                    .iter()
                    .copied()
                    .filter(|&x| is_tip(x, ctx))
                    .collect();
                if tips.is_empty() {
                    return vec![GENESIS];
                }
                while picks.len() < k {
                    picks.push(tips[ctx.rng.random_range(0..tips.len())]);
                }
                picks
            }
            TipSelection::Walk { alpha, depth_s } => {
                let start = self.walk_start(v, from_secs(depth_s), ctx);
                (0..k).map(|_| self.walk(start, v, alpha, ctx)).collect()
            }
        }
    }

    /// Drops from `open` what can no longer be a tip anywhere: approved, and the approval has
    /// reached every node. Amortised: only once `open` has doubled since the last pruning.
    fn prune_open(&mut self, now: Time) {
        if self.open.len() < 2 * self.open_pruned + 256 {
            return;
        }
        let (dag, horizon, pow, cuts) = (&self.dag, self.horizon, self.pow, &self.cuts);
        self.open.retain(|&x| match dag.get(x).approvers.first() {
            None => true,
            // An approver attached during a split reaches the far side after it.
            Some(&y) => {
                let issued = dag.get(y).issued;
                Self::spread_from(cuts, issued + pow).max(issued) + horizon >= now
            }
        });
        self.open_pruned = self.open.len();
    }

    /// The newest transaction issued at least `depth` ago that `v` can see.
    fn walk_start(&self, v: u32, depth: Time, ctx: &Ctx<Msg, Timer>) -> u32 {
        let Some(before) = ctx.now.checked_sub(depth) else {
            return GENESIS;
        };
        let mut x = self.dag.v.partition_point(|t| t.issued <= before) as u32;
        while x > 1 {
            x -= 1;
            if self.visible(x, v, ctx) {
                return x;
            }
        }
        GENESIS
    }

    fn walk(&self, mut x: u32, v: u32, alpha: f64, ctx: &mut Ctx<Msg, Timer>) -> u32 {
        loop {
            let next = self.visible_approvers(x, v, ctx);
            if next.is_empty() {
                return x;
            }
            // exp(−α(H_x − H_y)) rescaled by the heaviest step so it never underflows to 0.
            let hmax = next
                .iter()
                .map(|&y| self.dag.get(y).weight)
                .max()
                .unwrap_or(0) as f64;
            let w: Vec<f64> = next
                .iter()
                .map(|&y| (-alpha * (hmax - self.dag.get(y).weight as f64)).exp())
                .collect();
            let total: f64 = w.iter().sum();
            let mut u = ctx.rng.random::<f64>() * total;
            let mut pick = next[next.len() - 1];
            for (i, &wi) in w.iter().enumerate() {
                if u < wi {
                    pick = next[i];
                    break;
                }
                u -= wi;
            }
            x = pick;
        }
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
        let x = self.dag.push(Vertex {
            issued: ctx.now,
            origin: v,
            bytes: tx.map_or(MILESTONE_BYTES as u32, |t| t.bytes),
            created: tx.map(|t| t.created),
            device: tx.map_or(u32::MAX, |t| t.device),
            seq: tx.map_or(0, |t| t.seq),
            kind: tx.map_or(TxKind::Reading, |t| t.kind),
            parents,
            approvers: Vec::new(),
            weight: 1,
            confirmed: false,
            confirmed_at: None,
            settled_at: None,
        });
        self.open.push(x);
        if let Confirmation::Weight { threshold } = self.params.confirmation {
            self.add_weight(x, threshold, ctx);
        } else if let TipSelection::Walk { depth_s, .. } = self.params.tip_selection {
            let window = from_secs(depth_s) + self.horizon;
            let now = ctx.now;
            for a in self.dag.ancestors(x, |t| t.issued + window >= now) {
                self.dag.v[a as usize].weight += 1;
            }
        }
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
            let t = &mut self.dag.v[a as usize];
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
            self.due[o as usize].insert((at, a));
            ctx.timer(at - now, Timer::Settle(a));
        }
    }

    fn settle(&mut self, x: u32, ctx: &mut Ctx<Msg, Timer>) {
        let t = &mut self.dag.v[x as usize];
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

    fn issue_milestone(&mut self, ctx: &mut Ctx<Msg, Timer>) {
        let m = self.attach(ctx.node, None, ctx);
        let now = ctx.now;
        self.dag.v[m as usize].confirmed = true;
        self.dag.v[m as usize].confirmed_at = Some(now);
        let mut txs: Vec<(u32, u32)> = self
            .dag
            .ancestors(m, |t| !t.confirmed)
            .into_iter()
            .filter_map(|a| {
                let t = &mut self.dag.v[a as usize];
                t.confirmed = true;
                t.confirmed_at = Some(now);
                t.created.map(|_| (t.origin, a))
            })
            .collect();
        txs.sort_unstable();
        let id = self.milestones.len() as u32;
        self.milestones.push(Milestone { vertex: m, txs });
        for v in 0..self.settled.len() as u32 {
            if v != ctx.node {
                ctx.send(v, Msg::Milestone(id), MILESTONE_BYTES);
            }
        }
    }

    /// Processes every milestone `node` lacks up to `id`.
    fn milestones_to(&mut self, node: &mut Node, id: u32, ctx: &mut Ctx<Msg, Timer>) {
        for k in node.next_milestone..=id {
            self.settle_milestone(k, node.id, ctx);
        }
        node.next_milestone = node.next_milestone.max(id + 1);
    }

    fn settle_milestone(&mut self, id: u32, v: u32, ctx: &mut Ctx<Msg, Timer>) {
        let txs = &self.milestones[id as usize].txs;
        let lo = txs.partition_point(|&(o, _)| o < v);
        let hi = txs.partition_point(|&(o, _)| o <= v);
        for i in lo..hi {
            let x = self.milestones[id as usize].txs[i].1;
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
                let o = self.dag.get(x).origin as usize;
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
        let tips = self.dag.tips;
        self.tips_changed(end, metrics, tips);
        // Steady-state tips: time average over the second half of the run.
        let half = self.tips_area.len() / 2;
        let from = half as Time * metrics.window();
        let area: f64 = self.tips_area[half..].iter().sum();
        let tips_mean = area / (end - from.min(end)).max(1) as f64;
        // Left behind: device transactions older than ten horizons with no approver.
        let old = end.saturating_sub(10 * self.horizon);
        let (mut aged, mut orphans, mut violations) = (0u64, 0u64, 0u64);
        // Time from issue to the first approver's issue (ids are in issue order, so the
        // smallest approver is the first), over device transactions old enough to have had
        // their chance (the population of `orphan_rate`); orphans are that rate, not a time.
        let mut first_approval: Vec<f64> = Vec::new();
        for (x, t) in self.dag.v.iter().enumerate().skip(1) {
            let x = x as u32;
            for &p in &t.parents {
                if p >= x || !self.dag.get(p).approvers.contains(&x) {
                    violations += 1;
                }
            }
            if t.parents.is_empty() {
                violations += 1;
            }
            if t.created.is_some() && t.issued < old {
                aged += 1;
                orphans += t.approvers.is_empty() as u64;
                if let Some(&a) = t.approvers.iter().min() {
                    first_approval.push(to_secs(self.dag.get(a).issued - t.issued));
                }
            }
        }
        first_approval.sort_unstable_by(f64::total_cmp);
        let blocks = self
            .milestones
            .iter()
            .enumerate()
            .map(|(i, m)| BlockRow {
                block: i as u32,
                height: i as u32,
                miner: 0,
                mined_at_s: to_secs(self.dag.get(m.vertex).issued),
                size_bytes: MILESTONE_BYTES,
                tx_count: m.txs.len() as u32,
                propagation_50_s: None,
                propagation_90_s: None,
                propagation_100_s: None,
                stale: false,
            })
            .collect();
        Report {
            // Every transaction is a vertex each node stores, besides the milestones.
            ledger_bytes: Some(
                metrics.gossiped.iter().map(|g| g.1).sum::<u64>()
                    + MILESTONE_BYTES * self.milestones.len() as u64,
            ),
            leaders: None,
            dropped: Vec::new(),
            blocks,
            nodes: self
                .settled
                .iter()
                .map(|&s| NodeStats {
                    settled_tx: s,
                    ..NodeStats::default()
                })
                .collect(),
            pending_in_mempool: 0,
            pending_in_block: self.unsettled,
            summary: vec![
                (
                    "tangle_transactions".into(),
                    Value::from(self.dag.len() - 1),
                ),
                ("milestones".into(), Value::from(self.milestones.len())),
                ("tips_mean".into(), Value::from(tips_mean)),
                ("tips_at_end".into(), Value::from(tips)),
                (
                    "orphan_rate".into(),
                    Value::from(if aged > 0 {
                        orphans as f64 / aged as f64
                    } else {
                        f64::NAN
                    }),
                ),
                ("dag_violations".into(), Value::from(violations)),
                (
                    "visibility_horizon_s".into(),
                    Value::from(to_secs(self.horizon)),
                ),
                (
                    "first_approval_mean_s".into(),
                    Value::from(mean(&first_approval)),
                ),
                (
                    "first_approval_p50_s".into(),
                    Value::from(quantile(&first_approval, 0.5)),
                ),
                (
                    "first_approval_p99_s".into(),
                    Value::from(quantile(&first_approval, 0.99)),
                ),
            ],
        }
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The nearest-rank `q` quantile of sorted `v` (NaN when empty).
fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    crate::metrics::nearest_rank(v, q)
}
