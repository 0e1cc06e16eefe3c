//! How likely a candidate is a retired key's successor under the Bayes attacker's model
//! (`bayes.rs`), and how likely at most any candidate first seen at least some distance from
//! the predicted moment is: links walk their candidates nearest first and stop where no
//! farther one can win, so a link weighs a few candidates where it weighed up to 32.
//!
//! The bound, for a uniform law of support width W < P (P the period; X in [lo_x, hi_x],
//! hi_x − lo_x = W). Let δ = b.first − (a.last + P), which the search window keeps within
//! [−W, W]. Relative to `a`'s first use, `a`'s last use has residue r ∈ [a.lo, a.hi], so `a`'s
//! arc [a.hi − hi_x, a.lo − lo_x] lies in A' = [r − hi_x, r − lo_x]. A candidate's residues
//! span [b.lo, b.hi] ∋ 0 (its first use's), so its arc [b.hi − hi_x, b.lo − lo_x], shifted by
//! b.first − a.first ≡ r + δ (mod P), lies in A' + δ. Both have length W, so the overlap of
//! the arcs summed over the copies a period apart is at most Σₖ max(0, W − |δ + kP|), and
//! with |δ| ≤ W < P that is at most max(0, W − |δ|) + max(0, 2W − P): for k ≠ 0,
//! |δ + kP| ≥ P − |δ| ≥ P − W, and beyond the nearest such k, ≥ 2P − W > W. The score divides
//! the overlap by the candidate's arc length W − (b.hi − b.lo), at least W − s, s the widest
//! spread below W any candidate of the pool has had (a wider one has no arc and no score),
//! and the overlap never exceeds that arc (its copies a period apart are disjoint): every
//! candidate first seen d or more from the prediction scores at most
//! min(1, (max(0, W − d) + max(0, 2W − P)) / max(1, W − s)), which does not grow with d.
//! Scores and the bound are quotients of integers below 2⁵³ rounded once, and rounding keeps
//! order, so a rounded bound below the best score so far (or equal to it, past the best's
//! distance: ties go to the nearer) rules out every candidate farther out. When W ≥ P every
//! candidate scores 1. No bound is used for an exponential law.

use super::bayes::{Key, Law, Model, wrap};

/// How likely candidate `b`, first seen `shift` after `a`'s first use modulo the period, is
/// `a`'s successor, up to a factor common to all candidates (uniform: the posterior itself;
/// exponential: its logarithm, both increasing in it); `None`: impossible under the model.
#[cfg(test)]
fn score(m: &Model, a: &Key, b: &Key, shift: i64) -> Option<f64> {
    Weigh::new(m, a).score(b.lo, b.hi, b.uses, shift)
}

/// What weighing candidates against retired key `a` needs of it, worked out once per link
/// (a link weighs up to `2 * NEAREST` candidates, and every reading's key is linked when keys
/// rotate on every reading).
pub struct Weigh {
    law: Law,
    period: i64,
    /// Uniform: the support covers the period, so every candidate is as likely.
    flat: bool,
    /// Uniform: X lies in [lo_x, hi_x], and `a`'s arc of phases is [a_lo, a_hi].
    lo_x: i64,
    hi_x: i64,
    a_lo: i64,
    a_hi: i64,
    a_uses: u32,
    a_min: i64,
    /// Uniform: the support's width W, and what other copies a period apart add to the
    /// overlap at most (max(0, 2W − P)).
    width: i64,
    wrapped: i64,
}

impl Weigh {
    #[inline]
    pub fn new(m: &Model, a: &Key) -> Self {
        let w = m.width().unwrap_or(0);
        // Arcs of φ relative to a's first use; X lies in [−spread, max + spread].
        let (lo_x, hi_x) = (-(m.spread as i64), w - m.spread as i64);
        Weigh {
            law: m.law,
            period: m.period as i64,
            flat: w >= m.period as i64,
            lo_x,
            hi_x,
            a_lo: a.hi - hi_x,
            a_hi: a.lo - lo_x,
            a_uses: a.uses,
            a_min: a.lo,
            width: w,
            wrapped: (2 * w - m.period as i64).max(0),
        }
    }

    /// `lo`, `hi`: the candidate's earliest and latest residue, `uses` its uses.
    #[inline]
    pub fn score(&self, lo: i64, hi: i64, uses: u32, shift: i64) -> Option<f64> {
        let p = self.period;
        match self.law {
            Law::Uniform { .. } => {
                if self.flat {
                    return Some(1.0);
                }
                self.score_narrow(lo, hi, shift)
            }
            Law::Exponential { mean } => {
                let rate = 1.0 / mean.max(1) as f64;
                let (na, nb) = (f64::from(self.a_uses), f64::from(uses));
                let d = wrap(shift + lo - self.a_min, p);
                let late = if d >= 0 { nb } else { na };
                Some((nb / (na + nb)).ln() - rate * late * d.unsigned_abs() as f64)
            }
        }
    }

    /// A uniform law whose support is narrower than the period: the law whose links weigh
    /// candidates one by one (a flat one scores every candidate alike).
    #[inline]
    pub fn uniform_narrow(&self) -> bool {
        matches!(self.law, Law::Uniform { .. }) && !self.flat
    }

    /// `score` under a uniform law narrower than the period.
    #[inline(always)]
    pub fn score_narrow(&self, lo: i64, hi: i64, shift: i64) -> Option<f64> {
        let p = self.period;
        if (0..p).contains(&shift) {
            return self.score_in_period(lo, hi, shift);
        }
        let b_lo = shift + hi - self.hi_x;
        let b_hi = shift + lo - self.lo_x;
        let lb = b_hi - b_lo;
        if lb <= 0 {
            return None;
        }
        let overlap: i64 = (-2..=2)
            .map(|k| self.meet(b_lo + k * p, b_hi + k * p))
            .sum();
        (overlap > 0).then(|| overlap as f64 / lb as f64)
    }

    /// `score_narrow` for a shift in [0, P), which is what links' walks give: no test of the
    /// shift per candidate. Residues and shifts are within a period of 0 and the support
    /// within one period: no sum here comes near overflowing.
    #[inline(always)]
    pub fn score_in_period(&self, lo: i64, hi: i64, shift: i64) -> Option<f64> {
        let p = self.period;
        debug_assert!((0..p).contains(&shift));
        let b_lo = shift.wrapping_add(hi).wrapping_sub(self.hi_x);
        let b_hi = shift.wrapping_add(lo).wrapping_sub(self.lo_x);
        let lb = b_hi.wrapping_sub(b_lo);
        if lb <= 0 {
            return None;
        }
        // Both arcs lie in windows of width W: `a`'s in [−hi_x, −lo_x] (its residues span 0),
        // `b`'s copy k periods on in that window moved by shift + kP, and two such windows
        // meet only when |shift + kP| < W. With shift in [0, P) and W < P that leaves k = 0
        // and k = −1: the other terms are 0.
        let overlap = self
            .meet(b_lo, b_hi)
            .wrapping_add(self.meet(b_lo.wrapping_sub(p), b_hi.wrapping_sub(p)));
        (overlap > 0).then(|| overlap as f64 / lb as f64)
    }

    /// How long `a`'s arc and [lo, hi] have in common.
    #[inline(always)]
    fn meet(&self, lo: i64, hi: i64) -> i64 {
        self.a_hi.min(hi).wrapping_sub(self.a_lo.max(lo)).max(0)
    }

    /// The most any candidate first seen `distance` or more from the predicted moment can
    /// score, given that no candidate's uses spread wider than `spread` below the support's
    /// width (see the module's comment); `None`: no bound (exponential law).
    #[cfg(test)]
    pub fn bound(&self, distance: u64, spread: i64) -> Option<f64> {
        match self.law {
            Law::Uniform { .. } => Some(self.uniform_bound(distance, self.arc(spread))),
            Law::Exponential { .. } => None,
        }
    }

    /// The bound under a uniform law, for a pool whose shortest arc is `arc`.
    #[inline]
    fn uniform_bound(&self, distance: u64, arc: i64) -> f64 {
        if self.flat {
            return 1.0;
        }
        self.narrow_bound(distance, arc)
    }

    /// `uniform_bound` where the support is narrower than the period.
    #[inline(always)]
    fn narrow_bound(&self, distance: u64, arc: i64) -> f64 {
        let near = (self.width - distance.min(self.width as u64) as i64).max(0);
        // The quotient is 1 or more, so the bound is 1: no division.
        if near + self.wrapped >= arc {
            1.0
        } else {
            (((near + self.wrapped) as f64) / arc as f64).min(1.0)
        }
    }

    /// The shortest arc a candidate of a pool whose widest spread below the support's width
    /// is `spread` can have (at least 1), worked out once per link.
    #[inline]
    pub fn arc(&self, spread: i64) -> i64 {
        (self.width - spread).max(1)
    }

    /// Whether no candidate first seen `distance` or more from the predicted moment can win
    /// against the best so far, of score `bs` at distance `bd`: the bound lies below it, or
    /// at it and farther out (ties go to the nearer). `arc`: `self.arc` of the pool's spread.
    #[inline]
    pub fn rules_out(&self, distance: u64, arc: i64, bs: f64, bd: u64) -> bool {
        let bound = match self.law {
            Law::Uniform { .. } => self.uniform_bound(distance, arc),
            Law::Exponential { .. } => return false,
        };
        bound < bs || (bound == bs && distance > bd)
    }

    /// The least distance from which `rules_out_narrow` (pool's shortest arc `arc`) can hold
    /// while the best score is below 1: nearer, the bound is 1 (`narrow_bound` returns 1
    /// while W − d + max(0, 2W − P) ≥ arc, d ≤ W), and rules out nothing scoring less.
    /// Worked out once per link, so a walk asks the bound only from there on: asked at every
    /// candidate, it cost about a tenth of the walk's instructions with keys rotated every
    /// second reading, where the pool's widest spread leaves an arc so short that it never cut.
    #[inline]
    pub fn bound_cuts_from_narrow(&self, arc: i64) -> u64 {
        if self.wrapped >= arc {
            return u64::MAX;
        }
        // Below 0 (a support of width 0): from the first candidate on.
        u64::try_from(self.width + self.wrapped - arc).map_or(0, |d| d + 1)
    }

    /// `rules_out` under a uniform law narrower than the period.
    #[inline(always)]
    pub fn rules_out_narrow(&self, distance: u64, arc: i64, bs: f64, bd: u64) -> bool {
        let bound = self.narrow_bound(distance, arc);
        bound < bs || (bound == bs && distance > bd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Time;

    const S: Time = 1_000_000_000;

    fn uniform(max_s: u64) -> Model {
        Model {
            period: 60 * S,
            law: Law::Uniform { max: max_s * S },
            spread: S,
        }
    }

    fn key(first: Time, uses: u32, lo: i64, hi: i64) -> Key {
        Key {
            first,
            last: first,
            uses,
            lo,
            hi,
        }
    }

    /// Uniform X on [−1 s, 11 s] (W = 12 s): two single-use keys 4 s apart in phase share
    /// an arc of 8 s of the 12 s of each: the score is 8/12.
    #[test]
    fn single_uses_overlap_by_the_support_less_their_distance() {
        let m = uniform(10);
        let a = key(0, 1, 0, 0);
        let b = key(64 * S, 1, 0, 0);
        let s = score(&m, &a, &b, (4 * S) as i64).unwrap();
        assert!((s - 8.0 / 12.0).abs() < 1e-12, "{s}");
        // 13 s apart: no common phase.
        assert_eq!(score(&m, &a, &b, (13 * S) as i64), None);
        // Across the period's end (59 s after is 1 s before).
        let s = score(&m, &a, &b, (59 * S) as i64).unwrap();
        assert!((s - 11.0 / 12.0).abs() < 1e-12, "{s}");
    }

    /// A delay spread over the whole period says nothing: every candidate scores alike.
    #[test]
    fn a_support_as_wide_as_the_period_is_flat() {
        let m = uniform(58);
        let a = key(0, 3, -(S as i64), 2 * S as i64);
        for shift in [0, 7, 31, 59] {
            assert_eq!(score(&m, &a, &key(0, 1, 0, 0), shift * S as i64), Some(1.0));
        }
    }

    /// Exponential: n_A n_B / (n_A + n_B) · e^{−λ n_late Δ}, here 2·1/3 and Δ = 5 s, λ = 1/10 s.
    #[test]
    fn exponential_weighs_the_later_earliest_residue() {
        let m = Model {
            period: 60 * S,
            law: Law::Exponential { mean: 10 * S },
            spread: 0,
        };
        let a = key(0, 2, 0, 3 * S as i64);
        let b = key(0, 1, 0, 0);
        let s = score(&m, &a, &b, 5 * S as i64).unwrap();
        assert!((s - ((1.0f64 / 3.0).ln() - 0.5)).abs() < 1e-12, "{s}");
        // b earlier by 5 s: a is the later one, with two uses.
        let s = score(&m, &a, &b, 55 * S as i64).unwrap();
        assert!((s - ((1.0f64 / 3.0).ln() - 1.0)).abs() < 1e-12, "{s}");
    }

    /// Draws in [0, n) from a linear congruential sequence started at `seed`.
    fn draws(mut x: u64) -> impl FnMut(i64) -> i64 {
        move |n| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) % n as u64) as i64
        }
    }

    /// The two copies the score sums over give what all five a period apart give, for
    /// supports from a tenth of the period to just below it.
    #[test]
    fn two_copies_hold_the_whole_overlap() {
        let mut draw = draws(11);
        for max_s in [4u64, 20, 25, 40, 57] {
            let m = uniform(max_s);
            let (p, w) = (m.period as i64, m.width().unwrap());
            for _ in 0..20_000 {
                let a = key(0, 2, -draw(w), draw(w));
                let b = key(0, 2, -draw(w), draw(w));
                let shift = draw(p);
                let weigh = Weigh::new(&m, &a);
                let (b_lo, b_hi) = (shift + b.hi - weigh.hi_x, shift + b.lo - weigh.lo_x);
                let all: i64 = (-2..=2)
                    .map(|k| weigh.meet(b_lo + k * p, b_hi + k * p))
                    .sum();
                let lb = b_hi - b_lo;
                let want = (lb > 0 && all > 0).then(|| all as f64 / lb as f64);
                assert_eq!(
                    weigh.score(b.lo, b.hi, b.uses, shift),
                    want,
                    "shift {shift}, W {w}"
                );
            }
        }
    }

    /// Nearer than where `bound_cuts_from_narrow` says, the bound rules out no best score
    /// below 1; from there it is below 1, so a best just under it is ruled out.
    #[test]
    fn the_bound_cuts_nothing_before_its_distance() {
        let mut draw = draws(5);
        for max_s in [0u64, 4, 10, 25, 40, 57] {
            let m = uniform(max_s);
            let w = m.width().unwrap();
            let weigh = Weigh::new(&m, &key(0, 1, 0, 0));
            for spread in [
                0,
                1,
                w / 3,
                w - 2,
                w - 1,
                w,
                w + 5,
                draw(w + 1),
                draw(w + 1),
            ] {
                let arc = weigh.arc(spread);
                let from = weigh.bound_cuts_from_narrow(arc);
                for _ in 0..200 {
                    let d = draw(2 * w + 3) as u64;
                    let bs = [0.0, 0.5, 1.0 - 1e-12][draw(3) as usize];
                    if d < from {
                        assert!(!weigh.rules_out_narrow(d, arc, bs, draw(w + 1) as u64));
                    }
                }
                if from < u64::MAX {
                    assert!(weigh.narrow_bound(from, arc) < 1.0, "W {w}, arc {arc}");
                    assert!(from == 0 || weigh.narrow_bound(from - 1, arc) == 1.0);
                }
            }
        }
    }

    /// No candidate first seen at a distance scores above the bound there or nearer, for any
    /// spreads of both keys within the limits the bound assumes, with the support below and
    /// above half the period; for single uses it is the score itself when 2W ≤ P.
    #[test]
    fn no_candidate_scores_above_the_bound() {
        let mut draw = draws(7);
        for max_s in [10u64, 40] {
            let m = uniform(max_s);
            let (p, w) = (m.period as i64, m.width().unwrap());
            for _ in 0..20_000 {
                let (lo, hi) = (-draw(w / 2), draw(w / 2));
                let r = lo + draw(hi - lo + 1);
                let a = key(0, 2, lo, hi);
                let (b_lo, b_hi) = (-draw(w / 2), draw(w / 2));
                let b = key(0, 3, b_lo, b_hi);
                let delta = draw(2 * w + 1) - w;
                let Some(s) = score(&m, &a, &b, (r + delta).rem_euclid(p)) else {
                    continue;
                };
                let weigh = Weigh::new(&m, &a);
                let d = delta.unsigned_abs();
                let widest = b_hi - b_lo + draw(w - (b_hi - b_lo));
                for nearer in [d, d / 2, 0] {
                    let bound = weigh.bound(nearer, widest).unwrap();
                    assert!(s <= bound, "{s} > {bound} at {delta} (W {w})");
                }
            }
        }
        let m = uniform(10);
        let a = key(0, 1, 0, 0);
        let weigh = Weigh::new(&m, &a);
        for delta in [0, 1, 3 * S as i64, -5 * S as i64, 11 * S as i64] {
            let s = score(&m, &a, &key(0, 1, 0, 0), delta.rem_euclid(60 * S as i64));
            assert_eq!(s, weigh.bound(delta.unsigned_abs(), 0));
        }
    }
}
