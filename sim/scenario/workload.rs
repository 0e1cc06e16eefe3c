//! Options of the typed workloads (`pay_per_use`, `sla`, `provenance`, `registration`) and
//! their defaults, each with where it comes from.

use serde::{Deserialize, Serialize};

/// What a consumer's use does while its channel's funding is not yet settled.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EarlyUses {
    /// The use waits; its payment leaves once the funding settles (at most
    /// `payments_per_channel` waiting uses per channel, later ones are refused).
    #[default]
    Wait,
    /// The use is refused.
    Refuse,
}

/// What a provenance event puts on the ledger.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// Only the event's hash, signed (`hash_bytes`); the event itself stays with the parties.
    #[default]
    Hash,
    /// The whole event (the group's `tx_bytes`).
    Full,
}

/// A channel update off the ledger: channel id (32 B), balance (8 B), nonce (8 B) and the
/// payer's signature (64 B) — the fields of a signed balance update, by arithmetic.
pub fn default_payment_bytes() -> u32 {
    112
}
/// Channels close after this many payments unless the scenario says otherwise (a round
/// number: the point of the model is to vary it).
pub fn default_payments_per_channel() -> u32 {
    10
}
pub fn default_deposit() -> f64 {
    1.0
}
/// Ten reports per evaluation window (a round number, the scenario's choice).
pub fn default_reports_per_window() -> u32 {
    10
}
/// GS1's Critical Tracking Events of a food traceability chain: the issue's "12 critical
/// tracking events per lot" (a scenario choice; FDA FSMA 204 names seven CTE types).
pub fn default_stages() -> u32 {
    12
}
/// A 32-byte hash, a 64-byte signature and a 4-byte item and stage id, by arithmetic.
pub fn default_hash_bytes() -> u32 {
    100
}
