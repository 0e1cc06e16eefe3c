//! A point's settlement-latency CDF over all its seeds, from each run's `latency_hist` table:
//! counts add bin by bin (every run bins at the same edges) and so do populations, so the
//! curve ends below one by the share that never settled.

use std::collections::BTreeMap;
use std::path::Path;

use super::store;
use crate::compare::table::{self, Columns, Kind};
use crate::manifest::Verified;

/// The stage the sweep charts overlay.
pub const STAGE: &str = "settlement";

/// `(bin_high_s, cumulative share)` of point `p`, or `None` when its runs hold no
/// `latency_hist` table (written before there was one) or no row of the stage.
pub fn point_cdf(dir: &Path, p: u32, seeds: u32) -> Result<Option<Vec<(f64, f64)>>, String> {
    // Keyed by the bit pattern of a non-negative upper edge, which orders as the edge does.
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    let mut population = 0u64;
    let mut reached = 0u64;
    for k in 0..seeds {
        let run = Verified::open(&store::run_dir(dir, p, k))?;
        if !run.lists("latency_hist.parquet") {
            return Ok(None);
        }
        let path = run.dir().join("latency_hist.parquet");
        let need = [
            ("stage", Kind::Text),
            ("bin_high_s", Kind::Float),
            ("count", Kind::Integer),
            ("population", Kind::Integer),
        ];
        let df = table::read(&run, "latency_hist.parquet", &need, Columns::Needed)?;
        let stage = table::texts(&df, "stage", &path)?;
        let high = table::floats(&df, "bin_high_s", &path)?;
        let count = table::counts(&df, "count", &path)?;
        let pop = table::counts(&df, "population", &path)?;
        let rows: Vec<usize> = (0..stage.len()).filter(|&i| stage[i] == STAGE).collect();
        let mut run_reached = 0u64;
        for &i in &rows {
            run_reached = run_reached.saturating_add(count[i]);
            // The open last bin (beyond 10⁶ s) has no upper edge to place it at.
            if high[i].is_finite() && high[i] >= 0.0 {
                *counts.entry(high[i].to_bits()).or_default() += count[i];
            }
        }
        // A table read from disk is input: a population below the counts is taken as the
        // counts, so no share exceeds one.
        let run_pop = rows.first().map_or(0, |&i| pop[i]).max(run_reached);
        population = population.saturating_add(run_pop);
        reached = reached.saturating_add(run_reached);
    }
    if counts.is_empty() || population == 0 {
        return Ok(None);
    }
    let mut seen = 0u64;
    let curve = counts
        .into_iter()
        .map(|(bits, c)| {
            seen += c;
            (f64::from_bits(bits), seen as f64 / population as f64)
        })
        .collect();
    debug_assert!(seen <= reached);
    Ok(Some(curve))
}
