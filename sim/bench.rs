//! Scale benchmarks run from the command line (`unchained bench …`): the figures a later
//! change is compared with.

use crate::consensus::quorum::Usage;
use crate::metrics::RunOutput;
use crate::scenario::{self, Scenario};
use crate::world;

/// Mempool limit for a fleet of `devices` sending a `tx_bytes` reading every `interval_s` for
/// `duration_s`: room for every reading the fleet can offer (one more per device than whole
/// intervals, for the phase and jitter), and never under Nakamoto's 300 MB default. A
/// benchmark of N devices measures the load N devices offer: with the default limit, ten
/// million LoRaWAN meters kept about 15 M of their 60 M readings and dropped the rest as
/// `mempool_full`, so memory and CPU were those of a quarter of the fleet.
pub fn fleet_mempool_bytes(devices: u64, tx_bytes: u64, interval_s: f64, duration_s: f64) -> u64 {
    let per_device = (duration_s / interval_s).floor() as u64 + 1;
    (devices * per_device * tx_bytes).max(300_000_000)
}

/// Issue-5 fleet: duty-cycled devices reporting every 10 minutes through one gateway per
/// 2,000 devices (forwarding once a second), to Nakamoto validators in the SimBlock 2019
/// regions.
pub fn fleet_scenario(devices: u64, validators: u64, duration_s: f64) -> Scenario {
    let gateways = (devices / 2000).max(1);
    let mempool = fleet_mempool_bytes(devices, 100, 600.0, duration_s);
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
consensus: {{ protocol: nakamoto, block_interval_s: 600, max_block_bytes: 1000000, max_mempool_bytes: {mempool} }}
metrics: {{ window_s: 60 }}
"
        ),
        "bench fleet",
    )
    .expect("the benchmark scenario is valid")
}

/// The Nakamoto chain a fleet benchmark's readings settle on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FleetChain {
    pub block_interval_s: f64,
    pub max_block_bytes: u64,
    pub confirmations: u32,
}

impl FleetChain {
    /// The LoRaWAN fleet's chain until the chain was sized to the load: ten-minute blocks of
    /// 1 MB (Nakamoto's default, after Bitcoin's limit) and six confirmations. Six blocks an
    /// hour carry 300,000 of the 20-byte readings that 10,000,000 meters send (60,000,000),
    /// so nearly every reading waits in the pool to the end of the run and the benchmark
    /// measures a backlog no planner would deploy. `bench fleet --lorawan
    /// --block-interval-s 600 --max-block-bytes 1000000 --confirmations 6` runs it again.
    pub const BACKLOG: FleetChain = FleetChain {
        block_interval_s: 600.0,
        max_block_bytes: 1_000_000,
        confirmations: 6,
    };

    /// A chain that carries the load, as a planner would deploy it and as the NB-IoT fleet's
    /// does: one-minute blocks, one confirmation, and blocks with room for twice the bytes
    /// `devices` offer in one block interval (a backlog from a slow block clears in the next),
    /// never under 1 MB.
    pub fn carrying(devices: u64, tx_bytes: u64, interval_s: f64) -> FleetChain {
        FleetChain::carrying_at(60.0, devices, tx_bytes, interval_s)
    }

    /// [`FleetChain::carrying`] with blocks every `block_interval_s`.
    pub fn carrying_at(
        block_interval_s: f64,
        devices: u64,
        tx_bytes: u64,
        interval_s: f64,
    ) -> FleetChain {
        let offered = devices as f64 * tx_bytes as f64 * block_interval_s / interval_s;
        FleetChain {
            block_interval_s,
            max_block_bytes: ((2.0 * offered).ceil() as u64).max(1_000_000),
            confirmations: 1,
        }
    }
}

/// Bytes of a LoRaWAN benchmark meter's reading.
pub const LORAWAN_FLEET_TX_BYTES: u64 = 20;
/// Seconds between a LoRaWAN benchmark meter's readings.
pub const LORAWAN_FLEET_INTERVAL_S: f64 = 600.0;

/// Issue-13 LoRaWAN fleet: always-on EU868 meters with ADR sending 20 bytes every 10 minutes,
/// one gateway per 2,000 devices on an even pattern over a disc sized for 80 devices per km²
/// (a gateway every 25 km², about 5 km apart), duty cycle and collisions on; their readings
/// settle on `chain`, by default one that carries them ([`FleetChain::carrying`]).
pub fn lorawan_fleet_scenario(
    devices: u64,
    validators: u64,
    duration_s: f64,
    chain: Option<FleetChain>,
) -> Scenario {
    let gateways = (devices / 2000).max(1);
    let radius_m = (devices as f64 / 80.0 / std::f64::consts::PI).sqrt() * 1000.0;
    let (tx_bytes, interval_s) = (LORAWAN_FLEET_TX_BYTES, LORAWAN_FLEET_INTERVAL_S);
    let mempool = fleet_mempool_bytes(devices, tx_bytes, interval_s, duration_s);
    let FleetChain {
        block_interval_s,
        max_block_bytes,
        confirmations,
    } = chain.unwrap_or_else(|| FleetChain::carrying(devices, tx_bytes, interval_s));
    scenario::parse(
        &format!(
            "name: lorawan-fleet-{devices}
seed: 1
duration_s: {duration_s}
devices:
  - name: meters
    count: {devices}
    workload: {{ model: periodic, interval_s: {interval_s}, jitter_s: 20 }}
    tx_bytes: {tx_bytes}
    buffer_tx: 4
    radio: {{ model: lorawan, region: eu868, sf: adr }}
gateways: {{ count: {gateways} }}
area: {{ shape: disc, size_m: {radius_m:.0}, gateways: grid }}
validators: {{ count: {validators} }}
consensus: {{ protocol: nakamoto, block_interval_s: {block_interval_s}, max_block_bytes: {max_block_bytes}, confirmations: {confirmations}, max_mempool_bytes: {mempool} }}
metrics: {{ window_s: 60 }}
"
        ),
        "bench fleet --lorawan",
    )
    .expect("the benchmark scenario is valid")
}

/// Issue-14 NB-IoT fleet: trackers with PSM (T3412 = 1 h, T3324 = 20 s) reporting every
/// 30 minutes through cells of 5,000 devices (at most 200 connections each), each settled
/// transaction sending a receipt with a Merkle proof back; Nakamoto with one-minute blocks and
/// one confirmation, blocks large enough that every reading settles within the hour.
pub fn nbiot_fleet_scenario(devices: u64, validators: u64, duration_s: f64) -> Scenario {
    let cells = (devices / 5000).max(1);
    scenario::parse(
        &format!(
            "name: nbiot-fleet-{devices}
seed: 1
duration_s: {duration_s}
devices:
  - name: trackers
    count: {devices}
    workload: {{ model: periodic, interval_s: 1800, jitter_s: 60 }}
    tx_bytes: 100
    buffer_tx: 4
    radio: {{ model: nbiot, psm: {{ t3324_s: 20, t3412_s: 3600 }} }}
    receipts: {{ size_bytes: 104, proof: merkle }}
gateways: {{ count: {cells}, kind: cell, max_connections: 200 }}
validators: {{ count: {validators} }}
consensus: {{ protocol: nakamoto, block_interval_s: 60, confirmations: 1, max_block_bytes: 100000000 }}
metrics: {{ window_s: 60 }}
"
        ),
        "bench fleet --nbiot",
    )
    .expect("the benchmark scenario is valid")
}

/// Issue-19 validators: `validators` BFT validators of `protocol` (pbft, hotstuff or
/// tendermint) in a full mesh over the SimBlock 2019 regions, ordering the readings of 20,000
/// duty-cycled meters that 50 gateways forward once a second, in batches of up to 500
/// transactions; the timeouts of the example scenarios (`scenarios/*-validators.yaml`).
pub fn validators_scenario(
    protocol: &str,
    validators: u64,
    duration_s: f64,
) -> Result<Scenario, String> {
    let consensus = match protocol {
        "pbft" => {
            "{ protocol: pbft, batch_max_tx: 500, batch_timeout_ms: 200, view_timeout_ms: 2000 }"
        }
        "hotstuff" => "{ protocol: hotstuff, batch_max_tx: 500, view_timeout_ms: 2000 }",
        "tendermint" => {
            "{ protocol: tendermint, batch_max_tx: 500, timeout_propose_ms: 3000, timeout_prevote_ms: 1000, timeout_precommit_ms: 1000, timeout_delta_ms: 500 }"
        }
        other => {
            return Err(format!(
                "bench validators: protocol '{other}': expected pbft, hotstuff or tendermint"
            ));
        }
    };
    scenario::parse(
        &format!(
            "name: validators-{protocol}-{validators}
seed: 1
duration_s: {duration_s}
devices:
  - name: meters
    count: 20000
    connectivity: {{ model: duty_cycle, period_s: 900, on_s: 60 }}
    workload: {{ model: periodic, interval_s: 900, jitter_s: 60 }}
gateways: {{ count: 50, batch_interval_ms: 1000 }}
validators: {{ count: {validators} }}
network:
  latency: {{ model: simblock2019 }}
  topology: {{ model: full_mesh }}
consensus: {consensus}
"
        ),
        "bench validators",
    )
    .map_err(|e| e.to_string())
}

/// Runs a scenario of a vote-counting BFT family and says what its vote bookkeeping held.
pub fn run_counting_votes(s: &Scenario) -> Result<(RunOutput, Usage), String> {
    use crate::consensus::{Protocol, hotstuff::HotStuff, pbft::Pbft, tendermint::Tendermint};
    fn go<P: Protocol>(s: &Scenario, p: P) -> Result<(RunOutput, Usage), String> {
        let (out, p, nodes) =
            world::run_with(s, p, &world::Progress::hidden()).map_err(|e| e.to_string())?;
        let usage = p.vote_usage(&nodes);
        Ok((out, usage))
    }
    let n = s.validators.count as u32;
    match &s.consensus {
        scenario::Consensus::Pbft(p) => go(s, Pbft::new(p, n)),
        scenario::Consensus::Hotstuff(p) => go(s, HotStuff::new(p, n)),
        scenario::Consensus::Tendermint(p) => go(s, Tendermint::new(p, n)),
        _ => Err("bench validators: PBFT, HotStuff or Tendermint only".into()),
    }
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

/// CPU time this process (all its threads) has used so far, in seconds: on a shared machine
/// the events per CPU second say what one core does when the wall clock cannot.
pub fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th
    // fields of the line, in clock ticks of 1/100 s (USER_HZ on Linux).
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lorawan_fleet_keeps_its_density() {
        let s = super::lorawan_fleet_scenario(1_000_000, 10, 600.0, None);
        assert_eq!(s.gateways.count, 500);
        let r = s.area.unwrap().size_m / 1000.0;
        let density = 1e6 / (std::f64::consts::PI * r * r);
        assert!((density - 80.0).abs() < 0.1, "{density}");
    }

    // Six readings of 20 bytes a device in the hour (issue 13: one every 10 minutes) must
    // all fit; Nakamoto's 300 MB default held only 15 M of the 60 M at ten million devices.
    #[test]
    fn fleets_pool_room_for_every_reading_they_offer() {
        let pool = |s: crate::scenario::Scenario| match s.consensus {
            crate::scenario::Consensus::Nakamoto(n) => n.max_mempool_bytes,
            _ => panic!("the fleets run Nakamoto"),
        };
        let lorawan = pool(super::lorawan_fleet_scenario(10_000_000, 10, 3600.0, None));
        assert!(lorawan >= 10_000_000 * 7 * 20, "{lorawan}");
        let plain = pool(super::fleet_scenario(1_000_000, 10, 3600.0));
        assert!(plain >= 1_000_000 * 7 * 100, "{plain}");
        let small = pool(super::lorawan_fleet_scenario(1000, 10, 3600.0, None));
        assert_eq!(small, 300_000_000, "the default where it never fills");
    }

    fn chain(s: crate::scenario::Scenario) -> (f64, u64, u32) {
        match s.consensus {
            crate::scenario::Consensus::Nakamoto(n) => {
                (n.block_interval_s, n.max_block_bytes, n.confirmations)
            }
            _ => panic!("the fleets run Nakamoto"),
        }
    }

    // Ten million meters offer 10^7 × 6 × 20 bytes = 1.2 GB in the hour: the default chain's
    // blocks must hold all of it, settling each reading within minutes (one confirmation).
    #[test]
    fn lorawan_fleet_chain_carries_every_reading() {
        let (interval, bytes, confirmations) =
            chain(super::lorawan_fleet_scenario(10_000_000, 10, 3600.0, None));
        assert_eq!((interval, confirmations), (60.0, 1));
        let offered_per_block = 10_000_000.0 * 20.0 * 60.0 / 600.0;
        assert!(bytes as f64 >= 1.5 * offered_per_block, "{bytes}");
        let (_, small, _) = chain(super::lorawan_fleet_scenario(1000, 10, 3600.0, None));
        assert_eq!(small, 1_000_000, "never under 1 MB");
    }

    // The chain of the figures taken before it carried the load stays reachable by flags.
    #[test]
    fn lorawan_fleet_backlog_chain_is_the_old_one() {
        let old = chain(super::lorawan_fleet_scenario(
            1_000_000,
            10,
            3600.0,
            Some(super::FleetChain::BACKLOG),
        ));
        assert_eq!(old, (600.0, 1_000_000, 6));
    }

    #[test]
    fn nbiot_fleet_has_cells_psm_and_receipts() {
        let s = super::nbiot_fleet_scenario(1_000_000, 10, 3600.0);
        assert_eq!(s.gateways.count, 200);
        assert!(s.devices[0].receipts.is_some());
    }

    #[test]
    fn fleet_scenario_scales_gateways_with_devices() {
        let s = super::fleet_scenario(1_000_000, 1000, 3600.0);
        assert_eq!(s.devices[0].count, 1_000_000);
        assert_eq!(s.gateways.count, 500);
        assert!(super::peak_rss_bytes().is_some_and(|b| b > 0));
        // Burn CPU until the process has used at least one clock tick: a fixed 30 ms of wall
        // time could pass with no tick on a loaded machine. Ten seconds of spinning without
        // one means the reading is broken.
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        while super::cpu_seconds() == Some(0.0) && spin.elapsed().as_secs() < 10 {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        assert!(super::cpu_seconds().is_some_and(|c| c > 0.0));
    }
}
