//! Log compaction for the raft notary cluster (Ongaro & Ousterhout 2014, §7): each member
//! folds the applied prefix of its log into a snapshot — its map of consumed states — and
//! keeps only `KEEP` applied entries below its applied index, so that a follower a little
//! behind still gets plain appends. A leader that would have to send a follower entries it
//! no longer holds sends its snapshot instead (`InstallSnapshot`), at most once per election
//! timeout per follower; the follower replaces its state with it and keeps the entries after
//! the snapshot's last one when its log holds that entry (§7, "InstallSnapshot RPC").
//!
//! Why a compacted entry is never needed again. A member compacts only entries it applied,
//! so committed ones: by Log Matching and Leader Completeness every leader holds the same
//! entries there, and a follower that lacks one gets the snapshot, which holds its effect.
//! A leader reads its own log from `next_index − 1`, which it lowers to a follower's match
//! index or a rejection's hint; where that lies below the first entry it keeps, it sends the
//! snapshot rather than entries.
//!
//! The shared entry store. Entries are content named by id, a log lists ids, and ids grow
//! along every log (an entry is appended after its parent). A member's first kept id only
//! grows: compaction moves it up its own log, and a snapshot's last entry descends from the
//! committed entry the member kept first. A message names ids from its sender's log, at or
//! above the sender's first kept id when it was sent, so at or above the lowest first kept id
//! of all members then. Entries below the lowest first kept id now go (members down for
//! good do not count: they read nothing more). A message in flight naming one was sent
//! before every member compacted past it: what it carries is committed and applied at its
//! receiver, which drops it, as `consensus/raft/store.rs` does with its stale appends.
//! A member that is down but will recover still counts: its first kept id stays where it was
//! at the crash, so the store keeps every entry appended while it is down (its own log names
//! the first of them, and ids are shared by all logs). That grows with the downtime, not with
//! the run, and falls back once it has compacted again after its return (usually on
//! installing a snapshot).
//!
//! A snapshot's content is the states consumed through its last index. Committed prefixes
//! agree, so the cluster keeps those states once, with the index that consumed each
//! (`Notary::history`), and a follower installing a snapshot of index `i` takes those at or
//! below `i`. Only states a transaction still tracked or yet to be created may name are kept
//! (`Notary::retire` drops the others, as each member's own map drops them); the snapshot's
//! size on the wire counts every state consumed through `i`, as a notary's uniqueness store
//! keeps them all.

use super::Role;
use super::cluster::{Entry, HEADER};
use super::{Ctx, Msg, Node, Notary, Timer};
use crate::consensus::election::Election;
use crate::engine::Time;
use std::collections::{BTreeMap, VecDeque};

/// Applied entries a member keeps below its applied index, as `consensus/raft/store.rs`
/// keeps 128 below the lowest committed height: a follower that many entries behind still
/// gets plain appends. A member compacts when it holds twice that many applied entries.
pub const KEEP: u64 = 128;

/// Bytes per consumed state in a snapshot: the state reference (32-byte transaction hash and
/// 4-byte output index) and the consuming transaction's 32-byte id, the record Corda's
/// uniqueness provider keeps per consumed state (docs.r3.com, "Notaries").
pub const SNAPSHOT_STATE_BYTES: u64 = 36 + 32;

/// Entries by id from `base` on.
pub struct Entries {
    list: VecDeque<Entry>,
    base: u32,
}

impl Entries {
    pub fn new() -> Self {
        Entries {
            list: VecDeque::from([Entry::ROOT]),
            base: 0,
        }
    }

    pub fn push(&mut self, e: Entry) -> u32 {
        self.list.push_back(e);
        self.base + self.list.len() as u32 - 1
    }

    /// The entry, or `None` once released.
    pub fn get(&self, id: u32) -> Option<&Entry> {
        self.list.get(id.checked_sub(self.base)? as usize)
    }

    /// Drops the entries below `id`, in chunks so that the front moves rarely.
    pub fn release_below(&mut self, id: u32) {
        if id == u32::MAX || id < self.base + 1024 {
            return;
        }
        self.list.drain(..(id - self.base) as usize);
        self.base = id;
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }
}

impl std::ops::Index<u32> for Entries {
    type Output = Entry;
    fn index(&self, id: u32) -> &Entry {
        self.get(id)
            .unwrap_or_else(|| panic!("entry {id} read after its release"))
    }
}

impl Node {
    /// The entry id at log index `i` (at or above the first kept index).
    pub(super) fn at(&self, i: u64) -> u32 {
        self.log[(i - self.base) as usize]
    }
}

impl Notary {
    /// Folds the applied prefix into the snapshot once `2 × KEEP` applied entries are held.
    pub(super) fn compact(&mut self, node: &mut Node) {
        if node.applied < node.base + 2 * KEEP {
            return;
        }
        let base = node.applied - KEEP;
        node.log.drain(..(base - node.base) as usize);
        node.base = base;
        self.kept_from(node);
    }

    /// Records `node`'s first kept entry and releases the entries no member holds.
    fn kept_from(&mut self, node: &Node) {
        let id = node.log[0];
        let first = &mut self.first_kept[node.id as usize];
        debug_assert!(*first <= id, "a member's first kept entry only grows");
        *first = id;
        let lowest = self.first_kept.iter().copied().min().unwrap_or(0);
        self.entries.release_below(lowest);
    }

    /// A member down for good reads its log no more.
    pub(super) fn member_gone(&mut self, node: &Node) {
        self.first_kept[node.id as usize] = u32::MAX;
        let lowest = self.first_kept.iter().copied().min().unwrap_or(0);
        self.entries.release_below(lowest);
    }

    /// A member applied the entry at `index` consuming `x` for `t`.
    pub(super) fn remember(&mut self, x: u64, t: u32, index: u64) {
        if self.retired(x) {
            return;
        }
        let first = *self.history.entry(x).or_insert((t, index));
        debug_assert!(first.0 == t, "state {x} consumed by two transactions");
    }

    /// The states consumed through `index` that a transaction may still name.
    fn consumed_through(&self, index: u64) -> BTreeMap<u64, u32> {
        self.history
            .iter()
            .filter(|&(_, &(_, i))| i <= index)
            .map(|(&x, &(t, _))| (x, t))
            .collect()
    }

    /// The leader sends `to` its snapshot at its applied index, at most once per election
    /// timeout (a snapshot in flight is not sent again while the follower installs it).
    pub(super) fn send_snapshot(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, to: u32) {
        let f = to as usize;
        if ctx.now < node.sent_at[f].saturating_add(self.election) {
            return;
        }
        let index = node.applied;
        debug_assert_eq!(
            node.consumed
                .iter()
                .filter(|&(&x, _)| !self.retired(x))
                .map(|(&x, &t)| (x, t))
                .collect::<BTreeMap<_, _>>(),
            self.consumed_through(index),
            "the leader's consumed states are the cluster's through its applied index"
        );
        node.next_index[f] = index + 1;
        node.sent_at[f] = ctx.now;
        self.snapshots_sent += 1;
        let msg = Msg::Snapshot {
            term: node.seat.term,
            index,
            entry: node.at(index),
            states: node.states,
        };
        let bytes = HEADER + node.states * SNAPSHOT_STATE_BYTES;
        self.send(ctx, to, msg, bytes);
    }

    pub(super) fn on_snapshot(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        (term, index, entry, states): (u64, u64, u32, u64),
    ) {
        self.observe_term(node, term, ctx.now);
        let ok = term >= node.seat.term;
        if ok {
            node.seat.role = Role::Follower;
            node.seat.leader = Some(from);
            node.hint = from;
            self.arm_election(node, ctx);
            if index > node.applied {
                self.install(node, ctx.now, index, entry, states);
                self.apply(node, ctx);
            }
        }
        let msg = Msg::AppendAck {
            term: node.seat.term,
            ok,
            matched: if ok { index } else { 0 },
            last: None,
        };
        self.send(ctx, from, msg, super::VOTE_BYTES);
    }

    /// Replaces `node`'s applied state with the snapshot of `index` (whose entry is `entry`).
    fn install(&mut self, node: &mut Node, now: Time, index: u64, entry: u32, states: u64) {
        let last = self.last_index(node);
        let holds = index >= node.base && index <= last && node.at(index) == entry;
        if holds {
            node.log.drain(..(index - node.base) as usize);
        } else {
            // Entries above the snapshot's last index that it lacks were never committed.
            for i in (index + 1).max(node.base)..=last {
                if let Some(t) = self.entries[node.at(i)].tx {
                    node.in_log.remove(&t);
                }
            }
            node.log = vec![entry];
        }
        let old = node.applied;
        node.base = index;
        node.applied = index;
        node.commit = node.commit.max(index);
        let before = std::mem::replace(&mut node.consumed, self.consumed_through(index));
        debug_assert!(
            before
                .iter()
                .all(|(&x, &t)| self.retired(x) || node.consumed.get(&x) == Some(&t)),
            "a snapshot agrees with the states its receiver applied"
        );
        node.pruned_at = node.consumed.len();
        node.states = states;
        // The member's uniqueness log now holds the records the snapshot covers.
        for &(t, i) in self.history.values() {
            if i > old && i <= index {
                self.rows.applied(t, i, node.id, now);
            }
        }
        self.installs += 1;
        self.kept_from(node);
    }

    /// What a Raft member lets go as it handles an event: its map of transactions to log
    /// indices for transactions released, and consumed states retired (`Notary::retire`).
    pub(super) fn raft_release(&mut self, node: &mut Node) {
        super::checkpoint::drop_below(&mut node.in_log, self.txs.base());
        // A quarter more than after the last pass: what is held stays within 1.25 × of what
        // may still be named, at a pass per quarter's growth.
        if node.consumed.len() >= node.pruned_at + node.pruned_at / 4 + 64 {
            node.consumed.retain(|&x, _| !self.retired(x));
            node.pruned_at = node.consumed.len();
        }
    }
}
