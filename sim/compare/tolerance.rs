//! Per-metric tolerances and the direction in which a metric gets worse.
//!
//! A tolerance file is YAML:
//!
//! ```yaml
//! default: { relative: 0.05 }            # used by every metric not listed below
//! metrics:
//!   settlement_p50_s: { relative: 0.10 }
//!   stale_rate: { absolute: 0.01 }
//!   "*_max_s": { relative: 0.25 }         # one `*` matches any run of characters
//!   online_fraction: { direction: higher_is_better }
//! ```
//!
//! A change is within tolerance when `|candidate − baseline| ≤ max(absolute, relative ×
//! |baseline|)`. An exact metric name wins over a pattern; among patterns the first listed wins.
//! Unless the file says otherwise, the direction is the metric registry's better direction
//! and `absolute` is at least the registry's floor for the metric (5 for counts, 0.001 for
//! shares, 1 ms for latencies).

use std::path::Path;

use serde::Deserialize;

use crate::metrics::registry::{self, Better, Entry, Kind};

/// Which way a metric moves when the system gets worse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Latencies, losses, backlogs, stale blocks.
    HigherIsWorse,
    /// Throughput, settled counts, conservation.
    LowerIsWorse,
    /// A change either way beyond tolerance fails: inputs and metrics without an obvious
    /// better side, where a silent shift means the comparison itself is off.
    Either,
    /// Reported, never fails (e.g. `events`, a cost of the model rather than a result).
    Ignore,
}

#[derive(Clone, Copy, Debug, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub relative: Option<f64>,
    #[serde(default)]
    pub absolute: Option<f64>,
    #[serde(default)]
    pub direction: Option<Direction>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerances {
    #[serde(default)]
    pub default: Rule,
    /// Kept in file order so the first matching pattern is well defined.
    #[serde(default)]
    pub metrics: serde_yaml::Mapping,
    #[serde(skip)]
    parsed: Vec<(String, Rule)>,
}

/// Relative tolerance when neither the file's default nor the metric names one.
pub const DEFAULT_RELATIVE: f64 = 0.05;

/// The resolved limits for one metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    pub relative: f64,
    pub absolute: f64,
    pub direction: Direction,
}

impl Limit {
    pub fn allows(&self, baseline: f64, candidate: f64) -> bool {
        let allowed = self.absolute.max(self.relative * baseline.abs());
        (candidate - baseline).abs() <= allowed
    }
}

impl Tolerances {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut t: Tolerances =
            serde_yaml::from_str(text).map_err(|e| format!("invalid tolerance file: {e}"))?;
        check_rule("default", &t.default)?;
        for (k, v) in &t.metrics {
            let name = k
                .as_str()
                .ok_or_else(|| format!("metrics: key {k:?} must be a metric name"))?;
            let rule: Rule =
                serde_yaml::from_value(v.clone()).map_err(|e| format!("metrics.{name}: {e}"))?;
            check_rule(&format!("metrics.{name}"), &rule)?;
            t.parsed.push((name.to_string(), rule));
        }
        Ok(t)
    }

    pub fn limit(&self, metric: &str) -> Limit {
        let exact = self.parsed.iter().find(|(k, _)| k == metric);
        let pattern = || {
            self.parsed
                .iter()
                .find(|(k, _)| k.contains(['*', '#']) && registry::matches(k, metric))
        };
        let rule = exact.or_else(pattern).map(|(_, r)| *r).unwrap_or_default();
        let relative =
            rule.relative
                .or(self.default.relative)
                .unwrap_or(if rule.absolute.is_some() {
                    0.0
                } else {
                    DEFAULT_RELATIVE
                });
        // A metric's own absolute tolerance is taken as written; the file's default never
        // goes below the registry's floor for the metric (16 → 17 pending passes).
        let floor = registry::entry(metric).map_or(0.0, |e| e.floor);
        let absolute = rule
            .absolute
            .unwrap_or_else(|| self.default.absolute.unwrap_or(0.0).max(floor));
        let direction = rule
            .direction
            .or(self.default.direction)
            .unwrap_or_else(|| direction_of(metric));
        Limit {
            relative,
            absolute,
            direction,
        }
    }
}

fn check_rule(at: &str, r: &Rule) -> Result<(), String> {
    for (field, v) in [("relative", r.relative), ("absolute", r.absolute)] {
        if let Some(v) = v
            && !(v.is_finite() && v >= 0.0)
        {
            return Err(format!("{at}.{field} = {v}: must be a finite number >= 0"));
        }
    }
    Ok(())
}

/// What a tolerance file says when it does not name the direction: the registry's better
/// direction; a metric the registry does not know fails on a change either way.
pub fn direction_of(metric: &str) -> Direction {
    match registry::entry(metric) {
        Some(Entry {
            kind: Kind::Work, ..
        }) => Direction::Ignore,
        Some(Entry {
            better: Better::Lower,
            ..
        }) => Direction::HigherIsWorse,
        Some(Entry {
            better: Better::Higher,
            ..
        }) => Direction::LowerIsWorse,
        _ => Direction::Either,
    }
}

/// Metric names of a sweep table carry their point (`point=3 settlement_p50_s`); the rules are
/// written for the bare metric.
pub fn bare(metric: &str) -> &str {
    metric.rsplit(' ').next().unwrap_or(metric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_come_from_the_registry() {
        assert_eq!(direction_of("settlement_p50_s"), Direction::HigherIsWorse);
        assert_eq!(direction_of("stale_rate"), Direction::HigherIsWorse);
        assert_eq!(direction_of("settled_tx_per_s"), Direction::LowerIsWorse);
        assert_eq!(direction_of("created_tx_per_s"), Direction::Either);
        assert_eq!(
            direction_of("net_bytes_per_settled_tx"),
            Direction::HigherIsWorse
        );
        assert_eq!(direction_of("net_message_bytes"), Direction::HigherIsWorse);
        assert_eq!(
            direction_of("cost_servers_usd_per_month"),
            Direction::HigherIsWorse
        );
        assert_eq!(
            direction_of("battery_life_p5_years"),
            Direction::LowerIsWorse
        );
        assert_eq!(
            direction_of("energy_per_reading_mj"),
            Direction::HigherIsWorse
        );
        assert_eq!(direction_of("events"), Direction::Ignore);
        assert_eq!(direction_of("not_a_registered_metric"), Direction::Either);
    }

    #[test]
    fn counts_and_shares_get_the_registry_floor_unless_a_rule_names_one() {
        let t = Tolerances::default();
        assert!(t.limit("tx_pending_in_transit").allows(16.0, 17.0));
        assert!(!t.limit("tx_pending_in_transit").allows(16.0, 30.0));
        assert!(t.limit("dropped_share").allows(0.0, 0.0005));
        let t = Tolerances::parse("metrics:\n  tx_pending_in_transit: { absolute: 0 }\n").unwrap();
        assert!(!t.limit("tx_pending_in_transit").allows(16.0, 17.0));
    }

    #[test]
    fn exact_names_beat_patterns_and_defaults_fill_gaps() {
        let t = Tolerances::parse(
            "default: { relative: 0.02 }\nmetrics:\n  \"*_max_s\": { relative: 0.5 }\n  \
             settlement_max_s: { absolute: 3 }\n  events: { direction: either }\n",
        )
        .unwrap();
        let l = t.limit("settlement_max_s");
        assert_eq!((l.relative, l.absolute), (0.02, 3.0));
        assert_eq!(t.limit("access_max_s").relative, 0.5);
        assert_eq!(t.limit("stale_rate").relative, 0.02);
        assert_eq!(t.limit("events").direction, Direction::Either);
        assert!(l.allows(100.0, 103.0));
        assert!(!l.allows(100.0, 103.5));
    }

    #[test]
    fn bad_values_name_the_field() {
        let e = Tolerances::parse("metrics:\n  stale_rate: { relative: -1 }\n").unwrap_err();
        assert!(e.contains("metrics.stale_rate.relative = -1"), "{e}");
        let e = Tolerances::parse("metrics:\n  stale_rate: { relativ: 1 }\n").unwrap_err();
        assert!(
            e.contains("metrics.stale_rate") && e.contains("relativ"),
            "{e}"
        );
    }
}
