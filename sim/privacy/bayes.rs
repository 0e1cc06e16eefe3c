//! The Bayes-optimal linking attacker, for devices whose period and delay law it knows.
//!
//! The model the attacker holds: a device of a periodic group reads every `P` at a phase φ of
//! its own (uniform on the circle of length `P`), and each reading is seen at φ + kP + X, with
//! X drawn afresh per reading: the group's privacy delay (uniform on [0, M], exponential of
//! mean μ, or none) plus a uniform term on [−w, w], w = the workload's jitter plus the
//! observation tolerance (1 s plus the gateway batch interval, within which a validator dates
//! a batch's transactions). The uses of a key then say where its phase lies:
//!
//! - uniform X of support width W = M + 2w: φ lies in an arc of length W − s (s the spread of
//!   the key's uses around their period grid), with a flat posterior on it;
//! - exponential delay (the uniform term neglected): the likelihood of φ is
//!   λⁿ·e^{−λ·Σ(uᵢ − φ)} for φ below the key's earliest residue m, 0 above.
//!
//! Against "B is another device" (an independent phase), "B is A's device" (one phase) has the
//! likelihood ratio P·|I_A ∩ I_B| / (|I_A|·|I_B|) (uniform) or
//! P·λ·n_A·n_B/(n_A + n_B)·e^{−λ·n_late·|m_A − m_B|} (exponential; n_late the uses of the key
//! whose earliest residue is later). With a uniform prior over the candidates the posterior
//! of each is proportional to it, and the attacker links a retired key to the candidate of
//! maximum posterior (ties: the one first seen nearest one period after the last use). When
//! W ≥ P the arcs cover the circle and every candidate is as likely: the pick is then by that
//! tie rule, which is chance. The residues of a key are taken to the nearest point of its
//! period grid, exact while W < P/2.
//!
//! Keys are pooled as for the heuristic (gateway when known, size) and by device group (the
//! model is the group's). A key is retired when unused for `RETIRE_PERIODS` periods; its
//! successor is looked for among keys first seen within [last + P − W, last + P + W] (W < P)
//! or two periods after its last use (otherwise), at most `NEAREST` on each side of the
//! predicted moment (bounded work per link), weighed nearest first until no farther one can
//! score above the best (`weigh.rs`).

use super::calendar::{Calendar, sort_spread};
use super::candidates::Candidates;
use super::keys::{Keys, Told};
use super::pools::Pools;
use crate::engine::Time;
use walk::{link, reaches};

const NONE: u32 = u32::MAX;
/// A key unseen for this many of its device's periods is retired (checked once a period): by
/// then its successor, seen within one period and its delay, is among the candidates.
const RETIRE_PERIODS: u64 = 3;
/// Candidates are kept this many periods after their first use: a key is retired at most
/// four periods after its last use, and looks no earlier than that use.
const KEEP_PERIODS: u64 = 5;
/// Candidates weighed on each side of the predicted moment.
const NEAREST: usize = 16;

/// What the attacker knows of a device group.
#[derive(Clone, Copy, Debug)]
pub struct Model {
    pub period: Time,
    pub law: Law,
    /// Half-width of the uniform term of X (jitter plus observation tolerance).
    pub spread: Time,
}

#[derive(Clone, Copy, Debug)]
pub enum Law {
    /// No delay, or uniform on [0, max].
    Uniform { max: Time },
    /// Exponential of this mean.
    Exponential { mean: Time },
}

impl Model {
    /// Support width of X under a uniform law (none for an exponential one).
    pub(super) fn width(&self) -> Option<i64> {
        match self.law {
            Law::Uniform { max } => Some((max + 2 * self.spread) as i64),
            Law::Exponential { .. } => None,
        }
    }

    /// The spread of a key's uses from which no phase explains them (none: `i64::MAX`): the
    /// support's width under a uniform law narrower than the period. Spreads only grow.
    fn dead_spread(&self) -> i64 {
        match self.width() {
            Some(w) if w < self.period as i64 => w,
            _ => i64::MAX,
        }
    }
}

/// How the attacker did, over every key it retired.
#[derive(Clone, Copy, Debug, Default)]
pub struct BayesStats {
    pub made: u64,
    pub correct: u64,
}

#[derive(Clone, Copy, Default)]
pub(super) struct Key {
    pub(super) first: Time,
    pub(super) last: Time,
    pub(super) uses: u32,
    /// Earliest and latest residue of its uses around its first use's period grid (ns).
    pub(super) lo: i64,
    pub(super) hi: i64,
}

/// A key in use: what it is, and where its candidate entry is (if still unclaimed).
#[derive(Clone, Copy, Default)]
pub(super) struct Active {
    pub(super) key: Key,
    /// Its candidate's order of arrival (it sits at `(key.first, arrival)`) and where the
    /// candidates said it lies.
    pub(super) arrival: u64,
    pub(super) place: u64,
}

/// A candidate successor not yet linked to, with its uses so far (weighed without a lookup;
/// its first use is where it sits).
#[derive(Clone, Copy)]
struct Fresh {
    lo: i64,
    hi: i64,
    uses: u32,
    device: u32,
    epoch: u32,
    /// The truth: the device's previous key seen by this observer (`NONE`: none).
    prev: u32,
}

struct Pool {
    model: Model,
    /// The number of the heuristic's pool of its keys (both attackers' keys are filed under
    /// it, in one table: `keys.rs`).
    number: u32,
    /// Where keys can be used twice, every key `(device, epoch)`, once, filed by a use no
    /// later than its last, so a sweep takes what it retires instead of looking over every
    /// key; a key taken that was used since is filed again by its last use (a use files
    /// nothing: most keys are used again before they are first taken).
    by_last: Calendar<(u32, u32)>,
    /// Where no key is used twice, every key is a candidate and retires in the order of its
    /// first use: the place in `fresh` of the first not retired yet, and the keys filed
    /// before it since the last sweep (seen later than that sweep's limit: a gateway batch or
    /// an uplink's delay out of order).
    next_retire: u64,
    late: Vec<(Time, (u32, u32))>,
    /// By first use and then order of arrival.
    fresh: Candidates<Fresh>,
    arrivals: u64,
    /// The widest spread (`hi − lo`) below the support's width any candidate has had: what
    /// bounds the scores of candidates not weighed yet.
    spread: i64,
    /// Keys are looked over once a period (retired up to a period late: candidates stay for
    /// five).
    next_sweep: Time,
    /// What a sweep takes (keys used once) or files again (keys used twice), kept empty
    /// between sweeps.
    taken: Vec<(Time, (u32, u32))>,
}

pub struct Bayes {
    /// Per device group; `None` where the model does not apply (not periodic).
    models: Vec<Option<Model>>,
    /// `false` when no key can be used twice: a key's first use is all there is of it, and
    /// no map of keys is kept.
    keys_reused: bool,
    pools: Pools<(u32, u32, u32), Pool>,
    pub stats: BayesStats,
}

/// `d` taken to the nearest point of the grid of step `p`: in (−p/2, p/2].
pub(super) fn wrap(d: i64, p: i64) -> i64 {
    let r = d.rem_euclid(p);
    if r > p / 2 { r - p } else { r }
}

impl Bayes {
    /// `None` when no group has a model.
    pub fn new(models: Vec<Option<Model>>, keys_reused: bool) -> Option<Self> {
        models.iter().any(Option::is_some).then(|| Bayes {
            models,
            keys_reused,
            pools: Pools::new(),
            stats: BayesStats::default(),
        })
    }

    /// Key `(device, epoch)` of group `group` used at `t` in `pool`, whose keys `keys` holds
    /// under number `number` (the heuristic's pool's); `newest`: the device has used no later
    /// key before, `prev` the epoch of its newest key seen before. Returns what it did in the
    /// key's place in `keys`.
    #[allow(clippy::too_many_arguments)]
    pub fn see(
        &mut self,
        (keys, number): (&mut Keys, u32),
        pool: (u32, u32),
        group: usize,
        device: u32,
        epoch: u32,
        t: Time,
        newest: bool,
        prev: Option<u32>,
    ) -> Told {
        let Some(model) = self.models[group] else {
            return Told::Nothing;
        };
        let p = self
            .pools
            .get_or_insert_with((pool.0, pool.1, group as u32), || Pool {
                model,
                number,
                by_last: Calendar::new(model.period),
                next_retire: 0,
                late: Vec::new(),
                fresh: Candidates::new(),
                arrivals: 0,
                spread: 0,
                next_sweep: 0,
                taken: Vec::new(),
            });
        let used = |a: &mut Active| {
            let k = &mut a.key;
            let r = wrap(t as i64 - k.first as i64, model.period as i64);
            k.lo = k.lo.min(r);
            k.hi = k.hi.max(r);
            k.last = k.last.max(t);
            k.uses += 1;
        };
        if let Some((a, counted)) = keys.bayes_update((p.number, device, epoch), used) {
            let k = &a.key;
            if let Some(i) = p.fresh.find_near(a.place, (k.first, a.arrival)) {
                let f = p.fresh.at_mut(i);
                (f.lo, f.hi, f.uses) = (k.lo, k.hi, k.uses);
                if model.width().is_some_and(|w| k.hi - k.lo < w) {
                    p.spread = p.spread.max(k.hi - k.lo);
                }
                // A candidate no phase explains scores nothing, now and after any use: walks
                // pass over it, counting it.
                if k.hi - k.lo >= model.dead_spread() {
                    p.fresh.kill(i);
                }
            }
            return if counted {
                Told::Counted
            } else {
                Told::Nothing
            };
        }
        // An older key back after it retired was linked already: no one's successor either.
        if !newest {
            return Told::Nothing;
        }
        let key = Key {
            first: t,
            last: t,
            uses: 1,
            lo: 0,
            hi: 0,
        };
        p.arrivals += 1;
        let arrival = p.arrivals;
        if self.keys_reused {
            p.by_last.push(t, (device, epoch));
        }
        let dead = model.dead_spread();
        let place = p.fresh.insert(
            (t, arrival),
            Fresh {
                lo: 0,
                hi: 0,
                uses: 1,
                device,
                epoch,
                prev: prev.unwrap_or(NONE),
            },
            |f| f.hi - f.lo >= dead,
        );
        if !self.keys_reused && place < p.next_retire {
            // Filed before keys already retired: it moves them one place on.
            p.late.push((t, (device, epoch)));
            p.next_retire += 1;
        }
        if self.keys_reused {
            let a = Active {
                key,
                arrival,
                place,
            };
            if keys.bayes_insert((p.number, device, epoch), a) {
                return Told::Filed;
            }
        }
        Told::Nothing
    }

    /// Links every key unused for `RETIRE_PERIODS` periods before `now`, oldest first.
    pub fn retire(&mut self, now: Time, keys: &mut Keys) {
        for p in self.pools.values_mut() {
            let period = p.model.period;
            if now < p.next_sweep {
                continue;
            }
            p.next_sweep = now.saturating_add(period);
            let wait = period.saturating_mul(RETIRE_PERIODS);
            let limit = now.saturating_sub(wait);
            let mut retired = std::mem::take(&mut p.taken);
            // Oldest last use first, then by device and epoch: the order keys retire in. Each
            // link starts near where the one before did (they predict in order).
            let mut near = 0;
            if self.keys_reused {
                // Keys retiring are taken out as they are found, and link in that order.
                let mut due = Vec::new();
                let mut held_keys = Vec::new();
                let number = p.number;
                let (model, newest) = (p.model, p.fresh.newest());
                // Used since they were filed, and not long enough ago: filed again after.
                let again = &mut retired;
                p.by_last.take_each(limit, |taken| {
                    keys.in_blocks(
                        taken,
                        |t| t.1,
                        |held, &(_, (d, e))| {
                            match held.bayes_remove_if((number, d, e), |a| a.key.last < limit) {
                                Some(Ok(a)) if reaches(&model, newest, &a.key) => {
                                    due.push((a.key.last, (d, e, held_keys.len() as u32)));
                                    held_keys.push(a.key);
                                }
                                // A key no candidate can follow links to nothing: it leaves
                                // unsorted.
                                None | Some(Ok(_)) => {}
                                Some(Err(a)) => again.push((a.key.last, (d, e))),
                            }
                        },
                    )
                });
                for &(last, key) in &retired {
                    p.by_last.push(last, key);
                }
                retired.clear();
                // Keys filed again after another use come far from their place. A key is
                // filed once, so its place among `held_keys` never decides the order.
                sort_spread(&mut due);
                for (_, (d, e, k)) in due {
                    link(p, &mut self.stats, &held_keys[k as usize], d, e, &mut near);
                }
            } else {
                // The candidates are the keys, in order of first use (the last): taken from
                // their ring, where filing each key in a calendar as well and sorting what a
                // sweep took from it cost about 60 M instructions with keys rotated every
                // reading. One moment's keys lie there in order of arrival: put in order of
                // device and epoch, a full sort's order. Links past the newest candidate
                // return at once.
                let (end, keys) = p.fresh.before(p.next_retire, limit);
                retired.extend(keys.map(|(t, f)| (t, (f.device, f.epoch))));
                p.next_retire = end;
                if p.late.is_empty() {
                    for run in retired.chunk_by_mut(|a, b| a.0 == b.0) {
                        run.sort_unstable();
                    }
                } else {
                    retired.append(&mut p.late);
                    retired.sort_unstable();
                }
                for &(last, (d, e)) in &retired {
                    link(p, &mut self.stats, &single(last), d, e, &mut near);
                }
            }
            retired.clear();
            p.taken = retired;
            let keep = period.saturating_mul(KEEP_PERIODS);
            p.fresh.drop_while(|first| first.saturating_add(keep) < now);
        }
    }

    pub fn finish(mut self, keys: &mut Keys) -> BayesStats {
        self.retire(Time::MAX, keys);
        self.stats
    }
}

#[cfg(test)]
mod tests;
mod walk;

/// A key used once, at `last`: every key where none is used twice.
fn single(last: Time) -> Key {
    Key {
        first: last,
        last,
        uses: 1,
        lo: 0,
        hi: 0,
    }
}
