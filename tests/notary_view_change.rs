//! The BFT notary cluster (f = 1, 4 members) under crashes: a crashed leader is replaced by a
//! view change within a bound and honest transactions keep settling; over seeds with the
//! leader crashed and restarted, another member crashed, loss and double spends, no two signed
//! transactions consume one state; with f + 1 members down nothing is signed.

mod common;

use unchained::consensus::notary::TxView;
use unchained::engine::{Time, from_secs};

const ELECTION_MS: f64 = 500.0;
const VIEW_CHANGE_MS: f64 = 3000.0;
const MEMBERS: usize = 4;

fn yaml(seed: u64, share: f64, duration: f64, faults: &str) -> String {
    let timers =
        format!("  election_timeout_ms: {ELECTION_MS}\n  view_change_ms: {VIEW_CHANGE_MS}");
    let cluster = "{ model: bft, faults: 1 }";
    common::notary_faults_yaml(seed, 12, cluster, share, duration, &timers, faults)
}

/// Member 0 leads view 0; crashing it for good must not stop the service.
#[test]
fn a_crashed_leader_is_replaced_by_a_view_change_and_settlement_goes_on() {
    let crash_s = 60.0;
    let crash = from_secs(crash_s);
    for seed in 0..6u64 {
        let faults = format!("faults:\n  crashes: [{{ nodes: [0], at_s: {crash_s} }}]\n");
        let (out, notary, members) = common::run_notary(&yaml(seed, 0.0, 150.0, &faults));
        let label = format!("seed {seed}");
        let first = notary
            .view_changes
            .first()
            .unwrap_or_else(|| panic!("{label}: no new view after the leader crashed"));
        assert!(first.0 > crash, "{label}: a view change before the crash");
        assert_eq!((first.1, first.2), (1, 1), "{label}: first new view");
        // An initiator retries after 3 election timeouts, the backups wait one view-change
        // timeout for the forwarded request, then a second of message delays on the SimBlock
        // regions for the forward, the view changes and the new view.
        let bound = from_secs((3.0 * ELECTION_MS + VIEW_CHANGE_MS) / 1e3 + 1.0);
        assert!(
            first.0 - crash <= bound,
            "{label}: new view {} ns after the crash",
            first.0 - crash
        );
        for m in &members[1..MEMBERS] {
            assert_eq!(m.view, 1, "{label}: member {} view", m.id);
            assert!(!m.changing, "{label}: member {} still changing", m.id);
        }
        assert_eq!(
            common::metric(&out, "notary_view_changes"),
            notary.view_changes.len() as f64
        );
        // Every transaction whose parties are up, created up to 20 s before the end, is signed
        // and reaches both parties — also those in flight when the leader crashed.
        let txs = notary.transactions();
        let live = |t: &&TxView| t.origin != 0 && t.counterparty != 0;
        let due = from_secs(130.0);
        let (mut after, mut in_flight) = (0, 0);
        for (i, t) in txs.iter().filter(live).enumerate() {
            if t.created > due {
                continue;
            }
            assert!(
                t.settled_at != Time::MAX,
                "{label}: transaction {i} {t:?} unsettled"
            );
            after += u32::from(t.created > crash);
            in_flight += u32::from(t.created < crash && t.settled_at > crash);
        }
        assert!(after > 1500, "{label}: {after} settled after the crash");
        assert_eq!(common::metric(&out, "honest_rejected"), 0.0, "{label}");
        common::assert_no_state_signed_twice(&notary, &label);
        eprintln!(
            "{label}: view 1 formed {:.2} s after the crash; {in_flight} in flight at the crash \
             settled later; {after} created after it settled; {} new views",
            (first.0 - crash) as f64 / 1e9,
            notary.view_changes.len()
        );
    }
}

/// The leader crashed and restarted (it comes back in view 0), later another member crashed
/// (the leader of view 1 for some seeds), loss and double spends: the cluster never signs two
/// transactions consuming one state.
#[test]
fn no_state_is_signed_twice_across_view_changes() {
    let (mut attempts, mut views, mut signed) = (0.0, 0, 0);
    for seed in 0..12u64 {
        let faults = format!(
            "faults:\n  crashes: [{{ nodes: [0], at_s: 20, recover_s: 40 }}, \
             {{ nodes: [{}], at_s: {}, recover_s: {} }}]\n  links: {{ loss: 0.0{} }}\n",
            1 + seed % 3,
            45 + seed % 10,
            60 + seed % 10,
            seed % 6
        );
        let (out, notary, _) = common::run_notary(&yaml(seed, 0.3, 100.0, &faults));
        let label = format!("seed {seed}");
        let m = |k| common::metric(&out, k);
        assert_eq!(m("conflicting_signed"), 0.0, "{label}");
        signed += common::assert_no_state_signed_twice(&notary, &label);
        assert!(out.conservation.holds(), "{label}: {:?}", out.conservation);
        assert!(m("double_spend_rejected") > 50.0, "{label}");
        assert_eq!(
            out.conservation.dropped("double_spend") as f64,
            m("double_spend_rejected") + m("honest_rejected")
        );
        assert!(!notary.view_changes.is_empty(), "{label}: no view change");
        // Liveness under loss: every transaction created once all members are back (70 s) and
        // up to 20 s before the end settles, unless rejected as a double spend.
        let due: Vec<_> = notary
            .transactions()
            .into_iter()
            .filter(|t| t.created >= from_secs(70.0) && t.created <= from_secs(80.0))
            .filter(|t| !t.rejected)
            .collect();
        let unsettled = due.iter().filter(|t| t.settled_at == Time::MAX).count();
        eprintln!(
            "{label}: {} new views, {} of {} due settled",
            notary.view_changes.len(),
            due.len() - unsettled,
            due.len()
        );
        assert!(due.len() > 100, "{label}: {} due", due.len());
        for t in due.iter().filter(|t| t.settled_at == Time::MAX) {
            eprintln!("  {t:?}");
        }
        assert_eq!(unsettled, 0, "{label}: due transactions unsettled");
        attempts += m("double_spend_attempts");
        views += notary.view_changes.len();
    }
    eprintln!("notary bft: {signed} signed, {attempts} double-spend attempts, {views} new views");
}

/// f + 1 of 3f + 1 members down (the leader among them): no quorum prepares, commits or forms
/// a new view, so nothing is signed after the crash. Down until after the run ends, the
/// survivors keep trying view changes. Down for good, the cluster is below its quorum for good
/// and is asked no more (`Notary::quorum_gone`): the survivors stop, and still nothing is signed.
#[test]
fn with_f_plus_one_members_down_nothing_is_signed() {
    let crash = from_secs(30.0);
    for seed in 0..3u64 {
        for (recover, trying) in [(", recover_s: 1000", true), ("", false)] {
            let faults = format!("faults:\n  crashes: [{{ nodes: [0, 2], at_s: 30{recover} }}]\n");
            let (out, notary, members) = common::run_notary(&yaml(seed, 0.0, 90.0, &faults));
            let label = format!("seed {seed}, back after the run: {trying}");
            let txs = notary.transactions();
            let before = txs.iter().filter(|t| t.signed).count();
            assert!(before > 500, "{label}: {before} signed before the crash");
            let late: Vec<_> = txs
                .iter()
                .filter(|t| t.signed && t.created > crash)
                .collect();
            assert!(
                late.is_empty(),
                "{label}: {} signed after the crash",
                late.len()
            );
            assert_eq!(common::metric(&out, "notary_view_changes"), 0.0, "{label}");
            let tried = members[1].view > 0 && members[3].view > 0;
            assert_eq!(
                tried, trying,
                "{label}: survivors' views {} and {}",
                members[1].view, members[3].view
            );
            assert!(out.conservation.holds(), "{label}: {:?}", out.conservation);
        }
    }
}
