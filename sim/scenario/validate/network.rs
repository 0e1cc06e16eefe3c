//! Checks of the `network:` section.

use super::network_tables::{RegionField, degree_problems, region_problems};
use super::{Checker, MAX_FULL_MESH_VALIDATORS, MAX_OUTBOUND};
use crate::scenario::locate::line_of;
use crate::scenario::{
    Consensus, FieldError, Latency, Network, OutboundModel, RegionRow, Scenario, Topology, TxRelay,
};

impl Checker<'_> {
    pub(super) fn network(&mut self, network: &Network, validators: u64) {
        self.time_ms("network.processing_ms", network.processing_ms);
        match network.latency {
            Latency::Simblock2019 | Latency::Simblock2015 => {}
            Latency::Constant {
                one_way_ms,
                bandwidth_bps,
            } => {
                self.time_ms("network.latency.one_way_ms", one_way_ms);
                self.bandwidth("network.latency.bandwidth_bps", bandwidth_bps);
            }
            Latency::Table { ref regions, .. } => self.region_table(regions),
        }
        match network.topology {
            Topology::FullMesh => {
                if validators > MAX_FULL_MESH_VALIDATORS {
                    self.report(
                        "network.topology.model",
                        "full_mesh",
                        format!(
                            "allows at most {MAX_FULL_MESH_VALIDATORS} validators, not \
                             {validators} (use model: random for more)"
                        ),
                    );
                }
            }
            Topology::Random {
                outbound,
                max_inbound,
                outbound_model,
                ref outbound_weights,
                ..
            } => {
                self.degree_table(
                    "network.topology",
                    outbound_model == OutboundModel::Table,
                    outbound_weights,
                    (validators > 1 && max_inbound >= 1).then_some(max_inbound),
                );
                if !(1..=MAX_OUTBOUND).contains(&outbound) {
                    self.report(
                        "network.topology.outbound",
                        outbound,
                        format!("must be >= 1 and <= {MAX_OUTBOUND}"),
                    );
                }
                if max_inbound < 1 {
                    self.report("network.topology.max_inbound", max_inbound, "must be >= 1");
                }
                // Every outbound connection is someone's inbound one: n * outbound connections
                // need n * max_inbound slots. (A single validator opens none.)
                if validators > 1
                    && (1..=MAX_OUTBOUND).contains(&outbound)
                    && max_inbound >= 1
                    && outbound > max_inbound
                {
                    self.report(
                        "network.topology.outbound",
                        outbound,
                        format!(
                            "must be <= max_inbound ({max_inbound}), or the validators cannot \
                             accept every outbound connection"
                        ),
                    );
                }
            }
        }
    }

    /// Transactions travel as messages only where the family floods them between validators
    /// by the fastest-path model and builds blocks from what reached the proposer (Nakamoto,
    /// proof of stake); the others send them as their own protocol messages.
    pub(super) fn tx_relay(&mut self, s: &Scenario) {
        let relay = s.network.tx_relay;
        let floods = matches!(s.consensus, Consensus::Nakamoto(_) | Consensus::Pos(_));
        if relay != TxRelay::FastestPath && !floods {
            self.report(
                "network.tx_relay",
                relay.name(),
                "must be fastest_path for this protocol: announce is only for protocol: nakamoto or pos",
            );
        }
    }

    fn region_table(&mut self, rows: &[RegionRow]) {
        for p in region_problems(rows) {
            let base = "network.latency.regions";
            let path = match (p.row, p.field) {
                (None, _) => base.to_string(),
                (Some(i), RegionField::Name) => format!("{base}[{i}].name"),
                (Some(i), RegionField::Upload) => format!("{base}[{i}].upload_bps"),
                (Some(i), RegionField::Download) => format!("{base}[{i}].download_bps"),
                (Some(i), RegionField::Share) => format!("{base}[{i}].share"),
                (Some(i), RegionField::LatencyCount) => format!("{base}[{i}].latency_ms"),
                (Some(i), RegionField::Latency(j)) => format!("{base}[{i}].latency_ms[{j}]"),
            };
            if rows.is_empty() {
                // The list is absent: point at the section.
                self.errors.push(FieldError {
                    path,
                    value: p.value,
                    allowed: "needs at least one region, or `file` naming a CSV table".into(),
                    line: line_of(self.text, "network.latency"),
                });
            } else {
                self.report(&path, p.value, p.allowed);
            }
        }
    }

    /// The degree table of a rule whose fields sit under `at`: needed (and only read) when
    /// `table` is true; no degree drawn may exceed `max_inbound` when given.
    pub(super) fn degree_table(
        &mut self,
        at: &str,
        table: bool,
        pairs: &[(u32, f64)],
        max_inbound: Option<u32>,
    ) {
        let path = format!("{at}.outbound_weights");
        if !table {
            if !pairs.is_empty() {
                self.report(
                    &path,
                    List2(pairs),
                    "is read only with outbound_model: table",
                );
            }
            return;
        }
        if pairs.is_empty() {
            self.errors.push(FieldError {
                path,
                value: "[]".into(),
                allowed: "outbound_model: table needs outbound_weights or outbound_file".into(),
                line: line_of(self.text, at),
            });
            return;
        }
        let problems = degree_problems(pairs);
        for p in &problems {
            let (at, value) = match p.row {
                None => (path.clone(), p.value.clone()),
                Some(i) => (
                    format!("{path}[{i}]"),
                    format!("[{}, {}]", pairs[i].0, super::Num(pairs[i].1)),
                ),
            };
            // Pairs are written inline (`[[8, 1], …]`): point at the list when the pair
            // has no line of its own.
            let line = line_of(self.text, &at).or_else(|| line_of(self.text, &path));
            self.errors.push(FieldError {
                path: at,
                value,
                allowed: p.allowed.clone(),
                line,
            });
        }
        if let Some(cap) = max_inbound
            && problems.is_empty()
            && let Some(&(d, _)) = pairs.iter().filter(|p| p.1 > 0.0).max_by_key(|p| p.0)
            && d > cap
        {
            self.report(
                &path,
                List2(pairs),
                format!(
                    "draws degree {d}; every degree drawn must be <= max_inbound ({cap}), or \
                     the validators cannot accept every outbound connection"
                ),
            );
        }
    }
}

/// `[degree, weight]` pairs, shortened when long.
struct List2<'a>(&'a [(u32, f64)]);

impl std::fmt::Display for List2<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 4;
        f.write_str("[")?;
        for (k, (d, w)) in self.0.iter().take(SHOWN).enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "[{d}, {}]", super::Num(*w))?;
        }
        if self.0.len() > SHOWN {
            write!(f, ", ... ({} in all)", self.0.len())?;
        }
        f.write_str("]")
    }
}
