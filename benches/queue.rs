//! Future-event queue under the hold model: with `n` events pending, pop the earliest and
//! push one at `now + Exp(1)`, so the queue size stays `n`. Compares the engine's 4-ary heap
//! and radix heap with `std::collections::BinaryHeap` on the same key and payload sizes.
//!
//! `cargo bench --bench queue`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use unchained::engine::{EventKey, QuadHeap, RadixHeap};

/// Payload of the engine's events: about 16 bytes.
type Payload = [u32; 4];

fn increments(n: usize) -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    (0..n)
        .map(|_| (-(1.0 - rng.random::<f64>()).ln() * 1e9) as u64 + 1)
        .collect()
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group.sample_size(10);
    for &n in &[1_000usize, 100_000, 1_000_000, 10_000_000] {
        let inc = increments(1 << 16);
        group.bench_with_input(BenchmarkId::new("quad_heap", n), &n, |b, &n| {
            let mut q = QuadHeap::with_capacity(n);
            for i in 0..n {
                q.push(
                    EventKey::new(inc[i % inc.len()] * 4, i as u32, 0),
                    [0u32; 4] as Payload,
                );
            }
            let mut k = 0usize;
            b.iter(|| {
                let (key, p) = q.pop().unwrap();
                k = k.wrapping_add(1);
                let t = key.time() + inc[k & 0xffff];
                q.push(EventKey::new(t, key.source(), key.seq() + 1), black_box(p));
            });
        });
        group.bench_with_input(BenchmarkId::new("radix_heap", n), &n, |b, &n| {
            let mut q = RadixHeap::new();
            for i in 0..n {
                q.push(
                    EventKey::new(inc[i % inc.len()] * 4, i as u32, 0),
                    [0u32; 4] as Payload,
                );
            }
            let mut k = 0usize;
            b.iter(|| {
                let (key, p) = q.pop().unwrap();
                k = k.wrapping_add(1);
                let t = key.time() + inc[k & 0xffff];
                q.push(EventKey::new(t, key.source(), key.seq() + 1), black_box(p));
            });
        });
        group.bench_with_input(BenchmarkId::new("std_binary_heap", n), &n, |b, &n| {
            let mut q = BinaryHeap::with_capacity(n);
            for i in 0..n {
                let key = EventKey::new(inc[i % inc.len()] * 4, i as u32, 0);
                q.push(Reverse((key, [0u32; 4] as Payload)));
            }
            let mut k = 0usize;
            b.iter(|| {
                let Reverse((key, p)) = q.pop().unwrap();
                k = k.wrapping_add(1);
                let t = key.time() + inc[k & 0xffff];
                q.push(Reverse((
                    EventKey::new(t, key.source(), key.seq() + 1),
                    black_box(p),
                )));
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .without_plots()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = hold
}
criterion_main!(benches);
