//! Checks of the metrics section and its measurement window.

use super::{Checker, MAX_WINDOWS, NonNeg, Num, Pos, Upper};
use crate::scenario::MetricsOptions;

impl Checker<'_> {
    pub(super) fn metrics(&mut self, metrics: &MetricsOptions, duration_s: Option<f64>) {
        let window_ok = self.time("metrics.window_s", metrics.window_s, Pos);
        if let (true, Some(duration)) = (window_ok, duration_s)
            && duration / metrics.window_s > MAX_WINDOWS
        {
            self.report(
                "metrics.window_s",
                Num(metrics.window_s),
                format!(
                    "must be >= duration_s / {} ({}) so the run has at most {} windows",
                    Num(MAX_WINDOWS),
                    Num(duration / MAX_WINDOWS),
                    Num(MAX_WINDOWS)
                ),
            );
        }

        if metrics.quantiles.is_empty() {
            self.report("metrics.quantiles", "[]", "must list at least one quantile");
        }
        let mut seen: Vec<(f64, usize)> = Vec::new();
        for (k, &q) in metrics.quantiles.iter().enumerate() {
            let path = format!("metrics.quantiles[{k}]");
            if !self.finite(&path, q) {
                continue;
            }
            if !(q > 0.0 && q < 1.0) {
                self.report(&path, Num(q), "must be > 0 and < 1 (strictly between)");
            } else if let Some(&(_, first)) = seen.iter().find(|(v, _)| *v == q) {
                // Each quantile names a column of the latency table.
                let allowed = format!("must not repeat metrics.quantiles[{first}]");
                self.report(&path, Num(q), allowed);
            } else {
                seen.push((q, k));
            }
        }
        self.measurement(metrics, duration_s);
    }

    pub(super) fn measurement(&mut self, metrics: &MetricsOptions, duration_s: Option<f64>) {
        let warmup_ok = metrics
            .warmup_s
            .is_none_or(|w| self.time("metrics.warmup_s", w, NonNeg));
        let measure_ok = metrics
            .measure_s
            .is_none_or(|m| self.time("metrics.measure_s", m, Pos));
        if let (true, true, Some(duration)) = (warmup_ok, measure_ok, duration_s) {
            let (warmup, measure) = metrics.window(duration);
            if warmup + measure > duration * (1.0 + 1e-12) {
                let path = if metrics.measure_s.is_some() {
                    "metrics.measure_s"
                } else {
                    "metrics.warmup_s"
                };
                let value = if metrics.measure_s.is_some() {
                    measure
                } else {
                    warmup
                };
                self.report(
                    path,
                    Num(value),
                    format!(
                        "must leave metrics.warmup_s + metrics.measure_s ({}) <= duration_s ({})",
                        Num(warmup + measure),
                        Num(duration)
                    ),
                );
            }
        }
        for (k, &x) in metrics.sla_s.iter().enumerate() {
            self.time(&format!("metrics.sla_s[{k}]"), x, Pos);
        }
        let share = metrics.drop_warn_share;
        self.range(
            "metrics.drop_warn_share",
            share,
            NonNeg,
            Some(Upper(1.0, "")),
        );
    }
}
