//! Releasing transactions that can no longer matter, so a tangle run's memory follows the
//! transactions in flight rather than the simulated time.
//!
//! A transaction `x` is dropped once every question the run could still ask about it has a
//! fixed answer that needs no record:
//! - ancestor walks (cumulative weight, milestone confirmation, the walk's weights) stop at a
//!   confirmed transaction older than the weight window, so `x` is confirmed and older than
//!   it (confirmation is never undone);
//! - its origin has settled it (before this instant, so no settlement timer still names it),
//!   or its origin is down for good and will never learn it settled: it stays pending,
//!   counted in the unsettled transactions (the timer still due finds it gone, as after a
//!   settlement); milestones and genesis have nothing to settle, and genesis is kept;
//! - no node can approve it again: under uniform selection its first approver, and `x`
//!   itself, are visible at every node (so `is_tip` is false everywhere, and `prune_open`
//!   drops it); under the walk it lies below the anchor, a transaction issued at least
//!   `depth_s` ago and visible at every node, so every walk starts at the anchor or later and
//!   steps only to approvers (later ids). Below the anchor, a transaction nothing approves
//!   can never be approved: it is dropped as an orphan even though it never confirms. So is
//!   one that is unconfirmed and none of whose approvers, direct or indirect, is the anchor
//!   or later (a branch the walk stranded): every later transaction approves the anchor or
//!   later ones, so it is an ancestor of none of them, whose weight walks and milestones
//!   never reach it; it stays unconfirmed and pending, counted in the unsettled
//!   transactions. An approver of it already released was not confirmed (that would have
//!   confirmed it too), so it went as an orphan or stranded below an earlier anchor, and none
//!   of its approvers reaches the anchor either;
//! - its place in `orphan_rate` and its first approval are final: it is older than ten
//!   visibility horizons (so it is in that rate's population at the end) and, as no node can
//!   approve it again, its first approver is known. Both go to `Approvals` as it leaves.
//!
//! Transactions are released in issue order; one that stays needed longer than twice the
//! release age (its origin is down and will recover, a partition holds its confirmation back,
//! a branch the walk stranded) is set aside in an ordered map and released from there once
//! it qualifies.

use super::dag::{GENESIS, Vertex};
use super::{Ctx, Msg, Tangle, Timer};
use crate::engine::{Time, from_secs};
use crate::metrics::Histogram;
use crate::scenario::TipSelection;

/// Transactions attached between two release passes.
const RELEASE_EVERY: u32 = 64;
/// Release passes between two sweeps of the transactions set aside.
const SWEEP_EVERY: u32 = 64;

/// Time to first approval over device transactions older than ten visibility horizons at the
/// end, and those of them nothing approves.
#[derive(Default)]
pub(super) struct Approvals {
    pub aged: u64,
    pub orphans: u64,
    /// Issue to first approver's issue, in the log-linear histogram (0.39 % relative error).
    pub first: Histogram,
}

impl Approvals {
    /// Counts `t` (a device transaction, or nothing).
    pub fn record(&mut self, t: &Vertex) {
        if t.created.is_none() {
            return;
        }
        self.aged += 1;
        match t.first_approved {
            Some(a) => self.first.record(a - t.issued),
            None => self.orphans += 1,
        }
    }
}

impl Tangle {
    /// Age past which a transaction may be released: beyond the weight window, and ten
    /// horizons (the age from which `orphan_rate` counts it).
    fn release_age(&self) -> Time {
        let window = match self.params.tip_selection {
            TipSelection::Walk { depth_s, .. } => from_secs(depth_s) + self.horizon,
            TipSelection::Uniform => 0,
        };
        (window + self.horizon).max(10 * self.horizon)
    }

    /// Whether every node can see `t` by now. Without partitions that is its sending time
    /// plus the longest delay from its origin, looked up once per origin and size instead of
    /// once per node and check (the check ran for every candidate at every release sweep).
    fn everywhere(&self, t: &Vertex, ctx: &Ctx<Msg, Timer>) -> bool {
        let n = self.down.len() as u32;
        if !self.cuts.is_empty() || t.origin == u32::MAX {
            return (0..n).all(|v| self.seen_at(t, v, ctx) <= ctx.now);
        }
        let far = *self
            .farthest
            .borrow_mut()
            .entry((t.origin, t.bytes))
            .or_insert_with(|| {
                (0..n)
                    .map(|v| Self::delay(t.origin, v, t.bytes, ctx))
                    .max()
                    .unwrap_or(0)
            });
        t.issued + self.pow + far <= ctx.now
    }

    /// The newest transaction issued at least `depth` ago that every node sees: no walk
    /// starts before it, now or later.
    fn anchor(&self, depth: Time, ctx: &Ctx<Msg, Timer>) -> Option<u32> {
        let before = ctx.now.checked_sub(depth)?;
        let mut x = self.dag.issued_until(before);
        for _ in 0..32 {
            if x <= self.dag.base() {
                return None;
            }
            x -= 1;
            if self.everywhere(self.dag.get(x), ctx) {
                return Some(x);
            }
        }
        None
    }

    /// Whether nothing can ask about `t` any more (see the module's comment); `below` is the
    /// anchor under the walk.
    fn done(&self, x: u32, t: &Vertex, below: u32, ctx: &Ctx<Msg, Timer>) -> bool {
        if x == GENESIS || x >= below {
            return false;
        }
        let walk = matches!(self.params.tip_selection, TipSelection::Walk { .. });
        let orphan = walk && t.approvers.is_empty();
        let stranded = walk && !orphan && !t.confirmed && !self.dag.reaches(x, below);
        let unsettled = t.created.is_some()
            && t.settled_at.is_none_or(|s| s >= ctx.now)
            && !self.gone[t.origin as usize];
        if !orphan && !stranded && (!t.confirmed || unsettled) {
            return false;
        }
        if !walk {
            let (Some(&y), Some(at)) = (t.approvers.first(), t.first_approved) else {
                return false;
            };
            let spread = Self::spread_from(&self.cuts, at + self.pow).max(at);
            // A released approver was itself visible everywhere.
            if spread + self.horizon >= ctx.now
                || self
                    .dag
                    .try_get(y)
                    .is_some_and(|y| !self.everywhere(y, ctx))
            {
                return false;
            }
        }
        self.everywhere(t, ctx)
    }

    /// Drops what can no longer matter; amortised over `RELEASE_EVERY` attachments.
    pub(super) fn release(&mut self, ctx: &Ctx<Msg, Timer>) {
        if self.keep_all {
            return;
        }
        self.since_release += 1;
        if self.since_release < RELEASE_EVERY {
            return;
        }
        self.since_release = 0;
        let age = self.release_age();
        let Some(until) = ctx.now.checked_sub(age) else {
            return;
        };
        let below = match self.params.tip_selection {
            TipSelection::Walk { depth_s, .. } => match self.anchor(from_secs(depth_s), ctx) {
                Some(a) => a,
                None => return,
            },
            TipSelection::Uniform => u32::MAX,
        };
        while self.dag.base() < self.dag.len() {
            let x = self.dag.base();
            let t = self.dag.get(x);
            if t.issued >= until {
                break;
            }
            if self.done(x, t, below, ctx) {
                let t = self.dag.pop_base(false).expect("held");
                self.approvals.record(&t);
            } else if t.issued + age < until {
                self.dag.pop_base(true);
            } else {
                break;
            }
        }
        self.sweeps += 1;
        if self.sweeps >= SWEEP_EVERY {
            self.sweeps = 0;
            let gone: Vec<u32> = self
                .dag
                .aside()
                .filter(|&(x, t)| self.done(x, t, below, ctx))
                .map(|(x, _)| x)
                .collect();
            for x in gone {
                let t = self.dag.take_aside(x).expect("set aside");
                self.approvals.record(&t);
            }
        }
    }
}
