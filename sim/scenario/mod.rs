//! Scenario files: the YAML schema, its defaults and its validation.
//!
//! Loading is two steps. Parsing (serde) refuses unknown fields and wrong types and reports
//! the YAML line; validation then checks every value's range and the relations between
//! values, and names each offending field by its path (`devices[0].workload.interval_s`).

mod bft;
mod count;
mod error;
mod faults;
mod locate;
mod raft;
mod schema;
mod validate;

pub use bft::*;
pub use error::{FieldError, ScenarioError};
pub use faults::*;
pub use raft::*;
pub use schema::*;

use std::path::Path;

/// Parses and validates scenario text. `origin` names the source in error messages.
pub fn parse(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    let scenario: Scenario = serde_yaml::from_str(text).map_err(|e| ScenarioError::Parse {
        origin: origin.to_string(),
        message: e.to_string(),
    })?;
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

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: origin.clone(),
        source,
    })?;
    parse(&text, &origin)
}

/// The scenario as YAML with every default filled in.
pub fn to_yaml(scenario: &Scenario) -> String {
    serde_yaml::to_string(scenario).expect("a validated scenario always serialises")
}
