//! Validators' execution cost: with the network made negligible, settled throughput is
//! bounded by `cores / cost per transaction` (closed form), whichever family decides.

mod common;

use common::metric;
use unchained::metrics::RunOutput;

/// 100 devices offering 2,000 readings/s over a network of 0.01 ms hops and 1 Tb/s links;
/// each reading costs one 2 ms signature verification on `cores` cores. The window starts
/// once Raft has settled what waited for its first election (at about 6 s; the endorsed
/// transactions sent before it are resent two election timeouts later and settle by 18 s).
fn run(consensus: &str, cores: u32) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 3
duration_s: 30
devices:
  - count: 100
    workload: {{ model: poisson, rate_per_s: 20 }}
    uplink: {{ latency_ms: 0.01, bandwidth_bps: 1.0e12 }}
gateways: {{ count: 4, backhaul_bps: 1.0e12, batch_interval_ms: 1 }}
validators:
  count: 4
  execution: {{ cores: {cores}, verify_us: 2000 }}
network:
  latency: {{ model: constant, one_way_ms: 0.01, bandwidth_bps: 1.0e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
metrics: {{ window_s: 1, warmup_s: 19, measure_s: 9 }}
consensus: {{ protocol: {consensus} }}
"
    )))
}

/// 60 s on four validators 0.01 ms apart, each with one core and 2 ms per signature
/// verification, and one device that sends nothing in the run; `rest` (the consensus and
/// what follows) appended.
fn silent_fleet(seed: u32, rest: &str) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: {seed}
duration_s: 60
devices: [{{ count: 1, workload: {{ model: periodic, interval_s: 1000000 }} }}]
validators:
  count: 4
  execution: {{ cores: 1, verify_us: 2000 }}
network:
  latency: {{ model: constant, one_way_ms: 0.01, bandwidth_bps: 1.0e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
{rest}"
    )))
}

#[test]
fn throughput_saturates_at_cores_over_cost_per_transaction() {
    let consensus = "pbft";
    for cores in [1u32, 2] {
        let out = run(consensus, cores);
        // 2 ms per reading: 500 readings/s per core, below the 2,000/s offered.
        let bound = f64::from(cores) * 500.0;
        let served = metric(&out, "settled_during_window_tx_per_s");
        assert!(
            (served - bound).abs() < 0.03 * bound,
            "{consensus}, {cores} cores: {served} tx/s, bound {bound}"
        );
        assert!(metric(&out, "exec_pending_at_end") > 0.0);
    }
    // Eight cores serve 4,000/s: the offered 2,000/s settle, the cores half busy
    // (λ · cost / cores = 2,000 × 2 ms / 8).
    let out = run(consensus, 8);
    let offered = metric(&out, "created_tx_per_s");
    let served = metric(&out, "settled_during_window_tx_per_s");
    assert!(
        (served - offered).abs() < 0.03 * offered,
        "{consensus}: {served} of {offered}"
    );
    let busy = metric(&out, "exec_utilisation");
    assert!((busy - 0.5).abs() < 0.03, "{consensus}: utilisation {busy}");
}

/// Fabric-style Raft splits the work: one endorser simulates each reading (its signature
/// verified, 2 ms) on its chaincode cores, and every peer validates every block, verifying
/// the reading's and the endorser's signatures (2 × 2 ms) on its own cores, before its
/// origin commits it. Validation bounds what settles at `cores / 4 ms`.
#[test]
fn fabric_peers_saturate_at_cores_over_the_validation_cost() {
    // Blocks of at most 32 readings (128 ms of validation on one core) settle in lumps small
    // against the 9 s window; peers validate blocks one after another, each block's
    // readings in parallel, so full blocks of 32 keep 1, 2 and 16 cores equally busy.
    let consensus =
        "raft, orderers: 3, endorsers: 1, block_validation_ms: 0.001, max_message_count: 32";
    for cores in [1u32, 2] {
        let out = run(consensus, cores);
        let bound = f64::from(cores) * 250.0;
        let served = metric(&out, "settled_during_window_tx_per_s");
        assert!(
            (served - bound).abs() < 0.03 * bound,
            "{cores} cores: {served} tx/s, bound {bound}"
        );
        eprintln!("{cores} cores: {served} tx/s, bound {bound}");
    }
    // Thirty-two cores validate 8,000/s, so the backlog of the first election is gone before
    // the window: the offered 2,000/s settle, each peer's cores busy validating a quarter of
    // the time (λ · 4 ms / 32), and the endorsing cores, one endorser per reading among four
    // peers, λ · 2 ms / (32 · 4) of their time.
    let out = run(consensus, 32);
    let offered = metric(&out, "created_tx_per_s");
    let served = metric(&out, "settled_during_window_tx_per_s");
    assert!(
        (served - offered).abs() < 0.03 * offered,
        "{served} of {offered}"
    );
    let busy = metric(&out, "exec_utilisation");
    assert!((busy - 0.25).abs() < 0.015, "utilisation {busy}");
    let endorsing = metric(&out, "exec_endorse_utilisation");
    assert!((endorsing - 0.03125).abs() < 0.002, "endorsing {endorsing}");
    eprintln!("32 cores: {served} of {offered} tx/s, validating {busy}, endorsing {endorsing}");
}

/// One registration (two signatures: the device's and its issuer's) crossing Fabric-style
/// Raft alone settles later by exactly the endorsement (both signatures and the 0.5 ms
/// contract: 2.5 ms, the endorsers working in parallel) plus the validation at its origin
/// (both signatures and each endorser's, 1 ms each), whatever the number of endorsers
/// (none: the origin endorses it itself).
#[test]
fn a_lone_fabric_transaction_pays_its_endorsement_and_validation_once() {
    let latency = |endorsers: u32, execution: &str| {
        let out = common::run(&common::scenario(&format!(
            "
seed: 1
duration_s: 12
devices:
  - count: 1
    workload: {{ model: registration, start_s: 6, spread_s: 0, interval_s: 1000 }}
    uplink: {{ latency_ms: 0.01, bandwidth_bps: 1.0e12 }}
gateways: {{ count: 4, backhaul_bps: 1.0e12, batch_interval_ms: 1 }}
validators:
  count: 4
{execution}
network:
  latency: {{ model: constant, one_way_ms: 0.01, bandwidth_bps: 1.0e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
consensus:
  protocol: raft
  orderers: 3
  endorsers: {endorsers}
  max_message_count: 1
  election_timeout_ms: 100
  heartbeat_ms: 20
"
        )));
        assert_eq!(out.conservation.settled, 1, "{endorsers} endorsers");
        metric(&out, "settlement_settled_only_mean_s")
    };
    let execution =
        "  execution: { cores: 1, verify_us: 1000, contract_us: { registration: 500 } }";
    for endorsers in [0, 1, 2] {
        let free = latency(endorsers, "");
        let paid = latency(endorsers, execution);
        let expected = 2.5e-3 + f64::from(2 + endorsers) * 1e-3;
        assert!(
            (paid - free - expected).abs() < 1e-9,
            "{endorsers} endorsers: {paid} s against {free} s free, expected {expected} more"
        );
    }
}

/// Nakamoto with one miner finding a block every 20 ms (Poisson), each settled one deep:
/// every validator, the miner included, executes each block when it arrives, before it
/// adopts it, so its cores bound what settles there. Small blocks (about 40 readings) keep
/// the lumps in which a block's readings settle small against the 9 s window.
#[test]
fn block_execution_at_arrival_bounds_nakamoto_at_cores_over_cost() {
    let consensus = "nakamoto, block_interval_s: 0.02, confirmations: 1, miners: 1, \
                     validation_s_per_mb: 0";
    for cores in [1u32, 2] {
        let out = run(consensus, cores);
        let bound = f64::from(cores) * 500.0;
        let served = metric(&out, "settled_during_window_tx_per_s");
        eprintln!("nakamoto, {cores} cores: {served} tx/s, bound {bound}");
        assert!(
            (served - bound).abs() < 0.05 * bound,
            "nakamoto, {cores} cores: {served} tx/s, bound {bound}"
        );
        // Every validator's cores busy from the first blocks on.
        let busy = metric(&out, "exec_utilisation");
        assert!(busy > 0.95, "nakamoto, {cores} cores: utilisation {busy}");
    }
    // Eight cores serve 4,000/s: the offered 2,000/s settle.
    let out = run(consensus, 8);
    let offered = metric(&out, "created_tx_per_s");
    let served = metric(&out, "settled_during_window_tx_per_s");
    assert!(
        (served - offered).abs() < 0.05 * offered,
        "nakamoto: {served} of {offered}"
    );
}

/// PoS with 65 ms slots and 4-slot epochs: every validator executes each block when it
/// arrives, before it attests to it or builds on it, and the proposer packs what its cores
/// execute by the attestation deadline (a third of a slot, 21.7 ms): ⌊21.7 / 2⌋ = 10
/// readings per core per block, so `cores × 10 / 0.065 s` settle (153.8 tx/s per core, below
/// the 2,000/s offered) and each validator's cores are busy 20 of every 65 ms. Finality
/// settles an epoch (0.26 s) at a time: about 3 % of the 9 s window.
#[test]
fn block_execution_at_arrival_bounds_pos_at_what_executes_by_the_attestation_deadline() {
    let consensus = "pos, slot_s: 0.065, slots_per_epoch: 4";
    for cores in [1u32, 2] {
        let out = run(consensus, cores);
        let bound = f64::from(cores) * 10.0 / 0.065;
        let served = metric(&out, "settled_during_window_tx_per_s");
        eprintln!("pos, {cores} cores: {served} tx/s, bound {bound}");
        assert!(
            (served - bound).abs() < 0.05 * bound,
            "pos, {cores} cores: {served} tx/s, bound {bound}"
        );
        let busy = metric(&out, "exec_utilisation");
        let expected = 10.0 * 0.002 / 0.065;
        assert!(
            (busy - expected).abs() < 0.05 * expected,
            "pos, {cores} cores: utilisation {busy}, expected {expected}"
        );
    }
    // Sixteen cores pack 160 readings a slot where 130 arrive: the offered 2,000/s settle.
    let out = run(consensus, 16);
    let offered = metric(&out, "created_tx_per_s");
    let served = metric(&out, "settled_during_window_tx_per_s");
    eprintln!("pos, 16 cores: {served} of {offered} tx/s");
    assert!(
        (served - offered).abs() < 0.05 * offered,
        "pos: {served} of {offered}"
    );
}

/// Nakamoto with one miner finding a block every second exactly, no fleet transactions and
/// `fill_blocks`: each block of 50,330 B is padded with (50,330 − 330) / 500 = 100
/// transactions, each executed as a reading (one 2 ms verification), so every validator
/// spends 100 × 2 ms = 0.2 s on each block; an empty block (no padding) costs nothing.
#[test]
fn padded_blocks_cost_every_validator_their_padding() {
    let run = |fill: bool| {
        silent_fleet(
            3,
            &format!(
                "
consensus:
  protocol: nakamoto
  block_interval_s: 1
  block_intervals: fixed
  miners: 1
  max_block_bytes: 50330
  validation_s_per_mb: 0
  fill_blocks: {fill}
"
            ),
        )
    };
    let padded = run(true);
    assert_eq!(
        metric(&padded, "created_tx_per_s"),
        0.0,
        "no fleet transactions"
    );
    let blocks = metric(&padded, "blocks_mined");
    assert!(blocks >= 50.0, "{blocks} blocks");
    // Every validator, the miner included, executes every block's 100 padded transactions.
    assert_eq!(metric(&padded, "exec_tx"), blocks * 100.0);
    let per_block = metric(&padded, "exec_utilisation") * 60.0 / blocks;
    eprintln!("padded: {per_block} s of execution per block over {blocks} blocks, closed form 0.2");
    assert!((per_block - 0.2).abs() < 0.01, "{per_block} s per block");
    let empty = run(false);
    assert_eq!(metric(&empty, "blocks_mined"), blocks);
    assert_eq!(metric(&empty, "exec_tx"), 0.0);
    assert_eq!(metric(&empty, "exec_utilisation"), 0.0);
}

/// A selfish miner with 99 % of the hash power finds a padded block of 100 transactions every
/// second; in these runs the honest miner (the other of validators 0 and 1; validators 2 and
/// 3 only relay) finds none, so no public block ever calls for the private chain and the
/// attacker publishes nothing: no other validator executes anything, and every execution is
/// the attacker's own, each block it mines on its one core, 100 × 2 ms = 0.2 s per block.
/// Without that execution nothing would run at all. The summary rows are per validator that
/// executed anything, so the same with the attacker as validator 1, not 0.
#[test]
fn an_attacking_miner_executes_its_own_blocks() {
    for (node, seed) in [(0usize, 5u32), (1, 1)] {
        let out = silent_fleet(
            seed,
            &format!(
                "
consensus:
  protocol: nakamoto
  block_interval_s: 1
  block_intervals: fixed
  miners: 2
  max_block_bytes: 50330
  validation_s_per_mb: 0
  fill_blocks: true
adversary: {{ kind: selfish_mining, node: {node}, hash_share: 0.99 }}
"
            ),
        );
        let blocks = metric(&out, "blocks_mined");
        assert!(blocks >= 50.0, "{blocks} blocks");
        // The run did what it is for: every block is the attacker's, and none reached another
        // validator.
        assert_eq!(out.nodes[node].blocks_proposed, Some(blocks as u32));
        let reached = out
            .blocks
            .iter()
            .filter(|b| b.propagation_50_s.is_some())
            .count();
        assert_eq!(reached, 0, "attacker {node}: published blocks");
        assert_eq!(metric(&out, "exec_tx"), blocks * 100.0, "attacker {node}");
        let per_block = metric(&out, "exec_utilisation") * 60.0 / blocks;
        eprintln!(
            "attacker {node}: {per_block} s of execution per block over {blocks} blocks, \
             closed form 0.2"
        );
        assert!(
            (per_block - 0.2).abs() < 0.01,
            "attacker {node}: {per_block} s"
        );
    }
}

/// PoS on four validators, one per slot's committee (4-slot epochs), no fleet transactions,
/// one core, 2 ms per verification, `fill_blocks`. Blocks of 51,060 B: 600 B of header and
/// room for two attestation aggregates (one arrives per slot) leave 50,000 B, 100 padded
/// transactions of 500 B. In 1 s slots the attestation deadline (333 ms) would allow 166 of
/// them, so the size binds: every validator spends 100 × 2 ms = 0.2 s on each block. In
/// 0.3 s slots the deadline (100 ms) allows 50, and that binds: 50 × 2 ms = 0.1 s. An empty
/// block without padding costs nothing.
#[test]
fn pos_padded_blocks_cost_every_validator_their_padding_within_the_deadline() {
    let run = |slot_s: f64, fill: bool| {
        silent_fleet(
            3,
            &format!(
                "
consensus:
  protocol: pos
  slot_s: {slot_s}
  slots_per_epoch: 4
  max_block_bytes: 51060
  fill_blocks: {fill}
"
            ),
        )
    };
    for (slot_s, padded_per_block) in [(1.0, 100.0), (0.3, 50.0)] {
        let padded = run(slot_s, true);
        assert_eq!(metric(&padded, "created_tx_per_s"), 0.0);
        let blocks = metric(&padded, "blocks_mined");
        assert!(
            blocks >= 0.9 * 60.0 / slot_s,
            "{slot_s} s slots: {blocks} blocks"
        );
        // Every validator, the proposer included, executes every block's padding.
        assert_eq!(
            metric(&padded, "exec_tx"),
            blocks * padded_per_block,
            "{slot_s} s slots"
        );
        let per_block = metric(&padded, "exec_utilisation") * 60.0 / blocks;
        let closed = padded_per_block * 0.002;
        eprintln!("pos, {slot_s} s slots: {per_block} s per block over {blocks}, closed {closed}");
        assert!(
            (per_block - closed).abs() < 0.01,
            "{slot_s} s slots: {per_block} s"
        );
        let empty = run(slot_s, false);
        assert_eq!(metric(&empty, "blocks_mined"), blocks);
        assert_eq!(metric(&empty, "exec_tx"), 0.0);
        assert_eq!(metric(&empty, "exec_utilisation"), 0.0);
    }
}

#[test]
fn without_execution_the_summary_has_no_execution_rows() {
    let out = common::run(&common::scenario(
        "
duration_s: 10
devices: [{ count: 10, workload: { model: periodic, interval_s: 1 } }]
validators: { count: 4 }
consensus: { protocol: pbft }
",
    ));
    assert!(out.summary.iter().all(|(n, _)| !n.starts_with("exec_")));
}
