//! Scenario files: the YAML schema, its defaults and its validation.
//!
//! Loading is two steps. Parsing (serde) refuses unknown fields and wrong types and reports
//! the YAML line; validation then checks every value's range and the relations between
//! values, and names each offending field by its path (`devices[0].workload.interval_s`).

mod bft;
mod costs;
mod count;
mod energy;
mod error;
mod execution;
mod faults;
pub mod json_schema;
mod ledgers;
pub mod limits;
mod locate;
mod nakamoto;
mod name;
mod network;
mod network_files;
mod privacy;
mod radio;
mod raft;
mod schema;
mod tagged;
mod validate;
mod workload;

pub use bft::*;
pub use costs::Costs;
pub use energy::{Battery, Energy};
pub use error::{FieldError, ScenarioError, one_line};
pub use execution::{Execution, KindTimes};
pub use faults::*;
pub use ledgers::*;
pub(crate) use locate::line_of;
pub use nakamoto::*;
pub use name::{MAX_NAME_BYTES, name_problem};
pub use network::*;
pub use privacy::*;
pub use radio::*;
pub use raft::*;
pub use schema::*;
pub use validate::MAX_VALIDATORS;
pub use workload::{Anchor, EarlyUses};

use std::path::Path;

/// Parses and validates scenario text. `origin` names the source in error messages.
/// Files the scenario names (a gateway CSV, network tables) are read relative to the working directory.
pub fn parse(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    parse_at(text, origin, Path::new("."))
}

/// Parses and validates scenario text whose file names are relative to `base`: the folder of
/// the file the text came from (the working directory for standard input).
pub fn parse_at(text: &str, origin: &str, base: &Path) -> Result<Scenario, ScenarioError> {
    limits::check(text).map_err(|message| ScenarioError::Parse {
        origin: origin.to_string(),
        message,
    })?;
    let mut scenario: Scenario = serde_yaml::from_str(text).map_err(|e| ScenarioError::Parse {
        origin: origin.to_string(),
        message: located(&e),
    })?;
    if let Some(area) = &mut scenario.area
        && let Err(problem) = read_gateway_csv(area, base)
    {
        let path = "area.gateways_csv";
        return Err(ScenarioError::Invalid {
            origin: origin.to_string(),
            errors: vec![FieldError {
                path: path.into(),
                value: format!("{:?}", area.gateways_csv.as_deref().unwrap_or_default()),
                allowed: problem,
                line: locate::line_of(text, path),
            }],
        });
    }
    let unread = network_files::read_network_files(&mut scenario.network, base);
    if !unread.is_empty() {
        return Err(ScenarioError::Invalid {
            origin: origin.to_string(),
            errors: unread
                .into_iter()
                .map(|p| FieldError {
                    line: locate::line_of(text, &p.path),
                    path: p.path,
                    value: format!("{:?}", p.file),
                    allowed: p.problem,
                })
                .collect(),
        });
    }
    let errors = validate::validate(&scenario, text);
    if errors.is_empty() {
        Ok(scenario)
    } else {
        Err(ScenarioError::Invalid {
            origin: origin.to_string(),
            errors,
        })
    }
}

/// serde_yaml's message, with the position it leaves out when that is the start of the text
/// (line 1 column 1, where errors about the top-level mapping point).
pub fn located(e: &serde_yaml::Error) -> String {
    let message = e.to_string();
    match e.location() {
        Some(at) if !message.contains(&format!("line {} column {}", at.line(), at.column())) => {
            format!("{message} at line {} column {}", at.line(), at.column())
        }
        _ => message,
    }
}

/// Reads, parses and validates a scenario file (`-`: standard input).
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let origin = limits::origin(path);
    if !limits::is_stdin(path)
        && let Err(source) = std::fs::metadata(path)
    {
        return Err(ScenarioError::Io {
            path: origin,
            source,
        });
    }
    let text = limits::read(path).map_err(|message| ScenarioError::Parse {
        origin: origin.clone(),
        message,
    })?;
    parse_at(&text, &origin, &limits::folder_of(path))
}

/// The scenario as YAML with every default filled in.
pub fn to_yaml(scenario: &Scenario) -> String {
    let mut resolved = scenario.clone();
    // The coordinates read from a gateway CSV travel inline, so the resolved scenario runs
    // without the file.
    if let Some(area) = &mut resolved.area
        && !area.gateway_coordinates.is_empty()
    {
        area.gateways_csv = None;
    }
    // Tables read from files travel inline too.
    if let Latency::Table { file, .. } = &mut resolved.network.latency {
        *file = None;
    }
    if let Topology::Random { outbound_file, .. } = &mut resolved.network.topology {
        *outbound_file = None;
    }
    let (warmup, measure) = scenario.metrics.window(scenario.duration_s);
    resolved.metrics.warmup_s = Some(warmup);
    resolved.metrics.measure_s = Some(measure);
    serde_yaml::to_string(&resolved).expect("a validated scenario always serialises")
}
