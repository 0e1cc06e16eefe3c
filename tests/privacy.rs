//! Privacy observers: what they see, how well they link rotated keys, the crowds transactions
//! hide in, and that watching changes nothing else in a run.

mod common;

use common::privacy_row as row;

use std::collections::BTreeMap;

use unchained::metrics::RunOutput;

/// `count` strictly periodic devices (every 60 s, no jitter, always online) behind one
/// gateway, rotating keys every 5 transactions, on a small PBFT network; `extra` goes into the
/// device group (a mitigation).
fn periodic(count: u32, extra: &str, observers: &str) -> String {
    periodic_through(count, extra, "{ count: 1 }", observers)
}

/// As [`periodic`], through gateways configured by `gateways`.
fn periodic_through(count: u32, extra: &str, gateways: &str, observers: &str) -> String {
    common::privacy_meters(7, count, extra, gateways, observers)
}

#[test]
fn periodic_keys_are_linked_and_random_delays_of_several_periods_unlink_them() {
    let watch = "  - { kind: gateway, gateway: 0 }\n  - { kind: validator, node: 2 }";
    let plain = common::run(&common::scenario(&periodic(20, "", watch)));
    // A delay uniform over five periods.
    let delay = "    mitigation: { delay: { dist: uniform, max_s: 300 } }";
    let delayed = common::run(&common::scenario(&periodic(20, delay, watch)));
    for name in ["gateway_0", "validator_2"] {
        let (p, d) = (row(&plain, name), row(&delayed, name));
        // 20 devices × (120 readings in the window / 5 per key − 1) successors.
        assert_eq!(p.links_true, 20 * (96 / 5), "{name}");
        assert!(p.link_precision >= 0.9, "{name}: {p:?}");
        assert!(p.link_recall >= 0.9, "{name}: {p:?}");
        // Random delays of several periods: no better than naming one of the 20 at random
        // (a twentieth) by more than a few points; it moved.
        assert!(
            (d.link_chance_precision - 0.05).abs() < 0.005,
            "{name}: {d:?}"
        );
        assert!(
            d.link_precision < d.link_chance_precision + 0.05,
            "{name}: {d:?}"
        );
        assert!(p.link_precision - d.link_precision > 0.8, "{name}");
    }
    // The delay's cost is in the run's own latency.
    let wait = |o: &RunOutput| common::metric(o, "upload_wait_mean_s");
    assert!(wait(&delayed) > wait(&plain) + 100.0);
}

/// A validator dates the transactions of a gateway batch by their place in it (the batch holds
/// them in order of arrival); `gateways.mix` sends each batch in a random order, so that place
/// says nothing and the dates scatter over the interval. Batches of 30 s against a 60 s period
/// hold about ten of the twenty devices each: unmixed, every device keeps its place from one
/// period to the next and its keys are linked; mixed, a key's successor is a random one of the
/// batch's new keys.
#[test]
fn mixing_at_the_gateway_hides_the_order_a_validator_dates_a_batch_by() {
    let watch = "  - { kind: validator, node: 2 }\n  - { kind: gateway, gateway: 0 }";
    let batched = "{ count: 1, batch_interval_ms: 30000 }";
    let mixed = "{ count: 1, batch_interval_ms: 30000, mix: true }";
    let plain = common::run(&common::scenario(&periodic_through(20, "", batched, watch)));
    let mix = common::run(&common::scenario(&periodic_through(20, "", mixed, watch)));
    let (p, m) = (row(&plain, "validator_2"), row(&mix, "validator_2"));
    assert!(p.link_precision >= 0.9, "{p:?}");
    // Mixed, no better than a pick among the ten or so new keys of the successor's batch.
    assert!(m.link_precision < 0.2, "{m:?}");
    // The gateway's operator sees each uplink as it leaves the device: mixing hides nothing
    // from it.
    let (pg, mg) = (row(&plain, "gateway_0"), row(&mix, "gateway_0"));
    assert_eq!(pg.link_precision, mg.link_precision);
    // What it costs: nothing in latency (the batch leaves at the same time), the same bytes.
    for metric in ["settlement_mean_s", "net_message_bytes"] {
        assert_eq!(
            common::metric(&plain, metric),
            common::metric(&mix, metric),
            "{metric}"
        );
    }
}

#[test]
fn anonymity_sets_never_exceed_the_devices_behind_the_gateway() {
    let watch =
        "  - { kind: gateway, gateway: 0, window_s: 600 }\n  - { kind: validator, node: 0 }";
    for count in [1u32, 5, 12] {
        // Gateway 0 of one is every device's; validator 0 is where it reports (one region).
        let out = common::run(&common::scenario(&periodic(count, "", watch)));
        for r in &out.privacy {
            assert!(r.visible_tx > 0, "{r:?}");
            assert!(r.anonymity_set_max <= f64::from(count), "{count}: {r:?}");
            if count == 1 {
                assert_eq!(r.anonymity_set_mean, 1.0, "{r:?}");
                assert_eq!(r.anonymity_set_max, 1.0, "{r:?}");
                assert_eq!(r.anonymity_singleton_share, 1.0, "{r:?}");
                assert_eq!(r.entropy_norm_mean, 0.0, "{r:?}");
            }
        }
    }
}

/// Two groups on a Raft (Fabric) network: `a` with 10 devices and `b` with 30, each reading
/// every 10 s with no jitter, so each device creates exactly 8 readings in the measurement
/// window [10 s, 90 s).
const CHANNELS: &str = "
seed: 3
duration_s: 100
devices:
  - { name: a, count: 10, workload: { model: periodic, interval_s: 10, jitter_s: 0 } }
  - { name: b, count: 30, workload: { model: periodic, interval_s: 10, jitter_s: 0 } }
gateways: { count: 4 }
validators: { count: 7 }
network:
  latency: { model: constant, one_way_ms: 10, bandwidth_bps: 1e8 }
  topology: { model: full_mesh }
consensus: { protocol: raft, orderers: 3 }
observers:
  - { kind: validator, node: 5, channels: [a], name: peer_a }
  - { kind: validator, node: 6, channels: [a, b], name: peer_ab }
  - { kind: validator, node: 1, name: orderer }
";

#[test]
fn a_channel_peer_sees_exactly_its_channels_share() {
    let out = common::run(&common::scenario(CHANNELS));
    let a = row(&out, "peer_a");
    assert_eq!((a.visible_tx, a.population_tx), (80, 320));
    assert_eq!(a.visible_share, 0.25);
    assert_eq!(common::metric(&out, "privacy_peer_a_visible_share"), 0.25);
    assert_eq!(row(&out, "peer_ab").visible_share, 1.0);
    assert_eq!(row(&out, "orderer").visible_share, 1.0);
}

#[test]
fn a_notary_sees_everything_and_a_party_only_its_own() {
    let text = CHANNELS
        .replace(
            "consensus: { protocol: raft, orderers: 3 }",
            "consensus: { protocol: notary }",
        )
        .replace(", channels: [a]", "")
        .replace(", channels: [a, b]", "")
        .replace("node: 1, name: orderer", "node: 0, name: notary");
    let out = common::run(&common::scenario(&text));
    assert_eq!(row(&out, "notary").visible_share, 1.0);
    // A party to a transaction is its initiator or its counterparty: two of seven validators.
    for name in ["peer_a", "peer_ab"] {
        let r = row(&out, name);
        assert!(r.visible_share > 0.0 && r.visible_share < 0.6, "{r:?}");
    }
}

#[test]
fn the_first_spy_names_the_entry_only_near_it() {
    let text = "
seed: 11
duration_s: 300
devices:
  - { count: 200, workload: { model: poisson, rate_per_s: 0.05 } }
gateways: { count: 40 }
validators: { count: 30 }
consensus: { protocol: nakamoto, block_interval_s: 30, confirmations: 1 }
observers:
  - { kind: network, nodes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], name: everywhere }
  - { kind: network, nodes: [29], name: one }
";
    let out = common::run(&common::scenario(text));
    // Spies at every validator hear each transaction first at its entry.
    assert_eq!(row(&out, "everywhere").first_spy_precision, Some(1.0));
    // One spy names the right entry only for its own and its neighbours' transactions.
    let one = row(&out, "one").first_spy_precision.unwrap();
    assert!(one > 0.0 && one < 0.8, "{one}");
    assert_eq!(row(&out, "one").visible_share, 1.0);
}

/// Every file a run writes, but the privacy table and the scenario echo.
fn tables(out: &RunOutput, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("unchained-privacy-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    unchained::report::write_run(out, &dir).unwrap();
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with("privacy")
                && !name.starts_with("scenario")
                && !name.starts_with("MANIFEST")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

#[test]
fn observing_changes_no_other_table() {
    let base = "
seed: 5
duration_s: 600
devices:
  - name: meters
    count: 2000
    connectivity: { model: duty_cycle, period_s: 120, on_s: 20 }
    workload: { model: periodic, interval_s: 60, jitter_s: 10 }
    identity: { rotate_every_s: 300 }
gateways: { count: 30, batch_interval_ms: 500 }
validators: { count: 40 }
network: { jitter: pareto }
consensus: { protocol: nakamoto, block_interval_s: 20, confirmations: 2 }
";
    let watched = format!(
        "{base}observers:\n  - {{ kind: validator, node: 3 }}\n  - {{ kind: gateway, gateway: 7 }}\n  - {{ kind: network, nodes: [1, 2] }}\n"
    );
    let a = common::run(&common::scenario(base));
    let b = common::run(&common::scenario(&watched));
    assert!(a.privacy.is_empty() && b.privacy.len() == 3);
    let (mut ta, mut tb) = (tables(&a, "plain"), tables(&b, "watched"));
    // The summary differs by the privacy rows only.
    let strip = |t: &mut BTreeMap<String, Vec<u8>>| {
        for name in [
            "summary.csv",
            "run.csv",
            "summary.parquet",
            "run.parquet",
            "summary.txt",
        ] {
            t.remove(name);
        }
    };
    let rows = |o: &RunOutput| -> Vec<String> {
        o.summary_rows()
            .iter()
            .filter(|(m, _)| !m.starts_with("privacy_"))
            .map(|(m, v)| format!("{m}={v:?}"))
            .collect()
    };
    assert_eq!(rows(&a), rows(&b));
    strip(&mut ta);
    strip(&mut tb);
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (name, bytes) in &ta {
        assert!(bytes == &tb[name], "{name} differs with observers");
    }
}

/// The privacy table at 1, 2 and 8 threads: every observer kind, keys rotating by count and
/// by time, uniform and exponential delays (both laws of the Bayes attacker), mixed gateway
/// batches, and a jittered peer graph whose shards run in parallel.
#[test]
fn the_privacy_table_is_byte_identical_at_1_2_and_8_threads() {
    let text = "
seed: 13
duration_s: 1800
devices:
  - name: meters
    count: 1500
    connectivity: { model: duty_cycle, period_s: 120, on_s: 20 }
    workload: { model: periodic, interval_s: 60, jitter_s: 5 }
    identity: { rotate_every_tx: 2 }
    mitigation: { delay: { dist: uniform, max_s: 20 } }
  - name: sensors
    count: 800
    workload: { model: periodic, interval_s: 90, jitter_s: 0 }
    identity: { rotate_every_s: 300 }
    mitigation: { delay: { dist: exponential, mean_s: 10 }, pad_to_bytes: 300 }
  - name: trackers
    count: 300
    workload: { model: poisson, rate_per_s: 0.02 }
    identity: { rotate_every_tx: 1 }
gateways: { count: 12, batch_interval_ms: 500, mix: true }
validators: { count: 20 }
network: { jitter: pareto }
consensus: { protocol: nakamoto, block_interval_s: 20, confirmations: 2 }
observers:
  - { kind: validator, node: 0 }
  - { kind: gateway, gateway: 3 }
  - { kind: network, nodes: [1, 2] }
";
    let table = |threads: usize| {
        let files = common::files_at(threads, text, &format!("privacy-threads-{threads}"));
        let csv = String::from_utf8(files["privacy.csv"].clone()).unwrap();
        (csv, files["privacy.parquet"].clone())
    };
    let (csv, parquet) = table(1);
    // The table holds what is compared: a row per observer, each with links made by both
    // attackers and anonymity sets above one.
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for r in &rows {
        for name in ["links_made", "bayes_links_made", "bayes_links_correct"] {
            let n: u64 = r[col(name)].parse().unwrap();
            assert!(n > 0, "{name} in {r:?}");
        }
        let set: f64 = r[col("anonymity_set_mean")].parse().unwrap();
        assert!(set > 1.0, "{r:?}");
    }
    for threads in [2, 8] {
        let (c, p) = table(threads);
        assert_eq!(c, csv, "privacy.csv differs at {threads} threads");
        assert!(p == parquet, "privacy.parquet differs at {threads} threads");
    }
}
