//! PHOLD (Fujimoto 1990, as in ROSS): the standard synthetic benchmark of event engines.
//!
//! `lps` logical processes each start with `start_events` events. Processing an event at LP
//! `i` sends one new event: to a uniformly chosen LP (possibly `i` itself) with probability
//! `remote`, else to `i`, at `now + lookahead + Exp(mean − lookahead)`, so the expected
//! increment is `mean` and the event population stays constant. Times are in abstract units
//! of 1 ms of simulated time.

use crate::engine::{NS_PER_MS, Purpose, Scheduler, Time, draw_unit, from_secs};

#[derive(Clone, Debug, PartialEq)]
pub struct Phold {
    pub lps: u32,
    pub start_events: u32,
    pub remote: f64,
    pub mean: f64,
    pub lookahead: f64,
    pub end: f64,
    pub seed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PholdResult {
    /// Events processed before the end time.
    pub committed: u64,
    /// Of those, events whose successor went to another LP.
    pub remote: u64,
    /// Events still pending at the end: always `lps × start_events`.
    pub population: u64,
    /// Order-sensitive digest of the processed `(time, lp)` sequence.
    pub digest: u64,
}

fn units(x: f64) -> Time {
    from_secs(x * NS_PER_MS as f64 / 1e9)
}

impl Phold {
    fn increment(&self, lp: u32, draw: u64) -> Time {
        let u = draw_unit(self.seed, lp as u64, Purpose::Benchmark, draw);
        units(self.lookahead) + units(-(self.mean - self.lookahead) * u.ln())
    }

    pub fn run(&self) -> PholdResult {
        let n = self.lps;
        let mut draws = vec![0u64; n as usize];
        let mut sched: Scheduler<u32> = Scheduler::new(n as usize);
        for lp in 0..n {
            for _ in 0..self.start_events {
                let t = self.increment(lp, draws[lp as usize]);
                draws[lp as usize] += 1;
                sched.schedule(t, lp, lp);
            }
        }
        let end = units(self.end);
        let (mut committed, mut remote, mut digest) = (0u64, 0u64, 0xcbf2_9ce4_8422_2325u64);
        while let Some((key, lp)) = sched.pop_until(end.saturating_sub(1)) {
            committed += 1;
            digest = (digest ^ key.time() ^ (lp as u64) << 40).wrapping_mul(0x0100_0000_01b3);
            let d = &mut draws[lp as usize];
            let u = draw_unit(self.seed, lp as u64, Purpose::Benchmark, *d);
            let pick = draw_unit(self.seed, lp as u64, Purpose::Benchmark, *d + 1);
            let inc = self.increment(lp, *d + 2);
            *d += 3;
            let dest = if u < self.remote {
                ((pick * n as f64) as u32).min(n - 1)
            } else {
                lp
            };
            if dest != lp {
                remote += 1;
            }
            sched.schedule(key.time() + inc, lp, dest);
        }
        PholdResult {
            committed,
            remote,
            population: sched.pending() as u64,
            digest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t24(seed: u64) -> Phold {
        Phold {
            lps: 1024,
            start_events: 1,
            remote: 0.25,
            mean: 1.0,
            lookahead: 0.1,
            end: 1000.0,
            seed,
        }
    }

    // T24: committed ≈ N·s·T/mean within 3·sqrt of it; remote fraction p(N−1)/N within three
    // binomial sigma; constant population; identical reruns.
    #[test]
    fn matches_the_t24_expectations() {
        for seed in 1..=3 {
            let r = t24(seed).run();
            let expected = 1024.0 * 1000.0;
            assert!(
                (r.committed as f64 - expected).abs() <= 3.0 * expected.sqrt(),
                "{r:?}"
            );
            let p = 0.25 * 1023.0 / 1024.0;
            let frac = r.remote as f64 / r.committed as f64;
            let sigma = (p * (1.0 - p) / r.committed as f64).sqrt();
            assert!(
                (frac - p).abs() <= 3.0 * sigma,
                "remote fraction {frac} vs {p}"
            );
            assert_eq!(r.population, 1024);
            assert_eq!(r, t24(seed).run());
        }
        assert_ne!(t24(1).run().digest, t24(2).run().digest);
    }
}
