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
//!
//! A candidate can also be dead: unclaimed, but never to be picked (the Bayes attacker's
//! candidates whose uses no phase explains). Walks pass over dead places like claimed ones
//! and say how many they passed, so a caller that stops after so many candidates stops where
//! it would have visiting each; every hop keeps the count of dead places it spans. Six in ten
//! of the candidates the Bayes attacker walked to on the quickstart (keys rotated every second
//! reading) were dead.

use crate::engine::Time;

/// First use and order of arrival: where a candidate sits.
pub type At = (Time, u64);

struct Entry<V> {
    at: At,
    /// 0: unclaimed and alive. Claimed or dead: the places `(i - left, i]` and
    /// `[i, i + right)` are all claimed or dead, and `left_dead` and `right_dead` of them dead.
    left: u32,
    right: u32,
    left_dead: u32,
    right_dead: u32,
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
    /// `find_near`). `dead`: whether a candidate passed over and not claimed is dead.
    pub fn insert(&mut self, at: At, v: V, dead: impl Fn(&V) -> bool) -> u64 {
        let len = self.live().len();
        // Arrivals come late by a few network delays: found back from the newest by doubling
        // steps, where a step at a time walked over seconds of others.
        let i = position_near(self.live(), len, at);
        let e = Entry {
            at,
            left: 0,
            right: 0,
            left_dead: 0,
            right_dead: 0,
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
                let d = u32::from(dead(&e.v));
                (e.left, e.right, e.left_dead, e.right_dead) = (1, 1, d, d);
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

    /// The place of the unclaimed live candidate at `at`, if still kept; `place`: where
    /// `insert` said it lies.
    pub fn find_near(&self, place: u64, at: At) -> Option<usize> {
        let hint = place.saturating_sub(self.dropped) as usize;
        let i = self.position_near(hint, at);
        self.live()
            .get(i)
            .is_some_and(|e| e.at == at && e.left == 0)
            .then_some(i)
    }

    /// The candidates, claimed or not, from place `from` (as `insert` numbers places) up to
    /// the first one first used at or after `limit`, and the place after the last of them.
    pub fn before(&self, from: u64, limit: Time) -> (u64, impl Iterator<Item = (Time, &V)>) {
        let live = self.live();
        let start = (from.saturating_sub(self.dropped) as usize).min(live.len());
        let n = live[start..].partition_point(|e| e.at.0 < limit);
        let end = self.dropped + (start + n) as u64;
        (end, live[start..start + n].iter().map(|e| (e.at.0, &e.v)))
    }

    /// When the newest candidate kept, claimed or not, was first used.
    #[inline]
    pub fn newest(&self) -> Option<Time> {
        self.live().last().map(|e| e.at.0)
    }

    /// The candidate at place `i`, unclaimed and live.
    #[inline]
    pub fn at_mut(&mut self, i: usize) -> &mut V {
        &mut self.live_mut()[i].v
    }

    /// Marks the unclaimed live candidate at place `i` dead.
    pub fn kill(&mut self, i: usize) {
        let e = &mut self.live_mut()[i];
        debug_assert_eq!(e.left, 0);
        (e.left, e.right, e.left_dead, e.right_dead) = (1, 1, 1, 1);
    }

    /// The unclaimed live candidate at `at`, if still kept.
    #[cfg(test)]
    pub fn get_mut(&mut self, at: At) -> Option<&mut V> {
        let i = self.find_near(self.dropped, at)?;
        Some(self.at_mut(i))
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

    /// The nearest unclaimed live place at or after `i`.
    #[inline]
    pub fn next(&mut self, i: usize) -> Option<usize> {
        self.walk().next(i).0
    }

    /// The nearest unclaimed live place before `i`.
    #[inline]
    pub fn prev(&mut self, i: usize) -> Option<usize> {
        self.walk().prev(i).0
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

    /// The nearest unclaimed live place at or after `i`, and how many dead places lie from
    /// `i` up to it (or to the end). Built into the caller, with the single step and the
    /// single hop first: walking, called once per step, cost about as much as the dead places
    /// it saved weighing.
    #[inline(always)]
    pub fn next(&mut self, i: usize) -> (Option<usize>, u32) {
        match self.0.get(i) {
            None => (None, 0),
            Some(e) if e.right == 0 => (Some(i), 0),
            Some(_) => self.next_over(i),
        }
    }

    #[inline(always)]
    fn next_over(&mut self, i: usize) -> (Option<usize>, u32) {
        let e = &mut *self.0;
        let len = e.len();
        // One hop, as most are once walks have shortened them: nothing to shorten.
        let j = i + e[i].right as usize;
        if j >= len || e[j].right == 0 {
            return ((j < len).then_some(j), e[i].right_dead);
        }
        let (mut j, mut dead) = (i, 0);
        while j < len && e[j].right > 0 {
            dead += e[j].right_dead;
            j += e[j].right as usize;
        }
        // Every place passed over on the way now reaches `j` in one hop.
        let (mut k, mut before) = (i, 0);
        while k < j {
            let (hop, d) = (e[k].right as usize, e[k].right_dead);
            e[k].right = (j - k) as u32;
            e[k].right_dead = dead - before;
            before += d;
            k += hop;
        }
        ((j < len).then_some(j), dead)
    }

    /// The nearest unclaimed live place before `i`, and how many dead places lie between
    /// (counting any dropped from under a run that reached the front).
    #[inline(always)]
    pub fn prev(&mut self, i: usize) -> (Option<usize>, u32) {
        match i.checked_sub(1).map(|j| self.0[j].left) {
            None => (None, 0),
            Some(0) => (Some(i - 1), 0),
            Some(_) => self.prev_over(i),
        }
    }

    #[inline(always)]
    fn prev_over(&mut self, i: usize) -> (Option<usize>, u32) {
        let e = &mut *self.0;
        // One hop, as most are once walks have shortened them: nothing to shorten.
        let j = i.saturating_sub(e[i - 1].left as usize);
        if j == 0 || e[j - 1].left == 0 {
            return ((j > 0).then(|| j - 1), e[i - 1].left_dead);
        }
        // Places shifted by one: `j` is one past the place looked at, 0 past the front.
        let (mut j, mut dead) = (i, 0);
        while j > 0 && e[j - 1].left > 0 {
            dead += e[j - 1].left_dead;
            // A run may reach past the front (dropped from under it).
            j = j.saturating_sub(e[j - 1].left as usize);
        }
        let (mut k, mut before) = (i, 0);
        while k > j {
            let (hop, d) = (e[k - 1].left as usize, e[k - 1].left_dead);
            e[k - 1].left = (k - j) as u32;
            e[k - 1].left_dead = dead - before;
            before += d;
            k = k.saturating_sub(hop);
        }
        ((j > 0).then(|| j - 1), dead)
    }

    /// Claims the unclaimed live candidate at place `i`.
    pub fn claim(&mut self, i: usize) -> V {
        let e = &mut self.0[i];
        debug_assert_eq!(e.left, 0);
        (e.left, e.right, e.left_dead, e.right_dead) = (1, 1, 0, 0);
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
    use std::cell::RefCell;
    use std::collections::{BTreeMap, BTreeSet};

    /// The first live entry of `m` in `range` (forwards, or backwards with `back`), and how
    /// many dead ones come before it.
    fn first_live<'a>(
        mut it: impl Iterator<Item = (&'a At, &'a (u64, bool))>,
    ) -> (Option<(At, u64)>, u32) {
        let mut dead = 0;
        for (k, &(v, d)) in &mut it {
            if !d {
                return (Some((*k, v)), dead);
            }
            dead += 1;
        }
        (None, dead)
    }

    /// The first five live entries, each with the count of dead ones passed before it.
    fn first_five<'a>(
        mut it: impl Iterator<Item = (&'a At, &'a (u64, bool))>,
    ) -> Vec<(At, u64, u32)> {
        let mut want = Vec::new();
        while want.len() < 5 {
            match first_live(&mut it) {
                (Some((k, v)), dead) => want.push((k, v, dead)),
                (None, _) => break,
            }
        }
        want
    }

    /// Against an ordered map fed alike (arrivals out of order, often into runs of claimed
    /// and dead places, claims and deaths on both sides of a point, drops from the front):
    /// every walk from any point yields the map's live entries in the map's order, and the
    /// count of dead ones it passed.
    #[test]
    fn walks_match_an_ordered_map() {
        let mut c = Candidates::new();
        // Value and whether it is dead; claimed entries leave the map.
        let mut m: BTreeMap<At, (u64, bool)> = BTreeMap::new();
        let killed = RefCell::new(BTreeSet::new());
        let mut x = 12345u64;
        let mut draw = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        for n in 0..4000u64 {
            // Up to 60 back: arrivals land among claimed and dead candidates.
            let t = (n * 10).saturating_sub(draw(61));
            c.insert((t, n), n, |v| killed.borrow().contains(v));
            m.insert((t, n), (n, false));
            // Claim or kill a few on either side of a recent point, as links and later uses
            // do.
            for _ in 0..draw(4) {
                let probe = (t.saturating_sub(draw(200)), 0);
                let i = c.position(probe);
                for hint in [0, i / 2, i, i + 1, i + draw(40) as usize, usize::MAX] {
                    assert_eq!(
                        c.position_near(hint.saturating_sub(draw(40) as usize), probe),
                        i
                    );
                }
                let up = draw(2) == 0;
                let (pick, dead) = if up {
                    c.walk().next(i)
                } else {
                    c.walk().prev(i)
                };
                let (want, want_dead) = if up {
                    first_live(m.range(probe..))
                } else {
                    first_live(m.range(..probe).rev())
                };
                assert_eq!(pick.map(|p| (c.get(p).0, *c.get(p).1)), want);
                if pick.is_some() {
                    assert_eq!(dead, want_dead);
                }
                if let Some(p) = pick {
                    let k = want.unwrap().0;
                    if draw(3) == 0 {
                        c.kill(p);
                        killed.borrow_mut().insert(*c.get(p).1);
                        m.get_mut(&k).unwrap().1 = true;
                    } else {
                        assert_eq!(c.claim(p), m.remove(&k).unwrap().0);
                    }
                }
            }
            if n % 7 == 0 {
                let probe = (t.saturating_sub(draw(300)), u64::MAX);
                let split = c.position(probe);
                let (mut got, mut i) = (Vec::new(), split);
                while let (Some(p), dead) = c.walk().prev(i) {
                    if got.len() == 5 {
                        break;
                    }
                    got.push((c.get(p).0, *c.get(p).1, dead));
                    i = p;
                }
                assert_eq!(got, first_five(m.range(..probe).rev()));
                let (mut got, mut i) = (Vec::new(), split);
                while let (Some(p), dead) = c.walk().next(i) {
                    if got.len() == 5 {
                        break;
                    }
                    got.push((c.get(p).0, *c.get(p).1, dead));
                    i = p + 1;
                }
                assert_eq!(got, first_five(m.range(probe..)));
            }
            if n % 50 == 0 {
                let limit = (n * 10).saturating_sub(400 + draw(200));
                c.drop_while(|first| first < limit);
                while m.first_key_value().is_some_and(|(k, _)| k.0 < limit) {
                    m.pop_first();
                }
            }
            for k in [(t, n), (t, n.saturating_sub(3))] {
                let live = m.get(&k).filter(|e| !e.1).map(|e| e.0);
                assert_eq!(c.get_mut(k).copied(), live);
            }
        }
        let (mut all, mut i) = (Vec::new(), 0);
        while let Some(p) = c.next(i) {
            all.push((c.get(p).0, *c.get(p).1));
            i = p + 1;
        }
        let want: Vec<_> = m
            .iter()
            .filter(|e| !e.1.1)
            .map(|(k, v)| (*k, v.0))
            .collect();
        assert_eq!(all, want);
    }
}
