//! Errors that name what is wrong, where, and what would be accepted instead.

use std::fmt;

/// One invalid value: its dotted path, the value found, what is allowed, and the YAML line
/// where it was found when that can be located.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub path: String,
    pub value: String,
    pub allowed: String,
    pub line: Option<usize>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}: {}", self.path, self.value, self.allowed)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}: invalid scenario: {}", join(errors))]
    Invalid {
        origin: String,
        errors: Vec<FieldError>,
    },
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}
