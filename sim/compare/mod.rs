//! Regression comparison of two output folders: a run's `summary` table, or a sweep's
//! `combined` table (each point's mean), metric by metric against per-metric tolerances.

pub(crate) mod table;
mod tolerance;

pub use tolerance::{DEFAULT_RELATIVE, Direction, Limit, Tolerances, direction_of};

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::manifest::Verified;
use table::{Columns, Kind};

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
    /// Only in the candidate. A failure too: a comparison must cover the same metrics on both
    /// sides, except those whose direction is `ignore` (built in, or in the tolerance file).
    New,
    Ignored,
}

impl Verdict {
    pub fn fails(self) -> bool {
        matches!(
            self,
            Verdict::Worse | Verdict::Changed | Verdict::Missing | Verdict::New
        )
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Better => "better",
            Verdict::Worse => "REGRESSED",
            Verdict::Changed => "CHANGED",
            Verdict::Missing => "MISSING",
            Verdict::New => "NEW",
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
        let ignored = t.limit(tolerance::bare(metric)).direction == Direction::Ignore;
        rows.push(Row {
            metric: metric.clone(),
            baseline: None,
            candidate: Some(c),
            verdict: if ignored {
                Verdict::Ignored
            } else {
                Verdict::New
            },
        });
    }
    Ok(Comparison { rows })
}

type Metrics = BTreeMap<String, f64>;

/// Reads a folder's metrics, keyed so that a run's and a sweep's never mix. The folder's
/// manifest is checked first; an empty table, a missing column or a metric listed twice is an
/// error, never an empty comparison that passes.
fn metrics_of(dir: &Path) -> Result<(&'static str, Metrics), String> {
    let folder = Verified::open(dir)?;
    let (kind, file, rows) = if folder.lists("summary.parquet") {
        let file = dir.join("summary.parquet");
        let need = [("metric", Kind::Text), ("value", Kind::Float)];
        let df = table::read(&folder, "summary.parquet", &need, Columns::Needed)?;
        let names = table::texts(&df, "metric", &file)?;
        let mut rows: Vec<(String, f64)> = names
            .into_iter()
            .zip(table::floats(&df, "value", &file)?)
            .collect();
        crate::metrics::restore_beyond_run(&mut rows);
        ("run", file, rows)
    } else if folder.lists("combined.parquet") {
        let file = dir.join("combined.parquet");
        let need = [
            ("point", Kind::Integer),
            ("metric", Kind::Text),
            ("mean", Kind::Float),
            ("beyond_run", Kind::Bool),
        ];
        let df = table::read(&folder, "combined.parquet", &need, Columns::Needed)?;
        let points = table::indices(&df, "point", &file)?;
        let names = table::texts(&df, "metric", &file)?;
        let means = table::floats(&df, "mean", &file)?;
        let beyond = table::flags(&df, "beyond_run", &file)?;
        // A mean over seeds is beyond the run when one seed's statistic is.
        let rows = points
            .iter()
            .zip(names)
            .zip(means.into_iter().zip(beyond))
            .map(|((p, m), (mean, b))| {
                (
                    format!("point={p} {m}"),
                    if b { f64::INFINITY } else { mean },
                )
            })
            .collect();
        ("sweep", file, rows)
    } else {
        return Err(format!(
            "{}: neither summary.parquet (a run) nor combined.parquet (a merged sweep)",
            dir.display()
        ));
    };
    if rows.is_empty() {
        return Err(format!(
            "{}: holds no metrics (an empty table); nothing to compare",
            file.display()
        ));
    }
    let mut metrics = Metrics::new();
    for (k, v) in rows {
        if metrics.contains_key(&k) {
            return Err(format!("{}: metric {k} is listed twice", file.display()));
        }
        metrics.insert(k, v);
    }
    Ok((kind, metrics))
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
