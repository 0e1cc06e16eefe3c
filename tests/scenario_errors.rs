//! Every file in `tests/invalid_scenarios/` has one defect; loading it must fail with a message
//! that names the field and, for values that parse but are out of range, the value and line.

use std::path::{Path, PathBuf};

use unchained::scenario::{self, ScenarioError};

/// File name → substrings its error message must contain.
const CASES: &[(&str, &[&str])] = &[
    (
        "observer_node_out_of_range.yaml",
        &[
            "observers[0].node = 4",
            "must be < validators.count (4)",
            "line 6",
        ],
    ),
    (
        "identity_two_rotations.yaml",
        &[
            "devices[0].identity",
            "exactly one of rotate_every_tx and rotate_every_s",
            "line 5",
        ],
    ),
    (
        "observer_channels_without_raft.yaml",
        &["observers[0].channels", "only for protocol: raft"],
    ),
    (
        "mix_without_batching.yaml",
        &["gateways.mix = true", "batch_interval_ms > 0", "line 4"],
    ),
    (
        "delay_negative.yaml",
        &[
            "devices[0].mitigation.delay.max_s = -5",
            "must be >= 0",
            "line 6",
        ],
    ),
    // Parse errors, reported by serde with the position it knows.
    (
        "unknown_top_level_field.yaml",
        &["unknown field `bogus`", "line 2"],
    ),
    (
        "costs_negative_price.yaml",
        &["costs.usd_per_gb_out = -0.09", "must be >= 0", "line 6"],
    ),
    (
        "costs_zero_gateway_life.yaml",
        &[
            "costs.gateway_life_years = 0",
            "must be > 0 and <= 100",
            "line 5",
        ],
    ),
    (
        "unknown_nested_field.yaml",
        &["devices[0]", "unknown field `colour`", "line 7"],
    ),
    (
        "unknown_connectivity_field.yaml",
        &["devices[0]", "unknown field `phase`"],
    ),
    (
        "wrong_type_string_for_number.yaml",
        &["duration_s", "\"ten minutes\"", "line 1"],
    ),
    (
        "unknown_connectivity_model.yaml",
        &[
            "devices[0].connectivity.model",
            "unknown variant `sometimes`",
            "line 7",
        ],
    ),
    (
        "non_integral_count.yaml",
        &["devices[0]", "invalid count 1.5"],
    ),
    // Inside internally tagged sections (`protocol:`, `kind:`, `model:`) the path and the
    // line of the field itself, not of the section.
    (
        "float_confirmations.yaml",
        &[
            "consensus.confirmations",
            "floating point `1.5`, expected u32",
            "line 6",
        ],
    ),
    (
        "adversary_float_confirmations.yaml",
        &[
            "adversary.confirmations",
            "floating point `1.5`, expected u32",
            "line 8",
        ],
    ),
    (
        "radio_sf_float.yaml",
        &[
            "devices[0].radio.sf",
            "floating point `7.5`",
            "`adr`",
            "line 9",
        ],
    ),
    (
        "radio_power_text.yaml",
        &["devices[0].radio.tx_power_dbm", "string \"high\"", "line 9"],
    ),
    // A number is not a variant name (it once chose the first variant, `weight`).
    (
        "number_as_model.yaml",
        &[
            "consensus.confirmation.model",
            "unknown variant `0`",
            "`weight` or `milestones`",
            "line 5",
        ],
    ),
    // A field before the tag can only be read once the variant is known: named in the
    // message, with the section's line.
    (
        "field_before_protocol.yaml",
        &["consensus", "block_interval_s", "line 4"],
    ),
    // Line breaks in echoed values and variant names are escaped: one line per error.
    (
        "newline_in_value.yaml",
        &["consensus.block_interval_s", "ten\\nminutes", "line 5"],
    ),
    (
        "newline_in_tag.yaml",
        &[
            "consensus.protocol",
            "unknown variant `naka\\nmoto`",
            "line 4",
        ],
    ),
    // Validation errors: path, value, the allowed range and the line.
    (
        "negative_duration.yaml",
        &["duration_s = -5", "must be > 0", "(line 1)"],
    ),
    (
        "nan_duration.yaml",
        &["duration_s = .nan", "finite", "(line 1)"],
    ),
    (
        "pay_per_use_zero_providers.yaml",
        &[
            "devices[0].workload.providers = 0",
            "a channel needs a provider",
            "(line 9)",
        ],
    ),
    // Execution cost by kind: the one field keyed by a transaction kind. (No field declares
    // a dependency: each typed model fixes its own.)
    (
        "execution_unknown_kind.yaml",
        &[
            "validators.execution.contract_us",
            "unknown field `firmware_update`",
            "expected one of `reading`",
            "line 7",
        ],
    ),
    (
        "execution_zero_cores.yaml",
        &[
            "validators.execution.cores = 0",
            "must be >= 1 and <= 4096",
            "line 5",
        ],
    ),
    (
        "hot_key_share_above_one.yaml",
        &[
            "devices[0].hot_key_share = 1.5",
            "must be >= 0 and <= 1",
            "line 5",
        ],
    ),
    (
        "pay_per_use_negative_dispute_timeout.yaml",
        &[
            "devices[0].workload.dispute_timeout_s = -5",
            "must be >= 0",
            "(line 12)",
        ],
    ),
    (
        "pay_per_use_dispute_without_timeout.yaml",
        &[
            "devices[0].workload.dispute_timeout_s = absent",
            "must be given with dispute_share > 0",
        ],
    ),
    (
        "pay_per_use_closes_before_open.yaml",
        &[
            "devices[0].workload.channel_max_s = 0",
            "a channel cannot close before it opens",
            "(line 11)",
        ],
    ),
    (
        "sla_probability_above_one.yaml",
        &[
            "devices[0].workload.violation_probability = 1.5",
            "must be >= 0 and <= 1",
            "(line 10)",
        ],
    ),
    (
        "provenance_zero_stages.yaml",
        &[
            "devices[0].count = 0",
            "needs parties",
            "devices[0].workload.stages = 0",
        ],
    ),
    (
        "registration_offline.yaml",
        &[
            "devices[0].connectivity",
            "must be always_on with the `registration` workload",
            "(line 7)",
        ],
    ),
    (
        "typed_workload_twice.yaml",
        &[
            "devices[1].workload.model = pay_per_use",
            "one group per typed workload",
            "(line 10)",
        ],
    ),
    (
        "pay_per_use_no_consumers.yaml",
        &[
            "devices[0].workload.providers = 10",
            "must be < count (10)",
            "(line 7)",
        ],
    ),
    (
        "on_s_exceeds_period.yaml",
        &[
            "devices[0].connectivity.on_s = 900",
            "<= period_s (600)",
            "(line 10)",
        ],
    ),
    (
        "nbiot_t3324_above_t3412.yaml",
        &[
            "devices[0].radio.psm.t3324_s = 7200",
            "must be <= psm.t3412_s (3600)",
            "(line 9)",
        ],
    ),
    (
        "nbiot_edrx_nonstandard.yaml",
        &[
            "devices[0].radio.edrx.cycle_s = 30",
            "must be one of the nbiot eDRX cycles [20.48, 40.96",
            "(line 11)",
        ],
    ),
    (
        "ltem_negative_inactivity.yaml",
        &[
            "devices[0].radio.inactivity_s = -5",
            "must be >= 0 and <= 3600",
            "(line 9)",
        ],
    ),
    (
        "receipts_without_radio.yaml",
        &[
            "devices[0].receipts = present",
            "needs a radio (lorawan, nbiot or ltem)",
            "(line 8)",
        ],
    ),
    (
        "lorawan_sf_13.yaml",
        &[
            "devices[0].radio.sf = 13",
            "must be 7..12 or adr",
            "(line 8)",
        ],
    ),
    (
        "lorawan_payload_above_every_data_rate.yaml",
        &[
            "devices[0].tx_bytes = 345",
            "<= 222, the largest application payload of any eu868 data rate",
            "(line 8)",
        ],
    ),
    (
        "lorawan_gateway_outside_area.yaml",
        &[
            "area.gateways_csv = \"lorawan_gateways_outside.csv\" row 4: (2500, 2500)",
            "must lie inside the area (disc of radius 3000 m",
            "(line 14)",
        ],
    ),
    (
        "lorawan_empty_coordinates_file.yaml",
        &[
            "area.gateways_csv = \"lorawan_gateways_empty.csv\"",
            "must list at least one gateway",
            "(line 14)",
        ],
    ),
    (
        "energy_negative_current.yaml",
        &[
            "devices[0].energy.states.tx = -40",
            "must be >= 0 and <= 10000",
            "(line 11)",
        ],
    ),
    (
        "battery_zero_mah.yaml",
        &[
            "devices[0].battery.capacity_mah = 0",
            "must be > 0",
            "(line 9)",
        ],
    ),
    (
        "energy_unknown_state.yaml",
        &[
            "devices[0].energy.states.psm = \"psm\"",
            "must be a state of the radio: wake, prepare, tx",
            "(line 9)",
        ],
    ),
    (
        "lorawan_duty_cycle_above_one.yaml",
        &[
            "devices[0].radio.duty_cycle = 1.5",
            "must be > 0 and <= 1",
            "(line 8)",
        ],
    ),
    (
        "phase_jitter_exceeds_period.yaml",
        &[
            "devices[0].connectivity.phase_jitter_s = 601",
            "<= period_s (600)",
            "(line 7)",
        ],
    ),
    (
        "jitter_too_large.yaml",
        &[
            "devices[0].workload.jitter_s = 300",
            "< interval_s / 2 (300)",
            "(line 10)",
        ],
    ),
    (
        "infinite_rate.yaml",
        &[
            "devices[1].workload.rate_per_s = .inf",
            "finite",
            "(line 10)",
        ],
    ),
    (
        "weibull_shape_out_of_range.yaml",
        &[
            "devices[0].connectivity.off.shape = 0.01",
            ">= 0.05 and <= 20",
            "(line 10)",
        ],
    ),
    (
        "duplicate_group_names.yaml",
        &[
            "devices[1].name = \"meters\"",
            "unique",
            "devices[0]",
            "(line 8)",
        ],
    ),
    (
        "zero_validators.yaml",
        &["validators.count = 0", ">= 1", "(line 2)"],
    ),
    (
        "zero_confirmations.yaml",
        &["consensus.confirmations = 0", ">= 1", "(line 6)"],
    ),
    (
        "pos_offline_stake_above_one.yaml",
        &["consensus.offline_stake = 1.5", "< 1", "(line 6)"],
    ),
    (
        "tangle_alpha_too_large.yaml",
        &["consensus.tip_selection.alpha = 200", "<= 100", "(line 6)"],
    ),
    (
        "notary_cluster_exceeds_validators.yaml",
        &[
            "consensus.cluster.faults = 2",
            "3·faults + 1 <= validators.count (4)",
            "(line 6)",
        ],
    ),
    (
        "xrpl_negative_overlap.yaml",
        &["consensus.unl.overlap = -0.5", ">= 0 and <= 1", "(line 6)"],
    ),
    (
        "miners_exceed_validators.yaml",
        &[
            "consensus.miners = 5",
            "<= validators.count (4)",
            "(line 6)",
        ],
    ),
    (
        "shares_length_mismatch.yaml",
        &[
            "consensus.hash_power.shares = [0.5, 0.5]",
            "3 (miners)",
            "(line 9)",
        ],
    ),
    (
        "block_smaller_than_transaction.yaml",
        &[
            "consensus.max_block_bytes = 2000",
            ">= 6000",
            "devices[0].tx_bytes",
            "(line 3)",
        ],
    ),
    (
        "outbound_exceeds_max_inbound.yaml",
        &[
            "network.topology.outbound = 8",
            "max_inbound (4)",
            "(line 5)",
        ],
    ),
    (
        "quantile_above_one.yaml",
        &["metrics.quantiles[1] = 1.5", "< 1", "(line 5)"],
    ),
    (
        "mempool_smaller_than_block.yaml",
        &[
            "consensus.max_mempool_bytes = 5000",
            "max_block_bytes (1000000)",
            "(line 3)",
        ],
    ),
    (
        "compact_failure_above_one.yaml",
        &["consensus.compact_failure_rate = 1.5", "<= 1", "(line 3)"],
    ),
    (
        "tx_relay_not_nakamoto.yaml",
        &[
            "network.tx_relay = announce",
            "fastest_path",
            "protocol: nakamoto or pos",
            "(line 4)",
        ],
    ),
    (
        "zero_window.yaml",
        &["metrics.window_s = 0", "> 0", "(line 5)"],
    ),
    (
        "zero_gateways_with_devices.yaml",
        &["gateways.count = 0", ">= 1", "devices[0]", "(line 4)"],
    ),
    (
        "crash_node_out_of_range.yaml",
        &[
            "faults.crashes[0].nodes[1] = 4",
            "< validators.count (4)",
            "(line 6)",
        ],
    ),
    (
        "partition_ends_before_start.yaml",
        &[
            "faults.partitions[0].to_s = 20",
            "> from_s (30)",
            "(line 8)",
        ],
    ),
    (
        "eclipse_attacker_also_eclipsed.yaml",
        &[
            "adversary.attackers[0] = 2",
            "must not be an eclipsed node",
            "(line 7)",
        ],
    ),
    (
        "eclipse_ends_before_start.yaml",
        &["adversary.until_s = 50", "> from_s (100)", "(line 9)"],
    ),
    (
        "eclipse_leaves_nobody_outside.yaml",
        &[
            "adversary.nodes = 3 ids with 1 attackers",
            "at least one validator outside the eclipse",
            "(line 6)",
        ],
    ),
    // The name becomes the output folder reports/<name>: one plain folder name only.
    (
        "name_parent_dir.yaml",
        &[
            "name = \"../../victim\"",
            "one plain folder name",
            "(line 2)",
        ],
    ),
    (
        "name_absolute_path.yaml",
        &["name = \"/tmp/victim\"", "no '/'", "(line 2)"],
    ),
    (
        "name_dot.yaml",
        &["name = \".\"", "must not start with '.'", "(line 2)"],
    ),
    (
        "name_empty.yaml",
        &["name = \"\"", "not be empty", "(line 1)"],
    ),
    (
        "name_with_slash.yaml",
        &["name = \"runs/first\"", "no '/'", "(line 1)"],
    ),
    (
        "name_with_nul.yaml",
        &["name = \"run\\0one\"", "no control characters", "(line 1)"],
    ),
    (
        "name_too_long.yaml",
        &["name = \"nnnn", "at most 200 bytes, found 256", "(line 2)"],
    ),
    (
        "two_defects.yaml",
        &[
            "consensus.confirmations = 0",
            "(line 6)",
            "metrics.quantiles[1] = 1.5",
            "(line 8)",
        ],
    ),
];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| {
            p.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn each_invalid_scenario_names_its_defect() {
    let dir = crate_dir().join("tests/invalid_scenarios");
    let mut failures = Vec::new();
    for (file, expected) in CASES {
        let path = dir.join(file);
        let message = match scenario::load(&path) {
            Ok(_) => {
                failures.push(format!("{file}: loaded without error"));
                continue;
            }
            Err(ScenarioError::Io { source, .. }) => {
                failures.push(format!("{file}: cannot be read: {source}"));
                continue;
            }
            Err(e) => e.to_string(),
        };
        if message.contains(['\n', '\r']) {
            failures.push(format!("{file}: message spans lines: {message:?}"));
        }
        // The message starts with the file so a batch of runs says which one is wrong.
        if !message.contains(file) {
            failures.push(format!("{file}: message does not name the file: {message}"));
        }
        for want in *expected {
            if !message.contains(want) {
                failures.push(format!("{file}: expected `{want}` in: {message}"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A file added to the directory without a row in the table would be tested by nothing.
#[test]
fn every_invalid_scenario_file_is_in_the_table() {
    let on_disk: Vec<String> = yaml_files(&crate_dir().join("tests/invalid_scenarios"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut in_table: Vec<String> = CASES.iter().map(|(f, _)| f.to_string()).collect();
    in_table.sort();
    assert_eq!(on_disk, in_table);
}

#[test]
fn both_defects_of_a_file_are_reported() {
    let path = crate_dir().join("tests/invalid_scenarios/two_defects.yaml");
    match scenario::load(&path) {
        Err(ScenarioError::Invalid { errors, .. }) => {
            let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
            assert_eq!(paths, ["consensus.confirmations", "metrics.quantiles[1]"]);
            assert_eq!(errors[0].value, "0");
            assert_eq!(errors[1].value, "1.5");
        }
        other => panic!("expected validation errors, got {other:?}"),
    }
}

#[test]
fn every_error_in_a_file_is_reported() {
    let text = "\
duration_s: -1
validators: { count: 0 }
consensus: { protocol: nakamoto, block_interval_s: 0, confirmations: 0 }
metrics: { window_s: .nan, quantiles: [] }
";
    let Err(ScenarioError::Invalid { errors, .. }) = scenario::parse(text, "inline") else {
        panic!("expected validation errors");
    };
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "duration_s",
            "validators.count",
            "consensus.block_interval_s",
            "consensus.confirmations",
            "metrics.window_s",
            "metrics.quantiles",
        ]
    );
    let lines: Vec<Option<usize>> = errors.iter().map(|e| e.line).collect();
    assert_eq!(
        lines,
        [Some(1), Some(2), Some(3), Some(3), Some(4), Some(4)]
    );
}

#[test]
fn minimal_scenario_is_valid() {
    let text = "\
duration_s: 60
validators: { count: 4 }
consensus: { protocol: nakamoto, block_interval_s: 10 }
";
    let s = scenario::parse(text, "inline").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.validators.count, 4);
    assert!(s.devices.is_empty());
}

#[test]
fn scenario_with_every_model_is_valid() {
    let text = "\
name: everything
seed: 7
duration_s: 86400
devices:
  - name: meters
    count: 1e6
    connectivity: { model: duty_cycle, period_s: 600, on_s: 60, phase_jitter_s: 600 }
    workload: { model: periodic, interval_s: 600, jitter_s: 30 }
  - name: trackers
    count: 1000
    tx_bytes: 400
    buffer_tx: 1
    overflow: drop_newest
    uplink: { latency_ms: 0, bandwidth_bps: 9600 }
    connectivity:
      model: on_off
      on: { dist: weibull, shape: 0.7, mean_s: 300 }
      off: { dist: constant, value_s: 900 }
    workload: { model: poisson, rate_per_s: 0.01 }
  - name: spares
    count: 0
    connectivity: { model: never }
    workload: { model: poisson, rate_per_s: 1 }
gateways: { count: 50, backhaul_bps: 1e8 }
validators: { count: 5 }
network:
  latency: { model: constant, one_way_ms: 0, bandwidth_bps: 1e9 }
  jitter: pareto
  topology: { model: random, outbound: 4, max_inbound: 4 }
  processing_ms: 0
consensus:
  protocol: nakamoto
  block_interval_s: 600
  max_block_bytes: 1400
  confirmations: 1
  miners: 3
  hash_power: { model: shares, shares: [0, 1, 2.5] }
  relay: full
  validation_s_per_mb: 0
metrics: { window_s: 0.0864, quantiles: [0.001, 0.5, 0.999] }
";
    scenario::parse(text, "inline").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn shipped_scenarios_are_valid() {
    let dir = crate_dir().join("scenarios");
    if !dir.is_dir() {
        return;
    }
    let failures: Vec<String> = yaml_files(&dir)
        .iter()
        .filter_map(|path| scenario::load(path).err().map(|e| e.to_string()))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// 80,000 levels of nesting once took 45 s to reject (the YAML parser's time grows with the
/// square of the depth); the depth is now bounded before parsing.
#[test]
fn deep_nesting_is_rejected_quickly_with_its_line() {
    let depth = 80_000;
    let flow = format!(
        "duration_s: 60\nvalidators: {{ count: 4 }}\nconsensus: {{ protocol: pbft }}\nmetrics: {{ quantiles: {}{} }}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let block: String = (0..1_000)
        .map(|d| format!("{}k{d}:\n", " ".repeat(d)))
        .collect();
    for (what, text) in [("flow", flow), ("block", block)] {
        let started = std::time::Instant::now();
        let message = scenario::parse(&text, "deep.yaml").unwrap_err().to_string();
        let took = started.elapsed().as_secs_f64();
        assert!(took < 1.0, "{what}: took {took:.1} s");
        assert!(
            message.contains("nesting") && message.contains("at most 64 levels"),
            "{what}: {message}"
        );
        let line = if what == "flow" { "line 4" } else { "line 65" };
        assert!(message.contains(line), "{what}: {message}");
    }
}

/// A file over the size bound is refused without being read whole.
#[test]
fn oversized_file_is_refused() {
    let dir = std::env::temp_dir().join(format!("unchained-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.yaml");
    let mut text = String::from("duration_s: 60\nvalidators: { count: 4 }\n");
    text.push_str(&"# padding\n".repeat(120_000));
    text.push_str("consensus: { protocol: pbft }\n");
    std::fs::write(&path, text).unwrap();
    let message = scenario::load(&path).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(message.contains("larger than 1048576 bytes"), "{message}");
}
