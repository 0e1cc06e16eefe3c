//! Problems of network tables however they were given: listed in the scenario (the validator
//! names them by field path) or read from a file (the reader names them by row and column).

use std::collections::HashMap;

use super::{List, MAX_OUTBOUND, MAX_TIME_S, MIN_BANDWIDTH_BPS, Num};
use crate::scenario::RegionRow;

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

/// The part of a `[degree, weight]` pair a problem is about.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DegreeField {
    Degree,
    Weight,
}

/// One problem of a degree table: in pair `row` (`None`: the table as a whole).
#[derive(Clone, Debug, PartialEq)]
pub struct DegreeProblem {
    pub row: Option<usize>,
    pub field: DegreeField,
    pub value: String,
    pub allowed: String,
}

/// Every problem of a degree table: degrees 1 to the outbound limit, each once, weights
/// finite and >= 0, and some weight positive.
pub fn degree_problems(pairs: &[(u32, f64)]) -> Vec<DegreeProblem> {
    let mut out = Vec::new();
    let mut push = |row, field, value: String, allowed: String| {
        out.push(DegreeProblem {
            row,
            field,
            value,
            allowed,
        })
    };
    let mut seen: HashMap<u32, usize> = HashMap::new();
    let mut weights_ok = true;
    for (i, &(d, w)) in pairs.iter().enumerate() {
        if !(1..=MAX_OUTBOUND).contains(&d) {
            push(
                Some(i),
                DegreeField::Degree,
                d.to_string(),
                format!("a degree must be >= 1 and <= {MAX_OUTBOUND}"),
            );
        } else if let Some(first) = seen.insert(d, i) {
            push(
                Some(i),
                DegreeField::Degree,
                d.to_string(),
                format!(
                    "is also the degree of entry {}: degrees must be unique",
                    first + 1
                ),
            );
        }
        if !(w.is_finite() && w >= 0.0) {
            weights_ok = false;
            push(
                Some(i),
                DegreeField::Weight,
                Num(w).to_string(),
                "a weight must be a finite number >= 0".into(),
            );
        }
    }
    if weights_ok && !pairs.iter().any(|p| p.1 > 0.0) {
        let weights: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        push(
            None,
            DegreeField::Weight,
            List(&weights).to_string(),
            "needs at least one positive weight".into(),
        );
    }
    out
}
