//! Failures while writing a run's outputs, each naming the file that could not be written.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot build table for {}: {source}", path.display())]
    Table {
        path: PathBuf,
        source: polars::error::PolarsError,
    },
    #[error("cannot draw chart {}: {message}", path.display())]
    Chart { path: PathBuf, message: String },
    /// The checksum manifest could not be written (the message names the file).
    #[error("{0}")]
    Manifest(String),
}
