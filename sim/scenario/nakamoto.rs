//! Parameters of Nakamoto consensus (`consensus: { protocol: nakamoto, … }`): block
//! intervals, templates, relay and mining power.

use serde::{Deserialize, Serialize};

use super::tagged::tagged_enum;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Nakamoto {
    /// Mean time between blocks of the whole network.
    #[serde(default = "default_block_interval_s")]
    pub block_interval_s: f64,
    /// How block intervals are drawn: `exponential` (each miner a Poisson process at rate
    /// share / `block_interval_s`, as proof of work is) or `fixed` (a block exactly every
    /// `block_interval_s`, its miner drawn by hash share: a scheduled proposer).
    #[serde(default, skip_serializing_if = "BlockIntervals::is_default")]
    pub block_intervals: BlockIntervals,
    /// Which transactions a found block carries: those its miner knows of when it finds it
    /// (`live`: one arriving while the block is mined joins it) or when it started on the
    /// block's parent (`at_start`: one arriving later waits for the next block).
    #[serde(default, skip_serializing_if = "Template::is_default")]
    pub template: Template,
    #[serde(default = "default_max_block_bytes")]
    pub max_block_bytes: u64,
    /// A transaction is settled once its block is this many blocks deep (the block itself
    /// counts as one) in the chain of the validator its gateway reports to.
    #[serde(default = "default_confirmations")]
    pub confirmations: u32,
    /// How many validators mine; the others only relay. Defaults to all.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::count::deserialize_opt_count"
    )]
    pub miners: Option<u64>,
    #[serde(default)]
    pub hash_power: HashPower,
    #[serde(default)]
    pub relay: Relay,
    /// Share of nodes that use compact relay (SimBlock: 0.964); a link uses it only when both
    /// ends do.
    #[serde(default = "default_one")]
    pub compact_nodes: f64,
    /// Probability that a compact block lacks transactions the receiver does not hold
    /// (SimBlock, for nodes that do not churn: 0.13). Under `relay_model: ideal` the whole
    /// block is then sent; under `announce` the receiver asks for the missing ones
    /// (`getblocktxn`).
    #[serde(default)]
    pub compact_failure_rate: f64,
    /// Share of nodes that churn (SimBlock: 0.976, after Imtiaz et al., ICBC 2019); a
    /// churning receiver fails reconstruction at `churn_compact_failure_rate` instead.
    #[serde(default)]
    pub churn_nodes: f64,
    /// Reconstruction failure rate at churning nodes (SimBlock: 0.27).
    #[serde(default)]
    pub churn_compact_failure_rate: f64,
    /// Share of the block a `blocktxn` answer carries under `announce`.
    #[serde(default)]
    pub missing_share: MissingShare,
    /// Size of every compact block; absent, header + nonce + prefilled coinbase + 6 bytes per
    /// transaction (BIP 152). SimBlock sends 18,000 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compact_block_bytes: Option<u64>,
    /// Peers a node asks for unsolicited compact blocks (BIP 152 high-bandwidth mode): the
    /// ones that most recently announced a new block to it first. BIP 152 and Bitcoin Core:
    /// at most 3. `0`: low-bandwidth mode only (SimBlock).
    #[serde(default = "default_high_bandwidth_peers")]
    pub high_bandwidth_peers: u32,
    /// Pad every block to `max_block_bytes` with transactions from outside the simulated fleet
    /// (the rest of the chain's traffic), as block-propagation studies assume full blocks.
    #[serde(default)]
    pub fill_blocks: bool,
    /// Mempool limit: transactions arriving when the not-yet-mined ones already take this
    /// many bytes are dropped with reason `mempool_full` (Bitcoin Core's default `maxmempool`
    /// is 300 MB).
    #[serde(default = "default_max_mempool_bytes")]
    pub max_mempool_bytes: u64,
    /// Block validation time per megabyte (Gervais et al.: 0.174 s per 458,263 B ≈ 0.38 s/MB).
    #[serde(default = "default_validation_s_per_mb")]
    pub validation_s_per_mb: f64,
}

fn default_block_interval_s() -> f64 {
    600.0
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BlockIntervals {
    /// Memoryless finds: the interval between blocks is exponential with mean
    /// `block_interval_s` (Nakamoto 2008, §11).
    #[default]
    Exponential,
    /// Block k is found at exactly k · `block_interval_s` by a miner drawn by hash share
    /// (entity k's own draw); a find due while its miner is down is lost.
    Fixed,
}

impl BlockIntervals {
    fn is_default(&self) -> bool {
        *self == BlockIntervals::Exponential
    }
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// The miner's template follows its mempool to the moment of the find.
    #[default]
    Live,
    /// The template is fixed when the miner starts on a new parent (its own block or one it
    /// adopted, or a restart) and not refreshed until the next.
    AtStart,
}

impl Template {
    fn is_default(&self) -> bool {
        *self == Template::Live
    }
}
fn default_high_bandwidth_peers() -> u32 {
    3
}

tagged_enum! {
    tag = "model", twin = MissingShareTwin as "MissingShare";
    /// Share of a block's bytes missing at a receiver whose compact-block reconstruction
    /// failed.
    #[derive(Clone, Debug, PartialEq)]
    pub enum MissingShare {
        /// Always `share` (default 0.01: SimBlock's table for nodes that do not churn).
        Fixed { share: f64 },
        /// SimBlock's tables, chosen by the sender: 1 % from a node that does not churn; from
        /// a churning one, an empirical distribution (median 1 %, mean 8.7 %, up to 96 %).
        Simblock,
    }
}

impl Default for MissingShare {
    fn default() -> Self {
        MissingShare::Fixed { share: 0.01 }
    }
}
pub(super) fn default_max_block_bytes() -> u64 {
    1_000_000
}
fn default_confirmations() -> u32 {
    6
}
fn default_one() -> f64 {
    1.0
}
fn default_max_mempool_bytes() -> u64 {
    300_000_000
}
fn default_validation_s_per_mb() -> f64 {
    0.38
}

tagged_enum! {
    tag = "model", twin = HashPowerTwin as "HashPower";
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum HashPower {
        #[default]
        Equal,
        /// Miner `i` (1-based) gets a share proportional to `1 / i^exponent`.
        Zipf { exponent: f64 },
        /// Explicit shares, one per miner, normalised to sum to one.
        Shares { shares: Vec<f64> },
        /// Each miner's power drawn from a normal distribution truncated at zero (SimBlock:
        /// mean 400,000, sd 100,000 hashes/ms), then normalised.
        Normal { mean: f64, sd: f64 },
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relay {
    /// Whole blocks are sent to every peer.
    Full,
    /// BIP 152 compact blocks: header plus 6-byte short ids; peers already hold the
    /// transactions.
    #[default]
    Compact,
}
