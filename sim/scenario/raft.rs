//! Parameters of Fabric-style Raft ordering (`consensus: { protocol: raft, … }`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Raft {
    /// The first `orderers` validators form the Raft ordering service (odd, so a majority is
    /// well defined without ties).
    #[serde(default = "default_orderers")]
    pub orderers: u32,
    /// Peers whose endorsement the policy requires before a transaction is ordered (0: none).
    #[serde(default = "default_endorsers")]
    pub endorsers: u32,
    /// Fabric `BatchTimeout`: a block is cut this long after its first transaction at latest.
    #[serde(default = "default_batch_timeout_ms")]
    pub batch_timeout_ms: f64,
    /// Fabric `MaxMessageCount`: transactions per block.
    #[serde(default = "default_max_message_count")]
    pub max_message_count: u32,
    /// Fabric `PreferredMaxBytes`: a block is cut once its transactions reach this size.
    #[serde(default = "default_preferred_max_bytes")]
    pub preferred_max_bytes: u64,
    /// Least election timeout; each wait is drawn uniformly from [this,
    /// `election_timeout_max_ms`). Fabric: `ElectionTick` 10 × `TickInterval` 500 ms.
    #[serde(default = "default_election_timeout_ms")]
    pub election_timeout_ms: f64,
    /// Upper end of the election timeout; absent, twice `election_timeout_ms` (Ongaro &
    /// Ousterhout's [T, 2T)); equal to it, the timeout is fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_timeout_max_ms: Option<f64>,
    /// How each wait is taken from the range: `random` (a uniform draw from the node's
    /// stream) or `by_node` (no randomness: orderer `i` of `k` always waits
    /// min + (max − min) · i / k).
    #[serde(default)]
    pub election_timeout_spread: TimeoutSpread,
    /// Leader heartbeat period (Fabric: `HeartbeatTick` 1 × `TickInterval` 500 ms).
    #[serde(default = "default_heartbeat_ms")]
    pub heartbeat_ms: f64,
    /// Time a peer spends validating one block before committing it, after the per-transaction
    /// checks on its cores when `validators.execution` is set.
    #[serde(default = "default_block_validation_ms")]
    pub block_validation_ms: f64,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutSpread {
    #[default]
    Random,
    ByNode,
}

fn default_orderers() -> u32 {
    3
}
fn default_endorsers() -> u32 {
    2
}
fn default_batch_timeout_ms() -> f64 {
    2000.0
}
fn default_max_message_count() -> u32 {
    500
}
fn default_preferred_max_bytes() -> u64 {
    2 * 1024 * 1024
}
fn default_election_timeout_ms() -> f64 {
    5000.0
}
fn default_heartbeat_ms() -> f64 {
    500.0
}
fn default_block_validation_ms() -> f64 {
    50.0
}

impl Default for Raft {
    fn default() -> Self {
        Raft {
            orderers: default_orderers(),
            endorsers: default_endorsers(),
            batch_timeout_ms: default_batch_timeout_ms(),
            max_message_count: default_max_message_count(),
            preferred_max_bytes: default_preferred_max_bytes(),
            election_timeout_ms: default_election_timeout_ms(),
            election_timeout_max_ms: None,
            election_timeout_spread: TimeoutSpread::default(),
            heartbeat_ms: default_heartbeat_ms(),
            block_validation_ms: default_block_validation_ms(),
        }
    }
}
