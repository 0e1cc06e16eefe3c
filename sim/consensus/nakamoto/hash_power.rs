//! How hash power is spread over miners; validators beyond the miners only relay.

use crate::engine::{Purpose, draw_unit};
use crate::scenario::HashPower;

/// Share of each validator, summing to one over the first `miners` validators.
pub fn shares(model: &HashPower, miners: u32, validators: u32, seed: u64) -> Vec<f64> {
    let raw: Vec<f64> = match model {
        HashPower::Equal => vec![1.0; miners as usize],
        HashPower::Zipf { exponent } => (1..=miners)
            .map(|i| 1.0 / (i as f64).powf(*exponent))
            .collect(),
        HashPower::Shares { shares } => shares.clone(),
        HashPower::Normal { mean, sd } => (0..miners)
            .map(|m| positive_normal(*mean, *sd, seed, m))
            .collect(),
    };
    let total: f64 = raw.iter().sum();
    let mut out: Vec<f64> = raw.iter().map(|s| s / total).collect();
    out.resize(validators as usize, 0.0);
    out
}

/// A normal draw conditioned on being positive (Box–Muller on the miner's own stream,
/// redrawn until positive).
fn positive_normal(mean: f64, sd: f64, seed: u64, miner: u32) -> f64 {
    (0..)
        .map(|k| {
            let u1 = draw_unit(seed, miner as u64, Purpose::HashPower, 2 * k);
            let u2 = draw_unit(seed, miner as u64, Purpose::HashPower, 2 * k + 1);
            mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        })
        .find(|&x| x > 0.0)
        .expect("a positive draw eventually occurs when mean > 0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_power_has_the_requested_spread() {
        let s = shares(
            &HashPower::Normal {
                mean: 400_000.0,
                sd: 100_000.0,
            },
            5000,
            5000,
            3,
        );
        let mean = s.iter().sum::<f64>() / 5000.0;
        let sd = (s.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 5000.0).sqrt();
        // Coefficient of variation 0.25, unaffected by normalisation.
        assert!((sd / mean - 0.25).abs() < 0.02, "cv {}", sd / mean);
    }

    #[test]
    fn shares_sum_to_one_over_miners_only() {
        let s = shares(&HashPower::Zipf { exponent: 1.0 }, 3, 5, 1);
        assert_eq!(s.len(), 5);
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((s[0] / s[2] - 3.0).abs() < 1e-12);
        assert_eq!(&s[3..], &[0.0, 0.0]);
    }
}
