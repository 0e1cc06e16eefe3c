//! Checks of `observers:`, `devices[i].identity`, `devices[i].mitigation` and `gateways.mix`.

use std::collections::HashMap;

use super::{Checker, MAX_TX_BYTES, NonNeg, Pos, Quoted};
use crate::scenario::{Consensus, Delay, Observer, Radio, Scenario};

impl Checker<'_> {
    pub(super) fn privacy(&mut self, s: &Scenario) {
        for (i, g) in s.devices.iter().enumerate() {
            let p = format!("devices[{i}]");
            if let Some(id) = &g.identity {
                match (id.rotate_every_tx, id.rotate_every_s) {
                    (Some(_), Some(_)) | (None, None) => self.report(
                        &format!("{p}.identity"),
                        "{..}",
                        "must give exactly one of rotate_every_tx and rotate_every_s",
                    ),
                    (Some(0), None) => {
                        self.report(&format!("{p}.identity.rotate_every_tx"), 0, "must be >= 1")
                    }
                    (Some(_), None) => {}
                    (None, Some(t)) => {
                        self.time(&format!("{p}.identity.rotate_every_s"), t, Pos);
                    }
                }
            }
            let Some(m) = &g.mitigation else { continue };
            if let Some(pad) = m.pad_to_bytes
                && !(1..=MAX_TX_BYTES).contains(&pad)
            {
                self.report(
                    &format!("{p}.mitigation.pad_to_bytes"),
                    pad,
                    format!("must be >= 1 and <= {MAX_TX_BYTES}"),
                );
            }
            if let Some(d) = &m.delay {
                let (field, v) = match *d {
                    Delay::Uniform { max_s } => ("max_s", max_s),
                    Delay::Exponential { mean_s } => ("mean_s", mean_s),
                };
                self.time(&format!("{p}.mitigation.delay.{field}"), v, NonNeg);
            }
        }
        if s.gateways.mix && s.gateways.batch_interval_ms <= 0.0 {
            self.report(
                "gateways.mix",
                true,
                "needs gateways.batch_interval_ms > 0 (only a batch has an order to mix)",
            );
        }
        self.observers(s);
    }

    fn observers(&mut self, s: &Scenario) {
        let validators = s.validators.count;
        let mut names: HashMap<String, usize> = HashMap::new();
        let lora = s
            .devices
            .iter()
            .any(|g| matches!(g.radio, Some(Radio::Lorawan(_))));
        for (i, o) in s.observers.iter().enumerate() {
            let p = format!("observers[{i}]");
            let name = o.name();
            if name.is_empty()
                || name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                self.report(
                    &format!("{p}.name"),
                    Quoted(&name),
                    "must be 1 to 64 characters of a-z, 0-9 and _ (it names summary metrics)",
                );
            } else if let Some(&first) = names.get(&name) {
                self.report(
                    &format!("{p}.name"),
                    Quoted(&name),
                    format!("must be unique: observers[{first}] has the same name"),
                );
            } else {
                names.insert(name, i);
            }
            self.time(&format!("{p}.window_s"), o.window_s(), Pos);
            match o {
                Observer::Validator { node, channels, .. } => {
                    self.node_id(&format!("{p}.node"), *node, validators);
                    if let Some(ch) = channels {
                        self.channels(&p, *node, ch, s);
                    }
                }
                Observer::Gateway { gateway, .. } => {
                    if u64::from(*gateway) >= s.gateways.count {
                        self.report(
                            &format!("{p}.gateway"),
                            gateway,
                            format!("must be < gateways.count ({})", s.gateways.count),
                        );
                    }
                    if lora {
                        self.report(
                            &format!("{p}.kind"),
                            "gateway",
                            "is not available with a LoRaWAN group: its frames reach every \
                             gateway in range, which gateway observers do not model yet",
                        );
                    }
                }
                Observer::Network { nodes, .. } => {
                    if nodes.is_empty() {
                        self.report(&format!("{p}.nodes"), "[]", "must list at least one node");
                    }
                    let mut seen = HashMap::new();
                    for (k, &v) in nodes.iter().enumerate() {
                        let path = format!("{p}.nodes[{k}]");
                        self.node_id(&path, v, validators);
                        if let Some(first) = seen.insert(v, k) {
                            self.report(
                                &path,
                                v,
                                format!("must be unique: nodes[{first}] is the same"),
                            );
                        }
                    }
                }
            }
        }
    }

    fn node_id(&mut self, path: &str, v: u32, validators: u64) {
        if u64::from(v) >= validators {
            self.report(
                path,
                v,
                format!("must be < validators.count ({validators})"),
            );
        }
    }

    /// Channels exist under Raft ordering only; a peer joins them, an orderer orders them all.
    fn channels(&mut self, p: &str, node: u32, channels: &[String], s: &Scenario) {
        let path = format!("{p}.channels");
        let Consensus::Raft(r) = &s.consensus else {
            self.report(
                &path,
                format!("{channels:?}"),
                "is only for protocol: raft (Fabric channels)",
            );
            return;
        };
        if node < r.orderers {
            self.report(
                &path,
                format!("{channels:?}"),
                format!(
                    "must not be set for an orderer (node {node} < orderers = {}): the ordering \
                     service orders every channel",
                    r.orderers
                ),
            );
        }
        for (k, c) in channels.iter().enumerate() {
            if !s.devices.iter().any(|g| &g.name == c) {
                let groups: Vec<&str> = s.devices.iter().map(|g| g.name.as_str()).collect();
                self.report(
                    &format!("{path}[{k}]"),
                    Quoted(c),
                    format!("must name a device group (one of {groups:?})"),
                );
            }
        }
    }
}
