//! Parameters of the XRP Ledger, the notary, the tangle and proof of stake
//! (`consensus: { protocol: xrpl | notary | tangle | pos, … }`).

use serde::{Deserialize, Serialize};

use super::tagged::tagged_enum;

/// XRP Ledger consensus with rippled's timing (`ConsensusParms.h`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Xrpl {
    #[serde(default)]
    pub unl: Unl,
    /// Share of a validator's UNL that must agree (consensus) or validate (full validation).
    #[serde(default = "default_xrpl_quorum")]
    pub quorum: f64,
    #[serde(default = "default_min_close_s")]
    pub ledger_min_close_s: f64,
    #[serde(default = "default_min_consensus_s")]
    pub ledger_min_consensus_s: f64,
    #[serde(default = "default_av_min_consensus_time_s")]
    pub av_min_consensus_time_s: f64,
    /// Heartbeat of the consensus state machine.
    #[serde(default = "default_granularity_s")]
    pub ledger_granularity_s: f64,
    /// An open ledger with no transactions closes after this long.
    #[serde(default = "default_idle_interval_s")]
    pub ledger_idle_interval_s: f64,
}

fn default_xrpl_quorum() -> f64 {
    0.8
}
fn default_min_close_s() -> f64 {
    2.0
}
fn default_min_consensus_s() -> f64 {
    1.95
}
fn default_av_min_consensus_time_s() -> f64 {
    5.0
}
fn default_granularity_s() -> f64 {
    1.0
}
fn default_idle_interval_s() -> f64 {
    15.0
}

tagged_enum! {
    tag = "model", twin = UnlTwin as "Unl";
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum Unl {
        /// Every validator trusts every validator.
        #[default]
        All,
        /// Validators split into two halves (ids below and from `count / 2`); each trusts its own
        /// half plus the first `overlap` share of the other half.
        Cliques { overlap: f64 },
    }
}

/// R3 Corda style: transactions go only to their parties and the notary, which checks that
/// no input state was consumed before and signs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notary {
    #[serde(default)]
    pub cluster: NotaryCluster,
    /// Share of readings whose transaction reuses the state its device's previous transaction
    /// consumed (a double-spend attempt).
    #[serde(default)]
    pub double_spend_share: f64,
    /// Raft cluster: least election timeout; each wait is drawn from `[T, 2T)` (etcd's default).
    #[serde(default = "default_notary_election_ms")]
    pub election_timeout_ms: f64,
    /// Raft cluster: the leader's heartbeat period (etcd's default).
    #[serde(default = "default_notary_heartbeat_ms")]
    pub heartbeat_ms: f64,
    /// BFT cluster: how long a member waits for a request it forwarded to be executed before
    /// it starts a view change (the wait for the new view doubles with each further attempt).
    #[serde(default = "default_notary_view_change_ms")]
    pub view_change_ms: f64,
}

fn default_notary_view_change_ms() -> f64 {
    5000.0
}

fn default_notary_election_ms() -> f64 {
    1000.0
}

fn default_notary_heartbeat_ms() -> f64 {
    100.0
}

impl Default for Notary {
    fn default() -> Self {
        Notary {
            cluster: NotaryCluster::default(),
            double_spend_share: 0.0,
            election_timeout_ms: default_notary_election_ms(),
            heartbeat_ms: default_notary_heartbeat_ms(),
            view_change_ms: default_notary_view_change_ms(),
        }
    }
}

tagged_enum! {
    tag = "model", twin = NotaryClusterTwin as "NotaryCluster";
    /// The notary service: validators `0..nodes` with validator 0 as leader.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum NotaryCluster {
        /// One notary node (validator 0) signs alone.
        #[default]
        Single,
        /// Raft-like: the leader appends to `nodes − 1` followers and signs once a majority
        /// (itself included) holds the entry.
        Raft { nodes: u32 },
        /// BFT-like on 3f + 1 nodes: pre-prepare, all-to-all prepare, commit votes to the leader,
        /// which signs with 2f + 1 commits.
        Bft { faults: u32 },
    }
}

/// IOTA-style tangle: every transaction approves `approvals` earlier ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tangle {
    /// Transactions each new one approves (k; 2 in IOTA).
    #[serde(default = "default_approvals")]
    pub approvals: u32,
    #[serde(default)]
    pub tip_selection: TipSelection,
    #[serde(default)]
    pub confirmation: Confirmation,
    /// Time from tip selection until the transaction is attached and starts propagating
    /// (proof of work; Popov's `h` together with the network delay).
    #[serde(default = "default_pow_s")]
    pub pow_s: f64,
}

fn default_approvals() -> u32 {
    2
}
fn default_pow_s() -> f64 {
    1.0
}

tagged_enum! {
    tag = "model", twin = TipSelectionTwin as "TipSelection";
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum TipSelection {
        /// Each approved transaction drawn uniformly from the tips the issuing node sees.
        #[default]
        Uniform,
        /// Popov's weighted random walk from a transaction `depth_s` old towards the tips,
        /// stepping to an approver `y` of `x` with probability ∝ exp(−alpha·(H_x − H_y)).
        /// A tip is reachable only from starts among its ancestors, and a transaction's ancestors
        /// (doubling each generation of `h` back, up to the λh of a generation) take many `h` to
        /// span the tangle's width: starts within a few `h` strand tips whatever alpha is
        /// (`tests/tangle.rs`), so the default is deep (30 `h` for `pow_s` 1).
        Walk {
            alpha: f64,
            #[serde(default = "default_walk_depth_s")]
            depth_s: f64,
        },
    }
}

fn default_walk_depth_s() -> f64 {
    30.0
}

tagged_enum! {
    tag = "model", twin = ConfirmationTwin as "Confirmation";
    #[derive(Clone, Debug, PartialEq)]
    pub enum Confirmation {
        /// Confirmed once `threshold` transactions approve it directly or indirectly (its
        /// cumulative weight, itself included, reaches `threshold + 1`).
        Weight { threshold: u32 },
        /// Confirmed when a milestone of the coordinator (validator 0), issued every
        /// `interval_s`, approves it directly or indirectly.
        Milestones { interval_s: f64 },
    }
}

impl Default for Confirmation {
    fn default() -> Self {
        Confirmation::Milestones { interval_s: 60.0 }
    }
}

/// Ethereum-style proof of stake (Gasper: Casper FFG finality over slots and epochs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pos {
    /// Slot length (mainnet `SECONDS_PER_SLOT` = 12).
    #[serde(default = "default_slot_s")]
    pub slot_s: f64,
    /// Slots per epoch (mainnet `SLOTS_PER_EPOCH` = 32).
    #[serde(default = "default_slots_per_epoch")]
    pub slots_per_epoch: u32,
    /// How stake is spread over validators (same models as `hash_power`).
    #[serde(default)]
    pub stake: super::HashPower,
    /// Share of total stake whose validators neither propose nor attest (their nodes still
    /// relay and follow the chain).
    #[serde(default)]
    pub offline_stake: f64,
    #[serde(default = "super::nakamoto::default_max_block_bytes")]
    pub max_block_bytes: u64,
    /// Pad every block up to `max_block_bytes` with transactions from outside the simulated
    /// fleet (the rest of the chain's traffic), as for Nakamoto; with `validators.execution`
    /// only as many as still execute by the attestation deadline.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fill_blocks: bool,
}

fn default_slot_s() -> f64 {
    12.0
}
fn default_slots_per_epoch() -> u32 {
    32
}
