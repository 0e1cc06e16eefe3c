//! Entries filed by a moment and taken out once it has passed: the keys an attacker retires.
//! Buckets of a fixed width in an ordered map, so filing and taking cost about one append and
//! one read per entry, where a binary heap of every use in the retirement horizon cost a cache
//! miss per level on each take. Entries filed since the last take wait in one list and go to
//! their buckets when the next take begins, a lookup per run of entries bound for one bucket
//! (they are filed nearly in order), where a lookup per entry cost about 0.1 G instructions
//! on the quickstart with keys rotated every second reading; every bucket then holds what it
//! would have held, in the same order. Entries come out of a bucket in no particular order:
//! takers sort what they take.

use std::collections::BTreeMap;

use crate::engine::Time;

/// Emptied lists kept for the buckets to come: one bucket opens about as one closes.
const SPARE: usize = 2;

pub struct Calendar<T> {
    width: Time,
    buckets: BTreeMap<Time, Vec<(Time, T)>>,
    /// Filed since the last take, in order of filing.
    filed: Vec<(Time, T)>,
    /// Lists of buckets taken, emptied, for the next buckets: grown from empty, each bucket's
    /// list reallocated and copied itself a dozen times over on a validator's fleet.
    spare: Vec<Vec<(Time, T)>>,
    /// What a take finds before its limit in a bucket it leaves open, kept empty between takes.
    part: Vec<(Time, T)>,
}

impl<T: Copy> Calendar<T> {
    pub fn new(width: Time) -> Self {
        Calendar {
            width: width.max(1),
            buckets: BTreeMap::new(),
            filed: Vec::new(),
            spare: Vec::new(),
            part: Vec::new(),
        }
    }

    pub fn push(&mut self, at: Time, item: T) {
        self.filed.push((at, item));
    }

    /// Hands every entry filed strictly before `limit` to `each`, a list at a time: a whole
    /// bucket's, read where it lies, or what leaves of the bucket `limit` falls in. Copied
    /// into one list, the entries a sweep took at the run's end (every key still open) made
    /// that list one of the largest blocks of the run's highest heap.
    pub fn take_each(&mut self, limit: Time, mut each: impl FnMut(&[(Time, T)])) {
        let mut run = self.filed.as_slice();
        while let Some(&(at, _)) = run.first() {
            let bucket = at / self.width;
            let n = run
                .iter()
                .position(|e| e.0 / self.width != bucket)
                .unwrap_or(run.len());
            let spare = &mut self.spare;
            self.buckets
                .entry(bucket)
                .or_insert_with(|| spare.pop().unwrap_or_default())
                .extend_from_slice(&run[..n]);
            run = &run[n..];
        }
        self.filed.clear();
        while let Some(mut bucket) = self.buckets.first_entry() {
            let start = bucket.key().saturating_mul(self.width);
            if start >= limit {
                return;
            }
            if start.saturating_add(self.width) <= limit {
                let mut list = bucket.remove();
                each(&list);
                if self.spare.len() < SPARE {
                    list.clear();
                    self.spare.push(list);
                }
                continue;
            }
            // The bucket `limit` falls in: only what is filed before it leaves.
            let mut part = std::mem::take(&mut self.part);
            bucket.get_mut().retain(|&(at, item)| {
                let early = at < limit;
                if early {
                    part.push((at, item));
                }
                !early
            });
            each(&part);
            part.clear();
            self.part = part;
            return;
        }
    }
}

/// Sorts entries filed once each, by the moment they were filed, in the order they came:
/// they are nearly in order already (an observer sees transactions a few network delays out
/// of order), so each is moved back over the few it follows, until that has cost more steps
/// than a sort of the whole would; the rest is then sorted outright. Where a
/// pattern-defeating quicksort of the keys a sweep retires cost about an eighth of what
/// observing adds to the quickstart with keys rotated every reading (and a merge sort
/// more), this costs a few steps per entry. Keys filed again after another use come out
/// far from their place: their takers sort outright.
pub fn sort_taken<T: Ord + Copy>(v: &mut [T]) {
    let mut budget = 8 * v.len() + 64;
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            if budget == 0 {
                v[j] = x;
                v.sort_unstable();
                return;
            }
            budget -= 1;
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

/// Sorts entries by the moment they were filed and then by what they hold, as a full sort
/// does, where they lie anywhere within a sweep's span (keys taken by their due time and
/// sorted by their last use, or filed again after another use): they are dealt into about
/// one bucket per two entries by their moment in one pass, in order of buckets, and then
/// put in order within each bucket. A pattern-defeating quicksort of the keys a sweep retires
/// cost about a tenth of what observing adds to the quickstart with keys rotated every
/// second reading.
pub fn sort_spread<T: Ord + Copy>(v: &mut [(Time, T)]) {
    let n = v.len();
    if n < 64 {
        v.sort_unstable();
        return;
    }
    let (lo, hi) = v
        .iter()
        .fold((Time::MAX, 0), |(lo, hi), e| (lo.min(e.0), hi.max(e.0)));
    let buckets = (n / 2).next_power_of_two();
    let mut shift = 0;
    while (hi - lo) >> shift >= buckets as Time {
        shift += 1;
    }
    let bucket = |at: Time| ((at - lo) >> shift) as usize;
    // Where each bucket starts, then where its next entry goes.
    let mut next = vec![0usize; buckets + 1];
    for e in v.iter() {
        next[bucket(e.0) + 1] += 1;
    }
    for b in 1..=buckets {
        next[b] += next[b - 1];
    }
    let mut dealt = v.to_vec();
    for &e in v.iter() {
        let b = bucket(e.0);
        dealt[next[b]] = e;
        next[b] += 1;
    }
    v.copy_from_slice(&dealt);
    // Each entry is within its bucket's few places of its own: moved back over them.
    sort_taken(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fibonacci hashing of the place: a spread of offsets with no state.
    fn draw(i: u64, n: u64) -> u64 {
        (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % n
    }

    /// Whether `sort` orders `v` as a full sort does.
    fn sorts_as_a_full_sort<T: Ord + Clone + std::fmt::Debug>(
        v: Vec<T>,
        sort: fn(&mut [T]),
    ) -> bool {
        let mut want = v.clone();
        want.sort_unstable();
        let mut got = v;
        sort(&mut got);
        got == want
    }

    /// Nearly in order, far from it, or with repeats: the order a full sort gives.
    #[test]
    fn sorts_taken_entries_as_a_full_sort_does() {
        for (len, out_of_place) in [(0, 1), (1, 1), (50, 3), (5000, 40), (5000, 5000), (300, 7)] {
            let v: Vec<(u64, u32)> = (0..len)
                .map(|i| ((i + draw(i, out_of_place)) / 2, draw(i + len, 3) as u32))
                .collect();
            assert!(
                sorts_as_a_full_sort(v, sort_taken),
                "{len} entries up to {out_of_place} out of place"
            );
        }
    }

    /// Spread evenly, bunched on a few moments, or on one: the order a full sort gives.
    #[test]
    fn sorts_spread_entries_as_a_full_sort_does() {
        for (len, moments, span) in [
            (0, 1, 1),
            (63, 9, 100),
            (5000, 5000, 1 << 40),
            (5000, 7, 1 << 30),
            (300, 1, 5),
            (4000, 4000, 3000),
        ] {
            let v: Vec<(u64, (u32, u32))> = (0..len)
                .map(|i| {
                    (
                        draw(i, moments) * (span / moments),
                        (draw(i + 7, 5) as u32, i as u32 % 3),
                    )
                })
                .collect();
            assert!(
                sorts_as_a_full_sort(v, sort_spread),
                "{len} entries on {moments} moments"
            );
        }
    }

    #[test]
    fn takes_exactly_what_is_filed_before_the_limit() {
        let mut c = Calendar::new(10);
        for at in [35, 3, 10, 9, 20, 19, 21, 0] {
            c.push(at, at as u32);
        }
        let mut take = |limit| {
            let mut out = Vec::new();
            c.take_each(limit, |list| out.extend_from_slice(list));
            out.sort_unstable();
            out
        };
        assert_eq!(take(20), [(0, 0), (3, 3), (9, 9), (10, 10), (19, 19)]);
        assert_eq!(take(21), [(20, 20)]);
        let out = take(Time::MAX);
        assert_eq!(out, [(21, 21), (35, 35)]);
    }
}
