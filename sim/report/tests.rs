//! The run folder: every table, chart and text written, with the columns each table promises,
//! for a full and an empty run, conservation violations shown, degenerate CDFs drawn, and the
//! leaders table only for families with leaders.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::fixtures::{TempDir, empty, sample};
use super::write_run;
use crate::engine::NS_PER_MS;
use crate::metrics::{LeaderRow, RunOutput};

const FILES: [&str; 23] = [
    "summary.parquet",
    "summary.csv",
    "run.parquet",
    "run.csv",
    "timeseries.parquet",
    "timeseries.csv",
    "latency.parquet",
    "latency.csv",
    "latency_hist.parquet",
    "latency_hist.csv",
    "blocks.parquet",
    "blocks.csv",
    "nodes.parquet",
    "nodes.csv",
    "messages.parquet",
    "messages.csv",
    "scenario.yaml",
    "throughput.png",
    "throughput.svg",
    "settlement_cdf.png",
    "settlement_cdf.svg",
    "block_propagation_cdf.png",
    "block_propagation_cdf.svg",
];

fn written_names(paths: &[PathBuf], dir: &Path) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            assert_eq!(p.parent(), Some(dir));
            p.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect()
}

fn read_parquet(dir: &Path, name: &str) -> DataFrame {
    ParquetReader::new(File::open(dir.join(format!("{name}.parquet"))).unwrap())
        .finish()
        .unwrap()
}

fn columns(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

fn csv_header(dir: &Path, name: &str) -> String {
    let text = fs::read_to_string(dir.join(format!("{name}.csv"))).unwrap();
    text.lines().next().unwrap_or_default().to_string()
}

const EXPECTED_COLUMNS: [(&str, &[&str]); 7] = [
    ("summary", &["metric", "value"]),
    (
        "timeseries",
        &[
            "window_start_s",
            "window_end_s",
            "created_tx_per_s",
            "included_tx_per_s",
            "settled_tx_per_s",
            "online_devices",
            "mempool_tx",
            "pending_tx",
        ],
    ),
    (
        "latency",
        &[
            "stage",
            "quantile",
            "latency_s",
            "beyond_run",
            "reached_only_latency_s",
            "samples",
            "population",
        ],
    ),
    (
        "latency_hist",
        &[
            "stage",
            "bin_low_s",
            "bin_high_s",
            "count",
            "cumulative_share",
            "population",
        ],
    ),
    (
        "blocks",
        &[
            "block",
            "height",
            "miner",
            "mined_at_s",
            "size_bytes",
            "tx_count",
            "propagation_50_s",
            "propagation_90_s",
            "propagation_100_s",
            "stale",
        ],
    ),
    (
        "nodes",
        &[
            "node",
            "region",
            "class",
            "hash_share",
            "stake_share",
            "peers",
            "gateways",
            "blocks_proposed",
            "blocks_main_chain",
            "settled_tx",
            "messages_out",
            "bytes_out",
            "messages_in",
            "bytes_in",
        ],
    ),
    (
        "messages",
        &[
            "carries",
            "message",
            "modeled",
            "messages",
            "bytes",
            "delivered_bytes",
        ],
    ),
];

/// Checks everything that holds for any `RunOutput`; returns the directory for specific checks.
fn write_and_check_common(out: &RunOutput, tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    let paths = write_run(out, &dir.0).unwrap();
    let mut on_disk: Vec<_> = fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = FILES
        .iter()
        .map(|s| s.to_string())
        .chain(["summary.txt".into(), crate::manifest::NAME.into()])
        .collect();
    assert_eq!(written_names(&paths, &dir.0), expected);
    expected.sort();
    assert_eq!(on_disk, expected);

    for (name, cols) in EXPECTED_COLUMNS {
        let df = read_parquet(&dir.0, name);
        assert_eq!(columns(&df), cols, "{name}.parquet");
        assert_eq!(csv_header(&dir.0, name), cols.join(","), "{name}.csv");
    }
    for chart in ["throughput", "settlement_cdf", "block_propagation_cdf"] {
        let png = fs::read(dir.0.join(format!("{chart}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{chart}.png");
        let svg = fs::read_to_string(dir.0.join(format!("{chart}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{chart}.svg");
    }

    let again = TempDir::new(tag);
    write_run(out, &again.0).unwrap();
    for name in FILES
        .iter()
        .copied()
        .chain(["summary.txt", crate::manifest::NAME])
    {
        let a = fs::read(dir.0.join(name)).unwrap();
        let b = fs::read(again.0.join(name)).unwrap();
        assert!(
            a == b,
            "{name} differs between two writes of the same output"
        );
    }
    dir
}

#[test]
fn writes_every_table_chart_and_text() {
    let out = sample();
    let dir = write_and_check_common(&out, "sample");

    let summary = read_parquet(&dir.0, "summary");
    assert_eq!(summary.shape(), (2 + 8, 2));
    let metric = summary.column("metric").unwrap().str().unwrap();
    let value = summary.column("value").unwrap().f64().unwrap();
    assert_eq!(metric.get(0), Some("tx_per_s"));
    assert_eq!(value.get(0), Some(4.5));
    assert_eq!(metric.get(2), Some("tx_created"));
    assert_eq!(value.get(2), Some(100.0));
    assert_eq!(metric.get(8), Some("tx_dropped_buffer_overflow"));
    assert_eq!(metric.get(9), Some("conservation_holds"));
    assert_eq!(value.get(9), Some(1.0));

    assert_eq!(read_parquet(&dir.0, "timeseries").shape(), (3, 8));
    let latency = read_parquet(&dir.0, "latency");
    assert_eq!(latency.shape(), (2, 7));
    assert_eq!(
        latency.column("stage").unwrap().str().unwrap().get(1),
        Some("inclusion")
    );
    assert_eq!(
        latency.column("samples").unwrap().i64().unwrap().get(0),
        Some(81)
    );
    // A quantile beyond the run is a null with its flag set, not a number.
    let lat = latency.column("latency_s").unwrap().f64().unwrap();
    assert_eq!((lat.get(0), lat.get(1)), (Some(0.125), None));
    let beyond = latency.column("beyond_run").unwrap().bool().unwrap();
    assert_eq!((beyond.get(0), beyond.get(1)), (Some(false), Some(true)));

    let blocks = read_parquet(&dir.0, "blocks");
    assert_eq!(blocks.shape(), (3, 10));
    let p100 = blocks.column("propagation_100_s").unwrap().f64().unwrap();
    assert_eq!(p100.null_count(), 1);
    assert_eq!(p100.get(1), None);
    assert_eq!(p100.get(2), Some(3.0));
    assert_eq!(
        blocks.column("stale").unwrap().bool().unwrap().get(2),
        Some(true)
    );
    assert_eq!(
        blocks.column("size_bytes").unwrap().i64().unwrap().get(1),
        Some(1001)
    );

    let nodes = read_parquet(&dir.0, "nodes");
    assert_eq!(nodes.shape(), (2, 14));
    assert_eq!(nodes.column("class").unwrap().null_count(), 2, "no classes");
    // A column that means nothing for the family is null, not zero.
    assert_eq!(nodes.column("stake_share").unwrap().null_count(), 2);
    assert_eq!(
        nodes.column("bytes_in").unwrap().i64().unwrap().get(1),
        Some(901)
    );
    let messages = read_parquet(&dir.0, "messages");
    assert_eq!(messages.shape(), (1, 6));
    assert_eq!(
        messages
            .column("delivered_bytes")
            .unwrap()
            .i64()
            .unwrap()
            .get(0),
        Some(1801)
    );
    assert_eq!(
        nodes.column("region").unwrap().str().unwrap().get(1),
        Some("us-east")
    );
    assert_eq!(
        nodes.column("peers").unwrap().i64().unwrap().get(1),
        Some(5)
    );

    let csv = fs::read_to_string(dir.0.join("blocks.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert!(
        csv.lines().nth(2).unwrap().contains(",,"),
        "None is written as an empty field"
    );

    let yaml = fs::read_to_string(dir.0.join("scenario.yaml")).unwrap();
    assert_eq!(yaml, "# unchained 0.1.0\n# seed: 7\nname: tiny\nseed: 7\n");

    let text = fs::read_to_string(dir.0.join("summary.txt")).unwrap();
    assert!(text.contains("settlement_p50_s  0.1250"), "{text}");
    assert!(
        text.contains("100 = 81 + pending(5 + 4 + 3 + 2) + dropped(5)  [holds]"),
        "{text}"
    );
}

#[test]
fn empty_output_still_writes_everything() {
    let dir = write_and_check_common(&empty(), "empty");
    let summary = read_parquet(&dir.0, "summary");
    assert_eq!(summary.shape(), (8, 2));
    for (name, cols) in EXPECTED_COLUMNS.into_iter().skip(1) {
        assert_eq!(
            read_parquet(&dir.0, name).shape(),
            (0, cols.len()),
            "{name}"
        );
    }
    let svg = fs::read_to_string(dir.0.join("settlement_cdf.svg")).unwrap();
    assert!(svg.contains("no data"));
}

#[test]
fn violated_conservation_is_reported_not_hidden() {
    let mut out = empty();
    out.conservation.created = 3;
    out.conservation.settled = 1;
    let dir = TempDir::new("violated");
    write_run(&out, &dir.0).unwrap();
    let summary = read_parquet(&dir.0, "summary");
    assert_eq!(
        summary.column("value").unwrap().f64().unwrap().get(7),
        Some(0.0)
    );
    let text = fs::read_to_string(dir.0.join("summary.txt")).unwrap();
    assert!(
        text.contains("3 = 1 + pending(0 + 0 + 0 + 0) + dropped(0)  [VIOLATED: 1 accounted for]")
    );
}

#[test]
fn degenerate_cdfs_do_not_panic() {
    let mut out = sample();
    out.settlement_cdf = vec![(0, 1.0)];
    out.block_arrival_cdf = vec![(5 * NS_PER_MS, 0.5), (5 * NS_PER_MS, 1.0)];
    out.timeseries.truncate(1);
    let dir = TempDir::new("degenerate");
    write_run(&out, &dir.0).unwrap();
}

#[test]
fn leaders_table_is_written_only_for_families_with_leaders() {
    let mut out = sample();
    let dir = TempDir::new("no-leaders");
    write_run(&out, &dir.0).unwrap();
    assert!(!dir.0.join("leaders.csv").exists());
    out.leaders = Some(vec![LeaderRow {
        at_s: 5.25,
        event: "elected",
        term: 1,
        node: 2,
    }]);
    let dir = TempDir::new("leaders");
    write_run(&out, &dir.0).unwrap();
    let csv = fs::read_to_string(dir.0.join("leaders.csv")).unwrap();
    assert_eq!(csv, "at_s,event,term,node\n5.25,elected,1,2\n");
    assert!(dir.0.join("leaders.parquet").exists());
}
