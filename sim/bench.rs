//! Scale benchmarks run from the command line (`unchained bench …`): the figures a later
//! change is compared with.

use crate::scenario::{self, Scenario};

/// Issue-5 fleet: duty-cycled devices reporting every 10 minutes through one gateway per
/// 2,000 devices (forwarding once a second), to Nakamoto validators in the SimBlock 2019
/// regions.
pub fn fleet_scenario(devices: u64, validators: u64, duration_s: f64) -> Scenario {
    let gateways = (devices / 2000).max(1);
    scenario::parse(
        &format!(
            "name: fleet-{devices}
seed: 1
duration_s: {duration_s}
devices:
  - name: meters
    count: {devices}
    connectivity: {{ model: duty_cycle, period_s: 600, on_s: 30 }}
    workload: {{ model: periodic, interval_s: 600, jitter_s: 20 }}
    tx_bytes: 100
    buffer_tx: 4
gateways: {{ count: {gateways}, batch_interval_ms: 1000 }}
validators: {{ count: {validators} }}
consensus: {{ protocol: nakamoto, block_interval_s: 600, max_block_bytes: 1000000 }}
metrics: {{ window_s: 60 }}
"
        ),
        "bench fleet",
    )
    .expect("the benchmark scenario is valid")
}

/// Device events a simulator without lazy wakes would run for [`fleet_scenario`]: one per
/// reading created and one per connectivity change (on and off once per 600 s duty period).
/// Its difference with the device events actually run (wakes and gateway flushes) is what
/// lazy wakes save, net of the flushes batching adds.
pub fn fleet_naive_device_events(devices: u64, duration_s: f64, created: u64) -> f64 {
    created as f64 + devices as f64 * 2.0 * (duration_s / 600.0).ceil()
}

/// Peak resident memory of this process so far (`VmHWM`), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fleet_scenario_scales_gateways_with_devices() {
        let s = super::fleet_scenario(1_000_000, 1000, 3600.0);
        assert_eq!(s.devices[0].count, 1_000_000);
        assert_eq!(s.gateways.count, 500);
        assert!(super::peak_rss_bytes().is_some_and(|b| b > 0));
    }
}
