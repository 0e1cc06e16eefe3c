//! The notary lets go of transactions, consumed states and cluster records once nothing can
//! name them again, so what it holds follows the transactions in flight, not the length of
//! the run.

mod common;

use unchained::consensus::notary::Notary;
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

/// Items the notary held at the end of a run of `duration_s` on `cluster`, the most
/// transactions it tracked at once, and the transactions created.
fn held(duration_s: u32, cluster: &str) -> (usize, usize, u64) {
    let s = common::scenario(&format!(
        "
duration_s: {duration_s}
devices:
  - {{ count: 1000, workload: {{ model: periodic, interval_s: 60, jitter_s: 5 }} }}
gateways: {{ count: 10 }}
validators: {{ count: 7 }}
consensus: {{ protocol: notary, cluster: {cluster}, double_spend_share: 0.05 }}
"
    ));
    let Consensus::Notary(p) = &s.consensus else {
        unreachable!("notary")
    };
    let notary = Notary::new(p, s.validators.count as u32, s.seed);
    let (out, notary, nodes) = run_with(&s, notary, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds(), "{:?}", out.conservation);
    assert_eq!(common::metric(&out, "conflicting_signed"), 0.0);
    assert!(common::metric(&out, "double_spend_rejected") > 0.0);
    (
        notary.held(&nodes),
        notary.peak_transactions(),
        out.conservation.created,
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
        let (short_held, short_peak, short_created) = held(600, cluster);
        let (long_held, long_peak, long_created) = held(2400, cluster);
        eprintln!(
            "{cluster}: 600 s: {short_held} held at the end, {short_peak} transactions at most, \
             {short_created} created; 2400 s: {long_held}, {long_peak}, {long_created}"
        );
        assert!(long_created > 3 * short_created, "{cluster}");
        assert!(
            long_held as f64 <= 1.2 * short_held as f64 + 100.0,
            "{cluster}: {long_held} held after 2400 s vs {short_held} after 600 s"
        );
        assert!(
            long_peak as f64 <= 1.2 * short_peak as f64 + 100.0,
            "{cluster}: {long_peak} tracked at once over 2400 s vs {short_peak} over 600 s"
        );
    }
}
