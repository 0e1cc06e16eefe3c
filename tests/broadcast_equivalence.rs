//! A broadcast (`Ctx::broadcast`), queued once with each receiver's delivery derived when due
//! (issue 19), has the outcome of one message to each other validator: a run whose broadcasts
//! are expanded into single sends before the world sees them is the same, table by table,
//! under crashes, a partition, link loss and added delay, at the end of the run included. The
//! XRP Ledger's honest validators broadcast too, and the notary's BFT cluster to its members
//! only (the network's first nodes).

mod common;

use unchained::consensus::{
    Ctx, Gossip, Kind, Protocol, Report, TxIn, hotstuff::HotStuff, notary::Notary, pbft::Pbft,
    quorum::Usage, tendermint::Tendermint, xrpl::Xrpl,
};
use unchained::engine::{Command, Time};
use unchained::metrics::Metrics;
use unchained::scenario::{Consensus, Scenario};
use unchained::world::{Progress, run_with};

/// The protocol `P` with every broadcast turned into one send per other validator.
struct Unicast<P>(P);

fn expand<M: Copy, T>(ctx: &mut Ctx<M, T>) {
    let (n, me) = (ctx.net.nodes(), ctx.node);
    for cmd in std::mem::take(ctx.out) {
        match cmd {
            Command::Broadcast { msg, bytes, upto } => {
                for to in (0..n.min(upto)).filter(|&to| to != me) {
                    ctx.out.push(Command::Send { to, msg, bytes });
                }
            }
            other => ctx.out.push(other),
        }
    }
}

impl<P: Protocol> Protocol for Unicast<P> {
    type Node = P::Node;
    type Msg = P::Msg;
    type Timer = P::Timer;

    fn new_node(&self, id: u32) -> P::Node {
        self.0.new_node(id)
    }
    fn on_start(&mut self, node: &mut P::Node, ctx: &mut Ctx<P::Msg, P::Timer>) {
        self.0.on_start(node, ctx);
        expand(ctx);
    }
    fn on_transactions(
        &mut self,
        node: &mut P::Node,
        ctx: &mut Ctx<P::Msg, P::Timer>,
        txs: &[TxIn],
    ) {
        self.0.on_transactions(node, ctx, txs);
        expand(ctx);
    }
    fn on_message(
        &mut self,
        node: &mut P::Node,
        ctx: &mut Ctx<P::Msg, P::Timer>,
        from: u32,
        msg: P::Msg,
    ) {
        self.0.on_message(node, ctx, from, msg);
        expand(ctx);
    }
    fn on_timer(&mut self, node: &mut P::Node, ctx: &mut Ctx<P::Msg, P::Timer>, t: P::Timer) {
        self.0.on_timer(node, ctx, t);
        expand(ctx);
    }
    fn on_recover(&mut self, node: &mut P::Node, ctx: &mut Ctx<P::Msg, P::Timer>) {
        self.0.on_recover(node, ctx);
        expand(ctx);
    }
    fn on_crash(&mut self, node: &mut P::Node, now: Time) {
        self.0.on_crash(node, now);
    }
    fn on_down_for_good(&mut self, node: &mut P::Node, now: Time) {
        self.0.on_down_for_good(node, now);
    }
    fn kind(&self, msg: &P::Msg) -> Kind {
        self.0.kind(msg)
    }
    fn gossip(&self) -> Option<Gossip> {
        self.0.gossip()
    }
    fn copy_key(&self, msg: &P::Msg) -> Option<u32> {
        self.0.copy_key(msg)
    }
    fn futile(&self, to: u32, msg: &P::Msg) -> bool {
        self.0.futile(to, msg)
    }
    fn bulk(&self, msg: &P::Msg) -> bool {
        self.0.bulk(msg)
    }
    fn vote_usage(&self, nodes: &[P::Node]) -> Usage {
        self.0.vote_usage(nodes)
    }
    fn spill_rows(&mut self, to: &unchained::metrics::spill::Spill) {
        self.0.spill_rows(to);
    }
    fn tx_relay_mut(&mut self) -> Option<&mut unchained::consensus::tx_relay::TxRelay> {
        self.0.tx_relay_mut()
    }
    fn partition(&mut self, bounds: &[u32]) -> bool {
        self.0.partition(bounds)
    }
    fn window_end(&mut self, metrics: &mut Metrics) {
        self.0.window_end(metrics);
    }
    fn mempool_len(&self) -> u64 {
        self.0.mempool_len()
    }
    fn finish(&mut self, nodes: &[P::Node], end: Time, metrics: &mut Metrics) -> Report {
        self.0.finish(nodes, end, metrics)
    }
}

fn scenario(consensus: &str, duration_s: u32) -> Scenario {
    common::scenario(&format!(
        "name: broadcasts
seed: 5
duration_s: {duration_s}
devices:
  - name: meters
    count: 2000
    connectivity: {{ model: duty_cycle, period_s: 60, on_s: 10 }}
    workload: {{ model: periodic, interval_s: 60, jitter_s: 5 }}
gateways: {{ count: 10, batch_interval_ms: 500 }}
validators: {{ count: 13 }}
network:
  latency: {{ model: simblock2019 }}
  topology: {{ model: full_mesh }}
consensus: {consensus}
faults:
  links: {{ loss: 0.03, extra_delay_ms: 7 }}
  crashes:
    - {{ nodes: [0], at_s: 60 }}
    - {{ nodes: [5], at_s: 200, recover_s: 260 }}
  partitions:
    - {{ split: 0.5, from_s: 120, to_s: 150 }}
"
    ))
}

fn same<P: Protocol>(s: &Scenario, make: impl Fn() -> P) {
    let (broadcast, _, _) = run_with(s, make(), &Progress::hidden()).unwrap();
    let (unicast, _, _) = run_with(s, Unicast(make()), &Progress::hidden()).unwrap();
    assert!(broadcast.metric("messages").unwrap_or(0.0) > 0.0 || !broadcast.messages.is_empty());
    assert_eq!(format!("{broadcast:?}"), format!("{unicast:?}"));
}

#[test]
fn broadcasts_match_single_sends_in_every_bft_family() {
    // 299.9 s: copies sent in the last moments are still in flight at the end.
    let pbft = scenario(
        "{ protocol: pbft, batch_max_tx: 100, batch_timeout_ms: 200, view_timeout_ms: 2000 }",
        300,
    );
    let Consensus::Pbft(p) = &pbft.consensus else {
        unreachable!()
    };
    same(&pbft, || Pbft::new(p, 13));
    let hs = scenario(
        "{ protocol: hotstuff, batch_max_tx: 100, view_timeout_ms: 2000 }",
        300,
    );
    let Consensus::Hotstuff(p) = &hs.consensus else {
        unreachable!()
    };
    same(&hs, || HotStuff::new(p, 13));
    let tm = scenario(
        "{ protocol: tendermint, batch_max_tx: 100, timeout_propose_ms: 3000, timeout_prevote_ms: 1000, timeout_precommit_ms: 1000, timeout_delta_ms: 500 }",
        300,
    );
    let Consensus::Tendermint(p) = &tm.consensus else {
        unreachable!()
    };
    same(&tm, || Tendermint::new(p, 13));
}

#[test]
fn broadcasts_match_single_sends_in_the_xrp_ledger_and_the_notary_cluster() {
    let xrpl = scenario("{ protocol: xrpl }", 300);
    let Consensus::Xrpl(p) = &xrpl.consensus else {
        unreachable!()
    };
    same(&xrpl, || Xrpl::new(p, 13));
    // Four members of 13 nodes; the others are parties that only ask and hear answers.
    let notary = scenario(
        "{ protocol: notary, cluster: { model: bft, faults: 1 }, double_spend_share: 0.05 }",
        300,
    );
    let Consensus::Notary(p) = &notary.consensus else {
        unreachable!()
    };
    same(&notary, || Notary::new(p, 13, notary.seed));
}
