//! Transaction relay as messages (`network.tx_relay: announce`): a hop is announce →
//! request → transfer, the transfer through the sender's shared upload link, so each
//! validator gets each transaction at its own time and mempools differ.

mod common;

use unchained::consensus::nakamoto::{Nakamoto, Node};
use unchained::engine::Time;
use unchained::metrics::RunOutput;
use unchained::scenario::{Consensus, Scenario};
use unchained::world::{Progress, run_with};

/// Runs `s` as `world::run` builds Nakamoto (no faults, so no stall timers) and hands back
/// the protocol, whose pool still holds every transaction that has not settled.
fn run(s: &Scenario) -> (RunOutput, Nakamoto, Vec<Node>) {
    let Consensus::Nakamoto(p) = &s.consensus else {
        panic!("not nakamoto")
    };
    let n = s.validators.count as u32;
    // Every block's list is read after the run, stale blocks' included.
    let proto = Nakamoto::with_adversary(p, n, s.seed, s.adversary.as_ref())
        .keeping_block_lists()
        .with_relay(s.network.relay_model, false)
        .with_tx_relay(s.network.tx_relay, n, false)
        .with_horizon(unchained::engine::from_secs(s.duration_s));
    run_with(s, proto, &Progress::hidden()).expect("runs")
}

/// `validators` on `topology`, constant `one_way_ms` and `bps` links, processing `proc_ms`;
/// `devices` always-online Poisson senders of 100-byte transactions (each upload carries
/// one), through `gateways`; blocks every `interval_s`.
#[allow(clippy::too_many_arguments)]
fn yaml(
    validators: u32,
    topology: &str,
    one_way_ms: f64,
    bps: f64,
    proc_ms: f64,
    devices: u32,
    rate: f64,
    gateways: u32,
    interval_s: f64,
    duration_s: f64,
    relay: &str,
) -> String {
    format!(
        "
seed: 7
duration_s: {duration_s}
devices:
  - {{ count: {devices}, tx_bytes: 100, workload: {{ model: poisson, rate_per_s: {rate} }}, uplink: {{ latency_ms: 0, bandwidth_bps: 1e12 }} }}
gateways: {{ count: {gateways}, backhaul_bps: 1e12 }}
validators: {{ count: {validators} }}
network:
  latency: {{ model: constant, one_way_ms: {one_way_ms}, bandwidth_bps: {bps} }}
  topology: {topology}
  processing_ms: {proc_ms}
  tx_relay: {relay}
consensus:
  protocol: nakamoto
  block_interval_s: {interval_s}
  confirmations: 1000
"
    )
}

const MESH: &str = "{ model: full_mesh }";

/// Transfer time of `bytes` at 8 Mbit/s: one microsecond a byte.
fn at_8mbps(bytes: u64) -> Time {
    bytes * 1_000
}

#[test]
fn a_hop_costs_three_latencies_three_processings_and_the_transfers() {
    // Two validators: the transaction's origin announces it (36 B), the other asks (36 B),
    // the origin sends it (100 B). Each message pays one latency and one processing time.
    for (one_way_ms, proc_ms) in [(50.0, 2.0), (0.0, 0.0)] {
        let text = yaml(
            2, MESH, one_way_ms, 8e6, proc_ms, 1, 0.1, 1, 1e6, 200.0, "announce",
        );
        let (_, proto, _) = run(&common::scenario(&text));
        let hop = (3.0 * (one_way_ms + proc_ms) * 1e6) as Time;
        let want = hop + 2 * at_8mbps(36) + at_8mbps(100);
        let mut seen = 0;
        for (slot, _, t) in proto.pool().iter() {
            let other = 1 - t.origin();
            assert_eq!(proto.tx_arrival(slot, t.origin()), Some(t.reached));
            if let Some(a) = proto.tx_arrival(slot, other) {
                assert_eq!(a - t.reached, want, "latency {one_way_ms} ms");
                seen += 1;
            }
        }
        assert!(seen >= 10, "{seen} transactions relayed");
    }
}

/// Forty validators, four outbound peers each, 20 ms apart on 50 kbit/s links: 40 new
/// transactions a second keep the upload links busy.
fn congested(relay: &str) -> String {
    let topology = "{ model: random, outbound: 4 }";
    yaml(40, topology, 20.0, 5e4, 2.0, 200, 0.2, 10, 1e6, 30.0, relay)
}

#[test]
fn the_fastest_path_is_a_lower_bound_and_busy_links_make_mempools_differ() {
    let s = common::scenario(&congested("announce"));
    let (out, proto, _) = run(&s);
    // Per hop at least three latencies and processing times, whatever the path.
    let per_hop: Time = 3 * 22_000_000;
    let a = common::audit_arrivals(
        &s,
        proto.pool(),
        |slot, v| proto.tx_arrival(slot, v),
        per_hop,
        36 + 36 + 100,
        5e4,
    );
    a.check_congested(&out);
    let request = common::tx_row(&out, "tx_request");
    assert_eq!(request.bytes, 36 * request.messages);
}

#[test]
fn the_fastest_path_model_counts_the_same_rows_as_modeled() {
    let out = common::run(&common::scenario(&congested("fastest_path")));
    let mut rows: Vec<(&str, bool)> = out
        .messages
        .iter()
        .filter(|r| r.carries == "transactions")
        .map(|r| (r.message, r.modeled))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("tx_announce", true),
            ("tx_relay", true),
            ("tx_request", true)
        ]
    );
}

#[test]
fn blocks_carry_only_what_reached_their_miner_and_counts_add_up() {
    // Blocks every 2 s on the congested network; nothing settles (1000 confirmations), so
    // the pool still names every carried transaction.
    let topology = "{ model: random, outbound: 4 }";
    let text = yaml(
        40, topology, 20.0, 5e4, 2.0, 200, 0.2, 10, 2.0, 30.0, "announce",
    );
    let (out, proto, _) = run(&common::scenario(&text));
    let mut carried = 0;
    for (_, b) in proto.blocks().iter().skip(1) {
        for r in &b.txs {
            let t = proto.pool().get(r.slot, r.generation).expect("unsettled");
            let at = proto
                .tx_arrival(r.slot, b.miner)
                .expect("reached its miner");
            assert!(at <= b.mined_at && t.reached <= at);
            carried += 1;
        }
    }
    assert!(carried > 100, "{carried} carried");
    let c = &out.conservation;
    assert!(c.holds(), "{c:?}");
    assert!(c.pending_in_block + c.pending_in_mempool > 0);
}

#[test]
fn the_same_seed_gives_the_same_files_at_any_thread_count() {
    let text = congested("announce");
    let one = common::files_at(1, &text, "txrelay-1");
    assert_eq!(one, common::files_at(1, &text, "txrelay-1b"));
    assert_eq!(one, common::files_at(2, &text, "txrelay-2"));
}
