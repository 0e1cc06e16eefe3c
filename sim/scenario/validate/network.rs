//! Checks of the `network:` section, and of region tables however they were given (listed
//! in the scenario or read from a file: the file reader reports the same problems by row and
//! column).

use std::collections::HashMap;

use super::{
    Checker, List, MAX_FULL_MESH_VALIDATORS, MAX_OUTBOUND, MAX_TIME_S, MIN_BANDWIDTH_BPS, Num,
};
use crate::scenario::locate::line_of;
use crate::scenario::{FieldError, Latency, Network, RegionRow, Topology};

/// Most regions a table may hold. Broadcasts group receivers by region up to 64 regions; a
/// table of 256 cities still fits a resolved scenario (which carries it inline) well inside
/// the 1 MiB read limit.
pub const MAX_REGIONS: usize = 256;
/// Longest region name, in bytes.
const MAX_REGION_NAME_BYTES: usize = 64;
/// How far the regions' shares may sum from 1: tables transcribed with four decimals (as
/// SimBlock's) are off by a few 1e-4.
pub const SHARE_TOLERANCE: f64 = 1e-3;

/// The part of a region row a problem is about.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RegionField {
    Name,
    Upload,
    Download,
    Share,
    /// The number of latencies in the row.
    LatencyCount,
    /// The latency to region `j`.
    Latency(usize),
}

/// One problem of a region table: in row `row` (`None`: the table as a whole).
#[derive(Clone, Debug, PartialEq)]
pub struct RegionProblem {
    pub row: Option<usize>,
    pub field: RegionField,
    pub value: String,
    pub allowed: String,
}

/// Every problem of a region table, row by row and then the table's own (count, shares).
pub fn region_problems(rows: &[RegionRow]) -> Vec<RegionProblem> {
    let mut out = Vec::new();
    let mut push = |row, field, value: String, allowed: String| {
        out.push(RegionProblem {
            row,
            field,
            value,
            allowed,
        })
    };
    if rows.is_empty() || rows.len() > MAX_REGIONS {
        push(
            None,
            RegionField::Name,
            format!("{} regions", rows.len()),
            format!("a table needs >= 1 and <= {MAX_REGIONS} regions"),
        );
        return out;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut shares_ok = true;
    for (i, r) in rows.iter().enumerate() {
        let row = Some(i);
        let shown = format!("{:?}", r.name);
        if r.name.trim().is_empty()
            || r.name.len() > MAX_REGION_NAME_BYTES
            || r.name.chars().any(char::is_control)
            || r.name.trim() != r.name
        {
            push(
                row,
                RegionField::Name,
                shown,
                format!(
                    "a region name must be 1 to {MAX_REGION_NAME_BYTES} bytes without control \
                     characters or surrounding spaces"
                ),
            );
        } else if let Some(first) = seen.insert(&r.name, i) {
            push(
                row,
                RegionField::Name,
                shown,
                format!(
                    "is also the name of region {}: names must be unique",
                    first + 1
                ),
            );
        }
        for (field, v) in [
            (RegionField::Upload, r.upload_bps),
            (RegionField::Download, r.download_bps),
        ] {
            if !(v.is_finite() && v >= MIN_BANDWIDTH_BPS) {
                push(
                    row,
                    field,
                    Num(v).to_string(),
                    format!("must be a finite number >= {MIN_BANDWIDTH_BPS} (bit per second)"),
                );
            }
        }
        if !(r.share.is_finite() && (0.0..=1.0).contains(&r.share)) {
            shares_ok = false;
            push(
                row,
                RegionField::Share,
                Num(r.share).to_string(),
                "must be >= 0 and <= 1".into(),
            );
        }
        if r.latency_ms.len() != rows.len() {
            push(
                row,
                RegionField::LatencyCount,
                List(&r.latency_ms).to_string(),
                format!(
                    "needs one latency per region: {}, not {}",
                    rows.len(),
                    r.latency_ms.len()
                ),
            );
        }
        for (j, &v) in r.latency_ms.iter().enumerate() {
            if !(v.is_finite() && (0.0..=MAX_TIME_S * 1e3).contains(&v)) {
                push(
                    row,
                    RegionField::Latency(j),
                    Num(v).to_string(),
                    "must be a finite number >= 0 and <= 10 years (in ms)".into(),
                );
            }
        }
    }
    if shares_ok {
        let sum: f64 = rows.iter().map(|r| r.share).sum();
        if (sum - 1.0).abs() > SHARE_TOLERANCE {
            let shares: Vec<f64> = rows.iter().map(|r| r.share).collect();
            push(
                None,
                RegionField::Share,
                List(&shares).to_string(),
                format!(
                    "the shares sum to {}; they must sum to 1 (within {SHARE_TOLERANCE})",
                    Num(sum)
                ),
            );
        }
    }
    out
}

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
                ..
            } => {
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
}
