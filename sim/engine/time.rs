//! Simulated time is an integer count of nanoseconds: ordering never depends on rounding.

/// Nanoseconds since the start of the run.
pub type Time = u64;

pub const NS_PER_MS: Time = 1_000_000;
pub const NS_PER_S: Time = 1_000_000_000;

/// Converts seconds to time, rounding to the nearest nanosecond and saturating at the ends.
pub fn from_secs(s: f64) -> Time {
    if s.is_nan() || s <= 0.0 {
        0
    } else {
        nearest(s * NS_PER_S as f64)
    }
}

/// `ns` rounded half away from zero, as `f64::round` does, without its library call (the
/// baseline x86-64 target has no rounding instruction, and every message delay comes through
/// here): below 2^53 the fraction `ns − ⌊ns⌋` is exact, and above it `ns` is whole.
fn nearest(ns: f64) -> Time {
    if ns >= u64::MAX as f64 {
        return u64::MAX;
    }
    let whole = ns as u64;
    whole + u64::from(ns - whole as f64 >= 0.5)
}

/// Converts time to seconds for reporting only; never compare the result to order events.
pub fn to_secs(t: Time) -> f64 {
    t as f64 / NS_PER_S as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_trip_and_saturate() {
        assert_eq!(from_secs(1.5), 1_500_000_000);
        assert_eq!(from_secs(-3.0), 0);
        assert_eq!(from_secs(f64::NAN), 0);
        assert_eq!(from_secs(1e30), u64::MAX);
        assert_eq!(to_secs(2_500_000_000), 2.5);
    }

    #[test]
    fn nearest_is_f64_round() {
        let below_half = 0.5 - f64::EPSILON / 4.0;
        let edges = [
            0.0,
            0.5,
            1.5,
            2.5,
            below_half,
            1.0 + below_half,
            4503599627370495.5,
        ];
        // Spread over every scale from a fraction of a nanosecond to centuries.
        let spread = (0..200_000).map(|i| {
            let f = (f64::from(i) * 0.618_033_988_749_895).fract();
            f * 10f64.powi(i % 20 - 2)
        });
        for ns in edges.into_iter().chain(spread) {
            assert_eq!(nearest(ns), ns.round() as u64, "{ns} ns");
        }
        assert_eq!(nearest(2.0f64.powi(64)), u64::MAX);
    }
}
