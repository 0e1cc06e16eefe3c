//! PHOLD (T24) at a small size: the sequential engine against 16 partitions in time windows on
//! one thread, and the windows on two threads. Large runs: `unchained bench phold`.
//!
//! `cargo bench --bench phold`

mod quick;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use unchained::phold::Phold;

fn model() -> Phold {
    Phold {
        lps: 4096,
        start_events: 1,
        remote: 0.1,
        mean: 1.0,
        lookahead: 0.1,
        end: 20.0,
        seed: 1,
    }
}

fn phold(c: &mut Criterion) {
    let m = model();
    let mut group = c.benchmark_group("phold_4096_lps_82k_events");
    group.sample_size(10);
    group.bench_function("sequential", |b| b.iter(|| black_box(m.run())));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        group.bench_function(format!("windows16_threads{threads}"), |b| {
            b.iter(|| black_box(pool.install(|| m.run_windows(16).expect("valid model"))))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = quick::config();
    targets = phold
}
criterion_main!(benches);
