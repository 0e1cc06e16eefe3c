//! Checks of `network.classes`.

use super::network_tables::SHARE_TOLERANCE;
use super::{Checker, MAX_OUTBOUND, Num, Quoted};
use crate::scenario::{Consensus, Latency, Network, NodeClass, OutboundModel, Topology};

/// Most classes a network may hold: with up to 256 regions, a class within a region (a link
/// group) keeps a 16-bit index.
pub const MAX_CLASSES: usize = 64;
/// Longest class name, in bytes.
const MAX_CLASS_NAME_BYTES: usize = 64;
/// Most outbound connections one node draws under `bitcoin2015`.
const BITCOIN_2015_MAX_DEGREE: u32 = 20;

impl Checker<'_> {
    pub(super) fn classes(&mut self, network: &Network, validators: u64, consensus: &Consensus) {
        let classes = &network.classes;
        if classes.is_empty() {
            return;
        }
        if classes.len() > MAX_CLASSES {
            self.report(
                "network.classes",
                format!("{} classes", classes.len()),
                format!("must list at most {MAX_CLASSES} classes"),
            );
            return;
        }
        let regions = region_names(&network.latency);
        let nakamoto = matches!(consensus, Consensus::Nakamoto(_));
        let mut shares_ok = true;
        for (i, class) in classes.iter().enumerate() {
            let at = format!("network.classes[{i}]");
            self.class_name(&at, class, &classes[..i]);
            if !(class.share.is_finite() && (0.0..=1.0).contains(&class.share)) {
                shares_ok = false;
                self.report(
                    &format!("{at}.share"),
                    Num(class.share),
                    "must be >= 0 and <= 1",
                );
            }
            self.class_regions(&at, class, &regions);
            self.class_degrees(&at, class, &network.topology);
            for (field, bps) in [
                ("upload_bps", class.upload_bps),
                ("download_bps", class.download_bps),
            ] {
                if let Some(bps) = bps {
                    self.bandwidth(&format!("{at}.{field}"), bps);
                }
            }
            if let Some(ms) = class.processing_ms {
                self.time_ms(&format!("{at}.processing_ms"), ms);
            }
            for (field, set) in [("relay", class.relay), ("mines", class.mines)] {
                if !set && !nakamoto {
                    self.report(
                        &format!("{at}.{field}"),
                        false,
                        "applies to consensus.protocol: nakamoto only (leave it out)",
                    );
                }
            }
        }
        let order_ok = !nakamoto
            || match classes.iter().position(|c| !c.mines) {
                Some(j) => match classes[j..].iter().position(|c| c.mines) {
                    Some(k) => {
                        self.report(
                            &format!("network.classes[{j}].mines"),
                            false,
                            format!(
                                "a class that does not mine must come after every class that mines \
                             (classes[{}] mines): miners take the first validator ids",
                                j + k
                            ),
                        );
                        false
                    }
                    None => true,
                },
                None => true,
            };
        if shares_ok {
            let sum: f64 = classes.iter().map(|c| c.share).sum();
            if (sum - 1.0).abs() > SHARE_TOLERANCE {
                self.report(
                    "network.classes",
                    format!("shares summing to {}", Num(sum)),
                    format!("the classes' shares must sum to 1 (within {SHARE_TOLERANCE})"),
                );
            } else if nakamoto && order_ok && network.mining_nodes(validators) == Some(0) {
                self.report(
                    "network.classes",
                    format!("no validator in a class that mines of {validators}"),
                    "at least one validator must be in a class with mines: true",
                );
            } else {
                self.class_capacity(network, validators);
            }
        }
    }

    fn class_name(&mut self, at: &str, class: &NodeClass, earlier: &[NodeClass]) {
        let name = &class.name;
        let path = format!("{at}.name");
        if name.trim().is_empty()
            || name.len() > MAX_CLASS_NAME_BYTES
            || name.chars().any(char::is_control)
            || name.trim() != name
        {
            self.report(
                &path,
                Quoted(name),
                format!(
                    "a class name must be 1 to {MAX_CLASS_NAME_BYTES} bytes without control \
                     characters or surrounding spaces"
                ),
            );
        } else if let Some(j) = earlier.iter().position(|c| c.name == *name) {
            self.report(
                &path,
                Quoted(name),
                format!("is also the name of classes[{j}]: names must be unique"),
            );
        }
    }

    fn class_regions(&mut self, at: &str, class: &NodeClass, regions: &[String]) {
        if class.regions.is_empty() {
            return;
        }
        let mut ok = true;
        for (name, &share) in &class.regions {
            let path = format!("{at}.regions.{name}");
            if !regions.contains(name) {
                ok = false;
                self.report(
                    &path,
                    Quoted(name),
                    format!(
                        "is not a region of network.latency: must be one of {}",
                        regions.join(", ")
                    ),
                );
            } else if !(share.is_finite() && (0.0..=1.0).contains(&share)) {
                ok = false;
                self.report(&path, Num(share), "must be >= 0 and <= 1");
            }
        }
        if ok {
            let sum: f64 = class.regions.values().sum();
            if (sum - 1.0).abs() > SHARE_TOLERANCE {
                self.report(
                    &format!("{at}.regions"),
                    format!("shares summing to {}", Num(sum)),
                    format!("a class's region shares must sum to 1 (within {SHARE_TOLERANCE})"),
                );
            }
        }
    }

    fn class_degrees(&mut self, at: &str, class: &NodeClass, topology: &Topology) {
        let Topology::Random { .. } = topology else {
            let set = [
                ("outbound", class.outbound.is_some()),
                ("outbound_model", class.outbound_model.is_some()),
                ("outbound_weights", !class.outbound_weights.is_empty()),
                ("max_inbound", class.max_inbound.is_some()),
            ];
            if let Some((field, _)) = set.iter().find(|(_, set)| *set) {
                self.report(
                    &format!("{at}.{field}"),
                    "set",
                    "is read only with network.topology model: random (a full mesh connects \
                     everyone)",
                );
            }
            return;
        };
        if let Some(k) = class.max_inbound
            && k < 1
        {
            self.report(&format!("{at}.max_inbound"), k, "must be >= 1");
        }
        if let Some(k) = class.outbound
            && !(1..=MAX_OUTBOUND).contains(&k)
        {
            self.report(
                &format!("{at}.outbound"),
                k,
                format!("must be >= 1 and <= {MAX_OUTBOUND}"),
            );
        }
        let table = class.outbound_model == Some(OutboundModel::Table);
        if table || !class.outbound_weights.is_empty() {
            self.degree_table(at, table, &class.outbound_weights, None);
        }
    }

    /// Every outbound connection is someone's inbound one: the classes' largest outbound
    /// draws must fit the inbound slots of all validators.
    fn class_capacity(&mut self, network: &Network, validators: u64) {
        let Topology::Random {
            outbound,
            max_inbound,
            outbound_model,
            outbound_weights,
            ..
        } = &network.topology
        else {
            return;
        };
        if validators < 2 {
            return;
        }
        let largest = |model: OutboundModel, k: u32, pairs: &[(u32, f64)]| match model {
            OutboundModel::Fixed => k,
            OutboundModel::Bitcoin2015 => BITCOIN_2015_MAX_DEGREE,
            OutboundModel::Table => pairs
                .iter()
                .filter(|p| p.1 > 0.0)
                .map(|p| p.0)
                .max()
                .unwrap_or(0),
        };
        let counts = network.class_counts(validators);
        let (mut demand, mut slots) = (0u128, 0u128);
        for (class, &n) in network.classes.iter().zip(&counts) {
            let most = match (class.outbound_model, class.outbound) {
                (Some(m), k) => largest(m, k.unwrap_or(*outbound), &class.outbound_weights),
                (None, Some(k)) => k,
                (None, None) => largest(*outbound_model, *outbound, outbound_weights),
            };
            let most = u64::from(most).min(validators - 1);
            demand += u128::from(n) * u128::from(most);
            slots += u128::from(n) * u128::from(class.max_inbound.unwrap_or(*max_inbound));
        }
        if demand > slots {
            self.report(
                "network.classes",
                format!("up to {demand} outbound connections"),
                format!(
                    "the classes accept at most {slots} inbound connections: raise max_inbound \
                     or lower outbound, or the validators cannot accept every outbound \
                     connection"
                ),
            );
        }
    }
}

/// Region names of the latency model, in table order.
fn region_names(latency: &Latency) -> Vec<String> {
    match latency {
        Latency::Simblock2019 | Latency::Simblock2015 => crate::net::regions::REGION_NAMES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        Latency::Constant { .. } => crate::net::regions::constant(1.0, 1.0).names,
        Latency::Table { regions, .. } => regions.iter().map(|r| r.name.clone()).collect(),
    }
}
