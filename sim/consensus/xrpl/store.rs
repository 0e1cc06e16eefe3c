//! What the XRP Ledger validators share (proposed positions, ledgers' transaction lists, the
//! maps by sequence and by content), kept while a validator that can still run may read it.
//!
//! The floor `F` is the lowest sequence a validator not down for good (either face of a
//! two-faced one) has fully validated. A validator's fully validated ledger only moves up in
//! sequence, and the ledger it works on (`lcl`) is never below it: it accepts a child of
//! `lcl`, adopts a validated ledger only above `lcl`, and switches only to a descendant of its
//! validated ledger. So every ledger a validator starts a round on, now or later, lies above
//! `F`, and:
//! - a position's transactions and parent are read only by a validator whose round is on that
//!   parent (its own position, or a peer's for the same parent): a position for sequence
//!   `s <= F` (parent below `F`) can no longer be read. A proposal naming one that arrives
//!   later changes nothing (it would be stored as a peer's position for a round no validator
//!   will reach, and its parent is below every validated ledger, which wrong-ledger detection
//!   ignores), so it is ignored;
//! - a ledger built from the same parent and set is looked up by its parent, `lcl`, so
//!   entries whose parent lies below `F` go;
//! - which ledger was first fully validated at a sequence is asked only above the asking
//!   validator's validated ledger, so sequences `<= F` go.
//!
//! A two-faced validator's faces count as validators: each hears one half of the honest ones,
//! so with a quorum above half of the UNL neither ever fully validates, and positions stay
//! for the whole run (what such a face would do with a released one is not bounded).
//!
//! A ledger's transaction list is read when the ledger is built and, once it is fully
//! validated at a transaction's origin, to settle the transactions still in the pool: a list
//! none of whose transactions is in the pool any more (each settled, the pool's slots naming
//! a later one by generation) can settle nothing and goes. Ledgers' headers (parent, height,
//! builder, size) stay: they make the `blocks` table.

use super::Xrpl;
use crate::ledger::TxRef;
use std::collections::VecDeque;
use std::ops::Index;

/// Identifies a set (positions and ledgers built from them are told apart by it).
pub(super) fn hash_set(txs: &[TxRef]) -> u64 {
    // FNV-1a over the (origin, slot, generation) triples: identifies a set, never ordered on.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for t in txs {
        for w in [t.origin, t.slot, t.generation] {
            for b in w.to_le_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    h
}

pub(super) struct Position {
    pub seq: u32,
    pub parent: u32,
    pub txs: Vec<TxRef>,
    pub hash: u64,
    /// The face of the two-faced validator that proposed it (`None`: honest).
    pub face: Option<bool>,
}

/// Positions by id, from `base` on; released in id order once their sequence is at or below
/// the floor.
#[derive(Default)]
pub(super) struct Positions {
    slots: VecDeque<Position>,
    base: u32,
    /// Transactions listed by the positions held.
    refs: usize,
}

impl Positions {
    pub fn push(&mut self, p: Position) -> u32 {
        self.refs += p.txs.len();
        self.slots.push_back(p);
        self.base + self.slots.len() as u32 - 1
    }

    /// The position, unless released (see the module's comment: nothing reads it then).
    pub fn try_get(&self, p: u32) -> Option<&Position> {
        p.checked_sub(self.base)
            .and_then(|i| self.slots.get(i as usize))
    }

    /// Whether `p` is held and proposes a child of `l` (a released one never does).
    pub fn parent_is(&self, p: u32, l: u32) -> bool {
        self.try_get(p).is_some_and(|q| q.parent == l)
    }

    fn release(&mut self, floor: u32) {
        while let Some(p) = self.slots.front()
            && p.seq <= floor
        {
            self.refs -= p.txs.len();
            self.slots.pop_front();
            self.base += 1;
        }
    }
}

impl Index<usize> for Positions {
    type Output = Position;

    fn index(&self, p: usize) -> &Position {
        self.try_get(p as u32)
            .unwrap_or_else(|| panic!("position {p} read after its release"))
    }
}

/// The lowest fully validated sequence among the validators that can still run.
pub(super) struct Floor {
    /// By validator, then by second face at `n + id`: `u32::MAX` for none or down for good.
    validated: Vec<u32>,
    pub value: u32,
}

impl Floor {
    pub fn new(validators: u32, twins: impl Iterator<Item = u32>) -> Self {
        let n = validators as usize;
        let mut validated = vec![0; n];
        validated.extend(std::iter::repeat_n(u32::MAX, n));
        for id in twins {
            validated[n + id as usize] = 0;
        }
        Floor {
            validated,
            value: 0,
        }
    }

    fn slot(&self, id: u32, twin: bool) -> usize {
        id as usize + if twin { self.validated.len() / 2 } else { 0 }
    }

    /// Records a validation; returns whether the floor rose.
    pub fn set(&mut self, id: u32, twin: bool, seq: u32) -> bool {
        let i = self.slot(id, twin);
        debug_assert!(seq >= self.validated[i], "validated sequences only rise");
        self.validated[i] = seq;
        self.update()
    }

    /// A validator down for good holds nothing back.
    pub fn down_for_good(&mut self, id: u32) -> bool {
        for twin in [false, true] {
            let i = self.slot(id, twin);
            self.validated[i] = u32::MAX;
        }
        self.update()
    }

    fn update(&mut self) -> bool {
        let min = self.validated.iter().copied().min().unwrap_or(u32::MAX);
        debug_assert!(min >= self.value);
        let rose = min > self.value;
        self.value = min;
        rose
    }
}

/// Ledgers whose transaction lists are held, swept once they have doubled since the last
/// sweep (so a sweep costs about what was added since the one before).
#[derive(Default)]
struct Lists {
    held: Vec<u32>,
    refs: usize,
    after_sweep: usize,
}

pub(super) struct Release {
    pub floor: Floor,
    lists: Lists,
    /// Nothing is released (checks that the outputs do not depend on the release).
    keep_all: bool,
    peak_held: usize,
}

impl Release {
    pub fn new(validators: u32, twins: impl Iterator<Item = u32>) -> Self {
        Release {
            floor: Floor::new(validators, twins),
            lists: Lists::default(),
            keep_all: false,
            peak_held: 0,
        }
    }
}

impl Xrpl {
    /// Keeps everything to the end instead of releasing what no validator can read: the
    /// outputs are the same, the memory grows with the run.
    pub fn keep_all(mut self) -> Self {
        self.release.keep_all = true;
        self
    }

    /// The most transaction references held at once, in positions and ledgers' lists.
    pub fn peak_held(&self) -> usize {
        self.release.peak_held
    }

    pub(super) fn note_held(&mut self) {
        let now = self.positions.refs + self.release.lists.refs;
        self.release.peak_held = self.release.peak_held.max(now);
    }

    /// A ledger just built: its list is held until it can settle nothing.
    pub(super) fn hold_list(&mut self, l: u32) {
        let n = self.ledgers.get(l).txs.len();
        self.release.lists.held.push(l);
        self.release.lists.refs += n;
        self.note_held();
        if self.release.keep_all
            || self.release.lists.refs <= 2 * self.release.lists.after_sweep + 4096
        {
            return;
        }
        let (ledgers, pool) = (&mut self.ledgers, &self.pool);
        let mut refs = 0;
        self.release.lists.held.retain(|&l| {
            let txs = &ledgers.get(l).txs;
            if txs.iter().any(|r| pool.get(r.slot, r.generation).is_some()) {
                refs += txs.len();
                true
            } else {
                ledgers.release_txs(l);
                false
            }
        });
        self.release.lists.refs = refs;
        self.release.lists.after_sweep = refs;
    }

    /// Releases what lies at or below the floor (see the module's comment).
    pub(super) fn release_below_floor(&mut self) {
        if self.release.keep_all {
            return;
        }
        let floor = self.release.floor.value;
        self.positions.release(floor);
        while let Some(e) = self.validated_at.first_entry()
            && *e.key() <= floor
        {
            e.remove();
        }
        let ledgers = &self.ledgers;
        self.by_content
            .retain(|&(parent, _), _| ledgers.get(parent).height >= floor);
    }
}
