//! A device group's `energy` (what its radio and controller draw) and `battery` sections.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Overrides of the radio's default state table (LoRaWAN: Casals et al. 2017; cellular:
/// 3GPP TR 45.820; see `crate::energy::Profile`) and the per-operation costs of blockchain
/// work on the device, which have no default: they depend on the device's controller and
/// the chain's cryptography, and are the scenario's inputs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Energy {
    /// Supply voltage; absent, 3.3 V for LoRaWAN, 3.6 V for cellular.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voltage_v: Option<f64>,
    /// Current per state name, mA (`tx: 120`, `sleep: 0.002`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub states: BTreeMap<String, f64>,
    /// Energy to sign one transaction, mJ.
    #[serde(default)]
    pub sign_mj: f64,
    /// Energy of one transaction's proof of work when the device does it, mJ.
    #[serde(default)]
    pub pow_mj: f64,
    /// Energy to check one settlement receipt, mJ (its radio time is the radio's).
    #[serde(default)]
    pub receipt_mj: f64,
}

/// A battery: `capacity_mah` at `voltage_v` (the supply voltage when absent), or
/// `capacity_wh`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Battery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_mah: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voltage_v: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_wh: Option<f64>,
    /// Fraction of the nominal capacity lost per year by self-discharge.
    #[serde(default)]
    pub self_discharge_per_year: f64,
}
