//! A sweep folder's layout:
//!
//! ```text
//! DIR/plan.yaml                          name, seeds, points, axes
//! DIR/points.parquet                     point and the value of every axis
//! DIR/runs/point=P/seed=K/*.parquet      one complete run (hive partitions)
//! DIR/.tmp/point=P.seed=K.PID/           a run being written; never read
//! DIR/combined.parquet, combined.csv     after `sweep merge`
//! ```
//!
//! A run folder appears under `runs/` only by a rename of its finished temporary folder, so
//! whatever is under `runs/` is complete.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use super::spec::{ChartSpec, MAX_RUNS, Sweep, scalar};
use crate::manifest::{self, Verified};
use crate::scenario::{FieldError, limits, line_of};

#[derive(Debug, Serialize, Deserialize)]
pub struct Plan {
    pub name: String,
    pub seeds: u32,
    pub points: u32,
    pub runs: u64,
    pub axes: Vec<String>,
    /// Paths of each dimension (several for a zipped group) and its number of steps; points
    /// are numbered row-major over them.
    pub dims: Vec<Vec<String>>,
    pub dim_sizes: Vec<u32>,
    #[serde(default)]
    pub charts: Vec<ChartSpec>,
    /// Per dimension, the short name of each step (its `label:`, or its family, or its
    /// value); empty in plans written before labels existed.
    #[serde(default)]
    pub labels: Vec<Vec<String>>,
}

impl Plan {
    /// Step index along each dimension of `point`.
    pub fn coords(&self, point: u32) -> Vec<usize> {
        let mut rest = point as usize;
        let mut c = vec![0; self.dim_sizes.len()];
        for (ci, &n) in c.iter_mut().zip(&self.dim_sizes).rev() {
            *ci = rest % n as usize;
            rest /= n as usize;
        }
        c
    }

    /// What `sweep plan` would never have written: a plan is read like a scenario, since the
    /// folder may have been edited, damaged or made by someone else. Merging and charting
    /// index by these numbers, so each relation they rely on is checked. `text` is the YAML
    /// the plan was read from, for lines.
    pub fn check(&self, text: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut report = |path: String, value: String, allowed: String| {
            let line = line_of(text, &path);
            errors.push(FieldError {
                path,
                value,
                allowed,
                line,
            });
        };
        if self.seeds == 0 {
            report("seeds".into(), "0".into(), "must be >= 1".into());
        }
        if self.dims.len() != self.dim_sizes.len() {
            report(
                "dim_sizes".into(),
                format!("{} sizes", self.dim_sizes.len()),
                format!("one per dimension ({} in dims)", self.dims.len()),
            );
        }
        for (i, d) in self.dims.iter().enumerate() {
            if d.is_empty() {
                report(
                    format!("dims[{i}]"),
                    "[]".into(),
                    "must list at least one axis".into(),
                );
            }
        }
        for (i, &n) in self.dim_sizes.iter().enumerate() {
            if n == 0 {
                report(format!("dim_sizes[{i}]"), "0".into(), "must be >= 1".into());
            }
        }
        let product = self
            .dim_sizes
            .iter()
            .try_fold(1u64, |p, &n| p.checked_mul(n as u64));
        if product != Some(self.points as u64) {
            report(
                "points".into(),
                self.points.to_string(),
                format!(
                    "must equal the product of dim_sizes ({})",
                    product.map_or("overflow".into(), |p| p.to_string())
                ),
            );
        }
        let runs = self.points as u64 * self.seeds as u64;
        if self.runs != runs || runs > MAX_RUNS {
            report(
                "runs".into(),
                self.runs.to_string(),
                format!("must equal points × seeds ({runs}) and be <= {MAX_RUNS}"),
            );
        }
        let flat: Vec<String> = self.dims.concat();
        if self.axes != flat {
            report(
                "axes".into(),
                format!("[{}]", self.axes.join(", ")),
                format!("must be the paths of dims in order ([{}])", flat.join(", ")),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, a) in self.axes.iter().enumerate() {
            if a.is_empty() || !seen.insert(a) {
                report(
                    format!("axes[{i}]"),
                    format!("{a:?}"),
                    "must be a non-empty path listed once".into(),
                );
            }
        }
        if !self.labels.is_empty() {
            let sizes: Vec<usize> = self.labels.iter().map(Vec::len).collect();
            let want: Vec<usize> = self.dim_sizes.iter().map(|&n| n as usize).collect();
            if sizes != want {
                report(
                    "labels".into(),
                    format!("{sizes:?} labels per dimension"),
                    format!("one per step of each dimension ({want:?})"),
                );
            }
        }
        for (i, c) in self.charts.iter().enumerate() {
            for (field, axis) in [("x", Some(&c.x)), ("by", c.by.as_ref())] {
                if let Some(a) = axis
                    && !self.axes.contains(a)
                {
                    report(
                        format!("charts[{i}].{field}"),
                        a.clone(),
                        format!("must be an axis ({})", self.axes.join(", ")),
                    );
                }
            }
        }
        errors
    }

    /// The short name of step `k` of dimension `d`, when the plan has names.
    pub fn step_label(&self, d: usize, k: usize) -> Option<&str> {
        self.labels.get(d)?.get(k).map(String::as_str)
    }

    /// The point's name: the names of its steps, or its index in a plan without names.
    pub fn point_label(&self, point: u32) -> String {
        let names: Option<Vec<&str>> = self
            .coords(point)
            .iter()
            .enumerate()
            .map(|(d, &k)| self.step_label(d, k))
            .collect();
        names.map_or_else(|| format!("point {point}"), |n| n.join(", "))
    }

    /// The dimension holding axis `path`.
    pub fn dim_of(&self, path: &str) -> Option<usize> {
        self.dims.iter().position(|d| d.iter().any(|p| p == path))
    }
}

pub fn run_dir(out: &Path, point: u32, k: u32) -> PathBuf {
    out.join("runs")
        .join(format!("point={point}"))
        .join(format!("seed={k}"))
}

fn temp_root(out: &Path) -> PathBuf {
    out.join(".tmp")
}

pub fn temp_dir(out: &Path, point: u32, k: u32) -> PathBuf {
    temp_root(out).join(format!("point={point}.seed={k}.{}", std::process::id()))
}

/// Removes leftovers of `(point, k)` from an interrupted process.
pub fn clean_temp(out: &Path, point: u32, k: u32) -> Result<(), String> {
    let prefix = format!("point={point}.seed={k}.");
    let Ok(entries) = std::fs::read_dir(temp_root(out)) else {
        return Ok(());
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            std::fs::remove_dir_all(e.path())
                .map_err(|err| format!("cannot remove {}: {err}", e.path().display()))?;
        }
    }
    Ok(())
}

/// Moves a finished temporary folder into place.
pub fn commit(tmp: &Path, dest: &Path) -> Result<PathBuf, String> {
    let parent = dest.parent().expect("run folders have a parent");
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    if dest.is_dir() {
        // Finished meanwhile by another process: identical by determinism.
        let _ = std::fs::remove_dir_all(tmp);
        return Ok(dest.to_path_buf());
    }
    std::fs::rename(tmp, dest)
        .map_err(|e| format!("cannot move {} to {}: {e}", tmp.display(), dest.display()))?;
    Ok(dest.to_path_buf())
}

pub fn write_plan(sweep: &Sweep, out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let plan = Plan {
        name: sweep.name.clone(),
        seeds: sweep.seeds,
        points: sweep.points.len() as u32,
        runs: sweep.runs(),
        axes: sweep.axes(),
        dims: sweep.dims.iter().map(|d| d.paths.clone()).collect(),
        dim_sizes: sweep.dims.iter().map(|d| d.steps.len() as u32).collect(),
        charts: sweep.charts.clone(),
        labels: sweep.dims.iter().map(|d| d.labels.clone()).collect(),
    };
    if let Ok(old) = parse_plan(&out.join("plan.yaml"))
        && (old.name != plan.name || old.runs != plan.runs || old.axes != plan.axes)
    {
        return Err(format!(
            "{} holds sweep {} ({} runs over {}); refusing to mix it with {} ({} runs over {})",
            out.display(),
            old.name,
            old.runs,
            old.axes.join(", "),
            plan.name,
            plan.runs,
            plan.axes.join(", ")
        ));
    }
    let yaml = serde_yaml::to_string(&plan).map_err(|e| e.to_string())?;
    crate::atomic::write_file(&out.join("plan.yaml"), yaml.as_bytes())?;
    let mut df = points_table(sweep).map_err(|e| e.to_string())?;
    let bytes = crate::report::parquet(&mut df).map_err(|e| e.to_string())?;
    crate::atomic::write_file(&out.join("points.parquet"), &bytes)?;
    // A manifest that already checks out (e.g. written by a merge, over the same plan) stays:
    // every shard writes the same plan, so rewriting it would only drop the merge's entries.
    let kept = Verified::open(out).is_ok_and(|v| v.lists("plan.yaml") && v.lists("points.parquet"));
    if !kept {
        manifest::write(out, &[out.join("plan.yaml"), out.join("points.parquet")])?;
    }
    Ok(())
}

/// The plan of a sweep folder, checked against the folder's manifest.
pub fn read_plan(out: &Path) -> Result<Plan, String> {
    plan_of(&Verified::open(out)?)
}

pub fn plan_of(folder: &Verified) -> Result<Plan, String> {
    let path = folder.dir().join("plan.yaml");
    if !folder.lists("plan.yaml") {
        return Err(format!(
            "{}: not a sweep folder (no plan.yaml)",
            folder.dir().display()
        ));
    }
    let text = folder.read_text("plan.yaml")?;
    limits::check(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let plan: Plan = serde_yaml::from_str(&text)
        .map_err(|e| format!("{}: {}", path.display(), crate::scenario::located(&e)))?;
    let errors = plan.check(&text);
    if errors.is_empty() {
        Ok(plan)
    } else {
        let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        Err(format!(
            "{}: invalid plan: {}",
            path.display(),
            errors.join("; ")
        ))
    }
}

/// The plan as written, unchecked: only to refuse mixing two sweeps in one folder.
fn parse_plan(path: &Path) -> Result<Plan, String> {
    let text = limits::read(path)?;
    limits::check(&text)?;
    serde_yaml::from_str(&text).map_err(|e| e.to_string())
}

/// `point`, its `label` (the names of its steps) and one column per axis: Float64 when every
/// value is a number, else the values as text.
pub fn points_table(sweep: &Sweep) -> PolarsResult<DataFrame> {
    let n = sweep.points.len();
    let label = |p: &super::Point| -> String {
        let names: Vec<&str> = sweep
            .dims
            .iter()
            .zip(&p.coords)
            .map(|(d, &k)| d.labels[k].as_str())
            .collect();
        names.join(", ")
    };
    let mut cols = vec![
        Column::new(
            "point".into(),
            sweep.points.iter().map(|p| p.index).collect::<Vec<u32>>(),
        ),
        Column::new(
            "label".into(),
            sweep.points.iter().map(label).collect::<Vec<String>>(),
        ),
    ];
    for (i, axis) in sweep.axes().iter().enumerate() {
        let values: Vec<&Value> = sweep.points.iter().map(|p| &p.values[i].1).collect();
        if values.iter().all(|v| v.as_f64().is_some()) {
            let v: Vec<f64> = values
                .iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN))
                .collect();
            cols.push(Column::new(axis.as_str().into(), v));
        } else {
            let v: Vec<String> = values.iter().map(|v| scalar(v)).collect();
            cols.push(Column::new(axis.as_str().into(), v));
        }
    }
    DataFrame::new(n, cols)
}
