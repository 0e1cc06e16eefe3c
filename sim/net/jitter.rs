//! Pareto latency jitter (SimBlock's) and the bounds of what it can draw.

use super::{RegionTable, millis};
use crate::engine::{Time, UNIT_MIN};
use crate::scenario::Jitter;

/// A Pareto draw whose mean is `mean_ms` (shape 0.2·mean, scale mean − 5, as SimBlock does),
/// by inversion of the uniform `u` in (0, 1]; below 6 ms the distribution degenerates and the
/// mean is returned.
pub(super) fn pareto_around(mean_ms: f64, u: f64) -> f64 {
    let shape = 0.2 * mean_ms;
    if shape <= 1.0 + 1e-9 {
        return mean_ms;
    }
    let scale = mean_ms - 5.0;
    scale / u.powf(1.0 / shape)
}

/// What one link's latency draw can be. The draw falls as its uniform grows: it is least at
/// the largest uniform, 1, where it is the scale; greatest at the smallest, [`UNIT_MIN`]; and at
/// most `typical` for a uniform of `cut` or more (all but one draw in a billion), which bounds
/// short links as well, whose tail reaches days.
#[derive(Clone, Copy, Debug)]
pub struct LatencyBounds {
    pub low: Time,
    pub typical: Time,
    pub high: Time,
    pub cut: f64,
}

/// The uniform below which a draw may exceed `typical`.
const CUT: f64 = 1.0 / (1u64 << 30) as f64;

/// [`LatencyBounds`] of every pair of regions, `from · regions + to`. The upper bounds are
/// doubled so that no rounding of `powf` can put a draw above them.
pub(super) fn bounds(table: &RegionTable, jitter: Jitter) -> Vec<LatencyBounds> {
    table
        .latency_ms
        .iter()
        .flatten()
        .map(|&mean| match jitter {
            Jitter::None => LatencyBounds {
                low: millis(mean),
                typical: millis(mean),
                high: millis(mean),
                cut: 0.0,
            },
            Jitter::Pareto => LatencyBounds {
                low: millis(pareto_around(mean, 1.0)),
                typical: millis(2.0 * pareto_around(mean, CUT)),
                high: millis(2.0 * pareto_around(mean, UNIT_MIN)),
                cut: CUT,
            },
        })
        .collect()
}
