//! The `costs:` section: prices that turn a run's resources into money. Every default stands
//! for a real price and names where it comes from; a deployment with its own contracts
//! replaces them. Absent, a run reports no cost.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// One validator server, $ per hour. AWS EC2 m6i.xlarge (4 vCPU, 16 GiB), on-demand
    /// Linux, us-east-1 price list 2024: $0.192.
    #[serde(default = "server")]
    pub validator_usd_per_hour: f64,
    /// Power a validator draws beyond what its server price includes, W. 0: cloud prices
    /// include power; set it for self-hosted servers.
    #[serde(default)]
    pub validator_power_w: f64,
    /// Power of one proof-of-work miner (Nakamoto validators only), W. Bitmain Antminer S19
    /// Pro data sheet: 110 TH/s at 29.5 J/TH ≈ 3,250 W.
    #[serde(default = "miner")]
    pub miner_power_w: f64,
    /// Electricity, $ per kWh. US EIA Electric Power Annual 2023, average revenue per kWh,
    /// commercial sector, US total: 12.74 ¢.
    #[serde(default = "electricity")]
    pub usd_per_kwh: f64,
    /// Data sent by validators, $ per GB. AWS data transfer out to the internet, first
    /// 10 TB per month, 2024: $0.09.
    #[serde(default = "egress")]
    pub usd_per_gb_out: f64,
    /// Ledger storage, $ per GB-month per replica. AWS EBS gp3, us-east-1, 2024: $0.08.
    #[serde(default = "storage")]
    pub usd_per_gb_month: f64,
    /// The period over which the ledger's growth is priced: its storage cost per month is the
    /// average over this many years of a ledger that starts empty and grows at the run's
    /// rate (half its size at the end).
    #[serde(default = "horizon")]
    pub horizon_years: f64,
    /// One gateway's purchase and installation, $. An outdoor 8-channel LoRaWAN gateway
    /// (e.g. RAKwireless RAK7289 list price, 2024) is about $500.
    #[serde(default = "gateway")]
    pub gateway_usd: f64,
    /// Years over which a gateway's purchase is spread. 5: the usual depreciation period of
    /// network equipment (US IRS Publication 946, class 00.12 information systems).
    #[serde(default = "gateway_life")]
    pub gateway_life_years: f64,
    /// A gateway's running cost (backhaul, site, power), $ per month. An M2M LTE data plan
    /// for a gateway's backhaul, about $10 (e.g. 1NCE, Hologram 2024 tariffs).
    #[serde(default = "gateway_opex")]
    pub gateway_usd_per_month: f64,
    /// A device's connectivity subscription, $ per month. 0: LoRaWAN on one's own gateways
    /// has none; set a cellular plan's price (1NCE's IoT flat rate, €14 for 10 years, is
    /// about $0.13).
    #[serde(default)]
    pub device_usd_per_month: f64,
    /// Replacing one device's battery (cell and the visit), $. An assumption of this model,
    /// not a published price: a $5 cell plus a $15 share of a technician's round.
    #[serde(default = "battery_swap")]
    pub battery_swap_usd: f64,
}

fn server() -> f64 {
    0.192
}
fn miner() -> f64 {
    3_250.0
}
fn electricity() -> f64 {
    0.1274
}
fn egress() -> f64 {
    0.09
}
fn storage() -> f64 {
    0.08
}
fn horizon() -> f64 {
    1.0
}
fn gateway() -> f64 {
    500.0
}
fn gateway_life() -> f64 {
    5.0
}
fn gateway_opex() -> f64 {
    10.0
}
fn battery_swap() -> f64 {
    20.0
}

impl Default for Costs {
    fn default() -> Self {
        serde_yaml::from_str("{}").expect("every field of Costs has a default")
    }
}

impl Costs {
    /// Every price, by its field name, for validation.
    pub fn fields(&self) -> [(&'static str, f64); 12] {
        [
            ("validator_usd_per_hour", self.validator_usd_per_hour),
            ("validator_power_w", self.validator_power_w),
            ("miner_power_w", self.miner_power_w),
            ("usd_per_kwh", self.usd_per_kwh),
            ("usd_per_gb_out", self.usd_per_gb_out),
            ("usd_per_gb_month", self.usd_per_gb_month),
            ("horizon_years", self.horizon_years),
            ("gateway_usd", self.gateway_usd),
            ("gateway_life_years", self.gateway_life_years),
            ("gateway_usd_per_month", self.gateway_usd_per_month),
            ("device_usd_per_month", self.device_usd_per_month),
            ("battery_swap_usd", self.battery_swap_usd),
        ]
    }
}
