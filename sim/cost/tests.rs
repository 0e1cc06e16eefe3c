//! The cost arithmetic against sums done by hand from round inputs.

use super::*;

const PRICES: &str = "
costs:
  validator_usd_per_hour: 0.2
  validator_power_w: 100
  miner_power_w: 1000
  usd_per_kwh: 0.1
  usd_per_gb_out: 0.05
  usd_per_gb_month: 0.1
  horizon_years: 2
  gateway_usd: 600
  gateway_life_years: 5
  gateway_usd_per_month: 10
  device_usd_per_month: 1
  battery_swap_usd: 20
";

fn scenario(consensus: &str) -> Scenario {
    let yaml =
        format!("duration_s: 3600\nvalidators: {{ count: 4 }}\nconsensus: {consensus}\n{PRICES}");
    crate::scenario::parse(&yaml, "test").unwrap()
}

/// One hour; 1 MB/s sent; 1 GB a day of ledger; 10 settled a second; 50 swaps a year.
fn rows() -> Vec<(String, Value)> {
    [
        ("duration_s", Value::Float(3600.0)),
        ("validators", Value::Int(4)),
        ("gateways", Value::Int(3)),
        ("devices", Value::Int(100)),
        ("net_message_bytes", Value::Int(3_600_000_000)),
        ("storage_bytes_per_day_per_replica", Value::Float(1e9)),
        ("settled_tx_per_s", Value::Float(10.0)),
        ("battery_swaps_per_year", Value::Float(50.0)),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect()
}

fn get(rows: &[(String, Value)], name: &str) -> f64 {
    rows.iter().find(|(n, _)| n == name).unwrap().1.as_f64()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn each_component_matches_the_hand_sum() {
    let out = summary(&scenario("{ protocol: pbft }"), &rows());
    // A month is 730.5 h = 2,629,800 s = 30.4375 days.
    let expected = [
        ("cost_servers_usd_per_month", 4.0 * 0.2 * 730.5),
        ("cost_power_usd_per_month", 4.0 * 0.1 * 730.5 * 0.1),
        ("cost_mining_usd_per_month", 0.0),
        // 1 MB/s for a month is 2,629.8 GB.
        ("cost_bandwidth_usd_per_month", 2_629.8 * 0.05),
        // 30.4375 GB a month for 24 months from empty: 365.25 GB on average, 4 replicas.
        ("cost_storage_usd_per_month", 365.25 * 4.0 * 0.1),
        ("cost_gateways_usd_per_month", 3.0 * (600.0 / 60.0 + 10.0)),
        ("cost_connectivity_usd_per_month", 100.0),
        ("cost_batteries_usd_per_month", 100.0 * 0.5 / 12.0 * 20.0),
    ];
    for (name, v) in expected {
        assert!(
            close(get(&out, name), v),
            "{name}: {} vs {v}",
            get(&out, name)
        );
    }
    let total: f64 = expected.iter().map(|e| e.1).sum();
    assert!(close(total, 1_134.543_333_333_333));
    assert!(close(get(&out, "cost_usd_per_month"), total));
    assert!(close(
        get(&out, "cost_per_settled_tx_usd"),
        total / (10.0 * 2_629_800.0)
    ));
    assert!(close(
        get(&out, "cost_per_device_year_usd"),
        total * 12.0 / 100.0
    ));
}

#[test]
fn only_proof_of_work_pays_for_mining() {
    let pow = summary(
        &scenario("{ protocol: nakamoto, block_interval_s: 60 }"),
        &rows(),
    );
    assert!(close(
        get(&pow, "cost_mining_usd_per_month"),
        4.0 * 1.0 * 730.5 * 0.1
    ));
}

#[test]
fn a_missing_input_shows_as_nan_never_as_zero() {
    let mut r = rows();
    r.retain(|(n, _)| n != "storage_bytes_per_day_per_replica");
    let out = summary(&scenario("{ protocol: pbft }"), &r);
    assert!(get(&out, "cost_storage_usd_per_month").is_nan());
    assert!(get(&out, "cost_usd_per_month").is_nan());
    let none = summary(
        &crate::scenario::parse(
            "duration_s: 60\nvalidators: { count: 4 }\nconsensus: { protocol: pbft }\n",
            "t",
        )
        .unwrap(),
        &rows(),
    );
    assert!(none.is_empty(), "no costs section, no cost rows");
}
