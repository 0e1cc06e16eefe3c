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

use std::path::Path;

use serde::Deserialize;

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
                .find(|(k, _)| k.contains('*') && glob(k, metric))
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
        let absolute = rule.absolute.or(self.default.absolute).unwrap_or(0.0);
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

/// `*` matches any run of characters (one or more stars).
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &name[first.len()..];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// The direction a metric gets worse in, decided from its name so new metrics need no table:
/// latency statistics and counts of lost, pending or stale work are worse when higher;
/// settled and included throughput, counts and battery life are worse when lower, energy per
/// unit of work when higher; the model's own cost
/// (`events`, `events_devices`, `net_redundant_copies`: how much work the simulator did, which
/// an optimisation may change) is ignored; everything else (inputs such as `devices`, and `created_tx_per_s`)
/// fails on a change either way.
pub fn direction_of(metric: &str) -> Direction {
    const LATENCY: [&str; 5] = ["_mean_s", "_p50_s", "_p90_s", "_p99_s", "_max_s"];
    const WORSE_HIGH: [&str; 4] = ["tx_dropped_", "tx_pending_", "blocks_stale", "stale_rate"];
    // Flags and shares of the measurement (`settlement_p90_beyond_run`, `dropped_share`).
    const WORSE_HIGH_NAMED: [&str; 4] = [
        "reverted_settlements",
        "saturated",
        "drops_high",
        "dropped_share",
    ];
    const WORSE_LOW: [&str; 7] = [
        "settled_tx_per_s",
        "included_tx_per_s",
        "tx_settled",
        "tx_included",
        "tx_uploaded",
        "tx_reached_validator",
        "conservation_holds",
    ];
    if metric == "events" || metric.starts_with("events_") || metric == "net_redundant_copies" {
        Direction::Ignore
    } else if LATENCY.iter().any(|s| metric.ends_with(s))
        || WORSE_HIGH.iter().any(|p| metric.starts_with(p))
        || WORSE_HIGH_NAMED.contains(&metric)
        || metric.ends_with("_beyond_run")
        || metric.starts_with("energy_per_")
    {
        Direction::HigherIsWorse
    } else if WORSE_LOW.contains(&metric)
        || metric.starts_with("battery_life_")
        || metric.ends_with("_reached_share")
        || (metric.starts_with("settled_") && metric.ends_with("_share"))
    {
        Direction::LowerIsWorse
    } else {
        Direction::Either
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
    fn directions_follow_names() {
        assert_eq!(direction_of("settlement_p50_s"), Direction::HigherIsWorse);
        assert_eq!(direction_of("stale_rate"), Direction::HigherIsWorse);
        assert_eq!(
            direction_of("tx_dropped_buffer_overflow"),
            Direction::HigherIsWorse
        );
        assert_eq!(direction_of("settled_tx_per_s"), Direction::LowerIsWorse);
        assert_eq!(direction_of("created_tx_per_s"), Direction::Either);
        assert_eq!(
            direction_of("settlement_p90_beyond_run"),
            Direction::HigherIsWorse
        );
        assert_eq!(direction_of("saturated"), Direction::HigherIsWorse);
        assert_eq!(direction_of("dropped_share"), Direction::HigherIsWorse);
        assert_eq!(
            direction_of("settled_within_10s_share"),
            Direction::LowerIsWorse
        );
        assert_eq!(
            direction_of("settlement_reached_share"),
            Direction::LowerIsWorse
        );
        assert_eq!(
            direction_of("settlement_settled_only_p99_s"),
            Direction::HigherIsWorse
        );
        assert_eq!(direction_of("duration_s"), Direction::Either);
        assert_eq!(
            direction_of("battery_life_p5_years"),
            Direction::LowerIsWorse
        );
        assert_eq!(
            direction_of("energy_per_reading_mj"),
            Direction::HigherIsWorse
        );
        assert_eq!(direction_of("events"), Direction::Ignore);
        assert_eq!(direction_of("events_devices"), Direction::Ignore);
        assert_eq!(direction_of("net_redundant_copies"), Direction::Ignore);
        assert_eq!(direction_of("net_messages"), Direction::Either);
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

    #[test]
    fn glob_matches_runs_of_characters() {
        assert!(glob("*_max_s", "settlement_max_s"));
        assert!(glob("tx_*_s", "tx_a_s"));
        assert!(!glob("*_max_s", "settlement_p50_s"));
        assert!(!glob("a*a", "a"));
    }
}
