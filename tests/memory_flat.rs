//! State that outlives a transaction is released once it can no longer matter, so memory
//! follows the unsettled work, not the simulated time.

mod common;

fn run(duration_s: u32) -> (f64, f64) {
    let s = common::scenario(&format!(
        "
duration_s: {duration_s}
devices:
  - {{ count: 5000, workload: {{ model: periodic, interval_s: 60 }} }}
gateways: {{ count: 20 }}
validators: {{ count: 30 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 3 }}
"
    ));
    let out = common::run(&s);
    (
        common::metric(&out, "retained_block_tx"),
        out.conservation.settled as f64,
    )
}

#[test]
fn block_contents_are_released_after_settlement() {
    let (short_kept, short_settled) = run(3600);
    let (long_kept, long_settled) = run(7200);
    assert!(
        long_settled > 1.8 * short_settled,
        "{long_settled} vs {short_settled}"
    );
    // Only the last few blocks (not yet settled everywhere, or stale) keep their lists:
    // about confirmations × block size, whatever the length of the run.
    assert!(
        long_kept < 1.3 * short_kept + 1000.0,
        "{long_kept} vs {short_kept}"
    );
    assert!(
        long_kept < 0.1 * long_settled,
        "{long_kept} of {long_settled} retained"
    );
}

/// Pay-per-use channels (an opening and a closing transaction per channel) for `duration_s`
/// on `consensus`, with the protocol object kept for inspection.
fn channels(duration_s: u32, consensus: &str) -> unchained::scenario::Scenario {
    common::scenario(&channels_yaml(duration_s, consensus))
}

fn channels_yaml(duration_s: u32, consensus: &str) -> String {
    common::channels_yaml(duration_s, consensus, "")
}

/// The most requests PBFT, HotStuff, Raft or Tendermint kept at once, and the transactions
/// settled.
fn requests_kept(duration_s: u32, consensus: &str) -> (usize, u64) {
    requests_kept_in(&channels(duration_s, consensus))
}

fn requests_kept_in(s: &unchained::scenario::Scenario) -> (usize, u64) {
    use unchained::consensus::{
        hotstuff::HotStuff, pbft::Pbft, raft::Raft, tendermint::Tendermint,
    };
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let n = s.validators.count as u32;
    match &s.consensus {
        Consensus::Pbft(p) => {
            let (out, pbft, _) = run_with(s, Pbft::new(p, n), &Progress::hidden()).expect("runs");
            assert!(out.conservation.holds());
            (pbft.requests().peak_live(), out.conservation.settled)
        }
        Consensus::Raft(p) => {
            let (out, raft, _) = run_with(s, Raft::new(p, n), &Progress::hidden()).expect("runs");
            assert!(out.conservation.holds());
            (raft.requests().peak_live(), out.conservation.settled)
        }
        Consensus::Hotstuff(p) => {
            let hs = HotStuff::new(p, n);
            let (out, hs, _) = run_with(s, hs, &Progress::hidden()).expect("runs");
            assert!(out.conservation.holds());
            (hs.requests().peak_live(), out.conservation.settled)
        }
        Consensus::Tendermint(p) => {
            let tm = Tendermint::new(p, n);
            let (out, tm, _) = run_with(s, tm, &Progress::hidden()).expect("runs");
            assert!(out.conservation.holds());
            (tm.requests().peak_live(), out.conservation.settled)
        }
        _ => unreachable!("pbft, hotstuff, raft or tendermint"),
    }
}

/// Four times the simulated time settles about four times the transactions, yet the
/// requests kept at once stay those in flight: a few seconds of arrivals (a few dozen
/// requests here), not the run's history. Fails if requests are kept after they settled
/// everywhere (the peak is then every request of the run).
#[test]
fn requests_are_released_once_executed_everywhere() {
    let families = [
        "{ protocol: pbft }",
        "{ protocol: hotstuff }",
        "{ protocol: raft }",
        "{ protocol: tendermint }",
    ];
    for consensus in families {
        let (short_kept, short_settled) = requests_kept(600, consensus);
        let (long_kept, long_settled) = requests_kept(2400, consensus);
        eprintln!(
            "{consensus}: 600 s: {short_kept} kept at most, {short_settled} settled; \
             2400 s: {long_kept}, {long_settled}"
        );
        let short = (short_kept, short_settled);
        flat(consensus, short, (long_kept, long_settled), 1000, 20);
    }
}

/// A replica down for good a minute in leaves requests it had added but not executed: every
/// other replica executes them, but they settle only at their origin, so they never do. Kept,
/// each held back the release of every request after it, and the requests kept at once
/// were the run's history from then on (HotStuff: 3,046 at most over 600 s and 13,117 over
/// 2400 s). Released with their unsettled transactions counted as pending, the peak stays a
/// few seconds of arrivals (HotStuff 33 and 35, PBFT 22 and 22).
#[test]
fn requests_of_an_origin_down_for_good_do_not_hold_back_the_release() {
    for protocol in ["hotstuff", "pbft"] {
        let kept = |d| {
            let s = four_replicas(d, protocol, "crashes: [{ nodes: [3], at_s: 60 }]");
            requests_kept_in(&s)
        };
        let (short, long) = (kept(600), kept(2400));
        eprintln!("{protocol}, replica 3 down for good: 600 s: {short:?}; 2400 s: {long:?}");
        flat(protocol, short, long, 1000, 20);
    }
}

/// The most tangle transactions held at once, and those settled, over `duration_s`: uniform
/// selection with milestones, or the weighted walk with cumulative weight.
fn tangle_held(duration_s: u32, consensus: &str, keep_all: bool) -> (usize, u64) {
    use unchained::consensus::tangle::Tangle;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let s = common::scenario(&format!(
        "
duration_s: {duration_s}
devices:
  - {{ count: 1000, workload: {{ model: periodic, interval_s: 20 }} }}
gateways: {{ count: 10 }}
validators: {{ count: 10 }}
consensus: {consensus}
"
    ));
    let Consensus::Tangle(p) = &s.consensus else {
        unreachable!("tangle")
    };
    let n = s.validators.count as u32;
    let t = Tangle::new(p, n);
    let t = if keep_all { t.keep_all() } else { t };
    let (out, t, _) = run_with(&s, t, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds());
    (t.dag().peak_live(), out.conservation.settled)
}

/// Four times the simulated time settles four times the transactions, yet the tangle holds
/// about the same number at once: those of the last release age (the weight window or ten
/// visibility horizons) and those not yet settled or, under the walk, not yet stranded below
/// every walk's start. Keeping every transaction, as before
/// release, holds the run's whole history, and the same bounds fail.
#[test]
fn tangle_transactions_are_released_once_they_can_no_longer_matter() {
    let flat = |short: (usize, u64), long: (usize, u64)| {
        long.1 > 3 * short.1
            && short.1 > 5_000
            && long.0 as f64 <= 1.3 * short.0 as f64 + 100.0
            && (long.0 as u64) < long.1 / 4
    };
    for consensus in [
        "{ protocol: tangle, confirmation: { model: milestones, interval_s: 10 } }",
        "{ protocol: tangle, tip_selection: { model: walk, alpha: 0.05, depth_s: 10 }, \
         confirmation: { model: weight, threshold: 20 } }",
    ] {
        let (short, long) = (
            tangle_held(300, consensus, false),
            tangle_held(1200, consensus, false),
        );
        eprintln!(
            "{consensus}: 300 s: {} held at most, {} settled; 1200 s: {}, {}",
            short.0, short.1, long.0, long.1
        );
        assert!(flat(short, long), "{consensus}: {short:?} then {long:?}");
        let (short, long) = (
            tangle_held(300, consensus, true),
            tangle_held(1200, consensus, true),
        );
        eprintln!("kept whole: 300 s: {} held; 1200 s: {}", short.0, long.0);
        assert!(
            !flat(short, long),
            "{consensus}: kept whole {short:?} then {long:?}"
        );
    }
}

/// Over four times the simulated time, `(most kept at once, work done)` of the long run
/// against the short one: at least three times the work (and `min_done` in the short run),
/// no more kept than 1.5 times plus 20, and less than a `share`-th of the work.
fn flat(what: &str, short: (usize, u64), long: (usize, u64), min_done: u64, share: u64) {
    let ((short_kept, short_done), (long_kept, long_done)) = (short, long);
    assert!(
        long_done > 3 * short_done && short_done > min_done,
        "{what}: {long_done} vs {short_done} done"
    );
    assert!(
        long_kept as f64 <= 1.5 * short_kept as f64 + 20.0,
        "{what}: {long_kept} kept at once over 2400 s vs {short_kept} over 600 s"
    );
    assert!(
        (long_kept as u64) < long_done / share,
        "{what}: {long_kept} kept of {long_done} done"
    );
}

/// The most decision state PBFT held at once (decisions replicas keep, `blocks` rows not yet
/// applied everywhere, batches kept), and the sequence numbers decided.
fn pbft_decision_state(duration_s: u32) -> (usize, u64) {
    use unchained::consensus::pbft::Pbft;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let s = channels(duration_s, "{ protocol: pbft }");
    let Consensus::Pbft(p) = &s.consensus else {
        unreachable!("pbft")
    };
    let pbft = Pbft::new(p, s.validators.count as u32);
    let (out, pbft, _) = run_with(&s, pbft, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds());
    (pbft.peak_decision_state(), pbft.decisions())
}

/// Decision state is released once every replica that can still ask for it has executed it:
/// what is held at once is bounded by the decisions in flight (each replica's decisions above
/// the slowest one's executed point, a row per decision not yet applied everywhere, a batch
/// per sequence number not yet executed everywhere), about 4 replicas × a few sequence
/// numbers here, whatever the length of the run. Kept for the whole run, it would be about
/// 5 entries per decision (each replica's decision and its batch): with the release
/// disabled, 13,341 held at most over 600 s and 53,697 over 2400 s.
#[test]
fn pbft_decision_state_is_released_once_executed_everywhere() {
    let (short_held, short_decided) = pbft_decision_state(600);
    let (long_held, long_decided) = pbft_decision_state(2400);
    eprintln!(
        "600 s: {short_held} held at most, {short_decided} decided; \
         2400 s: {long_held}, {long_decided}"
    );
    flat(
        "pbft",
        (short_held, short_decided),
        (long_held, long_decided),
        500,
        10,
    );
}

/// The most decision state Tendermint held at once (decisions validators keep, blocks, the
/// log of first executions, `blocks` rows not yet decided everywhere), and the heights
/// decided, on four validators of which `faults` may take some down.
fn tendermint_decision_state(duration_s: u32, faults: &str) -> (usize, u64) {
    use unchained::consensus::tendermint::Tendermint;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let channels = channels_yaml(duration_s, "{ protocol: tendermint }");
    let s = common::scenario(&format!("{channels}faults: {{ {faults} }}\n"));
    let Consensus::Tendermint(p) = &s.consensus else {
        unreachable!("tendermint")
    };
    let tm = Tendermint::new(p, s.validators.count as u32);
    let (out, tm, _) = run_with(&s, tm, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds());
    (tm.peak_decision_state(), tm.decisions())
}

/// Decisions, blocks and first executions are released once every validator that can still
/// run has decided past them (decisions and blocks 128 heights later, for catch-up replies):
/// what is held at once is those 128 heights at each validator and the heights in flight,
/// whatever the length of the run, with all four validators up or with one down for good
/// after a minute (it then holds nothing back). Kept for the whole run, as before, each
/// validator holds every decision and the protocol every block and first execution: at least
/// five entries per height, and both bounds fail.
#[test]
fn tendermint_decision_state_is_released_once_every_live_validator_decided_it() {
    for faults in ["", "crashes: [{ nodes: [3], at_s: 60 }]"] {
        let short = tendermint_decision_state(600, faults);
        let long = tendermint_decision_state(2400, faults);
        eprintln!(
            "{faults:?}: 600 s: {} held at most, {} decided; 2400 s: {}, {}",
            short.0, short.1, long.0, long.1
        );
        flat("tendermint", short, long, 500, 2);
    }
}

/// Pay-per-use channels on four replicas of `protocol` with a 1 s view timeout, under `faults`.
fn four_replicas(duration_s: u32, protocol: &str, faults: &str) -> unchained::scenario::Scenario {
    let consensus = format!("{{ protocol: {protocol}, view_timeout_ms: 1000 }}");
    let channels = channels_yaml(duration_s, &consensus);
    common::scenario(&format!("{channels}faults: {{ {faults} }}\n"))
}

/// Pay-per-use channels on four HotStuff replicas, replica 3 down for good after a minute (so
/// every fourth view times out and moves on by `NEW-VIEW`s): `(most blocks held at once,
/// heights decided)` and `(most NEW-VIEW records a replica held at once, views reached)`.
fn hotstuff_held(duration_s: u32) -> ((usize, u64), (usize, u64)) {
    use unchained::consensus::hotstuff::HotStuff;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let s = four_replicas(
        duration_s,
        "hotstuff",
        "crashes: [{ nodes: [3], at_s: 60 }]",
    );
    let Consensus::Hotstuff(p) = &s.consensus else {
        unreachable!("hotstuff")
    };
    let hs = HotStuff::new(p, s.validators.count as u32);
    let (out, hs, nodes) = run_with(&s, hs, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds());
    let view = nodes.iter().map(|n| n.view).max().unwrap_or(0);
    (
        (hs.peak_blocks(), hs.decisions()),
        (hs.peak_new_views(), view),
    )
}

/// Blocks are released once no replica that can still run can read them: what is held at
/// once is the chain above the lowest committed block (a three-chain and the proposal in
/// flight, a few blocks), the blocks of views some replica has not left, and the recent
/// certificates' chains, whatever the length of the run. The replica down for good holds
/// nothing back: 7 blocks at most over 600 s and over 2400 s (939 and 3,290 heights decided).
/// Kept for the whole run, the store holds every block proposed, at least one per height
/// decided, and both bounds fail.
#[test]
fn hotstuff_blocks_are_released_once_no_live_replica_can_read_them() {
    let ((short_held, short_decided), _) = hotstuff_held(600);
    let ((long_held, long_decided), _) = hotstuff_held(2400);
    eprintln!(
        "600 s: {short_held} blocks held at most, {short_decided} decided; \
         2400 s: {long_held}, {long_decided}"
    );
    flat(
        "hotstuff",
        (short_held, short_decided),
        (long_held, long_decided),
        500,
        10,
    );
}

/// A replica's `NEW-VIEW` records (senders and highest QC by view) go once it has left the
/// view: it then holds those of its current view and of the few later ones that timed-out
/// replicas already announced, whatever the length of the run (2 at most here, over 600 s
/// and 2400 s, views 1,648 and 6,350). Kept, a replica that never leads a view by
/// `NEW-VIEW`s holds one more view at each timeout it sees (here the leader of every fourth
/// view is down).
#[test]
fn hotstuff_new_view_records_are_released_once_the_replica_left_the_view() {
    let (_, short) = hotstuff_held(600);
    let (_, long) = hotstuff_held(2400);
    eprintln!(
        "600 s: {} NEW-VIEW records at most, view {}; 2400 s: {}, view {}",
        short.0, short.1, long.0, long.1
    );
    flat("hotstuff new-view", short, long, 100, 10);
}

/// PBFT on four replicas under 5 % link loss: a lost message now and then stalls a view until
/// its progress timer fires, so views change all through the run: `(most view-change records
/// held at once, views reached)`.
fn pbft_view_changes(duration_s: u32) -> (usize, u64) {
    use unchained::consensus::pbft::Pbft;
    use unchained::scenario::Consensus;
    use unchained::world::{Progress, run_with};
    let s = four_replicas(duration_s, "pbft", "links: { loss: 0.05 }");
    let Consensus::Pbft(p) = &s.consensus else {
        unreachable!("pbft")
    };
    let pbft = Pbft::new(p, s.validators.count as u32);
    let (out, pbft, nodes) = run_with(&s, pbft, &Progress::hidden()).expect("runs");
    assert!(out.conservation.holds());
    let view = nodes.iter().map(|n| n.view).max().unwrap_or(0);
    (pbft.peak_view_change_records(), view)
}

/// `VIEW-CHANGE` and `NEW-VIEW` records go once every replica has left their view (a
/// replica's installed `NEW-VIEW` stays while it answers replicas behind with it): what is
/// held at once is the records of the views being changed to, whatever the length of the
/// run (13 and 14 at most over 600 s and 2400 s, views 166 and 630). Kept, they grow by at
/// least one per view reached.
#[test]
fn pbft_view_change_records_are_released_once_every_replica_left_the_view() {
    let short = pbft_view_changes(600);
    let long = pbft_view_changes(2400);
    eprintln!(
        "600 s: {} view-change records at most, view {}; 2400 s: {}, view {}",
        short.0, short.1, long.0, long.1
    );
    flat("pbft view changes", short, long, 20, 2);
}
