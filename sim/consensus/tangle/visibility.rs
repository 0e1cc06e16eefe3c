//! When a transaction is visible at a node: issued, its proof of work done, held back by any
//! partition separating its origin from the node, then the path delay.

use super::dag::Vertex;
use super::{Ctx, Msg, Tangle, Timer};
use crate::engine::Time;
use crate::net::millis;

impl Tangle {
    /// When something sent from `a` at `t` can reach `b`: at `t`, or when the partitions
    /// separating them then have ended.
    pub(super) fn resync(cuts: &[(Time, Time, Vec<u32>)], mut t: Time, a: u32, b: u32) -> Time {
        while let Some(&(_, to, _)) = cuts
            .iter()
            .find(|(from, to, g)| (*from..*to).contains(&t) && g[a as usize] != g[b as usize])
        {
            t = to;
        }
        t
    }

    /// When a transaction attached at `t` has been able to spread to every node.
    pub(super) fn spread_from(cuts: &[(Time, Time, Vec<u32>)], t: Time) -> Time {
        cuts.iter()
            .filter(|(from, to, _)| (*from..*to).contains(&t))
            .map(|&(_, to, _)| to)
            .max()
            .unwrap_or(t)
            .max(t)
    }

    pub(super) fn delay(origin: u32, v: u32, bytes: u32, ctx: &Ctx<Msg, Timer>) -> Time {
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

    pub(super) fn visible_at(&self, x: u32, v: u32, ctx: &Ctx<Msg, Timer>) -> Time {
        self.seen_at(self.dag.get(x), v, ctx)
    }

    pub(super) fn seen_at(&self, t: &Vertex, v: u32, ctx: &Ctx<Msg, Timer>) -> Time {
        if t.origin == u32::MAX {
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

    /// A released transaction was visible everywhere when it was released.
    pub(super) fn visible(&self, x: u32, v: u32, ctx: &Ctx<Msg, Timer>) -> bool {
        self.dag
            .try_get(x)
            .is_none_or(|t| self.seen_at(t, v, ctx) <= ctx.now)
    }
}
