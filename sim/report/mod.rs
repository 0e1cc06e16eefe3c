//! Writes a finished run's outputs into a folder: tables as Parquet and CSV, the resolved
//! scenario, charts as PNG and SVG, and a text summary. Every file is a pure function of the
//! `RunOutput`, so two runs with the same scenario and seed produce byte-identical folders.

mod answer;
pub(crate) mod charts;
mod error;
pub mod html;
mod radio_charts;
mod spilled;
mod svg;
mod tables;
mod text;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod radio_tests;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::metrics::RunOutput;
pub use error::ReportError;

/// Writes every output file into `dir`, which must exist and be empty, and returns the paths
/// in the order they were written; the last is the checksum manifest. Rows the run wrote to
/// disk (`RunOutput::blocks_spilled`) are merged into the `blocks` table and their file
/// removed, so the output can be written once.
pub fn write_run(out: &RunOutput, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    for (name, build) in tables::for_run(out) {
        if let ("blocks", Some(spilled)) = (name, &out.blocks_spilled) {
            spilled::write_blocks(out, spilled, dir, true, &mut written)?;
            continue;
        }
        let parquet = dir.join(format!("{name}.parquet"));
        let csv = dir.join(format!("{name}.csv"));
        let mut df = build(out).map_err(|source| table_error(&parquet, source))?;
        let bytes = parquet_bytes(&mut df).map_err(|source| table_error(&parquet, source))?;
        write_file(&parquet, &bytes, &mut written)?;
        let bytes = csv_bytes(&mut df).map_err(|source| table_error(&csv, source))?;
        write_file(&csv, &bytes, &mut written)?;
    }
    let yaml = text::scenario_yaml(out);
    write_file(&dir.join("scenario.yaml"), yaml.as_bytes(), &mut written)?;
    for chart in charts::Chart::ALL.into_iter().filter(|c| c.applies(out)) {
        written.extend(charts::write(chart, out, dir)?);
    }
    let summary = text::summary_txt(out);
    write_file(&dir.join("summary.txt"), summary.as_bytes(), &mut written)?;
    seal(dir, &mut written)?;
    Ok(written)
}

/// Writes the checksum manifest over `written`, last, so that readers can tell a complete,
/// undamaged folder from anything else.
fn seal(dir: &Path, written: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let manifest = crate::manifest::write(dir, written).map_err(ReportError::Manifest)?;
    written.push(manifest);
    Ok(())
}

/// Writes only the Parquet tables and the resolved scenario: what a sweep keeps of each run.
pub fn write_tables(out: &RunOutput, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    for (name, build) in tables::for_run(out) {
        if let ("blocks", Some(spilled)) = (name, &out.blocks_spilled) {
            spilled::write_blocks(out, spilled, dir, false, &mut written)?;
            continue;
        }
        let parquet = dir.join(format!("{name}.parquet"));
        let mut df = build(out).map_err(|source| table_error(&parquet, source))?;
        let bytes = parquet_bytes(&mut df).map_err(|source| table_error(&parquet, source))?;
        write_file(&parquet, &bytes, &mut written)?;
    }
    let yaml = text::scenario_yaml(out);
    write_file(&dir.join("scenario.yaml"), yaml.as_bytes(), &mut written)?;
    seal(dir, &mut written)?;
    Ok(written)
}

/// A DataFrame as deterministic Parquet bytes (see `parquet_bytes`).
pub fn parquet(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    parquet_bytes(df)
}

/// A DataFrame as CSV bytes with `\n` line ends.
pub fn csv(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    csv_bytes(df)
}

fn table_error(path: &Path, source: PolarsError) -> ReportError {
    ReportError::Table {
        path: path.to_path_buf(),
        source,
    }
}

fn write_file(path: &Path, bytes: &[u8], written: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    written.push(path.to_path_buf());
    Ok(())
}

/// Single-threaded with fixed compression so the bytes never depend on the thread pool or on
/// a future change of polars' defaults. The footer's `created_by` is a constant "Polars".
fn parquet_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut buf = Vec::new();
    parquet_writer(&mut buf).finish(df)?;
    Ok(buf)
}

const COMPRESSION: ParquetCompression = ParquetCompression::Zstd(None);

fn parquet_writer<W: std::io::Write>(to: W) -> ParquetWriter<W> {
    ParquetWriter::new(to)
        .with_compression(COMPRESSION)
        .with_statistics(StatisticsOptions::default())
        .set_parallel(false)
}

/// The options `parquet_writer` gives its pages, for writing a row group a column at a time.
fn parquet_options() -> polars_parquet::write::WriteOptions {
    polars_parquet::write::WriteOptions {
        statistics: StatisticsOptions::default(),
        version: polars_parquet::write::Version::V1,
        compression: COMPRESSION.into(),
        data_page_size: None,
    }
}

fn csv_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut buf = Vec::new();
    csv_writer(&mut buf).finish(df)?;
    Ok(buf)
}

fn csv_writer<W: std::io::Write>(to: W) -> CsvWriter<W> {
    CsvWriter::new(to)
        .include_header(true)
        .with_line_terminator("\n".into())
        .n_threads(1)
}
