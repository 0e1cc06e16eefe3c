//! XRP Ledger liveness after faults, with one shared UNL: a split that isolates 30 % (or
//! half) of the validators stops full validation (neither side holds an 80 % quorum), and
//! once it heals every validator validates again within a bound, with no two validators validating
//! different ledgers at one sequence. With exactly a quorum of validators up (the rest
//! crashed) and lossy links, ledgers keep being validated.

mod common;

use unchained::consensus::xrpl;
use unchained::engine::{Time, from_secs, to_secs};

fn network(seed: u64, n: u32, duration: f64, latency: &str, faults: &str) -> String {
    format!(
        "
seed: {seed}
duration_s: {duration}
devices:
  - count: 100
    workload: {{ model: poisson, rate_per_s: 0.1 }}
gateways: {{ count: {n} }}
validators: {{ count: {n} }}
network:
  latency: {latency}
  topology: {{ model: full_mesh }}
consensus: {{ protocol: xrpl, unl: {{ model: all }} }}
{faults}
"
    )
}

/// Runs `text` and checks what every schedule here must keep: no two validators validate
/// different ledgers at one sequence, no sequence forked, conservation holds.
fn run_safe(seed: u64, text: &str) -> (unchained::metrics::RunOutput, Vec<xrpl::Node>) {
    let (out, nodes) = common::run_xrpl(text);
    let logs: Vec<_> = nodes.iter().map(|n| n.validated()).collect();
    if let Err(e) = common::agree(&logs) {
        panic!("seed {seed}: safety violated: {e}");
    }
    assert_eq!(common::metric(&out, "forked_sequences"), 0.0, "seed {seed}");
    assert!(
        out.conservation.holds(),
        "seed {seed}: {:?}",
        out.conservation
    );
    (out, nodes)
}

fn latency(seed: u64) -> String {
    match seed % 3 {
        0 => "{ model: simblock2019 }".into(),
        k => format!(
            "{{ model: constant, one_way_ms: {}, bandwidth_bps: 1.0e8 }}",
            10 + 40 * k
        ),
    }
}

/// First time after `after` each node fully validated a ledger (`None`: never).
fn resumed(nodes: &[xrpl::Node], after: Time) -> Vec<Option<Time>> {
    nodes
        .iter()
        .map(|n| n.validated_times().values().copied().find(|&t| t > after))
        .collect()
}

fn split_heals(len_s: f64, share: f64) {
    let (from, to) = (20.0, 20.0 + len_s);
    let mut worst = 0.0f64;
    for seed in 1..=6u64 {
        let n = [10, 16][seed as usize % 2];
        let text = network(
            seed,
            n,
            to + 60.0,
            &latency(seed),
            &format!("faults:\n  partitions: [{{ split: {share}, from_s: {from}, to_s: {to} }}]\n"),
        );
        let (_, nodes) = run_safe(seed, &text);
        // Neither side of the split holds a quorum: nothing is validated well inside it.
        for (v, node) in nodes.iter().enumerate() {
            let inside = node
                .validated_times()
                .values()
                .filter(|&&t| t > from_secs(from + 5.0) && t < from_secs(to))
                .count();
            assert_eq!(
                inside, 0,
                "seed {seed}: node {v} validated during the split"
            );
        }
        for (v, t) in resumed(&nodes, from_secs(to)).into_iter().enumerate() {
            let t = t.unwrap_or_else(|| panic!("seed {seed}: node {v} never validated again"));
            let after = to_secs(t) - to;
            worst = worst.max(after);
            assert!(
                after <= RESUME_BOUND_S,
                "seed {seed}: node {v} resumed {after:.1} s after the heal"
            );
        }
        // And it keeps going: several more ledgers by the end.
        let last = nodes.iter().map(|n| n.validated().len()).min().unwrap();
        let before = nodes
            .iter()
            .map(|n| {
                n.validated_times()
                    .values()
                    .filter(|&&t| t < from_secs(from))
                    .count()
            })
            .max()
            .unwrap();
        assert!(last >= before + 5, "seed {seed}: {before} → {last}");
    }
    eprintln!("split of {share} for {len_s} s: slowest node resumed {worst:.1} s after the heal");
}

/// A stalled round's positions are re-sent every 12 s (rippled's `proposeINTERVAL`) and a
/// node on the wrong ledger switches within a heartbeat; a round after the heal may take a
/// couple of re-sends.
const RESUME_BOUND_S: f64 = 20.0;

#[test]
fn validation_resumes_after_a_ten_second_split_of_thirty_percent() {
    split_heals(10.0, 0.3);
}

#[test]
fn validation_resumes_after_a_sixty_second_split_of_thirty_percent() {
    split_heals(60.0, 0.3);
}

/// Neither half has a majority either: the two chains tie, and the tie goes to the larger
/// ledger id at every node.
#[test]
fn validation_resumes_after_an_even_split() {
    split_heals(60.0, 0.5);
}

/// n validators, `n − up` crashed for good at 10 s, so exactly ⌈0.8 n⌉ remain; links lose
/// 2 % of messages. Every remaining validator keeps validating ledgers to the end.
#[test]
fn exactly_a_quorum_up_keeps_validating() {
    for seed in 1..=6u64 {
        let n = [5u32, 10, 15][seed as usize % 3];
        let up = (0.8 * n as f64).ceil() as u32;
        let down: Vec<String> = (up..n).map(|v| v.to_string()).collect();
        let duration = 160.0;
        let text = network(
            seed,
            n,
            duration,
            &latency(seed),
            &format!(
                "faults:\n  crashes: [{{ nodes: [{}], at_s: 10 }}]\n  links: {{ loss: 0.02 }}\n",
                down.join(", ")
            ),
        );
        let (_, nodes) = run_safe(seed, &text);
        for (v, node) in nodes.iter().enumerate().take(up as usize) {
            let late = node
                .validated_times()
                .values()
                .filter(|&&t| t > from_secs(duration - 40.0))
                .count();
            let after = node
                .validated_times()
                .values()
                .filter(|&&t| t > from_secs(10.0))
                .count();
            assert!(
                late >= 1 && after >= 10,
                "seed {seed}: node {v} of {n}: {after} validated after the crash, {late} in the last 40 s"
            );
        }
    }
}

/// Two of ten validators crash for good and a third is down from 40 to 50 s: after its
/// restart the quorum (8) needs it, so it must take part in rounds again (its heartbeat,
/// lost while it was down, is re-armed).
#[test]
fn a_restarted_validator_takes_part_again() {
    for seed in 1..=4u64 {
        let duration = 140.0;
        let text = network(
            seed,
            10,
            duration,
            &latency(seed),
            "faults:\n  crashes: [{ nodes: [8, 9], at_s: 10 }, { nodes: [5], at_s: 40, recover_s: 50 }]\n",
        );
        let (_, nodes) = run_safe(seed, &text);
        for (v, node) in nodes.iter().enumerate().take(8) {
            let late = node
                .validated_times()
                .values()
                .filter(|&&t| t > from_secs(duration - 40.0))
                .count();
            assert!(
                late >= 5,
                "seed {seed}: node {v} validated {late} ledgers in the last 40 s"
            );
        }
    }
}

/// Mixed schedules over 48 seeds (7, 10, 16 or 20 validators): one or two validators crash
/// for 20–60 s, a first split of 20–60 % lasts 20–60 s, a second one 15 s, links lose 0–5 %
/// and add 0–60 ms. No two validators validate different ledgers at one sequence, and every
/// validator validates again after the last fault.
#[test]
fn mixed_fault_schedules_stay_safe_and_heal() {
    let mut checked = 0;
    for seed in 0..48u64 {
        let n = [7u32, 10, 16, 20][seed as usize % 4];
        let share = [0.2, 0.3, 0.4, 0.5, 0.6][seed as usize % 5];
        let faults = format!(
            "faults:\n  crashes: [{{ random: {}, at_s: {}, recover_s: {} }}]\n  \
             partitions: [{{ split: {share}, from_s: {}, to_s: {} }}, \
             {{ split: 0.{}, from_s: 120, to_s: 135 }}]\n  \
             links: {{ loss: 0.0{}, extra_delay_ms: {} }}\n",
            1 + seed % 2,
            10 + seed % 20,
            40 + seed % 30,
            30 + seed % 10,
            50 + seed % 40,
            2 + seed % 7,
            seed % 6,
            seed % 3 * 30
        );
        let (_, nodes) = run_safe(seed, &network(seed, n, 200.0, &latency(seed), &faults));
        for (v, node) in nodes.iter().enumerate() {
            assert!(
                node.validated_times()
                    .values()
                    .any(|&t| t > from_secs(135.0)),
                "seed {seed}: node {v} of {n} validated nothing after the last fault"
            );
        }
        checked += nodes.iter().map(|n| n.validated().len()).sum::<usize>();
    }
    eprintln!("mixed faults: {checked} (node, sequence) validations checked");
}

/// Two of four validators (a lost quorum) down from 30 s to 130 s: the other two keep building
/// ledgers nobody can fully validate. On restart the two sync to the ledger their peers work
/// on, so full validation resumes within 20 s at every node, with no fork (measured 15.1–15.2
/// s on 6 seeds: the restarted pair hears the others' positions when they re-send them, every
/// 12 s).
/// Before the restart synced, the restarted pair proposed on the ledger they crashed with; on
/// the tie of support the others gave up their 25 ledgers for that branch, and could not
/// validate again until it passed the sequences they had signed: about 110 s.
#[test]
fn a_restart_that_restores_the_quorum_resumes_validation_at_once() {
    let mut worst = 0.0f64;
    for seed in 1..=6u64 {
        let text = network(
            seed,
            4,
            200.0,
            &latency(seed),
            "faults:\n  crashes: [{ nodes: [0, 1], at_s: 30, recover_s: 130 }]\n",
        );
        let (_, nodes) = run_safe(seed, &text);
        for (v, t) in resumed(&nodes, from_secs(130.0)).into_iter().enumerate() {
            let t = t.unwrap_or_else(|| panic!("seed {seed}: node {v} never validated again"));
            let after = to_secs(t) - 130.0;
            worst = worst.max(after);
            assert!(
                after < 20.0,
                "seed {seed}: node {v} validated {after:.1} s after"
            );
        }
    }
    eprintln!("quorum restored by restart: validation resumed within {worst:.1} s");
}
