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
mod energy;
mod execution;
mod faults;
mod network;
pub(super) mod network_tables;
mod privacy;
mod radio;
mod raft;
mod workload;

use std::collections::HashMap;
use std::fmt::{self, Display};

use super::locate::line_of;
use super::{
    Adversary, Confirmation, Connectivity, Consensus, DeviceGroup, Duration, FieldError, Gateways,
    HashPower, MetricsOptions, MissingShare, Nakamoto, Notary, NotaryCluster, Pos as PosParams,
    Scenario, Tangle, TipSelection, Unl, Uplink, Workload, Xrpl,
};

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

    fn devices(&mut self, groups: &[DeviceGroup]) {
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut total: u64 = 0;
        let mut groups_ok = true;
        for (i, group) in groups.iter().enumerate() {
            let p = format!("devices[{i}]");
            if group.name.trim().is_empty() {
                self.report(
                    &format!("{p}.name"),
                    Quoted(&group.name),
                    "must not be empty",
                );
            } else if let Some(&first) = names.get(group.name.as_str()) {
                let hint = if group.name == "devices" {
                    " (a group without a name is called \"devices\")"
                } else {
                    ""
                };
                self.report(
                    &format!("{p}.name"),
                    Quoted(&group.name),
                    format!("must be unique: devices[{first}] has the same name{hint}"),
                );
            } else {
                names.insert(&group.name, i);
            }
            if group.count > MAX_GROUP_DEVICES {
                groups_ok = false;
                self.report(
                    &format!("{p}.count"),
                    group.count,
                    format!("must be <= {MAX_GROUP_DEVICES} per group"),
                );
            }
            total = total.saturating_add(group.count);
            if !(1..=MAX_TX_BYTES).contains(&group.tx_bytes) {
                self.report(
                    &format!("{p}.tx_bytes"),
                    group.tx_bytes,
                    format!("must be >= 1 and <= {MAX_TX_BYTES}"),
                );
            }
            if group.buffer_tx < 1 {
                self.report(
                    &format!("{p}.buffer_tx"),
                    group.buffer_tx,
                    "must be >= 1 (a device holds at least the reading it is sending)",
                );
            }
            self.connectivity(&p, &group.connectivity);
            self.workload(&p, &group.workload);
            self.typed_workload(&p, group, &groups[..i]);
            self.hot_key_share(&p, group);
            self.uplink(&p, &group.uplink);
            self.radio(&p, group);
            self.energy(&p, group);
        }
        // A single oversized group already has its own error; the total would repeat it.
        if groups_ok && total > MAX_TOTAL_DEVICES {
            self.report(
                "devices",
                format!("{total} devices in total"),
                format!("the groups' counts must sum to <= {MAX_TOTAL_DEVICES} (ids are 32-bit)"),
            );
        }
    }

    fn connectivity(&mut self, group: &str, connectivity: &Connectivity) {
        let p = format!("{group}.connectivity");
        match *connectivity {
            Connectivity::AlwaysOn | Connectivity::Never => {}
            Connectivity::DutyCycle {
                period_s,
                on_s,
                phase_jitter_s,
            } => {
                let period_ok = self.time(&format!("{p}.period_s"), period_s, Pos);
                let within_period = if period_ok {
                    Upper(period_s, "period_s")
                } else {
                    Upper(MAX_TIME_S, "10 years")
                };
                self.time_below(&format!("{p}.on_s"), on_s, Pos, within_period);
                if let Some(jitter) = phase_jitter_s {
                    self.time_below(
                        &format!("{p}.phase_jitter_s"),
                        jitter,
                        NonNeg,
                        within_period,
                    );
                }
            }
            Connectivity::OnOff { ref on, ref off } => {
                self.duration(&format!("{p}.on"), on);
                self.duration(&format!("{p}.off"), off);
            }
        }
    }

    fn duration(&mut self, p: &str, duration: &Duration) {
        match *duration {
            Duration::Exponential { mean_s } => {
                self.time(&format!("{p}.mean_s"), mean_s, Pos);
            }
            Duration::Weibull { shape, mean_s } => {
                let path = format!("{p}.shape");
                if self.finite(&path, shape)
                    && !(WEIBULL_SHAPE.0..=WEIBULL_SHAPE.1).contains(&shape)
                {
                    let (lo, hi) = WEIBULL_SHAPE;
                    self.report(&path, Num(shape), format!("must be >= {lo} and <= {hi}"));
                }
                self.time(&format!("{p}.mean_s"), mean_s, Pos);
            }
            Duration::Constant { value_s } => {
                self.time(&format!("{p}.value_s"), value_s, Pos);
            }
        }
    }

    fn workload(&mut self, group: &str, workload: &Workload) {
        let p = format!("{group}.workload");
        match *workload {
            Workload::Periodic {
                interval_s,
                jitter_s,
            } => {
                let interval_ok = self.time(&format!("{p}.interval_s"), interval_s, Pos);
                let path = format!("{p}.jitter_s");
                if !interval_ok {
                    self.time(&path, jitter_s, NonNeg);
                    return;
                }
                // Two readings displaced towards each other by less than half an interval
                // each cannot swap, so every device's readings keep their order.
                let half = interval_s / 2.0;
                if self.finite(&path, jitter_s) && !(0.0..half).contains(&jitter_s) {
                    self.report(
                        &path,
                        Num(jitter_s),
                        format!(
                            "must be >= 0 and < interval_s / 2 ({}) so each device's readings \
                             stay in order",
                            Num(half)
                        ),
                    );
                }
            }
            Workload::Poisson { rate_per_s } => {
                let max = Upper(MAX_RATE_PER_S, "one per nanosecond");
                self.range(&format!("{p}.rate_per_s"), rate_per_s, Pos, Some(max));
            }
            // Checked with the group (`validate/workload.rs`).
            _ => {}
        }
    }

    fn uplink(&mut self, group: &str, uplink: &Uplink) {
        self.time_ms(&format!("{group}.uplink.latency_ms"), uplink.latency_ms);
        self.bandwidth(
            &format!("{group}.uplink.bandwidth_bps"),
            uplink.bandwidth_bps,
        );
    }

    fn gateways(&mut self, gateways: &Gateways, groups: &[DeviceGroup]) {
        if gateways.count == 0 {
            if let Some((i, group)) = groups.iter().enumerate().find(|(_, g)| g.count > 0) {
                self.report(
                    "gateways.count",
                    0,
                    format!(
                        "must be >= 1 when there are devices (devices[{i}] \"{}\" has {})",
                        group.name, group.count
                    ),
                );
            }
        } else if gateways.count > MAX_GATEWAYS {
            self.report(
                "gateways.count",
                gateways.count,
                format!("must be <= {MAX_GATEWAYS}"),
            );
        }
        self.bandwidth("gateways.backhaul_bps", gateways.backhaul_bps);
        self.time_ms("gateways.batch_interval_ms", gateways.batch_interval_ms);
    }

    /// `validators` is the validator count when that count is itself valid; `classes`, the
    /// validators of the classes that mine when a class does not.
    fn nakamoto(
        &mut self,
        n: &Nakamoto,
        validators: Option<u64>,
        classes: Option<u64>,
        groups: &[DeviceGroup],
    ) {
        self.time("consensus.block_interval_s", n.block_interval_s, Pos);

        self.block_room(n.max_block_bytes, groups);

        if n.max_mempool_bytes < n.max_block_bytes {
            self.report(
                "consensus.max_mempool_bytes",
                n.max_mempool_bytes,
                format!(
                    "must be >= consensus.max_block_bytes ({}), or no block could be filled",
                    n.max_block_bytes
                ),
            );
        }

        if !(1..=MAX_CONFIRMATIONS).contains(&n.confirmations) {
            self.report(
                "consensus.confirmations",
                n.confirmations,
                format!("must be >= 1 and <= {MAX_CONFIRMATIONS} (the block itself counts as one)"),
            );
        }

        // How many miners the hash-power shares must cover, and where that number came from.
        let mut miners = match classes {
            Some(c) => Some((c, "the mining classes' validators, as miners is not set")),
            None => validators.map(|v| (v, "validators.count, as miners is not set")),
        };
        if let Some(m) = n.miners {
            miners = match (validators, classes) {
                (Some(_), Some(c)) if !(1..=c).contains(&m) => {
                    let allowed = format!(
                        "must be >= 1 and <= the {c} validators of the classes that mine \
                         (network.classes)"
                    );
                    self.report("consensus.miners", m, allowed);
                    None
                }
                (Some(v), _) if (1..=v).contains(&m) => Some((m, "miners")),
                (Some(v), _) => {
                    let allowed = format!("must be >= 1 and <= validators.count ({v})");
                    self.report("consensus.miners", m, allowed);
                    None
                }
                (None, _) if m >= 1 => Some((m, "miners")),
                (None, _) => {
                    self.report("consensus.miners", m, "must be >= 1");
                    None
                }
            };
        }

        match &n.hash_power {
            HashPower::Equal => {}
            HashPower::Zipf { exponent } => {
                let max = Upper(MAX_ZIPF_EXPONENT, "");
                self.range(
                    "consensus.hash_power.exponent",
                    *exponent,
                    NonNeg,
                    Some(max),
                );
            }
            HashPower::Shares { shares } => {
                self.shares("consensus.hash_power.shares", shares, miners)
            }
            HashPower::Normal { mean, sd } => {
                self.range("consensus.hash_power.mean", *mean, Pos, None);
                self.range("consensus.hash_power.sd", *sd, NonNeg, None);
            }
        }

        for (path, v) in [
            ("consensus.compact_nodes", n.compact_nodes),
            ("consensus.compact_failure_rate", n.compact_failure_rate),
            ("consensus.churn_nodes", n.churn_nodes),
            (
                "consensus.churn_compact_failure_rate",
                n.churn_compact_failure_rate,
            ),
        ] {
            self.range(path, v, NonNeg, Some(Upper(1.0, "")));
        }
        if let MissingShare::Fixed { share } = n.missing_share {
            self.range(
                "consensus.missing_share.share",
                share,
                NonNeg,
                Some(Upper(1.0, "")),
            );
        }
        if n.compact_block_bytes == Some(0) {
            self.report(
                "consensus.compact_block_bytes",
                "0",
                "must be at least 1 byte (leave it out for the BIP 152 size)",
            );
        }
        self.range(
            "consensus.validation_s_per_mb",
            n.validation_s_per_mb,
            NonNeg,
            None,
        );
    }

    /// `miners`: the validators that may mine, when the count is valid (all but those of
    /// classes that do not mine).
    fn adversary(
        &mut self,
        a: &Adversary,
        validators: Option<u64>,
        miners: Option<u64>,
        consensus: &Consensus,
    ) {
        let (node, share, max_share) = match a {
            Adversary::Byzantine { nodes, .. } => {
                self.byzantine(nodes, validators, consensus);
                return;
            }
            Adversary::Eclipse {
                nodes,
                attackers,
                from_s,
                until_s,
            } => {
                self.eclipse(nodes, attackers, (*from_s, *until_s), validators);
                return;
            }
            Adversary::SelfishMining {
                node,
                hash_share,
                gamma,
            } => {
                if let Some(g) = gamma {
                    self.range("adversary.gamma", *g, NonNeg, Some(Upper(1.0, "")));
                }
                (*node, *hash_share, 1.0)
            }
            Adversary::DoubleSpend {
                node,
                hash_share,
                confirmations,
                give_up_behind,
            } => {
                if !(1..=MAX_CONFIRMATIONS).contains(confirmations) {
                    self.report(
                        "adversary.confirmations",
                        confirmations,
                        format!("must be >= 1 and <= {MAX_CONFIRMATIONS}"),
                    );
                }
                if !(1..=MAX_CONFIRMATIONS).contains(give_up_behind) {
                    self.report(
                        "adversary.give_up_behind",
                        give_up_behind,
                        format!("must be >= 1 and <= {MAX_CONFIRMATIONS}"),
                    );
                }
                // At half the hash power or more the race is won with certainty.
                (*node, *hash_share, 0.5)
            }
        };
        if self.finite("adversary.hash_share", share) && !(share > 0.0 && share < max_share) {
            self.report(
                "adversary.hash_share",
                Num(share),
                format!("must be > 0 and < {}", Num(max_share)),
            );
        }
        let Consensus::Nakamoto(n) = consensus else {
            self.report(
                "adversary",
                "present",
                "needs consensus.protocol: nakamoto (the attacks are proof-of-work strategies)",
            );
            return;
        };
        if let Some(v) = miners {
            let miners = n.miners.unwrap_or(v).min(v);
            if u64::from(node) >= miners {
                self.report(
                    "adversary.node",
                    node,
                    format!("must be a mining validator: >= 0 and < {miners}"),
                );
            } else if miners < 2 {
                self.report(
                    "adversary.node",
                    node,
                    "needs at least one honest miner besides it (consensus.miners >= 2)",
                );
            }
        }
    }

    /// `consensus.max_block_bytes` must leave room for the largest transaction.
    fn block_room(&mut self, max_block_bytes: u64, groups: &[DeviceGroup]) {
        let largest_tx = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| (1..=MAX_TX_BYTES).contains(&g.tx_bytes))
            .max_by_key(|(i, g)| (g.tx_bytes, std::cmp::Reverse(*i)));
        match largest_tx {
            Some((i, g)) if max_block_bytes < u64::from(g.tx_bytes) + BLOCK_OVERHEAD_BYTES => {
                let min = u64::from(g.tx_bytes) + BLOCK_OVERHEAD_BYTES;
                self.report(
                    "consensus.max_block_bytes",
                    max_block_bytes,
                    format!(
                        "must be >= {min} ({BLOCK_OVERHEAD_BYTES} for the header plus \
                         devices[{i}].tx_bytes = {}), so a block can hold a transaction",
                        g.tx_bytes
                    ),
                );
            }
            None if max_block_bytes < BLOCK_OVERHEAD_BYTES => {
                self.report(
                    "consensus.max_block_bytes",
                    max_block_bytes,
                    format!("must be >= {BLOCK_OVERHEAD_BYTES} (a header plus a transaction)"),
                );
            }
            _ => {}
        }
    }

    fn pos(&mut self, p: &PosParams, validators: Option<u64>, groups: &[DeviceGroup]) {
        self.time_below(
            "consensus.slot_s",
            p.slot_s,
            Pos,
            Upper(MAX_SLOT_S, "1 day"),
        );
        if !(1..=MAX_SLOTS_PER_EPOCH).contains(&p.slots_per_epoch) {
            self.report(
                "consensus.slots_per_epoch",
                p.slots_per_epoch,
                format!("must be >= 1 and <= {MAX_SLOTS_PER_EPOCH}"),
            );
        }
        match &p.stake {
            HashPower::Equal => {}
            HashPower::Zipf { exponent } => {
                let max = Upper(MAX_ZIPF_EXPONENT, "");
                self.range("consensus.stake.exponent", *exponent, NonNeg, Some(max));
            }
            HashPower::Shares { shares } => {
                let count = validators.map(|v| (v, "validators.count"));
                self.shares("consensus.stake.shares", shares, count)
            }
            HashPower::Normal { mean, sd } => {
                self.range("consensus.stake.mean", *mean, Pos, None);
                self.range("consensus.stake.sd", *sd, NonNeg, None);
            }
        }
        if self.finite("consensus.offline_stake", p.offline_stake)
            && !(0.0..1.0).contains(&p.offline_stake)
        {
            self.report(
                "consensus.offline_stake",
                Num(p.offline_stake),
                "must be >= 0 and < 1 (a share of total stake)",
            );
        }
        self.block_room(p.max_block_bytes, groups);
    }

    fn tangle(&mut self, t: &Tangle) {
        if !(1..=MAX_APPROVALS).contains(&t.approvals) {
            self.report(
                "consensus.approvals",
                t.approvals,
                format!("must be >= 1 and <= {MAX_APPROVALS}"),
            );
        }
        if let TipSelection::Walk { alpha, depth_s } = t.tip_selection {
            let max = Upper(MAX_ALPHA, "");
            self.range("consensus.tip_selection.alpha", alpha, NonNeg, Some(max));
            self.time("consensus.tip_selection.depth_s", depth_s, Pos);
        }
        match t.confirmation {
            Confirmation::Weight { threshold } => {
                if !(1..=MAX_WEIGHT_THRESHOLD).contains(&threshold) {
                    self.report(
                        "consensus.confirmation.threshold",
                        threshold,
                        format!("must be >= 1 and <= {MAX_WEIGHT_THRESHOLD}"),
                    );
                }
            }
            Confirmation::Milestones { interval_s } => {
                self.time("consensus.confirmation.interval_s", interval_s, Pos);
            }
        }
        self.time("consensus.pow_s", t.pow_s, NonNeg);
    }

    fn xrpl(&mut self, x: &Xrpl) {
        if let Unl::Cliques { overlap } = x.unl
            && self.finite("consensus.unl.overlap", overlap)
            && !(0.0..=1.0).contains(&overlap)
        {
            self.report(
                "consensus.unl.overlap",
                Num(overlap),
                "must be >= 0 and <= 1",
            );
        }
        if self.finite("consensus.quorum", x.quorum) && !(x.quorum > 0.5 && x.quorum <= 1.0) {
            self.report("consensus.quorum", Num(x.quorum), "must be > 0.5 and <= 1");
        }
        let day = Upper(MAX_SLOT_S, "1 day");
        self.time_below(
            "consensus.ledger_min_close_s",
            x.ledger_min_close_s,
            NonNeg,
            day,
        );
        let min_consensus = x.ledger_min_consensus_s;
        self.time_below(
            "consensus.ledger_min_consensus_s",
            min_consensus,
            NonNeg,
            day,
        );
        let av = x.av_min_consensus_time_s;
        self.time_below("consensus.av_min_consensus_time_s", av, Pos, day);
        self.time_below(
            "consensus.ledger_granularity_s",
            x.ledger_granularity_s,
            Pos,
            day,
        );
        let idle = x.ledger_idle_interval_s;
        self.time_below("consensus.ledger_idle_interval_s", idle, Pos, day);
    }

    fn notary(&mut self, n: &Notary, validators: Option<u64>) {
        let (path, value, nodes, what) = match n.cluster {
            NotaryCluster::Single => ("", 0, 1, ""),
            NotaryCluster::Raft { nodes } => {
                let nodes = u64::from(nodes);
                ("consensus.cluster.nodes", nodes, nodes, "nodes")
            }
            NotaryCluster::Bft { faults } => {
                let f = u64::from(faults);
                ("consensus.cluster.faults", f, 3 * f + 1, "3·faults + 1")
            }
        };
        if !path.is_empty() {
            match validators {
                Some(v) if value < 1 || nodes > v => self.report(
                    path,
                    value,
                    format!("must be >= 1 with {what} <= validators.count ({v})"),
                ),
                None if value < 1 => self.report(path, value, "must be >= 1"),
                _ => {}
            }
        }
        if self.finite("consensus.double_spend_share", n.double_spend_share)
            && !(0.0..1.0).contains(&n.double_spend_share)
        {
            self.report(
                "consensus.double_spend_share",
                Num(n.double_spend_share),
                "must be >= 0 and < 1",
            );
        }
        let election = self.positive_ms("consensus.election_timeout_ms", n.election_timeout_ms);
        let heartbeat = self.positive_ms("consensus.heartbeat_ms", n.heartbeat_ms);
        self.positive_ms("consensus.view_change_ms", n.view_change_ms);
        if election && heartbeat && n.heartbeat_ms >= n.election_timeout_ms {
            self.report(
                "consensus.heartbeat_ms",
                Num(n.heartbeat_ms),
                format!(
                    "must be < consensus.election_timeout_ms ({}), or followers depose a live leader",
                    Num(n.election_timeout_ms)
                ),
            );
        }
    }

    fn shares(&mut self, path: &str, shares: &[f64], miners: Option<(u64, &str)>) {
        if let Some((count, source)) = miners
            && shares.len() as u64 != count
        {
            self.report(
                path,
                List(shares),
                format!(
                    "must list one share per miner: {count} ({source}), not {}",
                    shares.len()
                ),
            );
        }
        let mut all_ok = true;
        for (k, &share) in shares.iter().enumerate() {
            all_ok &= self.range(&format!("{path}[{k}]"), share, NonNeg, None);
        }
        let sum: f64 = shares.iter().sum();
        if all_ok && !shares.is_empty() && !(sum > 0.0 && sum.is_finite()) {
            // Shares are normalised by their sum, which must be a usable divisor.
            self.report(path, List(shares), "must sum to a finite number > 0");
        }
    }

    fn metrics(&mut self, metrics: &MetricsOptions, duration_s: Option<f64>) {
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

    fn measurement(&mut self, metrics: &MetricsOptions, duration_s: Option<f64>) {
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
mod tests {
    use super::*;

    const BASE: &str = "\
duration_s: 3600
validators: { count: 4 }
consensus: { protocol: nakamoto, block_interval_s: 10 }
";

    /// Validates `BASE` followed by `extra`, returning `path = value` per error.
    fn errors(extra: &str) -> Vec<String> {
        errors_of(&format!("{BASE}{extra}"))
    }

    fn errors_of(text: &str) -> Vec<String> {
        let scenario: Scenario = serde_yaml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        validate(&scenario, text)
            .iter()
            .map(|e| format!("{} = {}", e.path, e.value))
            .collect()
    }

    fn group(body: &str) -> String {
        format!("devices:\n  - name: g\n    count: 10\n{body}")
    }

    #[test]
    fn base_and_defaults_are_valid() {
        assert_eq!(errors(""), Vec::<String>::new());
        assert_eq!(
            errors(&group(
                "    workload: { model: periodic, interval_s: 600 }\n"
            )),
            Vec::<String>::new()
        );
    }

    #[test]
    fn durations_of_on_off_connectivity() {
        let e = errors(&group(
            "    connectivity:
      model: on_off
      on: { dist: exponential, mean_s: 0 }
      off: { dist: weibull, shape: 25, mean_s: -1 }
    workload: { model: poisson, rate_per_s: 1 }
",
        ));
        assert_eq!(
            e,
            [
                "devices[0].connectivity.on.mean_s = 0",
                "devices[0].connectivity.off.shape = 25",
                "devices[0].connectivity.off.mean_s = -1",
            ]
        );
        let e = errors(&group(
            "    connectivity:
      model: on_off
      on: { dist: constant, value_s: 1e-12 }
      off: { dist: weibull, shape: .nan, mean_s: 1e30 }
    workload: { model: poisson, rate_per_s: 1 }
",
        ));
        assert_eq!(
            e,
            [
                "devices[0].connectivity.on.value_s = 1e-12",
                "devices[0].connectivity.off.shape = .nan",
                "devices[0].connectivity.off.mean_s = 1e30",
            ]
        );
    }

    #[test]
    fn relations_wait_for_both_sides_to_be_valid() {
        // An invalid period hides the `on_s <= period_s` check rather than repeating it.
        let e = errors(&group(
            "    connectivity: { model: duty_cycle, period_s: -600, on_s: 900, phase_jitter_s: -1 }
    workload: { model: periodic, interval_s: 0, jitter_s: 1000 }
",
        ));
        assert_eq!(
            e,
            [
                "devices[0].connectivity.period_s = -600",
                "devices[0].connectivity.phase_jitter_s = -1",
                "devices[0].workload.interval_s = 0",
            ]
        );
    }

    #[test]
    fn boundaries_of_duty_cycle_and_jitter_are_inclusive_where_documented() {
        let ok = group(
            "    connectivity: { model: duty_cycle, period_s: 600, on_s: 600, phase_jitter_s: 600 }
    workload: { model: periodic, interval_s: 600, jitter_s: 299.999 }
",
        );
        assert_eq!(errors(&ok), Vec::<String>::new());
    }

    #[test]
    fn group_sizes_names_and_buffers() {
        let text = "\
devices:
  - { name: '', count: 1e9, tx_bytes: 0, buffer_tx: 0, workload: { model: poisson, rate_per_s: 2e9 } }
  - { count: 1e9, tx_bytes: 1000001, workload: { model: poisson, rate_per_s: 1 } }
  - { count: 1e9, workload: { model: poisson, rate_per_s: 1 } }
  - { count: 1e9, workload: { model: poisson, rate_per_s: 1 } }
  - { name: big, count: 1, workload: { model: poisson, rate_per_s: 1 },
      uplink: { latency_ms: -1, bandwidth_bps: 0.5 } }
";
        assert_eq!(
            errors(text),
            [
                "devices[0].name = \"\"",
                "devices[0].tx_bytes = 0",
                "devices[0].buffer_tx = 0",
                "devices[0].workload.rate_per_s = 2000000000",
                "devices[1].tx_bytes = 1000001",
                "devices[2].name = \"devices\"",
                "devices[3].name = \"devices\"",
                "devices[4].uplink.latency_ms = -1",
                "devices[4].uplink.bandwidth_bps = 0.5",
                "devices = 4000000001 devices in total",
            ]
        );
        let one_too_many = group("    workload: { model: poisson, rate_per_s: 1 }\n")
            .replace("count: 10", "count: 1000000001");
        assert_eq!(errors(&one_too_many), ["devices[0].count = 1000000001"]);
    }

    #[test]
    fn unnamed_duplicates_explain_the_default_name() {
        let text = format!(
            "{BASE}devices:
  - {{ count: 1, workload: {{ model: poisson, rate_per_s: 1 }} }}
  - {{ count: 1, workload: {{ model: poisson, rate_per_s: 1 }} }}
"
        );
        let scenario: Scenario = serde_yaml::from_str(&text).unwrap();
        let errors = validate(&scenario, &text);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].allowed.contains("without a name"),
            "{}",
            errors[0].allowed
        );
        // The name came from a default, so there is no line to show; the item's is unrelated.
        assert_eq!(errors[0].line, None);
    }

    #[test]
    fn announce_relay_fields_are_bounded() {
        let text = "\
duration_s: 3600
validators: { count: 4 }
network: { relay_model: announce, upload: fair }
consensus:
  protocol: nakamoto
  churn_nodes: 1.5
  churn_compact_failure_rate: -0.1
  missing_share: { model: fixed, share: 2 }
  compact_block_bytes: 0
";
        assert_eq!(
            errors_of(text),
            [
                "consensus.churn_nodes = 1.5",
                "consensus.churn_compact_failure_rate = -0.1",
                "consensus.missing_share.share = 2",
                "consensus.compact_block_bytes = 0",
            ]
        );
        let ok = text
            .replace("1.5", "0.9")
            .replace("-0.1", "0.2")
            .replace("share: 2", "share: 0.5");
        assert_eq!(
            errors_of(&ok.replace("bytes: 0", "bytes: 18000")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn raft_election_timeout_range_is_ordered() {
        let text = |max: &str| {
            format!(
                "duration_s: 60\nvalidators: {{ count: 3 }}\nconsensus: {{ protocol: raft, \
                 election_timeout_ms: 1000, election_timeout_max_ms: {max}, heartbeat_ms: 100 }}\n"
            )
        };
        assert_eq!(
            errors_of(&text("999")),
            ["consensus.election_timeout_max_ms = 999"]
        );
        assert_eq!(errors_of(&text("1000")), Vec::<String>::new());
    }

    #[test]
    fn gateways_and_network() {
        let e = errors(
            "gateways: { count: 100000001, backhaul_bps: .inf }
network:
  latency: { model: constant, one_way_ms: -0.5, bandwidth_bps: 0 }
  topology: { model: random, outbound: 0, max_inbound: 0 }
  processing_ms: .nan
",
        );
        assert_eq!(
            e,
            [
                "gateways.count = 100000001",
                "gateways.backhaul_bps = .inf",
                "network.processing_ms = .nan",
                "network.latency.one_way_ms = -0.5",
                "network.latency.bandwidth_bps = 0",
                "network.topology.outbound = 0",
                "network.topology.max_inbound = 0",
            ]
        );
        assert_eq!(
            errors("network: { topology: { model: random, outbound: 1001, max_inbound: 2000 } }\n"),
            ["network.topology.outbound = 1001"]
        );
        let mesh = |n: u32| {
            errors_of(&format!(
                "duration_s: 60\nvalidators: {{ count: {n} }}\nconsensus: {{ protocol: nakamoto }}\n\
                 network: {{ topology: {{ model: full_mesh }} }}\n"
            ))
        };
        assert_eq!(mesh(10_000), Vec::<String>::new());
        assert_eq!(mesh(10_001), ["network.topology.model = full_mesh"]);
        // Zero gateways are fine while no device exists, including groups of zero devices.
        let idle = "gateways: { count: 0 }\ndevices:\n  - { count: 0, workload: { model: poisson, rate_per_s: 1 } }\n";
        assert_eq!(errors(idle), Vec::<String>::new());
    }

    #[test]
    fn a_single_validator_needs_no_inbound_room() {
        let text = "\
duration_s: 60
validators: { count: 1 }
consensus: { protocol: nakamoto }
network: { topology: { model: random, outbound: 8, max_inbound: 1 } }
";
        assert_eq!(errors_of(text), Vec::<String>::new());
    }

    #[test]
    fn nakamoto_parameters() {
        let text = "\
duration_s: 60
validators: { count: 4 }
consensus:
  protocol: nakamoto
  block_interval_s: 0
  max_block_bytes: 999
  confirmations: 1001
  miners: 0
  hash_power: { model: zipf, exponent: 10.5 }
  validation_s_per_mb: -0.1
";
        assert_eq!(
            errors_of(text),
            [
                "consensus.block_interval_s = 0",
                "consensus.max_block_bytes = 999",
                "consensus.confirmations = 1001",
                "consensus.miners = 0",
                "consensus.hash_power.exponent = 10.5",
                "consensus.validation_s_per_mb = -0.1",
            ]
        );
    }

    #[test]
    fn pos_parameters() {
        let text = "\
duration_s: 60
validators: { count: 4 }
consensus:
  protocol: pos
  slot_s: 0
  slots_per_epoch: 0
  stake: { model: shares, shares: [1, 2] }
  offline_stake: 1
  max_block_bytes: 10
";
        assert_eq!(
            errors_of(text),
            [
                "consensus.slot_s = 0",
                "consensus.slots_per_epoch = 0",
                "consensus.stake.shares = [1, 2]",
                "consensus.offline_stake = 1",
                "consensus.max_block_bytes = 10",
            ]
        );
        let ok = "duration_s: 60\nvalidators: { count: 4 }\nconsensus: { protocol: pos }\n";
        assert_eq!(errors_of(ok), Vec::<String>::new());
    }

    #[test]
    fn xrpl_parameters() {
        let text = "\
duration_s: 60
validators: { count: 4 }
consensus:
  protocol: xrpl
  unl: { model: cliques, overlap: 1.5 }
  quorum: 0.5
  ledger_min_close_s: -1
  ledger_min_consensus_s: 1e6
  av_min_consensus_time_s: 0
  ledger_granularity_s: 0
  ledger_idle_interval_s: .nan
";
        assert_eq!(
            errors_of(text),
            [
                "consensus.unl.overlap = 1.5",
                "consensus.quorum = 0.5",
                "consensus.ledger_min_close_s = -1",
                "consensus.ledger_min_consensus_s = 1000000",
                "consensus.av_min_consensus_time_s = 0",
                "consensus.ledger_granularity_s = 0",
                "consensus.ledger_idle_interval_s = .nan",
            ]
        );
    }

    #[test]
    fn notary_parameters() {
        let bad = |cluster: &str| {
            errors_of(&format!(
                "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ protocol: notary, \
                 cluster: {cluster}, double_spend_share: 1 }}\n"
            ))
        };
        assert_eq!(
            bad("{ model: raft, nodes: 5 }"),
            [
                "consensus.cluster.nodes = 5",
                "consensus.double_spend_share = 1"
            ]
        );
        assert_eq!(
            bad("{ model: bft, faults: 0 }")[0],
            "consensus.cluster.faults = 0"
        );
        assert_eq!(
            bad("{ model: bft, faults: 2 }")[0],
            "consensus.cluster.faults = 2"
        );
        assert_eq!(
            bad("{ model: bft, faults: 1 }"),
            ["consensus.double_spend_share = 1"]
        );
        assert_eq!(
            bad("{ model: single }"),
            ["consensus.double_spend_share = 1"]
        );
        assert_eq!(
            bad("{ model: raft, nodes: 3 }, election_timeout_ms: 0, heartbeat_ms: -1"),
            [
                "consensus.double_spend_share = 1",
                "consensus.election_timeout_ms = 0",
                "consensus.heartbeat_ms = -1"
            ]
        );
        assert_eq!(
            bad("{ model: raft, nodes: 3 }, election_timeout_ms: 100, heartbeat_ms: 100")[1],
            "consensus.heartbeat_ms = 100"
        );
        assert_eq!(
            bad("{ model: bft, faults: 1 }, view_change_ms: 0"),
            [
                "consensus.double_spend_share = 1",
                "consensus.view_change_ms = 0"
            ]
        );
    }

    #[test]
    fn tangle_parameters() {
        let text = "\
duration_s: 60
validators: { count: 4 }
consensus:
  protocol: tangle
  approvals: 0
  tip_selection: { model: walk, alpha: -1, depth_s: 0 }
  confirmation: { model: weight, threshold: 0 }
  pow_s: -1
";
        assert_eq!(
            errors_of(text),
            [
                "consensus.approvals = 0",
                "consensus.tip_selection.alpha = -1",
                "consensus.tip_selection.depth_s = 0",
                "consensus.confirmation.threshold = 0",
                "consensus.pow_s = -1",
            ]
        );
        let ms = "duration_s: 60\nvalidators: { count: 4 }\nconsensus: { protocol: tangle, \
                  confirmation: { model: milestones, interval_s: 0 } }\n";
        assert_eq!(errors_of(ms), ["consensus.confirmation.interval_s = 0"]);
    }

    #[test]
    fn shares_default_to_one_per_validator_and_must_not_all_be_zero() {
        let shares = |list: &str| {
            errors_of(&format!(
                "duration_s: 60\nvalidators: {{ count: 3 }}\nconsensus: {{ protocol: nakamoto, \
                 hash_power: {{ model: shares, shares: {list} }} }}\n"
            ))
        };
        assert_eq!(shares("[1, 2, 3]"), Vec::<String>::new());
        assert_eq!(shares("[1, 2]"), ["consensus.hash_power.shares = [1, 2]"]);
        assert_eq!(
            shares("[0, 0, 0]"),
            ["consensus.hash_power.shares = [0, 0, 0]"]
        );
        assert_eq!(
            shares("[-1, .nan, 1]"),
            [
                "consensus.hash_power.shares[0] = -1",
                "consensus.hash_power.shares[1] = .nan"
            ]
        );
        assert_eq!(shares("[]"), ["consensus.hash_power.shares = []"]);
    }

    #[test]
    fn invalid_validator_count_does_not_cascade_into_miners_and_shares() {
        let text = "\
duration_s: 60
validators: { count: 0 }
consensus: { protocol: nakamoto, miners: 2, hash_power: { model: shares, shares: [1] } }
";
        assert_eq!(
            errors_of(text),
            ["validators.count = 0", "consensus.hash_power.shares = [1]"]
        );
    }

    #[test]
    fn metrics_windows_and_quantiles() {
        // Exactly a million windows is allowed; one more is not.
        assert_eq!(
            errors("metrics: { window_s: 0.0036 }\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            errors("metrics: { window_s: 0.0035 }\n"),
            ["metrics.window_s = 0.0035"]
        );
        assert_eq!(
            errors("metrics: { quantiles: [0, 0.5, 1, 0.5, -.inf] }\n"),
            [
                "metrics.quantiles[0] = 0",
                "metrics.quantiles[2] = 1",
                "metrics.quantiles[3] = 0.5",
                "metrics.quantiles[4] = -.inf",
            ]
        );
        assert_eq!(
            errors("metrics: { quantiles: [] }\n"),
            ["metrics.quantiles = []"]
        );
    }

    #[test]
    fn measurement_window_fits_the_run() {
        let base = BASE.replace("duration_s: 3600", "duration_s: 100");
        let d = |extra: &str| errors_of(&format!("{base}{extra}"));
        assert_eq!(
            d("metrics: { warmup_s: 20, measure_s: 80 }\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            d("metrics: { warmup_s: 20, measure_s: 81 }\n"),
            ["metrics.measure_s = 81"]
        );
        // The default length is 80 % of the run: a warm-up over 20 % leaves it no room.
        assert_eq!(d("metrics: { warmup_s: 21 }\n"), ["metrics.warmup_s = 21"]);
        assert_eq!(
            d("metrics: { warmup_s: -1, measure_s: 0, sla_s: [1, 0], drop_warn_share: 2 }\n"),
            [
                "metrics.warmup_s = -1",
                "metrics.measure_s = 0",
                "metrics.sla_s[1] = 0",
                "metrics.drop_warn_share = 2",
            ]
        );
    }

    #[test]
    fn run_length_is_bounded() {
        let over = "duration_s: 4e8\nvalidators: { count: 4 }\nconsensus: { protocol: nakamoto }\n";
        assert_eq!(errors_of(over), ["duration_s = 400000000"]);
        let empty = format!("name: ' '\n{BASE}");
        assert_eq!(errors_of(&empty), ["name = \" \""]);
    }

    #[test]
    fn faults_section() {
        let e = errors(
            "faults:
  crashes:
    - { nodes: [0, 0], at_s: 5, recover_s: 5 }
    - { random: 5, at_s: -1 }
    - { nodes: [1], random: 1, at_s: 1 }
    - { nodes: [], at_s: 1 }
  partitions:
    - { groups: [[0, 1], [1, 9]], from_s: 0, to_s: 10 }
    - { split: 1, from_s: 0, to_s: 10 }
    - { groups: [[]], from_s: 0, to_s: 10 }
  links: { loss: 1, extra_delay_ms: -2 }
",
        );
        assert_eq!(
            e,
            [
                "faults.crashes[0].nodes[1] = 0",
                "faults.crashes[0].recover_s = 5",
                "faults.crashes[1].random = 5",
                "faults.crashes[1].at_s = -1",
                "faults.crashes[2] = { ... }",
                "faults.crashes[3].nodes = []",
                "faults.partitions[0].groups[1][0] = 1",
                "faults.partitions[0].groups[1][1] = 9",
                "faults.partitions[1].split = 1",
                "faults.partitions[2].groups = []",
                "faults.links.loss = 1",
                "faults.links.extra_delay_ms = -2",
            ]
        );
        let ok = "faults:
  crashes: [{ random: 1, at_s: 0, recover_s: 1 }, { nodes: [3], at_s: 2 }]
  partitions: [{ groups: [[0, 1]], from_s: 0, to_s: 10 }, { split: 0.25, from_s: 1, to_s: 2 }]
  links: { loss: 0.01, extra_delay_ms: 5 }
";
        assert_eq!(errors(ok), Vec::<String>::new());
    }

    #[test]
    fn bft_parameters() {
        let bft = |body: &str| {
            errors_of(&format!(
                "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ {body} }}\n"
            ))
        };
        assert_eq!(bft("protocol: pbft"), Vec::<String>::new());
        assert_eq!(bft("protocol: hotstuff"), Vec::<String>::new());
        for model in ["header", "signatures", "aggregate"] {
            let text = format!("protocol: hotstuff, certificate: {model}");
            assert_eq!(bft(&text), Vec::<String>::new());
        }
        let bls = "duration_s: 60\nvalidators: { count: 4 }\n\
                   consensus: { protocol: hotstuff, certificate: bls }\n";
        assert!(serde_yaml::from_str::<Scenario>(bls).is_err());
        assert_eq!(
            bft("protocol: pbft, batch_max_tx: 0, batch_timeout_ms: 1e-7, view_timeout_ms: -1"),
            [
                "consensus.batch_max_tx = 0",
                "consensus.batch_timeout_ms = 1e-7",
                "consensus.view_timeout_ms = -1",
            ]
        );
        assert_eq!(
            bft("protocol: hotstuff, batch_max_tx: 1000001, view_timeout_ms: .nan"),
            [
                "consensus.batch_max_tx = 1000001",
                "consensus.view_timeout_ms = .nan",
            ]
        );
        assert_eq!(bft("protocol: tendermint"), Vec::<String>::new());
        assert_eq!(
            bft(
                "protocol: tendermint, batch_max_tx: 0, timeout_propose_ms: 0, \
                 timeout_prevote_ms: -1, timeout_precommit_ms: .inf, timeout_delta_ms: -5"
            ),
            [
                "consensus.batch_max_tx = 0",
                "consensus.timeout_propose_ms = 0",
                "consensus.timeout_prevote_ms = -1",
                "consensus.timeout_precommit_ms = .inf",
                "consensus.timeout_delta_ms = -5",
            ]
        );
    }

    #[test]
    fn raft_parameters() {
        let raft = |body: &str| {
            errors_of(&format!(
                "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ protocol: raft{body} }}\n"
            ))
        };
        assert_eq!(raft(""), Vec::<String>::new());
        assert_eq!(
            raft(", orderers: 2, endorsers: 4, max_message_count: 0, preferred_max_bytes: 0"),
            [
                "consensus.orderers = 2",
                "consensus.endorsers = 4",
                "consensus.max_message_count = 0",
                "consensus.preferred_max_bytes = 0",
            ]
        );
        assert_eq!(
            raft(
                ", orderers: 5, election_timeout_ms: 100, heartbeat_ms: 100, block_validation_ms: -1"
            ),
            [
                "consensus.orderers = 5",
                "consensus.heartbeat_ms = 100",
                "consensus.block_validation_ms = -1",
            ]
        );
    }

    #[test]
    fn numbers_are_shown_as_written() {
        let shown = |v: f64| Num(v).to_string();
        assert_eq!(shown(600.0), "600");
        assert_eq!(shown(0.25), "0.25");
        assert_eq!(shown(-0.0), "-0");
        assert_eq!(shown(1e-10), "1e-10");
        assert_eq!(shown(2.5e20), "2.5e20");
        assert_eq!(shown(f64::NEG_INFINITY), "-.inf");
        let long: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(
            List(&long).to_string(),
            "[0, 1, 2, 3, 4, 5, 6, 7, ... (10 in all)]"
        );
    }

    #[test]
    fn adversary_fields() {
        assert_eq!(
            errors("adversary: { kind: selfish_mining, node: 3, hash_share: 0.3, gamma: 0.5 }\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            errors("adversary: { kind: selfish_mining, node: 4, hash_share: 1.0, gamma: 1.5 }\n"),
            [
                "adversary.gamma = 1.5",
                "adversary.hash_share = 1",
                "adversary.node = 4"
            ]
        );
        assert_eq!(
            errors(
                "adversary: { kind: double_spend, node: 0, hash_share: 0.5, confirmations: 0, \
                 give_up_behind: 0 }\n"
            ),
            [
                "adversary.confirmations = 0",
                "adversary.give_up_behind = 0",
                "adversary.hash_share = 0.5",
            ]
        );
        let text = "\
duration_s: 60
validators: { count: 4 }
consensus: { protocol: nakamoto, miners: 2 }
adversary: { kind: double_spend, node: 2, hash_share: 0.2, confirmations: 3 }
";
        assert_eq!(errors_of(text), ["adversary.node = 2"]);
        let bft = |protocol: &str, adversary: &str| {
            errors_of(&format!(
                "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ protocol: {protocol} }}\n\
                 adversary: {{ kind: byzantine, {adversary} }}\n"
            ))
        };
        assert_eq!(
            bft("pbft", "nodes: [0, 1], behaviour: equivocate"),
            Vec::<String>::new()
        );
        assert_eq!(
            bft("hotstuff", "nodes: [3], behaviour: withhold"),
            Vec::<String>::new()
        );
        assert_eq!(
            bft("tendermint", "nodes: [0], behaviour: equivocate"),
            Vec::<String>::new()
        );
        assert_eq!(
            bft("xrpl", "nodes: [0, 2], behaviour: withhold"),
            Vec::<String>::new()
        );
        assert_eq!(
            bft("pbft", "nodes: [1, 4, 1], behaviour: withhold"),
            ["adversary.nodes[1] = 4", "adversary.nodes[2] = 1"]
        );
        assert_eq!(
            bft("hotstuff", "nodes: [], behaviour: equivocate"),
            ["adversary.nodes = []"]
        );
        assert_eq!(
            bft("pbft", "nodes: [0, 1, 2, 3], behaviour: equivocate"),
            ["adversary.nodes = 4 ids"]
        );
        assert_eq!(
            bft("nakamoto", "nodes: [0], behaviour: withhold"),
            ["adversary.kind = byzantine"]
        );
        let mining = "duration_s: 60\nvalidators: { count: 4 }\nconsensus: { protocol: pbft }\n\
                      adversary: { kind: selfish_mining, node: 1, hash_share: 0.3 }\n";
        assert_eq!(errors_of(mining), ["adversary = present"]);
        let behaviour = "duration_s: 60\nvalidators: { count: 4 }\nconsensus: { protocol: pbft }\n\
                         adversary: { kind: byzantine, nodes: [0], behaviour: lie }\n";
        assert!(serde_yaml::from_str::<Scenario>(behaviour).is_err());
        let eclipse = |adversary: &str| {
            errors_of(&format!(
                "duration_s: 60\nvalidators: {{ count: 6 }}\nconsensus: {{ protocol: tendermint }}\n\
                 adversary: {{ kind: eclipse, {adversary} }}\n"
            ))
        };
        assert_eq!(
            eclipse("nodes: [4, 5], attackers: [0], from_s: 0, until_s: 30"),
            Vec::<String>::new()
        );
        assert_eq!(
            eclipse("nodes: [4], from_s: 5, until_s: 6"),
            Vec::<String>::new()
        );
        assert_eq!(
            eclipse("nodes: [], attackers: [0, 0, 6], from_s: -1, until_s: 30"),
            [
                "adversary.nodes = []",
                "adversary.attackers[1] = 0",
                "adversary.attackers[2] = 6",
                "adversary.from_s = -1",
            ]
        );
        let unknown = format!("{BASE}adversary: {{ kind: eclipse, node: 1 }}\n");
        assert!(serde_yaml::from_str::<Scenario>(&unknown).is_err());
    }
}
