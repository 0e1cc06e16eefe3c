//! Pay-per-use channels closed by a dispute: one party closes alone, the challenge period
//! runs from the dispute's settlement, then a final close settles. A disputed channel costs
//! three ledger transactions and keeps its deposit locked for at least the period.

mod common;

use common::metric;

const TIMEOUT_S: f64 = 300.0;
const DEPOSIT: f64 = 2.0;
const N: u32 = 5;

/// 50 consumers of 10 providers on PBFT (settlement well under a second), channels of `N`
/// payments, with `extra` added to the workload.
fn run(extra: &str) -> unchained::metrics::RunOutput {
    let s = common::scenario(&format!(
        "
seed: 3
duration_s: 3600
devices:
  - name: shared
    count: 60
    workload:
      {{ model: pay_per_use, providers: 10, uses_per_s: 0.1, payments_per_channel: {N},
        deposit: {DEPOSIT}{extra} }}
gateways: {{ count: 5 }}
validators: {{ count: 4 }}
consensus: {{ protocol: pbft }}
"
    ));
    let out = common::run(&s);
    assert!(out.conservation.holds(), "{extra}");
    out
}

fn created(out: &unchained::metrics::RunOutput, kind: &str) -> f64 {
    out.kinds
        .iter()
        .find(|r| r.kind == kind && r.outcome == "created")
        .map_or(0, |r| r.transactions) as f64
}

fn disputed(share: f64) -> unchained::metrics::RunOutput {
    run(&format!(
        ", dispute_share: {share}, dispute_timeout_s: {TIMEOUT_S}"
    ))
}

#[test]
fn a_dispute_share_of_zero_changes_nothing() {
    let plain = run("");
    let zero = disputed(0.0);
    // Debug text, so that NaN rows (no block arrivals here) compare equal.
    assert_eq!(
        format!("{:?}", plain.summary),
        format!("{:?}", zero.summary)
    );
    assert_eq!(plain.kinds, zero.kinds);
    assert_eq!(created(&zero, "channel_dispute"), 0.0);
    let per = metric(&zero, "channel_onchain_tx_per_payment");
    assert!((per - 2.0 / f64::from(N)).abs() < 1e-12, "{per}");
}

/// Every close disputed: a funding, a dispute and a final close per channel of N payments
/// (3 / N exactly), each final close created only after its dispute settled, and each
/// dispute holding the capital at least the challenge period.
#[test]
fn every_disputed_channel_costs_three_ledger_transactions() {
    let out = disputed(1.0);
    let closed = metric(&out, "channels_closed");
    assert!(closed > 500.0, "{closed}");
    assert_eq!(metric(&out, "channels_disputed"), closed);
    assert_eq!(created(&out, "channel_dispute"), closed);
    let per = metric(&out, "channel_onchain_tx_per_payment");
    assert!((per - 3.0 / f64::from(N)).abs() < 1e-12, "{per}");
    // Finals exist only for settled disputes whose period ends within the run: the last
    // five minutes' disputes (about a twelfth of an hour's) have none.
    let finals = created(&out, "channel_close");
    let settled = metric(&out, "channel_disputes_settled");
    assert_eq!(finals, metric(&out, "channel_dispute_closes"));
    assert!(
        finals <= settled && finals > 0.8 * settled,
        "{finals} of {settled}"
    );
    for q in ["max", "p50", "mean"] {
        let held = metric(&out, &format!("channel_dispute_held_{q}_s"));
        assert!(held >= TIMEOUT_S, "{q}: {held}");
    }
}

/// The same uses with every close disputed keep the deposits locked at least the period
/// longer per final close settled (settlement takes well under a second, so the channels
/// open and close at the same uses in both runs).
#[test]
fn a_dispute_locks_the_deposit_for_its_challenge_period() {
    let plain = run("");
    let all = disputed(1.0);
    let extra = metric(&all, "capital_locked_unit_s") - metric(&plain, "capital_locked_unit_s");
    let finals = metric(&all, "channel_closes_settled");
    assert!(finals > 400.0, "{finals}");
    assert!(
        extra >= DEPOSIT * TIMEOUT_S * finals,
        "{extra} unit·s more for {finals} disputed channels"
    );
}

/// A share of one half disputes about half the closes (binomial, within 4 sd).
#[test]
fn the_dispute_share_is_the_share_of_disputed_closes() {
    let out = disputed(0.5);
    let closed = metric(&out, "channels_closed");
    let share = metric(&out, "channels_disputed") / closed;
    let sd = (0.25 / closed).sqrt();
    assert!((share - 0.5).abs() < 4.0 * sd, "{share} of {closed}");
}
