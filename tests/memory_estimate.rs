//! The memory estimate `run` checks before allocating must bound what the run then uses: every
//! example scenario (cut to 30 simulated seconds), `lorawan-meters.yaml` long enough for its
//! fleet steps to widen (2,400 s) and, shrunk, the cases it once missed by
//! 20× or more — 3·10⁷ gateways with 300 devices (48 MiB estimated, 1,068 MiB peak), PBFT
//! over 600,000 s (104 MiB estimated, 1,567 MiB peak) and Raft with 10⁶ devices and a crashed
//! leader (323 MiB estimated, 2.5 GB at 150 s). Each run is a child process, so its peak
//! resident memory (which `run` prints next to the estimate) is its own.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("unchained-mem-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// `(peak, estimate)` in MiB of `unchained run` on `text`.
fn measure(dir: &Path, name: &str, text: &str) -> (f64, f64) {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_unchained"))
        .args(["run", "--quiet", "--force", "--out"])
        .arg(dir.join(name))
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name}: {err}");
    let number_after = |key: &str| -> f64 {
        let at = err
            .find(key)
            .unwrap_or_else(|| panic!("{name}: no `{key}` in {err}"));
        let digits: String = err[at + key.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        digits.parse().unwrap()
    };
    (number_after("peak memory "), number_after("(estimated "))
}

#[test]
fn the_estimate_bounds_the_measured_peak() {
    let dir = temp("bound");
    let mut cases: Vec<(String, String)> = Vec::new();
    cases.extend(common::examples(30));
    // A sparse radio fleet's steps widen to a 1,024 s span of readings only after 1,023 s;
    // at 2,400 s the hand-over of such a step is in the peak (88 MiB estimated, 109 MiB
    // peak before it was counted).
    cases.extend(
        common::examples(2400)
            .into_iter()
            .filter(|(name, _)| name == "lorawan-meters")
            .map(|(name, text)| (format!("{name}-2400s"), text)),
    );
    // A notary whose rows go to a file as they close still climbs as its event queue fills:
    // 77–78 MiB peak here, which counting from the start only the 64 bytes a transaction it
    // grows after 2,400 s estimated at 69 MiB.
    cases.extend(
        common::examples(4800)
            .into_iter()
            .filter(|(name, _)| name == "notary-trackers")
            .map(|(name, text)| (format!("{name}-4800s"), text)),
    );
    cases.push((
        "many-gateways".into(),
        "duration_s: 60\ndevices: [{ count: 300, workload: { model: periodic, interval_s: 60 } }]\n\
         gateways: { count: 3000000 }\nvalidators: { count: 10 }\n\
         consensus: { protocol: nakamoto, block_interval_s: 10 }\n"
            .into(),
    ));
    // Memory that grows with time: every transaction PBFT ever ordered stays on record.
    cases.push((
        "pbft-long".into(),
        "duration_s: 1200\ndevices: [{ count: 20000, workload: { model: periodic, interval_s: 60 } }]\n\
         gateways: { count: 50 }\nvalidators: { count: 7 }\n\
         network: { topology: { model: full_mesh } }\n\
         consensus: { protocol: pbft }\n"
            .into(),
    ));
    // Raft overloaded at 16,700 tx/s with its leader (orderer 2 for this seed) crashed.
    cases.push((
        "raft-crashed-leader".into(),
        "duration_s: 20\ndevices: [{ count: 100000, workload: { model: periodic, interval_s: 6, jitter_s: 1 } }]\n\
         gateways: { count: 50 }\nvalidators: { count: 7 }\n\
         network: { topology: { model: full_mesh } }\n\
         consensus: { protocol: raft, orderers: 3 }\n\
         faults: { crashes: [{ nodes: [2], at_s: 5 }] }\n"
            .into(),
    ));
    let mut failures = Vec::new();
    for (name, text) in &cases {
        let (peak, estimate) = measure(&dir, name, text);
        eprintln!("{name}: peak {peak:.0} MiB, estimate {estimate:.0} MiB");
        if estimate < peak {
            failures.push(format!(
                "{name}: peak {peak} MiB above the estimate {estimate} MiB"
            ));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Privacy observers keep state per device they track (a sample above 250,000 devices):
/// eight observers over 250,000 devices rotating keys on every reading hold several times
/// what the fleet itself takes, which an estimate without them misses.
#[test]
fn the_estimate_bounds_what_privacy_observers_keep() {
    let dir = temp("privacy");
    let observers: String = (0..8)
        .map(|v| format!("  - {{ kind: validator, node: {v} }}\n"))
        .collect();
    let text = format!(
        "duration_s: 120\ndevices:\n  - count: 250000\n    workload: {{ model: periodic, interval_s: 20 }}\n    \
         identity: {{ rotate_every_tx: 1 }}\ngateways: {{ count: 50 }}\nvalidators: {{ count: 8 }}\n\
         consensus: {{ protocol: nakamoto, block_interval_s: 10 }}\nobservers:\n{observers}"
    );
    let (peak, estimate) = measure(&dir, "observers", &text);
    eprintln!("observers: peak {peak:.0} MiB, estimate {estimate:.0} MiB");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        estimate >= peak,
        "peak {peak} MiB above the estimate {estimate} MiB"
    );
}

/// Transactions relayed as messages (`network.tx_relay: announce`) keep one 4-byte arrival per
/// validator for each batch not yet settled, and its record (128 bytes): with one transaction
/// per upload and nothing settling within the run (1,000 confirmations of 600 s blocks), every
/// one of the 4,000 batches is kept to the end, so the estimate grows by 4,000 × (4 × n + 128)
/// bytes over the fastest-path model's, plus the upload links the relay uses (1,024 bytes a
/// validator). Proof of stake's transactions wait up to three epochs for finality, so its
/// batches are three epochs' uploads. Fails if the arrivals are not counted, or counted per
/// validator once instead of per batch.
#[test]
fn the_estimate_counts_the_arrivals_relayed_transactions_keep() {
    let text = |n: u32, relay: &str, consensus: &str| {
        format!(
            "duration_s: 600\ndevices: [{{ count: 400, workload: {{ model: periodic, interval_s: 60 }} }}]\n\
             gateways: {{ count: 20 }}\nvalidators: {{ count: {n} }}\nnetwork: {{ tx_relay: {relay} }}\n\
             consensus: {consensus}\n"
        )
    };
    let growth = |n: u32, consensus: &str| {
        let est = |relay| unchained::world::estimate(&common::scenario(&text(n, relay, consensus)));
        let (fast, relayed) = (est("fastest_path"), est("announce"));
        assert_eq!(relayed.devices, fast.devices);
        assert_eq!(relayed.other, fast.other);
        relayed.transactions - fast.transactions + relayed.validators - fast.validators
    };
    let close = |got: f64, want: f64| (got - want).abs() <= 1e-6 * want;
    let nakamoto = "{ protocol: nakamoto, block_interval_s: 600, confirmations: 1000 }";
    for n in [100u32, 1_000, 4_000] {
        let n_f = f64::from(n);
        let want = 4_000.0 * (4.0 * n_f + 128.0) + 1_024.0 * n_f;
        let got = growth(n, nakamoto);
        assert!(
            close(got, want),
            "{n} validators: grew by {got}, not {want}"
        );
    }
    // 12 s slots, 2 per epoch: three epochs are 72 s of uploads, 480 batches.
    let pos = "{ protocol: pos, slot_s: 12, slots_per_epoch: 2 }";
    let want = 480.0 * (4.0 * 100.0 + 128.0) + 1_024.0 * 100.0;
    let got = growth(100, pos);
    assert!(close(got, want), "pos: grew by {got}, not {want}");
}
