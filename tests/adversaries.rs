//! Attackers inside the simulated network against the closed forms (targets.yaml T05, T06,
//! and the exact double-spend race behind T01/T02's note).

mod common;

use unchained::adversary::{analytic, montecarlo};

fn selfish_run(alpha: f64, gamma: f64, seed: u64) -> (f64, f64) {
    selfish_run_with(alpha, &format!(", gamma: {gamma}"), seed)
}

/// `gamma` is the YAML fragment after the hash share (empty: γ emerges from the network).
fn selfish_run_with(alpha: f64, gamma: &str, seed: u64) -> (f64, f64) {
    let s = common::scenario(&format!(
        "seed: {seed}
duration_s: 60000000
validators: {{ count: 10 }}
network:
  latency: {{ model: constant, one_way_ms: 100, bandwidth_bps: 1.0e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus: {{ protocol: nakamoto, block_interval_s: 600, validation_s_per_mb: 0 }}
adversary: {{ kind: selfish_mining, node: 0, hash_share: {alpha}{gamma} }}
metrics: {{ window_s: 60000000 }}
"
    ));
    let out = common::run(&s);
    (
        common::metric(&out, "attacker_main_chain_share"),
        common::metric(&out, "blocks_mined"),
    )
}

/// Standard deviation of the revenue estimate over `events` block events, from 20 replicas
/// of the Markov chain: the spread a run of that many blocks has even when exact.
fn revenue_sd(alpha: f64, gamma: f64, events: u64) -> f64 {
    let xs: Vec<f64> = (0..20)
        .map(|s| montecarlo::selfish_markov(alpha, gamma, events, 1000 + s).share())
        .collect();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

#[test]
fn selfish_pool_revenue_matches_eyal_sirer() {
    // T05 points: (alpha, gamma, published revenue).
    for (alpha, gamma, expected) in [(1.0 / 3.0, 0.0, 0.3333), (0.25, 0.5, 0.25)] {
        let (share, blocks) = selfish_run(alpha, gamma, 3);
        assert!(blocks > 95_000.0, "{blocks} blocks");
        // Four standard deviations of a latency-free run of as many blocks, plus 0.002 for
        // the natural forks 0.1 s links add (about one block in 6,000).
        let tol = 4.0 * revenue_sd(alpha, gamma, blocks as u64) + 0.002;
        assert!(
            (share - expected).abs() <= tol,
            "alpha={alpha} gamma={gamma}: {share} vs {expected} (tolerance {tol})"
        );
    }
}

#[test]
fn below_the_threshold_selfish_mining_does_not_pay() {
    // T06: with gamma = 0 the threshold is 1/3; a pool of 0.2 earns about 0.13.
    let (share, blocks) = selfish_run(0.2, 0.0, 4);
    let sd = revenue_sd(0.2, 0.0, blocks as u64);
    assert!(
        share < 0.2 - 6.0 * sd,
        "revenue {share} not below share 0.2"
    );
    assert!((share - analytic::selfish_revenue(0.2, 0.0)).abs() <= 4.0 * sd + 0.002);
    // Above it, it does.
    let (share, blocks) = selfish_run(0.4, 0.0, 5);
    assert!(share > 0.4 + 6.0 * revenue_sd(0.4, 0.0, blocks as u64));
}

#[test]
fn with_first_seen_ties_and_equal_links_gamma_emerges_near_zero() {
    // The pool hears an honest block one link delay after it was found and its answer needs
    // another: every honest node saw the honest block first, so γ ≈ 0.
    let (share, blocks) = selfish_run_with(0.35, "", 6);
    let sd = revenue_sd(0.35, 0.0, blocks as u64);
    let at_zero = analytic::selfish_revenue(0.35, 0.0);
    assert!(
        (share - at_zero).abs() <= 4.0 * sd + 0.002,
        "{share} vs {at_zero}"
    );
    assert!(share < analytic::selfish_revenue(0.35, 0.5) - 4.0 * sd);
}

fn double_spend_run(q: f64, z: u32, seed: u64) -> (u64, u64) {
    let s = common::scenario(&format!(
        "seed: {seed}
duration_s: 60000000
validators: {{ count: 5 }}
network:
  latency: {{ model: constant, one_way_ms: 100, bandwidth_bps: 1.0e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus: {{ protocol: nakamoto, block_interval_s: 600, validation_s_per_mb: 0 }}
adversary: {{ kind: double_spend, node: 0, hash_share: {q}, confirmations: {z}, give_up_behind: 15 }}
metrics: {{ window_s: 60000000 }}
"
    ));
    let out = common::run(&s);
    (
        common::metric(&out, "double_spend_successes") as u64,
        common::metric(&out, "double_spend_attempts") as u64,
    )
}

#[test]
fn double_spend_success_follows_the_exact_race() {
    // Giving up 15 blocks behind loses at most (q/p)^15 = 3e-6 of success probability.
    for (q, z) in [(0.3, 1), (0.3, 2), (0.3, 4), (0.2, 1)] {
        let (wins, tries) = double_spend_run(q, z, 10 + z as u64);
        assert!(tries > 1000, "only {tries} races");
        let expected = analytic::race_success(q, z);
        let measured = wins as f64 / tries as f64;
        let sigma = (expected * (1.0 - expected) / tries as f64).sqrt();
        assert!(
            (measured - expected).abs() <= 3.0 * sigma,
            "q={q} z={z}: {measured} vs {expected} (3 sigma {})",
            3.0 * sigma
        );
    }
}
