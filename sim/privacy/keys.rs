//! The keys both attackers hold, by tracked device, in one table. A key `(pool, device,
//! epoch)` sits in place `epoch % NEAR` of its device, one cache line holding what the
//! heuristic and the Bayes attacker keep of it side by side, so that one cache miss serves
//! both, and a lookup reads that line alone: a device's keys in use are consecutive epochs
//! (the one it signs with and those it rotated away from, not yet retired: a key retires
//! three or four periods after its last use, so a device rotating every second or third
//! reading holds three), which fall in distinct places. Where two keys want one place (a
//! device rotating faster than its keys retire, one seen in two pools, epochs that skip) the
//! older goes to a hash map, as does an attacker's key that no longer matches the other's in
//! its place (one attacker retired it and the heuristic filed it again).
//!
//! Both attackers are told of every use of a key, the Bayes attacker first, and count its
//! first use, last use and uses alike, so a place holds those once for both; the one told
//! second finds them counted. Separate tables, three places a device each (96 and 192 bytes)
//! scanned in full, cost five cache lines per transaction seen where this costs one.
//! Looking every key up in hash maps took about a seventh of the quickstart's time with two
//! observers and keys rotated every third reading. Nothing here is iterated, so where a key
//! sits cannot reach a result.

use super::bayes::{self, Active};
use super::idmap::IdMap;
use super::linker;
use super::sightings::BLOCK;
use crate::engine::Time;

/// Devices per chunk: chunks are allocated when one of their devices is first seen, so an
/// observer that sees a few devices (a gateway's operator) holds little.
const CHUNK: usize = 256;
/// An empty place (a tag is a pool's number and an epoch, both below `u32::MAX`).
const EMPTY: u64 = u64::MAX;
/// Places a device has.
const NEAR: usize = 3;
/// Which attackers hold the key in a place.
const LINK: u8 = 1;
const BAYES: u8 = 2;

/// A key both attackers may hold, in one cache line: its first and last use and uses (alike
/// for both), and the Bayes attacker's residues and where its candidate sits.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Place {
    tag: u64,
    first: Time,
    last: Time,
    lo: i64,
    hi: i64,
    arrival: u64,
    place: u64,
    uses: u32,
    held: u8,
}

const FREE: Place = Place {
    tag: EMPTY,
    first: 0,
    last: 0,
    lo: 0,
    hi: 0,
    arrival: 0,
    place: 0,
    uses: 0,
    held: 0,
};

impl Place {
    fn link(&self) -> linker::Key {
        linker::Key {
            first: self.first,
            last: self.last,
            uses: self.uses,
        }
    }

    fn bayes(&self) -> Active {
        Active {
            key: bayes::Key {
                first: self.first,
                last: self.last,
                uses: self.uses,
                lo: self.lo,
                hi: self.hi,
            },
            arrival: self.arrival,
            place: self.place,
        }
    }

    fn set_bayes(&mut self, a: &Active) {
        (self.first, self.last, self.uses) = (a.key.first, a.key.last, a.key.uses);
        (self.lo, self.hi, self.arrival, self.place) = (a.key.lo, a.key.hi, a.arrival, a.place);
    }

    /// Whether `k`'s uses are those this place counts.
    fn counts(&self, k: &linker::Key) -> bool {
        (self.first, self.last, self.uses) == (k.first, k.last, k.uses)
    }

    fn drop(&mut self, who: u8) {
        self.held &= !who;
        if self.held == 0 {
            self.tag = EMPTY;
        }
    }
}

type Near = [Place; NEAR];

/// What the Bayes attacker, told of a use first, did in the key's place.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Told {
    /// Nothing: it holds no key there.
    Nothing,
    /// Counted the use of the key it holds there.
    Counted,
    /// Filed the key there, new: the heuristic's new key is the same.
    Filed,
}
type Id = (u32, u32, u32);

pub struct Keys {
    chunks: Vec<Option<Box<[Near]>>>,
    link_far: IdMap<Id, linker::Key>,
    bayes_far: IdMap<Id, Active>,
}

fn tag(pool: u32, epoch: u32) -> u64 {
    (u64::from(pool) << 32) | u64::from(epoch)
}

impl Keys {
    /// `devices`: how many are tracked (the devices given are below it).
    pub fn new(devices: usize) -> Self {
        Keys {
            chunks: (0..devices.div_ceil(CHUNK)).map(|_| None).collect(),
            link_far: IdMap::default(),
            bayes_far: IdMap::default(),
        }
    }

    #[inline]
    fn at(&mut self, device: u32, epoch: u32) -> Option<&mut Place> {
        let d = device as usize;
        match self.chunks.get_mut(d / CHUNK) {
            Some(Some(chunk)) => Some(&mut chunk[d % CHUNK][epoch as usize % NEAR]),
            _ => None,
        }
    }

    /// Reads the place of key `epoch` of `device` (the word read means nothing): ahead of
    /// weighing, so that the cache misses of a block's devices overlap (see `sightings.rs`).
    pub fn touch(&self, device: u32, epoch: u32) -> u64 {
        let d = device as usize;
        match self.chunks.get(d / CHUNK) {
            Some(Some(chunk)) => chunk[d % CHUNK][epoch as usize % NEAR].tag,
            _ => 0,
        }
    }

    /// Makes room for key `(pool, device, epoch)` in its place when that holds another key:
    /// the older of the two goes far. Returns the place, free or the key's own, or `None`
    /// when the key itself goes far.
    fn room(&mut self, pool: u32, device: u32, epoch: u32) -> Option<&mut Place> {
        let d = device as usize;
        let chunk = self.chunks[d / CHUNK]
            .get_or_insert_with(|| vec![[FREE; NEAR]; CHUNK].into_boxed_slice());
        let s = &mut chunk[d % CHUNK][epoch as usize % NEAR];
        if s.held == 0 || s.tag == tag(pool, epoch) {
            return Some(s);
        }
        if (s.tag as u32) >= epoch {
            return None;
        }
        let id = ((s.tag >> 32) as u32, device, s.tag as u32);
        if s.held & LINK != 0 {
            self.link_far.insert(id, s.link());
        }
        if s.held & BAYES != 0 {
            self.bayes_far.insert(id, s.bayes());
        }
        *s = FREE;
        Some(s)
    }

    /// The heuristic's key `epoch` of `device` in pool number `pool`, after `update` (not
    /// applied where the Bayes attacker has just counted this use of it in its place:
    /// `counted`).
    pub fn link_update(
        &mut self,
        (pool, device, epoch): Id,
        counted: bool,
        update: impl FnOnce(&mut linker::Key),
    ) -> Option<linker::Key> {
        let far_empty = self.link_far.is_empty();
        if let Some(s) = self.at(device, epoch)
            && s.tag == tag(pool, epoch)
            && s.held & LINK != 0
        {
            let mut k = s.link();
            if !(counted && s.held & BAYES != 0) {
                update(&mut k);
                (s.last, s.uses) = (k.last, k.uses);
            }
            return Some(k);
        }
        if far_empty {
            return None;
        }
        let k = self.link_far.get_mut(&(pool, device, epoch))?;
        update(k);
        Some(*k)
    }

    /// Files the heuristic's new key in the place where the Bayes attacker has just filed
    /// its own at this use (`Told::Filed`): the same first use, last use and uses.
    pub fn link_join(&mut self, (pool, device, epoch): Id) {
        let s = self
            .at(device, epoch)
            .expect("the Bayes attacker filed it here");
        debug_assert!(s.tag == tag(pool, epoch) && s.held == BAYES && s.uses == 1);
        s.held |= LINK;
    }

    /// Files a key the heuristic does not hold yet.
    pub fn link_insert(&mut self, (pool, device, epoch): Id, k: linker::Key) {
        let t = tag(pool, epoch);
        match self.room(pool, device, epoch) {
            Some(s) if s.held == 0 => {
                *s = Place {
                    tag: t,
                    first: k.first,
                    last: k.last,
                    uses: k.uses,
                    held: LINK,
                    ..FREE
                };
            }
            // The Bayes attacker's key, filed at this same use.
            Some(s) if s.counts(&k) => s.held |= LINK,
            _ => {
                self.link_far.insert((pool, device, epoch), k);
            }
        }
    }

    /// Finds the heuristic's key once: `None` if not held; else it is removed and returned in
    /// `Ok` when `take` says so, or kept and a copy returned in `Err`. Retiring keys this way
    /// costs one lookup (one cache miss) where a look and a removal cost two.
    pub fn link_remove_if(
        &mut self,
        (pool, device, epoch): Id,
        take: impl FnOnce(&linker::Key) -> bool,
    ) -> Option<Result<linker::Key, linker::Key>> {
        let far_empty = self.link_far.is_empty();
        if let Some(s) = self.at(device, epoch)
            && s.tag == tag(pool, epoch)
            && s.held & LINK != 0
        {
            let k = s.link();
            if !take(&k) {
                return Some(Err(k));
            }
            s.drop(LINK);
            return Some(Ok(k));
        }
        if far_empty {
            return None;
        }
        let id = (pool, device, epoch);
        let k = *self.link_far.get(&id)?;
        if !take(&k) {
            return Some(Err(k));
        }
        self.link_far.remove(&id);
        Some(Ok(k))
    }

    /// The Bayes attacker's key `epoch` of `device` in pool number `pool`, after `update`,
    /// and whether it sits in its place (where the heuristic finds this use counted).
    pub fn bayes_update(
        &mut self,
        (pool, device, epoch): Id,
        update: impl FnOnce(&mut Active),
    ) -> Option<(Active, bool)> {
        let far_empty = self.bayes_far.is_empty();
        if let Some(s) = self.at(device, epoch)
            && s.tag == tag(pool, epoch)
            && s.held & BAYES != 0
        {
            let mut a = s.bayes();
            update(&mut a);
            s.set_bayes(&a);
            return Some((a, true));
        }
        if far_empty {
            return None;
        }
        let a = self.bayes_far.get_mut(&(pool, device, epoch))?;
        update(a);
        Some((*a, false))
    }

    /// Files a key the Bayes attacker does not hold yet; returns whether it is in its place.
    pub fn bayes_insert(&mut self, (pool, device, epoch): Id, a: Active) -> bool {
        let t = tag(pool, epoch);
        let k = linker::Key {
            first: a.key.first,
            last: a.key.last,
            uses: a.key.uses,
        };
        match self.room(pool, device, epoch) {
            Some(s) if s.held == 0 => {
                *s = Place {
                    tag: t,
                    held: BAYES,
                    ..FREE
                };
                s.set_bayes(&a);
                true
            }
            Some(s) if s.counts(&k) => {
                s.set_bayes(&a);
                s.held |= BAYES;
                true
            }
            _ => {
                self.bayes_far.insert((pool, device, epoch), a);
                false
            }
        }
    }

    /// `link_remove_if` for the Bayes attacker.
    pub fn bayes_remove_if(
        &mut self,
        (pool, device, epoch): Id,
        take: impl FnOnce(&Active) -> bool,
    ) -> Option<Result<Active, Active>> {
        let far_empty = self.bayes_far.is_empty();
        if let Some(s) = self.at(device, epoch)
            && s.tag == tag(pool, epoch)
            && s.held & BAYES != 0
        {
            let a = s.bayes();
            if !take(&a) {
                return Some(Err(a));
            }
            s.drop(BAYES);
            return Some(Ok(a));
        }
        if far_empty {
            return None;
        }
        let id = (pool, device, epoch);
        let a = *self.bayes_far.get(&id)?;
        if !take(&a) {
            return Some(Err(a));
        }
        self.bayes_far.remove(&id);
        Some(Ok(a))
    }

    /// Calls `each` on every entry of `list` in order, a block at a time, the places of each
    /// block's keys (`key` of an entry: device and epoch) read first, all at once, so that
    /// their cache misses overlap (see `sightings.rs`).
    pub fn in_blocks<T>(
        &mut self,
        list: &[T],
        key: impl Fn(&T) -> (u32, u32),
        mut each: impl FnMut(&mut Self, &T),
    ) {
        for block in list.chunks(BLOCK) {
            let touched = block.iter().fold(0, |x, t| {
                let (d, e) = key(t);
                x ^ self.touch(d, e)
            });
            std::hint::black_box(touched);
            for t in block {
                each(self, t);
            }
        }
    }
}

#[cfg(test)]
mod tests;
