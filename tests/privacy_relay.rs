//! Privacy observers under `network.tx_relay: announce` see transactions when, and from the
//! peer, the relay delivers them, not along the fastest path of the peer graph.

mod common;

use common::privacy_row as row;

/// Three validators in a full mesh, one per region: entry `e` (0), `a` (1) and `s` (2), with
/// one-way latencies e–a 10 ms, a–s 10 ms and e–s 30 ms, so the fastest path from `e` to `s`
/// runs through `a` (20 ms) while the announcement from `e` reaches `s` directly after 30 ms,
/// long before `a` has the transactions (three latencies) to announce them. Every upload
/// enters at `e` (the one gateway sits in its region). `consensus` is the family's body.
fn yaml(relay: &str, consensus: &str) -> String {
    format!(
        "
seed: 3
duration_s: 300
devices:
  - {{ count: 20, tx_bytes: 100, workload: {{ model: poisson, rate_per_s: 0.1 }}, uplink: {{ latency_ms: 0, bandwidth_bps: 1e12 }} }}
gateways: {{ count: 1, backhaul_bps: 1e12 }}
validators: {{ count: 3 }}
network:
  latency:
    model: table
    regions:
      - {{ name: re, upload_bps: 1e9, download_bps: 1e9, share: 1, latency_ms: [1, 10, 30] }}
      - {{ name: ra, upload_bps: 1e9, download_bps: 1e9, share: 0, latency_ms: [10, 1, 10] }}
      - {{ name: rs, upload_bps: 1e9, download_bps: 1e9, share: 0, latency_ms: [30, 10, 1] }}
  classes:
    - {{ name: e, share: 0.34, regions: {{ re: 1 }} }}
    - {{ name: a, share: 0.33, regions: {{ ra: 1 }} }}
    - {{ name: s, share: 0.33, regions: {{ rs: 1 }} }}
  topology: {{ model: full_mesh }}
  processing_ms: 0.1
  tx_relay: {relay}
consensus: {{ protocol: {consensus} }}
observers:
  - {{ kind: network, nodes: [2], name: far }}
  - {{ kind: network, nodes: [1, 2], name: both }}
  - {{ kind: validator, node: 2, name: at_s }}
"
    )
}

/// Nakamoto with no block in the run, and proof of stake with nothing finalized in it.
const FAMILIES: [&str; 2] = [
    "nakamoto, block_interval_s: 1e6, confirmations: 1000",
    "pos, slot_s: 12, slots_per_epoch: 64",
];

#[test]
fn the_first_spy_names_the_peer_the_relay_delivered_from() {
    for family in FAMILIES {
        first_spy_is_the_relay_sender(family);
    }
}

fn first_spy_is_the_relay_sender(family: &str) {
    let announce = common::run(&common::scenario(&yaml("announce", family)));
    let fastest = common::run(&common::scenario(&yaml("fastest_path", family)));
    assert_eq!(announce.nodes[0].region, "re");
    assert_eq!(announce.nodes[2].region, "rs");
    // Along the fastest path `s` hears every transaction from `a`: never the entry.
    assert_eq!(
        row(&fastest, "far").first_spy_precision,
        Some(0.0),
        "{family}"
    );
    // The relay: `s` asks `e`, the first to announce them, and gets them from it.
    assert_eq!(
        row(&announce, "far").first_spy_precision,
        Some(1.0),
        "{family}"
    );
    // With spies at `a` and `s`, `a` has them first (from `e`) under both models.
    for out in [&announce, &fastest] {
        assert_eq!(row(out, "both").first_spy_precision, Some(1.0), "{family}");
    }
    for name in ["far", "both", "at_s"] {
        let (a, f) = (row(&announce, name), row(&fastest, name));
        eprintln!(
            "{family}, {name}: announce {}/{} seen, first spy {:?}; fastest path {}/{}, {:?}",
            a.visible_tx,
            a.population_tx,
            a.first_spy_precision,
            f.visible_tx,
            f.population_tx,
            f.first_spy_precision
        );
        assert!(a.population_tx > 500, "{a:?}");
        assert_eq!(a.population_tx, f.population_tx);
        // Each transaction is seen once per observer, however many of its spies get it.
        assert_eq!(f.visible_tx, f.population_tx, "{f:?}");
        assert!(
            a.visible_tx <= a.population_tx && a.visible_tx + 2 >= a.population_tx,
            "{name}: {a:?}"
        );
    }
}

#[test]
fn relayed_observations_are_the_same_at_one_and_two_threads() {
    for (i, family) in FAMILIES.iter().enumerate() {
        let text = yaml("announce", family);
        let one = common::files_at(1, &text, &format!("privacy-relay-{i}-1"));
        let two = common::files_at(2, &text, &format!("privacy-relay-{i}-2"));
        assert!(
            one == two,
            "{family}: outputs differ between 1 and 2 threads"
        );
        assert!(one.keys().any(|k| k.starts_with("privacy")));
    }
}
