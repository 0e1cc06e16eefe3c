//! The candidate successors of an attacker's pool: keys by first use and then order of
//! arrival, each linked to at most once. Candidates arrive almost in time order (an observer
//! dates a transaction by when it saw it, a few network delays out of order at most) and
//! leave in it, and a link claims one near the moment it predicts, so they sit in a ring
//! sorted by that order: an arrival is placed by stepping back from the newest, a search
//! finds its start by bisection and walks outward over neighbours in one block of memory.
//! A claimed candidate is marked rather than moved (it leaves with the others of its age);
//! as links claim nearly every candidate before the moment they predict, walks would step
//! over long runs of claimed ones, so each claimed place holds how far its run reaches on
//! either side, shortened to the run's end by every walk that crosses it (the hops of a
//! disjoint-set forest with path compression). An ordered map (a tree node per step, a
//! rebalance per claim) cost about as many instructions as weighing the candidates on the
//! quickstart with keys rotated every reading. A walk sees the unclaimed candidates in the
//! map's order, so results are the map's.

use crate::engine::Time;

/// First use and order of arrival: where a candidate sits.
pub type At = (Time, u64);

struct Entry<V> {
    at: At,
    /// 0: unclaimed. Claimed: the places `(i - left, i]` and `[i, i + right)` are all claimed.
    left: u32,
    right: u32,
    v: V,
}

/// Dropped places are moved out at once when they are this many and half the vector: the
/// ring in one slice, where a `VecDeque` split every index and every shift in two.
const COMPACT: usize = 4096;

pub struct Candidates<V> {
    /// Places from `head` on are kept; those before it are dropped.
    entries: Vec<Entry<V>>,
    head: usize,
    /// Places dropped so far: place `i` is `dropped + i` for good, but for arrivals before it.
    dropped: u64,
}

impl<V: Copy> Candidates<V> {
    pub fn new() -> Self {
        Candidates {
            entries: Vec::new(),
            head: 0,
            dropped: 0,
        }
    }

    #[inline]
    fn live(&self) -> &[Entry<V>] {
        &self.entries[self.head..]
    }

    #[inline]
    fn live_mut(&mut self) -> &mut [Entry<V>] {
        &mut self.entries[self.head..]
    }

    /// Files a candidate; `at` is not filed yet. Returns where it lies for good (see
    /// `get_mut_near`).
    pub fn insert(&mut self, at: At, v: V) -> u64 {
        let len = self.live().len();
        // Arrivals come late by a few network delays: found back from the newest by doubling
        // steps, where a step at a time walked over seconds of others.
        let i = position_near(self.live(), len, at);
        let e = Entry {
            at,
            left: 0,
            right: 0,
            v,
        };
        let place = self.dropped + i as u64;
        if i == len {
            self.entries.push(e);
            return place;
        }
        // Before the front counts as claimed: a run reaching the front reaches past it.
        if (i == 0 || self.claimed(i - 1)) && self.claimed(i) {
            // A run of claimed places spans where the new one goes: its hops, which would
            // step over it, are reset to single steps.
            let mut a = i.saturating_sub(1);
            while a > 0 && self.claimed(a - 1) {
                a -= 1;
            }
            let mut b = i;
            while b + 1 < len && self.claimed(b + 1) {
                b += 1;
            }
            for e in &mut self.live_mut()[a..=b] {
                e.left = 1;
                e.right = 1;
            }
        }
        self.entries.insert(self.head + i, e);
        place
    }

    #[inline]
    fn claimed(&self, i: usize) -> bool {
        self.live()[i].left > 0
    }

    /// The place of the first candidate, claimed or not, at or after `at`.
    #[cfg(test)]
    pub fn position(&self, at: At) -> usize {
        self.live().partition_point(|e| e.at < at)
    }

    /// `position(at)`, looked for outward from place `hint` (by doubling steps, then
    /// bisection): links retire in order of last use, so each starts near the one before,
    /// where a bisection of the whole ring cost a cache miss per step (a tenth of what
    /// observing added to the quickstart).
    pub fn position_near(&self, hint: usize, at: At) -> usize {
        position_near(self.live(), hint, at)
    }

    /// The unclaimed candidate at `at`, if still kept; `place`: where `insert` said it lies.
    pub fn get_mut_near(&mut self, place: u64, at: At) -> Option<&mut V> {
        let hint = place.saturating_sub(self.dropped) as usize;
        let i = self.position_near(hint, at);
        self.live_mut()
            .get_mut(i)
            .filter(|e| e.at == at && e.left == 0)
            .map(|e| &mut e.v)
    }

    /// The unclaimed candidate at `at`, if still kept.
    #[cfg(test)]
    pub fn get_mut(&mut self, at: At) -> Option<&mut V> {
        self.get_mut_near(self.dropped, at)
    }

    /// The candidate at place `i`.
    #[inline]
    pub fn get(&self, i: usize) -> (At, &V) {
        let e = &self.live()[i];
        (e.at, &e.v)
    }

    /// The kept candidates as one slice, walked without finding it again at every step.
    #[inline]
    pub fn walk(&mut self) -> Walk<'_, V> {
        Walk(self.live_mut())
    }

    /// The nearest unclaimed place at or after `i`.
    #[inline]
    pub fn next(&mut self, i: usize) -> Option<usize> {
        self.walk().next(i)
    }

    /// The nearest unclaimed place before `i`.
    #[inline]
    pub fn prev(&mut self, i: usize) -> Option<usize> {
        self.walk().prev(i)
    }

    /// Claims the unclaimed candidate at place `i`.
    pub fn claim(&mut self, i: usize) -> V {
        self.walk().claim(i)
    }

    /// Drops candidates, claimed or not, from the oldest while `old` holds of the first use
    /// (hops stay relative, so a run reaching past the front ends at it).
    pub fn drop_while(&mut self, old: impl Fn(Time) -> bool) {
        let n = self.live().iter().take_while(|e| old(e.at.0)).count();
        self.head += n;
        self.dropped += n as u64;
        if self.head >= COMPACT && 2 * self.head >= self.entries.len() {
            self.entries.drain(..self.head);
            self.head = 0;
        }
    }
}

/// The kept candidates, from the oldest.
pub struct Walk<'a, V>(&'a mut [Entry<V>]);

impl<V: Copy> Walk<'_, V> {
    /// When the candidate at place `i` was first used.
    #[inline]
    pub fn first(&self, i: usize) -> Time {
        self.0[i].at.0
    }

    /// The candidate at place `i`.
    #[inline]
    pub fn get(&self, i: usize) -> &V {
        &self.0[i].v
    }

    /// The nearest unclaimed place at or after `i`.
    #[inline]
    pub fn next(&mut self, i: usize) -> Option<usize> {
        let e = &mut *self.0;
        let len = e.len();
        let mut j = i;
        while j < len && e[j].right > 0 {
            j += e[j].right as usize;
        }
        // Every claimed place on the way now reaches `j` in one hop.
        let mut k = i;
        while k < j {
            let hop = e[k].right as usize;
            e[k].right = (j - k) as u32;
            k += hop;
        }
        (j < len).then_some(j)
    }

    /// The nearest unclaimed place before `i`.
    #[inline]
    pub fn prev(&mut self, i: usize) -> Option<usize> {
        let e = &mut *self.0;
        // Places shifted by one: `j` is one past the place looked at, 0 past the front.
        let mut j = i;
        while j > 0 && e[j - 1].left > 0 {
            // A run may reach past the front (dropped from under it).
            j = j.saturating_sub(e[j - 1].left as usize);
        }
        let mut k = i;
        while k > j {
            let hop = e[k - 1].left as usize;
            e[k - 1].left = (k - j) as u32;
            k = k.saturating_sub(hop);
        }
        (j > 0).then(|| j - 1)
    }

    /// Claims the unclaimed candidate at place `i`.
    pub fn claim(&mut self, i: usize) -> V {
        let e = &mut self.0[i];
        debug_assert_eq!(e.left, 0);
        e.left = 1;
        e.right = 1;
        e.v
    }
}

/// The place of the first of `e` at or after `at`, looked for outward from `hint`.
fn position_near<V>(e: &[Entry<V>], hint: usize, at: At) -> usize {
    let len = e.len();
    let hint = hint.min(len);
    // The answer lies in [lo, hi]: every place before lo is before `at`, none from hi.
    let (mut lo, mut hi);
    if hint < len && e[hint].at < at {
        let mut step = 1;
        while hint + step < len && e[hint + step].at < at {
            step *= 2;
        }
        (lo, hi) = (hint + step / 2 + 1, (hint + step).min(len));
    } else {
        let mut step = 1;
        while step <= hint && e[hint - step].at >= at {
            step *= 2;
        }
        lo = if step <= hint { hint - step + 1 } else { 0 };
        hi = hint - step / 2;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if e[mid].at < at {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Against an ordered map fed alike (arrivals out of order, often into runs of claimed
    /// places, claims on both sides of a point, drops from the front): every walk from any
    /// point yields the map's entries in the map's order.
    #[test]
    fn walks_match_an_ordered_map() {
        let mut c = Candidates::new();
        let mut m = BTreeMap::new();
        let mut x = 12345u64;
        let mut draw = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        for n in 0..4000u64 {
            // Up to 60 back: arrivals land among claimed candidates.
            let t = (n * 10).saturating_sub(draw(61));
            c.insert((t, n), n);
            m.insert((t, n), n);
            // Claim a few on either side of a recent point, as links do.
            for _ in 0..draw(3) {
                let probe = (t.saturating_sub(draw(200)), 0);
                let i = c.position(probe);
                for hint in [0, i / 2, i, i + 1, i + draw(40) as usize, usize::MAX] {
                    assert_eq!(
                        c.position_near(hint.saturating_sub(draw(40) as usize), probe),
                        i
                    );
                }
                let up = draw(2) == 0;
                let pick = if up { c.next(i) } else { c.prev(i) };
                let want = if up {
                    m.range(probe..).next().map(|(k, _)| *k)
                } else {
                    m.range(..probe).next_back().map(|(k, _)| *k)
                };
                assert_eq!(pick.map(|p| c.get(p).0), want);
                if let Some(p) = pick {
                    assert_eq!(c.claim(p), m.remove(&want.unwrap()).unwrap());
                }
            }
            if n % 7 == 0 {
                let probe = (t.saturating_sub(draw(300)), u64::MAX);
                let split = c.position(probe);
                let (mut got, mut i) = (Vec::new(), split);
                while let Some(p) = c.prev(i).filter(|_| got.len() < 5) {
                    got.push((c.get(p).0, *c.get(p).1));
                    i = p;
                }
                let want: Vec<_> = m
                    .range(..probe)
                    .rev()
                    .take(5)
                    .map(|(k, v)| (*k, *v))
                    .collect();
                assert_eq!(got, want);
                let (mut got, mut i) = (Vec::new(), split);
                while let Some(p) = c.next(i).filter(|_| got.len() < 5) {
                    got.push((c.get(p).0, *c.get(p).1));
                    i = p + 1;
                }
                let want: Vec<_> = m.range(probe..).take(5).map(|(k, v)| (*k, *v)).collect();
                assert_eq!(got, want);
            }
            if n % 50 == 0 {
                let limit = (n * 10).saturating_sub(400 + draw(200));
                c.drop_while(|first| first < limit);
                while m.first_key_value().is_some_and(|(k, _)| k.0 < limit) {
                    m.pop_first();
                }
            }
            for k in [(t, n), (t, n.saturating_sub(3))] {
                assert_eq!(c.get_mut(k).copied(), m.get(&k).copied());
            }
        }
        let (mut all, mut i) = (Vec::new(), 0);
        while let Some(p) = c.next(i) {
            all.push((c.get(p).0, *c.get(p).1));
            i = p + 1;
        }
        let want: Vec<_> = m.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(all, want);
    }
}
