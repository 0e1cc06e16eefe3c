//! Range and relation checks, one scenario fragment at a time.

use super::*;

mod families;
mod radio;

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
