//! Block relay physics under `relay_model: announce`: a hop is announce → request →
//! transfer, and a node's upload link is shared by the copies it sends.

mod common;

use unchained::metrics::RunOutput;

/// A Nakamoto run of `nodes` validators `one_way_ms` apart on 8 Mbit/s links, blocks padded
/// to `bytes`, no validation time, 2000 s (200 s for more than 10 nodes); `network` and
/// `consensus` add lines to their sections.
fn run(nodes: u32, bytes: u64, one_way_ms: f64, network: &str, consensus: &str) -> RunOutput {
    let duration = if nodes > 10 { 200 } else { 2000 };
    let s = common::scenario(&format!(
        "
seed: 3
duration_s: {duration}
gateways: {{ count: 0 }}
validators: {{ count: {nodes} }}
network:
  latency: {{ model: constant, one_way_ms: {one_way_ms}, bandwidth_bps: 8e6 }}
  {network}
consensus:
  protocol: nakamoto
  max_block_bytes: {bytes}
  fill_blocks: true
  validation_s_per_mb: 0
  {consensus}
"
    ));
    common::run(&s)
}

/// `nodes` validators in a full mesh, one miner (node 0), full relay, no processing time.
fn mesh(nodes: u32, bytes: u64, one_way_ms: f64, network: &str) -> RunOutput {
    let network = format!("topology: {{ model: full_mesh }}\n  processing_ms: 0\n  {network}");
    let consensus = "miners: 1\n  block_interval_s: 200\n  relay: full";
    run(nodes, bytes, one_way_ms, &network, consensus)
}

/// `(t50, t100)` of every block, seconds.
fn reach(out: &RunOutput) -> Vec<(f64, f64)> {
    assert!(out.blocks.len() >= 5, "{} blocks", out.blocks.len());
    out.blocks
        .iter()
        .map(|b| {
            (
                b.propagation_50_s.expect("reached half"),
                b.propagation_100_s.expect("reached all"),
            )
        })
        .collect()
}

/// The inv and getdata before each transfer: 37 bytes each at 8 Mbit/s.
const CONTROL: f64 = 2.0 * 37.0 * 8.0 / 8e6;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn one_upload_link_serves_k_copies_one_after_another_or_shared() {
    // 100 kB at 8 Mbit/s: 0.1 s per copy; the miner sends to k = 5 peers.
    let (k, copy) = (5.0, 0.1);
    for (t50, t100) in reach(&mesh(
        6,
        100_000,
        0.0,
        "relay_model: announce\n  upload: fifo",
    )) {
        // FIFO: the i-th copy ends after i transfer times; half of 6 nodes is the miner and
        // the first two peers.
        assert!(close(t100, k * copy + CONTROL), "fifo t100 {t100}");
        assert!(close(t50, 2.0 * copy + CONTROL), "fifo t50 {t50}");
    }
    for (t50, t100) in reach(&mesh(
        6,
        100_000,
        0.0,
        "relay_model: announce\n  upload: fair",
    )) {
        assert!(close(t100, k * copy + CONTROL), "fair t100 {t100}");
        assert!(
            close(t50, k * copy + CONTROL),
            "fair: every copy ends together, t50 {t50}"
        );
    }
    // The ideal model sends all copies in parallel at full speed.
    for (_, t100) in reach(&mesh(6, 100_000, 0.0, "relay_model: ideal")) {
        assert!(close(t100, copy), "ideal t100 {t100}");
    }
}

#[test]
fn an_announce_request_hop_costs_three_latencies_plus_the_transfer() {
    let copy = 0.1;
    for (_, t100) in reach(&mesh(2, 100_000, 50.0, "relay_model: announce")) {
        assert!(close(t100, 3.0 * 0.05 + copy + CONTROL), "t100 {t100}");
    }
    for (_, t100) in reach(&mesh(2, 100_000, 0.0, "relay_model: announce")) {
        assert!(
            close(t100, copy + CONTROL),
            "zero latency: the transfers alone, t100 {t100}"
        );
    }
    for (_, t100) in reach(&mesh(2, 100_000, 50.0, "relay_model: ideal")) {
        assert!(close(t100, 0.05 + copy), "ideal: one latency, t100 {t100}");
    }
}

/// Median time for a block to reach 90 % of 300 nodes of a random graph, with blocks every
/// 2 s, as block size grows.
fn t90_by_size(network: &str, sizes: &[u64]) -> Vec<f64> {
    let network =
        format!("topology: {{ model: random, outbound: 8, max_inbound: 125 }}\n  {network}");
    let consensus = "block_interval_s: 2\n  relay: full";
    sizes
        .iter()
        .map(|&bytes| {
            let out = run(300, bytes, 50.0, &network, consensus);
            let mut t: Vec<f64> = out
                .blocks
                .iter()
                .filter_map(|b| b.propagation_90_s)
                .collect();
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

#[test]
fn propagation_grows_faster_than_block_size_once_uploads_saturate() {
    let sizes = [50_000, 100_000, 200_000, 400_000];
    let slopes = |t: &[f64]| -> Vec<f64> {
        (1..t.len())
            .map(|i| (t[i] - t[i - 1]) / (sizes[i] - sizes[i - 1]) as f64)
            .collect()
    };
    let fifo = t90_by_size("relay_model: announce", &sizes);
    eprintln!("announce t90 {fifo:?}");
    let s = slopes(&fifo);
    // A knee: the cost per added byte climbs as the upload links fill.
    assert!(s[2] > 2.0 * s[0], "announce t90 {fifo:?}, slopes {s:?}");
    // In parallel at full speed there is none: cost per byte stays flat.
    let ideal = t90_by_size("relay_model: ideal", &sizes);
    eprintln!("ideal t90 {ideal:?}");
    let s = slopes(&ideal);
    assert!(s[2] < 1.3 * s[0], "ideal t90 {ideal:?}, slopes {s:?}");
}

/// Two nodes 50 ms apart at 8 Mbit/s; node 0 mines 100 kB blocks relayed as 18 kB compact
/// blocks whose reconstruction fails at `failure`, a `blocktxn` then carrying 10 % of the block.
fn compact_pair(failure: f64, hb: u32) -> Vec<f64> {
    let network = "topology: { model: full_mesh }\n  processing_ms: 0\n  relay_model: announce";
    let consensus = format!(
        "miners: 1\n  block_interval_s: 200\n  relay: compact\n  compact_failure_rate: {failure}
  missing_share: {{ model: fixed, share: 0.1 }}\n  compact_block_bytes: 18000
  high_bandwidth_peers: {hb}"
    );
    let out = run(2, 100_000, 50.0, network, &consensus);
    reach(&out).into_iter().map(|r| r.1).collect()
}

#[test]
fn compact_blocks_pay_getblocktxn_round_trips_and_high_bandwidth_peers_skip_the_announce() {
    let bytes = |b: f64| b * 8.0 / 8e6;
    // inv, getdata, cmpctblock, getblocktxn (35 B), blocktxn (35 B + 10 kB): five latencies.
    let low = 5.0 * 0.05 + bytes(37.0 + 37.0 + 18_000.0 + 35.0 + 10_035.0);
    // Pushed cmpctblock, getblocktxn, blocktxn: three.
    let high = 3.0 * 0.05 + bytes(18_000.0 + 35.0 + 10_035.0);
    let t = compact_pair(1.0, 0);
    assert!(
        t.iter().all(|&x| close(x, low)),
        "low-bandwidth {t:?} vs {low}"
    );
    let t = compact_pair(1.0, 3);
    // The first block names node 0 the high-bandwidth peer; it pushes every later one.
    assert!(close(t[0], low), "first block {t:?}");
    assert!(
        t[1..].iter().all(|&x| close(x, high)),
        "high-bandwidth {t:?} vs {high}"
    );
    let t = compact_pair(0.0, 3);
    assert!(
        t[1..].iter().all(|&x| close(x, 0.05 + bytes(18_000.0))),
        "{t:?}"
    );
}

/// Six validators in a full mesh at zero latency and processing on 8 Mbit/s links, fed by
/// 200 devices at 1 tx/s each through free uplinks, for 60 s, under `consensus` and the
/// `relay` lines of the network section.
fn six_fed(consensus: &str, relay: &str) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 3
duration_s: 60
devices:
  - count: 200
    workload: {{ model: poisson, rate_per_s: 1.0 }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1e12 }}
gateways: {{ count: 6, backhaul_bps: 1e12 }}
validators: {{ count: 6 }}
network:
  latency: {{ model: constant, one_way_ms: 0, bandwidth_bps: 8e6 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
  {relay}
consensus: {consensus}
"
    )))
}

/// PoS (gossipsub): a block goes whole to every peer lacking it, so under `announce` the
/// proposer's copies queue on its upload link like Nakamoto's (no inv/getdata). Six
/// validators in a full mesh at zero latency, blocks filled by the fleet: the last peer holds
/// a block after k = 5 transfer times, half the nodes after 2 (the proposer, the first two
/// peers; later relays arrive no earlier); `ideal` sends every copy in parallel.
#[test]
fn pos_blocks_share_the_proposers_upload_link() {
    let pos = |relay: &str| {
        six_fed(
            "{ protocol: pos, slot_s: 2, slots_per_epoch: 4, max_block_bytes: 100000 }",
            relay,
        )
    };
    let check = |out: &RunOutput, t50_copies: f64, t100_copies: f64| {
        let big: Vec<_> = out
            .blocks
            .iter()
            .filter(|b| b.size_bytes > 50_000)
            .collect();
        assert!(big.len() >= 10, "{} large blocks", big.len());
        for b in big {
            let copy = b.size_bytes as f64 * 8.0 / 8e6;
            let (t50, t100) = (b.propagation_50_s.unwrap(), b.propagation_100_s.unwrap());
            assert!(
                (t100 - t100_copies * copy).abs() < 1e-6,
                "t100 {t100}, copy {copy}"
            );
            assert!(
                (t50 - t50_copies * copy).abs() < 1e-6,
                "t50 {t50}, copy {copy}"
            );
        }
    };
    check(&pos("relay_model: announce\n  upload: fifo"), 2.0, 5.0);
    check(&pos("relay_model: ideal"), 1.0, 1.0);
}

/// PBFT: the primary sends its pre-prepare, the batch, to each of the five backups (f = 1,
/// quorum q = 3). Under `announce` with a FIFO upload the copies leave one after another,
/// ending after 1, 2, …, 5 transfer times c. A decision needs q commits, a commit needs its
/// sender prepared, and preparing needs the pre-prepare and q − 1 matching votes from
/// replicas that hold it: no replica decides before a second backup holds the batch (2c), and
/// every replica has decided once all five do (5c, the votes adding well under a millisecond
/// at zero latency). Under `ideal` every copy arrives after c, and so do the decisions.
#[test]
fn a_pbft_primary_sends_its_batch_to_one_backup_after_another() {
    let pbft = |relay: &str| {
        six_fed(
            "{ protocol: pbft, batch_max_tx: 500, batch_timeout_ms: 1000 }",
            relay,
        )
    };
    let check = |out: &RunOutput, least: f64, most: f64| {
        let big: Vec<_> = out
            .blocks
            .iter()
            .filter(|b| b.size_bytes > 20_000)
            .collect();
        assert!(big.len() >= 10, "{} large batches", big.len());
        for b in big {
            let copy = b.size_bytes as f64 * 8.0 / 8e6;
            let t100 = b.propagation_100_s.expect("decided everywhere");
            assert!(
                t100 >= 0.98 * least * copy && t100 <= most * copy + 0.002,
                "t100 {t100}, copy {copy}"
            );
        }
    };
    check(&pbft("relay_model: announce\n  upload: fifo"), 2.0, 5.0);
    check(&pbft("relay_model: ideal"), 1.0, 1.0);
}
