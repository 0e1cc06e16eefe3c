//! Pay-per-use over payment channels: no payment before its funding settles, two ledger
//! transactions per channel of N payments, and every use accounted for off the ledger.

mod common;

use common::metric;

/// `consumers` consumers of 10 providers; Nakamoto with 30 s blocks and 2 confirmations, so a
/// funding takes about a minute to settle while uses come every 10 s on average.
fn yaml(consumers: u32, n: u32, extra: &str) -> String {
    format!(
        "
seed: 5
duration_s: 3600
devices:
  - name: shared
    count: {}
    workload:
      model: pay_per_use
      providers: 10
      uses_per_s: 0.1
      payments_per_channel: {n}
{extra}
gateways: {{ count: 5 }}
validators: {{ count: 10 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 2 }}
",
        consumers + 10
    )
}

#[test]
fn no_payment_flows_before_its_funding_settles() {
    for early in ["wait", "refuse"] {
        let s = common::scenario(&yaml(100, 10, &format!("      early_uses: {early}")));
        let out = common::run(&s);
        // Uses do come before the funding settles, so the check has work to do.
        let held = metric(&out, "payments_waited") + metric(&out, "payments_refused");
        assert!(held > 100.0, "{early}: {held} uses before funding");
        assert_eq!(metric(&out, "payments_before_funding"), 0.0, "{early}");
        // A funding settles after two blocks: well over a block interval on average.
        let usable = metric(&out, "channel_usable_mean_s");
        assert!(usable > 30.0, "{early}: usable after {usable} s");
        if early == "refuse" {
            assert_eq!(metric(&out, "payments_waited"), 0.0);
        }
    }
}

#[test]
fn channels_closed_after_n_payments_cost_two_ledger_transactions_per_n() {
    for n in [1, 4, 10] {
        let out = common::run(&common::scenario(&yaml(50, n, "")));
        assert!(metric(&out, "channels_closed") >= 20.0, "n = {n}");
        let per = metric(&out, "channel_onchain_tx_per_payment");
        assert!((per - 2.0 / f64::from(n)).abs() < 1e-12, "n = {n}: {per}");
    }
}

#[test]
fn a_time_limit_closes_channels_before_their_n_payments() {
    let out = common::run(&common::scenario(&yaml(50, 50, "      channel_max_s: 60")));
    // A channel pays the uses that waited for its funding (about a minute's worth, six),
    // then about six more in its minute: far fewer than 50, so far more than 2 / 50 ledger
    // transactions per payment.
    let per = metric(&out, "channel_onchain_tx_per_payment");
    assert!(per > 2.0 / 20.0 && per < 2.0 / 6.0, "{per}");
    assert!(metric(&out, "channels_closed") > 500.0);
}

#[test]
fn every_use_is_accepted_refused_or_waiting_and_uses_follow_their_rate() {
    let out = common::run(&common::scenario(&yaml(200, 5, "")));
    let offered = metric(&out, "payments_offered");
    let ends = [
        "payments_accepted",
        "payments_refused",
        "payments_waiting_at_end",
    ];
    let sum: f64 = ends.iter().map(|m| metric(&out, m)).sum();
    assert_eq!(offered, sum);
    // 200 consumers × 0.1 uses/s × 3600 s = 72,000 (Poisson: sd 268).
    assert!((offered - 72_000.0).abs() < 1_500.0, "{offered}");
    assert_eq!(
        metric(&out, "offchain_messages"),
        metric(&out, "payments_accepted")
    );
    let kinds = &out.kinds;
    let created = |k: &str| {
        kinds
            .iter()
            .find(|r| r.kind == k && r.outcome == "created")
            .map_or(0, |r| r.transactions) as f64
    };
    assert_eq!(created("channel_open"), metric(&out, "channels_opened"));
    assert_eq!(created("channel_close"), metric(&out, "channels_closed"));
    assert_eq!(created("reading"), 0.0);
}
