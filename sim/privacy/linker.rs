//! The linking attacker: which of a device's keys follow one another.
//!
//! Nearest-phase matching. An observer keeps, per pool of keys it cannot tell apart otherwise
//! (same gateway when it knows the gateway, same transaction size), each key's first and last
//! use. A key unused for [`RETIRE_PERIODS`] of its period is taken as retired; its successor is
//! predicted one period after its last use, and the attacker links it to the key first seen
//! nearest that moment within [`SEARCH_PERIODS`] periods after it, among keys not yet linked
//! to a predecessor. A key's period is the mean gap between its uses; a key used once takes
//! the mean gap between uses of every key in its pool; with no gap known, it is not linked.
//! Against strictly periodic devices the prediction lands on the successor's first use; a
//! random delay of several periods scatters it among the other devices' new keys.
//!
//! The truth is kept beside the attacker's view only to score it: a link is correct when both
//! keys belong to one device and the second is the next key that device used.
//!
//! A key used once has no gap of its own, and a pool learns gaps only from keys used twice;
//! when no device the observer tracks can use a key twice (every group rotates on every
//! transaction, and each transaction is observed once), no key ever gets a period, so no link
//! can be made, and the linker keeps only each device's newest key (the truth it counts).

use super::bayes::{Bayes, BayesStats};
use super::calendar::{Calendar, sort_spread};
use super::candidates::Candidates;
use super::keys::{Keys, Told};
use super::pools::Pools;
use crate::engine::Time;

const NONE: u32 = u32::MAX;
/// A key unseen for this many periods is retired: periodic devices miss no more than one
/// reading to an offline spell in the shipped scenarios.
const RETIRE_PERIODS: u64 = 3;
/// The successor is looked for among keys first used within this many periods after the
/// retired key's last use (one period late and one early around the prediction).
const SEARCH_PERIODS: u64 = 2;

/// A key taken to retire, by its last use: its device, epoch and period (one of its own, or
/// its pool's mean gap; a key with neither links to nothing and is not taken).
type Retiring = (u32, u32, Time);

/// How the attacker did, over every key it retired.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkStats {
    /// Keys whose device used an earlier key this observer also saw: the links to find.
    pub true_links: u64,
    pub made: u64,
    pub correct: u64,
    /// Sum over links made of 1 / devices seen in the pool so far: the precision of an
    /// attacker that names any of them at random.
    pub chance: f64,
}

#[derive(Clone, Copy, Default)]
pub(super) struct Key {
    pub(super) first: Time,
    pub(super) last: Time,
    pub(super) uses: u32,
}

/// A key's first use, kept as a candidate successor while some key may still link to it and
/// no key has.
#[derive(Clone, Copy)]
struct Fresh {
    device: u32,
    /// The truth: the device's previous key seen by this observer (`NONE`: none).
    prev: u32,
}

struct Pool {
    /// The pool's number among the observer's (its keys are filed under it).
    number: u32,
    /// Keys with a period of their own, `(last, device, epoch)` filed by when they retire
    /// (`last` + `RETIRE_PERIODS` periods) at every use, so a sweep takes what retires instead
    /// of looking over every key; an entry no longer matching its key is stale and skipped.
    due: Calendar<(Time, u32, u32)>,
    /// Keys without one (used once, or at one moment), `(device, epoch)` filed by last use:
    /// they all wait the pool's mean gap.
    single: Calendar<(u32, u32)>,
    /// The candidates not yet linked to, by first use and then order of arrival.
    fresh: Candidates<Fresh>,
    arrivals: u64,
    gap_sum: u128,
    gaps: u64,
    max_period: Time,
    /// Devices seen in the pool (a device stays in one pool of an observer).
    devices: u64,
}

/// Pool `key` of `pools`, made when there is none yet (`sweep`: the linker's).
fn pool_of(pools: &mut Pools<(u32, u32), Pool>, sweep: Time, key: (u32, u32)) -> &mut Pool {
    let number = pools.len() as u32;
    pools.get_or_insert_with(key, || Pool {
        number,
        due: Calendar::new(sweep),
        single: Calendar::new(sweep),
        fresh: Candidates::new(),
        arrivals: 0,
        gap_sum: 0,
        gaps: 0,
        max_period: 0,
        devices: 0,
    })
}

/// The mean gap between a key's uses, when it has one of its own.
fn own_period(k: &Key) -> Option<Time> {
    (k.uses >= 2 && k.last > k.first).then(|| (k.last - k.first) / u64::from(k.uses - 1))
}

impl Pool {
    /// Files key `(d, e)` for retirement after a use.
    fn queue(&mut self, k: &Key, d: u32, e: u32) {
        match own_period(k) {
            Some(p) => {
                let due = k.last.saturating_add(p.saturating_mul(RETIRE_PERIODS));
                self.due.push(due, (k.last, d, e));
            }
            None => self.single.push(k.last, (d, e)),
        }
    }
}

/// A device's newest key an observer saw (its epoch) and its last use: the truth links are
/// scored by, and the gaps the heuristic learns periods from. Kept in the observer's record
/// of the device, beside its anonymity tally (one cache line for both).
#[derive(Clone, Copy, Default)]
pub struct Newest {
    seen: bool,
    epoch: u32,
    at: Time,
}

impl Newest {
    fn get(&self) -> Option<(u32, Time)> {
        self.seen.then_some((self.epoch, self.at))
    }

    /// A word of the record, read ahead of weighing (see `sightings.rs`).
    pub fn touch(&self) -> u64 {
        self.at
    }

    fn set(&mut self, (epoch, at): (u32, Time)) {
        *self = Newest {
            seen: true,
            epoch,
            at,
        };
    }
}

pub struct Linker {
    /// `false` when no key can be used twice: nothing is kept per key.
    keys_reused: bool,
    pools: Pools<(u32, u32), Pool>,
    /// Every pool's keys in use, by device, and the Bayes attacker's beside them.
    keys: Keys,
    /// Retired keys are looked for every `sweep`; keys without a period retire after
    /// `RETIRE_PERIODS` sweeps.
    sweep: Time,
    next_sweep: Time,
    pub stats: LinkStats,
    /// The Bayes-optimal attacker, where some group's model is known.
    bayes: Option<Bayes>,
}

impl Linker {
    /// `devices`: how many are tracked (the devices `see` is given are below it).
    pub fn new(sweep: Time, keys_reused: bool, bayes: Option<Bayes>, devices: usize) -> Self {
        Linker {
            keys_reused,
            bayes,
            pools: Pools::new(),
            keys: Keys::new(if keys_reused { devices } else { 0 }),
            sweep: sweep.max(1),
            next_sweep: sweep,
            stats: LinkStats::default(),
        }
    }

    /// Reads both attackers' key `epoch` of `device`, ahead of weighing (see `sightings.rs`).
    pub fn touch(&self, device: u32, epoch: u32) -> u64 {
        self.keys.touch(device, epoch)
    }

    /// Key `(device, epoch)` of device group `group` used at `t` (as the observer saw it) in
    /// `pool`; `now` is the simulation clock, which never goes back; `newest` is the device's.
    #[allow(clippy::too_many_arguments)]
    pub fn see(
        &mut self,
        pool: (u32, u32),
        group: usize,
        device: u32,
        epoch: u32,
        t: Time,
        now: Time,
        newest_key: &mut Newest,
    ) {
        if now >= self.next_sweep {
            self.retire(now);
            if let Some(b) = &mut self.bayes {
                b.retire(now, &mut self.keys);
            }
            self.next_sweep = now.saturating_add(self.sweep);
        }
        let prev = newest_key.get();
        let newest = prev.is_none_or(|(e, _)| epoch > e);
        // Both attackers file a key under the number of the heuristic's pool (one table).
        let number = match self.keys_reused {
            true => pool_of(&mut self.pools, self.sweep, pool).number,
            false => 0,
        };
        let told = self.bayes.as_mut().map_or(Told::Nothing, |b| {
            let prev = prev.map(|(e, _)| e);
            let keys = (&mut self.keys, number);
            b.see(keys, pool, group, device, epoch, t, newest, prev)
        });
        if !self.keys_reused {
            // Every use is a new key: the device's newest, no pool needed.
            if newest {
                self.stats.true_links += prev.is_some() as u64;
                newest_key.set((epoch, t));
            }
            return;
        }
        let p = pool_of(&mut self.pools, self.sweep, pool);
        // The gap between two uses of one key is what the attacker learns periods from (kept
        // per device, so a key that retired too early still teaches it).
        if let Some((e, last)) = prev
            && e == epoch
            && t > last
        {
            p.gap_sum += u128::from(t - last);
            p.gaps += 1;
        }
        if newest || prev.is_some_and(|(e, _)| e == epoch) {
            newest_key.set((epoch, t.max(prev.map_or(0, |(_, l)| l))));
        }
        let id = (p.number, device, epoch);
        let used = |k: &mut Key| {
            k.last = k.last.max(t);
            k.uses += 1;
        };
        // A key the Bayes attacker has just filed new is new to the heuristic too (a key it
        // held would not be the device's newest).
        if told != Told::Filed
            && let Some(k) = self.keys.link_update(id, told == Told::Counted, used)
        {
            p.queue(&k, device, epoch);
            return;
        }
        let k = Key {
            first: t,
            last: t,
            uses: 1,
        };
        p.queue(&k, device, epoch);
        if told == Told::Filed {
            self.keys.link_join(id);
        } else {
            self.keys.link_insert(id, k);
        }
        // A key back after it retired is not new: it is no one's successor.
        if !newest {
            return;
        }
        p.devices += prev.is_none() as u64;
        self.stats.true_links += prev.is_some() as u64;
        p.arrivals += 1;
        p.fresh.insert(
            (t, p.arrivals),
            Fresh {
                device,
                prev: prev.map_or(NONE, |(e, _)| e),
            },
            // The heuristic weighs no phase: none of its candidates is dead.
            |_| false,
        );
    }

    /// Links every key unused for `RETIRE_PERIODS` periods before `now`, oldest first.
    fn retire(&mut self, now: Time) {
        for p in self.pools.values_mut() {
            // What a scan of every key would retire: a key with a period of its own once its
            // due time has passed, one without once the pool's mean gap (or the sweep) has
            // passed thrice since its last use.
            let mut retired: Vec<(Time, Retiring)> = Vec::new();
            // A key retiring is taken out as it is found (a second entry filed alike for it,
            // its due time back after another use, then finds none).
            let number = p.number;
            let keys = &mut self.keys;
            p.due.take_each(now, |taken| {
                keys.in_blocks(
                    taken,
                    |t| (t.1.1, t.1.2),
                    |keys, &(due, (last, d, e))| {
                        let retires = |k: &Key| {
                            k.last == last
                                && own_period(k).is_some_and(|period| {
                                    last.saturating_add(period.saturating_mul(RETIRE_PERIODS))
                                        == due
                                })
                        };
                        if let Some(Ok(k)) = keys.link_remove_if((number, d, e), retires)
                            && let Some(period) = own_period(&k)
                        {
                            retired.push((last, (d, e, period)));
                        }
                    },
                )
            });
            let mean = (p.gaps > 0).then(|| (p.gap_sum / u128::from(p.gaps)) as Time);
            let wait = mean.unwrap_or(self.sweep).saturating_mul(RETIRE_PERIODS);
            p.single.take_each(now.saturating_sub(wait), |taken| {
                keys.in_blocks(
                    taken,
                    |t| t.1,
                    |keys, &(last, (d, e))| {
                        let retires = |k: &Key| k.last == last && own_period(k).is_none();
                        // Without a mean gap the key links to nothing: it leaves unsorted.
                        if let Some(Ok(_)) = keys.link_remove_if((number, d, e), retires)
                            && let Some(period) = mean
                        {
                            retired.push((last, (d, e, period)));
                        }
                    },
                )
            });
            // Hash-map order must not reach the result; each key is there once.
            sort_spread(&mut retired);
            // Each link starts near where the one before did (keys retire in order of last use).
            let mut near = 0;
            for (last, (d, e, period)) in retired {
                p.max_period = p.max_period.max(period);
                link(p, &mut self.stats, (last, d, e), period, &mut near);
            }
            // No key still in use can reach a candidate this old.
            let mean_gap = (p.gap_sum / u128::from(p.gaps.max(1))) as Time;
            let span = p
                .max_period
                .max(mean_gap)
                .max(self.sweep)
                .saturating_mul(RETIRE_PERIODS + SEARCH_PERIODS);
            p.fresh.drop_while(|first| first.saturating_add(span) < now);
        }
    }

    /// Retires every key left and returns the scores of both attackers (`None`: no model).
    pub fn finish(mut self) -> (LinkStats, Option<BayesStats>) {
        self.retire(Time::MAX);
        // The heuristic's candidates and calendars are done with: released before the Bayes
        // attacker's last sweep, whose lists would otherwise come on top of them at the
        // run's highest heap.
        self.pools = Pools::new();
        let keys = &mut self.keys;
        (self.stats, self.bayes.map(|b| b.finish(keys)))
    }
}

/// Links retired key `(d, e)`, last used at `last`, to the unclaimed key first used nearest
/// `last + period` within the search window, if any; `near`: a place near the prediction's
/// in the ring, moved to it.
fn link(
    p: &mut Pool,
    stats: &mut LinkStats,
    (last, d, e): (Time, u32, u32),
    period: Time,
    near: &mut usize,
) {
    let predicted = last.saturating_add(period);
    let end = last.saturating_add(period.saturating_mul(SEARCH_PERIODS));
    if predicted <= last {
        return;
    }
    // First used after `last` and before the prediction, or from it to `end`.
    let split = p.fresh.position_near(*near, (predicted, 0));
    *near = split;
    let left = p.fresh.prev(split).filter(|&i| p.fresh.get(i).0.0 > last);
    let right = p.fresh.next(split).filter(|&i| p.fresh.get(i).0.0 <= end);
    let distance = |at: (Time, u64)| at.0.abs_diff(predicted);
    let pick = match (left, right) {
        (Some(l), Some(r)) => Some(
            if distance(p.fresh.get(l).0) <= distance(p.fresh.get(r).0) {
                l
            } else {
                r
            },
        ),
        (l, r) => l.or(r),
    };
    let Some(i) = pick else { return };
    let f = p.fresh.claim(i);
    stats.made += 1;
    stats.correct += (f.device == d && f.prev == e) as u64;
    stats.chance += 1.0 / p.devices.max(1) as f64;
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Time = 1_000_000_000;

    /// Two devices, each rotating every use, 100 s apart in phase, period 600 s: every link
    /// is found, and correct.
    #[test]
    fn periodic_keys_are_linked_to_their_successors() {
        let mut l = Linker::new(60 * S, true, None, 2);
        let mut newest = [Newest::default(); 2];
        for k in 0..10u64 {
            for d in 0..2u32 {
                let t = k * 600 * S + u64::from(d) * 100 * S;
                // Two uses per key (rotate every 2 transactions).
                l.see(
                    (0, 250),
                    0,
                    d,
                    (k / 2) as u32,
                    t,
                    t,
                    &mut newest[d as usize],
                );
            }
        }
        let (s, _) = l.finish();
        assert_eq!(s.true_links, 8);
        assert_eq!(s.made, 8);
        assert_eq!(s.correct, 8);
    }
}
