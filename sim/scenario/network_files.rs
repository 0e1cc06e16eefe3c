//! Network tables named by file in a scenario, read when it is loaded: a region table
//! (`network.latency.file`) and outbound-degree distributions (`outbound_file`, of the
//! topology or of a node class). The values land in the scenario's inline fields, so the
//! resolved scenario written with each run carries them and runs without the file.
//!
//! Files are untrusted input: any content gives a one-line problem naming the row and
//! column, never a panic. Fields are separated by commas, without quoting; blank lines and
//! lines starting with `#` (comments, e.g. the table's source) are skipped; rows are
//! numbered as lines in the file.

use std::io::Read;
use std::path::Path;

use super::validate::network_tables::{DegreeField, RegionField, degree_problems, region_problems};
use super::{Latency, Network, OutboundModel, RegionRow, Topology};

/// Largest table file read (a 256-region table is about 600 kB).
const MAX_TABLE_BYTES: u64 = 1 << 20;
/// Longest cell echoed in a message.
const SHOWN_CHARS: usize = 40;

/// One file that could not be used: the field naming it, the file name and the problem.
pub struct FileProblem {
    pub path: String,
    pub file: String,
    pub problem: String,
}

/// Reads every file `network` names (relative to `base`) into its inline fields.
pub fn read_network_files(network: &mut Network, base: &Path) -> Vec<FileProblem> {
    let mut problems = Vec::new();
    if let Latency::Table { file, regions } = &mut network.latency
        && let Some(name) = file.clone()
    {
        let read = if regions.is_empty() {
            read_text(base, &name, MAX_TABLE_BYTES).and_then(|text| parse_regions(&text))
        } else {
            Err("give either file or regions, not both".into())
        };
        match read {
            Ok(rows) => *regions = rows,
            Err(problem) => problems.push(FileProblem {
                path: "network.latency.file".into(),
                file: name,
                problem,
            }),
        }
    }
    if let Topology::Random {
        outbound_model,
        outbound_weights,
        outbound_file: Some(name),
        ..
    } = &mut network.topology
    {
        let read = if *outbound_model != OutboundModel::Table {
            Err("is read only with outbound_model: table".into())
        } else if outbound_weights.is_empty() {
            read_text(base, name, MAX_TABLE_BYTES).and_then(|text| parse_degrees(&text))
        } else {
            Err("give either outbound_file or outbound_weights, not both".into())
        };
        match read {
            Ok(pairs) => *outbound_weights = pairs,
            Err(problem) => problems.push(FileProblem {
                path: "network.topology.outbound_file".into(),
                file: name.clone(),
                problem,
            }),
        }
    }
    for (i, class) in network.classes.iter_mut().enumerate() {
        let Some(name) = &class.outbound_file else {
            continue;
        };
        let read = if class.outbound_model != Some(OutboundModel::Table) {
            Err("is read only with outbound_model: table".into())
        } else if class.outbound_weights.is_empty() {
            read_text(base, name, MAX_TABLE_BYTES).and_then(|text| parse_degrees(&text))
        } else {
            Err("give either outbound_file or outbound_weights, not both".into())
        };
        match read {
            Ok(pairs) => class.outbound_weights = pairs,
            Err(problem) => problems.push(FileProblem {
                path: format!("network.classes[{i}].outbound_file"),
                file: name.clone(),
                problem,
            }),
        }
    }
    problems
}

/// The file's text, refusing anything but a regular UTF-8 file of at most `max` bytes (a
/// FIFO or device would block or never end). Every file a scenario names is read here.
pub(super) fn read_text(base: &Path, name: &str, max: u64) -> Result<String, String> {
    let path = base.join(name);
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot be read: {e}"))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    let file = std::fs::File::open(&path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("is larger than {max} bytes, the most read"));
    }
    String::from_utf8(bytes).map_err(|e| format!("is not UTF-8 text ({e})"))
}

/// A cell as shown in a message: quoted, and cut short when long.
fn shown(cell: &str) -> String {
    if cell.chars().count() > SHOWN_CHARS {
        let cut: String = cell.chars().take(SHOWN_CHARS).collect();
        format!("{cut:?}...")
    } else {
        format!("{cell:?}")
    }
}

/// The rows that hold data, with their line numbers, cells trimmed.
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.trim();
        (!line.is_empty() && !line.starts_with('#'))
            .then(|| (i + 1, line.split(',').map(str::trim).collect()))
    })
}

fn number(row: usize, column: &str, cell: &str) -> Result<f64, String> {
    cell.parse::<f64>().map_err(|_| {
        format!(
            "row {row}, column {column} = {}: is not a number",
            shown(cell)
        )
    })
}

const REGION_HEADER: [&str; 4] = ["region", "upload_bps", "download_bps", "share"];

/// A region table: header `region,upload_bps,download_bps,share,<name 1>,…,<name n>`, then
/// one row per region, in the order the header names them, holding its bandwidths, its share
/// of the validators and its one-way latency (ms) to each region.
pub fn parse_regions(text: &str) -> Result<Vec<RegionRow>, String> {
    let mut lines = rows(text);
    let Some((header_row, header)) = lines.next() else {
        return Err("holds no rows: needs the header region,upload_bps,download_bps,share,<region names> and one row per region".into());
    };
    if header.len() < 5 || header[..4] != REGION_HEADER {
        return Err(format!(
            "row {header_row}: the header must be region,upload_bps,download_bps,share \
             followed by the region names, not {}",
            shown(&header.join(","))
        ));
    }
    let names = &header[4..];
    let limit = super::validate::network_tables::MAX_REGIONS;
    if names.len() > limit {
        return Err(format!(
            "row {header_row}: the header names {} regions; a table holds at most {limit}",
            names.len()
        ));
    }
    let mut table = Vec::with_capacity(names.len());
    let mut row_of = Vec::with_capacity(names.len());
    let mut cells_of = Vec::with_capacity(names.len());
    for (row, cells) in lines {
        let i = table.len();
        if i == names.len() {
            return Err(format!(
                "row {row}: more rows than the {} regions the header names",
                names.len()
            ));
        }
        if cells.len() != header.len() {
            return Err(format!(
                "row {row}: has {} fields, the header {}",
                cells.len(),
                header.len()
            ));
        }
        if cells[0] != names[i] {
            return Err(format!(
                "row {row}, column region = {}: must be {} (rows list the regions in the \
                 header's order)",
                shown(cells[0]),
                shown(names[i])
            ));
        }
        let mut latency_ms = Vec::with_capacity(names.len());
        for (j, cell) in cells[4..].iter().enumerate() {
            latency_ms.push(number(row, names[j], cell)?);
        }
        table.push(RegionRow {
            name: cells[0].to_string(),
            upload_bps: number(row, "upload_bps", cells[1])?,
            download_bps: number(row, "download_bps", cells[2])?,
            share: number(row, "share", cells[3])?,
            latency_ms,
        });
        row_of.push(row);
        cells_of.push(cells);
    }
    if table.len() < names.len() {
        return Err(format!(
            "has {} region rows; the header names {}",
            table.len(),
            names.len()
        ));
    }
    match region_problems(&table).into_iter().next() {
        None => Ok(table),
        Some(p) => {
            let column = |f: RegionField| match f {
                RegionField::Name | RegionField::LatencyCount => "region",
                RegionField::Upload => "upload_bps",
                RegionField::Download => "download_bps",
                RegionField::Share => "share",
                RegionField::Latency(j) => names[j],
            };
            Err(match p.row {
                Some(i) => {
                    let cell = match p.field {
                        RegionField::Name | RegionField::LatencyCount => 0,
                        RegionField::Upload => 1,
                        RegionField::Download => 2,
                        RegionField::Share => 3,
                        RegionField::Latency(j) => 4 + j,
                    };
                    format!(
                        "row {}, column {} = {}: {}",
                        row_of[i],
                        column(p.field),
                        shown(cells_of[i][cell]),
                        p.allowed
                    )
                }
                None => format!("column {} = {}: {}", column(p.field), p.value, p.allowed),
            })
        }
    }
}

const DEGREE_HEADER: [&str; 2] = ["degree", "weight"];

/// An outbound-degree distribution: header `degree,weight`, then one row per degree (a whole
/// number of connections) with its weight; weights need not sum to 1.
pub fn parse_degrees(text: &str) -> Result<Vec<(u32, f64)>, String> {
    let mut lines = rows(text);
    let Some((header_row, header)) = lines.next() else {
        return Err("holds no rows: needs the header degree,weight and one row per degree".into());
    };
    if header != DEGREE_HEADER {
        return Err(format!(
            "row {header_row}: the header must be degree,weight, not {}",
            shown(&header.join(","))
        ));
    }
    let limit = super::validate::MAX_OUTBOUND as usize;
    let mut pairs = Vec::new();
    let mut row_of = Vec::new();
    let mut cells_of = Vec::new();
    for (row, cells) in lines {
        if pairs.len() == limit {
            return Err(format!(
                "row {row}: more than {limit} degrees (each from 1 to {limit} at most once)"
            ));
        }
        if cells.len() != 2 {
            return Err(format!(
                "row {row}: has {} fields, the header 2",
                cells.len()
            ));
        }
        let degree = cells[0].parse::<u32>().map_err(|_| {
            format!(
                "row {row}, column degree = {}: is not a whole number of connections",
                shown(cells[0])
            )
        })?;
        pairs.push((degree, number(row, "weight", cells[1])?));
        row_of.push(row);
        cells_of.push(cells);
    }
    if pairs.is_empty() {
        return Err("holds no degree rows after the header".into());
    }
    match degree_problems(&pairs).into_iter().next() {
        None => Ok(pairs),
        Some(p) => Err(match p.row {
            Some(i) => {
                let (column, cell) = match p.field {
                    DegreeField::Degree => ("degree", 0),
                    DegreeField::Weight => ("weight", 1),
                };
                format!(
                    "row {}, column {column} = {}: {}",
                    row_of[i],
                    shown(cells_of[i][cell]),
                    p.allowed
                )
            }
            None => format!("column weight = {}: {}", p.value, p.allowed),
        }),
    }
}
