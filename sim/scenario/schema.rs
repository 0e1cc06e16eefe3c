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
        Nakamoto(Nakamoto),
        Pbft(super::Pbft),
        Hotstuff(super::HotStuff),
        Tendermint(super::Tendermint),
        Pos(Pos),
        Tangle(Tangle),
        Notary(Notary),
        Xrpl(Xrpl),
        Raft(super::Raft),
    }
}

/// XRP Ledger consensus with rippled's timing (`ConsensusParms.h`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Xrpl {
    #[serde(default)]
    pub unl: Unl,
    /// Share of a validator's UNL that must agree (consensus) or validate (full validation).
    #[serde(default = "default_xrpl_quorum")]
    pub quorum: f64,
    #[serde(default = "default_min_close_s")]
    pub ledger_min_close_s: f64,
    #[serde(default = "default_min_consensus_s")]
    pub ledger_min_consensus_s: f64,
    #[serde(default = "default_av_min_consensus_time_s")]
    pub av_min_consensus_time_s: f64,
    /// Heartbeat of the consensus state machine.
    #[serde(default = "default_granularity_s")]
    pub ledger_granularity_s: f64,
    /// An open ledger with no transactions closes after this long.
    #[serde(default = "default_idle_interval_s")]
    pub ledger_idle_interval_s: f64,
}

fn default_xrpl_quorum() -> f64 {
    0.8
}
fn default_min_close_s() -> f64 {
    2.0
}
fn default_min_consensus_s() -> f64 {
    1.95
}
fn default_av_min_consensus_time_s() -> f64 {
    5.0
}
fn default_granularity_s() -> f64 {
    1.0
}
fn default_idle_interval_s() -> f64 {
    15.0
}

tagged_enum! {
    tag = "model", twin = UnlTwin as "Unl";
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum Unl {
        /// Every validator trusts every validator.
        #[default]
        All,
        /// Validators split into two halves (ids below and from `count / 2`); each trusts its own
        /// half plus the first `overlap` share of the other half.
        Cliques { overlap: f64 },
    }
}

/// R3 Corda style: transactions go only to their parties and the notary, which checks that
/// no input state was consumed before and signs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notary {
    #[serde(default)]
    pub cluster: NotaryCluster,
    /// Share of readings whose transaction reuses the state its device's previous transaction
    /// consumed (a double-spend attempt).
    #[serde(default)]
    pub double_spend_share: f64,
    /// Raft cluster: least election timeout; each wait is drawn from `[T, 2T)` (etcd's default).
    #[serde(default = "default_notary_election_ms")]
    pub election_timeout_ms: f64,
    /// Raft cluster: the leader's heartbeat period (etcd's default).
    #[serde(default = "default_notary_heartbeat_ms")]
    pub heartbeat_ms: f64,
    /// BFT cluster: how long a member waits for a request it forwarded to be executed before
    /// it starts a view change (the wait for the new view doubles with each further attempt).
    #[serde(default = "default_notary_view_change_ms")]
    pub view_change_ms: f64,
}

fn default_notary_view_change_ms() -> f64 {
    5000.0
}

fn default_notary_election_ms() -> f64 {
    1000.0
}

fn default_notary_heartbeat_ms() -> f64 {
    100.0
}

impl Default for Notary {
    fn default() -> Self {
        Notary {
            cluster: NotaryCluster::default(),
            double_spend_share: 0.0,
            election_timeout_ms: default_notary_election_ms(),
            heartbeat_ms: default_notary_heartbeat_ms(),
            view_change_ms: default_notary_view_change_ms(),
        }
    }
}

tagged_enum! {
    tag = "model", twin = NotaryClusterTwin as "NotaryCluster";
    /// The notary service: validators `0..nodes` with validator 0 as leader.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum NotaryCluster {
        /// One notary node (validator 0) signs alone.
        #[default]
        Single,
        /// Raft-like: the leader appends to `nodes − 1` followers and signs once a majority
        /// (itself included) holds the entry.
        Raft { nodes: u32 },
        /// BFT-like on 3f + 1 nodes: pre-prepare, all-to-all prepare, commit votes to the leader,
        /// which signs with 2f + 1 commits.
        Bft { faults: u32 },
    }
}

/// IOTA-style tangle: every transaction approves `approvals` earlier ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tangle {
    /// Transactions each new one approves (k; 2 in IOTA).
    #[serde(default = "default_approvals")]
    pub approvals: u32,
    #[serde(default)]
    pub tip_selection: TipSelection,
    #[serde(default)]
    pub confirmation: Confirmation,
    /// Time from tip selection until the transaction is attached and starts propagating
    /// (proof of work; Popov's `h` together with the network delay).
    #[serde(default = "default_pow_s")]
    pub pow_s: f64,
}

fn default_approvals() -> u32 {
    2
}
fn default_pow_s() -> f64 {
    1.0
}

tagged_enum! {
    tag = "model", twin = TipSelectionTwin as "TipSelection";
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum TipSelection {
        /// Each approved transaction drawn uniformly from the tips the issuing node sees.
        #[default]
        Uniform,
        /// Popov's weighted random walk from a transaction `depth_s` old towards the tips,
        /// stepping to an approver `y` of `x` with probability ∝ exp(−alpha·(H_x − H_y)).
        /// A tip is reachable only from starts among its ancestors, and a transaction's ancestors
        /// (doubling each generation of `h` back, up to the λh of a generation) take many `h` to
        /// span the tangle's width: starts within a few `h` strand tips whatever alpha is
        /// (`tests/tangle.rs`), so the default is deep (30 `h` for `pow_s` 1).
        Walk {
            alpha: f64,
            #[serde(default = "default_walk_depth_s")]
            depth_s: f64,
        },
    }
}

fn default_walk_depth_s() -> f64 {
    30.0
}

tagged_enum! {
    tag = "model", twin = ConfirmationTwin as "Confirmation";
    #[derive(Clone, Debug, PartialEq)]
    pub enum Confirmation {
        /// Confirmed once `threshold` transactions approve it directly or indirectly (its
        /// cumulative weight, itself included, reaches `threshold + 1`).
        Weight { threshold: u32 },
        /// Confirmed when a milestone of the coordinator (validator 0), issued every
        /// `interval_s`, approves it directly or indirectly.
        Milestones { interval_s: f64 },
    }
}

impl Default for Confirmation {
    fn default() -> Self {
        Confirmation::Milestones { interval_s: 60.0 }
    }
}

/// Ethereum-style proof of stake (Gasper: Casper FFG finality over slots and epochs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pos {
    /// Slot length (mainnet `SECONDS_PER_SLOT` = 12).
    #[serde(default = "default_slot_s")]
    pub slot_s: f64,
    /// Slots per epoch (mainnet `SLOTS_PER_EPOCH` = 32).
    #[serde(default = "default_slots_per_epoch")]
    pub slots_per_epoch: u32,
    /// How stake is spread over validators (same models as `hash_power`).
    #[serde(default)]
    pub stake: HashPower,
    /// Share of total stake whose validators neither propose nor attest (their nodes still
    /// relay and follow the chain).
    #[serde(default)]
    pub offline_stake: f64,
    #[serde(default = "default_max_block_bytes")]
    pub max_block_bytes: u64,
    /// Pad every block up to `max_block_bytes` with transactions from outside the simulated
    /// fleet (the rest of the chain's traffic), as for Nakamoto; with `validators.execution`
    /// only as many as still execute by the attestation deadline.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fill_blocks: bool,
}

fn default_slot_s() -> f64 {
    12.0
}
fn default_slots_per_epoch() -> u32 {
    32
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Nakamoto {
    /// Mean time between blocks of the whole network.
    #[serde(default = "default_block_interval_s")]
    pub block_interval_s: f64,
    /// How block intervals are drawn: `exponential` (each miner a Poisson process at rate
    /// share / `block_interval_s`, as proof of work is) or `fixed` (a block exactly every
    /// `block_interval_s`, its miner drawn by hash share: a scheduled proposer).
    #[serde(default, skip_serializing_if = "BlockIntervals::is_default")]
    pub block_intervals: BlockIntervals,
    /// Which transactions a found block carries: those its miner knows of when it finds it
    /// (`live`: one arriving while the block is mined joins it) or when it started on the
    /// block's parent (`at_start`: one arriving later waits for the next block).
    #[serde(default, skip_serializing_if = "Template::is_default")]
    pub template: Template,
    #[serde(default = "default_max_block_bytes")]
    pub max_block_bytes: u64,
    /// A transaction is settled once its block is this many blocks deep (the block itself
    /// counts as one) in the chain of the validator its gateway reports to.
    #[serde(default = "default_confirmations")]
    pub confirmations: u32,
    /// How many validators mine; the others only relay. Defaults to all.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::count::deserialize_opt_count"
    )]
    pub miners: Option<u64>,
    #[serde(default)]
    pub hash_power: HashPower,
    #[serde(default)]
    pub relay: Relay,
    /// Share of nodes that use compact relay (SimBlock: 0.964); a link uses it only when both
    /// ends do.
    #[serde(default = "default_one")]
    pub compact_nodes: f64,
    /// Probability that a compact block lacks transactions the receiver does not hold
    /// (SimBlock, for nodes that do not churn: 0.13). Under `relay_model: ideal` the whole
    /// block is then sent; under `announce` the receiver asks for the missing ones
    /// (`getblocktxn`).
    #[serde(default)]
    pub compact_failure_rate: f64,
    /// Share of nodes that churn (SimBlock: 0.976, after Imtiaz et al., ICBC 2019); a
    /// churning receiver fails reconstruction at `churn_compact_failure_rate` instead.
    #[serde(default)]
    pub churn_nodes: f64,
    /// Reconstruction failure rate at churning nodes (SimBlock: 0.27).
    #[serde(default)]
    pub churn_compact_failure_rate: f64,
    /// Share of the block a `blocktxn` answer carries under `announce`.
    #[serde(default)]
    pub missing_share: MissingShare,
    /// Size of every compact block; absent, header + nonce + prefilled coinbase + 6 bytes per
    /// transaction (BIP 152). SimBlock sends 18,000 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compact_block_bytes: Option<u64>,
    /// Peers a node asks for unsolicited compact blocks (BIP 152 high-bandwidth mode): the
    /// ones that most recently announced a new block to it first. BIP 152 and Bitcoin Core:
    /// at most 3. `0`: low-bandwidth mode only (SimBlock).
    #[serde(default = "default_high_bandwidth_peers")]
    pub high_bandwidth_peers: u32,
    /// Pad every block to `max_block_bytes` with transactions from outside the simulated fleet
    /// (the rest of the chain's traffic), as block-propagation studies assume full blocks.
    #[serde(default)]
    pub fill_blocks: bool,
    /// Mempool limit: transactions arriving when the not-yet-mined ones already take this
    /// many bytes are dropped with reason `mempool_full` (Bitcoin Core's default `maxmempool`
    /// is 300 MB).
    #[serde(default = "default_max_mempool_bytes")]
    pub max_mempool_bytes: u64,
    /// Block validation time per megabyte (Gervais et al.: 0.174 s per 458,263 B ≈ 0.38 s/MB).
    #[serde(default = "default_validation_s_per_mb")]
    pub validation_s_per_mb: f64,
}

fn default_block_interval_s() -> f64 {
    600.0
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BlockIntervals {
    /// Memoryless finds: the interval between blocks is exponential with mean
    /// `block_interval_s` (Nakamoto 2008, §11).
    #[default]
    Exponential,
    /// Block k is found at exactly k · `block_interval_s` by a miner drawn by hash share
    /// (entity k's own draw); a find due while its miner is down is lost.
    Fixed,
}

impl BlockIntervals {
    fn is_default(&self) -> bool {
        *self == BlockIntervals::Exponential
    }
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// The miner's template follows its mempool to the moment of the find.
    #[default]
    Live,
    /// The template is fixed when the miner starts on a new parent (its own block or one it
    /// adopted, or a restart) and not refreshed until the next.
    AtStart,
}

impl Template {
    fn is_default(&self) -> bool {
        *self == Template::Live
    }
}
fn default_high_bandwidth_peers() -> u32 {
    3
}

tagged_enum! {
    tag = "model", twin = MissingShareTwin as "MissingShare";
    /// Share of a block's bytes missing at a receiver whose compact-block reconstruction
    /// failed.
    #[derive(Clone, Debug, PartialEq)]
    pub enum MissingShare {
        /// Always `share` (default 0.01: SimBlock's table for nodes that do not churn).
        Fixed { share: f64 },
        /// SimBlock's tables, chosen by the sender: 1 % from a node that does not churn; from
        /// a churning one, an empirical distribution (median 1 %, mean 8.7 %, up to 96 %).
        Simblock,
    }
}

impl Default for MissingShare {
    fn default() -> Self {
        MissingShare::Fixed { share: 0.01 }
    }
}
fn default_max_block_bytes() -> u64 {
    1_000_000
}
fn default_confirmations() -> u32 {
    6
}
fn default_one() -> f64 {
    1.0
}
fn default_max_mempool_bytes() -> u64 {
    300_000_000
}
fn default_validation_s_per_mb() -> f64 {
    0.38
}

tagged_enum! {
    tag = "model", twin = HashPowerTwin as "HashPower";
    #[derive(Clone, Debug, Default, PartialEq)]
    pub enum HashPower {
        #[default]
        Equal,
        /// Miner `i` (1-based) gets a share proportional to `1 / i^exponent`.
        Zipf { exponent: f64 },
        /// Explicit shares, one per miner, normalised to sum to one.
        Shares { shares: Vec<f64> },
        /// Each miner's power drawn from a normal distribution truncated at zero (SimBlock:
        /// mean 400,000, sd 100,000 hashes/ms), then normalised.
        Normal { mean: f64, sd: f64 },
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relay {
    /// Whole blocks are sent to every peer.
    Full,
    /// BIP 152 compact blocks: header plus 6-byte short ids; peers already hold the
    /// transactions.
    #[default]
    Compact,
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
