//! SLA contracts, provenance chains and registrations, each checked against what it must
//! guarantee, and every typed workload carried by every consensus family with its
//! transactions accounted for by kind.

mod common;

use common::{FAMILIES, metric};
use std::collections::BTreeMap;
use unchained::metrics::RunOutput;

fn run(devices: &str, consensus: &str, duration_s: u32) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 7
duration_s: {duration_s}
devices:
{devices}
gateways: {{ count: 4 }}
validators: {{ count: 4 }}
network: {{ topology: {{ model: full_mesh }} }}
consensus: {{ protocol: {consensus} }}
"
    )))
}

fn sla(p: f64) -> RunOutput {
    let group = format!(
        "  - {{ count: 200, workload: {{ model: sla, report_interval_s: 10, reports_per_window: 5, violation_probability: {p} }} }}"
    );
    run(&group, "pbft", 600)
}

#[test]
fn a_penalty_comes_exactly_for_windows_with_a_violating_report() {
    let none = sla(0.0);
    assert!(metric(&none, "sla_windows_judged") > 2000.0);
    assert_eq!(metric(&none, "sla_penalties"), 0.0);
    assert_eq!(
        metric(&none, "sla_rewards"),
        metric(&none, "sla_windows_judged")
    );
    let all = sla(1.0);
    assert_eq!(metric(&all, "sla_rewards"), 0.0);
    assert_eq!(
        metric(&all, "sla_penalties"),
        metric(&all, "sla_windows_judged")
    );
    // A window of 5 reports, each violating with probability 0.1, violates with
    // probability 1 − 0.9^5 = 0.40951 (about 2,300 windows: sd 0.010).
    let some = sla(0.1);
    let share = metric(&some, "sla_penalties") / metric(&some, "sla_windows_judged");
    assert!((share - 0.40951).abs() < 0.04, "{share}");
    let reports = metric(&some, "sla_reports_violating") / metric(&some, "sla_reports");
    assert!((reports - 0.1).abs() < 0.015, "{reports}");
    // A violation waits for the rest of its window (up to 40 s) and the settlements.
    let delay = metric(&some, "sla_penalty_delay_max_s");
    assert!(delay > 30.0 && delay < 60.0, "{delay}");
}

fn provenance(consensus: &str, delay_s: f64, duration_s: u32) -> RunOutput {
    let group = format!(
        "  - {{ count: 12, workload: {{ model: provenance, items_per_s: 0.05, stages: 6, stage_delay_s: {delay_s} }} }}"
    );
    run(&group, consensus, duration_s)
}

#[test]
fn provenance_events_settle_in_order_and_a_trace_takes_every_stage_delay() {
    // Nakamoto settles after a random number of blocks: a chain of events created on a fixed
    // schedule would settle out of order.
    let out = provenance(
        "nakamoto, block_interval_s: 20, confirmations: 2",
        5.0,
        3600,
    );
    assert!(metric(&out, "provenance_items_traced") > 50.0);
    assert_eq!(metric(&out, "provenance_out_of_order"), 0.0);
    assert_eq!(metric(&out, "provenance_events_per_item"), 6.0);
    assert_eq!(metric(&out, "provenance_ledger_bytes_per_item"), 600.0);
    // Five handovers of 5 s, and six settlements of at least two blocks each.
    let min = metric(&out, "provenance_trace_min_s");
    assert!(min >= 25.0, "{min}");
    // On average a trace is the five delays plus six mean settlements.
    let expect = 25.0 + 6.0 * metric(&out, "settlement_mean_s");
    let mean = metric(&out, "provenance_trace_mean_s");
    assert!((mean - expect).abs() < 0.15 * expect, "{mean} vs {expect}");
}

#[test]
fn readings_wait_on_the_device_until_its_registration_settles() {
    let group = "  - { count: 300, workload: { model: registration, start_s: 200, spread_s: 60, interval_s: 5 }, buffer_tx: 2 }";
    let out = run(
        group,
        "nakamoto, block_interval_s: 30, confirmations: 2",
        900,
    );
    assert_eq!(metric(&out, "registration_devices_operational"), 300.0);
    // Blocks every 30 s and two confirmations: readings every 5 s pile up past the
    // 2-reading buffer, and those kept leave the moment the registration settles.
    assert!(metric(&out, "registration_readings_released") > 300.0);
    assert!(metric(&out, "registration_buffer_overflow") > 0.0);
    assert_eq!(
        metric(&out, "registration_buffer_overflow"),
        out.conservation.dropped("buffer_overflow") as f64
    );
    let p100 = metric(&out, "fleet_operational_100_s");
    assert!(p100 > 60.0 && p100 < 600.0, "{p100}");
    assert!(metric(&out, "fleet_operational_50_s") <= p100);
    // Waiting on the device shows in the upload stage, which an always-online group that
    // needs no registration never has.
    assert!(metric(&out, "upload_wait_reached_only_max_s") > 5.0);
}

const WORKLOADS: [&str; 5] = [
    "{ model: periodic, interval_s: 10 }",
    "{ model: pay_per_use, providers: 4, uses_per_s: 0.2, payments_per_channel: 3 }",
    "{ model: sla, report_interval_s: 5, reports_per_window: 3, violation_probability: 0.2 }",
    "{ model: provenance, items_per_s: 0.5, stages: 4, stage_delay_s: 2 }",
    "{ model: registration, start_s: 5, spread_s: 10, interval_s: 5 }",
];

#[test]
fn every_family_carries_every_workload_and_accounts_for_every_kind() {
    let groups: Vec<String> = WORKLOADS
        .iter()
        .enumerate()
        .map(|(i, w)| format!("  - {{ name: g{i}, count: 20, workload: {w} }}"))
        .collect();
    for family in FAMILIES {
        let out = run(&groups.join("\n"), family, 120);
        let c = &out.conservation;
        assert!(c.holds(), "{family}: {c:?}");
        // The run checked every kind; the table lists every kind that was created.
        let created: BTreeMap<&str, u64> = out
            .kinds
            .iter()
            .filter(|r| r.outcome == "created")
            .map(|r| (r.kind, r.transactions))
            .collect();
        for kind in [
            "reading",
            "channel_open",
            "channel_close",
            "sla_report",
            "sla_settlement",
            "provenance_event",
            "registration",
        ] {
            assert!(
                created.get(kind).is_some_and(|&n| n > 0),
                "{family}: no {kind}"
            );
        }
        assert_eq!(created.values().sum::<u64>(), c.created, "{family}");
        let settled: u64 = out
            .kinds
            .iter()
            .filter(|r| r.outcome == "settled")
            .map(|r| r.transactions)
            .sum();
        assert_eq!(settled, c.settled, "{family}");
        assert!(metric(&out, "payments_accepted") > 0.0, "{family}");
    }
}

#[test]
fn typed_workloads_are_byte_identical_at_1_2_and_8_threads() {
    let groups: Vec<String> = WORKLOADS
        .iter()
        .enumerate()
        .map(|(i, w)| format!("  - {{ name: g{i}, count: 30, workload: {w} }}"))
        .collect();
    let text = format!(
        "
seed: 3
duration_s: 300
devices:
{}
gateways: {{ count: 6 }}
validators: {{ count: 10 }}
consensus: {{ protocol: nakamoto, block_interval_s: 10, confirmations: 2 }}
",
        groups.join("\n")
    );
    let at = |threads: usize| common::files_at(threads, &text, &format!("typed{threads}"));
    let one = at(1);
    assert!(one.contains_key("kinds.csv"));
    for threads in [2, 8] {
        let other = at(threads);
        assert_eq!(
            one.keys().collect::<Vec<_>>(),
            other.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &one {
            assert!(bytes == &other[name], "{name} differs at {threads} threads");
        }
    }
}

/// Least-squares slope (tx/s) of the raw pending count over the windows ending inside the
/// measurement window, as the saturation check computed it before chains were left out.
fn raw_pending_slope(out: &RunOutput) -> f64 {
    let (from, to) = (
        metric(out, "measure_start_s"),
        metric(out, "measure_start_s") + metric(out, "measure_s"),
    );
    let pts: Vec<(f64, f64)> = out
        .timeseries
        .iter()
        .filter(|r| r.window_end_s >= from && r.window_end_s <= to)
        .map(|r| (r.window_end_s, r.pending_tx as f64))
        .collect();
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

/// Chains (and `more` groups) on Nakamoto for two minutes, in windows of 5 s.
fn chains(more: &str) -> RunOutput {
    common::run(&common::scenario(&format!(
        "
seed: 7
duration_s: 120
devices:
  - {{ name: lots, count: 12, workload: {{ model: provenance, items_per_s: 1, stages: 12, stage_delay_s: 1 }} }}
{more}
gateways: {{ count: 4 }}
validators: {{ count: 4 }}
network: {{ topology: {{ model: full_mesh }} }}
metrics: {{ window_s: 5 }}
consensus: {{ protocol: nakamoto, block_interval_s: 5, confirmations: 2 }}
"
    )))
}

#[test]
fn provenance_chains_in_progress_are_not_saturation_but_a_growing_queue_is() {
    // An item a second through 12 stages of 1 s handovers and about 10 s settlements: a
    // trace takes over two minutes, longer than the run, so items in progress (each with one
    // event pending most of the time) grow all run long in a ledger far from busy.
    let out = chains("");
    let offered = metric(&out, "created_tx_per_s");
    // The raw pending count grows by more than the tenth of the offered rate that the check
    // calls a queue that never drains, while fewer than nine tenths settle in the window…
    assert!(raw_pending_slope(&out) > 0.1 * offered, "{offered}");
    assert!(metric(&out, "settled_during_window_tx_per_s") < 0.9 * offered);
    // …yet this is no saturation: no chain has more than one event pending.
    assert_eq!(metric(&out, "saturated"), 0.0);
    assert!(metric(&out, "pending_slope_tx_per_s").abs() < 0.1 * offered);
    // Readings beyond what 1 MB blocks every 5 s carry (4,000 readings a block: 800/s)
    // beside the same chains: a queue that never drains is still called one.
    let out =
        chains("  - { name: meters, count: 1000, workload: { model: poisson, rate_per_s: 2 } }");
    assert_eq!(metric(&out, "saturated"), 1.0);
}
