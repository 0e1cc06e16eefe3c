//! Tip selection: uniform over the tips the issuing node sees, or Popov's weighted random
//! walk from a transaction `depth_s` old.

use super::dag::GENESIS;
use super::{Ctx, Msg, Tangle, Timer};
use crate::engine::{Time, from_secs};
use crate::scenario::TipSelection;
use rand::RngExt;

impl Tangle {
    fn visible_approvers(&self, x: u32, v: u32, ctx: &Ctx<Msg, Timer>) -> Vec<u32> {
        let a = &self.dag.get(x).approvers;
        a.iter()
            .copied()
            .filter(|&y| self.visible(y, v, ctx))
            .collect()
    }

    pub(super) fn select(&mut self, v: u32, ctx: &mut Ctx<Msg, Timer>) -> Vec<u32> {
        let k = self.params.approvals as usize;
        match self.params.tip_selection {
            TipSelection::Uniform => {
                self.prune_open(ctx.now);
                // Uniform over the tips `v` sees, by rejection from `open` (a superset): each
                // accepted draw is uniform over them. Scanning them all per transaction cost
                // O(λh) each, minutes at thousands of readings per second. Too many
                // rejections (few tips visible, as in a split) fall back to the scan.
                // A released transaction is visible and approved everywhere: no tip.
                let is_tip = |x: u32, ctx: &Ctx<Msg, Timer>| {
                    self.dag.try_get(x).is_some_and(|t| {
                        self.seen_at(t, v, ctx) <= ctx.now
                            && !t.approvers.iter().any(|&y| self.visible(y, v, ctx))
                    })
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
        // A released transaction was pruned by this rule before its release.
        self.open
            .retain(|&x| match dag.try_get(x).map(|t| t.first_approved) {
                None => false,
                Some(None) => true,
                // An approver attached during a split reaches the far side after it.
                Some(Some(issued)) => {
                    Self::spread_from(cuts, issued + pow).max(issued) + horizon >= now
                }
            });
        self.open_pruned = self.open.len();
    }

    /// The newest transaction issued at least `depth` ago that `v` can see (never one
    /// released: those lie below a transaction every node sees).
    fn walk_start(&mut self, v: u32, depth: Time, ctx: &Ctx<Msg, Timer>) -> u32 {
        let Some(before) = ctx.now.checked_sub(depth) else {
            return GENESIS;
        };
        let mut x = self.dag.issued_until(before);
        while x > 1 {
            x -= 1;
            match self.dag.try_get(x) {
                Some(t) if self.seen_at(t, v, ctx) <= ctx.now => return x,
                Some(_) => {}
                None => self.lost_walks += 1,
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
}
