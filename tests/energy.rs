//! Device energy and battery life inside full runs: the projection follows the energy model
//! when the reporting interval or the spreading factor changes, and does not depend on the
//! thread count.

mod common;

use unchained::metrics::RunOutput;

/// `count` meters at a fixed SF, one 10-byte reading every `interval_s` sent at once, a
/// 2400 mAh battery at 3.3 V, no self-discharge; one hour.
fn meters(sf: u32, interval_s: u32, count: u32, gateways: u32) -> String {
    format!(
        "
seed: 11
duration_s: 3600
devices:
  - name: meters
    count: {count}
    workload: {{ model: periodic, interval_s: {interval_s} }}
    tx_bytes: 10
    radio: {{ model: lorawan, sf: {sf} }}
    energy: {{ voltage_v: 3.3 }}
    battery: {{ capacity_mah: 2400 }}
gateways: {{ count: {gateways} }}
area: {{ shape: disc, size_m: 2000, gateways: grid }}
validators: {{ count: 4 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 1 }}
metrics: {{ window_s: 60 }}
"
    )
}

fn run(text: &str) -> RunOutput {
    common::run(&common::scenario(text))
}

/// Casals et al.'s currents (mA) and fixed durations (ms), written out here: the charge of
/// one class A transmission above the 45 µA of sleep, with both receive windows empty.
fn cycle_excess_uc(toa_ms: f64, rx1_ms: f64) -> f64 {
    cycle_excess_uc_at(83.0, toa_ms, rx1_ms)
}

/// `cycle_excess_uc` with a TX current of `tx_ma`.
fn cycle_excess_uc_at(tx_ma: f64, toa_ms: f64, rx1_ms: f64) -> f64 {
    let s = 0.045;
    let rx2_ms = 4128.0 / 125.0; // (2^12 + 32) / 125 kHz at EU868 DR0
    (22.1 - s) * 168.2
        + (13.3 - s) * 83.8
        + (tx_ma - s) * toa_ms
        + (27.0 - s) * 983.3
        + (38.1 - s) * rx1_ms
        + (27.1 - s) * (1000.0 - rx1_ms)
        + (35.0 - s) * rx2_ms
        + (13.2 - s) * 147.4
        + (21.0 - s) * 268.0
        + (13.3 - s) * 38.6
}

/// Years a 2400 mAh battery lasts for a device sending `frames` such transmissions an hour.
fn expected_years(frames: f64, toa_ms: f64, rx1_ms: f64) -> f64 {
    let hour_uc = 0.045 * 3_600_000.0 + frames * cycle_excess_uc(toa_ms, rx1_ms);
    let ma = hour_uc / 3_600_000.0; // mean current, mA
    2400.0 / ma / (365.25 * 24.0)
}

// Time on air of 23 PHY bytes (10 + 13), worked from the SX1276 formula: SF7 has 48
// payload symbols after 12.25 preamble symbols of 1.024 ms; SF9 has 38 after 12.25 of
// 4.096 ms. RX1 stays open 12 symbols of the uplink's data rate.
const SF7_TOA_MS: f64 = 60.25 * 1.024;
const SF9_TOA_MS: f64 = 50.25 * 4.096;
const SF7_RX1_MS: f64 = 12.0 * 1.024;
const SF9_RX1_MS: f64 = 12.0 * 4.096;

fn p50(out: &RunOutput) -> f64 {
    common::metric(out, "battery_life_p50_years")
}

fn frames_per_device(out: &RunOutput) -> f64 {
    let frames: u64 = out.radio.iter().map(|r| r.frames).sum();
    frames as f64 / out.energy.rows[0].devices as f64
}

#[test]
fn battery_life_falls_with_the_reporting_interval_by_the_model_ratio() {
    let slow = run(&meters(7, 600, 50, 1));
    let fast = run(&meters(7, 300, 50, 1));
    // Every device sends every reading of the hour: 6 and 12 frames.
    assert_eq!(frames_per_device(&slow), 6.0);
    assert_eq!(frames_per_device(&fast), 12.0);
    let want_slow = expected_years(6.0, SF7_TOA_MS, SF7_RX1_MS);
    let want_fast = expected_years(12.0, SF7_TOA_MS, SF7_RX1_MS);
    let (got_slow, got_fast) = (p50(&slow), p50(&fast));
    assert!(
        (got_slow / want_slow - 1.0).abs() < 1e-6,
        "{got_slow} vs {want_slow}"
    );
    assert!(
        (got_fast / want_fast - 1.0).abs() < 1e-6,
        "{got_fast} vs {want_fast}"
    );
    assert!(got_fast < got_slow);
    let ratio = got_fast / got_slow;
    assert!(
        (ratio / (want_fast / want_slow) - 1.0).abs() < 1e-6,
        "ratio {ratio}"
    );
}

#[test]
fn battery_life_falls_with_the_spreading_factor_by_the_model_ratio() {
    let sf7 = run(&meters(7, 300, 50, 1));
    let sf9 = run(&meters(9, 300, 50, 1));
    assert_eq!(frames_per_device(&sf9), 12.0);
    let want7 = expected_years(12.0, SF7_TOA_MS, SF7_RX1_MS);
    let want9 = expected_years(12.0, SF9_TOA_MS, SF9_RX1_MS);
    let ratio = p50(&sf9) / p50(&sf7);
    assert!(ratio < 1.0);
    assert!(
        (ratio / (want9 / want7) - 1.0).abs() < 1e-6,
        "ratio {ratio} vs {}",
        want9 / want7
    );
    // The share of TX in the energy grows with the SF.
    let tx_share = |o: &RunOutput| {
        o.energy
            .states
            .iter()
            .find(|r| r.state == "tx")
            .unwrap()
            .share
    };
    assert!(tx_share(&sf9) > 2.0 * tx_share(&sf7));
}

/// The TX current follows the output power by the SX1272 datasheet's supply currents
/// (+7 dBm on RFIO 18 mA, +20 dBm on PA_BOOST 125 mA, Casals et al.'s 83 mA at 14 dBm in the
/// +17 dBm class of 90 mA): the same airtime costs 125/18 times the TX energy at 20 dBm, the
/// energy per reading grows by the hand sum's difference, and battery life follows it.
#[test]
fn energy_per_reading_rises_with_tx_power_by_the_datasheet_ratio() {
    let at = |dbm: u32| {
        let text =
            meters(7, 300, 50, 1).replace("sf: 7 }", &format!("sf: 7, tx_power_dbm: {dbm} }}"));
        run(&text)
    };
    let (low, high) = (at(7), at(20));
    let tx = |o: &RunOutput| {
        let r = o.energy.states.iter().find(|r| r.state == "tx").unwrap();
        (r.time_s, r.energy_j)
    };
    let ((t_low, e_low), (t_high, e_high)) = (tx(&low), tx(&high));
    assert_eq!(t_low, t_high);
    assert!(
        (e_high / e_low / (125.0 / 18.0) - 1.0).abs() < 1e-6,
        "{e_high} / {e_low}"
    );
    let (ma_low, ma_high) = (83.0 * 18.0 / 90.0, 83.0 * 125.0 / 90.0);
    let per_reading = |o: &RunOutput| o.energy.rows[0].energy_per_reading_mj;
    // One frame per reading: the difference is (ΔI × airtime) × 3.3 V, in mJ.
    let want = (ma_high - ma_low) * SF7_TOA_MS * 3.3 * 1e-3;
    let got = per_reading(&high) - per_reading(&low);
    assert!((got / want - 1.0).abs() < 1e-6, "{got} mJ vs {want} mJ");
    let years = |ma: f64| {
        let hour_uc = 0.045 * 3_600_000.0 + 12.0 * cycle_excess_uc_at(ma, SF7_TOA_MS, SF7_RX1_MS);
        2400.0 / (hour_uc / 3_600_000.0) / (365.25 * 24.0)
    };
    for (o, ma) in [(&low, ma_low), (&high, ma_high)] {
        let (got, want) = (p50(o), years(ma));
        assert!((got / want - 1.0).abs() < 1e-6, "{got} vs {want} years");
    }
    assert!(p50(&high) < p50(&low));
}

#[test]
fn energy_outputs_are_identical_at_1_2_and_8_threads() {
    // 12 gateways make 12 fleet shards; jittered readings at ADR spreading factors.
    let text = meters(7, 120, 3000, 12)
        .replace("sf: 7", "sf: adr")
        .replace("interval_s: 120 }", "interval_s: 120, jitter_s: 30 }")
        .replace("size_m: 2000", "size_m: 9000");
    let at = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let out = pool.install(|| run(&text));
        common::output_files(&out, &format!("energy-{threads}"))
    };
    let (a, b, c) = (at(1), at(2), at(8));
    assert!(
        a.contains_key("battery_life.svg"),
        "the battery chart is written"
    );
    for name in [
        "energy.csv",
        "energy_states.parquet",
        "summary.csv",
        "battery_life.svg",
    ] {
        assert!(a[name] == b[name], "{name} differs between 1 and 2 threads");
        assert!(a[name] == c[name], "{name} differs between 1 and 8 threads");
    }
    let energy = String::from_utf8(a["energy.csv"].clone()).unwrap();
    assert!(energy.lines().count() == 2, "{energy}");
}

/// NB-IoT trackers with PSM: every state's energy in the `energy_states` table is its time
/// × the power of TR 45.820 written here (543 mW TX, 90 mW receiving, 3 mW light sleep,
/// 0.015 mW PSM; waiting and connection setup at the receive level, connected-mode DRX at
/// light sleep), the times are the radio's own accounting, and the group's total is their
/// sum.
#[test]
fn cellular_energy_is_state_time_times_tr_45_820_power() {
    let out = run("
seed: 3
duration_s: 900
devices:
  - name: trackers
    count: 200
    workload: { model: periodic, interval_s: 300, jitter_s: 20 }
    tx_bytes: 100
    radio: { model: nbiot, psm: { t3324_s: 20, t3412_s: 3600 } }
    battery: { capacity_wh: 5 }
gateways: { count: 2, kind: cell }
validators: { count: 4 }
consensus: { protocol: raft }
metrics: { window_s: 60 }
");
    let mw = |state: &str| match state {
        "tx" => 543.0,
        "rx" | "waiting" | "connecting" => 90.0,
        "connected" | "light_sleep" => 3.0,
        "sleep" => 0.015,
        other => panic!("unexpected state {other}"),
    };
    let mut sum = 0.0;
    for r in &out.energy.states {
        let want = mw(&r.state) * 1e-3 * r.time_s;
        assert!(
            (r.energy_j - want).abs() <= 1e-6 * want.max(1.0),
            "{}: {} J vs {want} J",
            r.state,
            r.energy_j
        );
        sum += r.energy_j;
    }
    let time = |state: &str| {
        out.energy
            .states
            .iter()
            .find(|r| r.state == state)
            .unwrap()
            .time_s
    };
    let per_device = |m: &str| common::metric(&out, m) * 200.0;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.max(1.0);
    // The radio's "connected" time holds connection setup, sending and lingering.
    let connected = time("connecting") + time("tx") + time("connected");
    assert!(close(
        connected,
        per_device("cellular_connected_s_per_device")
    ));
    assert!(close(
        time("light_sleep"),
        per_device("cellular_idle_s_per_device")
    ));
    assert!(close(
        time("sleep"),
        per_device("cellular_psm_s_per_device")
    ));
    let row = &out.energy.rows[0];
    assert!((row.energy_j - sum).abs() < 1e-9 * sum);
    assert_eq!(row.readings, 600);
    // 5 Wh over a quarter of an hour's energy scaled to a year.
    assert!(
        row.battery_life_p50_years > 0.0 && row.battery_life_p5_years <= row.battery_life_p95_years
    );
}
