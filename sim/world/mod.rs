//! A built world and its event loop: scenario → network, access, fleet, protocol → events →
//! metrics → [`RunOutput`].

mod batches;
mod estimate;
mod faults;
mod gateways;
mod progress;
mod summary;

use crate::consensus::{
    Ctx, Protocol, TxIn, hotstuff::HotStuff, nakamoto::Nakamoto, notary::Notary, pbft::Pbft,
    pos::Pos, raft::Raft, tangle::Tangle, tendermint::Tendermint, xrpl::Xrpl,
};
use crate::devices::Fleet;
use crate::engine::{Command, Purpose, Scheduler, Time, from_secs, stream};
use crate::metrics::{Conservation, Metrics, NodeRow, RunOutput};
use crate::net::{Access, Network, Reach, transfer};
use crate::scenario::{self, Consensus, Scenario};
use batches::Batches;
use faults::{Change, Faults};
use gateways::Gateways;
use rand_chacha::ChaCha8Rng;

pub use estimate::{Estimate, available_bytes, estimate};
pub use progress::Progress;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "transaction conservation violated: created {created} but accounted {accounted} ({detail:?})"
    )]
    Conservation {
        created: u64,
        accounted: u64,
        detail: Conservation,
    },
}

/// Runs a validated scenario to its end.
pub fn run(s: &Scenario, progress: &Progress) -> Result<RunOutput, RunError> {
    let n = s.validators.count as u32;
    // The registry: one arm per protocol.
    match &s.consensus {
        Consensus::Nakamoto(p) => run_with(
            s,
            Nakamoto::with_adversary(p, n, s.seed, s.adversary.as_ref()),
            progress,
        )
        .map(|r| r.0),
        Consensus::Pbft(p) => {
            let pbft = Pbft::new(p, n).with_adversary(s.adversary.as_ref());
            run_with(s, pbft, progress).map(|r| r.0)
        }
        Consensus::Hotstuff(p) => {
            let hs = HotStuff::new(p, n).with_adversary(s.adversary.as_ref());
            run_with(s, hs, progress).map(|r| r.0)
        }
        Consensus::Tendermint(p) => run_with(s, Tendermint::new(p, n), progress).map(|r| r.0),
        Consensus::Pos(p) => run_with(s, Pos::new(p, n, s.seed), progress).map(|r| r.0),
        Consensus::Tangle(p) => {
            let t = Tangle::new(p, n).with_faults(s.faults.as_ref(), n);
            run_with(s, t, progress).map(|r| r.0)
        }
        Consensus::Notary(p) => run_with(s, Notary::new(p, n, s.seed), progress).map(|r| r.0),
        Consensus::Xrpl(p) => run_with(s, Xrpl::new(p, n), progress).map(|r| r.0),
        Consensus::Raft(p) => run_with(s, Raft::new(p, n), progress).map(|r| r.0),
    }
}

/// Runs a scenario with a given protocol value and hands back, besides the output, the
/// protocol and its validators' final states, so tests can inspect what each node decided.
pub fn run_with<P: Protocol>(
    s: &Scenario,
    protocol: P,
    progress: &Progress,
) -> Result<(RunOutput, P, Vec<P::Node>), RunError> {
    World::new(s, protocol).run(progress)
}

enum Ev<M, T> {
    Wake(u32),
    Batch { node: u32, batch: u32 },
    Flush(u32),
    Msg { to: u32, from: u32, msg: M },
    Timer { node: u32, timer: T },
    Fault(Change),
    Sample,
}

const SYSTEM: u32 = 0;

fn node_source(v: u32) -> u32 {
    1 + v
}

struct World<'s, P: Protocol> {
    s: &'s Scenario,
    end: Time,
    net: Network,
    access: Access,
    reach: Reach,
    fleet: Fleet,
    protocol: P,
    nodes: Vec<P::Node>,
    consensus_rng: Vec<ChaCha8Rng>,
    latency_rng: Vec<ChaCha8Rng>,
    sched: Scheduler<Ev<P::Msg, P::Timer>>,
    metrics: Metrics,
    batches: Batches,
    gateways: Gateways,
    /// Validator messages sent and their bytes, lost ones included: the protocol's cost.
    sent: (u64, u64),
    faults: Faults,
    changes: Vec<Change>,
    out: Vec<Command<P::Msg, P::Timer>>,
}

impl<'s, P: Protocol> World<'s, P> {
    fn new(s: &'s Scenario, protocol: P) -> Self {
        let end = from_secs(s.duration_s);
        let net = Network::build(s);
        let access = Access::build(s, &net);
        let reach = Reach::build(&net, &access.origins());
        let fleet = Fleet::build(s, end, |d| access.gateway_of(s.seed, d));
        let n = net.nodes();
        let nodes = (0..n).map(|v| protocol.new_node(v)).collect();
        let sources = 1 + n as usize + fleet.len() as usize + access.gateways() as usize;
        let gateways = Gateways::new(
            access.gateways(),
            from_secs(s.gateways.batch_interval_ms / 1e3),
        );
        let (faults, changes) = Faults::build(s);
        World {
            faults,
            changes,
            s,
            end,
            consensus_rng: (0..n)
                .map(|v| stream(s.seed, v as u64, Purpose::Consensus))
                .collect(),
            latency_rng: (0..n)
                .map(|v| stream(s.seed, v as u64, Purpose::Latency))
                .collect(),
            net,
            access,
            reach,
            fleet,
            protocol,
            nodes,
            sched: Scheduler::new(sources),
            metrics: Metrics::new(from_secs(s.metrics.window_s), end),
            batches: Batches::default(),
            gateways,
            sent: (0, 0),
            out: Vec::new(),
        }
    }

    fn device_source(&self, d: u32) -> u32 {
        1 + self.net.nodes() + d
    }

    fn gateway_source(&self, g: u32) -> u32 {
        1 + self.net.nodes() + self.fleet.len() + g
    }

    fn run(mut self, progress: &Progress) -> Result<(RunOutput, P, Vec<P::Node>), RunError> {
        for d in 0..self.fleet.len() {
            if let Some(t) = self.fleet.first_wake(d) {
                self.sched.schedule(t, self.device_source(d), Ev::Wake(d));
            }
        }
        // Crashes at time zero take effect before anything starts; a validator down then
        // starts when it first comes up.
        for c in std::mem::take(&mut self.changes) {
            if c.at == 0 {
                let was_down = self.faults.is_down(c.node);
                self.faults.apply(c);
                if !was_down && self.faults.is_down(c.node) {
                    self.protocol.on_crash(&mut self.nodes[c.node as usize], 0);
                }
            } else {
                self.sched.schedule(c.at, SYSTEM, Ev::Fault(c));
            }
        }
        for v in 0..self.net.nodes() {
            if !self.faults.is_down(v) {
                self.faults.started[v as usize] = true;
                self.dispatch(v, |p, node, ctx| p.on_start(node, ctx));
            }
        }
        self.sched
            .schedule(self.metrics.window().min(self.end), SYSTEM, Ev::Sample);
        progress.start(self.end);
        let last = self.end - 1;
        while let Some((_, ev)) = self.sched.pop_until(last) {
            match ev {
                Ev::Wake(d) => self.wake(d),
                Ev::Batch { node, batch } if self.faults.is_down(node) => {
                    self.faults.counts.batches_held += 1;
                    self.faults.parked[node as usize].push(batch);
                }
                Ev::Msg { to, .. } if self.faults.is_down(to) => {
                    self.faults.counts.msgs_to_down_node += 1;
                }
                Ev::Timer { node, .. } if self.faults.is_down(node) => {
                    self.faults.counts.timers_of_down_node += 1;
                }
                Ev::Fault(c) => self.fault(c),
                Ev::Batch { node, batch } => {
                    let txs = self.batches.take(batch);
                    self.dispatch(node, |p, n, ctx| p.on_transactions(n, ctx, &txs));
                    self.batches.give_back(txs);
                }
                Ev::Flush(g) => self.flush(g),
                Ev::Msg { to, from, msg } => {
                    self.dispatch(to, |p, n, ctx| p.on_message(n, ctx, from, msg))
                }
                Ev::Timer { node, timer } => {
                    self.dispatch(node, |p, n, ctx| p.on_timer(n, ctx, timer))
                }
                Ev::Sample => {
                    let now = self.sched.now();
                    self.metrics.sample(now, self.protocol.mempool_len());
                    let next = now + self.metrics.window();
                    if next < self.end {
                        self.sched.schedule(next, SYSTEM, Ev::Sample);
                    }
                }
            }
            if self.sched.delivered() & 0xffff == 0 {
                progress.update(self.sched.now(), self.sched.delivered());
            }
        }
        self.sched.advance_to(self.end);
        self.metrics.sample(self.end, self.protocol.mempool_len());
        progress.finish(self.sched.delivered());
        self.finish()
    }

    fn fault(&mut self, c: Change) {
        let was_down = self.faults.is_down(c.node);
        if !self.faults.apply(c) {
            if !was_down && self.faults.is_down(c.node) {
                let now = self.sched.now();
                self.protocol
                    .on_crash(&mut self.nodes[c.node as usize], now);
            }
            return;
        }
        let v = c.node;
        if self.faults.started[v as usize] {
            self.dispatch(v, |p, node, ctx| p.on_recover(node, ctx));
        } else {
            self.faults.started[v as usize] = true;
            self.dispatch(v, |p, node, ctx| p.on_start(node, ctx));
        }
        for batch in std::mem::take(&mut self.faults.parked[v as usize]) {
            let txs = self.batches.take(batch);
            self.dispatch(v, |p, n, ctx| p.on_transactions(n, ctx, &txs));
            self.batches.give_back(txs);
        }
    }

    fn wake(&mut self, d: u32) {
        let now = self.sched.now();
        let gateway = self.fleet.gateway[d as usize];
        let node = self.access.gateway_validator[gateway as usize];
        let (batches, access, gateways) = (&mut self.batches, &self.access, &mut self.gateways);
        let mut sent = None;
        let mut opened = None;
        let next = self
            .fleet
            .wake(d, now, &mut self.metrics, |g, metrics, readings| {
                let id = if gateways.batching() {
                    // The upload's own size sets its airtime; the gateway batch is sized at
                    // flush time.
                    let n = readings.len() as u64;
                    let arrival =
                        now + g.uplink_latency + transfer(n * g.tx_bytes as u64, g.uplink_bps);
                    let (id, flush, new) = gateways.batch_for(gateway, arrival, batches);
                    if new {
                        opened = Some(flush);
                    }
                    id
                } else {
                    batches.open().0
                };
                let list = batches.list(id);
                let before = list.len();
                for r in readings {
                    metrics.on_uploaded(r.created, now);
                    list.push(TxIn {
                        device: r.device,
                        seq: r.seq,
                        bytes: g.tx_bytes,
                        created: r.created,
                        uploaded: now,
                    });
                }
                if !gateways.batching() {
                    let bytes = (list.len() - before) as u64 * g.tx_bytes as u64;
                    let delay = g.uplink_latency
                        + transfer(bytes, g.uplink_bps)
                        + access.backhaul_delay(gateway, bytes);
                    sent = Some((id, now + delay));
                }
            });
        let src = self.device_source(d);
        if let Some((batch, at)) = sent {
            self.sched.schedule(at, src, Ev::Batch { node, batch });
        }
        if let Some(flush) = opened {
            let gsrc = self.gateway_source(gateway);
            self.sched.schedule(flush, gsrc, Ev::Flush(gateway));
        }
        if let Some(t) = next {
            self.sched.schedule(t, src, Ev::Wake(d));
        }
    }

    /// Forwards the batch gateway `g` collected in the interval ending now.
    fn flush(&mut self, g: u32) {
        let now = self.sched.now();
        let batch = self.gateways.flush(g, now);
        let bytes: u64 = self
            .batches
            .list(batch)
            .iter()
            .map(|t| u64::from(t.bytes))
            .sum();
        let at = now + self.access.backhaul_delay(g, bytes);
        let node = self.access.gateway_validator[g as usize];
        let src = self.gateway_source(g);
        self.sched.schedule(at, src, Ev::Batch { node, batch });
    }

    /// Runs one handler of validator `v` and turns its commands into events.
    fn dispatch(
        &mut self,
        v: u32,
        handler: impl FnOnce(&mut P, &mut P::Node, &mut Ctx<P::Msg, P::Timer>),
    ) {
        let now = self.sched.now();
        let mut ctx = Ctx {
            now,
            node: v,
            rng: &mut self.consensus_rng[v as usize],
            net: &self.net,
            reach: &self.reach,
            metrics: &mut self.metrics,
            out: &mut self.out,
        };
        handler(&mut self.protocol, &mut self.nodes[v as usize], &mut ctx);
        let src = node_source(v);
        for cmd in self.out.drain(..) {
            match cmd {
                Command::Send { to, msg, bytes } => {
                    self.sent.0 += 1;
                    self.sent.1 += bytes;
                    let rng = &mut self.latency_rng[v as usize];
                    if self.faults.lost(now, v, to, rng) {
                        continue;
                    }
                    let delay = self.net.message_delay(v, to, bytes, rng) + self.faults.extra_delay;
                    self.sched
                        .schedule(now + delay, src, Ev::Msg { to, from: v, msg });
                }
                Command::Timer { delay, timer } => {
                    self.sched
                        .schedule(now + delay, src, Ev::Timer { node: v, timer });
                }
            }
        }
    }

    fn finish(mut self) -> Result<(RunOutput, P, Vec<P::Node>), RunError> {
        let pending_on_device = self.fleet.finish(&mut self.metrics);
        let report = self
            .protocol
            .finish(&self.nodes, self.end, &mut self.metrics);
        let m = &self.metrics;
        let conservation = Conservation {
            created: m.created,
            settled: m.settled,
            pending_on_device,
            pending_in_transit: self.batches.in_flight(),
            pending_in_mempool: report.pending_in_mempool,
            pending_in_block: report.pending_in_block,
            dropped: std::iter::once(("buffer_overflow".to_string(), m.dropped_overflow))
                .chain(report.dropped.iter().cloned())
                .collect(),
        };
        if !conservation.holds() {
            return Err(RunError::Conservation {
                created: conservation.created,
                accounted: conservation.accounted(),
                detail: conservation,
            });
        }
        let mut gateways = vec![0u32; self.net.nodes() as usize];
        for &v in &self.access.gateway_validator {
            gateways[v as usize] += 1;
        }
        let nodes = report
            .nodes
            .iter()
            .enumerate()
            .map(|(v, st)| NodeRow {
                node: v as u32,
                region: self.net.table.names[self.net.region[v] as usize].clone(),
                hash_share: st.hash_share,
                peers: self.net.peers(v as u32).len() as u32,
                gateways: gateways[v],
                blocks_mined: st.blocks_mined,
                blocks_main_chain: st.blocks_main_chain,
                settled_tx: st.settled_tx,
            })
            .collect();
        let facts = summary::Facts {
            s: self.s,
            events: self.sched.delivered(),
            messages: self.sent.0,
            message_bytes: self.sent.1,
            devices: self.fleet.len() as u64,
            gateways: self.access.gateways() as u64,
        };
        let mut protocol_summary = report.summary;
        if self.s.faults.is_some() {
            protocol_summary.extend(self.faults.summary());
        }
        let output = RunOutput {
            scenario_name: self.s.name.clone(),
            scenario_yaml: scenario::to_yaml(self.s),
            seed: self.s.seed,
            version: env!("CARGO_PKG_VERSION").to_string(),
            summary: summary::summary(&facts, m, &protocol_summary),
            timeseries: summary::timeseries(m, self.end),
            latency: summary::latency(m, &self.s.metrics.quantiles),
            settlement_cdf: m.settlement.cdf(),
            block_arrival_cdf: m.block_arrival.cdf(),
            conservation,
            blocks: report.blocks,
            nodes,
        };
        Ok((output, self.protocol, self.nodes))
    }
}
