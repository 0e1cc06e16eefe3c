//! One link of the Bayes attacker: where a retired key's successor is looked for (the window
//! around the predicted moment), and the walk over the candidates on each side of it that picks
//! the one of maximum posterior.

use super::{BayesStats, Fresh, Key, Model, NEAREST, Pool};
use crate::engine::Time;
use crate::privacy::candidates::Candidates;
use crate::privacy::weigh::Weigh;

/// Where `a`'s successor is looked for: the predicted moment and the window of first uses
/// around it; `None` when `a`'s uses spread wider than the model allows (no phase explains
/// them).
fn window(m: &Model, a: &Key) -> Option<(Time, Time, Time)> {
    let period = m.period;
    if let Some(w) = m.width()
        && w < period as i64
        && a.hi - a.lo >= w
    {
        return None;
    }
    let predicted = a.last.saturating_add(period);
    let (start, end) = match m.width() {
        Some(w) if w < period as i64 => (
            predicted.saturating_sub(w as Time),
            predicted.saturating_add(w as Time),
        ),
        _ => (a.last, a.last.saturating_add(period.saturating_mul(2))),
    };
    Some((predicted, start.max(a.last).min(predicted), end))
}

/// Whether some candidate of a pool of model `m`, whose newest was first seen at `newest`,
/// lies in the window of retired key `a`: where none was first seen that late (the keys that
/// retire when the run ends, about a third of all with keys rotated every second reading), a
/// link weighs nothing and claims nothing.
#[inline]
pub(super) fn reaches(m: &Model, newest: Option<Time>, a: &Key) -> bool {
    window(m, a).is_some_and(|(_, start, _)| newest.is_some_and(|t| t >= start))
}

/// Links retired key `(d, e)` to the unclaimed candidate of maximum posterior, if any;
/// `near`: a place near the predicted moment's in the ring, moved to it.
pub(super) fn link(
    p: &mut Pool,
    stats: &mut BayesStats,
    a: &Key,
    d: u32,
    e: u32,
    near: &mut usize,
) {
    let m = p.model;
    let Some((predicted, start, end)) = window(&m, a) else {
        return;
    };
    if p.fresh.newest().is_none_or(|t| t < start) {
        return;
    }
    let weigh = Weigh::new(&m, a);
    let split = p.fresh.position_near(*near, (predicted, 0));
    *near = split;
    let arc = weigh.arc(p.spread);
    let w = Window {
        a,
        per: m.period as i64,
        predicted,
        start,
        end,
    };
    // The law is fixed per link: each walk is built for its own, with no test of it per
    // candidate (a tenth of the walk's instructions with keys rotated every second reading).
    let pick = match weigh.uniform_narrow() {
        true => {
            let from = weigh.bound_cuts_from_narrow(arc);
            best(
                &mut p.fresh,
                split,
                &w,
                |lo, hi, _, shift| weigh.score_in_period(lo, hi, shift),
                (
                    |bs| if bs >= 1.0 { 0 } else { from },
                    |distance, bs, bd| weigh.rules_out_narrow(distance, arc, bs, bd),
                ),
            )
        }
        false => best(
            &mut p.fresh,
            split,
            &w,
            |lo, hi, uses, shift| weigh.score(lo, hi, uses, shift),
            (
                |_| 0,
                |distance, bs, bd| weigh.rules_out(distance, arc, bs, bd),
            ),
        ),
    };
    let Some(i) = pick else { return };
    let f = p.fresh.claim(i);
    stats.made += 1;
    stats.correct += (f.device == d && f.prev == e) as u64;
}

/// What a link walks: retired key `a`, its period, the predicted moment and the window.
struct Window<'a> {
    a: &'a Key,
    per: i64,
    predicted: Time,
    start: Time,
    end: Time,
}

/// The place of the unclaimed candidate of maximum `score` (ties: nearer the prediction,
/// then earlier), among those on each side of place `split`, up to `NEAREST` a side, each
/// side nearest first until `rules_out` says none farther can win (see `weigh.rs`); it is
/// asked only from the distance `cuts_from` gives for the best score so far (nearer, it holds
/// for no candidate). The order is a total one, and `rules_out` only stops where nothing
/// farther can win, so the sides are walked one after the other: interleaved by distance,
/// each step chose a side and kept both sides' state, which cost more than the weighing.
#[inline(always)]
fn best(
    fresh: &mut Candidates<Fresh>,
    split: usize,
    w: &Window,
    score: impl Fn(i64, i64, u32, i64) -> Option<f64>,
    (cuts_from, rules_out): (impl Fn(f64) -> u64, impl Fn(u64, f64, u64) -> bool),
) -> Option<usize> {
    let (a, per, predicted, start, end) = (w.a, w.per, w.predicted, w.start, w.end);
    // A candidate's phase relative to `a`'s first use (its shift): the prediction, one period
    // after `a`'s last use, has `a`'s last use's, and the window reaches no more than a
    // period either side of it, so a candidate's follows from its distance by one addition
    // and one test (where working it out from the time first seen took three tests).
    let base = (a.last as i64 - a.first as i64).rem_euclid(per);
    // Score, distance, place (in order of arrival among the first seen at one moment).
    let mut best: Option<(f64, Time, usize)> = None;
    // Where `rules_out` is first asked: nowhere while there is no best.
    let mut ask_from = u64::MAX;
    // Weighs candidate `f` at place `i`, first seen at `t`, `d` from the prediction, with
    // shift `shift`: written out in both walks, where a closure called from both stayed a
    // call per candidate.
    macro_rules! weigh {
        ($f:expr, $i:expr, $t:expr, $d:expr, $shift:expr) => {{
            let (f, i, t, d, shift): (&Fresh, usize, Time, Time, i64) = ($f, $i, $t, $d, $shift);
            debug_assert_eq!(shift, (t as i64 - a.first as i64).rem_euclid(per));
            if let Some(s) = score(f.lo, f.hi, f.uses, shift) {
                // Places keep the candidates' order, so the nearer place is the earlier one.
                let better = best.is_none_or(|(bs, bd, bi)| {
                    s > bs || (s == bs && (d < bd || (d == bd && i < bi)))
                });
                if better {
                    best = Some((s, d, i));
                    ask_from = cuts_from(s);
                }
            }
        }};
    }
    let mut c = fresh.walk();
    // Each side counts the candidates it has had, the dead ones passed over included: it
    // stops at `NEAREST`, as if it had visited each. First seen at or after the prediction:
    let (mut next, dead) = c.next(split);
    let mut on = dead as usize;
    while let Some(i) = next
        && on < NEAREST
    {
        let t = c.first(i);
        if t > end {
            break;
        }
        let d = t - predicted;
        if d >= ask_from
            && let Some((bs, bd, _)) = best
            && rules_out(d, bs, bd)
        {
            break;
        }
        // Times are nanoseconds of a run: no sum here comes near overflowing.
        let s = base + d as i64;
        weigh!(c.get(i), i, t, d, if s >= per { s - per } else { s });
        let (n, dead) = c.next(i + 1);
        on += 1 + dead as usize;
        next = n;
    }
    // Before it:
    let (mut prev, dead) = c.prev(split);
    let mut on = dead as usize;
    while let Some(i) = prev
        && on < NEAREST
    {
        let t = c.first(i);
        if t < start {
            break;
        }
        let d = predicted - t;
        if d >= ask_from
            && let Some((bs, bd, _)) = best
            && rules_out(d, bs, bd)
        {
            break;
        }
        let s = base - d as i64;
        weigh!(c.get(i), i, t, d, if s < 0 { s + per } else { s });
        let (p, dead) = c.prev(i);
        on += 1 + dead as usize;
        prev = p;
    }
    best.map(|(_, _, i)| i)
}
