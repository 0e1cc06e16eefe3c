//! The world leaves out copies of a flooded block that reach a validator after another copy
//! already on its way there (`Protocol::copy_key`), and announcements of a block their
//! receiver already fetches (`Protocol::futile`, under `relay_model: announce`). That must
//! change nothing but the count of events: every table and chart, and every summary row except
//! `events` and `net_redundant_copies`, equal a run that queues every message, with link loss,
//! partitions, an eclipse, selfish mining and a fleet. With crashes it stays off: a copy that
//! arrives while its validator is down is lost, so the one behind it would matter.

mod common;

use std::collections::BTreeMap;
use unchained::consensus::nakamoto::{Msg, Nakamoto, Node, Timer};
use unchained::consensus::{Ctx, Gossip, Kind, Protocol, Report, TxIn};
use unchained::engine::Time;
use unchained::metrics::{Metrics, RunOutput};
use unchained::scenario::Consensus;
use unchained::world::{Progress, run_with};

/// Nakamoto without a copy key: every copy is queued and delivered.
struct EveryCopy(Nakamoto);

impl Protocol for EveryCopy {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn new_node(&self, id: u32) -> Node {
        self.0.new_node(id)
    }
    fn on_start(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        self.0.on_start(node, ctx)
    }
    fn kind(&self, msg: &Msg) -> Kind {
        self.0.kind(msg)
    }
    fn bulk(&self, msg: &Msg) -> bool {
        self.0.bulk(msg)
    }
    fn gossip(&self) -> Option<Gossip> {
        self.0.gossip()
    }
    fn on_transactions(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, txs: &[TxIn]) {
        self.0.on_transactions(node, ctx, txs)
    }
    fn on_message(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, from: u32, msg: Msg) {
        self.0.on_message(node, ctx, from, msg)
    }
    fn on_timer(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, timer: Timer) {
        self.0.on_timer(node, ctx, timer)
    }
    fn on_recover(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        self.0.on_recover(node, ctx)
    }
    fn on_crash(&mut self, node: &mut Node, now: Time) {
        self.0.on_crash(node, now)
    }
    fn mempool_len(&self) -> u64 {
        self.0.mempool_len()
    }
    fn finish(&mut self, nodes: &[Node], end: Time, metrics: &mut Metrics) -> Report {
        self.0.finish(nodes, end, metrics)
    }
}

fn nakamoto(text: &str) -> (unchained::scenario::Scenario, Nakamoto) {
    let s = common::scenario(text);
    let Consensus::Nakamoto(p) = &s.consensus else {
        panic!("not nakamoto")
    };
    let proto =
        Nakamoto::with_adversary(p, s.validators.count as u32, s.seed, s.adversary.as_ref());
    (s, proto)
}

fn both(text: &str) -> (RunOutput, RunOutput) {
    let (s, proto) = nakamoto(text);
    let filtered = run_with(&s, proto, &Progress::hidden()).expect("runs").0;
    let (s, proto) = nakamoto(text);
    let every = run_with(&s, EveryCopy(proto), &Progress::hidden())
        .expect("runs")
        .0;
    (filtered, every)
}

/// Every output file but the summary (long and one-row forms) and the manifest that hashes
/// it, by name.
fn files(out: &RunOutput, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let mut f = common::output_files(out, tag);
    f.retain(|name, _| {
        !name.starts_with("summary.") && !name.starts_with("run.") && name != "MANIFEST.sha256"
    });
    f
}

fn results(out: &RunOutput) -> Vec<(String, String)> {
    out.summary
        .iter()
        .filter(|(m, _)| m != "events" && m != "net_redundant_copies")
        .map(|(m, v)| (m.clone(), format!("{v:?}")))
        .collect()
}

fn check(name: &str, text: &str) -> (f64, f64) {
    let (filtered, every) = both(text);
    assert_eq!(results(&filtered), results(&every), "{name}: summary rows");
    let (a, b) = (
        files(&filtered, name),
        files(&every, &format!("{name}-all")),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (file, bytes) in &a {
        assert!(bytes == &b[file], "{name}: {file} differs");
    }
    let dropped = common::metric(&filtered, "net_redundant_copies");
    assert_eq!(common::metric(&every, "net_redundant_copies"), 0.0);
    assert_eq!(
        common::metric(&every, "events") - common::metric(&filtered, "events"),
        dropped,
        "{name}: each copy left out is one event fewer"
    );
    (dropped, common::metric(&filtered, "events"))
}

fn base(seed: u64, extra: &str) -> String {
    with_relay(seed, "ideal", extra)
}

fn with_relay(seed: u64, relay_model: &str, extra: &str) -> String {
    format!(
        "
seed: {seed}
duration_s: 3000
validators: {{ count: 60 }}
devices:
  - count: 400
    connectivity: {{ model: duty_cycle, period_s: 120, on_s: 30 }}
    workload: {{ model: poisson, rate_per_s: 0.05 }}
gateways: {{ count: 20 }}
network:
  jitter: pareto
  topology: {{ model: random, outbound: 8, max_inbound: 125 }}
  relay_model: {relay_model}
  upload: stop_and_wait
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 3, relay: compact }}
{extra}"
    )
}

#[test]
fn leaving_out_late_copies_changes_no_result() {
    for seed in [1, 2, 3] {
        let (dropped, events) = check("plain", &base(seed, ""));
        assert!(dropped > events / 4.0, "seed {seed}: {dropped} of {events}");
    }
    let faults = "faults:\n  partitions:\n    - { split: 0.4, from_s: 600, to_s: 900 }\n  \
                  links: { loss: 0.05 }\n";
    for seed in [4, 5] {
        check("faults", &base(seed, faults));
    }
    let eclipse = "adversary: { kind: eclipse, nodes: [8, 9], attackers: [7], from_s: 300, \
                   until_s: 1500 }\n";
    check("eclipse", &base(6, eclipse));
    let selfish = "adversary: { kind: selfish_mining, node: 0, hash_share: 0.35, gamma: 0.5 }\n";
    check("selfish", &base(7, selfish));
}

#[test]
fn leaving_out_futile_announcements_changes_no_result() {
    for seed in [11, 12] {
        let (dropped, events) = check("announce", &with_relay(seed, "announce", ""));
        assert!(dropped > events / 4.0, "seed {seed}: {dropped} of {events}");
    }
    // Loss arms stall timers, which may give up a fetch: announcements are all delivered.
    let faults = "faults:\n  partitions:\n    - { split: 0.4, from_s: 600, to_s: 900 }\n  \
                  links: { loss: 0.05 }\n";
    check("announce-faults", &with_relay(13, "announce", faults));
    let selfish = "adversary: { kind: selfish_mining, node: 0, hash_share: 0.35, gamma: 0.5 }\n";
    check("announce-selfish", &with_relay(14, "announce", selfish));
}

#[test]
fn crash_schedules_turn_it_off() {
    let crashes = "faults:\n  crashes:\n    - { nodes: [3, 4], at_s: 700, recover_s: 1400 }\n";
    let (dropped, _) = check("crashes", &base(8, crashes));
    assert_eq!(dropped, 0.0);
}
