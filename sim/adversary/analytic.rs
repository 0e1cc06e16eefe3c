//! Closed forms from the literature that the simulator is checked against.
//!
//! Two double-spend models are kept apart on purpose. Nakamoto (§11) assumes the honest
//! chain took exactly its expected time for `z` blocks, so the attacker's progress is
//! Poisson; a simulation with random block times on both sides reproduces instead the exact
//! race of Rosenfeld and of Grunspan & Pérez-Marco, where the attacker's progress while the
//! honest miners find `z` blocks is negative binomial.

/// Nakamoto's `AttackerSuccessProbability(q, z)`: attacker progress `k ~ Poisson(z q / p)`
/// when the honest chain is `z` blocks past the transaction; from `z - k` behind it catches
/// up with probability `(q/p)^(z-k)`.
pub fn nakamoto_success(q: f64, z: u32) -> f64 {
    let p = 1.0 - q;
    if q >= p {
        return 1.0;
    }
    let lambda = z as f64 * (q / p);
    let mut sum = 1.0;
    let mut poisson = (-lambda).exp();
    for k in 0..=z {
        if k > 0 {
            poisson *= lambda / k as f64;
        }
        sum -= poisson * (1.0 - (q / p).powi((z - k) as i32));
    }
    sum.max(0.0)
}

/// Exact catch-up probability (Rosenfeld 2014; Grunspan & Pérez-Marco 2017): while the
/// honest miners find `z` blocks the attacker finds `k ~ NegBin(z, q)` blocks,
/// `P(k) = C(k+z-1, k) p^z q^k`, and then needs to make up `z - k` blocks.
pub fn race_success(q: f64, z: u32) -> f64 {
    race(q, z, 0)
}

/// The same race when the attacker must get strictly *ahead* (one more block than the
/// honest chain) before honest nodes switch, as a longest-chain rule with first-seen
/// tie-breaking demands and as Rosenfeld's model has it when the attacker has no block
/// pre-mined.
pub fn race_overtake(q: f64, z: u32) -> f64 {
    race(q, z, 1)
}

fn race(q: f64, z: u32, extra: u32) -> f64 {
    let p = 1.0 - q;
    if q >= p {
        return 1.0;
    }
    if z == 0 {
        // Nothing to make up: success unless the attacker must still get one block ahead.
        return (q / p).powi(extra as i32);
    }
    let ratio = q / p;
    // sum over k of P(k) * (1 - ratio^(z - k + extra)) for the k that leave a gap.
    let mut nb = p.powi(z as i32);
    let mut fail = 0.0;
    for k in 0..z + extra {
        if k > 0 {
            nb *= (k + z - 1) as f64 / k as f64 * q;
        }
        fail += nb * (1.0 - ratio.powi((z + extra - k) as i32));
    }
    (1.0 - fail).clamp(0.0, 1.0)
}

/// Smallest `z` with `success(q, z) < threshold` (searched up to `max_z`).
pub fn min_confirmations(
    success: impl Fn(f64, u32) -> f64,
    q: f64,
    threshold: f64,
    max_z: u32,
) -> Option<u32> {
    (0..=max_z).find(|&z| success(q, z) < threshold)
}

/// Eyal & Sirer's relative revenue of a selfish pool with hash share `alpha` when a share
/// `gamma` of honest miners mines on the pool's block during a tie (their Eq. 8).
pub fn selfish_revenue(alpha: f64, gamma: f64) -> f64 {
    let a = alpha;
    let num = a * (1.0 - a).powi(2) * (4.0 * a + gamma * (1.0 - 2.0 * a)) - a.powi(3);
    let den = 1.0 - a * (1.0 + (2.0 - a) * a);
    num / den
}

/// Smallest pool share for which selfish mining beats honest mining: `(1-γ)/(3-2γ)`.
pub fn selfish_threshold(gamma: f64) -> f64 {
    (1.0 - gamma) / (3.0 - 2.0 * gamma)
}

/// Simple fork model: a block is orphaned when another is found during its propagation
/// time `tau` (Poisson blocks at mean interval `t`).
pub fn stale_probability(tau_s: f64, interval_s: f64) -> f64 {
    1.0 - (-tau_s / interval_s).exp()
}

#[cfg(test)]
#[path = "analytic_tests.rs"]
mod tests;
