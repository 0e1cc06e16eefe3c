//! The pool's arrival order, kept as runs of consecutive slots of one generation.
//!
//! A pool that mostly grows (a fleet whose readings wait for blocks that carry a twentieth of
//! them) takes fresh slots one after another, so its arrival order is a few long runs: one
//! 12-byte run stands for what was an 8-byte `(slot, generation)` entry per transaction
//! (48 bytes a device for a LoRaWAN meter's six readings an hour). A pool that reuses slots
//! takes them from the top of its free list, which hands back a block's settled slots in
//! reverse, so runs also count down; slots of different generations still break runs, so a
//! pool that settles as fast as it fills keeps about one run a transaction, 4 bytes more than
//! the pair. Runs keep no position: finding one walks the runs from the front
//! ([`Order::iter_from`]), which only proof of stake's proposals ask for, once a proposal.

use std::collections::VecDeque;

/// `len` entries: slots `slot`, `slot ± 1`, … (down when [`DOWN`] is set in `len`), all of
/// generation `generation`.
#[derive(Clone, Copy, Debug)]
struct Run {
    slot: u32,
    generation: u32,
    len: u32,
}

/// Set in [`Run::len`] when the run's slots count down.
const DOWN: u32 = 1 << 31;

impl Run {
    fn count(&self) -> u32 {
        self.len & !DOWN
    }

    fn down(&self) -> bool {
        self.len & DOWN != 0
    }

    /// The run's `k`-th slot.
    fn slot(&self, k: u32) -> u32 {
        if self.down() {
            self.slot - k
        } else {
            self.slot + k
        }
    }

    /// Whether `(slot, generation)` can follow the run's last entry, and in which direction.
    fn extends(&self, slot: u32, generation: u32) -> Option<bool> {
        if generation != self.generation || self.count() >= DOWN - 1 {
            return None;
        }
        let last = self.slot(self.count() - 1);
        match self.count() {
            1 if last.checked_add(1) == Some(slot) => Some(false),
            1 if last.checked_sub(1) == Some(slot) => Some(true),
            _ if self.down() && last.checked_sub(1) == Some(slot) => Some(true),
            _ if !self.down() && last.checked_add(1) == Some(slot) => Some(false),
            _ => None,
        }
    }
}

/// `(slot, generation)` pairs in arrival order, each at a position that keeps naming it until
/// the entries before it are compacted away.
#[derive(Default)]
pub struct Order {
    runs: VecDeque<Run>,
    /// Entries popped from the front: the first entry's position.
    popped: u64,
    /// The position the next entry pushed takes.
    next: u64,
}

impl Order {
    pub fn push_back(&mut self, slot: u32, generation: u32) {
        self.append(slot, generation, true);
    }

    /// Pushes an entry, extending the last run if `merge` allows and the entry follows it.
    fn append(&mut self, slot: u32, generation: u32, merge: bool) {
        let extended = merge
            && self.runs.back_mut().is_some_and(|r| {
                let Some(down) = r.extends(slot, generation) else {
                    return false;
                };
                r.len = (r.count() + 1) | if down { DOWN } else { 0 };
                true
            });
        if !extended {
            self.runs.push_back(Run {
                slot,
                generation,
                len: 1,
            });
        }
        self.next += 1;
    }

    pub fn front(&self) -> Option<(u32, u32)> {
        self.runs.front().map(|r| (r.slot, r.generation))
    }

    pub fn pop_front(&mut self) {
        let Some(r) = self.runs.front_mut() else {
            return;
        };
        self.popped += 1;
        if r.count() == 1 {
            self.runs.pop_front();
        } else {
            r.slot = r.slot(1);
            r.len -= 1;
        }
    }

    /// Entries still kept, dead ones included.
    pub fn len(&self) -> u64 {
        self.next - self.popped
    }

    /// Keeps the entries `keep` accepts, in order; the ones after a removed entry move up.
    /// The kept runs are written after the old ones in the same deque, which then drops
    /// those: a fresh deque on each compaction left a churning pool's peak RSS 2-3 MB higher
    /// (quickstart) through the allocations it left behind.
    pub fn retain(&mut self, mut keep: impl FnMut(u32, u32) -> bool) {
        let old = self.runs.len();
        self.next = self.popped;
        let mut merge = false;
        for i in 0..old {
            let r = self.runs[i];
            for k in 0..r.count() {
                let slot = r.slot(k);
                if keep(slot, r.generation) {
                    self.append(slot, r.generation, merge);
                    merge = true;
                }
            }
        }
        self.runs.drain(..old);
    }

    /// Entries from position `from` on (from the front if `from` is before it), each with its
    /// position.
    pub fn iter_from(&self, from: u64) -> Entries<'_> {
        let mut e = Entries {
            runs: self.runs.iter(),
            run: None,
            k: 0,
            pos: self.popped,
        };
        // Whole runs before `from` are passed over without visiting their entries.
        for r in e.runs.by_ref() {
            let count = u64::from(r.count());
            if e.pos + count > from {
                e.k = from.saturating_sub(e.pos) as u32;
                e.pos += u64::from(e.k);
                e.run = Some(*r);
                break;
            }
            e.pos += count;
        }
        e
    }
}

/// [`Order::iter_from`]'s entries. A plain loop over runs rather than a `flat_map`: a pool
/// that settles as fast as it fills has about one run an entry, where the nested iterator's
/// set-up per run cost as much as the walk itself.
pub struct Entries<'a> {
    runs: std::collections::vec_deque::Iter<'a, Run>,
    run: Option<Run>,
    /// The next entry's index in `run`.
    k: u32,
    /// The next entry's position.
    pos: u64,
}

impl Iterator for Entries<'_> {
    type Item = (u64, u32, u32);

    #[inline]
    fn next(&mut self) -> Option<(u64, u32, u32)> {
        loop {
            let r = self.run?;
            if self.k < r.count() {
                let item = (self.pos, r.slot(self.k), r.generation);
                self.k += 1;
                self.pos += 1;
                return Some(item);
            }
            self.run = self.runs.next().copied();
            self.k = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(o: &Order, from: u64) -> Vec<(u64, u32, u32)> {
        o.iter_from(from).collect()
    }

    #[test]
    fn runs_up_and_down_give_back_every_entry_at_its_position() {
        assert_eq!(std::mem::size_of::<Run>(), 12);
        let pushed = [
            (4, 0),
            (5, 0),
            (6, 0),
            (9, 1),
            (8, 1),
            (7, 1),
            (7, 2),
            (3, 0),
            (2, 0),
        ];
        let mut o = Order::default();
        for &(s, g) in &pushed {
            o.push_back(s, g);
        }
        assert_eq!(o.runs.len(), 4, "4..=6, 9..=7, 7, 3..=2");
        let all: Vec<(u64, u32, u32)> = pushed
            .iter()
            .enumerate()
            .map(|(i, &(s, g))| (i as u64, s, g))
            .collect();
        assert_eq!(entries(&o, 0), all);
        assert_eq!(entries(&o, 4), all[4..]);
        assert_eq!(entries(&o, 99), []);
        o.pop_front();
        o.pop_front();
        assert_eq!((o.front(), o.popped, o.len()), (Some((6, 0)), 2, 7));
        assert_eq!(entries(&o, 0), all[2..]);
        o.retain(|s, _| s % 2 == 1);
        assert_eq!(
            entries(&o, 0),
            [(2, 9, 1), (3, 7, 1), (4, 7, 2), (5, 3, 0)],
            "positions renumber from the front after compaction"
        );
        for _ in 0..4 {
            o.pop_front();
        }
        assert_eq!((o.front(), o.len()), (None, 0));
        o.push_back(1, 5);
        assert_eq!(entries(&o, 0), [(6, 1, 5)]);
    }
}
