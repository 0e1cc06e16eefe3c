//! Range and consistency checks on a parsed scenario.
//!
//! Every check runs even after others have failed, so one pass over a file reports all of its
//! mistakes. A relation between two fields is only checked when both fields are valid on
//! their own: `on_s > period_s` says nothing useful when `period_s` is already negative.

mod bft;
pub(super) mod bounds;
mod cellular;
mod classes;
mod costs;
mod devices;
mod energy;
mod execution;
mod families;
mod faults;
mod metrics;
mod nakamoto;
mod network;
pub(super) mod network_tables;
mod privacy;
mod radio;
mod raft;
mod workload;

use std::fmt::{self, Display};

use super::locate::line_of;
use super::{Consensus, FieldError, Scenario};

/// Longest run, and longest span of time any one setting may describe. Keeping every time at
/// or below ten years (3.2e17 ns) leaves sums of a few of them far from `u64` overflow.
const MAX_TIME_S: f64 = 10.0 * 365.25 * 86_400.0;
/// Simulated time is integer nanoseconds: a positive interval shorter than that rounds to
/// zero, and a process repeating every zero nanoseconds never lets the clock advance.
const TICK_S: f64 = 1e-9;
pub const MAX_VALIDATORS: u64 = 1_000_000;
/// Devices, validators and gateways are numbered with `u32` ids (event sources are
/// `1 + validators + devices`); the caps together (4.101e9) stay below `u32::MAX` (4.295e9).
const MAX_GROUP_DEVICES: u64 = 1_000_000_000;
const MAX_TOTAL_DEVICES: u64 = 4_000_000_000;
const MAX_GATEWAYS: u64 = 100_000_000;
const MAX_TX_BYTES: u32 = 1_000_000;
/// Peer lists are stored with `u32` offsets: `validators × outbound` connections (at most
/// 1e9 here) and a full mesh's `validators × (validators − 1)` entries (1e8, 400 MB) must fit.
pub(super) const MAX_OUTBOUND: u32 = 1_000;
const MAX_FULL_MESH_VALIDATORS: u64 = 10_000;
/// Room for a block header (80 B in Bitcoin) with generous slack for coinbase and counts.
const BLOCK_OVERHEAD_BYTES: u64 = 1_000;
const MAX_CONFIRMATIONS: u32 = 1_000;
/// A slot longer than a day or an epoch of more than 1024 slots describes no deployed chain.
const MAX_SLOT_S: f64 = 86_400.0;
const MAX_SLOTS_PER_EPOCH: u32 = 1_024;
const MAX_APPROVALS: u32 = 8;
/// exp(−alpha·ΔH) underflows to zero for every step beyond alpha ≈ 700 / ΔH; larger values
/// add nothing to the greedy walk they already describe.
const MAX_ALPHA: f64 = 100.0;
const MAX_WEIGHT_THRESHOLD: u32 = 1_000_000;
/// Below 0.05 the mean rests on draws so rare (Γ(1 + 1/shape) > 1e18) that no run sees it;
/// above 20 the distribution is all but constant, which `constant` states plainly.
const WEIBULL_SHAPE: (f64, f64) = (0.05, 20.0);
const MAX_ZIPF_EXPONENT: f64 = 10.0;
/// More than one reading per nanosecond per device cannot be represented by the clock.
const MAX_RATE_PER_S: f64 = 1e9;
/// Bandwidths below one bit per second turn a single block into centuries of transfer.
const MIN_BANDWIDTH_BPS: f64 = 1.0;
const MAX_WINDOWS: f64 = 1_000_000.0;

/// Checks every value's range and the relations between values. `text` is the YAML the
/// scenario was parsed from and is used only to point each error at its line.
pub fn validate(scenario: &Scenario, text: &str) -> Vec<FieldError> {
    let mut c = Checker {
        text,
        errors: Vec::new(),
    };
    if let Some(problem) = super::name_problem(&scenario.name) {
        c.report("name", super::name::shown(&scenario.name), problem);
    }
    let duration_ok = c.time("duration_s", scenario.duration_s, Pos);
    c.devices(&scenario.devices);
    c.gateways(&scenario.gateways, &scenario.devices);
    c.gateway_kind(&scenario.gateways, &scenario.devices);
    c.area(
        scenario.area.as_ref(),
        &scenario.devices,
        scenario.gateways.count,
    );
    let validators = scenario.validators.count;
    let validators_ok = (1..=MAX_VALIDATORS).contains(&validators);
    if !validators_ok {
        c.report(
            "validators.count",
            validators,
            format!("must be >= 1 and <= {MAX_VALIDATORS}"),
        );
    }
    if let Some(e) = &scenario.validators.execution {
        c.execution(e);
    }
    c.network(&scenario.network, validators);
    c.tx_relay(scenario);
    if validators_ok {
        c.classes(&scenario.network, validators, &scenario.consensus);
    }
    match &scenario.consensus {
        Consensus::Nakamoto(n) => {
            let classes = validators_ok
                .then(|| scenario.network.mining_nodes(validators))
                .flatten();
            c.nakamoto(
                n,
                validators_ok.then_some(validators),
                classes,
                &scenario.devices,
            )
        }
        Consensus::Pos(p) => c.pos(p, validators_ok.then_some(validators), &scenario.devices),
        Consensus::Tangle(t) => c.tangle(t),
        Consensus::Notary(n) => c.notary(n, validators_ok.then_some(validators)),
        Consensus::Xrpl(x) => c.xrpl(x),
        Consensus::Pbft(p) => c.pbft(p),
        Consensus::Hotstuff(h) => c.hotstuff(h),
        Consensus::Tendermint(t) => c.tendermint(t),
        Consensus::Raft(r) => c.raft(r, validators_ok.then_some(validators)),
    }
    if let Some(a) = &scenario.adversary {
        let miners = validators_ok.then(|| {
            let classes = scenario.network.mining_nodes(validators);
            classes.unwrap_or(validators)
        });
        c.adversary(
            a,
            validators_ok.then_some(validators),
            miners,
            &scenario.consensus,
        );
    }
    c.metrics(
        &scenario.metrics,
        duration_ok.then_some(scenario.duration_s),
    );
    if let Some(faults) = &scenario.faults {
        c.faults(faults, validators_ok.then_some(validators));
    }
    if let Some(costs) = &scenario.costs {
        c.costs(costs);
    }
    c.privacy(scenario);
    c.errors
}

struct Checker<'t> {
    text: &'t str,
    errors: Vec<FieldError>,
}

/// The lower end of a time or rate: strictly positive, or zero allowed.
#[derive(Clone, Copy, PartialEq)]
enum Lower {
    Pos,
    NonNeg,
}
use Lower::{NonNeg, Pos};

/// An inclusive upper bound, named when it is another field so the message says which.
#[derive(Clone, Copy)]
struct Upper<'a>(f64, &'a str);

impl Display for Upper<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Upper(v, name) = *self;
        if name.is_empty() {
            write!(f, "<= {}", Num(v))
        } else {
            write!(f, "<= {name} ({})", Num(v))
        }
    }
}

impl Checker<'_> {
    fn report(&mut self, path: &str, value: impl Display, allowed: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.to_string(),
            value: value.to_string(),
            allowed: allowed.into(),
            line: line_of(self.text, path),
        });
    }

    /// Reports NaN and infinities, which every comparison below would otherwise let through
    /// or reject with a misleading message.
    fn finite(&mut self, path: &str, v: f64) -> bool {
        if !v.is_finite() {
            self.report(
                path,
                Num(v),
                "must be a finite number (NaN and infinities are not allowed)",
            );
        }
        v.is_finite()
    }

    /// Checks `v` against `lower` and `upper`; the message states the whole allowed range.
    fn range(&mut self, path: &str, v: f64, lower: Lower, upper: Option<Upper>) -> bool {
        if !self.finite(path, v) {
            return false;
        }
        let low_ok = match lower {
            Pos => v > 0.0,
            NonNeg => v >= 0.0,
        };
        let high_ok = upper.is_none_or(|Upper(max, _)| v <= max);
        if !(low_ok && high_ok) {
            let low = if lower == Pos { "> 0" } else { ">= 0" };
            let allowed = match upper {
                Some(upper) => format!("must be {low} and {upper}"),
                None => format!("must be {low}"),
            };
            self.report(path, Num(v), allowed);
        }
        low_ok && high_ok
    }

    /// A time in seconds: at most ten years, and when it must be positive, at least one tick.
    fn time(&mut self, path: &str, v: f64, lower: Lower) -> bool {
        self.time_below(path, v, lower, Upper(MAX_TIME_S, "10 years"))
    }

    fn time_below(&mut self, path: &str, v: f64, lower: Lower, upper: Upper) -> bool {
        if !self.range(path, v, lower, Some(upper)) {
            return false;
        }
        if lower == Pos && v < TICK_S {
            self.report(
                path,
                Num(v),
                format!(
                    "must be >= {} (1 ns, the resolution of simulated time)",
                    Num(TICK_S)
                ),
            );
            return false;
        }
        true
    }

    /// A time in milliseconds, bounded like [`Checker::time`].
    fn time_ms(&mut self, path: &str, v: f64) -> bool {
        self.range(path, v, NonNeg, Some(Upper(MAX_TIME_S * 1e3, "10 years")))
    }

    fn bandwidth(&mut self, path: &str, v: f64) -> bool {
        if !self.range(path, v, Pos, None) {
            return false;
        }
        if v < MIN_BANDWIDTH_BPS {
            self.report(
                path,
                Num(v),
                format!("must be >= {MIN_BANDWIDTH_BPS} (bit per second)"),
            );
            return false;
        }
        true
    }
}

/// The one-line messages of loading `text` as a scenario; empty when it is valid.
#[cfg(test)]
fn messages(text: &str) -> Vec<String> {
    use super::{ScenarioError, parse};
    match parse(text, "t") {
        Ok(_) => Vec::new(),
        Err(ScenarioError::Invalid { errors, .. }) => {
            errors.iter().map(|e| e.to_string()).collect()
        }
        Err(e) => vec![e.to_string()],
    }
}

/// A number as a scenario author would write it: `600` rather than `600.0`, `1e-10` rather
/// than a string of zeros, and NaN and infinities in their YAML spelling.
struct Num(f64);

impl Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            f.write_str(".nan")
        } else if v.is_infinite() {
            f.write_str(if v > 0.0 { ".inf" } else { "-.inf" })
        } else if v == 0.0 || (1e-4..1e16).contains(&v.abs()) {
            write!(f, "{v}")
        } else {
            write!(f, "{v:e}")
        }
    }
}

struct Quoted<'a>(&'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// A list of numbers, shortened when long: the message is about its length or its sum.
struct List<'a>(&'a [f64]);

impl Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        f.write_str("[")?;
        for (k, v) in self.0.iter().take(SHOWN).enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", Num(*v))?;
        }
        if self.0.len() > SHOWN {
            write!(f, ", ... ({} in all)", self.0.len())?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests;
