//! Plain data a finished run hands to the report: rows of the output tables.

use super::Conservation;
use crate::engine::{Time, to_secs};

#[derive(Clone, Debug, PartialEq)]
pub struct TimeseriesRow {
    pub window_start_s: f64,
    pub window_end_s: f64,
    pub created_tx_per_s: f64,
    pub included_tx_per_s: f64,
    pub settled_tx_per_s: f64,
    pub online_devices: f64,
    pub mempool_tx: u64,
    pub pending_tx: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LatencyRow {
    /// `upload_wait`, `access`, `inclusion`, `settlement`, `block_arrival`.
    pub stage: &'static str,
    pub quantile: f64,
    /// The quantile over `population`, those that never reached the stage counted as later
    /// than the run; `None` when it falls among them (`beyond_run`) or the population is
    /// empty.
    pub latency_s: Option<f64>,
    pub beyond_run: bool,
    /// The quantile over the `samples` that reached the stage only.
    pub reached_only_latency_s: Option<f64>,
    /// Transactions (block copies for `block_arrival`) that reached the stage.
    pub samples: u64,
    /// Transactions created in the measurement window (for `block_arrival`, `samples`).
    pub population: u64,
}

/// One bin of a stage's latency histogram (`latency_hist`): enough to draw the CDFs of many
/// runs in one chart, or to add runs' counts before taking quantiles.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyBinRow {
    /// As in `latency`.
    pub stage: &'static str,
    pub bin_low_s: f64,
    /// `None` for the last bin, which is open above.
    pub bin_high_s: Option<f64>,
    pub count: u64,
    /// Of the stage's population, the share that reached it within `bin_high_s`; the gap to
    /// one at the last bin is what never reached it (pending, dropped, beyond the run).
    pub cumulative_share: f64,
    pub population: u64,
}

/// A leader change of a leader-based family: a node won an election, a leader stepped down on
/// learning of a newer term, a new leader took over a view after a view change, or a
/// Tendermint proposer took over a height after its earlier rounds failed.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaderRow {
    pub at_s: f64,
    /// One of [`LeaderRow::EVENTS`].
    pub event: &'static str,
    /// The term (Raft), view (PBFT, HotStuff, the notary's BFT cluster) or height
    /// (Tendermint) the event belongs to.
    pub term: u64,
    pub node: u32,
}

/// `(time, term or view, node)`: one leader change as a family records it.
pub type LeaderEvent = (Time, u64, u32);

impl LeaderRow {
    /// Events in the order rows of one instant are listed.
    pub const EVENTS: [&'static str; 4] =
        ["elected", "stepped_down", "view_change", "round_change"];

    /// Rows from `(time, term or view, node)` records, each list with its event, in time
    /// order; records of one instant by event, then term, then node, so the table does not
    /// depend on the order in which a family happened to record them.
    pub fn table(lists: &[(&'static str, &[LeaderEvent])]) -> Vec<LeaderRow> {
        let rank = |event| Self::EVENTS.iter().position(|&e| e == event);
        let mut rows: Vec<_> = lists
            .iter()
            .flat_map(|&(event, list)| list.iter().map(move |&r| (r, event)))
            .collect();
        rows.sort_by_key(|&((at, term, node), event)| (at, rank(event), term, node));
        rows.into_iter()
            .map(|((at, term, node), event)| LeaderRow {
                at_s: to_secs(at),
                event,
                term,
                node,
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BlockRow {
    pub block: u32,
    pub height: u32,
    pub miner: u32,
    pub mined_at_s: f64,
    pub size_bytes: u64,
    pub tx_count: u32,
    /// Time from creation until 50 %, 90 % and 100 % of nodes held the block; `None` if that
    /// share was never reached before the end of the run.
    pub propagation_50_s: Option<f64>,
    pub propagation_90_s: Option<f64>,
    pub propagation_100_s: Option<f64>,
    pub stale: bool,
}

/// Validator messages one node sent and received, lost ones counted on the sender's side only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeTraffic {
    pub messages_out: u64,
    pub bytes_out: u64,
    pub messages_in: u64,
    pub bytes_in: u64,
}

/// One kind of validator message over the run.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageRow {
    /// What it carries, in words shared by every family (`consensus::Carries`).
    pub carries: &'static str,
    /// The protocol's own name for it.
    pub message: &'static str,
    /// Counted by closed form along the relay tree instead of sent as events.
    pub modeled: bool,
    pub messages: u64,
    pub bytes: u64,
    /// Of `bytes`, what reached a running receiver before the end of the run.
    pub delivered_bytes: u64,
}

/// One validator. Columns that mean nothing for a family are `None` (null), not zero.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRow {
    pub node: u32,
    pub region: String,
    /// Its class's name under `network.classes`; `None` (null) without classes.
    pub class: Option<String>,
    /// Nakamoto: share of the hash power.
    pub hash_share: Option<f64>,
    /// Proof of stake: share of the stake.
    pub stake_share: Option<f64>,
    pub peers: u32,
    pub gateways: u32,
    /// Blocks (ledgers, batches) this node proposed, where a family has proposers.
    pub blocks_proposed: Option<u32>,
    /// Of those, on the final main chain, where a family can fork.
    pub blocks_main_chain: Option<u32>,
    pub settled_tx: u64,
    pub traffic: NodeTraffic,
}

/// One radio group's frames at one spreading factor.
#[derive(Clone, Debug, PartialEq)]
pub struct RadioRow {
    pub group: String,
    pub sf: u8,
    pub frames: u64,
    pub delivered: u64,
    /// Frames lost, by `radio::Loss` reason in its declared order (`lost_<reason>` columns).
    pub lost: [u64; 4],
    pub readings: u64,
    /// Copies received by further gateways, left out by the network server.
    pub duplicates: u64,
    pub airtime_s: f64,
    pub duty_cycle_wait_s: f64,
    pub delivery_ratio: f64,
}

/// One radio group's energy over the run and its battery-life projection (NaN where the
/// group has no battery, or a figure has no denominator).
#[derive(Clone, Debug, PartialEq)]
pub struct EnergyRow {
    pub group: String,
    pub devices: u64,
    /// Readings that left the group's devices in frames.
    pub readings: u64,
    pub energy_j: f64,
    pub energy_per_device_day_j: f64,
    pub energy_per_reading_mj: f64,
    /// Only when the group is the scenario's only device group (settlement is not counted
    /// per group).
    pub energy_per_settled_reading_mj: f64,
    pub battery_capacity_j: f64,
    pub battery_life_mean_years: f64,
    pub battery_life_p5_years: f64,
    pub battery_life_p50_years: f64,
    pub battery_life_p95_years: f64,
}

/// Time and energy of one radio group in one state (or one on-device operation, whose time
/// is 0), summed over its devices.
#[derive(Clone, Debug, PartialEq)]
pub struct EnergyStateRow {
    pub group: String,
    pub state: String,
    pub time_s: f64,
    pub energy_j: f64,
    /// Of the group's energy.
    pub share: f64,
}

/// The energy outputs of a run; empty when no group has a radio.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnergyOutput {
    pub rows: Vec<EnergyRow>,
    pub states: Vec<EnergyStateRow>,
    /// Per group with a battery, `(years, fraction of devices empty by then)`.
    pub battery_cdf: Vec<(String, Vec<(f64, f64)>)>,
    /// Summary metrics (`energy_per_reading_mj`, `battery_life_p50_years`, …).
    pub summary: Vec<(String, Value)>,
}

/// Frames of one LoRaWAN group whose devices' nearest gateway lies in one distance bin.
#[derive(Clone, Debug, PartialEq)]
pub struct RadioDistanceRow {
    pub group: String,
    /// The bin, `[from, to)` metres to the device's nearest gateway, heard or not.
    pub nearest_gateway_from_m: f64,
    pub nearest_gateway_to_m: f64,
    pub devices: u64,
    /// Transmissions, repeats included, as in the `radio` table.
    pub frames: u64,
    pub delivered: u64,
    /// NaN when the bin's devices sent nothing.
    pub delivery_ratio: f64,
}

/// One gateway's reception.
#[derive(Clone, Debug, PartialEq)]
pub struct GatewayRow {
    pub gateway: u32,
    pub frames_heard: u64,
    pub frames_received: u64,
    /// Frames lost, by `radio::Loss` reason in its declared order (`lost_<reason>` columns).
    pub lost: [u64; 4],
    /// Demodulator-seconds spent on frames over the paths' capacity for the run.
    pub demodulator_utilisation: f64,
    /// Downlinks this gateway sent in each class A window.
    pub downlinks_rx1: u64,
    pub downlinks_rx2: u64,
    /// Of those, the ones carrying an ACK and the ones carrying a receipt part (an ACK with
    /// a receipt part on it counts in both).
    pub downlinks_with_ack: u64,
    pub downlinks_with_receipt: u64,
    pub downlink_airtime_s: f64,
    /// Windows a downlink could not use here: the transmitter busy, or the window's sub-band
    /// closed by this gateway's duty cycle.
    pub downlink_windows_refused_busy: u64,
    pub downlink_windows_refused_duty_cycle: u64,
}

/// A summary metric in its type: counts stay integers and flags booleans in every table
/// format (a count read back as `42.0` from one format and `42` from the other is two types).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    /// NaN: no samples; `+∞`: beyond the run (see the summary's `_beyond_run` rows).
    Float(f64),
    Bool(bool),
}

impl Value {
    /// The value as a number, for comparisons and means (`true` is 1).
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Int(v) => v as f64,
            Value::Float(v) => v,
            Value::Bool(b) => f64::from(u8::from(b)),
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                // Counts of one run never approach 2^63.
                Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_value!(u64, u32, usize, i64);

/// What one observer saw and inferred (see `privacy`), over the transactions created in the
/// measurement window. Shares and means are NaN without anything to divide by.
#[derive(Clone, Debug, PartialEq)]
pub struct PrivacyRow {
    pub observer: String,
    pub kind: &'static str,
    pub visible_tx: u64,
    pub population_tx: u64,
    pub visible_share: f64,
    pub links_true: u64,
    pub links_made: u64,
    pub links_correct: u64,
    pub link_precision: f64,
    pub link_recall: f64,
    pub link_chance_precision: f64,
    /// The Bayes-optimal attacker (`sim/privacy/bayes.rs`); `None` and NaN where no device
    /// group is periodic.
    pub bayes_links_made: Option<u64>,
    pub bayes_links_correct: Option<u64>,
    pub bayes_link_precision: f64,
    pub bayes_link_recall: f64,
    pub anonymity_set_mean: f64,
    pub anonymity_set_min: f64,
    pub anonymity_set_max: f64,
    pub anonymity_singleton_share: f64,
    pub entropy_norm_mean: f64,
    /// Network observers only.
    pub first_spy_precision: Option<f64>,
}

/// Everything a run produced, ready to be written.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub scenario_name: String,
    /// The resolved scenario as YAML (every default filled in, seed included).
    pub scenario_yaml: String,
    pub seed: u64,
    pub version: String,
    /// `(metric, value)` pairs, names carrying their unit (`settlement_p50_s`, `tx_per_s`).
    pub summary: Vec<(String, Value)>,
    pub conservation: Conservation,
    /// Where each kind's transactions ended; empty when every transaction is a reading.
    pub kinds: Vec<super::KindRow>,
    pub timeseries: Vec<TimeseriesRow>,
    pub latency: Vec<LatencyRow>,
    /// Non-empty latency bins per stage.
    pub latency_hist: Vec<LatencyBinRow>,
    /// The `blocks` rows held in memory: all of them, or with `blocks_spilled` those not
    /// written to disk during the run.
    pub blocks: Vec<BlockRow>,
    /// The `blocks` rows written to the output's staging folder during the run
    /// (`world::run_rows_to`); the table is their merge with `blocks`.
    pub blocks_spilled: Option<super::spill::Spilled>,
    pub nodes: Vec<NodeRow>,
    /// Validator messages by kind.
    pub messages: Vec<MessageRow>,
    /// Elections and step-downs with their times; `None` for families without leaders.
    pub leaders: Option<Vec<LeaderRow>>,
    /// Radio frames per group and SF; empty when no group has a radio.
    pub radio: Vec<RadioRow>,
    /// Per gateway; empty when no group has a radio.
    pub gateways: Vec<GatewayRow>,
    /// Per LoRaWAN group and bin of distance to the nearest gateway; empty without one.
    pub radio_distance: Vec<RadioDistanceRow>,
    /// Device energy and battery life per radio group.
    pub energy: EnergyOutput,
    /// One row per privacy observer; empty without `observers`.
    pub privacy: Vec<PrivacyRow>,
    /// `(latency, cumulative fraction)` of transaction settlement.
    pub settlement_cdf: Vec<(Time, f64)>,
    /// `(delay, cumulative fraction)` of block arrival at nodes.
    pub block_arrival_cdf: Vec<(Time, f64)>,
    /// `(latency, cumulative fraction)` from a transaction's creation to its device holding
    /// the receipt, over the window's transactions of devices that get receipts; `None` when
    /// no group gets receipts.
    pub receipt_cdf: Option<Vec<(Time, f64)>>,
}

impl RunOutput {
    /// A summary metric as a number (see [`Value::as_f64`]).
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.value(name).map(Value::as_f64)
    }

    /// Every row of the `summary` table: the run's metrics, then the accounting.
    pub fn summary_rows(&self) -> Vec<(String, Value)> {
        let mut rows = self.summary.clone();
        rows.extend(self.conservation.rows());
        rows
    }

    pub fn value(&self, name: &str) -> Option<Value> {
        self.summary
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| *v)
    }

    /// Warnings about the run's results (see [`warnings`]).
    pub fn warnings(&self) -> Vec<String> {
        warnings(|name| self.metric(name))
    }
}

/// The flag row that says whether the statistic `metric` (`settlement_p90_s`) lies beyond
/// the run: `settlement_p90_beyond_run`.
pub fn beyond_run_flag(metric: &str) -> Option<String> {
    metric
        .strip_suffix("_s")
        .map(|stem| format!("{stem}_beyond_run"))
}

/// Tables hold a statistic beyond the run as a null beside its flag row set to 1; this turns
/// such statistics, read back from a `summary` table, into the infinity they stand for, so a
/// comparison ranks them as later than any number.
pub fn restore_beyond_run(rows: &mut [(String, f64)]) {
    let flagged: Vec<String> = rows
        .iter()
        .filter(|(k, v)| k.ends_with("_beyond_run") && *v == 1.0)
        .map(|(k, _)| k.clone())
        .collect();
    for (k, v) in rows.iter_mut() {
        if beyond_run_flag(k).is_some_and(|f| flagged.contains(&f)) {
            *v = f64::INFINITY;
        }
    }
}

/// One line per reason the run's figures do not describe a system in a steady state:
/// saturation (a backlog that grows through the measurement window) and drops above the
/// scenario's threshold. `metric` looks a summary row up by name, so the lines can be made
/// from a run in memory or from its `summary` table.
pub fn warnings(metric: impl Fn(&str) -> Option<f64>) -> Vec<String> {
    let get = |name| metric(name).unwrap_or(f64::NAN);
    let mut out = Vec::new();
    if get("saturated") == 1.0 {
        out.push(format!(
            "warning: saturated: pending transactions grew by {:.3} tx/s through the \
             measurement window; {:.3} tx/s offered, {:.3} tx/s settled",
            get("pending_slope_tx_per_s"),
            get("created_tx_per_s"),
            get("settled_during_window_tx_per_s"),
        ));
    }
    if get("tx_stranded") > 0.0 {
        out.push(format!(
            "warning: {} transactions ({:.1} % of those uploaded) reached validators down for \
             good and wait there, pending in transit; the backlog they leave is not counted \
             as saturation",
            get("tx_stranded"),
            100.0 * get("tx_stranded") / get("tx_uploaded"),
        ));
    }
    if get("drops_high") == 1.0 {
        out.push(format!(
            "warning: {:.1} % of the created transactions were dropped",
            100.0 * get("dropped_share"),
        ));
    }
    out
}
