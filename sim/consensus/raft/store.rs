//! The blocks orderers append, kept while a node that can still run may read them.
//!
//! Every node not down for good has committed through some height: a peer through the last
//! block it validated, an orderer through its commit index. Let `F` be the lowest of these. An
//! entry at or below `F` is committed (a peer validates only delivered blocks, and a leader
//! delivers only committed ones), so by Raft's Log Matching and Leader Completeness every
//! orderer that holds an entry there holds the same block, and every live orderer holds it
//! (its commit index is at least `F`). What reads a block or a log entry does so above the
//! reader's own committed height or the index a leader last sent a follower:
//!
//! - validation, commitment and delivery read heights above the reader's own committed height;
//! - a leader sends a follower entries after `next_index − 1`, which a rejection lowers no
//!   further than the follower's commit index (it rejects only an index it lacks or holds
//!   differently, above that);
//! - a peer asks for blocks above its committed height.
//!
//! Blocks below `FLOOR = F − KEEP` therefore go, and orderers drop their log entries there.
//! A message already in flight may name an index below the floor only if `KEEP` entries were
//! committed everywhere while it travelled; such a message is stale: what it names is
//! committed at its receiver, and it is clamped to the floor (an `AppendEntries` whose last
//! block went is dropped, a delivery of a released block is ignored, as it would be on
//! arrival anyway).
//!
//! A node that is down but will recover keeps `F` at its committed height while it is down,
//! so what is committed meanwhile stays: memory grows with the downtime, not with the run,
//! and falls back once the node has caught up. It is what the node reads on its return (the
//! leader's appends from its `next_index`, the blocks a peer fetches above its height); this
//! model has no snapshot to send instead.

use super::{Block, Node, Raft};
use std::collections::{BTreeSet, VecDeque};

/// Log entries kept below the lowest committed height of a live node, for messages sent
/// before the last `KEEP` entries were committed everywhere. Fabric's defaults cut a block
/// every 2 s at most, so this is minutes of ordering under light load; a message outliving
/// that many commitments is far older than any election timeout.
pub const KEEP: u64 = 128;

/// Blocks by id, from `base` on; a released block's slot is empty until those before it go.
pub struct Blocks {
    slots: VecDeque<Option<Block>>,
    base: u32,
    /// Blocks kept, by log index.
    by_index: BTreeSet<(u64, u32)>,
    keep_all: bool,
}

impl Blocks {
    pub fn new(root: Block) -> Self {
        let mut blocks = Blocks {
            slots: VecDeque::new(),
            base: 0,
            by_index: BTreeSet::new(),
            keep_all: false,
        };
        blocks.push(root);
        blocks
    }

    /// Keeps every block, for checks that read past blocks after the run.
    pub fn keep_all(&mut self) {
        self.keep_all = true;
    }

    pub fn push(&mut self, block: Block) -> u32 {
        let id = self.base + self.slots.len() as u32;
        self.by_index.insert((block.index, id));
        self.slots.push_back(Some(block));
        id
    }

    /// Block `b` if still kept.
    pub fn find(&self, b: u32) -> Option<&Block> {
        let i = b.checked_sub(self.base)?;
        self.slots.get(i as usize)?.as_ref()
    }

    /// A block still kept; callers name only blocks at or above the floor.
    pub fn get(&self, b: u32) -> &Block {
        self.find(b)
            .unwrap_or_else(|| panic!("block {b} read after its release"))
    }

    pub fn get_mut(&mut self, b: u32) -> &mut Block {
        b.checked_sub(self.base)
            .and_then(|i| self.slots.get_mut(i as usize))
            .and_then(Option::as_mut)
            .unwrap_or_else(|| panic!("block {b} written after its release"))
    }

    /// Every block since the start, by id; only a store that keeps all has them.
    pub fn all(&self) -> Vec<&Block> {
        assert!(
            self.base == 0 && self.slots.iter().all(Option::is_some),
            "every block is kept only with `Raft::keep_all`"
        );
        self.slots.iter().flatten().collect()
    }

    /// Releases the blocks at log indices below `floor`.
    pub fn release(&mut self, floor: u64) {
        if self.keep_all {
            return;
        }
        while let Some(&(i, b)) = self.by_index.first()
            && i < floor
        {
            self.by_index.pop_first();
            self.slots[(b - self.base) as usize] = None;
        }
        while self.slots.front().is_some_and(Option::is_none) {
            self.slots.pop_front();
            self.base += 1;
        }
    }

    /// Blocks held now (empty slots included).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_kept_whole(&self) -> bool {
        self.keep_all
    }
}

impl Raft {
    /// The protocol keeping every block, log entry and committed height, which a run
    /// otherwise lets go once no node that can still run may read them; for checks over the
    /// whole run.
    pub fn keep_all(mut self) -> Self {
        self.blocks.keep_all();
        self
    }

    /// The most ordering state held at once: log entries orderers hold, heights peers
    /// committed, blocks kept and `blocks` rows not yet committed by every live peer.
    pub fn peak_held(&self) -> usize {
        self.peak_held
    }

    /// After `node` handled an event: raises the floor if every live node has committed
    /// further, drops what `node` holds below it, and counts what is held.
    pub(super) fn tidy(&mut self, node: &mut Node) {
        if node.id < self.orderers {
            self.commits.advance(node.id, node.commit);
        }
        self.raise_floor();
        if !self.blocks.is_kept_whole() {
            // In chunks of `KEEP`, so that a log's front moves in amortized O(1) per entry.
            let last = node.log_base + node.log.len() as u64 - 1;
            let upto = self.floor.min(last);
            if upto >= node.log_base + KEEP {
                node.log.drain(..(upto - node.log_base) as usize);
                node.log_base = upto;
            }
            while node
                .committed
                .first_key_value()
                .is_some_and(|(&h, _)| h < self.floor)
            {
                node.committed.pop_first();
            }
        }
        let now = node.log.len() + node.committed.len();
        let was = std::mem::replace(&mut self.node_held[node.id as usize], now);
        self.held = self.held + now - was;
        let all = self.held + self.blocks.len() + self.rows.open_len() + self.mvcc.held();
        self.peak_held = self.peak_held.max(all);
    }

    pub(super) fn raise_floor(&mut self) {
        let committed = self.heights.min().min(self.commits.min());
        let floor = committed.saturating_sub(KEEP);
        if floor > self.floor {
            self.floor = floor;
            self.blocks.release(floor);
        }
    }

    /// Log entry `i` of `node`; callers name only entries at or above the floor.
    pub(super) fn entry(node: &Node, i: u64) -> u32 {
        debug_assert!(i >= node.log_base, "log entry {i} read after its release");
        node.log[(i - node.log_base) as usize]
    }
}
