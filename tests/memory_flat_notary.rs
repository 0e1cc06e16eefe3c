//! The notary lets go of transactions, consumed states and cluster records once nothing can
//! name them again, so what it holds follows the transactions in flight, not the length of
//! the run.

mod common;

/// Items the notary held at the end of a run of `duration_s` on `cluster` under `faults`, the
/// most transactions it tracked at once, the transactions created, and the most `blocks` rows
/// open at once.
fn held(duration_s: u32, cluster: &str, faults: &str) -> (usize, usize, u64, usize) {
    let (out, notary, nodes) = common::run_notary_meters(duration_s, cluster, faults);
    (
        notary.held(&nodes),
        notary.peak_transactions(),
        out.conservation.created,
        notary.peak_open_rows(),
    )
}

/// Four times the simulated time creates four times the transactions, yet the items held
/// stay those of the last minutes: transactions are kept five minutes after both parties
/// heard the outcome, with the BFT members' records of their sequences and the states they
/// consumed. Kept for the whole run, they would grow with every transaction created (10,000
/// over 600 s, 40,000 over 2,400 s).
#[test]
fn the_notary_holds_what_is_in_flight_not_the_run() {
    for cluster in ["{ model: single }", "{ model: bft, faults: 1 }"] {
        let (short_held, short_peak, short_created, _) = held(600, cluster, "");
        let (long_held, long_peak, long_created, _) = held(2400, cluster, "");
        eprintln!(
            "{cluster}: 600 s: {short_held} held at the end, {short_peak} transactions at most, \
             {short_created} created; 2400 s: {long_held}, {long_peak}, {long_created}"
        );
        assert!(long_created > 3 * short_created, "{cluster}");
        common::notary_held_flat(cluster, (short_held, short_peak), (long_held, long_peak));
    }
}

/// A BFT member down for good from the first minute applies nothing more, yet the others go
/// on signing: each transaction's `blocks` row closes once the three live members applied
/// it, so the rows open at once are those in flight. Were rows to wait for every member,
/// each transaction signed after the crash would keep its row open to the end of the run.
/// That member is also a party: the transactions proposed to it, or that it proposed and
/// never took to the notary, are stranded (pending among those collecting), and those the
/// notary decided go once the live party heard. Kept, each would hold back the release of
/// every transaction after it, and the items held would grow with the run.
#[test]
fn a_bft_member_down_for_good_holds_back_no_rows_nor_transactions() {
    let cluster = "{ model: bft, faults: 1 }";
    let faults = "faults:\n  crashes: [{ nodes: [3], at_s: 60 }]\n";
    let (short_held, short_peak, short_created, short_open) = held(600, cluster, faults);
    let (long_held, long_peak, long_created, long_open) = held(2400, cluster, faults);
    common::notary_rows_flat(
        "member 3",
        (short_open, short_created),
        (long_open, long_created),
    );
    common::notary_held_flat(
        "member 3 down for good",
        (short_held, short_peak),
        (long_held, long_peak),
    );
}

/// The single notary (validator 0) down for good from 150 s answers nothing more. An origin
/// whose request goes unanswered then strands the transaction at its next retry (pending
/// among those collecting) instead of asking again every retry period to the end of the run:
/// asked for good, every transaction created after the crash would be tracked to the end.
#[test]
fn a_single_notary_down_for_good_is_asked_no_more() {
    let cluster = "{ model: single }";
    let faults = "faults:\n  crashes: [{ nodes: [0], at_s: 150 }]\n";
    let (short_held, short_peak, short_created, _) = held(600, cluster, faults);
    let (long_held, long_peak, long_created, _) = held(2400, cluster, faults);
    assert!(long_created > 3 * short_created);
    common::notary_held_flat(
        "single notary down for good",
        (short_held, short_peak),
        (long_held, long_peak),
    );
}

/// A cluster left below its quorum for good: BFT of 4 (quorum 3) losing members 2 and 3, Raft
/// of 5 (quorum 3) losing members 2, 3 and 4, from 150 s. The live members can never decide
/// again, so an origin's retry or a counterparty's wait ends the transaction as it stands
/// (undecided: pending among those collecting) instead of asking again to the end of the run:
/// asked for good, every transaction created after the crash would be tracked to the end.
#[test]
fn a_cluster_below_its_quorum_for_good_is_asked_no_more() {
    let runs: Vec<_> = [
        ("{ model: bft, faults: 1 }", "[2, 3]"),
        ("{ model: raft, nodes: 5 }", "[2, 3, 4]"),
    ]
    .into_iter()
    .map(|(cluster, nodes)| {
        let faults = format!("faults:\n  crashes: [{{ nodes: {nodes}, at_s: 150 }}]\n");
        let (short_held, short_peak, short_created, _) = held(600, cluster, &faults);
        let (long_held, long_peak, long_created, _) = held(2400, cluster, &faults);
        eprintln!(
            "{cluster} losing {nodes}: {short_created} then {long_created} created, \
             {short_held} then {long_held} held"
        );
        assert!(long_created > 3 * short_created);
        (
            cluster,
            nodes,
            (short_held, short_peak),
            (long_held, long_peak),
        )
    })
    .collect();
    for (cluster, nodes, short, long) in runs {
        let label = format!("{cluster} losing {nodes} for good");
        common::notary_held_flat(&label, short, long);
    }
}
