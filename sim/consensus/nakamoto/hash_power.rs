//! How hash power is spread over miners; validators beyond the miners only relay.

use crate::scenario::HashPower;

/// Share of each validator, summing to one over the first `miners` validators.
pub fn shares(model: &HashPower, miners: u32, validators: u32) -> Vec<f64> {
    let raw: Vec<f64> = match model {
        HashPower::Equal => vec![1.0; miners as usize],
        HashPower::Zipf { exponent } => (1..=miners)
            .map(|i| 1.0 / (i as f64).powf(*exponent))
            .collect(),
        HashPower::Shares { shares } => shares.clone(),
    };
    let total: f64 = raw.iter().sum();
    let mut out: Vec<f64> = raw.iter().map(|s| s / total).collect();
    out.resize(validators as usize, 0.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_one_over_miners_only() {
        let s = shares(&HashPower::Zipf { exponent: 1.0 }, 3, 5);
        assert_eq!(s.len(), 5);
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((s[0] / s[2] - 3.0).abs() < 1e-12);
        assert_eq!(&s[3..], &[0.0, 0.0]);
    }
}
