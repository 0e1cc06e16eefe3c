//! Every consensus family is priced alike: a run with `costs:` reports every component as a
//! finite number, so no family's cost silently leaves a resource out.

mod common;

const FAMILIES: &[&str] = &[
    "{ protocol: nakamoto, block_interval_s: 10, confirmations: 1 }",
    "{ protocol: pos, slot_s: 2, slots_per_epoch: 4 }",
    "{ protocol: pbft }",
    "{ protocol: hotstuff }",
    "{ protocol: tendermint }",
    "{ protocol: raft }",
    "{ protocol: notary }",
    "{ protocol: xrpl }",
    "{ protocol: tangle }",
];

#[test]
fn every_family_reports_every_cost_component() {
    for consensus in FAMILIES {
        let s = common::scenario(&format!(
            "
seed: 3
duration_s: 60
validators: {{ count: 4 }}
devices:
  - count: 50
    workload: {{ model: poisson, rate_per_s: 0.2 }}
gateways: {{ count: 2 }}
consensus: {consensus}
costs: {{}}
"
        ));
        let out = common::run(&s);
        for part in [
            "servers",
            "power",
            "mining",
            "bandwidth",
            "storage",
            "gateways",
            "connectivity",
            "batteries",
        ] {
            let v = common::metric(&out, &format!("cost_{part}_usd_per_month"));
            assert!(v.is_finite() && v >= 0.0, "{consensus}: {part} = {v}");
        }
        let total = common::metric(&out, "cost_usd_per_month");
        assert!(total.is_finite() && total > 0.0, "{consensus}: {total}");
        // Four validators at the default $0.192 an hour for 730.5 hours.
        let servers = common::metric(&out, "cost_servers_usd_per_month");
        assert!((servers - 4.0 * 0.192 * 730.5).abs() < 1e-9, "{servers}");
        assert!(
            common::metric(&out, "cost_storage_usd_per_month") > 0.0,
            "{consensus}: a ledger that settled transactions grows"
        );
    }
}

/// Forty identical LoRaWAN meters on a 2400 mAh battery: the fleet needs 40/life swaps a year,
/// and the battery component prices them at the default $20 a swap.
#[test]
fn battery_swaps_follow_the_projected_life() {
    let s = common::scenario(
        "
seed: 11
duration_s: 3600
devices:
  - name: meters
    count: 40
    workload: { model: periodic, interval_s: 600 }
    tx_bytes: 10
    radio: { model: lorawan, sf: 7 }
    battery: { capacity_mah: 2400 }
gateways: { count: 1 }
area: { shape: disc, size_m: 2000, gateways: grid }
validators: { count: 4 }
consensus: { protocol: pbft }
costs: {}
",
    );
    let out = common::run(&s);
    let life = common::metric(&out, "battery_life_p50_years");
    assert_eq!(
        common::metric(&out, "battery_life_p5_years"),
        common::metric(&out, "battery_life_p95_years"),
        "every meter sends the same frames"
    );
    let swaps = common::metric(&out, "battery_swaps_per_year");
    assert!((swaps * life / 40.0 - 1.0).abs() < 1e-9, "{swaps} × {life}");
    let cost = common::metric(&out, "cost_batteries_usd_per_month");
    assert!((cost - swaps / 12.0 * 20.0).abs() < 1e-9, "{cost}");
}
