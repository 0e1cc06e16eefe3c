//! What a run's deployment costs, from its summary metrics and the scenario's `costs:` prices.
//!
//! Reads metrics, nothing else: every family reports the same resources (validators, bytes
//! sent, ledger growth, gateways, devices, battery swaps), so every family is priced alike.
//! Costs are per month of steady operation at the run's rates; a run's first minutes weigh
//! as much as the rest, as they do in the rates themselves.

use crate::metrics::Value;
use crate::scenario::{Consensus, Costs, Scenario};

/// A month: a Julian year over twelve.
pub const MONTH_S: f64 = 365.25 * 86_400.0 / 12.0;
const MONTH_H: f64 = MONTH_S / 3_600.0;
const GB: f64 = 1e9;

/// One priced resource: its summary name (`cost_<name>_usd_per_month`) and monthly cost.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Component {
    name: &'static str,
    usd_per_month: f64,
}

/// The metrics the cost model reads. A missing one is NaN, which makes its component and the
/// total NaN (never a silent zero); `tests/costs.rs` checks that a run reports them all.
struct Inputs {
    duration_s: f64,
    validators: f64,
    gateways: f64,
    devices: f64,
    message_bytes: f64,
    storage_bytes_per_day: f64,
    settled_tx_per_s: f64,
    battery_swaps_per_year: f64,
}

fn lookup(rows: &[(String, Value)], name: &str) -> Option<f64> {
    rows.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_f64())
}

impl Inputs {
    fn read(rows: &[(String, Value)]) -> Inputs {
        let get = |n: &str| lookup(rows, n).unwrap_or(f64::NAN);
        Inputs {
            duration_s: get("duration_s"),
            validators: get("validators"),
            gateways: get("gateways"),
            devices: get("devices"),
            message_bytes: get("net_message_bytes"),
            storage_bytes_per_day: get("storage_bytes_per_day_per_replica"),
            settled_tx_per_s: get("settled_tx_per_s"),
            // The fleet's swaps a year; devices without a battery (mains-powered, or none
            // modelled) need none, and a run without any reports no such metric.
            battery_swaps_per_year: lookup(rows, "battery_swaps_per_year").unwrap_or(0.0),
        }
    }
}

/// The monthly cost of each resource, in the order they are reported.
fn components(s: &Scenario, c: &Costs, i: &Inputs) -> Vec<Component> {
    let kwh = |watts: f64| watts * MONTH_H / 1_000.0 * c.usd_per_kwh;
    let miners = match s.consensus {
        Consensus::Nakamoto(_) => i.validators,
        _ => 0.0,
    };
    let growth_gb_per_month = i.storage_bytes_per_day * (MONTH_S / 86_400.0) / GB;
    // A ledger growing from empty holds on average half its final size over the horizon.
    let mean_ledger_gb = growth_gb_per_month * c.horizon_years * 12.0 / 2.0;
    let rate = |bytes: f64| {
        if i.duration_s > 0.0 {
            bytes / i.duration_s
        } else {
            f64::NAN
        }
    };
    vec![
        Component {
            name: "servers",
            usd_per_month: i.validators * c.validator_usd_per_hour * MONTH_H,
        },
        Component {
            name: "power",
            usd_per_month: kwh(i.validators * c.validator_power_w),
        },
        Component {
            name: "mining",
            usd_per_month: kwh(miners * c.miner_power_w),
        },
        Component {
            name: "bandwidth",
            usd_per_month: rate(i.message_bytes) * MONTH_S / GB * c.usd_per_gb_out,
        },
        Component {
            name: "storage",
            usd_per_month: mean_ledger_gb * i.validators * c.usd_per_gb_month,
        },
        Component {
            name: "gateways",
            usd_per_month: i.gateways
                * (c.gateway_usd / (c.gateway_life_years * 12.0) + c.gateway_usd_per_month),
        },
        Component {
            name: "connectivity",
            usd_per_month: i.devices * c.device_usd_per_month,
        },
        Component {
            name: "batteries",
            usd_per_month: i.battery_swaps_per_year / 12.0 * c.battery_swap_usd,
        },
    ]
}

/// The summary rows of the cost model: each component, the total, and the total per settled
/// transaction and per device-year (NaN where nothing settled or there are no devices).
pub fn summary(s: &Scenario, rows: &[(String, Value)]) -> Vec<(String, Value)> {
    let Some(c) = &s.costs else {
        return Vec::new();
    };
    let i = Inputs::read(rows);
    let parts = components(s, c, &i);
    let total: f64 = parts.iter().map(|p| p.usd_per_month).sum();
    let settled_per_month = i.settled_tx_per_s * MONTH_S;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let mut out: Vec<(String, Value)> = parts
        .iter()
        .map(|p| {
            (
                format!("cost_{}_usd_per_month", p.name),
                p.usd_per_month.into(),
            )
        })
        .collect();
    out.extend([
        ("cost_usd_per_month".into(), total.into()),
        (
            "cost_per_settled_tx_usd".into(),
            ratio(total, settled_per_month).into(),
        ),
        (
            "cost_per_device_year_usd".into(),
            ratio(total * 12.0, i.devices).into(),
        ),
    ]);
    out
}

#[cfg(test)]
mod tests;
