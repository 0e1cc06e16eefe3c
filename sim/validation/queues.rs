//! T20: M/M/1 and M/D/1 queues run on the event engine against the Pollaczek–Khinchine mean
//! values, with the target's replications (10 × 10⁶ customers after 10⁵ of warm-up; the quick
//! mode uses 10 × 10⁵ after 10⁴).

use super::suite::{Suite, row};
use crate::queueing::{Means, Mg1, Service};
use rayon::prelude::*;

const REPLICATIONS: u64 = 10;

/// Mean over replications and the standard error of that mean (batch means: replications
/// are independent, while customers within one are strongly correlated near saturation).
fn mean_and_se(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

pub fn queues(suite: &mut Suite, quick: bool) {
    let (customers, warmup) = if quick {
        (100_000, 10_000)
    } else {
        (1_000_000, 100_000)
    };
    let seeds = format!("{REPLICATIONS} replications × {customers} customers");
    let model = |rho: f64, service: Service| Mg1 {
        arrival_rate: rho,
        service_rate: 1.0,
        service,
        customers,
        warmup,
        seed: 20,
    };
    let measure = |m: &Mg1| -> Vec<Means> {
        (0..REPLICATIONS)
            .into_par_iter()
            .map(|r| m.run(r))
            .collect()
    };
    // The target's ±2 % needs 10⁶ customers per replication; the quick mode's shorter runs are
    // held to three standard errors of their own mean instead, whichever is wider.
    let tolerance = |expected: f64, se: f64| {
        if quick {
            (0.02 * expected).max(3.0 * se)
        } else {
            0.02 * expected
        }
    };
    let mut check = |case: String, expected: f64, values: Vec<f64>| {
        let (mean, se) = mean_and_se(&values);
        suite.rows.push(row(
            "T20",
            case,
            "engine run",
            expected,
            mean,
            tolerance(expected, se),
            seeds.clone(),
        ));
    };
    let mm1 = model(0.8, Service::Exponential);
    let (runs, e) = (measure(&mm1), mm1.expected());
    check(
        "M/M/1 ρ = 0.8: W".into(),
        e.w,
        runs.iter().map(|m| m.w).collect(),
    );
    check(
        "M/M/1 ρ = 0.8: L".into(),
        e.l,
        runs.iter().map(|m| m.l).collect(),
    );
    check(
        "M/M/1 ρ = 0.8: Wq".into(),
        e.wq,
        runs.iter().map(|m| m.wq).collect(),
    );
    let md1 = model(0.8, Service::Deterministic);
    let (runs, e) = (measure(&md1), md1.expected());
    check(
        "M/D/1 ρ = 0.8: W".into(),
        e.w,
        runs.iter().map(|m| m.w).collect(),
    );
    check(
        "M/D/1 ρ = 0.8: Wq".into(),
        e.wq,
        runs.iter().map(|m| m.wq).collect(),
    );
    check(
        "M/D/1 ρ = 0.8: Lq".into(),
        e.lq,
        runs.iter().map(|m| m.lq).collect(),
    );
    for rho in [0.1, 0.5, 0.9] {
        let m = model(rho, Service::Exponential);
        let (runs, e) = (measure(&m), m.expected());
        check(
            format!("M/M/1 ρ = {rho}: L"),
            e.l,
            runs.iter().map(|m| m.l).collect(),
        );
    }
}

/// T24: PHOLD as ROSS defines it ([`crate::phold::Phold::t24`]): committed events N·s·T/mean
/// within three Poisson sigma, remote fraction p(N − 1)/N within three binomial sigma, a
/// constant event population, and four partitions in time windows giving the sequential
/// engine's result.
pub fn phold(suite: &mut Suite, quick: bool) {
    let seeds: Vec<u64> = if quick { vec![1] } else { (1..=5).collect() };
    let model = crate::phold::Phold::t24;
    let runs: Vec<_> = seeds
        .par_iter()
        .map(|&s| (s, model(s).run(), model(s).run_windows(4)))
        .collect();
    let expected = 1024.0 * 1000.0;
    let p = 0.25 * 1023.0 / 1024.0;
    for (seed, r, windows) in runs {
        let case = |what: &str| format!("N=1024 p=0.25 T=1000: {what}");
        suite.rows.push(row(
            "T24",
            case("committed events"),
            "engine run",
            expected,
            r.committed as f64,
            3.0 * expected.sqrt(),
            seed.to_string(),
        ));
        let frac = r.remote as f64 / r.committed as f64;
        suite.rows.push(row(
            "T24",
            case("remote fraction"),
            "engine run",
            p,
            frac,
            3.0 * (p * (1.0 - p) / r.committed as f64).sqrt(),
            seed.to_string(),
        ));
        suite.rows.push(row(
            "T24",
            case("event population at the end"),
            "engine run",
            1024.0,
            r.population as f64,
            0.0,
            seed.to_string(),
        ));
        suite.rows.push(row(
            "T24",
            case("digest of 4 windowed partitions equals the sequential run's (1 = equal)"),
            "engine run",
            1.0,
            f64::from(u8::from(windows.as_ref() == Ok(&r))),
            0.0,
            seed.to_string(),
        ));
    }
}
