//! Connectivity models give the online fraction they promise, and buffering obeys its bound.

mod common;

fn online_fraction(connectivity: &str) -> f64 {
    let s = common::scenario(&format!(
        "
duration_s: 20000
devices:
  - name: fleet
    count: 3000
    connectivity: {connectivity}
    workload: {{ model: periodic, interval_s: 3600 }}
validators: {{ count: 4 }}
consensus: {{ protocol: nakamoto, block_interval_s: 600 }}
metrics: {{ window_s: 1000 }}
"
    ));
    let out = common::run(&s);
    // The per-window series must agree with the run-level figure.
    let mean_online: f64 =
        out.timeseries.iter().map(|r| r.online_devices).sum::<f64>() / out.timeseries.len() as f64;
    let f = common::metric(&out, "online_fraction");
    assert!((mean_online / 3000.0 - f).abs() < 1e-9);
    f
}

#[test]
fn duty_cycle_gives_its_fraction() {
    for (period, on) in [(100.0, 25.0), (600.0, 6.0), (3600.0, 1800.0)] {
        let f = online_fraction(&format!(
            "{{ model: duty_cycle, period_s: {period}, on_s: {on} }}"
        ));
        let d = on / period;
        assert!((f - d).abs() < 0.01 * d.max(0.1), "duty {d}: measured {f}");
    }
}

#[test]
fn renewal_processes_give_their_stationary_fraction() {
    let exp = online_fraction(
        "{ model: on_off, on: { dist: exponential, mean_s: 100 }, off: { dist: exponential, mean_s: 300 } }",
    );
    assert!((exp - 0.25).abs() < 0.015, "exponential: {exp}");
    let weibull = online_fraction(
        "{ model: on_off, on: { dist: weibull, shape: 0.6, mean_s: 200 }, off: { dist: exponential, mean_s: 200 } }",
    );
    assert!((weibull - 0.5).abs() < 0.03, "weibull: {weibull}");
}

#[test]
fn always_on_and_never_are_exact() {
    assert_eq!(online_fraction("{ model: always_on }"), 1.0);
    assert_eq!(online_fraction("{ model: never }"), 0.0);
}
