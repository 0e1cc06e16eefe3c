//! The notary's Raft cluster compacts its log into snapshots (Raft §7), and lets go of the
//! transactions it ordered once nothing names them, so what it holds follows the
//! transactions in flight; a follower that missed more than the kept window catches up
//! through an `InstallSnapshot`.

mod common;

use unchained::consensus::notary::{Node, Notary};
use unchained::metrics::RunOutput;

fn run(duration_s: u32, faults: &str) -> (RunOutput, Notary, Vec<Node>) {
    common::run_notary_meters(duration_s, "{ model: raft, nodes: 3 }", faults)
}

/// Four times the simulated time creates four times the transactions and log entries, yet
/// the items held — transactions, entries in the shared store and in each member's log,
/// members' consumed states and maps of transactions to indices — stay those of the last
/// minutes. Kept whole, the logs and the transactions they name grow with every transaction
/// created (10,000 over 600 s, 40,000 over 2,400 s).
#[test]
fn the_raft_notary_holds_what_is_in_flight_not_the_run() {
    let held = |duration_s| {
        let (out, notary, nodes) = run(duration_s, "");
        (
            notary.held(&nodes),
            notary.peak_transactions(),
            out.conservation.created,
        )
    };
    let (short_held, short_peak, short_created) = held(600);
    let (long_held, long_peak, long_created) = held(2400);
    eprintln!(
        "raft: 600 s: {short_held} held at the end, {short_peak} transactions at most, \
         {short_created} created; 2400 s: {long_held}, {long_peak}, {long_created}"
    );
    assert!(long_created > 3 * short_created);
    common::notary_held_flat("raft", (short_held, short_peak), (long_held, long_peak));
}

/// A member down for good from the first minute applies nothing more, yet the two others go
/// on signing: each transaction's `blocks` row closes once both applied it, so the rows open
/// at once are those in flight. Were rows to wait for every member, each transaction
/// signed after the crash would keep its row open to the end of the run. That member is also
/// a party: the transactions it can no longer take to the notary are stranded (pending among
/// those collecting) and those decided go once the live party heard, so neither the items
/// held nor the transactions tracked at once grow with the run.
#[test]
fn a_raft_member_down_for_good_holds_back_no_rows_nor_transactions() {
    let faults = "faults:\n  crashes: [{ nodes: [2], at_s: 60 }]\n";
    let measure = |duration_s| {
        let (out, notary, nodes) = run(duration_s, faults);
        (
            (notary.peak_open_rows(), out.conservation.created),
            (notary.held(&nodes), notary.peak_transactions()),
        )
    };
    let (short, (short_held, short_peak)) = measure(600);
    let (long, (long_held, long_peak)) = measure(2400);
    common::notary_rows_flat("member 2", short, long);
    common::notary_held_flat(
        "member 2 down for good",
        (short_held, short_peak),
        (long_held, long_peak),
    );
}

/// A follower down for 120 s misses about 2,000 entries, far more than the 128 to 256 the
/// others keep below their applied index: the leader sends it a snapshot, it installs one,
/// and by the end it has committed what the others have, while every transaction created
/// after it came back is signed or rejected (none left pending), conservation holds and no
/// input is signed twice (checked in `run`).
#[test]
fn a_follower_down_longer_than_the_window_recovers_through_a_snapshot() {
    let faults = "faults:\n  crashes: [{ nodes: [2], at_s: 200, recover_s: 320 }]\n";
    let (_, notary, nodes) = run(600, faults);
    eprintln!(
        "snapshots sent {}, installed {}; commits {:?}, first kept {:?}",
        notary.snapshots_sent,
        notary.installs,
        nodes[..3].iter().map(|n| n.commit).collect::<Vec<_>>(),
        nodes[..3].iter().map(|n| n.base).collect::<Vec<_>>(),
    );
    assert!(notary.snapshots_sent > 0);
    assert!(notary.installs > 0);
    let top = nodes[..3].iter().map(|n| n.commit).max().expect("members");
    // About 2,000 entries were committed while it was down; it is within the in-flight
    // entries of the others at the end.
    assert!(top > 5000, "{top} committed");
    assert!(nodes[2].commit + 64 >= top, "{} vs {top}", nodes[2].commit);
    let (from, to) = (
        unchained::engine::from_secs(350.0),
        unchained::engine::from_secs(540.0),
    );
    let pending: Vec<_> = notary
        .transactions()
        .into_iter()
        .filter(|t| t.created >= from && t.created < to && !t.signed && !t.rejected)
        .collect();
    assert!(
        pending.is_empty(),
        "{} pending: {:?}",
        pending.len(),
        &pending[..1]
    );
}
