//! PBFT (Castro & Liskov, OSDI'99) among the validators, crash faults only.
//!
//! `n` replicas tolerate `f = ⌊(n − 1)/3⌋` faults; quorums are `q = ⌈(n + f + 1)/2⌉`, which
//! is `2f + 1` when `n = 3f + 1`. The primary of view `v` is replica `v mod n`.
//!
//! * **Requests.** The transactions of one upload that reach a validator (the request's
//!   origin, standing in for the client) form one request. The origin forwards it to the
//!   primary of its view (one message carrying the transactions) unless it is the primary.
//! * **Normal case.** The primary batches requests (up to `batch_max_tx` transactions, or
//!   what it holds `batch_timeout_ms` after the first one queued) and multicasts
//!   `PRE-PREPARE(v, s, batch)`; backups multicast `PREPARE`; a replica with the pre-prepare
//!   and `q − 1` matching prepares (its own included) is *prepared* and multicasts
//!   `COMMIT`; `q` matching commits make the slot *committed*. Replicas execute committed
//!   slots in sequence order. A transaction is **settled** when its origin executes it.
//!   Replies to clients are not sent: the origin is a replica and observes its own commit.
//! * **View change.** A replica that knows of requests it has not executed runs a timer
//!   (`view_timeout_ms`), restarted whenever it executes something; on expiry it moves to
//!   view `v + 1` and multicasts `VIEW-CHANGE` with its prepared certificates above its
//!   executed point. `f + 1` view changes for higher views make a replica join. The new
//!   primary, with `q` of them, multicasts `NEW-VIEW` re-proposing, for every sequence above
//!   the highest executed point reported, the batch of the highest-view certificate (or a
//!   null batch). A view change that does not complete doubles the timeout. An origin whose
//!   request is not executed within the timeout multicasts it to all replicas, as PBFT
//!   clients do, so every replica starts its timer.
//! * **Catch-up.** A replica that sees a higher view than its own asks the sender for that
//!   view's `NEW-VIEW`; one that has a gap below a committed slot for half a timeout fetches
//!   the missing decisions from a replica that executed them (state transfer).
//!
//! Messages, by kind, and decided sequence numbers are counted for the summary
//! (`pbft_msgs_*`, `pbft_decisions`, `pbft_msgs_per_decision`).
//! Every `NEW-VIEW` sent is a `view_change` row of the `leaders` table.

mod batches;
mod firsts;
mod fresh;
mod logs;
mod messages;
mod node;
mod ordering;
pub mod requests;
mod store;
mod view_change;

use super::byzantine::Byzantine;
use super::rows::Rows;
use super::{Carries, Ctx, Kind, Protocol, Report, TxIn, decided};
use crate::engine::{Time, from_secs};
use crate::metrics::{Metrics, Value};
use crate::scenario;
use batches::{Batches, NULL_BATCH};
pub use node::{Node, Phase, Slot};
use requests::{Executed, ReqId, Requests};
use std::collections::BTreeMap;
use view_change::{NewView, Records, ViewChange};

/// Bytes of a vote (view, sequence, digest, replica id, signature).
const VOTE_BYTES: u64 = 100;
/// Retries and view-change timeouts stop doubling after 2^6 timeouts.
const MAX_BACKOFF: u32 = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Request(ReqId),
    PrePrepare {
        view: u64,
        seq: u64,
        batch: u32,
    },
    Prepare {
        view: u64,
        seq: u64,
        batch: u32,
    },
    Commit {
        view: u64,
        seq: u64,
        batch: u32,
    },
    /// A `VIEW-CHANGE` record and the view it moves to (known without the record, which
    /// goes once every replica has left that view).
    ViewChange {
        id: u64,
        view: u64,
    },
    /// A `NEW-VIEW` record and its view.
    NewView {
        id: u64,
        view: u64,
    },
    NeedNewView(u64),
    Fetch {
        from: u64,
        to: u64,
    },
    /// A state transfer, by id: `(sender, the sender's count)`, as [`Node::record_id`].
    Transfer(u64),
}

// Every event in flight holds one: record ids of 64 bits fit beside the largest variant.
const _: () = assert!(std::mem::size_of::<Msg>() == 24);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Closes the primary's batch of `view`.
    Batch { view: u64 },
    /// Progress timer; stale when `epoch` is not the node's current one.
    Progress { epoch: u32 },
    /// The origin re-sends request `req` to every replica if not yet executed, backing off
    /// (the `k`-th retry waits `2^k` timeouts).
    Retry(ReqId, u32),
    /// A gap below a committed slot persisted: fetch it.
    Gap(u64),
    /// Still waiting for the `NEW-VIEW` of `view`: send the `VIEW-CHANGE` again.
    VcResend { view: u64 },
}

/// A state transfer: the decisions a replica holds in the range asked for, and how many it
/// made there and dropped since (at or below the floor, so the asker has executed them too:
/// they are sent for their bytes, and change nothing on arrival).
pub struct Transfer {
    released: u64,
    entries: Vec<(u64, u32)>,
}

/// Message counts by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub request: u64,
    pub pre_prepare: u64,
    pub prepare: u64,
    pub commit: u64,
    pub view_change: u64,
    pub new_view: u64,
    pub catch_up: u64,
}

impl Counts {
    pub fn normal_case(&self) -> u64 {
        self.request + self.pre_prepare + self.prepare + self.commit
    }

    pub fn total(&self) -> u64 {
        self.normal_case() + self.view_change + self.new_view + self.catch_up
    }

    fn plus(self, o: &Counts) -> Counts {
        Counts {
            request: self.request + o.request,
            pre_prepare: self.pre_prepare + o.pre_prepare,
            prepare: self.prepare + o.prepare,
            commit: self.commit + o.commit,
            view_change: self.view_change + o.view_change,
            new_view: self.new_view + o.new_view,
            catch_up: self.catch_up + o.catch_up,
        }
    }
}

pub struct Pbft {
    params: scenario::Pbft,
    n: u32,
    f: u32,
    q: u32,
    requests: Requests,
    /// Batches by sequence number and id.
    batches: Batches,
    /// View-change records, released once every replica that can still run has left their
    /// view (`view_change.rs`).
    view_changes: Records<ViewChange>,
    new_views: Records<NewView>,
    /// The least of the replicas' views (`logs::Own::views`) as of the last release.
    view_floor: u64,
    /// State transfers in flight, by id (each goes to one replica).
    transfers: BTreeMap<u64, Transfer>,
    /// The `blocks` rows, built as replicas decide, through the partitions' logs.
    rows: Rows<u64>,
    /// What each partition's replicas write that the others read only at window ends: keyed
    /// logs, decisions held, the highest sequence number executed (one with one partition).
    parts: Vec<logs::Own>,
    /// The most decision state (decisions held, open rows and batches) held at once.
    peak_held: usize,
    /// Keep every replica's decisions in `Node::decided` and each batch's proposal time.
    recording: bool,
    /// Cut into partitions run in windows (`Protocol::partition`): the keyed logs are
    /// replayed, the least executed point and view read and the peak of decision state taken
    /// at each window's end instead of after each event (`Protocol::window_end`).
    windowed: bool,
    proposed_at: BTreeMap<(u64, u32), Time>,
    /// Per replica: every sequence number up to this one is executed there (`u64::MAX` once
    /// down for good).
    exec: Executed,
    /// The least of `exec`: what every replica that can still ask for a decision executed.
    floor: u64,
    timeout: Time,
    byz: Byzantine,
}

impl Pbft {
    pub fn new(params: &scenario::Pbft, n: u32) -> Self {
        let f = (n - 1) / 3;
        Pbft {
            params: params.clone(),
            n,
            f,
            q: (n + f + 1).div_ceil(2),
            requests: Requests::releasing(),
            batches: Batches::new(),
            view_changes: Records::new(),
            new_views: Records::new(),
            view_floor: 0,
            transfers: BTreeMap::new(),
            rows: Rows::new(n),
            parts: vec![logs::Own::new(0, n)],
            peak_held: 0,
            recording: false,
            windowed: false,
            proposed_at: BTreeMap::new(),
            exec: Executed::new(n),
            floor: 0,
            timeout: from_secs(params.view_timeout_ms / 1e3),
            byz: Byzantine::default(),
        }
    }

    /// The protocol with the Byzantine replicas `adversary` names (other adversaries: none).
    pub fn with_adversary(mut self, adversary: Option<&scenario::Adversary>) -> Self {
        self.byz = Byzantine::new(adversary, self.n);
        let byz = self.byz.clone();
        self.rows = Rows::new(self.n).judging(|r| byz.is_honest(r));
        self
    }

    /// The protocol keeping every replica's decisions (`Node::decided`, `Node::decided_at`)
    /// and every batch's proposal time (`proposed_at`), which a run otherwise lets go once
    /// no replica can need them; for checks over the whole run.
    pub fn recording(mut self) -> Self {
        self.recording = true;
        self
    }

    /// The most `blocks` rows held in memory at once (`rows::Rows::peak_held`).
    pub fn peak_rows_held(&self) -> usize {
        self.rows.peak_held()
    }

    /// The most decision state held at once: decisions replicas hold, `blocks` rows not yet
    /// applied by every live replica, and batches kept.
    pub fn peak_decision_state(&self) -> usize {
        self.peak_held
    }

    pub fn byzantine(&self) -> &Byzantine {
        &self.byz
    }

    pub fn faults_tolerated(&self) -> u32 {
        self.f
    }

    /// Messages the replicas sent, by kind (each replica counts its own).
    pub fn counts(nodes: &[Node]) -> Counts {
        nodes
            .iter()
            .fold(Counts::default(), |sum, n| sum.plus(&n.sent))
    }

    /// Sequence numbers decided (executed by at least one replica).
    pub fn decisions(&self) -> u64 {
        self.parts.iter().map(|p| p.decided).max().unwrap_or(0)
    }

    /// The partition of replica `v`, found without a search when there is one.
    #[inline]
    fn part_of(&self, v: u32) -> usize {
        if self.parts.len() == 1 {
            0
        } else {
            self.requests.partition_of(v)
        }
    }

    /// The records of replica `v`'s partition.
    #[inline]
    fn own(&mut self, v: u32) -> &mut logs::Own {
        let p = self.part_of(v);
        &mut self.parts[p]
    }

    pub fn requests(&self) -> &Requests {
        &self.requests
    }

    /// When batch `batch` at `seq` was pre-prepared (kept when recording).
    pub fn proposed_at(&self, seq: u64, batch: u32) -> Time {
        if batch == NULL_BATCH {
            return 0;
        }
        self.proposed_at[&(seq, batch)]
    }

    fn primary(&self, view: u64) -> u32 {
        (view % self.n as u64) as u32
    }

    /// Restarts the progress timer if the replica waits for requests, else stops it.
    fn rearm(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.epoch = node.epoch.wrapping_add(1);
        if !node.waiting.is_empty() || !node.active {
            let k = node.attempts.min(MAX_BACKOFF);
            ctx.timer(self.timeout << k, Timer::Progress { epoch: node.epoch });
        }
    }

    /// A replica learns of request `r` (from its origin, a multicast or a pre-prepare).
    fn learn(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, r: ReqId) {
        if self.requests.executed(node.id, r, node.exec_upto) {
            return;
        }
        let idle = node.waiting.is_empty();
        if node.waiting.insert(r) && idle && node.active {
            self.rearm(node, ctx);
        }
    }

    fn enqueue(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, r: ReqId) {
        if !node.active
            || self.primary(node.view) != node.id
            || self.requests.executed(node.id, r, node.exec_upto)
            || !node.queued.insert(r)
        {
            return;
        }
        let t = self.requests.tx_count(r);
        node.queue.push_back((r, t));
        node.queue_tx += u64::from(t);
        if node.queue_tx >= u64::from(self.params.batch_max_tx) {
            self.propose(node, ctx);
        } else if !node.batch_timer {
            node.batch_timer = true;
            let delay = from_secs(self.params.batch_timeout_ms / 1e3);
            ctx.timer(delay, Timer::Batch { view: node.view });
        }
    }
}

impl Protocol for Pbft {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn kind(&self, msg: &Msg) -> Kind {
        match msg {
            Msg::Request(_) => Kind::new("request", Carries::Transactions),
            Msg::PrePrepare { .. } => Kind::new("pre_prepare", Carries::Block),
            Msg::Prepare { .. } => Kind::new("prepare", Carries::Vote),
            Msg::Commit { .. } => Kind::new("commit", Carries::Vote),
            Msg::ViewChange { .. } => Kind::new("view_change", Carries::Control),
            Msg::NewView { .. } => Kind::new("new_view", Carries::Control),
            Msg::NeedNewView(_) => Kind::new("need_new_view", Carries::Control),
            Msg::Fetch { .. } => Kind::new("fetch", Carries::Control),
            Msg::Transfer(_) => Kind::new("transfer", Carries::Block),
        }
    }

    fn new_node(&self, id: u32) -> Node {
        Node::new(id)
    }

    fn on_start(&mut self, _node: &mut Node, _ctx: &mut Ctx<Msg, Timer>) {}

    fn on_down_for_good(&mut self, node: &mut Node, _now: Time) {
        self.executed_to(node.id, u64::MAX);
        self.rows.down_for_good(node.id);
        let own = self.own(node.id);
        let i = (node.id - own.lo) as usize;
        own.views[i] = u64::MAX;
        own.installed[i] = None;
        self.release_view_changes();
    }

    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.batch_timer = false;
        self.rearm(node, ctx);
        if node.active && self.primary(node.view) == node.id && !node.queue.is_empty() {
            self.propose(node, ctx);
        }
        let own: Vec<ReqId> = node.own.iter().copied().collect();
        for r in own {
            ctx.timer(self.timeout, Timer::Retry(r, 0));
        }
        self.replay(ctx.metrics);
    }

    fn on_transactions(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        if txs.is_empty() {
            return;
        }
        let r = self.requests.add(node.id, txs, ctx);
        node.own.insert(r);
        self.learn(node, ctx, r);
        ctx.timer(self.timeout, Timer::Retry(r, 0));
        let primary = self.primary(node.view);
        if primary == node.id {
            self.enqueue(node, ctx, r);
        } else if node.active {
            self.send(node, ctx, primary, Msg::Request(r));
        }
        self.replay(ctx.metrics);
    }

    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        self.handle(node, ctx, from, msg);
        self.after(node, ctx.metrics);
    }

    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        self.tick(node, ctx, timer);
        self.after(node, ctx.metrics);
    }

    fn vote_usage(&self, nodes: &[Node]) -> super::quorum::Usage {
        nodes.iter().map(|n| n.votes.usage()).sum()
    }

    fn spill_rows(&mut self, to: &crate::metrics::spill::Spill) {
        self.rows.spill_to(to);
    }

    fn partition(&mut self, bounds: &[u32]) -> bool {
        self.requests = Requests::partitioned(bounds.to_vec(), true);
        let ends = bounds.iter().skip(1).copied().chain([self.n]);
        self.parts = (bounds.iter().zip(ends))
            .map(|(&lo, hi)| logs::Own::new(lo, hi - lo))
            .collect();
        self.windowed = true;
        true
    }

    fn window_end(&mut self, metrics: &mut Metrics) {
        self.requests.note_peak();
        self.settle_fresh();
        self.replay_logs_now(metrics);
        self.release_executed();
        self.release_view_changes();
        self.note_held_now();
    }

    fn mempool_len(&self) -> u64 {
        self.requests.unincluded()
    }

    fn finish(&mut self, nodes: &[Node], _end: Time, _metrics: &mut Metrics) -> Report {
        let c = Self::counts(nodes);
        let settled: Vec<u64> = nodes.iter().map(|n| n.settled).collect();
        let blocks = self.rows.finish();
        let views = nodes.iter().map(|n| n.view).max().unwrap_or(0);
        let mut summary = decided::summary(
            "pbft",
            self.decisions(),
            vec![("pbft_final_view".into(), Value::from(views))],
            &[
                ("request", c.request),
                ("pre_prepare", c.pre_prepare),
                ("prepare", c.prepare),
                ("commit", c.commit),
                ("view_change", c.view_change),
                ("new_view", c.new_view),
                ("catch_up", c.catch_up),
            ],
        );
        summary.extend(self.byz.rows_of(self.rows.conflicting()));
        let mut report = decided::report(&self.requests, &settled, blocks, summary);
        report.leaders = Some(self.leader_rows(nodes));
        report
    }
}
