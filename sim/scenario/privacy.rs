//! Privacy: who watches a run (`observers:`), how devices sign (`devices[i].identity`), and
//! what devices and gateways do to hide (`devices[i].mitigation`, `gateways.mix`). Absent,
//! nothing is observed, devices keep one key, and the run is what it was before.

use serde::{Deserialize, Serialize};

use super::tagged::tagged_enum;

fn default_window_s() -> f64 {
    60.0
}

tagged_enum! {
    tag = "kind", twin = ObserverTwin as "Observer";
    /// An insider who records what reaches it. `name` (default `<kind>_<id>`) names its row of
    /// the `privacy` table and its summary metrics; `window_s` is the time window its
    /// anonymity sets are counted over.
    #[derive(Clone, Debug, PartialEq)]
    pub enum Observer {
        /// A validator: sees what its family delivers to it (see the privacy section of
        /// scenarios/README.md). Under Raft ordering a peer may be joined to some channels
        /// only, named by the device groups whose transactions they carry.
        Validator {
            node: u32,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            channels: Option<Vec<String>>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            name: Option<String>,
            #[serde(default = "default_window_s")]
            window_s: f64,
        },
        /// A gateway's operator: sees its devices' uplinks as they arrive.
        Gateway {
            gateway: u32,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            name: Option<String>,
            #[serde(default = "default_window_s")]
            window_s: f64,
        },
        /// A passive network observer at the listed validators: sees when each transaction
        /// first reaches one of them, and from which peer.
        Network {
            nodes: Vec<u32>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            name: Option<String>,
            #[serde(default = "default_window_s")]
            window_s: f64,
        },
    }
}

impl Observer {
    pub fn kind(&self) -> &'static str {
        match self {
            Observer::Validator { .. } => "validator",
            Observer::Gateway { .. } => "gateway",
            Observer::Network { .. } => "network",
        }
    }

    /// Its name as given, or `<kind>_<id>` (`network_<first node>` for a network observer).
    pub fn name(&self) -> String {
        let (given, id) = match self {
            Observer::Validator { name, node, .. } => (name, *node),
            Observer::Gateway { name, gateway, .. } => (name, *gateway),
            Observer::Network { name, nodes, .. } => (name, nodes.first().copied().unwrap_or(0)),
        };
        given
            .clone()
            .unwrap_or_else(|| format!("{}_{id}", self.kind()))
    }

    pub fn window_s(&self) -> f64 {
        match self {
            Observer::Validator { window_s, .. }
            | Observer::Gateway { window_s, .. }
            | Observer::Network { window_s, .. } => *window_s,
        }
    }
}

/// How often a device changes the key it signs with: every `rotate_every_tx` transactions, or
/// every `rotate_every_s` seconds of the simulation clock (all devices at once); give one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_every_tx: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_every_s: Option<f64>,
}

/// What a device does to hide its timing and size, at a cost the run reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mitigation {
    /// A random wait between a reading being ready to leave and its upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Delay>,
    /// Every transaction padded to this many bytes (a larger one is sent as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pad_to_bytes: Option<u32>,
}

tagged_enum! {
    tag = "dist", twin = DelayTwin as "Delay";
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub enum Delay {
        /// Uniform on `[0, max_s)`.
        Uniform { max_s: f64 },
        /// Exponential with mean `mean_s`.
        Exponential { mean_s: f64 },
    }
}
