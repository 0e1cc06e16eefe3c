//! The tangle under scenario faults (crashes, a partition, lossy links), over seeds, with
//! milestone and cumulative-weight confirmation: approvals stay acyclic and point to existing
//! transactions, a confirmation is never undone (nothing settles twice, whatever settled is
//! confirmed, and a confirmed transaction's approvals are confirmed no later), conservation
//! holds, transactions the coordinator cannot see during a split are not confirmed before it
//! heals, and after the heal every validator's readings settle again, all of them in the end.
//! Releasing the transactions that can no longer matter changes no output: each run is made
//! twice, once keeping the whole DAG (which the checks inspect) and once releasing.

mod common;

use unchained::consensus::tangle::Tangle;
use unchained::engine::{Time, from_secs, to_secs};
use unchained::metrics::RunOutput;
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

const N: u32 = 10;
const DURATION: f64 = 160.0;
/// A split of the first three validators (the coordinator, validator 0, among them).
const CUT: (f64, f64) = (40.0, 75.0);

fn text(seed: u64, confirmation: &str, selection: &str, crash: &str) -> String {
    format!(
        "
seed: {seed}
duration_s: {DURATION}
devices:
  - count: 200
    workload: {{ model: poisson, rate_per_s: 0.1 }}
gateways: {{ count: {N} }}
validators: {{ count: {N} }}
network:
  latency: {{ model: constant, one_way_ms: {ms}, bandwidth_bps: 1.0e8 }}
  topology: {{ model: full_mesh }}
consensus:
  protocol: tangle
  tip_selection: {selection}
  confirmation: {confirmation}
faults:
  crashes: [{crash}]
  partitions: [{{ split: 0.3, from_s: {}, to_s: {} }}]
  links: {{ loss: 0.0{loss} }}
",
        CUT.0,
        CUT.1,
        ms = 20 + seed % 3 * 30,
        loss = seed % 4,
    )
}

/// The run keeping every transaction, checked to give the same outputs as the run releasing
/// them, which is checked to have released most.
fn run(text: &str) -> (RunOutput, Tangle) {
    let s = common::scenario(text);
    let Consensus::Tangle(p) = &s.consensus else {
        panic!("not tangle")
    };
    let n = s.validators.count as u32;
    let make = || Tangle::new(p, n).with_faults(s.faults.as_ref(), n);
    let (out, t, _) =
        run_with(&s, make().keep_all(), &Progress::hidden()).unwrap_or_else(|e| panic!("{e}"));
    let (lean, l, _) = run_with(&s, make(), &Progress::hidden()).unwrap_or_else(|e| panic!("{e}"));
    let same = |f: fn(&RunOutput) -> String| assert_eq!(f(&out), f(&lean));
    same(|o| format!("{:?}", o.summary));
    same(|o| format!("{:?}", o.conservation));
    same(|o| format!("{:?}", o.blocks));
    same(|o| format!("{:?}", o.timeseries));
    same(|o| format!("{:?}", o.nodes));
    let all = t.dag().live();
    assert!(
        l.dag().peak_live() < all / 2,
        "{} of {all} transactions held at once",
        l.dag().peak_live()
    );
    (out, t)
}

/// Checks every property.
struct Expect {
    /// How long before the end a reading must have been attached to be required to settle.
    margin: f64,
    /// How soon after the heal each validator's readings settle again, at most.
    resume: f64,
    milestones: bool,
    /// Whether every reading is confirmed (uniform selection) or only most (the walk).
    all_confirm: bool,
}

fn check(label: &str, text: &str, e: Expect, c: Crash) -> f64 {
    let gone = c.gone;
    let Expect {
        margin,
        resume,
        milestones,
        all_confirm,
    } = e;
    let (out, t) = run(text);
    let dag = t.dag();
    assert!(out.conservation.holds(), "{label}: {:?}", out.conservation);
    assert_eq!(common::metric(&out, "dag_violations"), 0.0, "{label}");
    assert_eq!(t.resettled(), 0, "{label}: a transaction settled twice");
    let (from, to) = (from_secs(CUT.0), from_secs(CUT.1));
    let mut first_after = vec![None::<Time>; N as usize];
    let mut attached = 0;
    for (x, v) in dag.iter().skip(1) {
        assert!(!v.parents.is_empty(), "{label}: {x} approves nothing");
        for &p in &v.parents {
            assert!(p < x, "{label}: {x} approves {p}, not earlier");
            assert!(
                dag.get(p).approvers.contains(&x),
                "{label}: {p} lacks approver {x}"
            );
            if let Some(c) = v.confirmed_at {
                let pc = dag.get(p).confirmed_at;
                assert!(
                    pc.is_some_and(|pc| pc <= c),
                    "{label}: {x} confirmed at {c} but its approval {p} at {pc:?}"
                );
            }
        }
        assert_eq!(v.confirmed, v.confirmed_at.is_some(), "{label}: {x}");
        if let Some(s) = v.settled_at {
            // A validator learns nothing while it is down.
            for &(d, a, b) in c.down {
                assert!(
                    d != v.origin || s <= from_secs(a) || s >= from_secs(b),
                    "{label}: {x} settled at validator {d} at {:.1} s while it was down",
                    to_secs(s)
                );
            }
            let c = v
                .confirmed_at
                .unwrap_or_else(|| panic!("{label}: {x} settled, not confirmed"));
            assert!(c <= s, "{label}: {x} settled before it was confirmed");
            if s > to {
                let f = &mut first_after[v.origin as usize];
                *f = Some(f.map_or(s, |f: Time| f.min(s)));
            }
        }
        if v.created.is_none() {
            continue;
        }
        attached += 1;
        // The coordinator cannot see the far side's transactions during the split.
        if milestones && v.origin >= 3 && (from..to).contains(&v.issued) {
            assert!(
                v.confirmed_at.is_none_or(|c| c >= to),
                "{label}: {x} from validator {} confirmed at {:.1} s during the split",
                v.origin,
                to_secs(v.confirmed_at.unwrap())
            );
        }
        // Every confirmation reaches the origin; under uniform selection every reading is
        // confirmed (the weighted walk leaves some tips behind by design, Popov §4.1).
        if to_secs(v.issued) < DURATION - margin
            && !gone.contains(&v.origin)
            && (all_confirm || v.confirmed_at.is_some_and(|c| to_secs(c) < DURATION - 5.0))
        {
            assert!(
                v.settled_at.is_some(),
                "{label}: {x} from validator {} attached at {:.1} s, confirmed at {:?}, never settled",
                v.origin,
                to_secs(v.issued),
                v.confirmed_at
            );
        }
    }
    assert!(attached > 1000, "{label}: {attached}");
    let mut worst: f64 = 0.0;
    for (v, f) in first_after.iter().enumerate() {
        if gone.contains(&(v as u32)) {
            continue;
        }
        let f =
            f.unwrap_or_else(|| panic!("{label}: validator {v} settled nothing after the heal"));
        let after = to_secs(f) - CUT.1;
        assert!(
            after <= resume,
            "{label}: validator {v} settled again {after:.1} s after the heal"
        );
        worst = worst.max(after);
    }
    worst
}

/// Who crashes: validators 4 and 7 for 30 s across the split's start, the coordinator for
/// 12 s (missing a milestone), or validator 5 for good (its readings cannot settle: it learns
/// nothing more), by seed; links lose 0–3 % of messages.
struct Crash {
    yaml: &'static str,
    /// Validators down from `.1` to `.2` s.
    down: &'static [(u32, f64, f64)],
    gone: &'static [u32],
}

fn crash(seed: u64) -> Crash {
    match seed % 3 {
        0 => Crash {
            yaml: "{ nodes: [4, 7], at_s: 20, recover_s: 50 }",
            down: &[(4, 20.0, 50.0), (7, 20.0, 50.0)],
            gone: &[],
        },
        1 => Crash {
            yaml: "{ nodes: [0], at_s: 25, recover_s: 37 }",
            down: &[(0, 25.0, 37.0)],
            gone: &[],
        },
        _ => Crash {
            yaml: "{ nodes: [5], at_s: 100 }",
            down: &[(5, 100.0, DURATION)],
            gone: &[5],
        },
    }
}

#[test]
fn milestones_under_crashes_a_split_and_loss() {
    let mut worst: f64 = 0.0;
    for seed in 1..=6 {
        let text = text(
            seed,
            "{ model: milestones, interval_s: 10 }",
            "{ model: uniform }",
            crash(seed).yaml,
        );
        let label = format!("milestones seed {seed}");
        let e = Expect {
            margin: 50.0,
            resume: 20.0,
            milestones: true,
            all_confirm: true,
        };
        worst = worst.max(check(&label, &text, e, crash(seed)));
    }
    eprintln!("milestones: slowest validator settled again {worst:.1} s after the heal");
}

#[test]
fn cumulative_weight_under_crashes_a_split_and_loss() {
    let mut worst: f64 = 0.0;
    for seed in 1..=6 {
        let selection = if seed % 2 == 0 {
            "{ model: uniform }"
        } else {
            "{ model: walk, alpha: 0.05, depth_s: 20 }"
        };
        let text = text(
            seed,
            "{ model: weight, threshold: 30 }",
            selection,
            crash(seed).yaml,
        );
        let label = format!("weight seed {seed}");
        let e = Expect {
            margin: 30.0,
            resume: 10.0,
            milestones: false,
            all_confirm: seed % 2 == 0,
        };
        worst = worst.max(check(&label, &text, e, crash(seed)));
    }
    eprintln!("weight: slowest validator settled again {worst:.1} s after the heal");
}
