//! A device-fleet step: 100,000 duty-cycled meters reporting every 10 minutes through
//! batching gateways for 10 simulated minutes, with 1,000 Nakamoto validators, at one and at
//! two worker threads. The ratio of the two is the fleet shards' parallel speed-up on this
//! machine; the scale table of `unchained bench fleet` runs the same scenario at 1e6..1e8.
//!
//! `cargo bench --bench fleet`

use criterion::{Criterion, criterion_group, criterion_main};
use unchained::bench::fleet_scenario;
use unchained::world::{Progress, run};

fn fleet_step(c: &mut Criterion) {
    let s = fleet_scenario(100_000, 1000, 600.0);
    let mut group = c.benchmark_group("fleet_100k_devices_600s");
    group.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        group.bench_function(format!("threads_{threads}"), |b| {
            b.iter(|| pool.install(|| run(&s, &Progress::hidden()).expect("the run completes")))
        });
    }
    group.finish();
}

criterion_group!(benches, fleet_step);
criterion_main!(benches);
