//! Node classes (`network.classes`): counts, region mixes, degrees, bandwidth and processing
//! overrides, light nodes, and their one-line errors.

mod common;

use std::path::PathBuf;

use unchained::net::Network;
use unchained::scenario;

fn load(text: &str) -> Result<scenario::Scenario, String> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/network_tables");
    scenario::parse_at(text, "test.yaml", &here).map_err(|e| e.to_string())
}

/// A Nakamoto scenario of `validators` with `network` as its network section (indented by
/// two spaces).
fn nakamoto(validators: u32, network: &str) -> String {
    format!(
        "seed: 5\nduration_s: 60\ngateways: {{ count: 0 }}\nvalidators: {{ count: {validators} \
         }}\nnetwork:\n{network}consensus: {{ protocol: nakamoto }}\n"
    )
}

fn build(validators: u32, network: &str) -> Network {
    Network::build(&load(&nakamoto(validators, network)).unwrap())
}

/// Validators of each class, checked to take contiguous ids in list order.
fn class_counts(net: &Network) -> Vec<u32> {
    let mut counts = Vec::new();
    for (v, &c) in net.class.iter().enumerate() {
        if c as usize == counts.len() {
            counts.push(0);
        }
        assert_eq!(
            c as usize + 1,
            counts.len(),
            "node {v}: classes not contiguous"
        );
        counts[c as usize] += 1;
    }
    counts
}

#[test]
fn class_shares_give_exact_counts_and_region_mixes() {
    let net = build(
        1000,
        "  classes:
    - { name: miners, share: 0.1, regions: { europe: 0.5, japan: 0.5 } }
    - { name: relays, share: 0.3 }
    - { name: light, share: 0.6, regions: { australia: 1 } }
",
    );
    assert_eq!(class_counts(&net), [100, 300, 600]);
    let names = &net.table.names;
    let in_region = |range: std::ops::Range<usize>, name: &str| {
        net.region[range]
            .iter()
            .filter(|&&r| names[r as usize] == name)
            .count()
    };
    assert_eq!(in_region(0..100, "europe"), 50);
    assert_eq!(in_region(0..100, "japan"), 50);
    assert_eq!(in_region(700..1000, "australia"), 300);
    // The relays take the table's shares (SimBlock 2019) of 300: quotas 99.48, 149.94, 2.7,
    // 35.31, 6.72, 5.85 floor to 296; the four largest remainders (Europe, Australia, Japan,
    // South America) get one more, North America none.
    let table = [
        ("north_america", 99),
        ("europe", 150),
        ("south_america", 3),
        ("asia_pacific", 35),
        ("japan", 7),
        ("australia", 6),
    ];
    for (name, count) in table {
        assert_eq!(in_region(100..400, name), count, "{name}");
    }
    // Thirds of ten by largest remainder: 3.334, 3.333, 3.333 → 4, 3, 3.
    let thirds = build(
        10,
        "  classes:
    - { name: a, share: 0.3334 }
    - { name: b, share: 0.3333 }
    - { name: c, share: 0.3333 }
",
    );
    assert_eq!(class_counts(&thirds), [4, 3, 3]);
}

#[test]
fn a_class_opens_the_outbound_connections_it_says() {
    // 100 miners open 30 connections each, 1,900 others 8: 3,000 + 15,200 edges. Light
    // nodes accept at most 2 inbound ones, so each has at most 8 + 2 peers.
    let net = build(
        2000,
        "  topology: { model: random, outbound: 8, max_inbound: 125 }
  classes:
    - { name: miners, share: 0.05, outbound: 30, max_inbound: 400 }
    - { name: relays, share: 0.45 }
    - { name: light, share: 0.5, max_inbound: 2 }
",
    );
    assert_eq!(net.adjacency.edges(), 100 * 30 + 1900 * 8);
    for v in 0..100 {
        assert!(net.peers(v).len() >= 30, "miner {v}");
    }
    for v in 1000..2000 {
        let peers = net.peers(v).len();
        assert!((8..=10).contains(&peers), "light node {v}: {peers} peers");
    }
    // A class's own degree table: one point, so exactly that many.
    let table = build(
        1000,
        "  classes:
    - { name: hubs, share: 0.2, outbound_model: table, outbound_weights: [[40, 1]], max_inbound: 300 }
    - { name: rest, share: 0.8, outbound: 4 }
",
    );
    assert_eq!(table.adjacency.edges(), 200 * 40 + 800 * 4);
}

/// One class holding every validator, overriding nothing, places, connects and delays
/// exactly as no classes.
#[test]
fn one_class_of_everyone_is_the_network_without_classes() {
    let plain = build(
        3000,
        "  topology: { model: random, outbound_model: bitcoin2015 }\n",
    );
    let one = build(
        3000,
        "  topology: { model: random, outbound_model: bitcoin2015 }
  classes: [{ name: all, share: 1 }]
",
    );
    assert_eq!(plain.region, one.region);
    assert_eq!(plain.adjacency, one.adjacency);
    assert_eq!(plain.links, one.links);
}

/// A fast class in region east, a slow one (the region's own links, 5 ms processing) in
/// west: a full block crosses in latency + size × 8 / min(sender's upload, receiver's
/// download) + the receiver's processing, with the class values in place of the region's.
#[test]
fn a_block_from_a_fast_class_arrives_in_latency_plus_transfer_at_its_upload() {
    let s = load(
        "
seed: 3
duration_s: 3000
gateways: { count: 0 }
validators: { count: 2 }
network:
  processing_ms: 0
  topology: { model: full_mesh }
  latency:
    model: table
    regions:
      - { name: east, upload_bps: 1.0e6, download_bps: 8.0e6, share: 0.5, latency_ms: [5, 70] }
      - { name: west, upload_bps: 16.0e6, download_bps: 4.0e6, share: 0.5, latency_ms: [130, 5] }
  classes:
    - { name: fast, share: 0.5, regions: { east: 1 }, upload_bps: 50.0e6, download_bps: 50.0e6 }
    - { name: slow, share: 0.5, regions: { west: 1 }, processing_ms: 5 }
consensus:
  protocol: nakamoto
  block_interval_s: 100
  max_block_bytes: 200000
  fill_blocks: true
  relay: full
  validation_s_per_mb: 0
",
    )
    .unwrap();
    let out = common::run(&s);
    assert_eq!(out.nodes[0].region, "east");
    assert_eq!(out.nodes[1].region, "west");
    let mut seen = [0; 2];
    for b in out.blocks.iter().filter(|b| b.propagation_100_s.is_some()) {
        let bits = b.size_bytes as f64 * 8.0;
        let expected = match b.miner {
            // Region links alone would give min(1e6, 4e6).
            0 => 0.070 + bits / 50.0e6_f64.min(4.0e6) + 0.005,
            // Region links alone would give min(16e6, 8e6).
            1 => 0.130 + bits / 16.0e6_f64.min(50.0e6),
            other => panic!("miner {other}"),
        };
        let got = b.propagation_100_s.unwrap();
        assert!(
            (got - expected).abs() < 2e-9,
            "block {} from {}: {got} s, expected {expected} s",
            b.block,
            b.miner
        );
        seen[b.miner as usize] += 1;
    }
    assert!(seen[0] > 3 && seen[1] > 3, "blocks from both: {seen:?}");
}

const LIGHT: &str = "
seed: 11
duration_s: 1800
gateways: { count: 0 }
validators: { count: 300 }
network:
  relay_model: RELAY
  classes:
    - { name: miners, share: 0.1, outbound: 12 }
    - { name: relays, share: 0.6, mines: false }
    - { name: light, share: 0.3, relay: false, mines: false }
consensus: { protocol: nakamoto, block_interval_s: 60, fill_blocks: true, max_block_bytes: 100000 }
";

/// Light nodes neither mine nor forward blocks: they receive them and send nothing but their
/// requests (under `announce`, at most a getdata and a getblocktxn per block; forwarding would
/// announce each block to every peer); only the miners class holds hash power.
#[test]
fn light_nodes_receive_blocks_and_never_forward() {
    for relay in ["ideal", "announce"] {
        let s = load(&LIGHT.replace("RELAY", relay)).unwrap();
        let out = common::run(&s);
        let light = 210..300;
        let mut blocks_in = 0;
        let requests = if relay == "ideal" {
            0
        } else {
            2 * out.blocks.len() as u64
        };
        for v in light {
            let n = &out.nodes[v];
            assert!(
                n.traffic.messages_out <= requests,
                "{relay}: light node {v} sent {} messages",
                n.traffic.messages_out
            );
            assert_eq!(n.hash_share, Some(0.0), "{relay}: light node {v} mines");
            blocks_in += n.traffic.bytes_in;
        }
        assert!(blocks_in > 0, "{relay}: light nodes received nothing");
        let miners: f64 = out.nodes[..30].iter().map(|n| n.hash_share.unwrap()).sum();
        assert!((miners - 1.0).abs() < 1e-9, "{relay}: miners hold {miners}");
        assert!(out.nodes[30..210].iter().all(|n| n.hash_share == Some(0.0)));
        assert!(out.blocks.iter().all(|b| b.miner < 30));
        let reached = out.blocks.iter().filter(|b| b.propagation_100_s.is_some());
        assert!(reached.count() > 10, "{relay}: blocks reach every node");
    }
}

fn error(network: &str) -> String {
    load(&nakamoto(100, network)).unwrap_err()
}

#[test]
fn bad_classes_give_one_line_errors_naming_field_value_and_line() {
    let head = "test.yaml: invalid scenario: ";
    assert_eq!(
        error("  classes:\n    - { name: a, share: 0.5 }\n    - { name: b, share: 0.4 }\n"),
        format!(
            "{head}network.classes = shares summing to 0.9: the classes' shares must sum to 1 \
             (within 0.001) (line 6)"
        )
    );
    assert_eq!(
        error(
            "  classes:\n    - name: a\n      share: 1\n      regions: { europe: 0.5, mars: 0.5 }\n"
        ),
        format!(
            "{head}network.classes[0].regions.mars = \"mars\": is not a region of \
             network.latency: must be one of north_america, europe, south_america, \
             asia_pacific, japan, australia (line 9)"
        )
    );
    assert_eq!(
        error("  classes:\n    - name: a\n      share: 1\n      upload_bps: 0\n"),
        format!("{head}network.classes[0].upload_bps = 0: must be > 0 (line 9)")
    );
    assert_eq!(
        error(
            "  classes:\n    - { name: a, share: 0.5 }\n    - name: a\n      share: 0.5\n      \
             outbound: 0\n"
        ),
        format!(
            "{head}network.classes[1].name = \"a\": is also the name of classes[0]: names must \
             be unique (line 8); network.classes[1].outbound = 0: must be >= 1 and <= 1000 \
             (line 10)"
        )
    );
    assert_eq!(
        error(
            "  classes:\n    - { name: light, share: 0.5, mines: false }\n    - name: miners\n      \
             share: 0.5\n"
        ),
        format!(
            "{head}network.classes[0].mines = false: a class that does not mine must come after \
             every class that mines (classes[1] mines): miners take the first validator ids \
             (line 7)"
        )
    );
    assert_eq!(
        error("  classes:\n    - { name: a, share: 1, max_inbound: 5 }\n"),
        format!(
            "{head}network.classes = up to 800 outbound connections: the classes accept at \
             most 500 inbound connections: raise max_inbound or lower outbound, or the \
             validators cannot accept every outbound connection (line 6)"
        )
    );
    let pbft = "seed: 1\nduration_s: 60\nvalidators: { count: 4 }\nnetwork:\n  classes:\n    \
                - { name: a, share: 1, relay: false }\nconsensus: { protocol: pbft }\n";
    assert_eq!(
        load(pbft).unwrap_err(),
        format!(
            "{head}network.classes[0].relay = false: applies to consensus.protocol: nakamoto \
             only (leave it out) (line 6)"
        )
    );
}

/// Every output file of a run but the resolved scenario and its manifest.
fn outputs(s: &scenario::Scenario, tag: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    let out = common::run(s);
    let dir = std::env::temp_dir().join(format!("unchained-classes-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    unchained::report::write_run(&out, &dir).unwrap();
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name != "scenario.yaml" && !name.to_lowercase().starts_with("manifest")
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

const PBFT: &str = "
seed: 4
duration_s: 300
devices:
  - name: meters
    count: 2000
    workload: { model: periodic, interval_s: 30, jitter_s: 5 }
gateways: { count: 10 }
validators: { count: 10 }
network:
  topology: { model: full_mesh }
  classes:
    - { name: slow, share: 0.5, download_bps: 2.0e5, processing_ms: 7 }
    - { name: fast, share: 0.5, upload_bps: 1.0e9, download_bps: 1.0e9 }
EMPTY
consensus: { protocol: pbft }
";

/// A broadcast keeps one delivery time per link group (a class within a region) when there
/// are at most 64 groups, and is sent as single messages beyond: nine empty classes (no
/// validator, 66 groups in all) change nothing but that, so the outputs must be the same.
#[test]
fn broadcasts_by_link_group_match_single_messages() {
    let grouped = load(&PBFT.replace("EMPTY\n", "")).unwrap();
    let empty: String = (0..9)
        .map(|k| format!("    - {{ name: empty{k}, share: 0 }}\n"))
        .collect();
    let single = load(&PBFT.replace("EMPTY\n", &empty)).unwrap();
    assert_eq!(Network::build(&grouped).groups(), 12);
    assert_eq!(Network::build(&single).groups(), 66);
    let a = outputs(&grouped, "grouped");
    let b = outputs(&single, "single");
    assert!(a.keys().any(|k| k == "summary.csv"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(b[name] == *bytes, "{name} differs");
    }
    // The slow class's links matter: without the classes the run differs.
    let plain = load(&PBFT.replace("EMPTY\n", "").replace(
        "  classes:\n    - { name: slow, share: 0.5, download_bps: 2.0e5, processing_ms: 7 }\n    \
         - { name: fast, share: 0.5, upload_bps: 1.0e9, download_bps: 1.0e9 }\n",
        "",
    ))
    .unwrap();
    assert!(outputs(&plain, "plain")["summary.csv"] != a["summary.csv"]);
}

/// With transactions: a light node offers only those that entered at it (through its
/// gateways), so one without gateways sends nothing but a request for each transaction under
/// `ideal`; the flood costs fewer messages than with every node relaying.
#[test]
fn light_nodes_pass_on_no_transaction_they_did_not_take_in() {
    let with_devices = LIGHT.replace("RELAY", "ideal").replace(
        "gateways: { count: 0 }",
        "devices:\n  - name: meters\n    count: 300\n    workload: { model: periodic, \
         interval_s: 60, jitter_s: 10 }\ngateways: { count: 40 }",
    );
    let out = common::run(&load(&with_devices).unwrap());
    let light: Vec<_> = out.nodes[210..].iter().collect();
    let quiet: Vec<_> = light.iter().filter(|n| n.gateways == 0).collect();
    assert!(
        quiet.len() > 10,
        "{} light nodes without gateways",
        quiet.len()
    );
    // Each transaction is fetched once by each of the 299 validators it did not enter at
    // (tx_relay); a light node without gateways sends only those requests, one per
    // transaction, and no offer.
    let fetches: u64 = out
        .messages
        .iter()
        .filter(|m| m.message == "tx_relay")
        .map(|m| m.messages)
        .sum();
    assert!(fetches > 0);
    for n in &quiet {
        assert_eq!(
            n.traffic.messages_out * 299,
            fetches,
            "light node {} sent more than its requests",
            n.node
        );
    }
    let offers = |o: &unchained::metrics::RunOutput| -> u64 {
        o.messages
            .iter()
            .filter(|m| m.carries == "transactions")
            .map(|m| m.messages)
            .sum()
    };
    let everyone = with_devices.replace(", relay: false", "");
    assert!(offers(&out) < offers(&common::run(&load(&everyone).unwrap())));
}

/// The `class` column of the `nodes` table names each validator's class: shares 0.2/0.3/0.5
/// of 10 validators give exactly 2, 3 and 5 rows of each name, on contiguous ids in list
/// order; without classes the column is there and empty in every row.
#[test]
fn the_nodes_table_names_each_validators_class() {
    let class_column = |network: &str, tag: &str| -> Vec<String> {
        let s = load(&nakamoto(10, network)).unwrap();
        let files = outputs(&s, tag);
        let csv = String::from_utf8(files["nodes.csv"].clone()).unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let at = header
            .iter()
            .position(|&h| h == "class")
            .expect("a class column");
        lines
            .map(|l| l.split(',').nth(at).unwrap().to_string())
            .collect()
    };
    let classes = class_column(
        "  classes:
    - { name: miners, share: 0.2 }
    - { name: relays, share: 0.3 }
    - { name: light, share: 0.5, relay: false, mines: false }
",
        "classes",
    );
    let want: Vec<&str> = [("miners", 2), ("relays", 3), ("light", 5)]
        .iter()
        .flat_map(|&(name, n)| std::iter::repeat_n(name, n))
        .collect();
    assert_eq!(classes, want);
    let none = class_column("  topology: { model: full_mesh }\n", "no-classes");
    assert_eq!(none, vec![String::new(); 10]);
}
