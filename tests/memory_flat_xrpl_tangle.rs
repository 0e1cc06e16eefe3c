//! The XRP Ledger and the tangle release what no validator can still read, so what they hold
//! at once follows the work in flight, not the simulated time.

mod common;

fn scenario(duration_s: u32, validators: u32, consensus: &str, extra: &str) -> String {
    format!(
        "
duration_s: {duration_s}
devices:
  - {{ count: 2000, workload: {{ model: periodic, interval_s: 60 }} }}
gateways: {{ count: 10 }}
validators: {{ count: {validators} }}
consensus: {consensus}
{extra}"
    )
}

/// `(most transaction references held at once, transactions settled)` by the XRP Ledger.
fn xrpl_held(duration_s: u32, extra: &str, keep_all: bool) -> (usize, u64) {
    let (held, settled, _, _) = xrpl_run(duration_s, extra, keep_all);
    (held, settled)
}

/// [`xrpl_held`], how many times a two-faced validator's face was moved up to the floor, and
/// the most sequences whose honest decisions were held at once.
fn xrpl_run(duration_s: u32, extra: &str, keep_all: bool) -> (usize, u64, u64, usize) {
    use unchained::consensus::xrpl::Xrpl;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let s = common::scenario(&scenario(duration_s, 10, "{ protocol: xrpl }", extra));
    let Consensus::Xrpl(p) = &s.consensus else {
        unreachable!("xrpl")
    };
    let x = Xrpl::new(p, s.validators.count as u32).with_adversary(s.adversary.as_ref());
    let x = if keep_all { x.keep_all() } else { x };
    let (out, x, _) = run_with(&s, x, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds());
    (
        x.peak_held(),
        out.conservation.settled,
        x.faces_caught_up(),
        x.peak_decided(),
    )
}

/// Four times the simulated time settles about four times the transactions; held at once
/// are what a few rounds proposed and the lists of ledgers whose transactions have not all
/// settled, whatever the length of the run.
fn flat(short: (usize, u64), long: (usize, u64)) -> bool {
    long.1 > 3 * short.1
        && short.1 > 10_000
        && long.0 as f64 <= 1.3 * short.0 as f64 + 1000.0
        && (long.0 as u64) < long.1
}

/// Positions go once every validator that can still run has fully validated their sequence,
/// ledgers' lists once none of their transactions is in the pool. Checked honest (7,686
/// references at most over 600 s, 7,811 over 2,400 s), and with validator 2 down for good,
/// validator 4 down for 150 s and 2 % link loss (65,780 both times: what was proposed while
/// validator 4 was down). Kept whole, positions and lists hold every proposal of the run
/// (411,276 then 1,649,106 honest) and the same bounds fail.
#[test]
fn xrpl_positions_and_ledger_lists_are_released_below_every_validated_ledger() {
    for extra in [
        "",
        "faults:
  crashes: [{ nodes: [2], at_s: 30 }, { nodes: [4], at_s: 50, recover_s: 200 }]
  links: { loss: 0.02 }
",
    ] {
        let (short, long) = (xrpl_held(600, extra, false), xrpl_held(2400, extra, false));
        eprintln!(
            "{extra:?}: 600 s: {} held at most, {} settled; 2400 s: {}, {}",
            short.0, short.1, long.0, long.1
        );
        assert!(flat(short, long), "{extra:?}: {short:?} then {long:?}");
        let (short, long) = (xrpl_held(600, extra, true), xrpl_held(2400, extra, true));
        eprintln!("kept whole: 600 s: {} held; 2400 s: {}", short.0, long.0);
        assert!(
            !flat(short, long),
            "{extra:?}: kept whole {short:?} then {long:?}"
        );
    }
}

/// Validator 0 of 10 is two-faced: its faces hear half of the honest validators each and never
/// gather a quorum of 8 validations. Honest progress alone decides the floor (its faces lag
/// it by one sequence and were never moved up), and the transactions of its gateways, which it
/// never settles, leave the pool once a ledger every honest validator fully validated carries
/// them. Measured: 13,402 references at most over 600 s, 13,824 over 2,400 s. With the faces
/// counted in the floor they held it at genesis: 499,761 then 2,007,111, as kept whole; with
/// the floor moved but those transactions kept, each pinned its ledger's list: 24,211 then
/// 84,211 (lists of 125 and 500 ledgers, all of them).
#[test]
fn xrpl_a_two_faced_validator_holds_no_release_back() {
    let extra = "adversary: { kind: byzantine, nodes: [0], behaviour: equivocate }\n";
    let (short, long) = (xrpl_run(600, extra, false), xrpl_run(2400, extra, false));
    eprintln!(
        "two-faced: 600 s: {} held at most, {} settled; 2400 s: {}, {}",
        short.0, short.1, long.0, long.1
    );
    assert_eq!((short.2, long.2), (0, 0), "faces moved up to the floor");
    assert!(
        flat((short.0, short.1), (long.0, long.1)),
        "{short:?} then {long:?}"
    );
    let (short, long) = (xrpl_held(600, extra, true), xrpl_held(2400, extra, true));
    eprintln!("kept whole: 600 s: {} held; 2400 s: {}", short.0, long.0);
    assert!(!flat(short, long), "kept whole {short:?} then {long:?}");
}

/// Validator 2 of 10 goes down for good at 300 s: what reached it before (18 transactions of
/// its gateways, included in ledgers the others validated) can never settle, since a validator
/// settles its own gateways' transactions; later uploads to it are stranded by the world. They
/// leave the pool once a ledger on every live validator's chain carries them, counted pending
/// in a block (18 at both lengths), and the ledgers' lists go with them. Measured: none of its
/// transactions pooled at the end, 7,096 references held at most over 600 s and 7,270 over
/// 2,400 s. Without the release all 18 stay in the pool for good (7,243 then 7,535 held: a
/// constant, since nothing reaches a validator once down) and the check fails; kept whole
/// likewise.
#[test]
fn xrpl_a_validator_down_for_good_leaves_none_of_its_transactions_pooled() {
    use unchained::consensus::xrpl::Xrpl;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let extra = "faults: { crashes: [{ nodes: [2], at_s: 300 }] }\n";
    let run = |duration_s, keep_all| {
        let s = common::scenario(&scenario(duration_s, 10, "{ protocol: xrpl }", extra));
        let Consensus::Xrpl(p) = &s.consensus else {
            unreachable!("xrpl")
        };
        let x = Xrpl::new(p, s.validators.count as u32);
        let x = if keep_all { x.keep_all() } else { x };
        let (out, x, _) = run_with(&s, x, &Progress::hidden()).expect("runs");
        let c = &out.conservation;
        assert!(c.holds(), "{c:?}");
        (
            x.peak_held(),
            c.settled,
            x.pooled_from(2),
            c.pending_in_block,
        )
    };
    let (short, long) = (run(600, false), run(2400, false));
    eprintln!("down for good: 600 s: {short:?}; 2400 s: {long:?}");
    let released = |r: (usize, u64, usize, u64)| r.2 == 0 && r.3 > 0;
    assert!(
        flat((short.0, short.1), (long.0, long.1)),
        "{short:?} then {long:?}"
    );
    assert!(released(short) && released(long), "{short:?} then {long:?}");
    assert_eq!(
        short.3, long.3,
        "pending in a block: only what reached it before 300 s"
    );
    let (short, long) = (run(600, true), run(2400, true));
    eprintln!("kept whole: 600 s: {short:?}; 2400 s: {long:?}");
    assert!(
        !released(short) && !released(long),
        "kept whole {short:?} then {long:?}"
    );
}

/// The XRP Ledger keeps no record per ledger for the whole run: the first ledger an honest
/// validator fully validated at a sequence (to count conflicting decisions) goes once every
/// honest validator that can still run is past it, and the validators' logs of every ledger
/// are kept only when asked (`Xrpl::keep_logs`). Measured with validator 2 down for good and
/// validator 4 down 150 s: 39 sequences held at most over 600 s (while validator 4 is down), 39 over
/// 2,400 s; kept whole (`Xrpl::keep_all`), 149 then 599, and the check fails.
#[test]
fn xrpl_keeps_no_record_per_ledger() {
    let extra = "faults:
  crashes: [{ nodes: [2], at_s: 30 }, { nodes: [4], at_s: 50, recover_s: 200 }]
";
    let flat = |short: (usize, u64), long: (usize, u64)| {
        long.1 > 3 * short.1 && long.0 as f64 <= 1.3 * short.0 as f64 + 10.0
    };
    let run = |d, keep| {
        let r = xrpl_run(d, extra, keep);
        (r.3, r.1)
    };
    let (short, long) = (run(600, false), run(2400, false));
    eprintln!("decided: 600 s: {short:?}; 2400 s: {long:?}");
    assert!(flat(short, long), "{short:?} then {long:?}");
    let (short, long) = (run(600, true), run(2400, true));
    eprintln!("kept whole: 600 s: {short:?}; 2400 s: {long:?}");
    assert!(!flat(short, long), "kept whole {short:?} then {long:?}");
}

/// `(most transactions the tangle held at once, transactions created)` under the weighted walk
/// from 10 s back with cumulative-weight confirmation: a start that shallow strands many
/// branches (about half the readings are never approved and four in five never confirm).
fn tangle_held(duration_s: u32, keep_all: bool) -> (usize, u64) {
    use unchained::consensus::tangle::Tangle;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let consensus = "{ protocol: tangle, tip_selection: { model: walk, alpha: 0.05, depth_s: 10 }, \
                     confirmation: { model: weight, threshold: 20 } }";
    let s = common::scenario(&scenario(duration_s, 7, consensus, ""));
    let Consensus::Tangle(p) = &s.consensus else {
        unreachable!("tangle")
    };
    let t = Tangle::new(p, s.validators.count as u32);
    let t = if keep_all { t.keep_all() } else { t };
    let (out, t, _) = run_with(&s, t, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds());
    (t.dag().peak_live(), out.conservation.created)
}

/// A transaction below the walk's anchor none of whose approvers reaches the anchor can never
/// gain weight: it stays pending and is released like an orphan. Four times the simulated
/// time then holds about as many transactions at once; kept (as they were, set aside for the
/// rest of the run), the stranded branches pile up, and kept whole everything does, and
/// the same bound fails.
#[test]
fn tangle_branches_stranded_below_the_walks_start_are_released() {
    let flat = |short: (usize, u64), long: (usize, u64)| {
        long.1 > 3 * short.1
            && short.1 > 10_000
            && long.0 as f64 <= 1.3 * short.0 as f64 + 100.0
            && (long.0 as u64) < long.1 / 4
    };
    let (short, long) = (tangle_held(600, false), tangle_held(2400, false));
    eprintln!(
        "600 s: {} held at most, {} created; 2400 s: {}, {}",
        short.0, short.1, long.0, long.1
    );
    assert!(flat(short, long), "{short:?} then {long:?}");
    let (short, long) = (tangle_held(600, true), tangle_held(2400, true));
    eprintln!("kept whole: 600 s: {} held; 2400 s: {}", short.0, long.0);
    assert!(!flat(short, long), "kept whole {short:?} then {long:?}");
}

/// Validator 2 of 7 goes down for good at 300 s. Its transactions attached before then are
/// confirmed by the others' approvals but never settled, since a transaction settles once its
/// own validator learns of the confirmation. They go once nothing else can ask about them,
/// still counted pending. Measured with uniform tips and 30 s milestones and with the
/// weighted walk and weight confirmation: none of validator 2's held at the end, and at most
/// 3,285 then 3,314 (milestones), 2,792 then 2,792 (walk) transactions held at once over 600
/// and 2,400 s. With the release disabled, 125 (milestones) and 33 (walk) of them stay to the
/// end at both lengths (3,319 then 3,439, and 2,792 then 2,794, held at once) and the check
/// fails: a constant, since a validator down for good attaches nothing more.
#[test]
fn tangle_transactions_of_a_validator_down_for_good_are_released() {
    use unchained::consensus::tangle::Tangle;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let extra = "faults: { crashes: [{ nodes: [2], at_s: 300 }] }\n";
    for consensus in [
        "{ protocol: tangle, tip_selection: { model: uniform }, \
         confirmation: { model: milestones, interval_s: 30 } }",
        "{ protocol: tangle, tip_selection: { model: walk, alpha: 0.05, depth_s: 10 }, \
         confirmation: { model: weight, threshold: 20 } }",
    ] {
        let run = |duration_s| {
            let s = common::scenario(&scenario(duration_s, 7, consensus, extra));
            let Consensus::Tangle(p) = &s.consensus else {
                unreachable!("tangle")
            };
            let t = Tangle::new(p, s.validators.count as u32).with_faults(s.faults.as_ref(), 7);
            let (out, t, _) = run_with(&s, t, &Progress::hidden()).expect("runs");
            assert!(out.conservation.holds());
            let of_2 = t
                .dag()
                .iter()
                .filter(|(_, v)| v.origin == 2 && v.created.is_some())
                .count();
            (t.dag().peak_live(), out.conservation.created, of_2)
        };
        let (short, long) = (run(600), run(2400));
        eprintln!("{consensus}: 600 s: {short:?}; 2400 s: {long:?}");
        assert!(long.1 > 3 * short.1, "{short:?} then {long:?}");
        assert!(
            long.0 as f64 <= 1.3 * short.0 as f64 + 100.0,
            "{short:?} then {long:?}"
        );
        assert_eq!((short.2, long.2), (0, 0), "validator 2's transactions held");
    }
}
