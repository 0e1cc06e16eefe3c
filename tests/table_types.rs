//! Every table reads back with the same column types from Parquet and from CSV, and the
//! run's metrics keep their types: counts are integers (`seed` is 5, not 5.0), flags are
//! booleans.

mod common;

use polars::prelude::*;
use std::path::Path;

fn parquet(dir: &Path, name: &str) -> DataFrame {
    let file = std::fs::File::open(dir.join(format!("{name}.parquet"))).unwrap();
    ParquetReader::new(file).finish().unwrap()
}

fn csv(dir: &Path, name: &str) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(dir.join(format!("{name}.csv"))))
        .unwrap()
        .finish()
        .unwrap()
}

#[test]
fn integer_metrics_are_integers_in_parquet_and_csv() {
    let out = common::run(&common::scenario(&common::bft_yaml(
        4,
        0.5,
        60.0,
        5.0,
        "consensus: { protocol: pbft }\nmetrics: { window_s: 10 }\n",
    )));
    let dir = std::env::temp_dir().join(format!("unchained-types-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    unchained::report::write_run(&out, &dir).unwrap();

    for name in [
        "summary",
        "run",
        "timeseries",
        "latency",
        "blocks",
        "nodes",
        "messages",
    ] {
        let (p, c) = (parquet(&dir, name), csv(&dir, name));
        assert_eq!(p.get_column_names(), c.get_column_names(), "{name}");
        for col in p.columns() {
            // A column with no value at all (an empty table, a statistic without samples)
            // carries no type in CSV.
            if col.null_count() == col.len() {
                continue;
            }
            let other = c.column(col.name()).unwrap();
            assert_eq!(col.dtype(), other.dtype(), "{name}.{}", col.name());
        }
    }

    let run = parquet(&dir, "run");
    assert_eq!(run.height(), 1);
    for metric in [
        "seed",
        "devices",
        "validators",
        "events",
        "tx_created",
        "tx_measured",
    ] {
        assert_eq!(
            run.column(metric).unwrap().dtype(),
            &DataType::Int64,
            "{metric}"
        );
    }
    assert_eq!(run.column("seed").unwrap().i64().unwrap().get(0), Some(5));
    assert_eq!(
        run.column("pbft_msgs_commit").unwrap().dtype(),
        &DataType::Int64
    );
    for flag in [
        "saturated",
        "drops_high",
        "conservation_holds",
        "settlement_p90_beyond_run",
    ] {
        assert_eq!(
            run.column(flag).unwrap().dtype(),
            &DataType::Boolean,
            "{flag}"
        );
    }
    for float in ["settlement_p50_s", "created_tx_per_s", "settled_share"] {
        assert_eq!(
            run.column(float).unwrap().dtype(),
            &DataType::Float64,
            "{float}"
        );
    }
    let text = std::fs::read_to_string(dir.join("run.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    let seed = header.iter().position(|&h| h == "seed").unwrap();
    assert_eq!(row[seed], "5");
    let holds = header
        .iter()
        .position(|&h| h == "conservation_holds")
        .unwrap();
    assert_eq!(row[holds], "true");
    // The long form agrees with the typed row, metric by metric.
    let long = parquet(&dir, "summary");
    assert_eq!(long.height(), run.width());
    std::fs::remove_dir_all(&dir).unwrap();
}
