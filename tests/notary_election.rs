//! The raft notary cluster under leader crashes: a new leader is elected within the timeout
//! bound and honest transactions keep settling; over seeds with leader crashes, restarts, a
//! split and loss, no two signed transactions consume one state and double spends are
//! rejected.

mod common;

use unchained::consensus::notary::{Node, Role, TxView};
use unchained::engine::{Time, from_secs};

const ELECTION_MS: f64 = 500.0;
const HEARTBEAT_MS: f64 = 50.0;

fn yaml(seed: u64, validators: u32, nodes: u32, share: f64, duration: f64, faults: &str) -> String {
    let cluster = format!("{{ model: raft, nodes: {nodes} }}");
    let timers = format!("  election_timeout_ms: {ELECTION_MS}\n  heartbeat_ms: {HEARTBEAT_MS}");
    common::notary_faults_yaml(seed, validators, &cluster, share, duration, &timers, faults)
}

/// Validator 0 leads from the start; crashing it for good must not stop the service.
#[test]
fn a_crashed_leader_is_replaced_and_honest_transactions_keep_settling() {
    let crash_s = 60.0;
    let crash = from_secs(crash_s);
    for seed in 0..6u64 {
        let nodes = if seed % 2 == 0 { 3 } else { 5 };
        let faults = format!("faults:\n  crashes: [{{ nodes: [0], at_s: {crash_s} }}]\n");
        let (out, notary, members) =
            common::run_notary(&yaml(seed, 12, nodes, 0.0, 180.0, &faults));
        let label = format!("seed {seed}, {nodes} members");
        let first = notary
            .elections
            .first()
            .unwrap_or_else(|| panic!("{label}: no election after the leader crashed"));
        assert_ne!(first.2, 0, "{label}");
        assert!(first.0 > crash, "{label}: an election before the crash");
        // The last heartbeat up to one period before the crash, a timeout below 2T, one split
        // vote allowed, and a second of message delays on the SimBlock regions.
        let bound = from_secs((HEARTBEAT_MS + 2.0 * 2.0 * ELECTION_MS) / 1e3 + 1.0);
        assert!(
            first.0 - crash <= bound,
            "{label}: new leader {} ns after the crash",
            first.0 - crash
        );
        let leaders: Vec<_> = members[1..nodes as usize]
            .iter()
            .filter(|m| m.seat.role == Role::Leader)
            .map(|m| m.id)
            .collect();
        assert_eq!(leaders.len(), 1, "{label}: leaders at the end {leaders:?}");
        assert_ne!(leaders[0], 0, "{label}");
        assert_eq!(
            common::metric(&out, "notary_elections"),
            notary.elections.len() as f64
        );
        // Every transaction whose parties are both up, created up to 20 s before the end, is
        // signed and reaches both parties — also those the crashed leader took with it.
        let txs = notary.transactions();
        let live = |t: &&TxView| t.origin != 0 && t.counterparty != 0;
        let due = from_secs(160.0);
        let mut after = 0;
        let mut in_flight = 0;
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
        assert!(after > 2000, "{label}: {after} settled after the crash");
        eprintln!(
            "{label}: leader {} elected {:.2} s after the crash; {in_flight} in flight at the \
             crash settled later",
            first.2,
            (first.0 - crash) as f64 / 1e9
        );
        assert_eq!(common::metric(&out, "honest_rejected"), 0.0, "{label}");
    }
}

/// Leader crashes and restarts (the restarted leader's uncommitted entries are overwritten),
/// random crashes, a split and loss: the cluster never signs two transactions consuming one
/// state, and every double spend that got an answer was rejected.
#[test]
fn double_spends_are_rejected_across_leader_changes() {
    let mut attempts = 0.0;
    let mut elections = 0;
    for seed in 0..12u64 {
        let nodes = if seed % 2 == 0 { 3 } else { 5 };
        let faults = format!(
            "faults:\n  crashes: [{{ nodes: [0], at_s: 20, recover_s: 40 }}, \
             {{ random: 2, at_s: {}, recover_s: {} }}]\n  \
             partitions: [{{ groups: [[1, 3, 5, 7, 9]], from_s: {}, to_s: {} }}]\n  links: {{ loss: 0.0{} }}\n",
            45 + seed % 10,
            60 + seed % 10,
            70 + seed % 5,
            76 + seed % 7,
            seed % 6
        );
        let (out, notary, members) =
            common::run_notary(&yaml(seed, 10, nodes, 0.3, 120.0, &faults));
        let label = format!("seed {seed}, {nodes} members");
        let m = |k| common::metric(&out, k);
        assert_eq!(m("conflicting_signed"), 0.0, "{label}");
        common::assert_no_state_signed_twice(&notary, &label);
        assert!(out.conservation.holds(), "{label}: {:?}", out.conservation);
        assert!(m("double_spend_rejected") > 50.0, "{label}");
        assert_eq!(
            out.conservation.dropped("double_spend") as f64,
            m("double_spend_rejected") + m("honest_rejected")
        );
        assert!(!notary.elections.is_empty(), "{label}: no leader change");
        let leaders = members[..nodes as usize]
            .iter()
            .filter(|m| m.seat.role == Role::Leader)
            .count();
        assert!(leaders >= 1, "{label}: no leader at the end");
        // Members agree on the committed entries they all still hold: each compacts what it
        // applied into a snapshot, and snapshots agree (debug assertions in `compaction.rs`).
        let floor = members[..nodes as usize]
            .iter()
            .map(|m| m.commit)
            .min()
            .unwrap_or(0);
        let from = members[..nodes as usize]
            .iter()
            .map(|m| m.base)
            .max()
            .unwrap_or(0);
        assert!(
            from <= floor,
            "{label}: no committed entry held by every member"
        );
        let held = |m: &Node, i: u64| m.log[(i - m.base) as usize];
        for m in &members[..nodes as usize] {
            for i in from..=floor {
                assert_eq!(held(m, i), held(&members[0], i), "{label}: index {i}");
            }
        }
        attempts += m("double_spend_attempts");
        elections += notary.elections.len();
    }
    eprintln!("notary raft: {attempts} double-spend attempts, {elections} elections");
}
