//! Reading one of our Parquet tables back as untrusted input: only from a folder whose
//! manifest checked out, with the columns and types the reader needs checked before the data
//! is decoded, and with any panic inside polars' reader caught and turned into an error that
//! names the file. (A corrupt page can make polars' decoder panic; the manifest catches
//! accidental damage first, this catches what a forged manifest lets through.)

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use polars::prelude::*;
use polars_buffer::Buffer;
use polars_parquet::parquet::page::CompressedPage;
use polars_parquet::parquet::read::get_page_iterator;
use polars_parquet::read::FileMetadata;

use crate::manifest::Verified;

/// The type a reader needs of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Float,
    Integer,
    Bool,
}

impl Kind {
    fn holds(self, t: &ArrowDataType) -> bool {
        use ArrowDataType as A;
        match self {
            Kind::Text => matches!(t, A::Utf8 | A::LargeUtf8 | A::Utf8View),
            Kind::Float => matches!(t, A::Float64),
            Kind::Bool => matches!(t, A::Boolean),
            Kind::Integer => matches!(
                t,
                A::Int8
                    | A::Int16
                    | A::Int32
                    | A::Int64
                    | A::UInt8
                    | A::UInt16
                    | A::UInt32
                    | A::UInt64
            ),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Float => "Float64",
            Kind::Integer => "integer",
            Kind::Bool => "Boolean",
        }
    }
}

/// Column types a table shown whole may hold; anything else (decimals, nested lists,
/// binary) is refused rather than handed to a decoder that may not support it.
fn plain(t: &ArrowDataType) -> bool {
    Kind::Text.holds(t)
        || Kind::Integer.holds(t)
        || Kind::Bool.holds(t)
        || matches!(t, ArrowDataType::Float32 | ArrowDataType::Float64)
}

/// Which columns to decode: only those needed, or every column (each of a plain type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Columns {
    Needed,
    All,
}

/// Reads table `name` of a verified folder: the `need`ed columns must exist with their
/// kinds.
pub fn read(
    folder: &Verified,
    name: &str,
    need: &[(&str, Kind)],
    columns: Columns,
) -> Result<DataFrame, String> {
    let bytes = Buffer::from(folder.read(name)?);
    let path = folder.dir().join(name);
    let df = guarded(&path, || {
        let mut r =
            ParquetReader::new(Cursor::new(bytes.clone())).read_parallel(ParallelStrategy::None);
        let meta = r.get_metadata()?.clone();
        bounded(&meta, &bytes)?;
        let schema = r.schema()?;
        for (col, kind) in need {
            match schema.get(col) {
                None => {
                    polars_bail!(ColumnNotFound: "no column `{col}` ({} expected)", kind.name())
                }
                Some(f) if !kind.holds(&f.dtype) => polars_bail!(
                    SchemaMismatch: "column `{col}` is {:?}, {} expected", f.dtype, kind.name()
                ),
                Some(_) => {}
            }
        }
        let r = match columns {
            Columns::Needed => {
                r.with_columns(Some(need.iter().map(|(c, _)| c.to_string()).collect()))
            }
            Columns::All => {
                if let Some(f) = schema.iter_values().find(|f| !plain(&f.dtype)) {
                    polars_bail!(SchemaMismatch: "column `{}` is {:?}, not a plain number or text", f.name, f.dtype);
                }
                r
            }
        };
        r.finish()
    })?;
    Ok(df)
}

/// Refuses a file whose row groups or pages claim more than its bytes can hold, before
/// polars sizes buffers by those claims: rows beyond `ROWS_PER_BYTE` per byte of the file, a
/// data page with more values than its row group has rows (flat columns only, as all of ours
/// are), or a page that would decompress beyond `INFLATE` times the file.
fn bounded(meta: &FileMetadata, bytes: &Buffer<u8>) -> PolarsResult<()> {
    const ROWS_PER_BYTE: usize = 64;
    const INFLATE: usize = 1024;
    let len = bytes.len();
    let rows: usize = meta
        .row_groups
        .iter()
        .map(|g| g.num_rows())
        .fold(0, usize::saturating_add);
    if rows > ROWS_PER_BYTE.saturating_mul(len) {
        polars_bail!(ComputeError: "claims {rows} rows in {len} bytes");
    }
    for group in &meta.row_groups {
        let rows = group.num_rows();
        for column in group.parquet_columns() {
            let pages = get_page_iterator(column, Cursor::new(bytes.clone()), Vec::new(), len)
                .map_err(|e| polars_err!(ComputeError: "{e}"))?;
            for page in pages {
                let page = page.map_err(|e| polars_err!(ComputeError: "{e}"))?;
                if let CompressedPage::Data(p) = page {
                    if p.num_values() > rows {
                        polars_bail!(ComputeError: "a page claims {} values in a row group of {rows} rows", p.num_values());
                    }
                    if p.uncompressed_size() > INFLATE.saturating_mul(len).max(1 << 20) {
                        polars_bail!(ComputeError: "a page claims {} bytes uncompressed", p.uncompressed_size());
                    }
                }
            }
        }
    }
    Ok(())
}

/// How many guarded reads are in progress: while any is, the panic hook stays silent, so a
/// caught panic in polars (possibly on one of its worker threads) prints nothing.
static QUIET: AtomicUsize = AtomicUsize::new(0);

fn quiet_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.load(Ordering::SeqCst) == 0 {
                previous(info);
            }
        }));
    });
}

/// Runs a polars read; its error or panic becomes one line naming `path`.
fn guarded<T>(path: &Path, read: impl FnOnce() -> PolarsResult<T>) -> Result<T, String> {
    quiet_hook();
    QUIET.fetch_add(1, Ordering::SeqCst);
    let result = catch_unwind(AssertUnwindSafe(read));
    QUIET.fetch_sub(1, Ordering::SeqCst);
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    match result {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(format!(
            "{}: not the table expected: {}",
            path.display(),
            one_line(&e.to_string())
        )),
        Err(payload) => {
            let why = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!(
                "{}: not a readable Parquet table (its decoder failed: {})",
                path.display(),
                one_line(&why)
            ))
        }
    }
}

/// The values of a column read without nulls: a null is an error naming the row.
fn no_nulls<T>(
    values: impl Iterator<Item = Option<T>>,
    name: &str,
    path: &Path,
) -> Result<Vec<T>, String> {
    values
        .enumerate()
        .map(|(i, v)| {
            v.ok_or_else(|| {
                format!(
                    "{}: column {name}, row {i}: empty (null) or out of range",
                    path.display()
                )
            })
        })
        .collect()
}

fn column_error(name: &str, path: &Path) -> impl Fn(PolarsError) -> String {
    move |e| format!("{}: column {name}: {e}", path.display())
}

/// A text column without nulls.
pub fn texts(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<String>, String> {
    let c = df.column(name).and_then(|c| c.str().cloned());
    let c = c.map_err(column_error(name, path))?;
    no_nulls(c.iter().map(|v| v.map(str::to_string)), name, path)
}

/// A Float64 column; a null reads as NaN (a statistic without samples).
pub fn floats(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<f64>, String> {
    let c = df.column(name).and_then(|c| c.f64().cloned());
    let c = c.map_err(column_error(name, path))?;
    Ok(c.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// A Boolean column without nulls.
pub fn flags(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<bool>, String> {
    let c = df.column(name).and_then(|c| c.bool().cloned());
    let c = c.map_err(column_error(name, path))?;
    no_nulls(c.iter(), name, path)
}

/// An integer column without nulls or negatives, as u64.
pub fn counts(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<u64>, String> {
    let c = df.column(name).and_then(|c| c.cast(&DataType::UInt64));
    let c = c.map_err(column_error(name, path))?;
    let c = c.u64().map_err(column_error(name, path))?;
    no_nulls(c.iter(), name, path)
}

/// An integer column without nulls, as u32.
pub fn indices(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<u32>, String> {
    let c = df.column(name).and_then(|c| c.cast(&DataType::UInt32));
    let c = c.map_err(column_error(name, path))?;
    let c = c.u32().map_err(column_error(name, path))?;
    no_nulls(c.iter(), name, path)
}
