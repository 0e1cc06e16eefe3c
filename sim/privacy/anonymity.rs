//! Anonymity sets: for each transaction an observer sees, the devices it cannot tell from the
//! sender — those that sent a transaction of the same size through the same pool (the same
//! gateway when the observer knows it, else the whole fleet) in the same time window — and
//! the entropy of the sender over them, each weighted by its share of the window's
//! transactions (the posterior of an observer who knows nothing else), normalised by the
//! entropy of a uniform choice over the pool's whole population (Díaz et al., PET 2002).

use super::idmap::IdMap;
use super::pools::Pools;
use crate::engine::Time;

#[derive(Clone, Copy, Debug)]
pub struct AnonStats {
    pub tx: u64,
    /// Sums over transactions of the set size and the normalised entropy.
    pub set_sum: f64,
    pub entropy_sum: f64,
    /// Transactions alone in their set.
    pub singletons: u64,
    pub set_min: f64,
    pub set_max: f64,
}

impl Default for AnonStats {
    fn default() -> Self {
        AnonStats {
            tx: 0,
            set_sum: 0.0,
            entropy_sum: 0.0,
            singletons: 0,
            set_min: f64::INFINITY,
            set_max: 0.0,
        }
    }
}

/// Where a device's count in the open window of its pool is: the device's own record holds
/// it beside what the linker keeps of the device (one cache line for both, where a hash map
/// of counts cost a cache miss per transaction). Zero: no count.
#[derive(Clone, Copy, Default)]
pub struct Tally {
    /// The pool's index among the observer's, in order of opening.
    pool: u32,
    /// The open window's number (see `Open::number`).
    window: u32,
    /// The count's place in that window's list.
    place: u32,
}

struct Open {
    window: u64,
    /// Devices of the pool's whole population (the entropy's maximum is log2 of it).
    population: u64,
    /// Numbers every window any pool opens, from 1, so a tally of a closed one reads empty.
    number: u32,
    /// The pool's index among the observer's.
    index: u32,
    /// Devices counted in this window and their counts, in order of their first transaction.
    counts: Vec<(u32, u32)>,
    /// A device whose tally another pool's open window holds (a device seen in two pools).
    extra: IdMap<u32, u32>,
}

pub struct Anonymity {
    window: Time,
    /// Share of the fleet tracked (1 unless the fleet is sampled): a sampled set stands for
    /// `1 / sampled` times as many devices.
    sampled: f64,
    open: Pools<(u32, u32), Open>,
    /// The number of the last window opened.
    numbered: u32,
    /// The number of each pool's open window, by pool index: a tally naming it is live.
    live: Vec<u32>,
    pub stats: AnonStats,
}

impl Anonymity {
    pub fn new(window: Time, sampled: f64) -> Self {
        Anonymity {
            window: window.max(1),
            sampled,
            open: Pools::new(),
            numbered: 0,
            live: Vec::new(),
            stats: AnonStats::default(),
        }
    }

    /// A transaction of `device` (whose tally is `tally`) seen at `t` in `pool`, whose
    /// population is `population`. A transaction seen a little out of order (after its window
    /// closed) joins the open one.
    pub fn see(
        &mut self,
        pool: (u32, u32),
        device: u32,
        tally: &mut Tally,
        t: Time,
        population: u64,
    ) {
        let w = t / self.window;
        let (numbered, live) = (&mut self.numbered, &mut self.live);
        let o = self.open.get_or_insert_with(pool, || {
            *numbered += 1;
            live.push(*numbered);
            Open {
                window: w,
                population,
                number: *numbered,
                index: live.len() as u32 - 1,
                counts: Vec::new(),
                extra: IdMap::default(),
            }
        });
        if w > o.window {
            close(o, self.sampled, &mut self.stats);
            o.window = w;
            self.numbered += 1;
            o.number = self.numbered;
            self.live[o.index as usize] = o.number;
        }
        if tally.window == o.number {
            o.counts[tally.place as usize].1 += 1;
        } else if let Some(n) = o.extra.get_mut(&device) {
            *n += 1;
        } else if tally.window != 0 && self.live[tally.pool as usize] == tally.window {
            o.extra.insert(device, 1);
        } else {
            *tally = Tally {
                pool: o.index,
                window: o.number,
                place: o.counts.len() as u32,
            };
            o.counts.push((device, 1));
        }
    }

    pub fn finish(mut self) -> AnonStats {
        for o in self.open.values_mut() {
            close(o, self.sampled, &mut self.stats);
        }
        self.stats
    }
}

/// Counts below this are tallied when a window closes.
const SMALL: usize = 64;

/// Adds a closed window's transactions to `stats` and empties it.
fn close(o: &mut Open, sampled: f64, stats: &mut AnonStats) {
    if o.counts.is_empty() && o.extra.is_empty() {
        return;
    }
    // Summed in increasing order of count, so the float sums do not depend on the order
    // devices came in. Most devices send once or twice a window: small counts are tallied,
    // and each term is worked out once per count and added once per device, where sorting
    // every count and taking a logarithm per device cost about 0.04 G instructions on the
    // quickstart with keys rotated every second reading (the sum is the same).
    let mut small = [0u32; SMALL];
    let mut large = Vec::new();
    let (mut total, mut set) = (0u64, 0usize);
    for n in o
        .counts
        .drain(..)
        .map(|(_, n)| n)
        .chain(o.extra.drain().map(|(_, n)| n))
    {
        total += u64::from(n);
        set += 1;
        match small.get_mut(n as usize) {
            Some(k) => *k += 1,
            None => large.push(n),
        }
    }
    large.sort_unstable();
    let runs = small.iter().enumerate().map(|(n, &k)| (n as u32, k));
    let entropy: f64 = runs
        .filter(|&(_, k)| k > 0)
        .flat_map(|(n, k)| {
            let p = f64::from(n) / total as f64;
            std::iter::repeat_n(-p * p.log2(), k as usize)
        })
        .chain(large.iter().map(|&n| {
            let p = f64::from(n) / total as f64;
            -p * p.log2()
        }))
        .sum::<f64>()
        - sampled.log2();
    let set = set as f64 / sampled;
    let normalised = if o.population > 1 {
        (entropy / (o.population as f64).log2()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    stats.tx += total;
    stats.set_sum += total as f64 * set;
    stats.entropy_sum += total as f64 * normalised;
    stats.singletons += if set <= 1.0 { total } else { 0 };
    stats.set_min = stats.set_min.min(set);
    stats.set_max = stats.set_max.max(set);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_of_two_equal_senders_has_one_bit() {
        let mut a = Anonymity::new(10, 1.0);
        let mut t = [Tally::default(); 9];
        a.see((0, 1), 7, &mut t[7], 1, 4);
        a.see((0, 1), 8, &mut t[8], 2, 4);
        a.see((0, 1), 7, &mut t[7], 12, 4);
        let s = a.finish();
        assert_eq!(s.tx, 3);
        // Two transactions in a set of 2 (1 bit of 2), one alone.
        assert_eq!(s.set_sum, 5.0);
        assert_eq!(s.entropy_sum, 1.0);
        assert_eq!(s.singletons, 1);
    }
}
