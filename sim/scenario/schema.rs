//! The scenario file's schema. Every struct refuses unknown fields; defaults live next to the
//! field they fill so the resolved scenario written with each run shows every value used.

use serde::{Deserialize, Serialize};

use super::tagged::tagged_enum;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default = "default_name")]
    pub name: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated duration.
    pub duration_s: f64,
    /// Device groups; an empty list runs the ledger alone.
    #[serde(default)]
    pub devices: Vec<DeviceGroup>,
    #[serde(default)]
    pub gateways: Gateways,
    /// Where radio devices and gateways stand; needed when a device group has `radio`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<super::Area>,
    pub validators: Validators,
    #[serde(default)]
    pub network: super::Network,
    pub consensus: Consensus,
    /// An attacker among the validators (none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adversary: Option<Adversary>,
    #[serde(default)]
    pub metrics: MetricsOptions,
    /// Crashes, partitions and lossy links; absent means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<super::Faults>,
    /// Prices of the deployment's resources; absent, no cost is reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<super::Costs>,
    /// Insiders whose view the `privacy` table measures; none by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observers: Vec<super::Observer>,
}

fn default_name() -> String {
    "scenario".into()
}
fn default_seed() -> u64 {
    1
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceGroup {
    #[serde(default = "default_group_name")]
    pub name: String,
    #[serde(deserialize_with = "super::count::deserialize_count")]
    pub count: u64,
    #[serde(default)]
    pub connectivity: Connectivity,
    pub workload: Workload,
    /// Size of one transaction on the wire, bytes.
    #[serde(default = "default_tx_bytes")]
    pub tx_bytes: u32,
    /// Store-and-forward buffer, in transactions.
    #[serde(default = "default_buffer_tx")]
    pub buffer_tx: u32,
    #[serde(default)]
    pub overflow: Overflow,
    #[serde(default)]
    pub uplink: Uplink,
    /// A radio access network in place of `uplink`; absent, `uplink` applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radio: Option<super::Radio>,
    /// Overrides of the radio's power states and the costs of on-device blockchain work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<super::Energy>,
    /// Battery capacity; with it the run projects each device's battery life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<super::Battery>,
    /// Settlement receipts sent back to the devices; needs a `radio`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipts: Option<super::Receipts>,
    /// Key rotation; absent, a device signs everything with one key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<super::Identity>,
    /// Random upload delay and padding; absent, none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigation: Option<super::Mitigation>,
    /// Share of the group's transactions that read and write one shared key (a contract's
    /// state): the Fabric family's endorsement reads it and validation checks it (MVCC).
    /// Absent, none does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_key_share: Option<f64>,
}

impl DeviceGroup {
    /// A transaction's size on the wire: `tx_bytes`, padded when the group pads.
    pub fn wire_bytes(&self) -> u32 {
        let pad = self.mitigation.and_then(|m| m.pad_to_bytes).unwrap_or(0);
        self.tx_bytes.max(pad)
    }
}

fn default_group_name() -> String {
    "devices".into()
}
fn default_tx_bytes() -> u32 {
    250
}
fn default_buffer_tx() -> u32 {
    64
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// Keep the newest readings: the oldest buffered one is discarded.
    #[default]
    DropOldest,
    /// Keep what is buffered: the new reading is discarded.
    DropNewest,
}

tagged_enum! {
    tag = "model", twin = ConnectivityTwin as "Connectivity";
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum Connectivity {
        #[default]
        AlwaysOn,
        /// Never online during the run (e.g. devices not yet deployed).
        Never,
        /// Online for `on_s` at the start of every `period_s`; each device's phase is shifted by a
        /// uniform offset in `[0, phase_jitter_s)`. Without `phase_jitter_s` the offset spans the
        /// whole period, so the fleet's online windows are spread evenly.
        DutyCycle {
            period_s: f64,
            on_s: f64,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            phase_jitter_s: Option<f64>,
        },
        /// Alternating renewal process: on and off durations drawn independently.
        OnOff { on: Duration, off: Duration },
    }
}

tagged_enum! {
    tag = "dist", twin = DurationTwin as "Duration";
    /// A positive random duration.
    #[derive(Clone, Debug, PartialEq)]
    pub enum Duration {
        Exponential {
            mean_s: f64,
        },
        /// Weibull with the given shape, scaled so its mean is `mean_s`.
        Weibull {
            shape: f64,
            mean_s: f64,
        },
        Constant {
            value_s: f64,
        },
    }
}

tagged_enum! {
    tag = "model", twin = WorkloadTwin as "Workload";
    #[derive(Clone, Debug, PartialEq)]
    pub enum Workload {
        /// One reading every `interval_s`, each displaced uniformly within `±jitter_s`; each
        /// device starts at a uniform phase in `[0, interval_s)`.
        Periodic {
            interval_s: f64,
            #[serde(default)]
            jitter_s: f64,
        },
        /// Poisson events at `rate_per_s` per device.
        Poisson { rate_per_s: f64 },
        /// Consumers pay providers per use over payment channels: the group's first
        /// `providers` devices provide, the others consume (consumer `i` uses provider
        /// `i mod providers`). A use opens a channel on the ledger (funding), pays off the
        /// ledger once the funding settles, and the channel closes on the ledger after
        /// `payments_per_channel` payments or `channel_max_s` after it became usable.
        PayPerUse {
            #[serde(deserialize_with = "super::count::deserialize_count")]
            providers: u64,
            /// Uses of each consumer, a Poisson process.
            uses_per_s: f64,
            #[serde(default = "super::workload::default_payments_per_channel")]
            payments_per_channel: u32,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            channel_max_s: Option<f64>,
            #[serde(default)]
            early_uses: super::EarlyUses,
            #[serde(default = "super::workload::default_payment_bytes")]
            payment_bytes: u32,
            /// Capital each channel locks, in the scenario's currency unit.
            #[serde(default = "super::workload::default_deposit")]
            deposit: f64,
            /// Share of the channels that close by a dispute: one party closes alone (a
            /// `channel_dispute` transaction), the capital stays locked for
            /// `dispute_timeout_s` after that settles (the challenge period), then a final
            /// `channel_close` releases it. Absent: every close is cooperative.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            dispute_share: Option<f64>,
            /// The challenge period of a disputed channel, seconds (BOLT #2's
            /// `to_self_delay`, counted in blocks there). Required with `dispute_share`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            dispute_timeout_s: Option<f64>,
        },
        /// Each device reports a service level every `report_interval_s` to its own contract,
        /// which evaluates every `reports_per_window` reports once they are settled: a reward
        /// when none violated, a penalty otherwise. A report violates with
        /// `violation_probability`; a dropped report counts as a violation.
        Sla {
            report_interval_s: f64,
            #[serde(default = "super::workload::default_reports_per_window")]
            reports_per_window: u32,
            violation_probability: f64,
        },
        /// Items (lots) enter at `items_per_s` for the whole group and pass `stages` parties;
        /// each stage's event is signed by the party's device and created `stage_delay_s`
        /// after the previous event of the item settled.
        Provenance {
            items_per_s: f64,
            #[serde(default = "super::workload::default_stages")]
            stages: u32,
            stage_delay_s: f64,
            #[serde(default)]
            anchor: super::Anchor,
            #[serde(default = "super::workload::default_hash_bytes")]
            hash_bytes: u32,
        },
        /// The group joins at once: each device registers at a uniform time in
        /// `[start_s, start_s + spread_s)`, then reads every `interval_s`; readings made before
        /// its registration settled wait in its buffer (`buffer_tx`, `overflow`).
        Registration {
            #[serde(default)]
            start_s: f64,
            #[serde(default)]
            spread_s: f64,
            interval_s: f64,
        },
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Uplink {
    /// One-way latency device → gateway (radio access, including airtime scheduling).
    #[serde(default = "default_uplink_latency_ms")]
    pub latency_ms: f64,
    #[serde(default = "default_uplink_bandwidth_bps")]
    pub bandwidth_bps: f64,
}

fn default_uplink_latency_ms() -> f64 {
    50.0
}
fn default_uplink_bandwidth_bps() -> f64 {
    50_000.0
}

impl Default for Uplink {
    fn default() -> Self {
        Uplink {
            latency_ms: default_uplink_latency_ms(),
            bandwidth_bps: default_uplink_bandwidth_bps(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gateways {
    #[serde(
        default = "default_gateway_count",
        deserialize_with = "super::count::deserialize_count"
    )]
    pub count: u64,
    /// Backhaul bandwidth gateway → validator.
    #[serde(default = "default_backhaul_bps")]
    pub backhaul_bps: f64,
    /// Uploads reaching a gateway within each interval are forwarded together at its end;
    /// 0 forwards every upload on arrival.
    #[serde(default)]
    pub batch_interval_ms: f64,
    /// `gateway` (LoRaWAN gateways, or the plain `uplink` model) or `cell` (base stations of
    /// NB-IoT and LTE-M groups).
    #[serde(default, skip_serializing_if = "GatewayKind::is_default")]
    pub kind: GatewayKind,
    /// A cell's most RRC connections at once; absent, no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// A cell's uplink rate, bit/s, shared by its devices' data; absent, no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uplink_bps: Option<f64>,
    /// With batching, each batch leaves in a random order instead of the order of arrival.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mix: bool,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GatewayKind {
    #[default]
    Gateway,
    Cell,
}

impl GatewayKind {
    fn is_default(&self) -> bool {
        *self == GatewayKind::Gateway
    }
}

fn default_gateway_count() -> u64 {
    100
}
fn default_backhaul_bps() -> f64 {
    10e6
}

impl Default for Gateways {
    fn default() -> Self {
        Gateways {
            count: default_gateway_count(),
            backhaul_bps: default_backhaul_bps(),
            batch_interval_ms: 0.0,
            kind: GatewayKind::Gateway,
            max_connections: None,
            uplink_bps: None,
            mix: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Validators {
    #[serde(deserialize_with = "super::count::deserialize_count")]
    pub count: u64,
    /// CPU time per transaction on a bounded number of cores; absent, execution is free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<super::Execution>,
}

tagged_enum! {
    tag = "protocol", twin = ConsensusTwin as "Consensus";
    #[derive(Clone, Debug, PartialEq)]
    pub enum Consensus {
        Nakamoto(super::Nakamoto),
        Pbft(super::Pbft),
        Hotstuff(super::HotStuff),
        Tendermint(super::Tendermint),
        Pos(super::Pos),
        Tangle(super::Tangle),
        Notary(super::Notary),
        Xrpl(super::Xrpl),
        Raft(super::Raft),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsOptions {
    /// Width of a time-series window.
    #[serde(default = "default_window_s")]
    pub window_s: f64,
    /// Latency quantiles written to the `latency` table.
    #[serde(default = "default_quantiles")]
    pub quantiles: Vec<f64>,
    /// Start of the measurement window: transactions created before it (an empty chain, empty
    /// mempools) are left out of latency and throughput statistics. Absent: a tenth of
    /// `duration_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_s: Option<f64>,
    /// Length of the measurement window. Absent: eight tenths of `duration_s`, so the last
    /// tenth of the run lets the window's transactions settle before the run ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure_s: Option<f64>,
    /// Settlement deadlines: the summary gives, per deadline `X`, the share of the window's
    /// transactions settled within `X` seconds (`settled_within_<X>s_share`).
    #[serde(default = "default_sla_s")]
    pub sla_s: Vec<f64>,
    /// Share of created transactions dropped above which the run is flagged (`drops_high`).
    #[serde(default = "default_drop_warn_share")]
    pub drop_warn_share: f64,
}

fn default_window_s() -> f64 {
    60.0
}
fn default_quantiles() -> Vec<f64> {
    vec![0.5, 0.9, 0.95, 0.99]
}
/// One second to ten minutes: from an interactive payment to a block explorer's patience,
/// one step per order of magnitude of the families' finality (BFT seconds, Nakamoto minutes).
fn default_sla_s() -> Vec<f64> {
    vec![1.0, 10.0, 60.0, 600.0]
}
/// One percent: a loss rate most metering and payment uses would already call an outage.
fn default_drop_warn_share() -> f64 {
    0.01
}

impl MetricsOptions {
    /// The measurement window `(start, length)` in seconds for a run of `duration_s`.
    pub fn window(&self, duration_s: f64) -> (f64, f64) {
        let warmup = self.warmup_s.unwrap_or(0.1 * duration_s);
        let measure = self.measure_s.unwrap_or(0.8 * duration_s);
        (warmup, measure)
    }
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions {
            window_s: default_window_s(),
            quantiles: default_quantiles(),
            warmup_s: None,
            measure_s: None,
            sla_s: default_sla_s(),
            drop_warn_share: default_drop_warn_share(),
        }
    }
}

tagged_enum! {
    tag = "kind", twin = AdversaryTwin as "Adversary";
    /// One validator that attacks the protocol; its hash share replaces what `hash_power` gave it
    /// and the honest miners share the rest in their configured proportions.
    #[derive(Clone, Debug, PartialEq)]
    pub enum Adversary {
        /// Eyal & Sirer's Algorithm 1 run by a pool.
        SelfishMining {
            node: u32,
            hash_share: f64,
            /// Share of honest miners that switch to the pool's block when it ties theirs. Not
            /// set: honest miners keep the first block they saw, so the share emerges from
            /// latency.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            gamma: Option<f64>,
        },
        /// Repeated double-spend races: the attacker mines a private block, then pays the
        /// merchant; the payment is accepted after `confirmations` honest blocks, and the
        /// attacker publishes its chain once it is longer than the honest one.
        DoubleSpend {
            node: u32,
            hash_share: f64,
            confirmations: u32,
            /// The attacker abandons a race once this many blocks behind.
            #[serde(default = "default_give_up_behind")]
            give_up_behind: u32,
        },
        /// Validators of a BFT protocol (pbft, hotstuff, tendermint) or of the XRP Ledger that
        /// break its rules as `behaviour` says.
        Byzantine {
            nodes: Vec<u64>,
            behaviour: super::Behaviour,
        },
        /// During `[from_s, until_s)` the validators in `nodes` exchange messages only among
        /// themselves and with the `attackers`, which relay nothing between them and the rest.
        Eclipse {
            nodes: Vec<u64>,
            #[serde(default)]
            attackers: Vec<u64>,
            from_s: f64,
            until_s: f64,
        },
    }
}

fn default_give_up_behind() -> u32 {
    30
}
