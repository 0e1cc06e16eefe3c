//! What a scenario will need in memory, estimated before anything is allocated, so a run that
//! cannot fit is refused up front instead of failing hours in.

mod families;
mod fleet;

use crate::scenario::{Consensus, Scenario, Workload};
use families::kept_for_created;
use fleet::{PER_DEVICE, PER_GATEWAY, PER_STEP_READING, step_width_s};

/// Bytes per transaction waiting at validators: pool slot, arrival-order entry, block entry.
/// The slot is 32 bytes (`ledger::pool`: both times in 48 bits; 36 with them in two words
/// each, 40, and 64 before it was packed), and the arrival order keeps runs of consecutive
/// slots (`ledger/order.rs`: about nothing a transaction in a pool that grows, 12 bytes in
/// one that settles as fast as it fills). 1,000,000 LoRaWAN meters (`bench fleet --lorawan
/// --devices 1e6 --validators 100 --one`, 6,000,089 readings nearly all waiting at the end)
/// measured 192 bytes a device of pool, 32 a reading. 72 are still counted for the slot:
/// they were kept when the radio fleets' estimates fell short of their peaks
/// (`lorawan-meters.yaml`: 88 MiB estimated, 104–111 MiB peak, release build), a gap that
/// was the fleet step's hand-over, now counted apart ([`PER_STEP_READING`]).
const PER_PENDING_TX: f64 = 72.0 + 8.0 + 12.0;
/// Two ChaCha streams, node state, peers and region per validator.
const PER_VALIDATOR: f64 = 2.0 * 320.0 + 64.0 + 16.0 * 8.0;
/// Announce/request relay per validator: upload link, relay flags, high-bandwidth peers,
/// blocks being fetched and the requests and transfers in flight. SimBlock's Bitcoin
/// scenario at 10,000 nodes peaked up to 7 MiB above the estimate without this term (71 vs
/// 64 MiB over 3 seeds, debug build): 734 bytes a node, rounded up.
const PER_VALIDATOR_ANNOUNCE: f64 = 1024.0;
/// Transactions relayed as messages (`network.tx_relay: announce`, `consensus/tx_relay.rs`):
/// each batch not yet settled keeps one 4-byte arrival per validator (counted apart) and its
/// record (48 bytes, up to twice that in its queue's room grown by doubling), the allocation
/// of its arrivals and the batch of each pool slot: 128 bytes, rounded up. Nakamoto with
/// 4,000 transactions, one per upload and none settling (600 s, 1,000 confirmations), peaked
/// 15.9 MiB above the same run under `fastest_path` on 1,000 validators (73,384 against
/// 57,088 KiB, dev profile) and 28.4 MiB above on 2,000 (86,492 against 57,436 KiB): 4,172
/// and 7,438 bytes per batch, where this term and the upload links count 4,384 and 8,640,
/// putting the runs at 74 and 92 MiB against peaks of 72 and 85 (`tests/memory_estimate.rs`
/// checks the closed form).
const PER_RELAY_BATCH: f64 = 128.0;
/// Program, libraries and output tables: a run of 4 validators and no devices peaks at 46 MiB
/// (debug build), small example runs at up to 50 MiB.
const BASE: f64 = 56.0 * 1024.0 * 1024.0;

/// Bytes per device an observer tracks (`observers:`): its record (newest key and its last
/// use, 16 bytes, and its anonymity tally, 12, aligned to 32: `sim/privacy/mod.rs`) and its
/// count in the open anonymity window's list (8 bytes, doubled for growth by doubling):
/// 32 + 2 × 8 = 48.
const PER_OBSERVED_DEVICE: f64 = 48.0;
/// Bytes per tracked device for the keys in use, held when some key can be used twice
/// (`sim/privacy/keys.rs`: three places a device, in chunks of 256 devices allocated whole
/// when one of them is first seen, so a fleet seen whole holds them all). A place holds what
/// both attackers keep of a key (a tag, first and last use, uses, and the Bayes attacker's
/// residues and where its candidate sits: 61 bytes) in one cache line, 3 × 64 = 192. Spilled
/// keys (one whose place another key holds) are counted per key below.
const PER_OBSERVED_DEVICE_KEYS: f64 = 3.0 * 64.0;
/// Bytes per key an observer holds, for each of its two attackers. The heuristic keeps a key's
/// first and last use in its pool's map until it has been unused for three of its periods, and
/// its entry as a candidate successor for five (`sim/privacy/linker.rs`); with the period the
/// larger of the device's mean gap and the observer's window, a device holds the keys it used
/// in the last five such periods — none when every group rotates on every transaction (no key
/// can be linked). 64 bytes a key: 8 observers of 250,000 devices rotating
/// every reading (every 20 s, window 60 s) measured 700 bytes per device and observer with
/// the heuristic alone, which 128 + 64 × 16 bounded when the device term was 128
/// (`tests/memory_estimate.rs`).
const PER_OBSERVED_KEY: f64 = 64.0;
/// Bytes per key the Bayes attacker holds (`sim/privacy/bayes.rs`, periodic groups): its entry
/// as a candidate (64 bytes, up to six periods, doubled for growth by doubling) and, for a
/// device's fourth key in use, its statistics in the spill map; ten periods' keys are
/// counted. 128 bytes a key: the case above
/// (period 20 s) measured 2,372 MiB peak with both attackers, about 1,100 bytes per device and
/// observer, which 48 + 128 × 11 = 1,456 bounds (no flat key arrays there: no key is used
/// twice).
const PER_BAYES_KEY: f64 = 128.0;
/// Bytes per radio device waiting out a privacy delay (`mitigation.delay`): one entry of its
/// shard's map of delays, doubled as above.
const PER_DELAYED_DEVICE: f64 = 32.0;

/// Where a run's closed `blocks` rows are while it runs, which decides what the notary keeps
/// per transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// In memory to the end: [`crate::world::run`].
    Held,
    /// Written to a file as they close: `unchained run` and sweep runs
    /// ([`crate::world::run_rows_to`] with a folder).
    Spilled,
}

/// The transactions a device group creates per second on average (`count` × its workload's
/// rate), before any is lost to connectivity or buffers.
pub fn offered_tx_per_s(g: &crate::scenario::DeviceGroup) -> f64 {
    crate::workload::offered_tx_per_s(g)
}

/// Estimated peak resident memory of a run as `unchained run` and sweeps run it (closed
/// `blocks` rows written out as they go), in bytes, with its main terms.
pub fn estimate(s: &Scenario) -> Estimate {
    estimate_rows(s, Rows::Spilled)
}

/// [`estimate`] of a run whose closed `blocks` rows are where `rows` says.
pub fn estimate_rows(s: &Scenario, rows: Rows) -> Estimate {
    let devices: f64 = s.devices.iter().map(|g| g.count as f64).sum();
    let validators = s.validators.count as f64;
    let offered_tx_per_s: f64 = s.devices.iter().map(offered_tx_per_s).sum();
    let avg_tx_bytes = if devices > 0.0 {
        s.devices
            .iter()
            .map(|g| g.count as f64 * g.wire_bytes() as f64)
            .sum::<f64>()
            / devices
    } else {
        250.0
    };
    let (capacity_tx_per_s, settle_s, blocks, mempool_tx) = match &s.consensus {
        Consensus::Nakamoto(p) => (
            p.max_block_bytes as f64 / avg_tx_bytes / p.block_interval_s,
            p.confirmations as f64 * p.block_interval_s,
            s.duration_s / p.block_interval_s,
            p.max_mempool_bytes as f64 / avg_tx_bytes,
        ),
        // The other families decide within seconds and keep no unbounded backlog in this
        // model: only the work in flight (about a minute of load) and one decision a second.
        _ => (
            offered_tx_per_s,
            60.0,
            s.duration_s,
            offered_tx_per_s * 60.0,
        ),
    };
    // Waiting transactions: those within the settlement horizon, plus what the chain cannot
    // carry, which accumulates until the mempool limit drops the excess.
    let backlog = ((offered_tx_per_s - capacity_tx_per_s).max(0.0) * s.duration_s).min(mempool_tx);
    let in_flight = offered_tx_per_s * settle_s.min(s.duration_s) * 2.0;
    // A chain holds at most its mempool and the blocks not yet settled: what an overloaded
    // chain cannot take is dropped, not kept.
    let held = match &s.consensus {
        Consensus::Nakamoto(_) => mempool_tx + capacity_tx_per_s * settle_s * 2.0,
        _ => f64::INFINITY,
    };
    let pending_tx = (backlog + in_flight)
        .min(offered_tx_per_s * s.duration_s)
        .min(held);
    let origins = (s.gateways.count as f64).min(validators);
    // Latency (8 B), transfer per byte (8 B) and predecessor (4 B) per origin and validator.
    let reach = origins * validators * 20.0;
    let block_bytes = blocks * (96.0 + validators / 8.0);
    // Transactions relayed as messages use the same upload links and requests in flight.
    let tx_relay = s.network.tx_relay == crate::scenario::TxRelay::Announce;
    let announce = if s.network.relay_model == crate::scenario::RelayModel::Announce || tx_relay {
        validators * PER_VALIDATOR_ANNOUNCE
    } else {
        0.0
    };
    // One batch per upload, so at most one per waiting transaction (gateways forward each
    // upload on its own by default). Proof of stake's transactions wait for finality, up to
    // three epochs (`tests/pos.rs`), not the minute of work in flight counted above.
    let relay_batches = match &s.consensus {
        _ if !tx_relay => 0.0,
        Consensus::Pos(p) => {
            let finality_s = 3.0 * f64::from(p.slots_per_epoch) * p.slot_s;
            offered_tx_per_s * finality_s.min(s.duration_s)
        }
        _ => pending_tx,
    };
    let relay = relay_batches * (4.0 * validators + PER_RELAY_BATCH);
    let windows = s.duration_s / s.metrics.window_s * 8.0 * 8.0;
    let kept = kept_for_created(&s.consensus, rows, offered_tx_per_s, s.duration_s);
    let radio = fleet::radio(s);
    // Every radio device may be in its delay at once.
    let delayed: f64 = s
        .devices
        .iter()
        .filter(|g| g.radio.is_some() && g.mitigation.is_some_and(|m| m.delay.is_some()))
        .map(|g| g.count as f64 * PER_DELAYED_DEVICE)
        .sum();
    // Each observer tracks every device, or a sample of TRACKED_DEVICES of a larger fleet.
    let sampled = (crate::privacy::TRACKED_DEVICES as f64 / devices.max(1.0)).min(1.0);
    // No key used twice: the heuristic keeps none.
    let keys_reused = s
        .devices
        .iter()
        .any(|g| g.identity.unwrap_or_default().rotate_every_tx != Some(1));
    // The keys' flat array covers every tracked device, whatever its group.
    let flat = if keys_reused {
        PER_OBSERVED_DEVICE_KEYS
    } else {
        0.0
    };
    let privacy: f64 = s
        .observers
        .iter()
        .map(|o| {
            let window = o.window_s();
            s.devices
                .iter()
                .map(|g| {
                    let n = g.count as f64;
                    let rate = crate::workload::offered_tx_per_s(g) / n.max(1.0);
                    let id = g.identity.unwrap_or_default();
                    let key_rate = match (id.rotate_every_tx, id.rotate_every_s) {
                        (Some(k), _) => rate / f64::from(k.max(1)),
                        (_, Some(t)) => 1.0 / t,
                        _ => 0.0,
                    };
                    let period = window.max(if rate > 0.0 { 1.0 / rate } else { 0.0 });
                    let heuristic = if keys_reused {
                        1.0 + key_rate * 5.0 * period
                    } else {
                        0.0
                    };
                    let bayes = match g.workload {
                        Workload::Periodic { interval_s, .. } => 1.0 + key_rate * 10.0 * interval_s,
                        _ => 0.0,
                    };
                    n * sampled
                        * (PER_OBSERVED_DEVICE
                            + flat
                            + heuristic * PER_OBSERVED_KEY
                            + bayes * PER_BAYES_KEY)
                })
                .sum::<f64>()
        })
        // From +0: an empty `sum` of floats is −0, which `validate` printed as "-0 MiB".
        .fold(0.0, |a, b| a + b);
    let step_readings: f64 = s
        .devices
        .iter()
        .filter(|g| g.radio.is_some())
        .map(crate::workload::offered_tx_per_s)
        .sum::<f64>()
        * step_width_s(s);
    Estimate {
        devices: devices * PER_DEVICE + radio + delayed,
        gateways: s.gateways.count as f64 * PER_GATEWAY,
        transactions: (pending_tx * PER_PENDING_TX).max(kept)
            + relay
            + step_readings * PER_STEP_READING,
        validators: validators * PER_VALIDATOR + reach + block_bytes + announce,
        privacy,
        other: BASE + windows,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub devices: f64,
    pub gateways: f64,
    /// Transactions waiting, or for the families that keep every one, all of them; with
    /// what relaying them as messages keeps per batch.
    pub transactions: f64,
    pub validators: f64,
    /// What privacy observers keep.
    pub privacy: f64,
    pub other: f64,
}

impl Estimate {
    pub fn total(&self) -> u64 {
        (self.devices
            + self.gateways
            + self.transactions
            + self.validators
            + self.privacy
            + self.other) as u64
    }
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mib = |b: f64| b / (1024.0 * 1024.0);
        write!(
            f,
            "{:.0} MiB (devices {:.0} MiB, gateways {:.0} MiB, transactions {:.0} MiB, \
             validators {:.0} MiB, privacy {:.0} MiB, other {:.0} MiB)",
            mib(self.total() as f64),
            mib(self.devices),
            mib(self.gateways),
            mib(self.transactions),
            mib(self.validators),
            mib(self.privacy),
            mib(self.other)
        )
    }
}

/// Memory the system can give a new process now (`MemAvailable`), if it can be read.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(devices: u64, interval: f64) -> Scenario {
        crate::scenario::parse(
            &format!(
                "duration_s: 3600
devices: [{{ count: {devices}, workload: {{ model: periodic, interval_s: {interval} }} }}]
validators: {{ count: 100 }}
consensus: {{ protocol: nakamoto, block_interval_s: 60, max_block_bytes: 4000000 }}"
            ),
            "test",
        )
        .unwrap()
    }

    #[test]
    fn grows_with_devices_and_with_an_overloaded_chain() {
        let small = estimate(&scenario(100_000, 600.0));
        let large = estimate(&scenario(10_000_000, 6000.0));
        assert!((large.devices / small.devices - 100.0).abs() < 1e-9);
        // 100,000 devices every 600 s offer 167 tx/s, under the ~267 tx/s the chain carries:
        // no backlog. Ten times the rate overloads it and the backlog dominates.
        let overloaded = estimate(&scenario(1_000_000, 600.0));
        assert!(overloaded.transactions > 5.0 * small.transactions);
        assert!(small.total() < 200 * 1024 * 1024);
    }

    // The issue-5 fleet: 10⁸ duty-cycled devices overload a 1 MB / 600 s chain ten
    // thousand times over; with Nakamoto's default 300 MB mempool (the benchmark now sizes
    // it to the load) the limit bounds what is held, and the run measured 9.5 GiB.
    /// A notary whose rows go to a file as they close is counted 530 bytes a transaction over
    /// the first 2,400 s and 64 after, instead of 530 throughout; other families are counted
    /// the same either way.
    #[test]
    fn held_rows_are_counted_where_the_rows_are_held() {
        let notary = |duration_s: u32| {
            let text = format!(
                "duration_s: {duration_s}\n\
                 devices: [{{ count: 1200, workload: {{ model: periodic, interval_s: 60 }} }}]\n\
                 gateways: {{ count: 10 }}\nvalidators: {{ count: 4 }}\n\
                 consensus: {{ protocol: notary }}\n"
            );
            crate::scenario::parse(&text, "notary").unwrap()
        };
        let gap = |s: &Scenario| {
            estimate_rows(s, Rows::Held).transactions - estimate_rows(s, Rows::Spilled).transactions
        };
        // 20 transactions a second.
        assert_eq!(gap(&notary(2400)), 0.0);
        let long = notary(9600);
        assert!(
            (gap(&long) - 20.0 * 7200.0 * (530.0 - 64.0)).abs() < 1.0,
            "{}",
            gap(&long)
        );
        assert_eq!(
            estimate(&long).total(),
            estimate_rows(&long, Rows::Spilled).total()
        );
        let chain = scenario(100_000, 600.0);
        assert_eq!(gap(&chain), 0.0);
    }

    #[test]
    fn an_overloaded_chain_holds_only_its_mempool_and_unsettled_blocks() {
        let mut s = crate::bench::fleet_scenario(100_000_000, 1000, 3600.0);
        let Consensus::Nakamoto(n) = &mut s.consensus else {
            panic!("the fleet runs Nakamoto")
        };
        n.max_mempool_bytes = 300_000_000;
        let e = estimate(&s);
        let gib = e.total() as f64 / (1u64 << 30) as f64;
        assert!((9.5..=12.0).contains(&gib), "{e}");
        assert!(e.transactions < 0.1 * e.devices, "{e}");
    }
}
