//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use unchained::metrics::{PrivacyRow, RunOutput};
use unchained::scenario::{self, Scenario};
use unchained::world::{self, Progress};

pub fn scenario(yaml: &str) -> Scenario {
    scenario::parse(yaml, "test").unwrap_or_else(|e| panic!("test scenario invalid: {e}"))
}

/// Every example scenario of `scenarios/` as `(file stem, text)`, sorted, with its duration
/// cut to `duration_s` and the files it names (an area's gateway file) made absolute.
pub fn examples(duration_s: u32) -> Vec<(String, String)> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let cut: Vec<String> = text
                .lines()
                .map(|l| {
                    if l.starts_with("duration_s:") {
                        format!("duration_s: {duration_s}")
                    } else {
                        l.replace("file: ", &format!("file: {}/", dir.display()))
                    }
                })
                .collect();
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            (name, cut.join("\n"))
        })
        .collect()
}

/// One `consensus:` body per family, small enough for runs of a minute with four validators.
pub const FAMILIES: [&str; 9] = [
    "pbft",
    "hotstuff",
    "tendermint",
    "xrpl",
    "raft, orderers: 3, endorsers: 1",
    "notary, cluster: { model: raft, nodes: 4 }",
    "pos, slot_s: 1, slots_per_epoch: 4",
    "tangle, confirmation: { model: milestones, interval_s: 5 }",
    "nakamoto, block_interval_s: 5, confirmations: 2",
];

pub fn run(s: &Scenario) -> RunOutput {
    world::run(s, &Progress::hidden()).unwrap_or_else(|e| panic!("run failed: {e}"))
}

pub fn metric(out: &RunOutput, name: &str) -> f64 {
    out.metric(name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// Checks that no two logs hold different values at the same position; returns the first
/// disagreement.
pub fn agree(logs: &[&std::collections::BTreeMap<u64, u32>]) -> Result<(), String> {
    let mut seen = std::collections::BTreeMap::new();
    for (node, log) in logs.iter().enumerate() {
        for (&pos, &value) in log.iter() {
            if let Some(&(other, v)) = seen.get(&pos)
                && v != value
            {
                return Err(format!(
                    "position {pos}: node {other} decided {v}, node {node} decided {value}"
                ));
            }
            seen.entry(pos).or_insert((node, value));
        }
    }
    Ok(())
}

/// A BFT test network: `n` validators on a full mesh with constant one-way delay, 40 devices
/// sending Poisson requests through one gateway per validator; `extra` adds sections.
pub fn bft_yaml(n: u32, rate: f64, duration: f64, one_way_ms: f64, extra: &str) -> String {
    format!(
        "
seed: 5
duration_s: {duration}
devices:
  - count: 40
    workload: {{ model: poisson, rate_per_s: {rate} }}
    uplink: {{ latency_ms: 0, bandwidth_bps: 1e12 }}
gateways: {{ count: {n}, backhaul_bps: 1e12 }}
validators: {{ count: {n} }}
network:
  latency: {{ model: constant, one_way_ms: {one_way_ms}, bandwidth_bps: 1e12 }}
  topology: {{ model: full_mesh }}
  processing_ms: 0
{extra}"
    )
}

/// The mixed fault schedules of the BFT safety tests, one per seed in `0..24`: n = 4 or 7,
/// one to f + 1 random validators crashed (restarting on two seeds in three), a partition of
/// 30–70 % for a few seconds and 0–5 % loss. Yields the scenario texts.
pub fn bft_fault_schedules(consensus: &str) -> impl Iterator<Item = String> + '_ {
    (0..24u32).map(move |seed| {
        let n = [4, 7][seed as usize % 2];
        let f = (n - 1) / 3;
        let crashed = 1 + seed % (f + 1);
        let at = 2 + seed % 5;
        let recover = if seed % 3 == 0 {
            String::new()
        } else {
            format!(", recover_s: {}", at + 4 + seed % 4)
        };
        let faults = format!(
            "faults:\n  crashes: [{{ random: {crashed}, at_s: {at}{recover} }}]\n  \
             partitions: [{{ split: 0.{}, from_s: {}, to_s: {} }}]\n  links: {{ loss: 0.0{} }}\n",
            3 + seed % 5,
            5 + seed % 3,
            9 + seed % 4,
            seed % 6
        );
        let text = bft_yaml(
            n,
            0.5,
            20.0,
            10.0 + seed as f64,
            &format!("{consensus}{faults}"),
        );
        with_seed(&text, seed)
    })
}

/// Ten validators split into halves of five consecutive ones from 2 s to 25 s, for `seed`.
pub fn bft_split_halves(consensus: &str, seed: u32) -> String {
    let faults = "faults: { partitions: [{ groups: [[0, 1, 2, 3, 4]], from_s: 2, to_s: 25 }] }\n";
    with_seed(
        &bft_yaml(10, 1.0, 30.0, 20.0, &format!("{consensus}{faults}")),
        seed,
    )
}

/// `n` validators, the first f = ⌊(n − 1)/3⌋ crashed for good at 5 s, 40 s long: the crashed
/// ones and the scenario text.
pub fn bft_first_f_crashed(consensus: &str, n: u32) -> (Vec<u32>, String) {
    let down: Vec<u32> = (0..(n - 1) / 3).collect();
    let ids = down
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let faults = format!("faults: {{ crashes: [{{ nodes: [{ids}], at_s: 5 }}] }}\n");
    (
        down,
        bft_yaml(n, 0.5, 40.0, 50.0, &format!("{consensus}{faults}")),
    )
}

/// `n` validators with f + 1 of them (1 to f + 1) crashed for good at 5 s, 30 s long: one
/// more than a quorum tolerates, so nothing proposed after the crash may commit.
pub fn bft_beyond_f_crashed(consensus: &str, n: u32) -> String {
    let ids = (1..=(n - 1) / 3 + 1)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let faults = format!("faults: {{ crashes: [{{ nodes: [{ids}], at_s: 5 }}] }}\n");
    bft_yaml(n, 0.5, 30.0, 50.0, &format!("{consensus}{faults}"))
}

/// Four validators cut into two halves of two from 5 s to 15 s, 40 s long: neither half
/// holds a quorum of three while cut off.
pub fn bft_healed_halves(consensus: &str) -> String {
    let faults = "faults: { partitions: [{ groups: [[0, 1], [2, 3]], from_s: 5, to_s: 15 }] }\n";
    bft_yaml(4, 0.5, 40.0, 50.0, &format!("{consensus}{faults}"))
}

/// Decisions of one validator strictly between `from_s` and `to_s` seconds.
pub fn decided_between(
    at: &BTreeMap<u64, unchained::engine::Time>,
    from_s: f64,
    to_s: f64,
) -> usize {
    let (from, to) = (
        unchained::engine::from_secs(from_s),
        unchained::engine::from_secs(to_s),
    );
    at.values().filter(|&&t| t > from && t < to).count()
}

/// Requests whose origin is up at the end (not in `down`), that reached it before `before`
/// and are not settled: the liveness count of the BFT tests (PBFT, HotStuff and Tendermint
/// share the requests store).
pub fn bft_unsettled(
    reqs: &unchained::consensus::pbft::requests::Requests,
    before: unchained::engine::Time,
    down: &[u32],
) -> usize {
    reqs.live()
        .filter(|&(r, q)| q.reached < before && !down.contains(&q.origin) && !reqs.is_settled(r))
        .count()
}

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

/// `text` (from [`bft_yaml`]) with its seed replaced.
pub fn with_seed(text: &str, seed: u32) -> String {
    text.replace("seed: 5", &format!("seed: {seed}"))
}

/// Every file a run writes, by name, from a scratch folder named after `tag`.
/// The output files of a run of `text` on a pool of `threads` threads.
pub fn files_at(threads: usize, text: &str, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let out = pool.install(|| run(&scenario(text)));
    output_files(&out, tag)
}

pub fn output_files(out: &RunOutput, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("unchained-out-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    unchained::report::write_run(out, &dir).unwrap();
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

/// Runs `text` with the XRP Ledger protocol value and hands back its validators' final states.
pub fn run_xrpl(text: &str) -> (RunOutput, Vec<unchained::consensus::xrpl::Node>) {
    use unchained::consensus::xrpl::Xrpl;
    use unchained::scenario::Consensus;
    let s = scenario(text);
    let Consensus::Xrpl(p) = &s.consensus else {
        panic!("not xrpl")
    };
    let xrpl = Xrpl::new(p, s.validators.count as u32).keep_logs();
    let (out, _, nodes) =
        world::run_with(&s, xrpl, &Progress::hidden()).unwrap_or_else(|e| panic!("{e}"));
    (out, nodes)
}

/// Asserts that the output files of runs at 1, 2 and 8 threads are the same, byte for byte.
pub fn assert_same_files(
    a: &BTreeMap<String, Vec<u8>>,
    b: &BTreeMap<String, Vec<u8>>,
    c: &BTreeMap<String, Vec<u8>>,
) {
    assert_eq!(a.keys().collect::<Vec<_>>(), c.keys().collect::<Vec<_>>());
    for (name, bytes) in a {
        assert!(bytes == &b[name], "{name} differs between 1 and 2 threads");
        assert!(bytes == &c[name], "{name} differs between 1 and 8 threads");
    }
}

/// `count` strictly periodic devices (every 60 s, no jitter, always online) behind gateways
/// configured by `gateways`, rotating keys every 5 transactions, on a small PBFT network, for
/// two simulated hours; `extra` goes into the device group (a mitigation), `observers` is the
/// list of observers, one per line.
pub fn privacy_meters(
    seed: u64,
    count: u32,
    extra: &str,
    gateways: &str,
    observers: &str,
) -> String {
    format!(
        "
seed: {seed}
duration_s: 7200
devices:
  - name: meters
    count: {count}
    workload: {{ model: periodic, interval_s: 60, jitter_s: 0 }}
    identity: {{ rotate_every_tx: 5 }}
{extra}
gateways: {gateways}
validators: {{ count: 4 }}
network:
  latency: {{ model: constant, one_way_ms: 10, bandwidth_bps: 1e8 }}
  topology: {{ model: full_mesh }}
consensus: {{ protocol: pbft }}
observers:
{observers}
"
    )
}

/// The `privacy` row of observer `name`.
pub fn privacy_row<'a>(out: &'a RunOutput, name: &str) -> &'a PrivacyRow {
    out.privacy
        .iter()
        .find(|r| r.observer == name)
        .unwrap_or_else(|| panic!("no observer {name}"))
}

/// Pay-per-use channels (an opening and a closing transaction per channel) between 440
/// devices, 40 of them providers, through 4 gateways to 4 validators for `duration_s` on
/// `consensus`, with `faults` (the section's fields, or nothing) when given.
pub fn channels_yaml(duration_s: u32, consensus: &str, faults: &str) -> String {
    let faults = if faults.is_empty() {
        String::new()
    } else {
        format!("faults: {{ {faults} }}\n")
    };
    format!(
        "
duration_s: {duration_s}
devices:
  - count: 440
    workload:
      {{ model: pay_per_use, providers: 40, uses_per_s: 0.05, payments_per_channel: 5,
        channel_max_s: 600 }}
gateways: {{ count: 4 }}
validators: {{ count: 4 }}
consensus: {consensus}
{faults}"
    )
}

/// Hop counts from `origin` to every node of `net`.
pub fn hops(net: &unchained::net::Network, origin: u32) -> Vec<u32> {
    let mut d = vec![u32::MAX; net.nodes() as usize];
    d[origin as usize] = 0;
    let mut queue = std::collections::VecDeque::from([origin]);
    while let Some(v) = queue.pop_front() {
        for &w in net.peers(v) {
            if d[w as usize] == u32::MAX {
                d[w as usize] = d[v as usize] + 1;
                queue.push_back(w);
            }
        }
    }
    d
}

/// What `tx_relay: announce` delivered by the end of a run, against the fastest path.
#[derive(Debug, Default)]
pub struct Arrivals {
    /// (transaction, node) pairs that arrived.
    pub pairs: u64,
    /// Of those, later than the fastest path.
    pub later: u64,
    /// Later than announce, request and transfer on free links: waited for a busy upload link.
    pub queued: u64,
    /// Pairs the fastest path delivers a second before the end that have not arrived.
    pub missing: u64,
    /// Transaction bytes received by nodes other than the origin.
    pub relayed_bytes: u64,
}

/// The transaction-relay row of `message`.
pub fn tx_row<'a>(out: &'a RunOutput, message: &str) -> &'a unchained::metrics::MessageRow {
    out.messages
        .iter()
        .find(|r| r.message == message && r.carries == "transactions")
        .unwrap_or_else(|| panic!("no {message} row"))
}

impl Arrivals {
    /// What announce relay over busy links must show, whatever the family: many arrivals,
    /// most later than the fastest path, some queued behind a busy upload link, some not yet
    /// arrived; each node but the origin receiving each batch it holds exactly once; the
    /// relay rows counted as sent, at least one request per transfer; conservation.
    pub fn check_congested(&self, out: &RunOutput) {
        let (pairs, later) = (self.pairs, self.later);
        assert!(pairs > 10_000, "{pairs} arrivals");
        assert!(
            later > pairs / 2,
            "{later} of {pairs} later than the fastest path"
        );
        assert!(self.queued > 0, "no transfer waited for a busy upload link");
        assert!(
            self.missing > 0,
            "every node holds what the fastest path delivers a second before the end"
        );
        assert_eq!(tx_row(out, "tx_relay").delivered_bytes, self.relayed_bytes);
        for m in ["tx_announce", "tx_request", "tx_relay"] {
            assert!(!tx_row(out, m).modeled, "{m} counted as sent, not modeled");
        }
        assert!(tx_row(out, "tx_request").messages >= tx_row(out, "tx_relay").messages);
        assert!(out.conservation.holds(), "{:?}", out.conservation);
    }
}

/// Audits every pooled transaction's arrival at every node of `s` (constant links of
/// `bps`), asserting that none beats the fastest path nor `per_hop` per hop; `hop_bytes` is
/// what one hop sends on free links (announcement, request and the transaction).
pub fn audit_arrivals(
    s: &Scenario,
    pool: &unchained::ledger::Pool,
    arrival: impl Fn(u32, u32) -> Option<unchained::engine::Time>,
    per_hop: unchained::engine::Time,
    hop_bytes: u64,
    bps: f64,
) -> Arrivals {
    use unchained::engine::Time;
    let net = unchained::net::Network::build(s);
    let origins: Vec<u32> = (0..net.nodes()).collect();
    let reach = unchained::net::Reach::build(&net, &origins);
    let end = unchained::engine::from_secs(s.duration_s);
    let transfer = |bytes: u64| (bytes as f64 * 8.0 / bps * 1e9).round() as Time;
    let mut a = Arrivals::default();
    let mut hop_table = BTreeMap::new();
    for (slot, _, t) in pool.iter() {
        let h = hop_table
            .entry(t.origin())
            .or_insert_with(|| hops(&net, t.origin()));
        for v in 0..net.nodes() {
            let fastest = t.reached + reach.delay(t.origin(), v, t.bytes()).expect("connected");
            match arrival(slot, v) {
                Some(at) => {
                    a.pairs += 1;
                    assert!(at >= fastest, "tx at {v} before the fastest path");
                    let hops = Time::from(h[v as usize]);
                    assert!(at - t.reached >= hops * per_hop, "faster than {hops} hops");
                    a.later += u64::from(at > fastest);
                    a.queued += u64::from(at - t.reached > hops * (per_hop + transfer(hop_bytes)));
                    if v != t.origin() {
                        a.relayed_bytes += u64::from(t.bytes());
                    }
                }
                None if fastest + 1_000_000_000 < end => a.missing += 1,
                None => {}
            }
        }
    }
    a
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

/// Every YAML file under `scenarios/` (scenarios, sweeps and plans), sorted.
pub fn scenario_yamls() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("scenarios")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
