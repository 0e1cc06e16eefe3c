//! The notary tests' runs and networks, and the checks they share (no state signed twice,
//! held items and open rows flat over time).

use super::{metric, scenario};
use unchained::metrics::RunOutput;
use unchained::world::{self, Progress};

/// Runs a notary scenario: the run's output, the notary and its members.
pub fn run_notary(
    text: &str,
) -> (
    RunOutput,
    unchained::consensus::notary::Notary,
    Vec<unchained::consensus::notary::Node>,
) {
    let s = scenario(text);
    let scenario::Consensus::Notary(p) = &s.consensus else {
        panic!("not notary")
    };
    let notary = unchained::consensus::notary::Notary::new(p, s.validators.count as u32, s.seed);
    world::run_with(&s, notary, &Progress::hidden()).unwrap_or_else(|e| panic!("{e}"))
}

/// The notary memory tests' load: 1,000 meters every minute through 10 gateways, 7 validators,
/// 5 % double spends, on `cluster` under `faults`. The run must conserve, sign no state twice
/// and reject some double spends.
pub fn run_notary_meters(
    duration_s: u32,
    cluster: &str,
    faults: &str,
) -> (
    RunOutput,
    unchained::consensus::notary::Notary,
    Vec<unchained::consensus::notary::Node>,
) {
    let (out, notary, nodes) = run_notary(&format!(
        "
duration_s: {duration_s}
devices:
  - {{ count: 1000, workload: {{ model: periodic, interval_s: 60, jitter_s: 5 }} }}
gateways: {{ count: 10 }}
validators: {{ count: 7 }}
consensus: {{ protocol: notary, cluster: {cluster}, double_spend_share: 0.05 }}
{faults}"
    ));
    assert!(out.conservation.holds(), "{:?}", out.conservation);
    assert_eq!(metric(&out, "conflicting_signed"), 0.0);
    assert!(metric(&out, "double_spend_rejected") > 0.0);
    (out, notary, nodes)
}

/// The notary fault tests' network: 300 meters every 10 s through 20 gateways, `validators`
/// on the SimBlock 2019 regions; `cluster` and `timers` complete the consensus section.
pub fn notary_faults_yaml(
    seed: u64,
    validators: u32,
    cluster: &str,
    share: f64,
    duration: f64,
    timers: &str,
    faults: &str,
) -> String {
    format!(
        "
seed: {seed}
duration_s: {duration}
devices:
  - count: 300
    workload: {{ model: periodic, interval_s: 10, jitter_s: 2 }}
gateways: {{ count: 20 }}
validators: {{ count: {validators} }}
network:
  latency: {{ model: simblock2019 }}
consensus:
  protocol: notary
  cluster: {cluster}
  double_spend_share: {share}
{timers}
{faults}"
    )
}

/// One signed transaction per consumed state, checked from the test's side: the signed count.
pub fn assert_no_state_signed_twice(
    notary: &unchained::consensus::notary::Notary,
    label: &str,
) -> usize {
    let mut inputs: Vec<u64> = notary
        .transactions()
        .iter()
        .filter(|t| t.signed)
        .map(|t| t.input)
        .collect();
    let signed = inputs.len();
    inputs.sort_unstable();
    inputs.dedup();
    assert_eq!(inputs.len(), signed, "{label}: a state signed away twice");
    signed
}

/// A notary's items held at the end and the most transactions it tracked at once, `(held,
/// most tracked)` over 600 s and over 2,400 s: no more than 1.2 times those of 600 s plus 100
/// after four times the simulated time.
pub fn notary_held_flat(label: &str, short: (usize, usize), long: (usize, usize)) {
    let ((short_held, short_peak), (long_held, long_peak)) = (short, long);
    eprintln!(
        "{label}: 600 s: {short_held} held at the end, {short_peak} transactions at most; \
         2400 s: {long_held}, {long_peak}"
    );
    assert!(
        long_held as f64 <= 1.2 * short_held as f64 + 100.0,
        "{label}: {long_held} held after 2400 s vs {short_held} after 600 s"
    );
    assert!(
        long_peak as f64 <= 1.2 * short_peak as f64 + 100.0,
        "{label}: {long_peak} tracked at once over 2400 s vs {short_peak} over 600 s"
    );
}

/// The most `blocks` rows a notary held open at once, with a cluster member down for good,
/// over 600 s and 2,400 s (`(rows, transactions created)` each): four times the transactions,
/// yet no more than 1.2 times the rows plus 100.
pub fn notary_rows_flat(label: &str, short: (usize, u64), long: (usize, u64)) {
    let ((short_open, short_created), (long_open, long_created)) = (short, long);
    eprintln!(
        "{label} down for good: 600 s: {short_open} rows open at most, {short_created} \
         created; 2400 s: {long_open}, {long_created}"
    );
    assert!(long_created > 3 * short_created);
    assert!(
        long_open as f64 <= 1.2 * short_open as f64 + 100.0,
        "{long_open} rows open at most over 2400 s vs {short_open} over 600 s"
    );
}
