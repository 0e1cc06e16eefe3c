//! Scenario faults as the world applies them, seen through the reference protocol.

mod common;

fn nakamoto(faults: &str) -> String {
    format!(
        "
seed: 3
duration_s: 2000
devices:
  - count: 50
    workload: {{ model: poisson, rate_per_s: 0.02 }}
gateways: {{ count: 4 }}
validators: {{ count: 8 }}
network:
  latency: {{ model: constant, one_way_ms: 50, bandwidth_bps: 1e8 }}
  topology: {{ model: full_mesh }}
consensus: {{ protocol: nakamoto, block_interval_s: 20, confirmations: 2 }}
{faults}"
    )
}

#[test]
fn a_crashed_miner_finds_nothing_and_messages_to_it_are_dropped() {
    let out = common::run(&common::scenario(&nakamoto(
        "faults: { crashes: [{ nodes: [0, 5], at_s: 0 }] }\n",
    )));
    assert_eq!(out.nodes[0].blocks_mined, 0);
    assert_eq!(out.nodes[5].blocks_mined, 0);
    assert!(out.nodes[1].blocks_mined > 0);
    assert!(common::metric(&out, "msgs_dropped_node_down") > 0.0);
    assert_eq!(common::metric(&out, "fault_crashes"), 2.0);
    assert_eq!(common::metric(&out, "fault_recoveries"), 0.0);
}

#[test]
fn transactions_for_a_down_validator_wait_for_its_restart() {
    let out = common::run(&common::scenario(&nakamoto(
        "faults: { crashes: [{ random: 4, at_s: 100, recover_s: 600 }] }\n",
    )));
    assert!(common::metric(&out, "tx_batches_held_for_down_node") > 0.0);
    assert_eq!(common::metric(&out, "fault_recoveries"), 4.0);
    // Everything created before the last hour's worth of blocks settled despite the outage.
    let created = common::metric(&out, "tx_uploaded");
    let settled = out.conservation.settled as f64;
    assert!(settled > 0.9 * created, "{settled} of {created}");
}

#[test]
fn a_partition_forks_the_chain_and_loss_drops_messages() {
    let base = common::run(&common::scenario(&nakamoto("")));
    let split = common::run(&common::scenario(&nakamoto(
        "faults:\n  partitions: [{ split: 0.5, from_s: 100, to_s: 1500 }]\n  links: { loss: 0.1 }\n",
    )));
    assert!(common::metric(&split, "msgs_dropped_partition") > 0.0);
    assert!(common::metric(&split, "msgs_dropped_link_loss") > 0.0);
    // Both sides mine on their own chain while cut off; one side's blocks go stale after.
    let stale = |o| common::metric(o, "blocks_stale");
    assert!(
        stale(&split) > stale(&base) + 10.0,
        "{} vs {}",
        stale(&split),
        stale(&base)
    );
}

#[test]
fn faulty_runs_repeat_exactly_and_random_crashes_follow_the_seed() {
    let text = nakamoto(
        "faults:\n  crashes: [{ random: 3, at_s: 50, recover_s: 900 }]\n  \
         partitions: [{ split: 0.5, from_s: 100, to_s: 400 }]\n  links: { loss: 0.05, extra_delay_ms: 20 }\n",
    )
    .replace("nakamoto, block_interval_s: 20, confirmations: 2", "pbft");
    let a = common::run(&common::scenario(&text));
    let b = common::run(&common::scenario(&text));
    let bits = |o: &unchained::metrics::RunOutput| -> Vec<(String, u64)> {
        o.summary
            .iter()
            .map(|(k, v)| (k.clone(), v.to_bits()))
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
    assert!(common::metric(&a, "pbft_decisions") > 0.0);
    // Which validators crash depends on the seed: over a few seeds, the held uploads differ.
    let held: Vec<f64> = (1..5)
        .map(|seed| {
            let s = text.replace("seed: 3", &format!("seed: {seed}"));
            common::metric(
                &common::run(&common::scenario(&s)),
                "tx_batches_held_for_down_node",
            )
        })
        .collect();
    assert!(held.windows(2).any(|w| w[0] != w[1]), "{held:?}");
}
