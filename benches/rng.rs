//! Cost of one counter-based draw (`draw_u64`, Philox4x32-10) against positioning a ChaCha8
//! stream at the same index, the scheme it replaced for devices.
//!
//! `cargo bench --bench rng`

use criterion::{Criterion, criterion_group, criterion_main};
use rand::Rng;
use std::hint::black_box;
use unchained::engine::{Purpose, draw_u64, stream};

fn draws(c: &mut Criterion) {
    let mut group = c.benchmark_group("counter_draw");
    let mut i = 0u64;
    group.bench_function("philox4x32_10", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            draw_u64(black_box(7), i % 100_000, Purpose::Workload, i)
        })
    });
    group.bench_function("chacha8_positioned", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let mut s = stream(black_box(7), i % 100_000, Purpose::Workload);
            s.set_word_pos(i as u128 * 2);
            s.next_u64()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = draws
}
criterion_main!(benches);
