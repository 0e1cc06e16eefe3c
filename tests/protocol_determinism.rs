//! Each consensus family gives identical results for the same seed and different ones for
//! another: every random choice comes from an entity's own stream.

mod common;

fn summary(consensus: &str, seed: u64) -> Vec<(String, u64)> {
    let s = common::scenario(&format!(
        "
seed: {seed}
duration_s: 120
validators: {{ count: 12 }}
devices:
  - count: 300
    workload: {{ model: poisson, rate_per_s: 0.1 }}
gateways: {{ count: 10 }}
network: {{ jitter: pareto }}
consensus: {consensus}
"
    ));
    common::run(&s)
        .summary
        .into_iter()
        .map(|(k, v)| (k, v.as_f64().to_bits()))
        .collect()
}

#[test]
fn same_seed_same_numbers_other_seed_other_numbers() {
    for consensus in [
        "{ protocol: pos, slot_s: 2, slots_per_epoch: 4, stake: { model: zipf, exponent: 1 } }",
        "{ protocol: tangle, tip_selection: { model: walk, alpha: 0.1, depth_s: 5 } }",
        "{ protocol: tangle, confirmation: { model: weight, threshold: 20 } }",
        "{ protocol: notary, cluster: { model: bft, faults: 1 }, double_spend_share: 0.1 }",
        "{ protocol: xrpl, unl: { model: cliques, overlap: 0.5 } }",
    ] {
        let a = summary(consensus, 4);
        assert_eq!(a, summary(consensus, 4), "{consensus}");
        assert_ne!(a, summary(consensus, 5), "{consensus}");
    }
}
