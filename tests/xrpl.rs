//! XRP Ledger consensus (target T17): ledger close timing in a fault-free low-latency network,
//! agreement with one shared UNL, and forks when two cliques trust only themselves.

mod common;

use unchained::metrics::RunOutput;

fn run(unl: &str, latency: &str, seed: u64) -> RunOutput {
    let s = common::scenario(&format!(
        "
seed: {seed}
duration_s: 200
validators: {{ count: 20 }}
devices:
  - count: 500
    workload: {{ model: poisson, rate_per_s: 0.05 }}
gateways: {{ count: 20 }}
network:
  latency: {latency}
consensus: {{ protocol: xrpl, unl: {unl} }}
"
    ));
    common::run(&s)
}

const FAST: &str = "{ model: constant, one_way_ms: 20, bandwidth_bps: 1.0e8 }";
const WORLD: &str = "{ model: simblock2019 }";

#[test]
fn ledgers_close_every_three_and_a_half_to_five_seconds() {
    let out = run("{ model: all }", FAST, 1);
    let interval = common::metric(&out, "ledger_interval_mean_s");
    assert!((3.5..=5.0).contains(&interval), "{interval}");
    // Every ledger is validated and readings settle within about one interval or two.
    assert!(common::metric(&out, "validated_seq") >= 200.0 / 5.0 - 1.0);
    let settle = common::metric(&out, "settlement_mean_s");
    assert!(settle < 2.0 * interval, "{settle}");
}

#[test]
fn one_shared_unl_never_forks() {
    for seed in 1..9 {
        let out = run("{ model: all }", WORLD, seed);
        assert_eq!(common::metric(&out, "forked_sequences"), 0.0, "seed {seed}");
        assert!(common::metric(&out, "validated_seq") > 30.0);
        let c = &out.conservation;
        assert!(c.settled as f64 > 0.9 * c.created as f64, "{c:?}");
    }
}

#[test]
fn disjoint_unls_fork() {
    for seed in 1..4 {
        let out = run("{ model: cliques, overlap: 0 }", WORLD, seed);
        assert!(
            common::metric(&out, "forked_sequences") > 0.0,
            "seed {seed}"
        );
    }
}
