//! Regression comparison of two output folders: a run's `summary` table, or a sweep's
//! `combined` table (each point's mean and 95 % interval over seeds), metric by metric against
//! per-metric tolerances. What each metric is (input or output, unit, better direction) comes
//! from the metric registry, never from its name.
//!
//! Two folders whose inputs differ (a field of the resolved scenario, or an input metric such
//! as `devices`) did not simulate the same thing: their differences are listed as such and,
//! unless the caller allows it, no metric is judged.

mod format;
mod inputs;
pub(crate) mod table;
mod tolerance;

pub use format::Format;
pub use inputs::InputChange;
pub use tolerance::{DEFAULT_RELATIVE, Direction, Limit, Tolerances, direction_of};

use std::collections::BTreeMap;
use std::path::Path;

use crate::manifest::Verified;
use crate::metrics::registry::{self, Kind as MetricKind};
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
    /// Beyond tolerance, but the seeds' 95 % intervals of a sweep point overlap: the change is
    /// within the noise the seeds show.
    Noise,
    /// An input that differs, compared anyway (`--allow-changed-inputs`).
    Input,
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

    /// The word every output format prints.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Better => "better",
            Verdict::Worse => "REGRESSED",
            Verdict::Changed => "CHANGED",
            Verdict::Noise => "noise",
            Verdict::Input => "input",
            Verdict::Missing => "MISSING",
            Verdict::New => "NEW",
            Verdict::Ignored => "ignored",
        }
    }
}

/// A sweep point's 95 % interval over its seeds.
pub type Interval = (f64, f64);

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub metric: String,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    pub baseline_ci: Option<Interval>,
    pub candidate_ci: Option<Interval>,
    pub verdict: Verdict,
}

impl Row {
    /// The metric's registry entry (a sweep row's name carries its point first).
    pub fn entry(&self) -> Option<registry::Entry> {
        registry::entry(tolerance::bare(&self.metric))
    }
}

#[derive(Clone, Debug)]
pub struct Comparison {
    /// `run` or `sweep`.
    pub kind: &'static str,
    /// Inputs that differ; empty when both folders simulated the same thing.
    pub inputs: Vec<InputChange>,
    /// Whether metrics were judged although inputs differ.
    pub inputs_allowed: bool,
    /// Empty when inputs differ and that was not allowed.
    pub rows: Vec<Row>,
}

impl Comparison {
    pub fn failures(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.verdict.fails())
    }

    /// The metrics were not judged: the inputs differ and that was not allowed.
    pub fn refused(&self) -> bool {
        !self.inputs.is_empty() && !self.inputs_allowed
    }

    /// Fails the comparison: a metric beyond tolerance in its bad direction, or inputs that
    /// differ without `--allow-changed-inputs`.
    pub fn regressed(&self) -> bool {
        self.refused() || self.failures().next().is_some()
    }

    pub fn render(&self, format: Format) -> String {
        format::render(self, format)
    }

    /// JUnit XML for CI systems: one test case per metric and one for the inputs.
    pub fn junit(&self) -> String {
        format::junit(self)
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

/// [`judge`] for sweep points: a change beyond tolerance counts only when the two 95 %
/// intervals over seeds do not overlap; overlapping ones are [`Verdict::Noise`]. Without an
/// interval on either side (one seed, or a mean beyond the run) the means decide alone.
pub fn judge_intervals(
    limit: &Limit,
    (baseline, b_ci): (f64, Option<Interval>),
    (candidate, c_ci): (f64, Option<Interval>),
) -> Verdict {
    let v = judge(limit, baseline, candidate);
    match (v, b_ci, c_ci) {
        (Verdict::Worse | Verdict::Better | Verdict::Changed, Some(b), Some(c))
            if b.0 <= c.1 && c.0 <= b.1 =>
        {
            Verdict::Noise
        }
        _ => v,
    }
}

/// One side's metrics: value and, for sweeps, interval.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Value {
    mean: f64,
    ci: Option<Interval>,
}

type Metrics = BTreeMap<String, Value>;

struct Side {
    kind: &'static str,
    folder: Verified,
    metrics: Metrics,
}

/// Compares the folders' tables: `summary.parquet` for runs, `combined.parquet` for sweeps.
/// With inputs that differ, only those are reported unless `allow_changed_inputs`.
pub fn compare(
    baseline: &Path,
    candidate: &Path,
    t: &Tolerances,
    allow_changed_inputs: bool,
) -> Result<Comparison, String> {
    let base = metrics_of(baseline)?;
    let cand = metrics_of(candidate)?;
    if base.kind != cand.kind {
        return Err(format!(
            "{} holds a {} but {} holds a {}",
            baseline.display(),
            base.kind,
            candidate.display(),
            cand.kind
        ));
    }
    let is_input = |metric: &str| {
        let bare = tolerance::bare(metric);
        registry::entry(bare).is_some_and(|e| e.kind == MetricKind::Input)
            && t.limit(bare).direction != Direction::Ignore
    };
    let inputs = match inputs::scenario_changes(&base.folder, &cand.folder)? {
        Some(changes) if !changes.is_empty() => changes,
        // Same scenario fields (or none to read): the input metrics tell.
        _ => input_metric_changes(&base.metrics, &cand.metrics, is_input),
    };
    let mut c = Comparison {
        kind: base.kind,
        inputs_allowed: allow_changed_inputs,
        inputs,
        rows: Vec::new(),
    };
    if c.refused() {
        return Ok(c);
    }
    let (base, cand) = (base.metrics, cand.metrics);
    for (metric, b) in &base {
        let limit = t.limit(tolerance::bare(metric));
        let (candidate, verdict) = match cand.get(metric) {
            Some(v) if is_input(metric) && v.mean != b.mean => (Some(*v), Verdict::Input),
            Some(v) => (
                Some(*v),
                judge_intervals(&limit, (b.mean, b.ci), (v.mean, v.ci)),
            ),
            None if limit.direction == Direction::Ignore => (None, Verdict::Ignored),
            None => (None, Verdict::Missing),
        };
        c.rows.push(Row {
            metric: metric.clone(),
            baseline: Some(b.mean),
            candidate: candidate.map(|v| v.mean),
            baseline_ci: b.ci,
            candidate_ci: candidate.and_then(|v| v.ci),
            verdict,
        });
    }
    for (metric, v) in cand.iter().filter(|(m, _)| !base.contains_key(*m)) {
        let ignored = t.limit(tolerance::bare(metric)).direction == Direction::Ignore;
        c.rows.push(Row {
            metric: metric.clone(),
            baseline: None,
            candidate: Some(v.mean),
            baseline_ci: None,
            candidate_ci: v.ci,
            verdict: if ignored {
                Verdict::Ignored
            } else {
                Verdict::New
            },
        });
    }
    Ok(c)
}

fn input_metric_changes(
    base: &Metrics,
    cand: &Metrics,
    is_input: impl Fn(&str) -> bool,
) -> Vec<InputChange> {
    base.iter()
        .filter(|(m, _)| is_input(m))
        .filter_map(|(m, b)| {
            let c = cand.get(m)?;
            (c.mean != b.mean).then(|| InputChange {
                input: m.clone(),
                baseline: format::num(Some(b.mean)),
                candidate: format::num(Some(c.mean)),
            })
        })
        .collect()
}

/// Reads a folder's metrics, keyed so that a run's and a sweep's never mix. The folder's
/// manifest is checked first; an empty table, a missing column or a metric listed twice is an
/// error, never an empty comparison that passes.
fn metrics_of(dir: &Path) -> Result<Side, String> {
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
        let rows = rows
            .into_iter()
            .map(|(k, mean)| (k, Value { mean, ci: None }))
            .collect();
        ("run", file, rows)
    } else if folder.lists("combined.parquet") {
        let file = dir.join("combined.parquet");
        let need = [
            ("point", Kind::Integer),
            ("metric", Kind::Text),
            ("mean", Kind::Float),
            ("ci95_low", Kind::Float),
            ("ci95_high", Kind::Float),
            ("beyond_run", Kind::Bool),
        ];
        let df = table::read(&folder, "combined.parquet", &need, Columns::Needed)?;
        let points = table::indices(&df, "point", &file)?;
        let names = table::texts(&df, "metric", &file)?;
        let means = table::floats(&df, "mean", &file)?;
        let lows = table::floats(&df, "ci95_low", &file)?;
        let highs = table::floats(&df, "ci95_high", &file)?;
        let beyond = table::flags(&df, "beyond_run", &file)?;
        // A mean over seeds is beyond the run when one seed's statistic is; it then has no
        // interval.
        let rows = (0..points.len())
            .map(|i| {
                let ci = (lows[i], highs[i]);
                let finite = ci.0.is_finite() && ci.1.is_finite() && ci.0 <= ci.1;
                let value = if beyond[i] {
                    Value {
                        mean: f64::INFINITY,
                        ci: None,
                    }
                } else {
                    Value {
                        mean: means[i],
                        ci: finite.then_some(ci),
                    }
                };
                (format!("point={} {}", points[i], names[i]), value)
            })
            .collect();
        ("sweep", file, rows)
    } else {
        return Err(format!(
            "{}: neither summary.parquet (a run) nor combined.parquet (a merged sweep)",
            dir.display()
        ));
    };
    let rows: Vec<(String, Value)> = rows;
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
    Ok(Side {
        kind,
        folder,
        metrics,
    })
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
        assert!(!Verdict::Noise.fails() && !Verdict::Input.fails());
    }

    #[test]
    fn sweep_points_regress_only_when_intervals_separate() {
        let h = limit(Direction::HigherIsWorse);
        let overlapping =
            judge_intervals(&h, (10.0, Some((8.0, 12.0))), (12.0, Some((11.0, 13.0))));
        assert_eq!(overlapping, Verdict::Noise);
        let apart = judge_intervals(&h, (10.0, Some((9.0, 11.0))), (13.0, Some((12.0, 14.0))));
        assert_eq!(apart, Verdict::Worse);
        // One seed: no interval, the means decide.
        assert_eq!(
            judge_intervals(&h, (10.0, None), (13.0, None)),
            Verdict::Worse
        );
        // Within tolerance stays ok whatever the intervals.
        let near = judge_intervals(&h, (10.0, Some((9.9, 10.1))), (10.5, Some((10.4, 10.6))));
        assert_eq!(near, Verdict::Ok);
    }
}
