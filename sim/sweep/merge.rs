//! Builds a sweep's combined table from its run folders: per point and metric, mean, standard
//! deviation, 95 % confidence interval and number of seeds.

use std::path::Path;

use polars::prelude::*;

use super::stats::{Domain, stats};
use super::store::{self, Plan};
use crate::compare::table::{self, Columns, Kind};
use crate::manifest::Verified;

/// An axis column of the points table, kept in its type.
#[derive(Clone, Debug)]
pub enum AxisValues {
    Num(Vec<f64>),
    Text(Vec<String>),
}

impl AxisValues {
    pub fn label(&self, i: usize) -> String {
        match self {
            AxisValues::Num(v) => format!("{}", v[i]),
            AxisValues::Text(v) => v[i].clone(),
        }
    }
}

/// The combined table in memory, one row per (point, metric).
pub struct Combined {
    pub plan: Plan,
    /// Per axis, the value at each point.
    pub axes: Vec<(String, AxisValues)>,
    pub point: Vec<u32>,
    pub metric: Vec<String>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    pub ci95_low: Vec<f64>,
    pub ci95_high: Vec<f64>,
    pub n: Vec<u32>,
    /// The statistic lies beyond the run in at least one seed, so its mean does too (the
    /// mean and interval are then null).
    pub beyond_run: Vec<bool>,
    /// Per point, its settlement CDF over all seeds (see `latency::point_cdf`).
    pub cdfs: Vec<Option<Vec<(f64, f64)>>>,
}

/// Metrics that are inputs of a run rather than results; their mean over seeds means nothing.
const SKIP: [&str; 1] = ["seed"];

/// The axis columns of `points.parquet`, one value per planned point.
pub fn read_axes(folder: &Verified, plan: &Plan) -> Result<Vec<(String, AxisValues)>, String> {
    let path = folder.dir().join("points.parquet");
    let need = [("point", Kind::Integer)];
    let df = table::read(folder, "points.parquet", &need, Columns::All)?;
    // Charts and the combined table index axis values by point number: one row per planned
    // point, in order.
    let in_order =
        table::indices(&df, "point", &path).is_ok_and(|c| c.into_iter().eq(0..plan.points));
    if !in_order {
        return Err(format!(
            "{}: expected a `point` column numbering the plan's {} points 0, 1, … in order \
             ({} rows)",
            path.display(),
            plan.points,
            df.height()
        ));
    }
    plan.axes
        .iter()
        .map(|a| {
            let c = df
                .column(a)
                .map_err(|e| format!("{}: column {a}: {e}", path.display()))?;
            let values = match c.dtype() {
                DataType::Float64 => AxisValues::Num(table::floats(&df, a, &path)?),
                _ => AxisValues::Text(table::texts(&df, a, &path)?),
            };
            Ok((a.clone(), values))
        })
        .collect()
}

/// Reads every run of the plan; a missing run is an error, so a merge never silently averages
/// an incomplete sweep.
pub fn combine(dir: &Path) -> Result<Combined, String> {
    // Only the inputs are checked: combined.* and charts/ are what a merge rewrites.
    let top = Verified::open_only(dir, &["plan.yaml", "points.parquet"])?;
    let plan = store::plan_of(&top)?;
    let axes = read_axes(&top, &plan)?;
    let missing: Vec<String> = (0..plan.points)
        .flat_map(|p| (0..plan.seeds).map(move |k| (p, k)))
        .filter(|&(p, k)| !store::run_dir(dir, p, k).join("summary.parquet").is_file())
        .map(|(p, k)| format!("point={p}/seed={k}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{}: {} of {} runs are not complete (first: {}); run the sweep (again) first",
            dir.display(),
            missing.len(),
            plan.runs,
            missing[0]
        ));
    }
    let mut c = Combined::new(plan, axes);
    for p in 0..c.plan.points {
        c.cdfs
            .push(super::latency::point_cdf(dir, p, c.plan.seeds)?);
        for (name, vs) in read_point(dir, p, c.plan.seeds)? {
            if SKIP.contains(&name.as_str()) {
                continue;
            }
            let s = stats(&vs, Domain::of(&name));
            c.beyond_run.push(s.mean == f64::INFINITY);
            c.point.push(p);
            c.metric.push(name);
            c.mean.push(s.mean);
            c.std.push(s.std);
            c.ci95_low.push(s.ci95_low);
            c.ci95_high.push(s.ci95_high);
            c.n.push(s.n as u32);
        }
    }
    Ok(c)
}

/// The summary value of every seed of point `p`, per metric in the order first met.
pub fn read_point(dir: &Path, p: u32, seeds: u32) -> Result<Vec<(String, Vec<f64>)>, String> {
    let mut names: Vec<String> = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    for k in 0..seeds {
        let run = Verified::open(&store::run_dir(dir, p, k))?;
        let path = run.dir().join("summary.parquet");
        let need = [("metric", Kind::Text), ("value", Kind::Float)];
        let df = table::read(&run, "summary.parquet", &need, Columns::Needed)?;
        let m = table::texts(&df, "metric", &path)?;
        let v = table::floats(&df, "value", &path)?;
        let mut rows: Vec<(String, f64)> = m.into_iter().zip(v).collect();
        crate::metrics::restore_beyond_run(&mut rows);
        for (name, value) in rows {
            let i = match names.iter().position(|n| *n == name) {
                Some(i) => i,
                None => {
                    names.push(name);
                    values.push(Vec::new());
                    names.len() - 1
                }
            };
            values[i].push(value);
        }
    }
    Ok(names.into_iter().zip(values).collect())
}

/// Values as written: NaN (no samples, one seed's interval) and infinity (beyond the run,
/// flagged in `beyond_run`) are nulls, which readers skip.
fn finite(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().map(|v| v.is_finite().then_some(*v)).collect()
}

impl Combined {
    /// A table over `plan` and its axes with no row yet.
    pub fn new(plan: Plan, axes: Vec<(String, AxisValues)>) -> Combined {
        Combined {
            plan,
            axes,
            point: vec![],
            metric: vec![],
            mean: vec![],
            std: vec![],
            ci95_low: vec![],
            ci95_high: vec![],
            n: vec![],
            beyond_run: vec![],
            cdfs: vec![],
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        let rows = self.point.len();
        let mut cols = vec![Column::new("point".into(), self.point.clone())];
        for (name, values) in &self.axes {
            let col = match values {
                AxisValues::Num(v) => Column::new(
                    name.as_str().into(),
                    self.point
                        .iter()
                        .map(|&p| v[p as usize])
                        .collect::<Vec<f64>>(),
                ),
                AxisValues::Text(v) => Column::new(
                    name.as_str().into(),
                    self.point
                        .iter()
                        .map(|&p| v[p as usize].clone())
                        .collect::<Vec<String>>(),
                ),
            };
            cols.push(col);
        }
        cols.extend([
            Column::new("metric".into(), self.metric.clone()),
            Column::new("mean".into(), finite(&self.mean)),
            Column::new("std".into(), finite(&self.std)),
            Column::new("ci95_low".into(), finite(&self.ci95_low)),
            Column::new("ci95_high".into(), finite(&self.ci95_high)),
            Column::new("n".into(), self.n.clone()),
            Column::new("beyond_run".into(), self.beyond_run.clone()),
        ]);
        DataFrame::new(rows, cols)
    }

    /// `(mean, ci95_low, ci95_high)` of `metric` at `point`.
    pub fn get(&self, point: u32, metric: &str) -> Option<(f64, f64, f64)> {
        (0..self.point.len())
            .find(|&i| self.point[i] == point && self.metric[i] == metric)
            .map(|i| (self.mean[i], self.ci95_low[i], self.ci95_high[i]))
    }

    pub fn has_metric(&self, metric: &str) -> bool {
        self.metric.iter().any(|m| m == metric)
    }
}

/// Writes `combined.csv`, then `combined.parquet` (the file readers look for).
pub fn write(dir: &Path, c: &Combined) -> Result<(), String> {
    let mut df = c.frame().map_err(|e| e.to_string())?;
    let parquet = crate::report::parquet(&mut df).map_err(|e| e.to_string())?;
    let csv = crate::report::csv(&mut df).map_err(|e| e.to_string())?;
    crate::atomic::write_file(&dir.join("combined.csv"), &csv)?;
    crate::atomic::write_file(&dir.join("combined.parquet"), &parquet)
}
