//! The `blocks` table of a run whose rows went to disk as it ran (`metrics::spill`): merged
//! back into table order and written a Parquet row group at a time, in the bytes a table built
//! whole gives (`parquet_bytes`, `csv_bytes`), holding one row group instead of the run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{ReportError, csv_writer, parquet_writer, table_error, tables};
use crate::metrics::spill::Spilled;
use crate::metrics::{BlockRow, RunOutput};

/// Rows polars puts in a row group when writing a table whole (polars 0.55,
/// `chunk_df_for_writing` and `split_impl`).
const ROW_GROUP: u64 = 512 * 512;

/// The row groups of a table of `n` rows written whole from one chunk: one below
/// [`ROW_GROUP`] rows; above, `n / ROW_GROUP` groups of `n / groups` rows, the last also
/// taking what is left. Writing the same groups one at a time gives the same bytes.
fn row_groups(n: u64) -> Vec<u64> {
    let groups = n / ROW_GROUP;
    if groups <= 1 {
        return vec![n];
    }
    let size = n / groups;
    let mut sizes = vec![size; groups as usize - 1];
    sizes.push(n - size * (groups - 1));
    sizes
}

/// Writes `blocks.parquet` (and `blocks.csv` with `csv`) into `dir` from `spilled` and the
/// rows `out` held, then removes the spill file.
pub(super) fn write_blocks(
    out: &RunOutput,
    spilled: &Spilled,
    dir: &Path,
    csv: bool,
    written: &mut Vec<PathBuf>,
) -> Result<(), ReportError> {
    let parquet_path = dir.join("blocks.parquet");
    let csv_path = dir.join("blocks.csv");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    let create = |path: &Path| File::create(path).map(BufWriter::new).map_err(io(path));
    let table = |path: &Path| {
        let path = path.to_path_buf();
        move |source| table_error(&path, source)
    };
    let schema = tables::blocks(&[])
        .map_err(table(&parquet_path))?
        .schema()
        .clone();
    let mut parquet_file = create(&parquet_path)?;
    let mut csv_file = csv.then(|| create(&csv_path)).transpose()?;
    let mut parquet = parquet_writer(&mut parquet_file)
        .batched(&schema)
        .map_err(table(&parquet_path))?;
    let mut text = match &mut csv_file {
        Some(f) => Some(csv_writer(f).batched(&schema).map_err(table(&csv_path))?),
        None => None,
    };
    let n = spilled.rows() + out.blocks.len() as u64;
    let mut rows = spilled.merged(&out.blocks).map_err(io(&parquet_path))?;
    for size in row_groups(n) {
        let group: Vec<BlockRow> = rows
            .by_ref()
            .take(size as usize)
            .collect::<Result<_, _>>()
            .map_err(io(&parquet_path))?;
        let df = tables::blocks(&group).map_err(table(&parquet_path))?;
        drop(group);
        parquet.write_batch(&df).map_err(table(&parquet_path))?;
        if let Some(text) = &mut text {
            text.write_batch(&df).map_err(table(&csv_path))?;
        }
    }
    parquet.finish().map_err(table(&parquet_path))?;
    drop(parquet);
    parquet_file.flush().map_err(io(&parquet_path))?;
    written.push(parquet_path.clone());
    if let Some(mut text) = text {
        text.finish().map_err(table(&csv_path))?;
    }
    if let Some(mut f) = csv_file {
        f.flush().map_err(io(&csv_path))?;
        written.push(csv_path);
    }
    spilled.remove().map_err(io(&parquet_path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout polars gives a table written whole, worked by hand from its rule.
    #[test]
    fn row_groups_are_those_of_a_table_written_whole() {
        assert_eq!(row_groups(0), [0]);
        assert_eq!(row_groups(151_908), [151_908]);
        assert_eq!(row_groups(262_144), [262_144]);
        assert_eq!(row_groups(524_287), [524_287]);
        assert_eq!(row_groups(524_288), [262_144, 262_144]);
        // 700,001 rows hold 262,144 twice: 2 groups of 350,000, the last with the 1 left.
        assert_eq!(row_groups(700_001), [350_000, 350_001]);
        // 800,000 hold it three times: 266,666 rows each, the last with the 2 left.
        assert_eq!(row_groups(800_000), [266_666, 266_666, 266_668]);
    }
}
