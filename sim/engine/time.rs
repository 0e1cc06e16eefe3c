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
        let ns = (s * NS_PER_S as f64).round();
        if ns >= u64::MAX as f64 {
            u64::MAX
        } else {
            ns as u64
        }
    }
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
}
