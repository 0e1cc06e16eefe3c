//! T13, T14, T16, T17, T19: the leader-based and federated protocols, measured from the
//! tables a user gets (`messages`, `blocks`, `summary`), on the scenarios of
//! `scenarios/validation/` with the validator count, delay and protocol set per check.

use std::path::Path;

use rayon::prelude::*;
use serde_yaml::Value;

use super::suite::{Suite, row, simulate};
use crate::engine::{Time, from_secs};
use crate::metrics::RunOutput;
use crate::scenario::{Consensus, Scenario};
use crate::world::{Progress, run_with};

const BFT: &str = "bft-constant-delay.yaml";

/// The T14 sizes: n = 3f + 1 and powers of two minus one, as the target lists them.
const T14_SIZES: [u32; 5] = [4, 7, 16, 31, 64];

pub fn consensus(suite: &mut Suite, dir: &Path, quick: bool) -> Result<(), String> {
    let base = std::fs::read_to_string(dir.join(BFT))
        .map_err(|e| format!("{}: {e}", dir.join(BFT).display()))?;
    pbft_normal_case(suite, &base)?;
    scaling(suite, &base)?;
    raft_commit(suite, &base)?;
    xrpl_timing(suite, &super::suite::load(dir, "xrpl-timing.yaml")?)?;
    gasper_timing(suite, dir, quick)?;
    Ok(())
}

/// The base BFT scenario with `n` validators (and as many gateways), one-way delay `d_ms`,
/// request rate per device and duration, and `consensus` as the consensus section.
fn bft(
    base: &str,
    n: u32,
    d_ms: f64,
    rate: f64,
    duration: f64,
    consensus: &str,
) -> Result<Scenario, String> {
    let consensus: Value = serde_yaml::from_str(consensus).map_err(|e| e.to_string())?;
    crate::sweep::with_overrides(
        base,
        &format!("{BFT} (n = {n}, {consensus:?})"),
        std::path::Path::new("."),
        &[
            ("validators.count", n.into()),
            ("gateways.count", n.into()),
            ("network.latency.one_way_ms", d_ms.into()),
            ("devices[0].workload.rate_per_s", rate.into()),
            ("duration_s", duration.into()),
            ("consensus", consensus),
        ],
    )
}

/// Messages of `name` in the run's `messages` table.
fn sent(out: &RunOutput, name: &str) -> u64 {
    out.messages
        .iter()
        .filter(|m| m.message == name)
        .map(|m| m.messages)
        .sum()
}

/// Decisions: the decided batches of the `blocks` table.
fn decisions(out: &RunOutput) -> Result<u64, String> {
    match out.blocks.len() as u64 {
        0 => Err(format!("{}: no decisions", out.scenario_name)),
        k => Ok(k),
    }
}

/// The largest time for a batch to be decided at every replica, in one-way delays.
fn decide_all_in_delays(out: &RunOutput, d_ms: f64) -> f64 {
    out.blocks
        .iter()
        .map(|b| b.propagation_100_s.unwrap_or(f64::INFINITY))
        .fold(0.0, f64::max)
        / (d_ms / 1e3)
}

/// T13: per decision, the primary's pre-prepare to n − 1 backups, (n − 1)² prepares and
/// n(n − 1) commits; commit at every replica three one-way delays after the pre-prepare. The
/// target's total 2n² − n + 1 adds the client's request and n replies, which this model does
/// not send (the origin replica observes its own commit).
fn pbft_normal_case(suite: &mut Suite, base: &str) -> Result<(), String> {
    let d = 100.0;
    let sizes = [4u32, 7, 10, 13];
    let outs: Vec<Result<RunOutput, String>> = sizes
        .par_iter()
        .map(|&n| {
            simulate(&bft(
                base,
                n,
                d,
                0.005,
                60.0,
                "{ protocol: pbft, batch_max_tx: 1, batch_timeout_ms: 1 }",
            )?)
        })
        .collect();
    for (&n, out) in sizes.iter().zip(outs) {
        let out = out?;
        let k = decisions(&out)? as f64;
        let m = f64::from(n);
        let per = |name| sent(&out, name) as f64 / k;
        let seeds = format!("{}, {} decisions", out.seed, k);
        for (phase, expected) in [
            ("pre_prepare", m - 1.0),
            ("prepare", (m - 1.0) * (m - 1.0)),
            ("commit", m * (m - 1.0)),
        ] {
            suite.rows.push(row(
                "T13",
                format!("n={n}: {phase} messages per decision"),
                "network run",
                expected,
                per(phase),
                0.0,
                seeds.clone(),
            ));
        }
        suite.rows.push(row(
            "T13",
            format!("n={n}: commit at every replica, one-way delays"),
            "network run",
            3.0,
            decide_all_in_delays(&out, d),
            1e-4,
            seeds,
        ));
    }
    Ok(())
}

/// T14: the log-log slope of messages per decision over n (2 for PBFT and Tendermint, whose
/// votes go all-to-all; 1 for HotStuff, whose votes go to the leader), Tendermint's exact
/// count 2(n − 1) + 2n(n − 1) per height, and Tendermint's commit three delays after the
/// proposal.
fn scaling(suite: &mut Suite, base: &str) -> Result<(), String> {
    let families = [
        (
            "pbft",
            "{ protocol: pbft, batch_max_tx: 1, batch_timeout_ms: 1 }",
            2.0,
        ),
        (
            "tendermint",
            "{ protocol: tendermint, batch_max_tx: 1 }",
            2.0,
        ),
        ("hotstuff", "{ protocol: hotstuff, batch_max_tx: 1 }", 1.0),
    ];
    let d = 20.0;
    let jobs: Vec<(usize, u32)> = (0..families.len())
        .flat_map(|f| T14_SIZES.iter().map(move |&n| (f, n)))
        .collect();
    let outs: Vec<Result<RunOutput, String>> = jobs
        .par_iter()
        .map(|&(f, n)| simulate(&bft(base, n, d, 0.01, 30.0, families[f].1)?))
        .collect();
    let mut outs = outs.into_iter();
    for (name, _, slope_expected) in families {
        let mut points = Vec::new();
        for n in T14_SIZES {
            let out = outs.next().expect("one run per job")?;
            let k = decisions(&out)? as f64;
            let total: u64 = out
                .messages
                .iter()
                .filter(|m| !m.modeled)
                .map(|m| m.messages)
                .sum();
            let per = total as f64 / k;
            points.push((f64::from(n), per));
            if name == "tendermint" {
                let m = f64::from(n);
                let seeds = format!("{}, {k} decisions", out.seed);
                suite.rows.push(row(
                    "T14",
                    format!("tendermint n={n}: messages per height"),
                    "network run",
                    2.0 * (m - 1.0) + 2.0 * m * (m - 1.0),
                    per,
                    0.0,
                    seeds.clone(),
                ));
                suite.rows.push(row(
                    "T14",
                    format!("tendermint n={n}: decided at every validator, one-way delays"),
                    "network run",
                    3.0,
                    decide_all_in_delays(&out, d),
                    1e-3,
                    seeds,
                ));
            }
        }
        let sizes: Vec<String> = T14_SIZES.iter().map(u32::to_string).collect();
        suite.rows.push(row(
            "T14",
            format!(
                "{name}: log-log slope of messages per decision, n in {{{}}}",
                sizes.join(", ")
            ),
            "network run",
            slope_expected,
            log_log_slope(&points),
            0.15,
            "5 (each size)".into(),
        ));
    }
    Ok(())
}

/// Least-squares slope of ln y against ln x.
fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let pts: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.ln(), y.ln())).collect();
    let k = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / k;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / k;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    sxy / sxx
}

/// T16: the leader commits an entry one round trip (2d) after appending it, with n − 1
/// AppendEntries and n − 1 acknowledgements per entry. Read from the protocol's own log,
/// because the `blocks` table times delivery to the peers, which follows the commit.
fn raft_commit(suite: &mut Suite, base: &str) -> Result<(), String> {
    let d_ms = 10.0;
    let d: Time = from_secs(d_ms / 1e3);
    for n in [3u32, 5, 7] {
        let s = bft(
            base,
            n,
            d_ms,
            0.01,
            120.0,
            &format!("{{ protocol: raft, orderers: {n}, endorsers: 0, max_message_count: 1 }}"),
        )?;
        let Consensus::Raft(p) = &s.consensus else {
            return Err("raft scenario without raft".into());
        };
        let raft = crate::consensus::raft::Raft::new(p, n).keep_all();
        let (_, raft, _) = run_with(&s, raft, &Progress::hidden()).map_err(|e| e.to_string())?;
        let entries = raft.blocks().len().saturating_sub(1);
        if entries == 0 {
            return Err(format!("raft n={n}: no entries"));
        }
        let worst = raft
            .blocks()
            .iter()
            .skip(1)
            .map(|b| {
                if b.committed_at == 0 {
                    f64::INFINITY
                } else {
                    (b.committed_at - b.appended_at) as f64 / d as f64
                }
            })
            .fold(0.0, f64::max);
        let seeds = format!("{}, {entries} entries", s.seed);
        // Transfer at 1e12 bit/s adds a few nanoseconds per message.
        suite.rows.push(row(
            "T16",
            format!("n={n}: leader commit after append, one-way delays (largest)"),
            "network run",
            2.0,
            worst,
            1e-4,
            seeds.clone(),
        ));
        let per = |c: u64| c as f64 / entries as f64;
        for (what, count) in [
            ("AppendEntries", raft.counts.append),
            ("acknowledgements", raft.counts.append_ack),
        ] {
            suite.rows.push(row(
                "T16",
                format!("n={n}: {what} per entry"),
                "network run",
                f64::from(n - 1),
                per(count),
                0.0,
                seeds.clone(),
            ));
        }
    }
    Ok(())
}

/// T17: mean ledger interval within the published 3.5–5 s.
fn xrpl_timing(suite: &mut Suite, s: &Scenario) -> Result<(), String> {
    let out = simulate(s)?;
    let interval = super::suite::metric(&out, "ledger_interval_mean_s")?;
    suite.rows.push(row(
        "T17",
        "ledger interval, fault-free 20 ms network, s (3.5–5)".into(),
        "network run",
        4.25,
        interval,
        0.75,
        out.seed.to_string(),
    ));
    Ok(())
}

/// T19: every checkpoint finalized exactly two epochs after its first slot; transactions
/// finalized after 2.5 epochs on average (uniform arrivals; derivation in `tests/pos.rs`).
fn gasper_timing(suite: &mut Suite, dir: &Path, quick: bool) -> Result<(), String> {
    let name = "gasper-timing.yaml";
    let path = dir.join(name);
    let base = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (slot_s, slots, duration) = if quick {
        (1.0, 4u32, 400.0)
    } else {
        (12.0, 32, 14_400.0)
    };
    let s = crate::sweep::with_overrides(
        &base,
        name,
        std::path::Path::new("."),
        &[
            ("consensus.slot_s", slot_s.into()),
            ("consensus.slots_per_epoch", slots.into()),
            ("duration_s", duration.into()),
            ("devices[0].workload.rate_per_s", (0.5 / slot_s).into()),
        ],
    )?;
    let out = simulate(&s)?;
    let epoch = slot_s * f64::from(slots);
    let m = |k| super::suite::metric(&out, k);
    let case = |what: &str| format!("{slot_s} s slots, {slots} per epoch: {what}, epochs");
    for (what, key) in [
        ("earliest checkpoint finality", "checkpoint_finality_min_s"),
        ("latest checkpoint finality", "checkpoint_finality_max_s"),
    ] {
        suite.rows.push(row(
            "T19",
            case(what),
            "network run",
            2.0,
            m(key)? / epoch,
            0.0,
            out.seed.to_string(),
        ));
    }
    suite.rows.push(row(
        "T19",
        case("mean transaction finality"),
        "network run",
        2.5,
        m("settlement_mean_s")? / epoch,
        0.05,
        format!("{}, {} transactions", out.seed, out.conservation.settled),
    ));
    Ok(())
}
