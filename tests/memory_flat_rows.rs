//! Closed `blocks` rows go to a file of the output's staging folder a chunk at a time
//! (`metrics::spill`), so the rows held in memory are the open ones and one chunk, whatever
//! the length of the run, and the tables written from the file are those built whole.

mod common;

use std::path::{Path, PathBuf};

use unchained::consensus::pbft::Pbft;
use unchained::metrics::RunOutput;
use unchained::metrics::spill::Spill;
use unchained::scenario::{Consensus, Scenario};
use unchained::world::{Progress, run_with_rows};

/// Rows a chunk holds in these tests: small, so that a 600 s run already spills.
const CHUNK: usize = 500;

/// One batch per request: a `blocks` row per transaction, as the notary makes.
fn scenario(duration_s: u32) -> Scenario {
    common::scenario(&format!(
        "
duration_s: {duration_s}
devices:
  - {{ count: 200, workload: {{ model: periodic, interval_s: 20, jitter_s: 2 }} }}
gateways: {{ count: 10 }}
validators: {{ count: 4 }}
consensus: {{ protocol: pbft, batch_max_tx: 1, batch_timeout_ms: 50 }}
"
    ))
}

/// The output, the most rows held at once, and the rows written to disk, with the rows going
/// to a spill in `dir` when given.
fn run(s: &Scenario, dir: Option<&Path>) -> (RunOutput, usize, u64) {
    let Consensus::Pbft(p) = &s.consensus else {
        unreachable!("pbft")
    };
    let pbft = Pbft::new(p, s.validators.count as u32);
    let spill = dir.map(|d| Spill::with_chunk(d, CHUNK).expect("spill file"));
    let (out, pbft, _) = run_with_rows(s, pbft, &Progress::hidden(), spill).expect("runs");
    assert!(out.conservation.holds(), "{:?}", out.conservation);
    let spilled = out.blocks_spilled.as_ref().map_or(0, |s| s.rows());
    (out, pbft.peak_rows_held(), spilled)
}

/// A fresh folder for a spill file.
fn folder(tag: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("unchained-rows-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

/// Four times the simulated time makes four times the rows, yet the rows held at once stay
/// one chunk and the rows open: under 1.2 × + 100 of the short run's, and under a chunk and
/// 100. Kept to the end, they would be every row of the run (3,000 then 12,000 or so).
#[test]
fn rows_held_stay_one_chunk_and_the_open_ones() {
    let mut held = Vec::new();
    for duration_s in [600, 2400] {
        let dir = folder(&format!("flat-{duration_s}"));
        let (out, peak, spilled) = run(&scenario(duration_s), Some(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
        let rows = spilled + out.blocks.len() as u64;
        eprintln!(
            "{duration_s} s: {rows} rows, {spilled} written as the run went, {peak} held at most"
        );
        held.push((rows, peak));
    }
    let [(short_rows, short_peak), (long_rows, long_peak)] = held[..] else {
        unreachable!("two runs")
    };
    assert!(long_rows > 3 * short_rows, "{long_rows} vs {short_rows}");
    assert!(
        short_rows > 4 * CHUNK as u64,
        "{short_rows} rows: the short run must spill"
    );
    assert!(
        long_peak as f64 <= 1.2 * short_peak as f64 + 100.0,
        "{long_peak} vs {short_peak}"
    );
    assert!(long_peak <= CHUNK + 100, "{long_peak} held");
}

/// The `blocks` table merged from eleven chunks and the rows still held is byte for byte the
/// one built from all rows in memory, and so is every other file; the spill file is gone from
/// the folder.
#[test]
fn tables_written_from_the_spill_are_those_built_whole() {
    let s = scenario(600);
    let (out, _, none) = run(&s, None);
    assert_eq!(none, 0);
    let whole = common::output_files(&out, "rows-whole");
    let dir = folder("spill");
    let (out, _, spilled) = run(&s, Some(&dir));
    assert!(spilled > 4 * CHUNK as u64, "{spilled} rows spilled");
    let streamed = common::output_files(&out, "rows-streamed");
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "spill file left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(whole.contains_key("blocks.parquet"));
    assert_eq!(
        whole.keys().collect::<Vec<_>>(),
        streamed.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &whole {
        assert!(bytes == &streamed[name], "{name} differs");
    }
}

/// A sweep's run sends its closed rows to its temporary folder as `unchained run` does: over
/// a sweep of a notary (a row per transaction) at 600 and 2,400 s, the rows still held at the
/// end stay under a chunk and the open ones while the rows grow fourfold, and the folder holds
/// the tables only. Held to the end, they would be every row (about 30,000 then 120,000).
#[test]
fn a_sweep_run_holds_one_chunk_of_rows() {
    let dir = folder("sweep");
    std::fs::write(
        dir.join("base.yaml"),
        "duration_s: 600\n\
         devices: [{ count: 1000, workload: { model: periodic, interval_s: 20, jitter_s: 2 } }]\n\
         gateways: { count: 10 }\nvalidators: { count: 4 }\n\
         consensus: { protocol: notary, cluster: { model: single } }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("sweep.yaml"),
        "name: notary-rows\nscenario: base.yaml\nseeds: 1\naxes:\n  duration_s: [600, 2400]\n",
    )
    .unwrap();
    let sweep = unchained::sweep::load(&dir.join("sweep.yaml")).expect("sweep");
    let chunk = unchained::metrics::spill::CHUNK;
    let mut runs = Vec::new();
    for p in 0..2 {
        let at = dir.join(format!("point={p}"));
        std::fs::create_dir_all(&at).unwrap();
        let out = unchained::sweep::run_in(&sweep, p, 0, &at).expect("runs");
        assert!(out.conservation.holds(), "{:?}", out.conservation);
        let spilled = out.blocks_spilled.as_ref().map_or(0, |s| s.rows());
        let held = out.blocks.len();
        eprintln!(
            "point {p}: {} rows, {spilled} written as the run went, {held} held at the end",
            spilled + held as u64
        );
        let hidden: Vec<_> = std::fs::read_dir(&at)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "left in the run folder: {hidden:?}");
        runs.push((spilled + held as u64, held));
    }
    std::fs::remove_dir_all(&dir).unwrap();
    let [(short_rows, _), (long_rows, long_held)] = runs[..] else {
        unreachable!("two runs")
    };
    assert!(long_rows > 3 * short_rows, "{long_rows} vs {short_rows}");
    assert!(
        long_rows > 4 * chunk as u64,
        "{long_rows} rows: the long run must spill"
    );
    assert!(long_held <= chunk + 1000, "{long_held} held");
}
