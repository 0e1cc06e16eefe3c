//! The keys an attacker holds, by tracked device. In the common case a device has at most
//! three keys in use at once (the one it signs with and the ones it rotated away from, not
//! yet retired: a key retires three or four periods after its last use, so a device rotating
//! every second or third reading holds three), so they sit in a flat array indexed by device;
//! a fourth (a device rotating faster than its keys retire, or seen in two pools) goes to a
//! hash map. Looking every key up in hash maps took about a seventh of the quickstart's time
//! with two observers and keys rotated every third reading (a cache miss per lookup); with two
//! places a device, the third key's map cost about 0.05 G instructions there. Nothing here is
//! iterated, so where a key sits cannot reach a result.

use super::idmap::IdMap;
use super::sightings::BLOCK;

/// Devices per chunk: chunks are allocated when one of their devices is first seen, so an
/// observer that sees a few devices (a gateway's operator) holds little.
const CHUNK: usize = 256;
/// An empty place (a tag is a pool's number and an epoch, both below `u32::MAX`).
const EMPTY: u64 = u64::MAX;

/// Keys a device keeps in its flat array.
const NEAR: usize = 3;

type Near<V> = [(u64, V); NEAR];

pub struct Keys<V> {
    chunks: Vec<Option<Box<[Near<V>]>>>,
    far: IdMap<(u32, u32, u32), V>,
}

fn tag(pool: u32, epoch: u32) -> u64 {
    (u64::from(pool) << 32) | u64::from(epoch)
}

impl<V: Copy + Default> Keys<V> {
    /// `devices`: how many are tracked (the devices given are below it).
    pub fn new(devices: usize) -> Self {
        Keys {
            chunks: (0..devices.div_ceil(CHUNK)).map(|_| None).collect(),
            far: IdMap::default(),
        }
    }

    fn near(&mut self, device: u32) -> &mut Near<V> {
        let d = device as usize;
        let chunk = self.chunks[d / CHUNK]
            .get_or_insert_with(|| vec![[(EMPTY, V::default()); NEAR]; CHUNK].into_boxed_slice());
        &mut chunk[d % CHUNK]
    }

    /// Reads every place of `device` (the word read means nothing): ahead of weighing, so
    /// that the cache misses of a block's devices overlap (see `sightings.rs`).
    pub fn touch(&self, device: u32) -> u64 {
        let d = device as usize;
        match self.chunks.get(d / CHUNK) {
            Some(Some(chunk)) => chunk[d % CHUNK].iter().fold(0, |x, k| x ^ k.0),
            _ => 0,
        }
    }

    /// Key `epoch` of `device` in pool number `pool`.
    pub fn get_mut(&mut self, pool: u32, device: u32, epoch: u32) -> Option<&mut V> {
        let t = tag(pool, epoch);
        let far_empty = self.far.is_empty();
        let d = device as usize;
        // No chunks at all where no key is kept (none is used twice).
        if let Some(Some(chunk)) = self.chunks.get_mut(d / CHUNK) {
            let near = &mut chunk[d % CHUNK];
            if let Some(i) = near.iter().position(|&(k, _)| k == t) {
                return Some(&mut near[i].1);
            }
        }
        if far_empty {
            return None;
        }
        self.far.get_mut(&(pool, device, epoch))
    }

    /// Files a key not held yet; the device's `NEAR` newest keys stay near.
    pub fn insert(&mut self, pool: u32, device: u32, epoch: u32, v: V) {
        let t = tag(pool, epoch);
        let near = self.near(device);
        if let Some(i) = near.iter().position(|&(k, _)| k == EMPTY) {
            near[i] = (t, v);
            return;
        }
        // The oldest near (by epoch; the first of equals), unless the new key is older still.
        let mut i = 0;
        for j in 1..NEAR {
            if (near[j].0 as u32) < (near[i].0 as u32) {
                i = j;
            }
        }
        let (old, ov) = near[i];
        if (old as u32) < epoch {
            near[i] = (t, v);
            self.far
                .insert(((old >> 32) as u32, device, old as u32), ov);
        } else {
            self.far.insert((pool, device, epoch), v);
        }
    }

    /// Calls `each` on every entry of `list` in order, a block at a time, the keys of each
    /// block's devices (`device` of an entry) read first, all at once, so that their cache
    /// misses overlap (see `sightings.rs`).
    pub fn in_blocks<T>(
        &mut self,
        list: &[T],
        device: impl Fn(&T) -> u32,
        mut each: impl FnMut(&mut Self, &T),
    ) {
        for block in list.chunks(BLOCK) {
            let touched = block.iter().fold(0, |x, t| x ^ self.touch(device(t)));
            std::hint::black_box(touched);
            for t in block {
                each(self, t);
            }
        }
    }

    /// Finds key `epoch` of `device` in pool number `pool` once: `None` if not held; else it
    /// is removed and returned in `Ok` when `take` says so, or kept and a copy returned in
    /// `Err`. Retiring keys this way costs one lookup (one cache miss) where a look and a
    /// removal cost two.
    pub fn remove_if(
        &mut self,
        pool: u32,
        device: u32,
        epoch: u32,
        take: impl FnOnce(&V) -> bool,
    ) -> Option<Result<V, V>> {
        let t = tag(pool, epoch);
        let d = device as usize;
        if let Some(Some(chunk)) = self.chunks.get_mut(d / CHUNK) {
            let near = &mut chunk[d % CHUNK];
            if let Some(i) = near.iter().position(|&(k, _)| k == t) {
                let v = near[i].1;
                if !take(&v) {
                    return Some(Err(v));
                }
                near[i].0 = EMPTY;
                return Some(Ok(v));
            }
        }
        if self.far.is_empty() {
            return None;
        }
        let key = (pool, device, epoch);
        let v = *self.far.get(&key)?;
        if !take(&v) {
            return Some(Err(v));
        }
        self.far.remove(&key);
        Some(Ok(v))
    }

    #[cfg(test)]
    pub fn remove(&mut self, pool: u32, device: u32, epoch: u32) -> Option<V> {
        self.remove_if(pool, device, epoch, |_| true)?.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever sits near or far, every key filed is found under its own pool and epoch
    /// until removed, and never under another's.
    #[test]
    fn keys_are_found_where_filed_until_removed() {
        let mut k: Keys<u64> = Keys::new(600);
        for e in [3u32, 1, 5, 4, 2] {
            for pool in 0..2u32 {
                k.insert(pool, 513, e, u64::from(pool * 10 + e));
            }
        }
        for e in 1..=5u32 {
            for pool in 0..2u32 {
                assert_eq!(
                    k.get_mut(pool, 513, e).copied(),
                    Some(u64::from(pool * 10 + e))
                );
            }
        }
        assert_eq!(k.get_mut(0, 513, 6), None);
        assert_eq!(k.get_mut(0, 512, 5), None);
        assert_eq!(k.remove(1, 513, 5), Some(15));
        assert_eq!(k.remove(1, 513, 5), None);
        assert_eq!(k.remove(0, 513, 1), Some(1));
        // Kept when `take` declines, near or far.
        for e in [2u32, 3] {
            assert_eq!(k.remove_if(0, 513, e, |_| false), Some(Err(u64::from(e))));
            assert_eq!(k.get_mut(0, 513, e).copied(), Some(u64::from(e)));
        }
        k.insert(0, 513, 7, 7);
        assert_eq!(k.get_mut(0, 513, 7).copied(), Some(7));
        assert_eq!(k.get_mut(0, 513, 5).copied(), Some(5));
        assert_eq!(k.get_mut(1, 513, 1).copied(), Some(11));
    }
}
