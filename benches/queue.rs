//! Future-event queue under the hold model: with `n` events pending, pop the earliest and
//! push one at `now + Exp(1)`, so the queue size stays `n`. Compares the engine's radix heap
//! and 4-ary heap with `std::collections::BinaryHeap` on the same key and payload sizes.
//!
//! `cargo bench --bench queue`

mod quick;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use unchained::engine::{EventKey, QuadHeap, RadixHeap};

/// Payload of the engine's events: about 16 bytes.
type Payload = [u32; 4];

trait Queue {
    fn push(&mut self, key: EventKey, p: Payload);
    fn pop(&mut self) -> (EventKey, Payload);
}

impl Queue for QuadHeap<Payload> {
    fn push(&mut self, key: EventKey, p: Payload) {
        QuadHeap::push(self, key, p)
    }
    fn pop(&mut self) -> (EventKey, Payload) {
        QuadHeap::pop(self).unwrap()
    }
}

impl Queue for RadixHeap<Payload> {
    fn push(&mut self, key: EventKey, p: Payload) {
        RadixHeap::push(self, key, p)
    }
    fn pop(&mut self) -> (EventKey, Payload) {
        RadixHeap::pop(self).unwrap()
    }
}

impl Queue for BinaryHeap<Reverse<(EventKey, Payload)>> {
    fn push(&mut self, key: EventKey, p: Payload) {
        BinaryHeap::push(self, Reverse((key, p)))
    }
    fn pop(&mut self) -> (EventKey, Payload) {
        BinaryHeap::pop(self).unwrap().0
    }
}

fn increments(n: usize) -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    (0..n)
        .map(|_| (-(1.0 - rng.random::<f64>()).ln() * 1e9) as u64 + 1)
        .collect()
}

fn hold_model<Q: Queue>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    n: usize,
    mut q: Q,
) {
    let inc = increments(1 << 16);
    for i in 0..n {
        q.push(EventKey::new(inc[i % inc.len()] * 4, i as u32, 0), [0; 4]);
    }
    let mut k = 0usize;
    c.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
        b.iter(|| {
            let (key, p) = q.pop();
            k = k.wrapping_add(1);
            let t = key.time() + inc[k & 0xffff];
            q.push(EventKey::new(t, key.source(), key.seq() + 1), black_box(p));
        });
    });
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group.sample_size(10);
    for &n in &[1_000usize, 100_000, 1_000_000, 10_000_000] {
        hold_model(&mut group, "radix_heap", n, RadixHeap::new());
        hold_model(&mut group, "quad_heap", n, QuadHeap::with_capacity(n));
        hold_model(
            &mut group,
            "std_binary_heap",
            n,
            BinaryHeap::with_capacity(n),
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = quick::config();
    targets = hold
}
criterion_main!(benches);
