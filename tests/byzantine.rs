//! Byzantine validators in PBFT, HotStuff and Tendermint: with at most f of 3f + 1
//! equivocating (the leader included) or withholding their votes, honest replicas never decide different values
//! at one position and honest requests settle; with f + 1 equivocating, the quorums no longer
//! intersect in an honest replica and two honest replicas decide conflicting values.

mod common;

use std::collections::BTreeMap;
use unchained::consensus::byzantine::Byzantine;
use unchained::consensus::{hotstuff::HotStuff, pbft::Pbft, tendermint::Tendermint, xrpl::Xrpl};
use unchained::engine::{Time, from_secs};
use unchained::metrics::RunOutput;
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

const DURATION_S: f64 = 30.0;

fn yaml(seed: u32, n: u32, protocol: &str, byzantine: &[u32], behaviour: &str) -> String {
    let ids = byzantine
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "
seed: {seed}
duration_s: {DURATION_S}
devices:
  - count: 40
    workload: {{ model: poisson, rate_per_s: 0.5 }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1e12 }}
gateways: {{ count: {n}, backhaul_bps: 1e12 }}
validators: {{ count: {n} }}
network:
  latency: {{ model: constant, one_way_ms: {}, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
  jitter: pareto
  processing_ms: 0
consensus: {{ protocol: {protocol}, batch_max_tx: 20, {timeouts} }}
adversary: {{ kind: byzantine, nodes: [{ids}], behaviour: {behaviour} }}
",
        10 + seed % 7,
        timeouts = match protocol {
            "tendermint" =>
                "timeout_propose_ms: 500, timeout_prevote_ms: 200, \
                             timeout_precommit_ms: 200, timeout_delta_ms: 100",
            _ => "view_timeout_ms: 500",
        },
    )
}

/// What a run leaves to check: the summary, honest replicas' logs, requests of honest origins
/// that reached them before `DURATION_S − 10` and did not settle, decisions made.
struct Outcome {
    out: RunOutput,
    honest_logs: Vec<BTreeMap<u64, u32>>,
    unsettled: usize,
    decisions: u64,
}

fn unsettled(reqs: &unchained::consensus::pbft::requests::Requests, byz: &Byzantine) -> usize {
    let before: Time = from_secs(DURATION_S - 10.0);
    reqs.live()
        .filter(|&(r, q)| q.reached < before && byz.is_honest(q.origin) && !reqs.is_settled(r))
        .count()
}

/// Runs `text` with the BFT protocol of `$variant` (with its Byzantine validators) and
/// collects the honest validators' decision logs.
macro_rules! bft_outcome {
    ($text:expr, $variant:ident, $proto:ty $(, $keep:ident)?) => {{
        let s = common::scenario($text);
        let Consensus::$variant(p) = &s.consensus else {
            panic!("not {}", stringify!($variant))
        };
        let proto =
            <$proto>::new(p, s.validators.count as u32).with_adversary(s.adversary.as_ref())$(.$keep())?;
        let (out, proto, nodes) = run_with(&s, proto, &Progress::hidden()).expect("runs");
        let byz = proto.byzantine();
        Outcome {
            honest_logs: nodes
                .iter()
                .filter(|n| byz.is_honest(n.id))
                .map(|n| n.decided.clone())
                .collect(),
            unsettled: unsettled(proto.requests(), byz),
            decisions: proto.decisions(),
            out,
        }
    }};
}

fn pbft(text: &str) -> Outcome {
    bft_outcome!(text, Pbft, Pbft, recording)
}

fn hotstuff(text: &str) -> Outcome {
    bft_outcome!(text, Hotstuff, HotStuff, recording)
}

fn tendermint(text: &str) -> Outcome {
    bft_outcome!(text, Tendermint, Tendermint, recording)
}

fn agree(o: &Outcome) -> Result<(), String> {
    let logs: Vec<_> = o.honest_logs.iter().collect();
    common::agree(&logs)
}

/// Up to f Byzantine of n = 3f + 1 (n = 4, 7, 10), the first leaders among them.
fn within_f(run: fn(&str) -> Outcome, protocol: &str, behaviour: &str) {
    let mut decided = 0;
    let mut forks = 0.0;
    for seed in 0..12u32 {
        let n = [4, 7, 10][seed as usize % 3];
        let f = (n - 1) / 3;
        let byzantine: Vec<u32> = (0..f).collect();
        let o = run(&yaml(seed, n, protocol, &byzantine, behaviour));
        assert!(o.out.conservation.holds());
        if let Err(e) = agree(&o) {
            panic!("seed {seed} n={n}: safety violated: {e}");
        }
        assert_eq!(common::metric(&o.out, "conflicting_decisions"), 0.0);
        assert_eq!(common::metric(&o.out, "byzantine_validators"), f64::from(f));
        assert_eq!(o.unsettled, 0, "seed {seed} n={n}: honest requests left");
        if protocol == "tendermint" && behaviour == "equivocate" {
            // Byzantine proposers sent conflicting blocks at some heights.
            assert!(common::metric(&o.out, "byzantine_equivocations") > 0.0);
        }
        if protocol == "hotstuff" && behaviour == "equivocate" && n > 4 {
            // Leaders 0 and 1 are both Byzantine: the coalition extended a branch, in vain.
            forks += common::metric(&o.out, "byzantine_fork_blocks");
        }
        decided += o.decisions;
    }
    // A vacuous pass would decide nothing.
    assert!(decided > 500, "{decided}");
    if protocol == "hotstuff" && behaviour == "equivocate" {
        assert!(
            forks > 0.0,
            "the forking coalition never got a quorum for a branch"
        );
    }
}

/// n = 4 with 2 equivocating (f + 1): the seeds on which two honest replicas decided different
/// values at one position. The summary metric counts exactly the positions `agree` objects to.
fn beyond_f(run: fn(&str) -> Outcome, protocol: &str) -> Vec<u32> {
    let mut broken = Vec::new();
    for seed in 0..8u32 {
        let o = run(&yaml(seed, 4, protocol, &[0, 1], "equivocate"));
        let conflicts = common::metric(&o.out, "conflicting_decisions");
        assert_eq!(agree(&o).is_err(), conflicts > 0.0, "seed {seed}");
        eprintln!("{protocol} seed {seed}: conflicting_decisions {conflicts}");
        if conflicts > 0.0 {
            broken.push(seed);
        }
    }
    broken
}

#[test]
fn pbft_safe_and_live_with_f_equivocating_including_the_primary() {
    within_f(pbft, "pbft", "equivocate");
}

#[test]
fn pbft_safe_and_live_with_f_withholding() {
    within_f(pbft, "pbft", "withhold");
}

/// With quorums of 3 of 4, two equivocating replicas plus one honest replica make a quorum
/// for each of two conflicting batches; a quorum of 4 (larger than needed) would not form.
#[test]
fn pbft_breaks_with_f_plus_one_equivocating() {
    let broken = beyond_f(pbft, "pbft");
    eprintln!("pbft, 2 of 4 equivocating: conflicting decisions on seeds {broken:?}");
    assert!(!broken.is_empty());
}

#[test]
fn hotstuff_safe_and_live_with_f_equivocating_including_the_leader() {
    within_f(hotstuff, "hotstuff", "equivocate");
}

#[test]
fn hotstuff_safe_and_live_with_f_withholding() {
    within_f(hotstuff, "hotstuff", "withhold");
}

/// With 2 of 4 equivocating, leader 0's views are followed by accomplice 1's: 1 collects each
/// branch's votes (two Byzantine and one honest replica make a quorum of 3) and 0 extends each
/// branch in its next views, shown to one honest replica only, until both hold a three-chain.
#[test]
fn hotstuff_breaks_with_f_plus_one_equivocating() {
    let broken = beyond_f(hotstuff, "hotstuff");
    eprintln!("hotstuff, 2 of 4 equivocating: conflicting decisions on seeds {broken:?}");
    assert!(broken.len() >= 4, "{broken:?}");
}

#[test]
fn tendermint_safe_and_live_with_f_equivocating_including_proposers() {
    within_f(tendermint, "tendermint", "equivocate");
}

#[test]
fn tendermint_safe_and_live_with_f_withholding() {
    within_f(tendermint, "tendermint", "withhold");
}

/// With quorums of 3 of 4, the two equivocating validators and one honest validator prevote
/// and precommit each of a Byzantine proposer's two blocks: the honest halves decide both.
#[test]
fn tendermint_breaks_with_f_plus_one_equivocating() {
    let broken = beyond_f(tendermint, "tendermint");
    eprintln!("tendermint, 2 of 4 equivocating: conflicting decisions on seeds {broken:?}");
    assert!(broken.len() >= 4, "{broken:?}");
}

/// Two of four withholding leave two honest validators, short of a quorum of three: nothing
/// is decided, and nothing conflicting either.
#[test]
fn tendermint_stalls_with_f_plus_one_withholding() {
    for seed in 0..3u32 {
        let o = tendermint(&yaml(seed, 4, "tendermint", &[0, 1], "withhold"));
        assert_eq!(o.decisions, 0, "seed {seed}");
        assert_eq!(common::metric(&o.out, "conflicting_decisions"), 0.0);
    }
}

fn xrpl_yaml(seed: u32, byzantine: u32, behaviour: &str, quorum: f64) -> String {
    let ids = (0..byzantine)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "
seed: {seed}
duration_s: 60
validators: {{ count: 20 }}
devices:
  - count: 500
    workload: {{ model: poisson, rate_per_s: 0.05 }}
gateways: {{ count: 20 }}
network:
  latency: {{ model: constant, one_way_ms: 20, bandwidth_bps: 1.0e8 }}
consensus: {{ protocol: xrpl, unl: {{ model: all }}, quorum: {quorum} }}
adversary: {{ kind: byzantine, nodes: [{ids}], behaviour: {behaviour} }}
"
    )
}

/// A run's summary and, per honest validator, how many ledgers it fully validated.
fn xrpl(text: &str) -> (RunOutput, Vec<usize>) {
    let s = common::scenario(text);
    let Consensus::Xrpl(p) = &s.consensus else {
        panic!("not xrpl")
    };
    let proto = Xrpl::new(p, s.validators.count as u32)
        .with_adversary(s.adversary.as_ref())
        .keep_logs();
    let (out, proto, nodes) = run_with(&s, proto, &Progress::hidden()).expect("runs");
    let byz = proto.byzantine();
    // Counted as decisions are made, without the logs: the same as found in them.
    let logged = byz.conflicting_decisions(nodes.iter().map(|n| (n.id(), n.validated())));
    assert_eq!(common::metric(&out, "conflicting_decisions"), logged as f64);
    let validated = (0..nodes.len() as u32)
        .filter(|&v| byz.is_honest(v))
        .map(|v| nodes[v as usize].validated().len())
        .collect();
    (out, validated)
}

/// One shared UNL of 20, quorum 80 %: up to 4 Byzantine (the liveness bound n − qn)
/// equivocating or withholding, every honest validator keeps validating ledgers and no two
/// validate different ones at a sequence; 11 two-faced ones (55 %, below the safety bound
/// (2q − 1)n = 12) still cannot fork it.
#[test]
fn xrpl_no_fork_below_the_bounds() {
    let mut cases = Vec::new();
    for seed in 0..3 {
        for b in [3, 4] {
            cases.push((seed, b, "equivocate"));
            cases.push((seed, b, "withhold"));
        }
        cases.push((seed, 11, "equivocate"));
    }
    for (seed, b, behaviour) in cases {
        let (out, validated) = xrpl(&xrpl_yaml(seed, b, behaviour, 0.8));
        let conflicts = common::metric(&out, "conflicting_decisions");
        eprintln!(
            "xrpl {b} {behaviour} seed {seed}: conflicts {conflicts}, validated {validated:?}"
        );
        assert_eq!(conflicts, 0.0, "seed {seed}, {b} {behaviour}");
        assert_eq!(common::metric(&out, "byzantine_validators"), f64::from(b));
        if b <= 4 {
            // 60 s at one ledger every 4 s or so.
            assert!(validated.iter().all(|&v| v >= 10), "{validated:?}");
        }
    }
}

/// Five withholding of 20 leave 15 honest, short of the quorum of 16: nothing is validated.
#[test]
fn xrpl_stalls_beyond_the_liveness_bound() {
    for seed in 0..2 {
        let (_, validated) = xrpl(&xrpl_yaml(seed, 5, "withhold", 0.8));
        assert!(validated.iter().all(|&v| v == 0), "{validated:?}");
    }
}

/// From (2q − 1)n two-faced validators on, each honest half gets a quorum of proposals and
/// validations for its own ledger: 12 of 20 at quorum 80 %, and already 11 at quorum 75 %
/// (bound 10), where the same 11 could not fork it at 80 %.
#[test]
fn xrpl_forks_beyond_the_safety_bound() {
    for (b, quorum) in [(12, 0.8), (11, 0.75)] {
        for seed in 0..3 {
            let (out, _) = xrpl(&xrpl_yaml(seed, b, "equivocate", quorum));
            let conflicts = common::metric(&out, "conflicting_decisions");
            eprintln!("xrpl {b} two-faced, quorum {quorum}, seed {seed}: conflicts {conflicts}");
            assert!(conflicts > 0.0, "seed {seed}, {b} at {quorum}");
        }
    }
}

/// The two-faced and equivocating strategies draw nothing of their own: a run repeats bit for
/// bit.
#[test]
fn byzantine_runs_repeat_exactly() {
    let bits = |text: &str| -> Vec<(String, u64)> {
        let s = common::scenario(text);
        let out = common::run(&s);
        out.summary
            .into_iter()
            .map(|(k, v)| (k, v.as_f64().to_bits()))
            .collect()
    };
    for text in [
        yaml(3, 7, "tendermint", &[0, 1], "equivocate"),
        yaml(2, 4, "hotstuff", &[0, 1], "equivocate"),
        xrpl_yaml(1, 12, "equivocate", 0.8),
    ] {
        assert_eq!(bits(&text), bits(&text));
    }
}
