//! Proof of stake under `network.tx_relay: announce`: each arriving batch travels as eth/68's
//! announce (37 B per hash) → request (32 B per hash) → transfer through the sender's shared
//! upload link, so each validator has its own arrival times and a proposer packs only what
//! reached it.

mod common;

use unchained::consensus::pos::{Node, Pos};
use unchained::engine::Time;
use unchained::metrics::RunOutput;
use unchained::scenario::{Consensus, Scenario};
use unchained::world::{Progress, run_with};

/// Runs `s` as `world::run` builds proof of stake (no faults, so no stall timers) and hands
/// back the protocol, whose pool still holds every transaction that has not settled.
fn run(s: &Scenario) -> (RunOutput, Pos, Vec<Node>) {
    let Consensus::Pos(p) = &s.consensus else {
        panic!("not pos")
    };
    let n = s.validators.count as u32;
    let net = &s.network;
    let proto = Pos::new(p, n, s.seed).with_tx_relay(net.tx_relay, net.relay_model, n, false);
    run_with(s, proto, &Progress::hidden()).expect("runs")
}

/// `validators` on `topology`, constant `one_way_ms` and `bps` links, processing `proc_ms`;
/// `devices` always-online Poisson senders of 100-byte transactions (each upload carries
/// one), through `gateways`; `slot_s` slots of 64 per epoch, so nothing finalizes (and
/// leaves the pool) within a run shorter than two epochs.
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
    slot_s: f64,
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
  protocol: pos
  slot_s: {slot_s}
  slots_per_epoch: 64
"
    )
}

const MESH: &str = "{ model: full_mesh }";
/// Slots far longer than the runs: no block, so the links carry transactions only.
const NO_BLOCKS: f64 = 3600.0;

/// Transfer time of `bytes` at 8 Mbit/s: one microsecond a byte.
fn at_8mbps(bytes: u64) -> Time {
    bytes * 1_000
}

#[test]
fn a_hop_costs_three_latencies_three_processings_and_the_transfers() {
    // Two validators: the origin announces the transaction (37 B), the other asks (32 B), the
    // origin sends it (100 B). Each message pays one latency and one processing time.
    for (one_way_ms, proc_ms) in [(50.0, 2.0), (0.0, 0.0)] {
        let text = yaml(
            2, MESH, one_way_ms, 8e6, proc_ms, 1, 0.1, 1, NO_BLOCKS, 200.0, "announce",
        );
        let (_, proto, _) = run(&common::scenario(&text));
        let hop = (3.0 * (one_way_ms + proc_ms) * 1e6) as Time;
        let want = hop + at_8mbps(37) + at_8mbps(32) + at_8mbps(100);
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
fn congested(relay: &str, slot_s: f64) -> String {
    let topology = "{ model: random, outbound: 4 }";
    yaml(
        40, topology, 20.0, 5e4, 2.0, 200, 0.2, 10, slot_s, 30.0, relay,
    )
}

#[test]
fn the_fastest_path_is_a_lower_bound_and_busy_links_make_mempools_differ() {
    let s = common::scenario(&congested("announce", NO_BLOCKS));
    let (out, proto, _) = run(&s);
    // Per hop at least three latencies and processing times, whatever the path.
    let per_hop: Time = 3 * 22_000_000;
    let a = common::audit_arrivals(
        &s,
        proto.pool(),
        |slot, v| proto.tx_arrival(slot, v),
        per_hop,
        37 + 32 + 100,
        5e4,
    );
    a.check_congested(&out);
    // One transaction per batch, so each announcement and request is one eth/68 entry.
    let (announce, request) = (
        common::tx_row(&out, "tx_announce"),
        common::tx_row(&out, "tx_request"),
    );
    assert_eq!(announce.bytes, 37 * announce.messages);
    assert_eq!(request.bytes, 32 * request.messages);
}

#[test]
fn blocks_carry_only_what_reached_their_proposer_and_counts_add_up() {
    // A block every 2 s on the congested network; epochs of 128 s, so nothing finalizes and
    // the pool still names every carried transaction.
    let (out, proto, _) = run(&common::scenario(&congested("announce", 2.0)));
    let (mut carried, mut blocks) = (0, 0);
    for (_, b) in proto.blocks().iter().skip(1) {
        blocks += 1;
        for r in &b.txs {
            let t = proto.pool().get(r.slot, r.generation).expect("unsettled");
            let at = proto
                .tx_arrival(r.slot, b.miner)
                .expect("reached its proposer");
            assert!(at <= b.mined_at && t.reached <= at);
            carried += 1;
        }
    }
    assert!(blocks >= 10, "{blocks} blocks");
    assert!(carried > 100, "{carried} carried");
    let c = &out.conservation;
    assert!(c.holds(), "{c:?}");
    assert!(c.pending_in_block > 0 && c.pending_in_mempool > 0, "{c:?}");
    assert_eq!(c.settled, 0, "{c:?}");
}

#[test]
fn the_same_seed_gives_the_same_files_at_any_thread_count() {
    let text = congested("announce", 2.0);
    let out = common::run(&common::scenario(&text));
    assert!(
        common::tx_row(&out, "tx_request").messages > 0
            && !common::tx_row(&out, "tx_request").modeled
    );
    let one = common::files_at(1, &text, "txrelay-pos-1");
    assert_eq!(one, common::output_files(&out, "txrelay-pos-0"));
    assert_eq!(one, common::files_at(2, &text, "txrelay-pos-2"));
}
