//! One block flooded through SimBlock's 10,000-node Bitcoin topology (six regions, 2019
//! latency and bandwidth tables, Pareto latency, Bitcoin 2015 outbound degrees): each node
//! relays on first receipt to every peer that does not yet hold the block, as the Nakamoto
//! relay does. Measures the engine's queue and the network's delay model on the relay path,
//! without the rest of a run.
//!
//! `cargo bench --bench gossip`

mod quick;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use unchained::engine::{Scheduler, Time};
use unchained::net::Network;

const NODES: u32 = 10_000;
/// A compact block of SimBlock's 535,000-byte blocks: header, short ids, coinbase.
const BLOCK_BYTES: u64 = 80 + 8 + 9 + 250 + 6 * 1070;

fn network() -> Network {
    let s = unchained::scenario::parse(
        &format!(
            "name: gossip
seed: 1
duration_s: 600
gateways: {{ count: 0 }}
validators: {{ count: {NODES} }}
network:
  latency: {{ model: simblock2019 }}
  jitter: pareto
  topology: {{ model: random, outbound: 8, max_inbound: 125, outbound_model: bitcoin2015 }}
  processing_ms: 2
consensus: {{ protocol: nakamoto, block_interval_s: 600 }}
"
        ),
        "gossip bench",
    )
    .expect("valid scenario");
    Network::build(&s)
}

/// Floods one block from `origin`; returns the deliveries and when the last node got it.
fn flood(net: &Network, origin: u32) -> (u64, Time) {
    // Messages each node has sent: the index of its next jitter draw.
    let mut sent = vec![0u64; NODES as usize];
    let mut has = vec![false; NODES as usize];
    let mut sched: Scheduler<u32> = Scheduler::new(NODES as usize);
    let (mut deliveries, mut last) = (0u64, 0);
    has[origin as usize] = true;
    let mut relay = |sched: &mut Scheduler<u32>, has: &[bool], from: u32, now: Time| {
        for &p in net.peers(from) {
            if !has[p as usize] {
                sent[from as usize] += 1;
                let d = net.message_delay(from, p, BLOCK_BYTES, sent[from as usize] - 1);
                sched.schedule(now + d, from, p);
            }
        }
    };
    relay(&mut sched, &has, origin, 0);
    while let Some((key, to)) = sched.pop_until(Time::MAX) {
        deliveries += 1;
        if !has[to as usize] {
            has[to as usize] = true;
            last = key.time();
            relay(&mut sched, &has, to, key.time());
        }
    }
    assert!(has.iter().all(|&h| h), "the topology is connected");
    (deliveries, last)
}

fn gossip(c: &mut Criterion) {
    let net = network();
    let mut origin = 0u32;
    let mut group = c.benchmark_group("gossip");
    group.sample_size(10);
    group.bench_function("one_block_10000_nodes", |b| {
        b.iter(|| {
            origin = (origin + 997) % NODES;
            black_box(flood(&net, origin))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = quick::config();
    targets = gossip
}
criterion_main!(benches);
