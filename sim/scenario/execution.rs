//! What validators spend to execute a transaction: signature verifications and contract
//! execution by kind, on a bounded number of cores. Absent, execution takes no time (the
//! model before it existed).

use serde::{Deserialize, Serialize};

/// Validators' execution of the transactions they settle (`validators.execution`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Execution {
    /// Cores each validator executes transactions on in parallel. No default: the machine is
    /// the scenario's choice.
    pub cores: u32,
    /// One signature verification, microseconds.
    #[serde(default = "default_verify_us")]
    pub verify_us: f64,
    /// Contract execution by kind, microseconds, besides the kind's signature verifications;
    /// a kind left out costs nothing more.
    #[serde(default)]
    pub contract_us: KindTimes,
}

/// A time per transaction kind, microseconds (the kinds of `ledger::TxKind`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KindTimes {
    #[serde(default)]
    pub reading: f64,
    #[serde(default)]
    pub channel_open: f64,
    #[serde(default)]
    pub channel_close: f64,
    #[serde(default)]
    pub sla_report: f64,
    #[serde(default)]
    pub sla_settlement: f64,
    #[serde(default)]
    pub provenance_event: f64,
    #[serde(default)]
    pub registration: f64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub channel_dispute: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl KindTimes {
    /// `(field name, value)` in `TxKind` order.
    pub fn by_kind(&self) -> [(&'static str, f64); 8] {
        [
            ("reading", self.reading),
            ("channel_open", self.channel_open),
            ("channel_close", self.channel_close),
            ("sla_report", self.sla_report),
            ("sla_settlement", self.sla_settlement),
            ("provenance_event", self.provenance_event),
            ("registration", self.registration),
            ("channel_dispute", self.channel_dispute),
        ]
    }
}

/// Ed25519 verification with OpenSSL 3.1.1 on Skylake: 410,016 cycles (median, lib25519's
/// speed table, lib25519-20230630 `doc/speed.md`, the OpenSSL baseline row), at 3.0 GHz:
/// 136.7 µs. lib25519 itself needs 113,410 cycles (38 µs) on the same machine.
pub fn default_verify_us() -> f64 {
    137.0
}
