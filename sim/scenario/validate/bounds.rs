//! The validator's single-field ranges, as data for the JSON Schema.
//!
//! Editors read ranges from the schema; the validator enforces them in code. This table is
//! written from the validator's own constants, and `tests/json_schema.rs` probes every entry
//! a shipped scenario reaches: a value just beyond each bound must be refused by `validate`
//! naming that field, so the table cannot promise a range the validator does not keep.
//! Relations between fields (`on_s <= period_s`) stay in the validator alone.

use super::bft::MAX_BATCH_TX;
use super::cellular::{MAX_INACTIVITY_S, MAX_QUOTA_PER_DAY, MAX_RECEIPT_BYTES, MAX_SETUP_MS};
use super::energy::{MAX_CAPACITY_WH, MAX_CURRENT_MA, MAX_OP_MJ, VOLTAGE_V};
use super::execution::{MAX_CORES, MAX_EXEC_US};
use super::radio::{
    CODING_RATES, MAX_AREA_M, MAX_DEMODULATORS, MAX_RETRANSMISSIONS, PREAMBLE, TX_POWER_DBM,
};
use super::raft::MAX_BLOCK_BYTES;
use super::workload::MAX_STAGES;
use super::{
    BLOCK_OVERHEAD_BYTES, MAX_ALPHA, MAX_APPROVALS, MAX_CONFIRMATIONS, MAX_GATEWAYS,
    MAX_GROUP_DEVICES, MAX_OUTBOUND, MAX_RATE_PER_S, MAX_SLOT_S, MAX_SLOTS_PER_EPOCH, MAX_TIME_S,
    MAX_TX_BYTES, MAX_VALIDATORS, MAX_WEIGHT_THRESHOLD, MAX_ZIPF_EXPONENT, MIN_BANDWIDTH_BPS,
    TICK_S, WEIBULL_SHAPE,
};
use crate::radio::REGION_NAMES;

/// The bandwidth `sf: adr` needs, for the schema's per-region rules.
pub const ADR_BANDWIDTH_KHZ: u32 = super::radio::ADR_BANDWIDTH_KHZ;

/// One end of a range: the value and whether it is itself allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct End {
    pub value: f64,
    pub inclusive: bool,
}

/// What the validator allows of one field on its own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    Range { low: Option<End>, high: Option<End> },
    OneOf(&'static [&'static str]),
}

const fn incl(value: f64) -> Option<End> {
    Some(End {
        value,
        inclusive: true,
    })
}
const fn excl(value: f64) -> Option<End> {
    Some(End {
        value,
        inclusive: false,
    })
}
const fn range(low: Option<End>, high: Option<End>) -> Rule {
    Rule::Range { low, high }
}
const fn at_least(v: f64) -> Rule {
    range(incl(v), None)
}
const fn between(lo: f64, hi: f64) -> Rule {
    range(incl(lo), incl(hi))
}

/// A positive time: at least one tick (the clock's resolution), at most ten years.
const TIME_POS: Rule = between(TICK_S, MAX_TIME_S);
const TIME: Rule = between(0.0, MAX_TIME_S);
const MS: Rule = between(0.0, MAX_TIME_S * 1e3);
const MS_POS: Rule = between(TICK_S * 1e3, MAX_TIME_S * 1e3);
const DAY_POS: Rule = between(TICK_S, MAX_SLOT_S);
const DAY: Rule = between(0.0, MAX_SLOT_S);
const SHARE: Rule = between(0.0, 1.0);
/// A probability or share that must stay below one.
const BELOW_ONE: Rule = range(incl(0.0), excl(1.0));
const STRICT_SHARE: Rule = range(excl(0.0), excl(1.0));
const BANDWIDTH: Rule = at_least(MIN_BANDWIDTH_BPS);
const NON_NEG: Rule = at_least(0.0);
const POSITIVE: Rule = range(excl(0.0), None);
const ONE_UP: Rule = at_least(1.0);

/// `(definition, field, rule)`. The definition is a type's name in the schema's `$defs`
/// (`Scenario` for the top level); the rule applies to the field in every variant of a tagged
/// type unless the definition reads `Type/variant`. A field ending in `[]` is a list whose
/// items the rule bounds, one ending in `{}` a mapping whose values it bounds. Rules that
/// depend on a region or a radio technology are in `json_schema/radio.rs`.
pub const BOUNDS: &[(&str, &str, Rule)] = &[
    ("Scenario", "duration_s", TIME_POS),
    (
        "DeviceGroup",
        "count",
        between(0.0, MAX_GROUP_DEVICES as f64),
    ),
    ("DeviceGroup", "tx_bytes", between(1.0, MAX_TX_BYTES as f64)),
    ("DeviceGroup", "buffer_tx", ONE_UP),
    ("DeviceGroup", "hot_key_share", SHARE),
    ("Identity", "rotate_every_tx", ONE_UP),
    ("Identity", "rotate_every_s", TIME_POS),
    ("Connectivity", "period_s", TIME_POS),
    ("Connectivity", "on_s", TIME_POS),
    ("Connectivity", "phase_jitter_s", TIME),
    ("Duration", "mean_s", TIME_POS),
    ("Duration", "value_s", TIME_POS),
    (
        "Duration",
        "shape",
        between(WEIBULL_SHAPE.0, WEIBULL_SHAPE.1),
    ),
    ("Workload", "interval_s", TIME_POS),
    ("Workload", "jitter_s", TIME),
    (
        "Workload",
        "rate_per_s",
        range(excl(0.0), incl(MAX_RATE_PER_S)),
    ),
    // Typed workloads (validate/workload.rs).
    ("Workload", "providers", ONE_UP),
    (
        "Workload",
        "uses_per_s",
        range(excl(0.0), incl(MAX_RATE_PER_S)),
    ),
    ("Workload", "payments_per_channel", ONE_UP),
    ("Workload", "channel_max_s", TIME_POS),
    (
        "Workload",
        "payment_bytes",
        between(1.0, MAX_TX_BYTES as f64),
    ),
    ("Workload", "deposit", range(excl(0.0), None)),
    ("Workload", "dispute_share", SHARE),
    ("Workload", "dispute_timeout_s", TIME),
    ("Workload", "report_interval_s", TIME_POS),
    ("Workload", "reports_per_window", ONE_UP),
    ("Workload", "violation_probability", SHARE),
    (
        "Workload",
        "items_per_s",
        range(excl(0.0), incl(MAX_RATE_PER_S)),
    ),
    ("Workload", "stages", between(1.0, MAX_STAGES as f64)),
    ("Workload", "stage_delay_s", TIME),
    ("Workload", "hash_bytes", between(1.0, MAX_TX_BYTES as f64)),
    ("Workload", "start_s", TIME),
    ("Workload", "spread_s", TIME),
    ("Uplink", "latency_ms", MS),
    ("Uplink", "bandwidth_bps", BANDWIDTH),
    ("Gateways", "count", between(0.0, MAX_GATEWAYS as f64)),
    ("Gateways", "backhaul_bps", BANDWIDTH),
    ("Gateways", "batch_interval_ms", MS),
    ("Gateways", "max_connections", ONE_UP),
    ("Gateways", "uplink_bps", BANDWIDTH),
    ("Validators", "count", between(1.0, MAX_VALIDATORS as f64)),
    // Execution cost (validate/execution.rs).
    ("Execution", "cores", between(1.0, MAX_CORES as f64)),
    ("Execution", "verify_us", between(0.0, MAX_EXEC_US)),
    ("KindTimes", "reading", between(0.0, MAX_EXEC_US)),
    ("KindTimes", "channel_open", between(0.0, MAX_EXEC_US)),
    ("KindTimes", "channel_close", between(0.0, MAX_EXEC_US)),
    ("KindTimes", "sla_report", between(0.0, MAX_EXEC_US)),
    ("KindTimes", "sla_settlement", between(0.0, MAX_EXEC_US)),
    ("KindTimes", "provenance_event", between(0.0, MAX_EXEC_US)),
    ("KindTimes", "registration", between(0.0, MAX_EXEC_US)),
    ("KindTimes", "channel_dispute", between(0.0, MAX_EXEC_US)),
    ("Network", "processing_ms", MS),
    ("Latency", "one_way_ms", MS),
    ("Latency", "bandwidth_bps", BANDWIDTH),
    ("RegionRow", "upload_bps", BANDWIDTH),
    ("RegionRow", "download_bps", BANDWIDTH),
    ("RegionRow", "share", SHARE),
    ("RegionRow", "latency_ms[]", MS),
    ("Topology", "outbound", between(1.0, MAX_OUTBOUND as f64)),
    ("Topology", "max_inbound", ONE_UP),
    ("NodeClass", "share", SHARE),
    ("NodeClass", "outbound", between(1.0, MAX_OUTBOUND as f64)),
    ("NodeClass", "max_inbound", ONE_UP),
    ("NodeClass", "upload_bps", BANDWIDTH),
    ("NodeClass", "download_bps", BANDWIDTH),
    ("NodeClass", "processing_ms", MS),
    ("Consensus", "block_interval_s", TIME_POS),
    (
        "Consensus",
        "max_block_bytes",
        at_least(BLOCK_OVERHEAD_BYTES as f64),
    ),
    (
        "Consensus",
        "confirmations",
        between(1.0, MAX_CONFIRMATIONS as f64),
    ),
    ("Consensus", "miners", ONE_UP),
    ("Consensus", "compact_nodes", SHARE),
    ("Consensus", "compact_failure_rate", SHARE),
    ("Consensus", "churn_nodes", SHARE),
    ("Consensus", "churn_compact_failure_rate", SHARE),
    ("Consensus", "compact_block_bytes", ONE_UP),
    ("Consensus", "validation_s_per_mb", NON_NEG),
    ("Consensus", "slot_s", DAY_POS),
    (
        "Consensus",
        "slots_per_epoch",
        between(1.0, MAX_SLOTS_PER_EPOCH as f64),
    ),
    ("Consensus", "offline_stake", BELOW_ONE),
    ("Consensus", "approvals", between(1.0, MAX_APPROVALS as f64)),
    ("Consensus", "pow_s", TIME),
    ("Consensus", "quorum", range(excl(0.5), incl(1.0))),
    ("Consensus", "ledger_min_close_s", DAY),
    ("Consensus", "ledger_min_consensus_s", DAY),
    ("Consensus", "av_min_consensus_time_s", DAY_POS),
    ("Consensus", "ledger_granularity_s", DAY_POS),
    ("Consensus", "ledger_idle_interval_s", DAY_POS),
    ("Consensus", "double_spend_share", BELOW_ONE),
    ("Consensus", "election_timeout_ms", MS_POS),
    ("Consensus", "election_timeout_max_ms", MS_POS),
    ("Consensus", "heartbeat_ms", MS_POS),
    ("Consensus", "view_change_ms", MS_POS),
    (
        "Consensus",
        "batch_max_tx",
        between(1.0, MAX_BATCH_TX as f64),
    ),
    ("Consensus", "batch_timeout_ms", MS_POS),
    ("Consensus", "view_timeout_ms", MS_POS),
    ("Consensus", "timeout_propose_ms", MS_POS),
    ("Consensus", "timeout_prevote_ms", MS_POS),
    ("Consensus", "timeout_precommit_ms", MS_POS),
    ("Consensus", "timeout_delta_ms", MS),
    ("Consensus", "block_validation_ms", MS_POS),
    (
        "Consensus",
        "max_message_count",
        between(1.0, MAX_BATCH_TX as f64),
    ),
    (
        "Consensus",
        "preferred_max_bytes",
        between(1.0, MAX_BLOCK_BYTES as f64),
    ),
    ("Consensus", "orderers", ONE_UP),
    ("HashPower", "exponent", between(0.0, MAX_ZIPF_EXPONENT)),
    ("HashPower", "mean", POSITIVE),
    ("HashPower", "sd", NON_NEG),
    ("HashPower", "shares[]", NON_NEG),
    ("MissingShare", "share", SHARE),
    ("TipSelection", "alpha", between(0.0, MAX_ALPHA)),
    ("TipSelection", "depth_s", TIME_POS),
    (
        "Confirmation",
        "threshold",
        between(1.0, MAX_WEIGHT_THRESHOLD as f64),
    ),
    ("Confirmation", "interval_s", TIME_POS),
    ("Unl", "overlap", SHARE),
    ("MetricsOptions", "window_s", TIME_POS),
    ("MetricsOptions", "quantiles[]", STRICT_SHARE),
    ("MetricsOptions", "warmup_s", TIME),
    ("MetricsOptions", "measure_s", TIME_POS),
    ("MetricsOptions", "sla_s[]", TIME_POS),
    ("MetricsOptions", "drop_warn_share", SHARE),
    ("Adversary/selfish_mining", "hash_share", STRICT_SHARE),
    // At half the hash power or more the race is won with certainty.
    (
        "Adversary/double_spend",
        "hash_share",
        range(excl(0.0), excl(0.5)),
    ),
    ("Adversary", "gamma", SHARE),
    (
        "Adversary",
        "confirmations",
        between(1.0, MAX_CONFIRMATIONS as f64),
    ),
    (
        "Adversary",
        "give_up_behind",
        between(1.0, MAX_CONFIRMATIONS as f64),
    ),
    ("Adversary", "from_s", TIME),
    ("Adversary", "until_s", TIME),
    ("Links", "loss", BELOW_ONE),
    ("Links", "extra_delay_ms", MS),
    ("Crash", "at_s", TIME),
    ("Crash", "recover_s", TIME),
    ("Crash", "random", ONE_UP),
    ("Partition", "from_s", TIME),
    ("Partition", "to_s", TIME),
    ("Partition", "split", STRICT_SHARE),
    ("Area", "size_m", range(excl(0.0), incl(MAX_AREA_M))),
    (
        "Area",
        "demodulators",
        between(1.0, MAX_DEMODULATORS as f64),
    ),
    ("PathLossParams", "exponent", range(excl(0.0), incl(10.0))),
    ("PathLossParams", "reference_loss_db", between(0.0, 200.0)),
    (
        "PathLossParams",
        "reference_m",
        range(excl(0.0), incl(MAX_AREA_M)),
    ),
    ("PathLossParams", "shadowing_db", between(0.0, 30.0)),
    ("Area", "capture_db", between(-50.0, 50.0)),
    ("Radio", "region", Rule::OneOf(&REGION_NAMES)),
    ("Radio", "coding_rate", Rule::OneOf(&CODING_RATES)),
    (
        "Radio",
        "tx_power_dbm",
        between(TX_POWER_DBM.0, TX_POWER_DBM.1),
    ),
    (
        "Radio",
        "preamble",
        between(PREAMBLE.0 as f64, PREAMBLE.1 as f64),
    ),
    ("Radio", "adr_margin_db", between(0.0, 50.0)),
    ("Radio", "duty_cycle", range(excl(0.0), incl(1.0))),
    (
        "Radio",
        "retransmissions",
        between(0.0, MAX_RETRANSMISSIONS as f64),
    ),
    // Cellular radios (validate/cellular.rs).
    ("Radio", "inactivity_s", between(0.0, MAX_INACTIVITY_S)),
    ("Radio", "setup_ms", between(0.0, MAX_SETUP_MS)),
    ("Radio", "uplink_bps", BANDWIDTH),
    ("Radio", "downlink_bps", BANDWIDTH),
    (
        "Receipts",
        "quota_per_day",
        between(1.0, MAX_QUOTA_PER_DAY as f64),
    ),
    // Energy (validate/energy.rs).
    ("Energy", "voltage_v", range(excl(0.0), incl(VOLTAGE_V))),
    ("Energy", "states{}", between(0.0, MAX_CURRENT_MA)),
    ("Energy", "sign_mj", between(0.0, MAX_OP_MJ)),
    ("Energy", "pow_mj", between(0.0, MAX_OP_MJ)),
    ("Energy", "receipt_mj", between(0.0, MAX_OP_MJ)),
    (
        "Receipts",
        "size_bytes",
        between(1.0, MAX_RECEIPT_BYTES as f64),
    ),
    ("Battery", "capacity_mah", POSITIVE),
    (
        "Battery",
        "capacity_wh",
        range(excl(0.0), incl(MAX_CAPACITY_WH)),
    ),
    ("Battery", "voltage_v", range(excl(0.0), incl(VOLTAGE_V))),
    ("Battery", "self_discharge_per_year", BELOW_ONE),
    ("Costs", "horizon_years", range(excl(0.0), incl(100.0))),
    ("Costs", "gateway_life_years", range(excl(0.0), incl(100.0))),
];

/// Every price of `costs:` other than the two spans above is a non-negative amount.
pub const COSTS_DEFAULT: Rule = NON_NEG;
