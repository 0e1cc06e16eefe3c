//! The `network:` section: latency and bandwidth tables, jitter, the peer graph, block relay,
//! and node classes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::tagged::tagged_enum;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    #[serde(default)]
    pub latency: Latency,
    #[serde(default)]
    pub jitter: Jitter,
    #[serde(default)]
    pub topology: Topology,
    /// Fixed per-message processing time at the receiver.
    #[serde(default = "default_processing_ms")]
    pub processing_ms: f64,
    /// How blocks cross a hop: `ideal` (one message at full link speed, every copy in
    /// parallel) or `announce` (announce → request → transfer through the sender's shared
    /// upload link).
    #[serde(default)]
    pub relay_model: RelayModel,
    /// How a node's upload link serves its concurrent block transfers under `announce`
    /// (and its transaction transfers under `tx_relay: announce`).
    #[serde(default)]
    pub upload: UploadSharing,
    /// How client transactions travel between validators (Nakamoto and proof of stake only): `fastest_path`
    /// (each reaches every validator along the fastest path of the peer graph, no events) or
    /// `announce` (announce → request → transfer per hop as messages, through the sender's
    /// shared upload link, so each validator's mempool fills at its own pace).
    #[serde(default, skip_serializing_if = "TxRelay::is_default")]
    pub tx_relay: TxRelay,
    /// Node classes (well-connected miners, relays, light nodes…), each with its share of the
    /// validators, region mix, degree, bandwidth and processing time. Classes take contiguous
    /// validator ids in list order. Not set: one class of every validator, as the fields above
    /// describe.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<NodeClass>,
}

/// One class of validators; a field left out takes the network's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeClass {
    pub name: String,
    /// Share of the validators in this class; the classes' shares sum to 1 and are turned
    /// into counts by largest remainder.
    pub share: f64,
    /// Share of the class's validators in each region of the latency table, by region name;
    /// regions left out hold none. Not set: the table's own shares.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub regions: BTreeMap<String, f64>,
    /// Outbound connections each of its nodes opens (`outbound_model: fixed`). Not set, nor
    /// `outbound_model`: the topology's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_model: Option<OutboundModel>,
    /// With `outbound_model: table`: `[degree, weight]` pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbound_weights: Vec<(u32, f64)>,
    /// With `outbound_model: table`: a CSV file (header `degree,weight`) relative to the
    /// scenario file, read into `outbound_weights` when the scenario is loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_file: Option<String>,
    /// Inbound connections each of its nodes accepts. Not set: the topology's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_inbound: Option<u32>,
    /// Upload bandwidth of each of its nodes, replacing its region's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_bps: Option<f64>,
    /// Download bandwidth of each of its nodes, replacing its region's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_bps: Option<f64>,
    /// Processing time of each message at its nodes, replacing `network.processing_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_ms: Option<f64>,
    /// Whether its nodes pass on blocks they did not mine and transactions that did not
    /// enter at them (Nakamoto); `false`: light nodes that only receive.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub relay: bool,
    /// Whether its nodes hold hash power (Nakamoto). Classes that mine come before those that
    /// do not; `consensus.miners` then defaults to the nodes of the mining classes.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub mines: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Network {
    /// Validators in each class, in list order (largest remainder over the shares; one class
    /// of all when none is listed).
    pub fn class_counts(&self, validators: u64) -> Vec<u64> {
        if self.classes.is_empty() {
            return vec![validators];
        }
        let shares: Vec<f64> = self.classes.iter().map(|c| c.share).collect();
        crate::net::regions::apportion(validators, &shares)
    }

    /// With a class that does not mine: the validators of the classes that do (listed first),
    /// who alone hold hash power. `None` when every validator may mine.
    pub fn mining_nodes(&self, validators: u64) -> Option<u64> {
        if self.classes.iter().all(|c| c.mines) {
            return None;
        }
        let counts = self.class_counts(validators);
        Some(
            self.classes
                .iter()
                .zip(&counts)
                .take_while(|(c, _)| c.mines)
                .map(|(_, n)| n)
                .sum(),
        )
    }
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RelayModel {
    /// Every hop is one message of latency + size / min(upload, download), all copies in
    /// parallel at full speed: the model before announce/request relay, kept so earlier
    /// analyses reproduce.
    #[default]
    Ideal,
    /// Announce (inv/headers) → request (getdata) → transfer, BIP 152 compact blocks in low-
    /// and high-bandwidth mode with `getblocktxn` round trips, block data queued on the
    /// sender's upload link.
    Announce,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TxRelay {
    /// A transaction reaches each validator at latency + size × transfer time summed along
    /// the fastest path from where it entered, as if flooded over idle links; the flood's
    /// messages are counted, not simulated. Costs no events: for fleets of any size.
    #[default]
    FastestPath,
    /// Each arriving upload's transactions are announced to every peer (an inventory of
    /// hashes: 36 bytes each for Nakamoto, 37 for proof of stake), requested by a peer that
    /// lacks them from the first announcer, and
    /// sent through the announcer's upload link (`network.upload`), shared with its block
    /// transfers. Costs events per upload × peers × validators: for hundreds to a few
    /// thousand validators.
    Announce,
}

impl TxRelay {
    fn is_default(&self) -> bool {
        *self == TxRelay::FastestPath
    }

    pub fn name(self) -> &'static str {
        match self {
            TxRelay::FastestPath => "fastest_path",
            TxRelay::Announce => "announce",
        }
    }
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UploadSharing {
    /// One transfer at a time, in request order, each at min(sender upload, receiver
    /// download).
    #[default]
    Fifo,
    /// Processor sharing: the upload is split equally among the transfers in progress.
    Fair,
    /// FIFO, and the link stays held until the copy is delivered (latency + transfer +
    /// processing): SimBlock's sender sends its next block message only when the previous one
    /// arrives.
    StopAndWait,
}

fn default_processing_ms() -> f64 {
    2.0
}

impl Default for Network {
    fn default() -> Self {
        Network {
            latency: Latency::default(),
            jitter: Jitter::default(),
            topology: Topology::default(),
            processing_ms: default_processing_ms(),
            relay_model: RelayModel::default(),
            upload: UploadSharing::default(),
            tx_relay: TxRelay::default(),
            classes: Vec::new(),
        }
    }
}

tagged_enum! {
    tag = "model", twin = LatencyTwin as "Latency";
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum Latency {
        /// Six regions with the SimBlock 2019 latency and bandwidth tables and the Bitcoin 2019
        /// node shares.
        #[default]
        Simblock2019,
        /// The same regions with the 2015 tables and shares.
        Simblock2015,
        /// Every pair of validators `one_way_ms` apart with `bandwidth_bps` links (one region).
        Constant { one_way_ms: f64, bandwidth_bps: f64 },
        /// Regions from a CSV `file` (relative to the scenario file; read into `regions` when
        /// the scenario is loaded) or listed in `regions`.
        Table {
            /// A CSV file: header `region,upload_bps,download_bps,share,<region names>`, then
            /// one row per region in the header's order.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            file: Option<String>,
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            regions: Vec<RegionRow>,
        },
    }
}

/// One region of a latency table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionRow {
    pub name: String,
    /// Upload bandwidth of a validator in this region.
    pub upload_bps: f64,
    /// Download bandwidth of a validator in this region.
    pub download_bps: f64,
    /// Share of the validators placed here; the shares of all regions sum to 1.
    pub share: f64,
    /// Mean one-way latency from this region to each region, in list order.
    pub latency_ms: Vec<f64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// The table value exactly.
    #[default]
    None,
    /// Pareto-distributed around the table value with its mean preserved (as SimBlock).
    Pareto,
}

tagged_enum! {
    tag = "model", twin = TopologyTwin as "Topology";
    #[derive(Clone, Debug, PartialEq)]
    pub enum Topology {
        /// Bitcoin-like: every node opens `outbound` connections to uniformly chosen peers that
        /// still accept inbound ones (at most `max_inbound`).
        Random {
            #[serde(default = "default_outbound")]
            outbound: u32,
            #[serde(default = "default_max_inbound")]
            max_inbound: u32,
            /// `fixed`: every node opens `outbound`; `bitcoin2015`: each node draws its count from
            /// the outbound-degree distribution measured by Miller et al. (2015), as SimBlock;
            /// `table`: each node draws its count from `outbound_weights`.
            #[serde(default)]
            outbound_model: OutboundModel,
            /// With `outbound_model: table`: `[degree, weight]` pairs; a node opens `degree`
            /// connections with probability weight / (sum of weights).
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            outbound_weights: Vec<(u32, f64)>,
            /// With `outbound_model: table`: a CSV file (header `degree,weight`) relative to
            /// the scenario file, read into `outbound_weights` when the scenario is loaded.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            outbound_file: Option<String>,
        },
        FullMesh,
    }
}

fn default_outbound() -> u32 {
    8
}
fn default_max_inbound() -> u32 {
    117
}

impl Default for Topology {
    fn default() -> Self {
        Topology::Random {
            outbound: default_outbound(),
            max_inbound: default_max_inbound(),
            outbound_model: OutboundModel::Fixed,
            outbound_weights: Vec::new(),
            outbound_file: None,
        }
    }
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OutboundModel {
    #[default]
    Fixed,
    Bitcoin2015,
    Table,
}
