//! The `blocks` table of a run whose rows went to disk as it ran (`metrics::spill`): merged
//! back into table order on disk, then written in the bytes a table built whole gives
//! (`parquet_bytes`, `csv_bytes`): the CSV a few thousand rows at a time, the Parquet file a
//! row group at a time and each row group a column at a time, so that what is held is one
//! column of one row group, not the run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::io::parquet::write::get_encodings;
use polars::prelude::*;
use polars_parquet::read::ParquetError;
use polars_parquet::write::{
    Compressor, DynIter, DynStreamingIterator, Encoding, FallibleStreamingIterator, ParquetType,
    RowGroupIterColumns, array_to_columns,
};

use super::{ReportError, csv_writer, parquet_options, parquet_writer, table_error, tables};
use crate::metrics::spill::{CHUNK, Sorted, Spilled};
use crate::metrics::{BlockRow, RunOutput};

/// The merged rows' file in the staging folder, removed once the tables are written.
const SORTED: &str = ".blocks.sorted";

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
/// rows `out` held, then removes the spill's files.
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
    let table = |path: &Path| {
        let path = path.to_path_buf();
        move |source| table_error(&path, source)
    };
    let create = |path: &Path| File::create(path).map(BufWriter::new).map_err(io(path));
    let sorted_path = dir.join(SORTED);
    let merged = spilled.merged(&out.blocks).map_err(io(&sorted_path))?;
    let sorted = Sorted::write(&sorted_path, merged).map_err(io(&sorted_path))?;
    spilled.remove().map_err(io(&sorted_path))?;
    let schema = tables::blocks(&[])
        .map_err(table(&parquet_path))?
        .schema()
        .clone();

    let mut file = create(&parquet_path)?;
    let mut parquet = parquet_writer(&mut file)
        .batched(&schema)
        .map_err(table(&parquet_path))?;
    let fields = parquet.parquet_schema().fields().to_vec();
    let encodings: Vec<Vec<Encoding>> = get_encodings(&schema.to_arrow(CompatLevel::newest()))
        .iter()
        .cloned()
        .collect();
    let mut start = 0;
    for size in row_groups(sorted.rows()) {
        let columns = columns(&sorted, (start, size), fields.clone(), encodings.clone());
        let mut w = parquet.get_writer().lock().expect("parquet writer");
        w.write(size, columns).map_err(table(&parquet_path))?;
        start += size;
    }
    parquet.finish().map_err(table(&parquet_path))?;
    drop(parquet);
    file.flush().map_err(io(&parquet_path))?;
    written.push(parquet_path);

    if csv {
        let mut file = create(&csv_path)?;
        let mut text = csv_writer(&mut file)
            .batched(&schema)
            .map_err(table(&csv_path))?;
        let mut rows = sorted.range(0, sorted.rows()).map_err(io(&sorted_path))?;
        loop {
            let chunk: Vec<BlockRow> = rows
                .by_ref()
                .take(CHUNK)
                .collect::<Result<_, _>>()
                .map_err(io(&sorted_path))?;
            if chunk.is_empty() {
                break;
            }
            let df = tables::blocks(&chunk).map_err(table(&csv_path))?;
            text.write_batch(&df).map_err(table(&csv_path))?;
        }
        text.finish().map_err(table(&csv_path))?;
        drop(text);
        file.flush().map_err(io(&csv_path))?;
        written.push(csv_path);
    }
    sorted.remove().map_err(io(&sorted_path))
}

/// The row group of rows `start..start + size` as the Parquet writer takes it, each column
/// read from `sorted` and encoded only when the writer comes to it (after writing the one
/// before), with the pages and compression polars gives a column of a table written whole
/// (polars-io 0.55, `create_serializer`).
fn columns(
    sorted: &Sorted,
    (start, size): (u64, u64),
    fields: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
) -> RowGroupIterColumns<'static, PolarsError> {
    let sorted = sorted.clone();
    let options = parquet_options();
    let columns =
        fields
            .into_iter()
            .zip(encodings)
            .enumerate()
            .map(move |(c, (field, encoding))| {
                let array = column(&sorted, start, size, c)?;
                let leaf = array_to_columns(array, field, options, &encoding)?
                    .into_iter()
                    .next()
                    .expect("a flat column has one leaf");
                let pages = leaf.map(|page| {
                    page.map_err(|e| {
                        ParquetError::FeatureNotSupported(format!("reraised in polars: {e}"))
                    })
                });
                let compressed = Compressor::new_from_vec(pages, options.compression, vec![])
                    .map_err(PolarsError::from);
                Ok(DynStreamingIterator::new(compressed))
            });
    DynIter::new(columns)
}

/// Column `c` of rows `start..start + size`, built as the whole table builds it
/// (`tables::blocks`), a chunk of rows at a time.
fn column(sorted: &Sorted, start: u64, size: u64, c: usize) -> PolarsResult<ArrayRef> {
    let mut rows = sorted.range(start, size)?;
    let mut whole: Option<Series> = None;
    loop {
        let chunk: Vec<BlockRow> = rows.by_ref().take(CHUNK).collect::<Result<_, _>>()?;
        if chunk.is_empty() {
            break;
        }
        let part = tables::blocks(&chunk)?.columns()[c]
            .as_materialized_series()
            .clone();
        match &mut whole {
            Some(w) => {
                w.append(&part)?;
            }
            None => whole = Some(part),
        }
    }
    let whole = whole.expect("a row group has rows").rechunk();
    Ok(whole.to_arrow(0, CompatLevel::newest()))
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
