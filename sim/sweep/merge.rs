//! Builds a sweep's combined table from its run folders: per point and metric, mean, standard
//! deviation, 95 % confidence interval and number of seeds.

use std::path::Path;

use polars::prelude::*;

use super::stats::{Domain, stats};
use super::store::{self, Plan};
use crate::compare::read_parquet;

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
}

/// Metrics that are inputs of a run rather than results; their mean over seeds means nothing.
const SKIP: [&str; 1] = ["seed"];

pub fn read_axes(dir: &Path, plan: &Plan) -> Result<Vec<(String, AxisValues)>, String> {
    let path = dir.join("points.parquet");
    let df = read_parquet(&path)?;
    // Charts and the combined table index axis values by point number: one row per planned
    // point, in order.
    let in_order = df
        .column("point")
        .and_then(|c| c.u32().cloned())
        .is_ok_and(|c| c.iter().eq((0..plan.points).map(Some)));
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
            let bad = |e: PolarsError| format!("{}: column {a}: {e}", path.display());
            let values = match c.dtype() {
                DataType::Float64 => AxisValues::Num(
                    c.f64()
                        .map_err(bad)?
                        .iter()
                        .map(|v| v.unwrap_or(f64::NAN))
                        .collect(),
                ),
                _ => AxisValues::Text(
                    c.str()
                        .map_err(bad)?
                        .iter()
                        .map(|v| v.unwrap_or_default().to_string())
                        .collect(),
                ),
            };
            Ok((a.clone(), values))
        })
        .collect()
}

/// Reads every run of the plan; a missing run is an error, so a merge never silently averages
/// an incomplete sweep.
pub fn combine(dir: &Path) -> Result<Combined, String> {
    let plan = store::read_plan(dir)?;
    let axes = read_axes(dir, &plan)?;
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
    let mut c = Combined {
        axes,
        point: vec![],
        metric: vec![],
        mean: vec![],
        std: vec![],
        ci95_low: vec![],
        ci95_high: vec![],
        n: vec![],
        beyond_run: vec![],
        plan,
    };
    for p in 0..c.plan.points {
        let mut names: Vec<String> = Vec::new();
        let mut values: Vec<Vec<f64>> = Vec::new();
        for k in 0..c.plan.seeds {
            let mut rows: Vec<(String, f64)> = Vec::new();
            let path = store::run_dir(dir, p, k).join("summary.parquet");
            let df = read_parquet(&path)?;
            let m = df
                .column("metric")
                .and_then(|c| c.str().cloned())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let v = df
                .column("value")
                .and_then(|c| c.f64().cloned())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            for (name, value) in m.iter().zip(v.iter()) {
                rows.push((name.unwrap_or_default().into(), value.unwrap_or(f64::NAN)));
            }
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
        for (name, vs) in names.into_iter().zip(values) {
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

/// Values as written: NaN (no samples, one seed's interval) and infinity (beyond the run,
/// flagged in `beyond_run`) are nulls, which readers skip.
fn finite(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().map(|v| v.is_finite().then_some(*v)).collect()
}

impl Combined {
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

/// Writes `combined.parquet` and `combined.csv`.
pub fn write(dir: &Path, c: &Combined) -> Result<(), String> {
    let mut df = c.frame().map_err(|e| e.to_string())?;
    let bytes = crate::report::parquet(&mut df).map_err(|e| e.to_string())?;
    crate::atomic::write_file(&dir.join("combined.parquet"), &bytes)?;
    let bytes = crate::report::csv(&mut df).map_err(|e| e.to_string())?;
    crate::atomic::write_file(&dir.join("combined.csv"), &bytes)
}
