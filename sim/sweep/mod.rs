//! Sweeps: a grid of scenario variants × seeds, run in parallel (optionally one shard of
//! several, e.g. a Slurm array task), stored as hive-partitioned Parquet and merged into a
//! table of means with confidence intervals.

mod charts;
mod exec;
mod latency;
mod merge;
mod path;
mod spec;
mod stats;
mod store;

pub use charts::{Chart, DEFAULT_METRICS, Scale};
pub(crate) use charts::{FONT, PALETTE, SIZE, range, short};
pub use exec::{Outcome, Shard, concurrency, memory_estimate, run, run_in, run_points};
pub use merge::{AxisValues, Combined, combine, read_point};
pub use path::get_path;
pub use spec::Dim;
pub use spec::json_schema;
pub use spec::{
    ChartSpec, MAX_RUNS, Point, Sweep, build, label, load, run_seed, scalar, with_overrides,
};
pub use stats::{Domain, Stats, stats, t975};
pub use store::{Plan, plan_of, read_plan, run_dir, write_plan};

use std::path::{Path, PathBuf};

/// Builds `combined.parquet`/`.csv` and the charts of a sweep folder, then its manifest over
/// those and the plan (each run folder keeps its own); returns the chart files.
pub fn merge(dir: &Path) -> Result<(Combined, Vec<PathBuf>), String> {
    let c = combine(dir)?;
    // Readers take `combined.parquet` for a merged sweep, so it comes last: an interrupted
    // first merge never leaves it without the charts and the CSV.
    let charts = charts::write_all(dir, &c)?;
    merge::write(dir, &c)?;
    let mut sealed: Vec<PathBuf> = [
        "plan.yaml",
        "points.parquet",
        "combined.parquet",
        "combined.csv",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    sealed.extend(charts.iter().cloned());
    crate::manifest::write(dir, &sealed)?;
    Ok((c, charts))
}

/// The plan as text: one line per point, and the number of runs.
pub fn describe(s: &Sweep) -> String {
    let mut out = format!(
        "sweep {}: {} points × {} seeds = {} runs\n",
        s.name,
        s.points.len(),
        s.seeds,
        s.runs()
    );
    let largest = s.scenarios.iter().map(memory_estimate).max().unwrap_or(0);
    for p in &s.points {
        out.push_str(&format!("point={} {}\n", p.index, label(&p.values)));
    }
    out.push_str(&format!(
        "largest run's memory estimate: {:.0} MiB\n",
        largest as f64 / (1 << 20) as f64
    ));
    out
}
