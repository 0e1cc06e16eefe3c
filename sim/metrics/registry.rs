//! What each summary metric is: its unit, its kind and which way is better. `compare` reads
//! this instead of guessing from names; charts, the report and the docs can read it too.
//!
//! A metric is matched by its exact name first, then by the first pattern that fits, in the
//! order of [`RULES`]. In a pattern `*` stands for any run of characters and `#` for one or
//! more digits (`settled_within_#s_share`, `*_p#_s`). A metric no rule matches is unknown:
//! `tests/metric_registry.rs` runs every example scenario and fails naming it, so whoever adds
//! a metric adds its line here.

/// What a metric says about a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Set by the scenario (`devices`, `seed`, `duration_s`): two runs that differ here did
    /// not simulate the same thing.
    Input,
    /// A measured quantity (latency, throughput, share, cost).
    Output,
    /// A measured count of things (transactions, messages, blocks); small counts move by a
    /// few from one model change to the next, so they get an absolute floor.
    Count,
    /// True or false (stored as 1 or 0).
    Flag,
    /// The simulator's own work (`events`): reported, never judged.
    Work,
}

/// Which way a metric moves when the system gets better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    /// Neither: a change means the runs differ, not that one is better.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// As a person writes it: `s`, `tx/s`, `share` (0 to 1), `USD/month`.
    pub unit: &'static str,
    pub kind: Kind,
    pub better: Better,
    /// The smallest change `compare` tells apart from no change, in the metric's unit.
    pub floor: f64,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Input => "input",
            Kind::Output => "output",
            Kind::Count => "count",
            Kind::Flag => "flag",
            Kind::Work => "work",
        }
    }
}

impl Better {
    pub fn name(self) -> &'static str {
        match self {
            Better::Lower => "lower",
            Better::Higher => "higher",
            Better::None => "none",
        }
    }
}

/// A count moving by this much (16 → 17 pending transactions) is within tolerance whatever
/// its relative change: counts this small are dominated by where the run's end falls.
pub const COUNT_FLOOR: f64 = 5.0;
/// Shares closer than a tenth of a percentage point are the same share.
pub const SHARE_FLOOR: f64 = 0.001;
/// Latencies closer than a millisecond are the same latency (below a block's validation
/// time or a radio frame's airtime; the engine keeps nanoseconds only to order events).
pub const SECONDS_FLOOR: f64 = 0.001;

const fn input(unit: &'static str) -> Entry {
    Entry {
        unit,
        kind: Kind::Input,
        better: Better::None,
        floor: 0.0,
    }
}

const fn output(unit: &'static str, better: Better) -> Entry {
    Entry {
        unit,
        kind: Kind::Output,
        better,
        floor: 0.0,
    }
}

const fn count(unit: &'static str, better: Better) -> Entry {
    Entry {
        unit,
        kind: Kind::Count,
        better,
        floor: COUNT_FLOOR,
    }
}

/// Safety violations and attack successes: one is already one too many, so no floor.
const fn violations(unit: &'static str) -> Entry {
    Entry {
        unit,
        kind: Kind::Count,
        better: Better::Lower,
        floor: 0.0,
    }
}

const fn share(better: Better) -> Entry {
    Entry {
        unit: "share",
        kind: Kind::Output,
        better,
        floor: SHARE_FLOOR,
    }
}

const fn seconds(better: Better) -> Entry {
    Entry {
        unit: "s",
        kind: Kind::Output,
        better,
        floor: SECONDS_FLOOR,
    }
}

const fn flag(better: Better) -> Entry {
    Entry {
        unit: "flag",
        kind: Kind::Flag,
        better,
        floor: 0.0,
    }
}

const WORK: Entry = Entry {
    unit: "count",
    kind: Kind::Work,
    better: Better::None,
    floor: 0.0,
};

use Better::{Higher, Lower, None as Neither};

/// Exact names, then patterns; the first match wins. Keep families together and the more
/// specific pattern above the more general one.
pub const RULES: &[(&str, Entry)] = &[
    // Scenario inputs echoed in the summary.
    ("duration_s", input("s")),
    ("seed", input("seed")),
    ("devices", input("devices")),
    ("gateways", input("gateways")),
    ("validators", input("validators")),
    ("measure_start_s", input("s")),
    ("measure_s", input("s")),
    ("byzantine_validators", input("validators")),
    ("notary_cluster_nodes", input("nodes")),
    // The simulator's work: an optimisation may change it, the system it models does not.
    ("events", WORK),
    ("events_*", WORK),
    ("net_redundant_copies", WORK),
    // What privacy observers see and infer (`privacy_<observer>_…`): lower is more private,
    // except the crowd a transaction hides in.
    ("privacy_*_visible_share", share(Lower)),
    ("privacy_*_bayes_link_precision", share(Lower)),
    ("privacy_*_bayes_link_recall", share(Lower)),
    ("privacy_*_link_precision", share(Lower)),
    ("privacy_*_link_recall", share(Lower)),
    ("privacy_*_link_chance_precision", share(Neither)),
    ("privacy_*_anonymity_set_mean", output("devices", Higher)),
    ("privacy_*_entropy_norm_mean", share(Higher)),
    ("privacy_*_first_spy_precision", share(Lower)),
    // Workload and throughput.
    ("tx_measured", count("tx", Neither)),
    ("tx_created", count("tx", Neither)),
    ("created_tx_per_s", output("tx/s", Neither)),
    ("included_tx_per_s", output("tx/s", Higher)),
    ("settled_tx_per_s", output("tx/s", Higher)),
    ("settled_during_window_tx_per_s", output("tx/s", Higher)),
    ("pending_slope_tx_per_s", output("tx/s", Lower)),
    ("online_fraction", output("share", Neither)),
    // Where transactions ended (conservation).
    ("tx_settled", count("tx", Higher)),
    ("tx_included", count("tx", Higher)),
    ("tx_uploaded", count("tx", Higher)),
    ("tx_stranded", count("tx", Lower)),
    ("tx_reached_validator", count("tx", Higher)),
    ("tx_pending_*", count("tx", Lower)),
    ("tx_dropped_*", count("tx", Lower)),
    ("tx_batches_held_for_down_node", count("batches", Lower)),
    ("reverted_settlements", count("tx", Lower)),
    ("conservation_holds", flag(Higher)),
    ("saturated", flag(Lower)),
    ("drops_high", flag(Lower)),
    // Shares of the transactions created in the measurement window.
    ("settled_share", share(Higher)),
    ("dropped_share", share(Lower)),
    ("settled_within_#s_share", share(Higher)),
    ("settled_within_*_share", share(Higher)),
    ("*_reached_share", share(Higher)),
    // Latency statistics of every stage (`settlement_p50_s`, `receipt_p99_s`,
    // `cell_wait_max_s`), and whether one fell beyond the run.
    ("*_beyond_run", flag(Lower)),
    ("*_p#_s", seconds(Lower)),
    ("*_mean_s", seconds(Lower)),
    ("*_max_s", seconds(Lower)),
    ("*_min_s", seconds(Lower)),
    // Network traffic between validators.
    ("net_messages", count("messages", Lower)),
    ("net_message_bytes", count("bytes", Lower)),
    ("net_bytes_delivered", count("bytes", Neither)),
    // Of net_messages and net_message_bytes, the transaction flood counted by closed form.
    ("net_messages_modeled", count("messages", Lower)),
    ("net_message_bytes_modeled", count("bytes", Lower)),
    ("net_messages_per_settled_tx", output("messages/tx", Lower)),
    ("net_bytes_per_settled_tx", output("bytes/tx", Lower)),
    ("net_messages_per_node*", output("messages/node", Lower)),
    ("net_bytes_per_node*", output("bytes/node", Lower)),
    ("net_bytes_in_flight_at_end", count("bytes", Neither)),
    ("net_bytes_lost_*", count("bytes", Lower)),
    ("net_*_bytes", count("bytes", Lower)),
    ("net_*_messages", count("messages", Lower)),
    ("msgs_dropped_*", count("messages", Lower)),
    ("timers_dropped_node_down", count("timers", Neither)),
    ("fault_crashes", count("crashes", Neither)),
    ("fault_recoveries", count("recoveries", Neither)),
    // Radio access (LoRaWAN and cellular).
    ("radio_frames", count("frames", Neither)),
    ("radio_frames_delivered", count("frames", Higher)),
    ("radio_duplicates", count("frames", Neither)),
    ("radio_lost_*", count("frames", Lower)),
    ("lost_*", count("frames", Lower)),
    ("radio_delivery_ratio", share(Higher)),
    ("radio_airtime_s", output("s", Lower)),
    ("radio_duty_cycle_wait_s", output("s", Lower)),
    ("radio_links_per_device", output("links/device", Neither)),
    // Confirmed uplinks: ACKs in RX1 or RX2, repeats, frames given up.
    ("radio_confirmed_frames", count("frames", Neither)),
    (
        "radio_transmissions_per_confirmed_frame",
        output("transmissions/frame", Lower),
    ),
    ("radio_frames_given_up", count("frames", Lower)),
    ("radio_acks_no_window", count("frames", Lower)),
    ("radio_downlink_airtime_s", output("s", Neither)),
    ("radio_acks*", count("frames", Neither)),
    ("radio_retransmissions*", count("frames", Lower)),
    ("radio_*_ack*", count("frames", Neither)),
    ("radio_*retransmission*", count("frames", Lower)),
    ("radio_*_share", share(Neither)),
    ("cell_*_share", share(Neither)),
    // Cellular access: cells that make connections wait, time per radio state.
    ("cell_connections", count("connections", Neither)),
    ("cell_wait_connections", count("connections", Lower)),
    ("cell_wait_s", output("s", Lower)),
    ("cell_uplink_wait_s", output("s", Lower)),
    ("cell_peak_connections", count("connections", Neither)),
    ("cellular_taus", count("updates", Neither)),
    ("cellular_*_s_per_device", output("s/device", Neither)),
    // Settlement receipts back to devices.
    ("receipts_created", count("receipts", Neither)),
    ("receipts_delivered", count("receipts", Higher)),
    ("receipts_pending_at_network", count("receipts", Lower)),
    ("receipts_dropped_*", count("receipts", Lower)),
    ("receipt_downlinks", count("downlinks", Neither)),
    ("receipt_bytes_delivered", count("bytes", Neither)),
    ("receipt_windows_missed_*", count("uplinks", Lower)),
    ("receipt_*_share", share(Higher)),
    // Typed workloads (`sim/workload/`): off-ledger payments, channels, SLA contracts,
    // provenance chains, registrations.
    ("payments_offered", count("payments", Neither)),
    ("payments_accepted", count("payments", Higher)),
    ("payments_waited", count("payments", Lower)),
    ("payments_refused", count("payments", Lower)),
    ("payments_waiting_at_end", count("payments", Lower)),
    ("payments_before_funding", violations("payments")),
    ("offchain_messages", count("messages", Neither)),
    ("offchain_bytes", count("bytes", Neither)),
    ("channels_opened", count("channels", Neither)),
    ("channels_usable", count("channels", Higher)),
    ("channels_closed", count("channels", Neither)),
    ("channels_funding_dropped", count("channels", Lower)),
    ("channel_closes_settled", count("channels", Higher)),
    ("channel_closes_dropped", count("channels", Lower)),
    ("channels_disputed", count("channels", Lower)),
    ("channel_disputes_settled", count("channels", Neither)),
    ("channel_disputes_dropped", count("channels", Lower)),
    ("channel_dispute_closes", count("channels", Neither)),
    (
        "channel_onchain_tx_per_payment",
        output("tx/payment", Lower),
    ),
    ("onchain_tx_per_payment", output("tx/payment", Lower)),
    ("capital_locked_unit_s", output("unit·s", Lower)),
    ("sla_reports", count("reports", Neither)),
    ("sla_reports_violating", count("reports", Neither)),
    ("sla_reports_dropped", count("reports", Lower)),
    ("sla_windows_judged", count("windows", Higher)),
    ("sla_windows_open_at_end", count("windows", Lower)),
    ("sla_rewards", count("windows", Neither)),
    ("sla_penalties", count("windows", Neither)),
    ("sla_penalties_settled", count("windows", Higher)),
    ("sla_settlements_dropped", count("windows", Lower)),
    ("provenance_items_started", count("items", Neither)),
    ("provenance_items_traced", count("items", Higher)),
    ("provenance_items_broken", count("items", Lower)),
    ("provenance_items_in_progress_at_end", count("items", Lower)),
    ("provenance_out_of_order", violations("events")),
    ("provenance_events_per_item", output("events/item", Neither)),
    (
        "provenance_ledger_bytes_per_item",
        output("bytes/item", Lower),
    ),
    // Validators' execution (ledger/exec.rs) and the Fabric family's MVCC check.
    ("exec_cores", input("cores")),
    ("exec_utilisation", share(Neither)),
    ("exec_endorse_utilisation", share(Neither)),
    ("exec_wait_mean_s", seconds(Lower)),
    ("exec_tx", count("tx", Neither)),
    ("exec_pending_at_end", count("tx", Lower)),
    ("raft_mvcc_hot_tx", count("tx", Neither)),
    ("raft_mvcc_conflicts", count("tx", Lower)),
    ("registration_devices", input("devices")),
    ("registration_devices_operational", count("devices", Higher)),
    ("registration_retries", count("registrations", Lower)),
    ("registration_readings_released", count("tx", Neither)),
    ("registration_readings_buffered_at_end", count("tx", Lower)),
    ("registration_buffer_overflow", count("tx", Lower)),
    ("fleet_operational_#_s", seconds(Lower)),
    // Energy and batteries.
    ("battery_life_*_years", output("years", Higher)),
    ("battery_swaps_per_year", output("swaps/year", Lower)),
    ("energy_*_mj", output("mJ", Lower)),
    ("energy_*_j", output("J", Lower)),
    // Costs.
    ("cost_*_usd_per_month", output("USD/month", Lower)),
    ("cost_usd_per_month", output("USD/month", Lower)),
    ("cost_per_*_usd", output("USD", Lower)),
    ("cost_*_usd", output("USD", Lower)),
    (
        "storage_bytes_per_day_per_replica",
        output("bytes/day", Lower),
    ),
    ("storage_*_bytes*", output("bytes", Lower)),
    // Nakamoto and proof of stake.
    ("blocks_mined", count("blocks", Neither)),
    ("blocks_stale", count("blocks", Lower)),
    ("stale_rate", share(Lower)),
    ("main_chain_height", count("blocks", Neither)),
    ("double_spend_attempts", count("attempts", Neither)),
    ("double_spend_successes", violations("attempts")),
    ("double_spend_rejected", count("attempts", Neither)),
    ("slots", input("slots")),
    ("slots_missed", count("slots", Lower)),
    ("offline_stake_share", share(Neither)),
    // Transactions held in the blocks the simulator keeps: its memory, not the system's.
    ("retained_block_tx", Entry { unit: "tx", ..WORK }),
    ("finalized_epoch", count("epochs", Higher)),
    ("conflicting_signed", violations("votes")),
    ("conflicting_decisions", violations("decisions")),
    ("byzantine_equivocations", count("votes", Neither)),
    ("byzantine_fork_blocks", violations("blocks")),
    // BFT families, Raft, the notary, the XRP ledger and the tangle.
    ("pbft_decisions", count("decisions", Higher)),
    ("*_final_view", count("views", Lower)),
    ("raft_final_term", count("terms", Lower)),
    ("tendermint_final_height", count("blocks", Higher)),
    ("*_round_changes", count("rounds", Lower)),
    ("*_leader_changes", count("elections", Lower)),
    ("*_view_changes", count("views", Lower)),
    ("tendermint_decisions", count("decisions", Higher)),
    ("hotstuff_decisions", count("decisions", Higher)),
    ("*_msgs_*", count("messages", Lower)),
    ("raft_committed_entries", count("entries", Higher)),
    ("raft_elections", count("elections", Lower)),
    ("notary_elections", count("elections", Lower)),
    ("notary_signed", count("tx", Higher)),
    ("forked_sequences", violations("sequences")),
    ("messages", count("messages", Lower)),
    ("messages_per_settled_tx", output("messages/tx", Lower)),
    ("honest_rejected", count("tx", Lower)),
    ("validated_seq", count("ledgers", Higher)),
    ("ledgers_built", count("ledgers", Higher)),
    ("milestones", count("milestones", Higher)),
    ("tangle_transactions", count("tx", Neither)),
    ("orphan_rate", share(Lower)),
    ("visibility_horizon_s", seconds(Lower)),
    ("tips_at_end", count("tips", Neither)),
    ("tips_mean", output("tips", Neither)),
    ("dag_violations", violations("violations")),
];

/// The entry of `metric`, or `None` when no rule matches it.
pub fn entry(metric: &str) -> Option<Entry> {
    let exact = RULES.iter().find(|(k, _)| *k == metric);
    exact
        .or_else(|| {
            RULES
                .iter()
                .find(|(k, _)| is_pattern(k) && matches(k, metric))
        })
        .map(|(_, e)| *e)
}

fn is_pattern(rule: &str) -> bool {
    rule.contains(['*', '#'])
}

/// `*` matches any run of characters (possibly none), `#` one or more ASCII digits.
pub fn matches(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    match p.first() {
        None => n.is_empty(),
        Some(b'*') => (0..=n.len()).any(|i| matches(&pattern[1..], &name[i..])),
        Some(b'#') => {
            let digits = n.iter().take_while(|c| c.is_ascii_digit()).count();
            (1..=digits).any(|i| matches(&pattern[1..], &name[i..]))
        }
        Some(&c) => n.first() == Some(&c) && matches(&pattern[1..], &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_stars_and_digits() {
        assert!(matches("*_max_s", "settlement_max_s"));
        assert!(matches("tx_*_s", "tx_a_s"));
        assert!(!matches("*_max_s", "settlement_p50_s"));
        assert!(!matches("a*a", "a"));
        assert!(matches("*_p#_s", "settlement_p99_s"));
        assert!(!matches("*_p#_s", "pending_slope_tx_per_s"));
        assert!(!matches("*_p#_s", "settlement_p_s"));
        assert!(matches(
            "settled_within_#s_share",
            "settled_within_600s_share"
        ));
        assert!(!matches(
            "settled_within_#s_share",
            "settled_within_0.5s_share"
        ));
    }

    #[test]
    fn names_get_the_entry_their_family_declares() {
        let e = |m| entry(m).unwrap_or_else(|| panic!("no entry for {m}"));
        assert_eq!(e("settlement_p50_s").better, Better::Lower);
        assert_eq!(e("settlement_p50_s").unit, "s");
        assert_eq!(e("pending_slope_tx_per_s").unit, "tx/s");
        assert_eq!(e("settled_within_0.5s_share").better, Better::Higher);
        assert_eq!(e("settlement_p90_beyond_run").kind, Kind::Flag);
        assert_eq!(e("tx_pending_in_transit").floor, COUNT_FLOOR);
        assert_eq!(e("cost_servers_usd_per_month").better, Better::Lower);
        assert_eq!(e("cost_servers_usd_per_month").unit, "USD/month");
        assert_eq!(e("battery_life_p5_years").better, Better::Higher);
        assert_eq!(e("net_bytes_per_settled_tx").better, Better::Lower);
        assert_eq!(e("devices").kind, Kind::Input);
        assert_eq!(e("events_devices").kind, Kind::Work);
        assert_eq!(entry("no_such_metric"), None);
    }
}
