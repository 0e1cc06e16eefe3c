//! Parameters of the Byzantine-fault-tolerant protocols (`consensus: { protocol: pbft, … }`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pbft {
    /// Most transactions the primary orders in one batch (one sequence number).
    #[serde(default = "default_batch_max_tx")]
    pub batch_max_tx: u32,
    /// How long the primary waits for a batch to fill after its first request.
    #[serde(default = "default_batch_timeout_ms")]
    pub batch_timeout_ms: f64,
    /// A replica waiting this long without executing anything starts a view change; each
    /// failed attempt doubles it.
    #[serde(default = "default_view_timeout_ms")]
    pub view_timeout_ms: f64,
}

fn default_batch_max_tx() -> u32 {
    100
}
fn default_batch_timeout_ms() -> f64 {
    100.0
}
fn default_view_timeout_ms() -> f64 {
    2000.0
}

impl Default for Pbft {
    fn default() -> Self {
        Pbft {
            batch_max_tx: default_batch_max_tx(),
            batch_timeout_ms: default_batch_timeout_ms(),
            view_timeout_ms: default_view_timeout_ms(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HotStuff {
    /// Most transactions per block.
    #[serde(default = "default_batch_max_tx")]
    pub batch_max_tx: u32,
    /// A replica seeing no proposal this long moves to the next view; consecutive timeouts
    /// double it.
    #[serde(default = "default_view_timeout_ms")]
    pub view_timeout_ms: f64,
    /// How a quorum certificate (carried by every proposal and `NEW-VIEW`) is sized.
    #[serde(default)]
    pub certificate: Certificate,
}

impl Default for HotStuff {
    fn default() -> Self {
        HotStuff {
            batch_max_tx: default_batch_max_tx(),
            view_timeout_ms: default_view_timeout_ms(),
            certificate: Certificate::default(),
        }
    }
}

/// The bytes a HotStuff quorum certificate adds to the message carrying it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Certificate {
    /// Not sized apart from the 100-byte message header (the model before certificates were
    /// sized; kept as the default so that existing outputs stay the same).
    #[default]
    Header,
    /// One signature per quorum member: q Ed25519 signatures with their signers' ids, linear
    /// in the number of validators.
    Signatures,
    /// One aggregate BLS signature and a bitmap of the n validators saying who signed:
    /// constant in n but for the bitmap; votes carry a BLS signature share.
    Aggregate,
}

/// Tendermint's round timeouts follow CometBFT's defaults; each grows by `timeout_delta_ms`
/// per round of the same height.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tendermint {
    /// Most transactions per block.
    #[serde(default = "default_batch_max_tx")]
    pub batch_max_tx: u32,
    /// How long a validator waits for the round's proposal before prevoting nil.
    #[serde(default = "default_timeout_propose_ms")]
    pub timeout_propose_ms: f64,
    /// How long after any 2f+1 prevotes a validator waits for a polka before precommitting nil.
    #[serde(default = "default_timeout_vote_ms")]
    pub timeout_prevote_ms: f64,
    /// How long after any 2f+1 precommits a validator waits for a decision before the next round.
    #[serde(default = "default_timeout_vote_ms")]
    pub timeout_precommit_ms: f64,
    /// Added to every timeout per round.
    #[serde(default = "default_timeout_delta_ms")]
    pub timeout_delta_ms: f64,
}

fn default_timeout_propose_ms() -> f64 {
    3000.0
}
fn default_timeout_vote_ms() -> f64 {
    1000.0
}
fn default_timeout_delta_ms() -> f64 {
    500.0
}

impl Default for Tendermint {
    fn default() -> Self {
        Tendermint {
            batch_max_tx: default_batch_max_tx(),
            timeout_propose_ms: default_timeout_propose_ms(),
            timeout_prevote_ms: default_timeout_vote_ms(),
            timeout_precommit_ms: default_timeout_vote_ms(),
            timeout_delta_ms: default_timeout_delta_ms(),
        }
    }
}

/// What the validators named in `adversary: { kind: byzantine, … }` do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// As leader (primary), send one proposal to one half of the honest replicas and a
    /// conflicting one for the same slot to the other half; as replica, vote for every
    /// proposal seen, both conflicting ones included.
    Equivocate,
    /// Send no votes (nor view-change messages), but otherwise follow the protocol.
    Withhold,
}
