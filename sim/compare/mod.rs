//! Regression comparison of two output folders: a run's `summary` table, or a sweep's
//! `combined` table (each point's mean), metric by metric against per-metric tolerances.

mod tolerance;

pub use tolerance::{DEFAULT_RELATIVE, Direction, Limit, Tolerances, direction_of};

use std::collections::BTreeMap;
use std::fmt::Write;
use std::fs::File;
use std::path::Path;

use polars::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Beyond tolerance in the good direction.
    Better,
    /// Beyond tolerance in the bad direction.
    Worse,
    /// Beyond tolerance for a metric without a good direction.
    Changed,
    /// In the baseline, absent from the candidate.
    Missing,
    /// Only in the candidate.
    New,
    Ignored,
}

impl Verdict {
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Worse | Verdict::Changed | Verdict::Missing)
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Better => "better",
            Verdict::Worse => "REGRESSED",
            Verdict::Changed => "CHANGED",
            Verdict::Missing => "MISSING",
            Verdict::New => "new",
            Verdict::Ignored => "ignored",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub metric: String,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug)]
pub struct Comparison {
    pub rows: Vec<Row>,
}

impl Comparison {
    pub fn failures(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.verdict.fails())
    }

    pub fn regressed(&self) -> bool {
        self.failures().next().is_some()
    }

    /// A fixed-width table: metric, baseline, candidate, change, verdict.
    pub fn table(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|r| r.metric.len())
            .chain([6])
            .max()
            .unwrap_or(6);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<width$}  {:>14}  {:>14}  {:>10}  verdict",
            "metric", "baseline", "candidate", "change"
        );
        for r in &self.rows {
            let _ = writeln!(
                s,
                "{:<width$}  {:>14}  {:>14}  {:>10}  {}",
                r.metric,
                num(r.baseline),
                num(r.candidate),
                change(r.baseline, r.candidate),
                r.verdict.label()
            );
        }
        let failed = self.failures().count();
        let _ = writeln!(
            s,
            "{} metrics compared, {} beyond tolerance",
            self.rows.len(),
            failed
        );
        s
    }
}

fn num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v.is_nan() => "NaN".into(),
        Some(f64::INFINITY) => "> run end".into(),
        Some(v) if v != 0.0 && (v.abs() >= 1e7 || v.abs() < 1e-3) => format!("{v:.4e}"),
        Some(v) => format!("{:.6}", v)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
    }
}

fn change(b: Option<f64>, c: Option<f64>) -> String {
    match (b, c) {
        (Some(b), Some(c)) if b.is_finite() && c.is_finite() => {
            if b == c {
                "0".into()
            } else if b != 0.0 {
                format!("{:+.2}%", (c - b) / b.abs() * 100.0)
            } else {
                format!("{:+.4}", c - b)
            }
        }
        _ => "-".into(),
    }
}

/// The verdict for one metric; NaN (a statistic without samples) equals only NaN.
pub fn judge(limit: &Limit, baseline: f64, candidate: f64) -> Verdict {
    if limit.direction == Direction::Ignore {
        return Verdict::Ignored;
    }
    if baseline == candidate {
        // Equal infinities too: both beyond the run.
        return Verdict::Ok;
    }
    if baseline.is_nan() || candidate.is_nan() {
        return if baseline.is_nan() && candidate.is_nan() {
            Verdict::Ok
        } else {
            Verdict::Changed
        };
    }
    if limit.allows(baseline, candidate) {
        return Verdict::Ok;
    }
    match (limit.direction, candidate > baseline) {
        (Direction::HigherIsWorse, true) | (Direction::LowerIsWorse, false) => Verdict::Worse,
        (Direction::HigherIsWorse, false) | (Direction::LowerIsWorse, true) => Verdict::Better,
        _ => Verdict::Changed,
    }
}

/// Compares the folders' tables: `summary.parquet` for runs, `combined.parquet` for sweeps.
pub fn compare(baseline: &Path, candidate: &Path, t: &Tolerances) -> Result<Comparison, String> {
    let base = metrics_of(baseline)?;
    let cand = metrics_of(candidate)?;
    if base.0 != cand.0 {
        return Err(format!(
            "{} holds a {} but {} holds a {}",
            baseline.display(),
            base.0,
            candidate.display(),
            cand.0
        ));
    }
    let (base, cand) = (base.1, cand.1);
    let mut rows = Vec::new();
    for (metric, &b) in &base {
        let limit = t.limit(tolerance::bare(metric));
        let (candidate, verdict) = match cand.get(metric) {
            Some(&c) => (Some(c), judge(&limit, b, c)),
            None if limit.direction == Direction::Ignore => (None, Verdict::Ignored),
            None => (None, Verdict::Missing),
        };
        rows.push(Row {
            metric: metric.clone(),
            baseline: Some(b),
            candidate,
            verdict,
        });
    }
    for (metric, &c) in cand.iter().filter(|(m, _)| !base.contains_key(*m)) {
        rows.push(Row {
            metric: metric.clone(),
            baseline: None,
            candidate: Some(c),
            verdict: Verdict::New,
        });
    }
    Ok(Comparison { rows })
}

type Metrics = BTreeMap<String, f64>;

/// Reads a folder's metrics, keyed so that a run's and a sweep's never mix.
fn metrics_of(dir: &Path) -> Result<(&'static str, Metrics), String> {
    let summary = dir.join("summary.parquet");
    let combined = dir.join("combined.parquet");
    if summary.is_file() {
        let df = read_parquet(&summary)?;
        let names = str_col(&df, "metric", &summary)?;
        let values = f64_col(&df, "value", &summary)?;
        let mut rows: Vec<(String, f64)> = names.into_iter().zip(values).collect();
        crate::metrics::restore_beyond_run(&mut rows);
        Ok(("run", rows.into_iter().collect()))
    } else if combined.is_file() {
        let df = read_parquet(&combined)?;
        let points = df
            .column("point")
            .and_then(|c| c.cast(&DataType::UInt32))
            .map_err(|e| format!("{}: column point: {e}", combined.display()))?;
        let points = points.u32().map_err(|e| e.to_string())?;
        let names = str_col(&df, "metric", &combined)?;
        let mut means = f64_col(&df, "mean", &combined)?;
        // A mean over seeds is beyond the run when one seed's statistic is.
        if let Ok(beyond) = df.column("beyond_run").and_then(|c| c.bool().cloned()) {
            for (m, b) in means.iter_mut().zip(beyond.iter()) {
                if b == Some(true) {
                    *m = f64::INFINITY;
                }
            }
        }
        let keyed = points
            .iter()
            .zip(names)
            .map(|(p, m)| format!("point={} {m}", p.unwrap_or(0)));
        Ok(("sweep", keyed.zip(means).collect()))
    } else {
        Err(format!(
            "{}: neither summary.parquet (a run) nor combined.parquet (a merged sweep)",
            dir.display()
        ))
    }
}

pub(crate) fn read_parquet(path: &Path) -> Result<DataFrame, String> {
    let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn str_col(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<String>, String> {
    let c = df
        .column(name)
        .and_then(|c| c.str().cloned())
        .map_err(|e| format!("{}: column {name}: {e}", path.display()))?;
    Ok(c.iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

fn f64_col(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<f64>, String> {
    let c = df
        .column(name)
        .and_then(|c| c.cast(&DataType::Float64))
        .map_err(|e| format!("{}: column {name}: {e}", path.display()))?;
    let c = c.f64().map_err(|e| e.to_string())?;
    Ok(c.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(direction: Direction) -> Limit {
        Limit {
            relative: 0.1,
            absolute: 0.0,
            direction,
        }
    }

    #[test]
    fn verdicts_respect_direction_and_tolerance() {
        let h = limit(Direction::HigherIsWorse);
        assert_eq!(judge(&h, 10.0, 10.9), Verdict::Ok);
        assert_eq!(judge(&h, 10.0, 11.5), Verdict::Worse);
        assert_eq!(judge(&h, 10.0, 8.0), Verdict::Better);
        let l = limit(Direction::LowerIsWorse);
        assert_eq!(judge(&l, 10.0, 8.0), Verdict::Worse);
        assert_eq!(judge(&l, 10.0, 12.0), Verdict::Better);
        let e = limit(Direction::Either);
        assert_eq!(judge(&e, 10.0, 12.0), Verdict::Changed);
        assert_eq!(judge(&e, f64::NAN, f64::NAN), Verdict::Ok);
        assert_eq!(judge(&e, f64::NAN, 1.0), Verdict::Changed);
        assert_eq!(
            judge(&limit(Direction::Ignore), 1.0, 100.0),
            Verdict::Ignored
        );
        assert!(Verdict::Worse.fails() && !Verdict::Better.fails());
    }
}
