//! The Bayes-optimal linker beside the nearest-phase heuristic: it links periodic devices
//! without delays, does no worse than the heuristic under uniform delays shorter than a
//! period, and is left with chance when the delays span several periods.

mod common;

use common::privacy_row as row;

use unchained::metrics::RunOutput;

/// Twenty strictly periodic devices (every 60 s, no jitter, always online) behind one gateway,
/// rotating keys every 5 transactions, on a small PBFT network; `delay` is the group's
/// `mitigation.delay` (empty: none).
fn periodic(seed: u64, delay: &str) -> RunOutput {
    let mitigation = if delay.is_empty() {
        String::new()
    } else {
        format!("    mitigation: {{ delay: {delay} }}\n")
    };
    let watch = "  - { kind: gateway, gateway: 0 }\n  - { kind: validator, node: 2 }";
    let text = common::privacy_meters(seed, 20, mitigation.trim_end(), "{ count: 1 }", watch);
    common::run(&common::scenario(&text))
}

const OBSERVERS: [&str; 2] = ["gateway_0", "validator_2"];

#[test]
fn without_delays_periodic_keys_are_linked() {
    let out = periodic(7, "");
    for name in OBSERVERS {
        let r = row(&out, name);
        assert!(r.bayes_link_precision >= 0.9, "{name}: {r:?}");
        assert!(r.bayes_link_recall >= 0.9, "{name}: {r:?}");
        assert_eq!(
            common::metric(&out, &format!("privacy_{name}_bayes_link_precision")),
            r.bayes_link_precision
        );
    }
}

/// Uniform delays of up to half a period: each key's five uses narrow its phase to an arc,
/// which the heuristic (one point, one period after the last use) does not use.
#[test]
fn under_uniform_delays_it_is_at_least_as_precise_as_the_heuristic() {
    let seeds = [1u64, 2, 3, 4];
    for name in OBSERVERS {
        let (mut bayes, mut heuristic) = (0.0, 0.0);
        for &seed in &seeds {
            let out = periodic(seed, "{ dist: uniform, max_s: 30 }");
            let r = row(&out, name);
            assert!(r.bayes_links_made.unwrap() > 0, "{name}: {r:?}");
            bayes += r.bayes_link_precision / seeds.len() as f64;
            heuristic += r.link_precision / seeds.len() as f64;
        }
        eprintln!("{name}: Bayes {bayes:.3}, heuristic {heuristic:.3}");
        assert!(
            bayes >= heuristic,
            "{name}: Bayes {bayes}, heuristic {heuristic}"
        );
    }
}

/// Delays of several periods (uniform over five, exponential of mean ten) scatter every phase
/// over the circle: the posterior is nearly flat, and the pick is no better than naming one
/// of the 20 devices at random (1/20), within 0.04 (about 3.5 binomial standard deviations
/// over some 380 links).
#[test]
fn delays_of_several_periods_bring_it_to_chance() {
    let plain = periodic(7, "");
    for delay in [
        "{ dist: uniform, max_s: 300 }",
        "{ dist: exponential, mean_s: 600 }",
    ] {
        let out = periodic(7, delay);
        for name in OBSERVERS {
            let r = row(&out, name);
            assert!(r.bayes_links_made.unwrap() > 300, "{delay} {name}: {r:?}");
            assert!(
                (r.bayes_link_precision - 1.0 / 20.0).abs() <= 0.04,
                "{delay} {name}: {r:?}"
            );
            // It moved.
            assert!(row(&plain, name).bayes_link_precision - r.bayes_link_precision > 0.8);
        }
    }
}

/// Without a periodic group the model does not apply: no Bayes figures, no summary metric.
#[test]
fn without_a_periodic_group_there_is_no_bayes_row() {
    let text = "
seed: 3
duration_s: 600
devices:
  - { count: 50, workload: { model: poisson, rate_per_s: 0.05 }, identity: { rotate_every_tx: 2 } }
gateways: { count: 2 }
validators: { count: 4 }
consensus: { protocol: pbft }
observers:
  - { kind: gateway, gateway: 0 }
";
    let out = common::run(&common::scenario(text));
    let r = row(&out, "gateway_0");
    assert_eq!(r.bayes_links_made, None);
    assert!(r.bayes_link_precision.is_nan());
    assert!(
        !out.summary_rows().iter().any(|(m, _)| m.contains("bayes")),
        "{:?}",
        out.summary_rows()
    );
}
