//! The cheap bound on a link's power that lets a device skip most gateways before any
//! logarithm is taken, with the exact power where the bound can pass.

use super::geometry::Point;
use super::links::Emitter;
use super::{Normal, PathLoss};

/// Slack on the cheap bound of a link's power (shadowing at most the draw's radius) against
/// the rounding of the exact value, which is kept as an `f32` (under 10⁻⁵ dB off).
const BOUND_SLACK_DB: f64 = 1e-3;

/// One device's look at its gateways: the exact received power only where the bound
/// (shadowing no stronger than the draw's radius) can pass the line asked for.
pub(super) struct Look<'a, 'e> {
    pub(super) d: u32,
    pub(super) p: Point,
    pub(super) tx: f64,
    pub(super) loss: &'a PathLoss,
    pub(super) gateways: &'a [Point],
    pub(super) e: &'a Emitter<'e>,
}

impl Look<'_, '_> {
    fn squared(&self, g: u32) -> f64 {
        let (x, y) = self.gateways[g as usize];
        (x - self.p.0).powi(2) + (y - self.p.1).powi(2)
    }

    pub(super) fn dist(&self, g: u32) -> f64 {
        self.squared(g).sqrt()
    }

    /// Gateway `g`'s received power if it can reach `line`, else `None`; `out_of_reach`, made
    /// for `line − tx`, turns most links away before any logarithm is taken.
    pub(super) fn power(
        &self,
        g: u32,
        line: f64,
        out_of_reach: Option<&OutOfReach>,
    ) -> Option<f32> {
        self.power_drawn(g, self.draw(g), line, out_of_reach)
    }

    /// The uniforms of the shadowing of the link to gateway `g`.
    pub(super) fn draw(&self, g: u32) -> (f64, f64) {
        (self.e.shadowing)(self.d, g)
    }

    /// [`Look::power`] with the link's shadowing uniforms already drawn.
    pub(super) fn power_drawn(
        &self,
        g: u32,
        (u1, u2): (f64, f64),
        line: f64,
        out_of_reach: Option<&OutOfReach>,
    ) -> Option<f32> {
        let s = self.squared(g);
        if out_of_reach.is_some_and(|o| o.holds(s, u1)) {
            return None;
        }
        let mean = self.tx - self.loss.mean_db(s.sqrt());
        let z = Normal::box_muller(u1, u2);
        if mean + self.loss.shadowing_db * z.radius + BOUND_SLACK_DB < line {
            return None;
        }
        Some((mean - self.loss.shadowing_db * z.value()) as f32)
    }
}

/// Bins of squared distance by the top bits of its `f64` pattern (which grows with the
/// value): 2^6 bins per doubling, a distance range of under 0.8 % each.
const BIN_SHIFT: u32 = 52 - 6;

/// For links whose power must reach `tx + line_above_tx_db`: in each bin of squared
/// distance, the largest first uniform `u1` of a shadowing draw whose bound (the
/// [`Look::power`] test, shadowing at most the radius √(−2 ln u1)) can still reach the line
/// at the bin's nearest distance. A link with a larger `u1` has a smaller radius than it
/// would need even there, so its power is under the line by more than [`BOUND_SLACK_DB`]
/// and the exact test would turn it away too: skipping it changes no link. One `exp` per
/// bin instead of a `log10` and an `ln` per link.
pub(super) struct OutOfReach {
    pub(super) key: u64,
    first: u64,
    max_u1: Vec<f64>,
}

impl OutOfReach {
    pub(super) fn new(line_above_tx_db: f64, reach_m: f64, loss: &PathLoss) -> Self {
        // Within the reference distance the mean loss does not change: never skipped there.
        let first = (loss.reference_m * loss.reference_m).to_bits() >> BIN_SHIFT;
        let last = (reach_m * reach_m).to_bits() >> BIN_SHIFT;
        let max_u1 = (first..=last.max(first))
            .map(|bin| {
                let nearest = f64::from_bits(bin << BIN_SHIFT).sqrt();
                // Sigmas of shadowing the bound needs at that distance, less a margin far
                // above the rounding of this sum, the square root and the logarithm.
                let need = (line_above_tx_db + loss.mean_db(nearest) - BOUND_SLACK_DB)
                    / loss.shadowing_db
                    - 1e-6;
                if need > 0.0 {
                    (-need * need / 2.0).exp()
                } else {
                    f64::INFINITY
                }
            })
            .collect();
        OutOfReach {
            key: line_above_tx_db.to_bits(),
            first,
            max_u1,
        }
    }

    /// A link at squared distance `s` whose draw starts with `u1` cannot reach the line.
    fn holds(&self, s: f64, u1: f64) -> bool {
        let bin = (s.to_bits() >> BIN_SHIFT).wrapping_sub(self.first);
        self.max_u1.get(bin as usize).is_some_and(|&m| u1 > m)
    }
}
