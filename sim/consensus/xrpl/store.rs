//! What the XRP Ledger validators share (proposed positions, ledgers' transaction lists, the
//! maps by sequence and by content), kept while a validator that can still run may read it.
//!
//! The floor `F` is the lowest sequence a validator neither down for good nor two-faced has
//! fully validated: a two-faced validator is the adversary, so honest progress decides what
//! goes. A validator's fully validated ledger only moves up in
//! sequence, and the ledger it works on (`lcl`) is never below it: it accepts a child of
//! `lcl`, adopts a validated ledger only above `lcl`, and switches only to a descendant of its
//! validated ledger. So every ledger a validator starts a round on, now or later, lies above
//! `F`. A validator down but due back counts in `F`: back, it resumes on the ledger it last
//! worked on and reads the positions and decisions above it, so they stay while it is down
//! and go once it validates again. What is held then follows the downtime, not the run's
//! length (85,060 references and 40 sequences at most for 150 s down, 163,506 and 77 for
//! 300 s, at 600 s and 2,400 s alike: `tests/memory_flat_downtime.rs`). And:
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
//! A two-faced validator's faces hear one half of the honest validators each, so with a
//! quorum above half of the UNL neither ever fully validates: counted in the floor, they held
//! it at genesis for the whole run. Out of it, a face may lag the honest validators, since
//! it moves on by wrong-ledger detection on its heartbeat more often than by its own
//! consensus: with one two-faced validator of ten, its faces started their round one
//! sequence below the floor in 109 of 124 rounds. So while a validator is two-faced, what
//! goes is what lies at or below `F - FACE_LAG`; a face whose round would lie lower takes
//! the ledger at the floor instead (`Xrpl::above_floor`), which in the runs measured never
//! happened. A face fully validating at or below that line (only possible when a face can
//! gather a quorum at all) finds the record of the first ledger validated there released
//! and is not compared with it; none did in the runs measured.
//!
//! A validator whose faces can never gather a quorum (`Xrpl::mute`), or one down for good,
//! never settles the transactions of its own gateways: each stays in the pool, and holds the
//! list of every ledger that carries it. Once such a ledger lies at or below the line and on
//! the chain of every validator the floor counts, nothing proposes those transactions again
//! and nothing can settle them: they leave the pool, counted as pending in a block. (Down for
//! good, a validator holds only what reached it before it went down, since the world strands
//! later uploads to it: 18 transactions for validator 2 of 10 down from 300 s, 2,000 meters
//! every 60 s, for the rest of the run.)
//!
//! A ledger's transaction list is read when the ledger is built and, once it is fully
//! validated at a transaction's origin, to settle the transactions still in the pool: a list
//! none of whose transactions is in the pool any more (each settled, the pool's slots naming
//! a later one by generation) can settle nothing and goes. Ledgers' headers (parent, height,
//! builder, size) stay: they make the `blocks` table.

use super::Xrpl;
use crate::ledger::{BlockStore, GENESIS, TxRef};
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

/// Sequences a face may lag the floor by and still read its round (see the module's comment).
const FACE_LAG: u32 = 1;

/// The lowest sequence fully validated by a validator that can still run and is not
/// two-faced, with the ledger validated there.
pub(super) struct Floor {
    /// By validator: the (sequence, ledger) it fully validated; sequence `u32::MAX` for a
    /// two-faced validator or one down for good.
    validated: Vec<(u32, u32)>,
    /// Whether some validator is two-faced: with every other one down for good, the floor
    /// then stays where honest progress left it instead of releasing everything.
    twins: bool,
    pub value: u32,
    /// The ledger fully validated at `value` by the lowest such validator (by id).
    pub ledger: u32,
}

impl Floor {
    pub fn new(validators: u32, twins: impl Iterator<Item = u32>) -> Self {
        let mut validated = vec![(0, GENESIS); validators as usize];
        let mut any = false;
        for id in twins {
            validated[id as usize].0 = u32::MAX;
            any = true;
        }
        Floor {
            validated,
            twins: any,
            value: 0,
            ledger: GENESIS,
        }
    }

    /// Records that honest validator `id` fully validated `ledger` at `seq`; returns whether
    /// the floor rose.
    pub fn set(&mut self, id: u32, seq: u32, ledger: u32) -> bool {
        let v = &mut self.validated[id as usize];
        debug_assert!(seq >= v.0, "validated sequences only rise");
        *v = (seq, ledger);
        self.update()
    }

    /// A validator down for good holds nothing back.
    pub fn down_for_good(&mut self, id: u32) -> bool {
        self.validated[id as usize].0 = u32::MAX;
        self.update()
    }

    /// Whether `l` is `ledgers`' ancestor of (or) every ledger the floor counts.
    fn below_all(&self, ledgers: &BlockStore, l: u32) -> bool {
        self.validated
            .iter()
            .filter(|&&(seq, _)| seq != u32::MAX)
            .all(|&(_, v)| ledgers.is_ancestor(l, v))
    }

    /// What is released lies at or below this sequence: the floor, less the rounds a face may
    /// lag behind the honest validators when some validator is two-faced.
    pub fn released(&self) -> u32 {
        if self.twins {
            self.value.saturating_sub(FACE_LAG)
        } else {
            self.value
        }
    }

    fn update(&mut self) -> bool {
        let (seq, ledger) = self
            .validated
            .iter()
            .copied()
            .min_by_key(|&(seq, _)| seq)
            .unwrap_or((u32::MAX, GENESIS));
        if seq == u32::MAX && self.twins {
            return false;
        }
        debug_assert!(seq >= self.value);
        let rose = seq > self.value;
        self.value = seq;
        self.ledger = ledger;
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
    pub keep_all: bool,
    peak_held: usize,
    peak_decided: usize,
    /// Rounds of a two-faced validator's faces moved up to the floor.
    pub caught_up: u64,
    /// By validator, whether it can never fully validate a ledger (empty when none can't):
    /// two-faced and [`Xrpl::mute`], or down for good ([`Release::never_settles`]).
    pub mute: Vec<bool>,
    /// Transactions of mute origins released from the pool, included in a ledger every
    /// honest validator has fully validated: pending in a block for good.
    pub stranded: u64,
}

impl Release {
    pub fn new(validators: u32, twins: impl Iterator<Item = u32>) -> Self {
        Release {
            floor: Floor::new(validators, twins),
            lists: Lists::default(),
            keep_all: false,
            peak_held: 0,
            peak_decided: 0,
            caught_up: 0,
            mute: Vec::new(),
            stranded: 0,
        }
    }
}

impl Release {
    /// Validator `v` of `validators` will never fully validate a ledger again (it is down for
    /// good): its transactions still in the pool are released as a mute validator's are.
    pub fn never_settles(&mut self, v: u32, validators: usize) {
        if self.mute.is_empty() {
            self.mute = vec![false; validators];
        }
        self.mute[v as usize] = true;
    }
}

impl Xrpl {
    /// Keeps everything to the end instead of releasing what no validator can read: the
    /// memory grows with the run, and the outputs are the same, but where a validator is mute
    /// (`Xrpl::mute`) or down for good: its transactions released from the pool free their
    /// slots for later ones, which renumbers them, and the second face leaves out the first
    /// transaction of its set in that order.
    pub fn keep_all(mut self) -> Self {
        self.release.keep_all = true;
        self
    }

    /// Each validator logs the ledger it fully validates at each sequence, and when, for the
    /// whole run (`Node::validated`, `Node::validated_times`): one entry per ledger.
    pub fn keep_logs(mut self) -> Self {
        self.keep_logs = true;
        self
    }

    /// Records that an honest validator fully validated `l` at `seq`, counting a sequence at
    /// which another honest one validated another ledger (what
    /// `Byzantine::conflicting_decisions` finds in the logs).
    pub(super) fn decide(&mut self, seq: u32, l: u32) {
        let e = self.decided.entry(seq).or_insert((l, false));
        if e.0 != l && !e.1 {
            e.1 = true;
            self.conflicts += 1;
        }
        self.release.peak_decided = self.release.peak_decided.max(self.decided.len());
    }

    /// The most sequences whose honest decisions were held at once.
    pub fn peak_decided(&self) -> usize {
        self.release.peak_decided
    }

    /// The most transaction references held at once, in positions and ledgers' lists.
    pub fn peak_held(&self) -> usize {
        self.release.peak_held
    }

    /// Transactions of validator `v`'s gateways in the pool now (neither settled nor
    /// released).
    pub fn pooled_from(&self, v: u32) -> usize {
        self.pool.iter().filter(|(_, _, t)| t.origin() == v).count()
    }

    /// How many times a face of a two-faced validator was moved up to the floor's ledger.
    pub fn faces_caught_up(&self) -> u64 {
        self.release.caught_up
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
        let (ledgers, pool) = (&mut self.ledgers, &mut self.pool);
        let Release {
            floor,
            lists,
            mute,
            stranded,
            ..
        } = &mut self.release;
        let released = floor.released();
        let mut refs = 0;
        lists.held.retain(|&l| {
            if !mute.is_empty() && ledgers.get(l).height <= released && floor.below_all(ledgers, l)
            {
                for r in &ledgers.get(l).txs {
                    if mute[r.origin as usize] && pool.has(r.slot, r.generation) {
                        pool.remove(r.slot);
                        *stranded += 1;
                    }
                }
            }
            let txs = &ledgers.get(l).txs;
            if txs.iter().any(|r| pool.has(r.slot, r.generation)) {
                refs += txs.len();
                true
            } else {
                ledgers.release_txs(l);
                false
            }
        });
        lists.refs = refs;
        lists.after_sweep = refs;
    }

    /// Releases what lies at or below the floor (see the module's comment).
    pub(super) fn release_below_floor(&mut self) {
        if self.release.keep_all {
            return;
        }
        // Every honest validator that can still run has fully validated at or above the
        // floor itself, and validates only above what it validated.
        let value = self.release.floor.value;
        while let Some(e) = self.decided.first_entry()
            && *e.key() <= value
        {
            e.remove();
        }
        let floor = self.release.floor.released();
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
