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
    let bytes = folder.read(name)?;
    let path = folder.dir().join(name);
    let df = guarded(&path, || {
        let mut r = ParquetReader::new(Cursor::new(bytes)).read_parallel(ParallelStrategy::None);
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

/// A text column without nulls.
pub fn texts(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<String>, String> {
    let c = df
        .column(name)
        .and_then(|c| c.str().cloned())
        .map_err(|e| format!("{}: column {name}: {e}", path.display()))?;
    c.iter()
        .enumerate()
        .map(|(i, v)| {
            v.map(str::to_string)
                .ok_or_else(|| format!("{}: column {name}, row {i}: empty (null)", path.display()))
        })
        .collect()
}

/// A Float64 column; a null reads as NaN (a statistic without samples).
pub fn floats(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<f64>, String> {
    let c = df
        .column(name)
        .and_then(|c| c.f64().cloned())
        .map_err(|e| format!("{}: column {name}: {e}", path.display()))?;
    Ok(c.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// A Boolean column without nulls.
pub fn flags(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<bool>, String> {
    let c = df
        .column(name)
        .and_then(|c| c.bool().cloned())
        .map_err(|e| format!("{}: column {name}: {e}", path.display()))?;
    c.iter()
        .enumerate()
        .map(|(i, v)| {
            v.ok_or_else(|| format!("{}: column {name}, row {i}: empty (null)", path.display()))
        })
        .collect()
}

/// An integer column without nulls, as u32.
pub fn indices(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<u32>, String> {
    let c = df
        .column(name)
        .and_then(|c| c.cast(&DataType::UInt32))
        .map_err(|e| format!("{}: column {name}: {e}", path.display()))?;
    let c = c
        .u32()
        .map_err(|e| format!("{}: column {name}: {e}", path.display()))?;
    c.iter()
        .enumerate()
        .map(|(i, v)| {
            v.ok_or_else(|| {
                format!(
                    "{}: column {name}, row {i}: null or out of range",
                    path.display()
                )
            })
        })
        .collect()
}
