//! Expected values: the published tables (targets.yaml T01, T02, T05) and, for the race with
//! random block times, the closed form checked in `analytic_tests.rs`.

use super::*;
use crate::adversary::analytic;

/// |measured − expected| within three binomial standard deviations of `trials` draws.
fn within_3_sigma(successes: u64, trials: u64, expected: f64) -> Result<(), String> {
    let measured = successes as f64 / trials as f64;
    let sigma = (expected * (1.0 - expected) / trials as f64).sqrt();
    if (measured - expected).abs() <= 3.0 * sigma {
        Ok(())
    } else {
        Err(format!(
            "{measured} vs {expected} (3 sigma = {})",
            3.0 * sigma
        ))
    }
}

#[test]
fn poisson_race_reproduces_nakamoto_tables() {
    let trials = 1_000_000;
    let cases = [
        (0.1, 1, 0.2045873),
        (0.1, 2, 0.0509779),
        (0.1, 3, 0.0131722),
        (0.1, 4, 0.0034552),
        (0.3, 5, 0.1773523),
        (0.3, 10, 0.0416605),
        (0.3, 15, 0.0101008),
    ];
    for (i, (q, z, expected)) in cases.into_iter().enumerate() {
        let wins = nakamoto_race(q, z, trials, 100 + i as u64);
        within_3_sigma(wins, trials, expected).unwrap_or_else(|e| panic!("q={q} z={z}: {e}"));
    }
}

#[test]
fn random_block_times_reproduce_the_exact_race_not_nakamoto() {
    let trials = 1_000_000;
    for (q, z) in [(0.1, 2), (0.3, 5)] {
        let wins = exact_race(q, z, 0, trials, 7);
        within_3_sigma(wins, trials, analytic::race_success(q, z)).unwrap();
        assert!(
            within_3_sigma(wins, trials, analytic::nakamoto_success(q, z)).is_err(),
            "q={q} z={z}: the two models should be told apart at 1e6 trials"
        );
        let over = exact_race(q, z, 1, trials, 8);
        within_3_sigma(over, trials, analytic::race_overtake(q, z)).unwrap();
    }
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let single = pool.install(|| nakamoto_race(0.3, 5, 300_000, 3));
    assert_eq!(single, nakamoto_race(0.3, 5, 300_000, 3));
    assert_ne!(single, nakamoto_race(0.3, 5, 300_000, 4));
}

#[test]
fn selfish_markov_chain_reproduces_eyal_sirer() {
    // targets.yaml T05: ±0.003 for one seed of 1e6 block events.
    for (alpha, gamma, expected) in [
        (1.0 / 3.0, 0.0, 0.3333),
        (0.25, 0.5, 0.25),
        (0.4, 0.5, 0.5256),
        (0.3, 1.0, 0.3806),
        (0.1, 0.0, 0.0356),
    ] {
        let r = selfish_markov(alpha, gamma, 1_000_000, 11);
        assert!(
            (r.share() - expected).abs() <= 0.003,
            "alpha={alpha} gamma={gamma}: {} vs {expected}",
            r.share()
        );
    }
}
