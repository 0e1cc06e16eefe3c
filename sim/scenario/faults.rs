//! The optional `faults:` section: what goes wrong during a run, applied by the world to every
//! protocol alike.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    #[serde(default)]
    pub crashes: Vec<Crash>,
    #[serde(default)]
    pub partitions: Vec<Partition>,
    #[serde(default)]
    pub links: Links,
}

/// Validators that stop at `at_s` (and restart at `recover_s`, keeping their state). Either
/// `nodes` names them or `random` says how many to draw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Crash {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<u64>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::count::deserialize_opt_count"
    )]
    pub random: Option<u64>,
    pub at_s: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recover_s: Option<f64>,
}

/// Messages sent between groups during `[from_s, to_s)` are lost. Either `groups` lists the
/// groups (validators listed nowhere form one more group) or `split` puts the first
/// `round(split × validators)` ids on one side and the rest on the other.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Vec<u64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<f64>,
    pub from_s: f64,
    pub to_s: f64,
}

impl Partition {
    /// Group index of each of `n` validators: listed groups in order, then one group for
    /// validators listed nowhere; or `split`'s first `round(split × n)` ids and the rest.
    pub fn group_of(&self, n: u32) -> Vec<u32> {
        match (&self.groups, self.split) {
            (Some(list), _) => {
                let rest = list.len() as u32;
                let mut g = vec![rest; n as usize];
                for (k, ids) in list.iter().enumerate() {
                    for &v in ids {
                        g[v as usize] = k as u32;
                    }
                }
                g
            }
            (None, Some(split)) => {
                let first = (split * n as f64).round() as u32;
                (0..n).map(|v| u32::from(v >= first)).collect()
            }
            (None, None) => vec![0; n as usize],
        }
    }
}

/// Applied to every validator-to-validator message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Links {
    /// Probability that a message is lost.
    #[serde(default)]
    pub loss: f64,
    /// Added to every message's delay.
    #[serde(default)]
    pub extra_delay_ms: f64,
}
