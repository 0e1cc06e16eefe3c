//! Mean, standard deviation and a Student-t 95 % confidence interval over a point's seeds.

/// Two-sided 95 % quantile `t(0.975, df)` for df 1–30 (standard tables).
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// `t(0.975, df)`: the table up to 30 degrees of freedom, beyond it the Cornish–Fisher
/// expansion around the normal quantile (error below 1e-4 there).
pub fn t975(df: u64) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    if let Some(&t) = T975.get(df as usize - 1) {
        return t;
    }
    let z: f64 = 1.959_963_984_540_054;
    let v = df as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
}

/// The values a metric can take, read from its name like the comparison's directions: an
/// interval is clipped to it, so no mean of non-negative runs gets a negative bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Domain {
    /// Shares, fractions, rates of stale blocks and flags: `[0, 1]`.
    Unit,
    /// Slopes: any real number.
    Real,
    /// Everything else (times, counts, bytes, throughput): `[0, ∞)`.
    NonNegative,
}

impl Domain {
    pub fn of(metric: &str) -> Domain {
        const UNIT: [&str; 4] = ["_share", "_fraction", "_rate", "_beyond_run"];
        const FLAGS: [&str; 3] = ["saturated", "drops_high", "conservation_holds"];
        if UNIT.iter().any(|s| metric.ends_with(s)) || FLAGS.contains(&metric) {
            Domain::Unit
        } else if metric.contains("slope") {
            Domain::Real
        } else {
            Domain::NonNegative
        }
    }

    fn clip(self, v: f64) -> f64 {
        match self {
            Domain::Unit => v.clamp(0.0, 1.0),
            Domain::NonNegative => v.max(0.0),
            Domain::Real => v,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub n: u64,
    pub mean: f64,
    /// Sample standard deviation (n − 1); NaN for one value.
    pub std: f64,
    /// The interval, clipped to the metric's domain; NaN for one value (no interval).
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// Statistics of the values that are numbers (a NaN is a statistic its run had no samples
/// for). One value beyond the run (`+∞`) puts the mean there too, without an interval. Sums
/// run in the given order, so the result does not depend on how the runs were scheduled.
pub fn stats(values: &[f64], domain: Domain) -> Stats {
    let xs: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = xs.len() as u64;
    let nan = f64::NAN;
    if n == 0 || xs.contains(&f64::INFINITY) {
        return Stats {
            n,
            mean: if n == 0 { nan } else { f64::INFINITY },
            std: nan,
            ci95_low: nan,
            ci95_high: nan,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Stats {
            n,
            mean,
            std: nan,
            ci95_low: nan,
            ci95_high: nan,
        };
    }
    let std = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let half = t975(n - 1) * std / (n as f64).sqrt();
    Stats {
        n,
        mean,
        std,
        ci95_low: domain.clip(mean - half),
        ci95_high: domain.clip(mean + half),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_meets_the_table_where_they_overlap() {
        // The expansion is only used above 30; at 30 it must already agree with the table
        // (2.042), and at 120 with the published 1.980.
        let z: f64 = 1.959_963_984_540_054;
        let cf = |v: f64| {
            z + (z.powi(3) + z) / (4.0 * v)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
                + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z)
                    / (384.0 * v * v * v)
        };
        assert!((cf(30.0) - 2.042).abs() < 1e-3, "{}", cf(30.0));
        assert!((t975(120) - 1.980).abs() < 1e-3, "{}", t975(120));
        assert!((t975(100_000) - z).abs() < 1e-4);
    }

    #[test]
    fn worked_example() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7, t(0.975, 7) = 2.365.
        let s = stats(
            &[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, f64::NAN],
            Domain::Real,
        );
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        assert!((s.std - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        let half = 2.365 * (32.0f64 / 7.0).sqrt() / 8f64.sqrt();
        assert!((s.ci95_high - 5.0 - half).abs() < 1e-12);
        assert!((5.0 - s.ci95_low - half).abs() < 1e-12);
        assert!(stats(&[3.0], Domain::Real).std.is_nan());
        assert_eq!(stats(&[f64::NAN], Domain::Real).n, 0);
    }

    #[test]
    fn intervals_stay_in_the_domain_and_one_seed_has_none() {
        // A wide spread around a small mean: unclipped, the interval would go below zero
        // (and above one for a share).
        let s = stats(&[0.0, 0.02, 0.9], Domain::Real);
        assert!(s.ci95_low < 0.0 && s.ci95_high > 1.0, "{s:?}");
        let s = stats(&[0.0, 0.02, 0.9], Domain::Unit);
        assert_eq!((s.ci95_low, s.ci95_high), (0.0, 1.0));
        let s = stats(&[0.0, 0.02, 0.9], Domain::NonNegative);
        assert_eq!(s.ci95_low, 0.0);
        assert!(s.ci95_high > 1.0);
        assert_eq!(Domain::of("stale_rate"), Domain::Unit);
        assert_eq!(Domain::of("settled_within_10s_share"), Domain::Unit);
        assert_eq!(Domain::of("settled_tx_per_s"), Domain::NonNegative);
        assert_eq!(Domain::of("pending_slope_tx_per_s"), Domain::Real);

        let one = stats(&[4.0, f64::NAN], Domain::Real);
        assert_eq!((one.n, one.mean), (1, 4.0));
        assert!(one.ci95_low.is_nan() && one.ci95_high.is_nan());
        // One seed beyond the run: so is the mean, whatever the others say.
        let beyond = stats(&[1.0, f64::INFINITY, 2.0], Domain::NonNegative);
        assert_eq!((beyond.n, beyond.mean), (3, f64::INFINITY));
    }
}
