//! Monte-Carlo samplers of the abstract models behind the closed forms: no network, only
//! the sequence of who finds the next block.
//!
//! Trials are cut into fixed blocks of [`BLOCK`]; block `b` draws from its own stream
//! `(seed, b)` and returns an integer count, so the sum is the same whatever the number of
//! threads or the order they finish in. Each block's stream is a xoshiro256++ generator
//! seeded from the block's ChaCha8 stream: the walks draw hundreds of millions of numbers and
//! this one is compiled with our crate (dependencies stay unoptimised in dev builds).

use rayon::prelude::*;

use crate::engine::{Purpose, draw_u64};

/// Trials per independent stream.
pub const BLOCK: u64 = 1 << 16;

/// Success counts over `trials` independent trials.
fn count(seed: u64, trials: u64, trial: impl Fn(&mut Xoshiro) -> bool + Sync) -> u64 {
    let blocks = trials.div_ceil(BLOCK);
    (0..blocks)
        .into_par_iter()
        .map(|b| {
            let mut rng = Xoshiro::new(seed, b);
            let n = BLOCK.min(trials - b * BLOCK);
            (0..n).filter(|_| trial(&mut rng)).count() as u64
        })
        .sum()
}

/// xoshiro256++ (Blackman & Vigna), state taken from four ChaCha8 draws of `(seed, entity)`.
pub struct Xoshiro([u64; 4]);

impl Xoshiro {
    pub fn new(seed: u64, entity: u64) -> Self {
        let mut s = [0u64; 4];
        for (i, w) in s.iter_mut().enumerate() {
            *w = draw_u64(seed, entity, Purpose::MonteCarlo, i as u64);
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Xoshiro(s)
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let out = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A Bernoulli draw with success probability given as a 53-bit fixed-point threshold.
fn hit(rng: &mut Xoshiro, threshold: u64) -> bool {
    (rng.next_u64() >> 11) < threshold
}

fn threshold(prob: f64) -> u64 {
    (prob * (1u64 << 53) as f64).round() as u64
}

/// How far behind an attacker may fall before the trial counts as lost: coming back from
/// there has probability `(q/p)^D <= 1e-12`, far below any tolerance these trials test.
fn give_up(q: f64) -> u64 {
    let ratio = q / (1.0 - q);
    ((1e-12f64).ln() / ratio.ln()).ceil() as u64
}

/// From `deficit` blocks behind, whether the attacker (finding each next block with
/// probability `q`) ever draws level.
fn catches_up(rng: &mut Xoshiro, mut deficit: u64, q_fixed: u64, floor: u64) -> bool {
    while deficit > 0 {
        if deficit >= floor {
            return false;
        }
        if hit(rng, q_fixed) {
            deficit -= 1;
        } else {
            deficit += 1;
        }
    }
    true
}

/// Nakamoto's model (§11): attacker progress `k ~ Poisson(z q / p)`, then a random walk
/// from `z - k` behind. Returns the number of successful trials.
pub fn nakamoto_race(q: f64, z: u32, trials: u64, seed: u64) -> u64 {
    assert!(q > 0.0 && q < 0.5, "q = {q} must be in (0, 0.5)");
    let lambda = z as f64 * q / (1.0 - q);
    let (q_fixed, floor) = (threshold(q), give_up(q) + z as u64);
    count(seed, trials, |rng| {
        let k = poisson(rng, lambda);
        k >= z as u64 || catches_up(rng, z as u64 - k, q_fixed, floor)
    })
}

/// The race with random block times on both sides: every block is the attacker's with
/// probability `q`; the attacker wins once the honest chain has `z` blocks and the
/// attacker's is at least `lead` blocks longer (0: draw level as in Nakamoto's and
/// Grunspan & Pérez-Marco's definition; 1: overtake).
pub fn exact_race(q: f64, z: u32, lead: u64, trials: u64, seed: u64) -> u64 {
    assert!(q > 0.0 && q < 0.5, "q = {q} must be in (0, 0.5)");
    let (q_fixed, floor) = (threshold(q), give_up(q) + lead);
    count(seed, trials, |rng| {
        let (mut honest, mut attacker) = (0u64, 0u64);
        while honest < z as u64 {
            if hit(rng, q_fixed) {
                attacker += 1;
            } else {
                honest += 1;
            }
        }
        let target = honest + lead;
        attacker >= target || catches_up(rng, target - attacker, q_fixed, floor)
    })
}

/// Poisson draw by inversion (the means used here stay below a few tens).
fn poisson(rng: &mut Xoshiro, lambda: f64) -> u64 {
    let u = rng.unit();
    let mut k = 0u64;
    let mut term = (-lambda).exp();
    let mut cdf = term;
    while u > cdf && term > 0.0 {
        k += 1;
        term *= lambda / k as f64;
        cdf += term;
    }
    k
}

/// Blocks each side ends up with on the main chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Revenue {
    pub pool: u64,
    pub honest: u64,
}

impl Revenue {
    pub fn share(&self) -> f64 {
        self.pool as f64 / (self.pool + self.honest).max(1) as f64
    }
}

/// Eyal & Sirer's state machine of Algorithm 1 driven by `events` block discoveries (the pool
/// finds each with probability `alpha`; in a 1-vs-1 race a share `gamma` of honest power
/// mines on the pool's block). Blocks are credited when their branch wins.
pub fn selfish_markov(alpha: f64, gamma: f64, events: u64, seed: u64) -> Revenue {
    let mut rng = Xoshiro::new(seed, 0);
    let (a, g) = (threshold(alpha), threshold(gamma));
    let mut r = Revenue::default();
    // Pool's private lead; `tie` is the 0' state (two public branches of equal length).
    let (mut lead, mut tie) = (0u64, false);
    for _ in 0..events {
        let pool_found = hit(&mut rng, a);
        if tie {
            if pool_found {
                r.pool += 2;
            } else if hit(&mut rng, g) {
                r.pool += 1;
                r.honest += 1;
            } else {
                r.honest += 2;
            }
            tie = false;
        } else if pool_found {
            lead += 1;
        } else {
            match lead {
                0 => r.honest += 1,
                1 => {
                    tie = true;
                    lead = 0;
                }
                2 => {
                    r.pool += 2;
                    lead = 0;
                }
                _ => {
                    r.pool += 1;
                    lead -= 1;
                }
            }
        }
    }
    r
}

#[cfg(test)]
#[path = "montecarlo_tests.rs"]
mod tests;
