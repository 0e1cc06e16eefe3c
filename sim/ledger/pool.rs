//! Transactions that reached a validator and are not yet settled.
//!
//! Slots are reused after settlement; a `(slot, generation)` pair names a transaction, so a
//! stale reference from an orphaned block can never reach the slot's next occupant.

use super::order::Order;
use super::{Block, TxKind, TxTag};
use crate::consensus::TxIn;
use crate::engine::Time;
use std::collections::HashMap;

pub const NO_BLOCK: u32 = u32::MAX;

/// The origin's bits in [`Entry::word`]: validators are validated to at most 1,000,000.
const ORIGIN_BITS: u32 = 20;
const ORIGIN_MASK: u32 = (1 << ORIGIN_BITS) - 1;
const KIND_SHIFT: u32 = ORIGIN_BITS;
const KIND_MASK: u32 = 0b111;
/// A transaction's size is kept as its place in [`Pool::sizes`], the sizes the pool has met.
const SIZE_SHIFT: u32 = KIND_SHIFT + 3;
const SIZE_MASK: u32 = 0x7f;
/// The size is in [`Pool::far_bytes`]: the pool met more sizes than [`SIZE_MASK`] names.
const SIZE_FAR: u32 = SIZE_MASK;
/// Set when a second and third block are kept in [`Pool::more`].
const MORE: u32 = 1 << 30;
const LIVE: u32 = 1 << 31;
const _: () = assert!(crate::scenario::MAX_VALIDATORS <= 1 << ORIGIN_BITS);
const _: () = assert!(TxKind::COUNT <= KIND_MASK as usize + 1);
const _: () = assert!(SIZE_MASK << SIZE_SHIFT < MORE);
/// A time the record keeps in 48 bits (78 hours of simulated time); this value and any later
/// time send both of the transaction's times to [`Pool::far_times`].
const FAR_TIME: Time = (1 << 48) - 1;

/// What the pool keeps of a transaction, in 32 bytes: a fleet's readings can wait here for the
/// whole run (an hour of a million LoRaWAN meters sends six million readings of 20 bytes, and
/// six one-megabyte blocks carry at most 300,000), so this record is most of a large run's
/// memory. The validators never read a transaction's upload time or shared-key flag, so
/// neither is kept. The origin, the kind, the size's place among the sizes met and the slot's
/// flags share one word; and only the first block that carries it is kept here, the rare
/// second and third (competing branches) in [`Pool::more`]. The creation and arrival times
/// are kept whole in 48 bits each, not as a wait: a 4-byte wait until the validator overflowed
/// for most readings of a duty-cycled device (a reading waits in its device for the next frame,
/// often longer than 4.29 s), and the side map those went to cost more than it saved
/// (quickstart's peak 77 → 85 MB). A size the record cannot name, and times from 78 hours on,
/// sit in side maps by slot, so every value comes back as it went in.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// The time it reached its validator, low half-word first ([`FAR_TIME`] when it is in
    /// [`Pool::far_times`]).
    reached: [u16; 3],
    /// The transaction's creation time, as `reached`.
    created: [u16; 3],
    device: u32,
    seq: u32,
    /// The origin, the kind and the size's place (see the constants above), [`MORE`] and
    /// [`LIVE`] on top.
    word: u32,
    /// The first block that carries this transaction.
    block: u32,
    generation: u32,
}

/// A time as three half-words, low first, [`FAR_TIME`] for it and every later time.
fn split(t: Time) -> [u16; 3] {
    let t = t.min(FAR_TIME);
    [t as u16, (t >> 16) as u16, (t >> 32) as u16]
}

fn join(w: [u16; 3]) -> Time {
    Time::from(w[0]) | Time::from(w[1]) << 16 | Time::from(w[2]) << 32
}

impl Entry {
    fn live(&self) -> bool {
        self.word & LIVE != 0
    }

    fn far(&self) -> bool {
        join(self.created) == FAR_TIME || join(self.reached) == FAR_TIME
    }
}

/// A transaction in the pool, as it went in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolTx {
    created: Time,
    pub reached: Time,
    device: u32,
    seq: u32,
    bytes: u32,
    origin: u32,
    kind: TxKind,
    /// The first block that carries this transaction.
    block: u32,
}

impl PoolTx {
    pub fn included(&self) -> bool {
        self.block != NO_BLOCK
    }

    /// The validator the transaction reached first.
    pub fn origin(&self) -> u32 {
        self.origin
    }

    pub fn kind(&self) -> TxKind {
        self.kind
    }

    pub fn created(&self) -> Time {
        self.created
    }

    pub fn bytes(&self) -> u32 {
        self.bytes
    }

    pub fn tag(&self) -> TxTag {
        TxTag {
            device: self.device,
            seq: self.seq,
            kind: self.kind,
        }
    }
}

#[derive(Default)]
pub struct Pool {
    slots: Vec<Entry>,
    free: Vec<u32>,
    /// Live `(slot, generation)` in arrival order; dead entries are skipped and compacted.
    /// Positions in it keep naming the same entry until `epoch` changes.
    order: Order,
    live: u64,
    unincluded: u64,
    unincluded_bytes: u64,
    /// Smallest transaction inserted since the pool was last empty (a lower bound for the live
    /// ones): a block with less room left is full.
    min_bytes: u32,
    /// Changes when positions or inclusion records stop meaning what they meant: `order` is
    /// compacted, or a transaction forgets one of its blocks.
    epoch: u64,
    /// By slot, the second and third blocks of a live transaction mined on competing
    /// branches (flagged [`MORE`]).
    more: HashMap<u32, [u32; 2]>,
    /// Transaction sizes in the order the pool met them, at most [`SIZE_FAR`] of them.
    sizes: Vec<u32>,
    /// By slot, the size of a live transaction whose size is not in `sizes`.
    far_bytes: HashMap<u32, u32>,
    /// By slot, `(created, reached)` of a live transaction with either at [`FAR_TIME`] or
    /// later.
    far_times: HashMap<u32, [Time; 2]>,
}

impl Pool {
    pub fn insert(&mut self, tx: TxIn, reached: Time, origin: u32) -> (u32, u32) {
        debug_assert!(origin <= ORIGIN_MASK, "validators are validated to fit");
        let size = match self.sizes.iter().position(|&b| b == tx.bytes) {
            Some(i) => i as u32,
            None if self.sizes.len() < SIZE_FAR as usize => {
                self.sizes.push(tx.bytes);
                self.sizes.len() as u32 - 1
            }
            None => SIZE_FAR,
        };
        let entry = |generation| Entry {
            reached: split(reached),
            created: split(tx.created),
            device: tx.device,
            seq: tx.seq,
            word: origin | (tx.kind.index() as u32) << KIND_SHIFT | size << SIZE_SHIFT | LIVE,
            block: NO_BLOCK,
            generation,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                let g = self.slots[s as usize].generation.wrapping_add(1);
                self.slots[s as usize] = entry(g);
                s
            }
            None => {
                self.slots.push(entry(0));
                self.slots.len() as u32 - 1
            }
        };
        if size == SIZE_FAR {
            self.far_bytes.insert(slot, tx.bytes);
        }
        if self.slots[slot as usize].far() {
            self.far_times.insert(slot, [tx.created, reached]);
        }
        let generation = self.slots[slot as usize].generation;
        self.order.push_back(slot, generation);
        self.live += 1;
        self.unincluded += 1;
        self.unincluded_bytes += u64::from(tx.bytes);
        self.min_bytes = if self.live == 1 {
            tx.bytes
        } else {
            self.min_bytes.min(tx.bytes)
        };
        (slot, generation)
    }

    #[inline(always)]
    fn entry(&self, slot: u32, generation: u32) -> Option<&Entry> {
        self.slots
            .get(slot as usize)
            .filter(|t| t.live() && t.generation == generation)
    }

    #[inline(always)]
    fn bytes_of(&self, slot: u32, t: &Entry) -> u32 {
        match (t.word >> SIZE_SHIFT) & SIZE_MASK {
            SIZE_FAR => self.far_bytes[&slot],
            i => self.sizes[i as usize],
        }
    }

    #[inline(always)]
    fn unpack(&self, slot: u32, t: &Entry) -> PoolTx {
        let [created, reached] = match t.far() {
            false => [join(t.created), join(t.reached)],
            true => self.far_times[&slot],
        };
        PoolTx {
            created,
            reached,
            device: t.device,
            seq: t.seq,
            bytes: self.bytes_of(slot, t),
            origin: t.word & ORIGIN_MASK,
            kind: TxKind::ALL[((t.word >> KIND_SHIFT) & KIND_MASK) as usize],
            block: t.block,
        }
    }

    /// The live transaction named by `(slot, generation)`.
    // Inlined with `unpack`, `entry` and `bytes_of` so that a walk reading a few fields
    // (a block template's) computes only those: as a call it was 5 % of quickstart's
    // instructions.
    #[inline(always)]
    pub fn get(&self, slot: u32, generation: u32) -> Option<PoolTx> {
        self.entry(slot, generation).map(|t| self.unpack(slot, t))
    }

    /// Whether `(slot, generation)` names a live transaction.
    pub fn has(&self, slot: u32, generation: u32) -> bool {
        self.entry(slot, generation).is_some()
    }

    /// The blocks that carry the transaction in `slot`, oldest first, `NO_BLOCK` after them.
    pub fn blocks(&self, slot: u32) -> [u32; 3] {
        let t = &self.slots[slot as usize];
        match t.word & MORE {
            0 => [t.block, NO_BLOCK, NO_BLOCK],
            _ => {
                let [b, c] = self.more[&slot];
                [t.block, b, c]
            }
        }
    }

    /// Records that `block` carries the transaction; returns true on its first inclusion.
    pub fn add_block(&mut self, slot: u32, block: u32) -> bool {
        let mut blocks = self.blocks(slot);
        let bytes = self.bytes_of(slot, &self.slots[slot as usize]);
        let t = &mut self.slots[slot as usize];
        let first = t.block == NO_BLOCK;
        match blocks.iter().position(|&b| b == NO_BLOCK) {
            Some(i) => blocks[i] = block,
            // Three competing branches already carry it: forget the oldest branch. If that
            // branch later wins, the transaction may be mined once more on it; counted once.
            None => {
                blocks.rotate_left(1);
                blocks[2] = block;
                self.epoch += 1;
            }
        }
        t.block = blocks[0];
        if blocks[1] != NO_BLOCK {
            t.word |= MORE;
            self.more.insert(slot, [blocks[1], blocks[2]]);
        }
        if first {
            self.unincluded -= 1;
            self.unincluded_bytes -= u64::from(bytes);
        }
        first
    }

    /// Removes the transactions of origin `node` that `block` carries and that are still here,
    /// handing each and its slot to `settle` first. A block's references are sorted by origin,
    /// so this touches only that origin's run of them.
    pub fn take_own(&mut self, block: &Block, node: u32, mut settle: impl FnMut(u32, &PoolTx)) {
        debug_assert!(
            !block.dead,
            "a block whose branch no node could adopt is settled"
        );
        let lo = block.txs.partition_point(|r| r.origin < node);
        let hi = block.txs.partition_point(|r| r.origin <= node);
        for r in &block.txs[lo..hi] {
            if let Some(t) = self.get(r.slot, r.generation) {
                settle(r.slot, &t);
                self.remove(r.slot);
            }
        }
    }

    pub fn remove(&mut self, slot: u32) {
        let t = self.slots[slot as usize];
        debug_assert!(t.live());
        if t.block == NO_BLOCK {
            self.unincluded -= 1;
            self.unincluded_bytes -= u64::from(self.bytes_of(slot, &t));
        }
        if t.word & MORE != 0 {
            self.more.remove(&slot);
        }
        if (t.word >> SIZE_SHIFT) & SIZE_MASK == SIZE_FAR {
            self.far_bytes.remove(&slot);
        }
        if t.far() {
            self.far_times.remove(&slot);
        }
        self.slots[slot as usize].word &= !(LIVE | MORE);
        self.free.push(slot);
        self.live -= 1;
        while let Some((s, g)) = self.order.front() {
            if self.has(s, g) {
                break;
            }
            self.order.pop_front();
        }
        if self.order.len() > 2 * self.live + 1024 {
            let slots = &self.slots;
            self.order
                .retain(|s, g| slots[s as usize].live() && slots[s as usize].generation == g);
            self.epoch += 1;
        }
    }

    /// Live transactions in arrival order, with their `(slot, generation)`.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32, PoolTx)> + '_ {
        self.order
            .iter_from(0)
            .filter_map(|(_, s, g)| self.get(s, g).map(|t| (s, g, t)))
    }

    /// Live transactions `(in a block of the main chain, not)`: `main[b]` says whether block
    /// `b` is on it. What a block off the main chain carries is back to waiting.
    pub fn pending_split(&self, main: &[bool]) -> (u64, u64) {
        let (mut in_block, mut in_mempool) = (0u64, 0u64);
        for (slot, _, _) in self.iter() {
            let on_chain = self
                .blocks(slot)
                .iter()
                .any(|&b| b != NO_BLOCK && main[b as usize]);
            if on_chain {
                in_block += 1
            } else {
                in_mempool += 1
            }
        }
        (in_block, in_mempool)
    }

    /// Live transactions in arrival order from position `from` on, each with its position:
    /// a caller that learnt everything before some position can resume there while
    /// [`Pool::epoch`] is unchanged.
    pub fn iter_from(&self, from: u64) -> impl Iterator<Item = (u64, u32, u32, PoolTx)> + '_ {
        self.order
            .iter_from(from)
            .filter_map(|(pos, s, g)| self.get(s, g).map(|t| (pos, s, g, t)))
    }

    /// See [`Pool::iter_from`].
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn min_bytes(&self) -> u32 {
        self.min_bytes
    }

    pub fn live(&self) -> u64 {
        self.live
    }

    pub fn unincluded(&self) -> u64 {
        self.unincluded
    }

    /// Bytes of transactions in no block yet: what a node's mempool would hold.
    pub fn unincluded_bytes(&self) -> u64 {
        self.unincluded_bytes
    }
}

#[cfg(test)]
mod tests;
