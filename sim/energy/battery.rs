//! Battery life: the steady-state projection of the energy a device drew over the run.
//!
//! A run lasts hours and a battery years, so the run's horizon is taken as representative:
//! the energy a device drew over it, scaled to a year, plus the battery's self-discharge,
//! empties the capacity after `C / (E_year + s·C)` years. The projection assumes the device
//! keeps the same schedule for its whole life, that the full nominal capacity is usable
//! (no cut-off voltage, no temperature or pulse-load derating, no ageing), and that
//! self-discharge is a fixed fraction `s` of the nominal capacity per year.

use crate::metrics::nearest_rank;

/// Seconds in a Julian year (365.25 days).
pub const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Battery {
    pub capacity_j: f64,
    /// Fraction of the nominal capacity lost per year, 0 ≤ s < 1.
    pub self_discharge_per_year: f64,
}

impl Battery {
    /// `mah` at `volts`: 1 mAh = 3.6 C.
    pub fn from_mah(mah: f64, volts: f64, self_discharge_per_year: f64) -> Self {
        Battery {
            capacity_j: mah * 3.6 * volts,
            self_discharge_per_year,
        }
    }

    pub fn from_wh(wh: f64, self_discharge_per_year: f64) -> Self {
        Battery {
            capacity_j: wh * 3600.0,
            self_discharge_per_year,
        }
    }
}

/// Years until `b` is empty for a device that drew `energy_j` over `horizon_s` seconds.
pub fn lifetime_years(b: &Battery, energy_j: f64, horizon_s: f64) -> f64 {
    let per_year = energy_j / horizon_s * SECONDS_PER_YEAR;
    b.capacity_j / (per_year + b.self_discharge_per_year * b.capacity_j)
}

/// Battery life over a group's devices.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lifetimes {
    pub mean: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    /// `(years, fraction of devices whose battery is empty by then)` at up to 101 points,
    /// for the chart.
    pub cdf: Vec<(f64, f64)>,
}

impl Lifetimes {
    /// The distribution of `years` (one value per device, in device order). The values are
    /// sorted first, so the mean too is summed in an order that does not depend on how they
    /// were produced.
    pub fn of(mut years: Vec<f64>) -> Lifetimes {
        if years.is_empty() {
            return Lifetimes {
                mean: f64::NAN,
                p5: f64::NAN,
                p50: f64::NAN,
                p95: f64::NAN,
                cdf: Vec::new(),
            };
        }
        years.sort_by(f64::total_cmp);
        let n = years.len();
        let cdf = (0..=100)
            .map(|i| i as f64 / 100.0)
            .map(|q| (nearest_rank(&years, q), q))
            .collect();
        Lifetimes {
            mean: years.iter().sum::<f64>() / n as f64,
            p5: nearest_rank(&years, 0.05),
            p50: nearest_rank(&years, 0.5),
            p95: nearest_rank(&years, 0.95),
            cdf,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2400 mAh at a constant 45.7 µA lasts about 6 years (Casals et al.'s asymptote).
    #[test]
    fn constant_draw_empties_the_capacity() {
        let b = Battery::from_mah(2400.0, 3.3, 0.0);
        let watts = 45.7e-6 * 3.3;
        let years = lifetime_years(&b, watts * 3600.0, 3600.0);
        let hours = 2400.0 / 0.0457;
        assert!((years - hours * 3600.0 / SECONDS_PER_YEAR).abs() < 1e-9);
        assert!((5.9..6.1).contains(&years));
    }

    #[test]
    fn self_discharge_alone_bounds_the_life() {
        let b = Battery::from_wh(5.0, 0.02);
        assert!((lifetime_years(&b, 0.0, 3600.0) - 50.0).abs() < 1e-9);
        assert!(lifetime_years(&b, 1.0, 3600.0) < 50.0);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let l = Lifetimes::of((1..=100).rev().map(f64::from).collect());
        assert_eq!((l.p5, l.p50, l.p95), (5.0, 50.0, 95.0));
        assert_eq!(l.mean, 50.5);
        assert_eq!(l.cdf.len(), 101);
        assert_eq!(l.cdf[100], (100.0, 1.0));
    }
}
