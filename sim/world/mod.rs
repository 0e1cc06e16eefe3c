//! A built world and its event loop: scenario → network, access, fleet, protocol → events →
//! metrics → [`RunOutput`].

mod batches;
mod progress;
mod summary;

use crate::consensus::{
    Ctx, Protocol, TxIn, nakamoto::Nakamoto, notary::Notary, pos::Pos, tangle::Tangle, xrpl::Xrpl,
};
use crate::devices::Fleet;
use crate::engine::{Command, Purpose, Scheduler, Time, from_secs, stream};
use crate::metrics::{Conservation, Metrics, NodeRow, RunOutput};
use crate::net::{Access, Network, Reach, transfer};
use crate::scenario::{self, Consensus, Scenario};
use batches::Batches;
use rand_chacha::ChaCha8Rng;

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
        Consensus::Nakamoto(p) => World::new(s, Nakamoto::new(p, n)).run(progress),
        Consensus::Pos(p) => World::new(s, Pos::new(p, n, s.seed)).run(progress),
        Consensus::Tangle(p) => World::new(s, Tangle::new(p, n)).run(progress),
        Consensus::Notary(p) => World::new(s, Notary::new(p, n, s.seed)).run(progress),
        Consensus::Xrpl(p) => World::new(s, Xrpl::new(p, n)).run(progress),
    }
}

enum Ev<M, T> {
    Wake(u32),
    Batch { node: u32, batch: u32 },
    Msg { to: u32, from: u32, msg: M },
    Timer { node: u32, timer: T },
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
        let sources = 1 + n as usize + fleet.len() as usize;
        World {
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
            out: Vec::new(),
        }
    }

    fn device_source(&self, d: u32) -> u32 {
        1 + self.net.nodes() + d
    }

    fn run(mut self, progress: &Progress) -> Result<RunOutput, RunError> {
        for d in 0..self.fleet.len() {
            if let Some(t) = self.fleet.first_wake(d) {
                self.sched.schedule(t, self.device_source(d), Ev::Wake(d));
            }
        }
        for v in 0..self.net.nodes() {
            self.dispatch(v, |p, node, ctx| p.on_start(node, ctx));
        }
        self.sched
            .schedule(self.metrics.window().min(self.end), SYSTEM, Ev::Sample);
        progress.start(self.end);
        let last = self.end - 1;
        while let Some((_, ev)) = self.sched.pop_until(last) {
            match ev {
                Ev::Wake(d) => self.wake(d),
                Ev::Batch { node, batch } => {
                    let txs = self.batches.take(batch);
                    self.dispatch(node, |p, n, ctx| p.on_transactions(n, ctx, &txs));
                    self.batches.give_back(txs);
                }
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

    fn wake(&mut self, d: u32) {
        let now = self.sched.now();
        let gateway = self.fleet.gateway[d as usize];
        let node = self.access.gateway_validator[gateway as usize];
        let (batches, access) = (&mut self.batches, &self.access);
        let mut sent = None;
        let next = self
            .fleet
            .wake(d, now, &mut self.metrics, |g, metrics, readings| {
                let (id, list) = batches.open();
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
                let bytes = list.len() as u64 * g.tx_bytes as u64;
                let delay = g.uplink_latency
                    + transfer(bytes, g.uplink_bps)
                    + access.backhaul_delay(gateway, bytes);
                sent = Some((id, now + delay));
            });
        let src = self.device_source(d);
        if let Some((batch, at)) = sent {
            self.sched.schedule(at, src, Ev::Batch { node, batch });
        }
        if let Some(t) = next {
            self.sched.schedule(t, src, Ev::Wake(d));
        }
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
                    let rng = &mut self.latency_rng[v as usize];
                    let delay = self.net.message_delay(v, to, bytes, rng);
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

    fn finish(mut self) -> Result<RunOutput, RunError> {
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
            dropped_buffer_overflow: m.dropped_overflow,
            dropped_double_spend: m.dropped_double_spend,
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
            devices: self.fleet.len() as u64,
            gateways: self.access.gateways() as u64,
        };
        Ok(RunOutput {
            scenario_name: self.s.name.clone(),
            scenario_yaml: scenario::to_yaml(self.s),
            seed: self.s.seed,
            version: env!("CARGO_PKG_VERSION").to_string(),
            summary: summary::summary(&facts, m, &report.summary),
            timeseries: summary::timeseries(m, self.end),
            latency: summary::latency(m, &self.s.metrics.quantiles),
            settlement_cdf: m.settlement.cdf(),
            block_arrival_cdf: m.block_arrival.cdf(),
            conservation,
            blocks: report.blocks,
            nodes,
        })
    }
}
