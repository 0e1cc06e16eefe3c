//! The raft notary cluster: Raft (Ongaro & Ousterhout 2014) over notarisation requests.
//! Terms, randomized election timeouts drawn per member from `[T, 2T)`, votes only for logs at
//! least as up to date, an empty entry at the start of each term, commitment of the current
//! term's entries by counting, log repair by backing `next_index` off. Entries are shared
//! content named by id, each recording its parent, so an AppendEntries message names its last
//! entry and the follower reads those between. Logs, term and vote survive a crash.
//!
//! The uniqueness check is the replicated state machine: members apply committed entries in
//! log order, a request whose input an earlier entry consumed is a conflict, and only the
//! leader answers. Two leaders can therefore never sign two transactions with one input: both
//! would have applied the same committed prefix.
//!
//! Here: entries, requests, replication and the state machine; terms and elections are in
//! `election.rs`, log compaction and snapshots in `compaction.rs`.

use super::{Ctx, Msg, Node, Notary, Role, Stage, Timer, VOTE_BYTES};
use crate::consensus::election::{Election, acknowledged, held_by_majority};
use std::collections::btree_map::Entry as Slot;

/// AppendEntries header on the wire.
pub(super) const HEADER: u64 = 100;

/// A log entry: a notarisation request, or a new leader's empty entry. It carries what a
/// member applies and what it weighs on the wire (the state the request consumes and its
/// bytes), so entries outlive the transactions they name (`txs.rs`).
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub term: u64,
    pub index: u64,
    pub parent: u32,
    pub tx: Option<u32>,
    pub input: u64,
    pub bytes: u32,
}

impl Entry {
    pub const ROOT: Entry = Entry {
        term: 0,
        index: 0,
        parent: 0,
        tx: None,
        input: 0,
        bytes: 0,
    };
}

impl Notary {
    /// A notarisation request reaches a member. Below its quorum for good the cluster commits
    /// nothing more: the leader answers only what it applied and logs nothing new, and the
    /// origin's retry strands the transaction (`Notary::notary_gone`); logged, each would be
    /// held to the end of the run.
    pub(super) fn on_request(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, t: u32) {
        if node.id >= self.cluster {
            return;
        }
        if node.seat.role != Role::Leader {
            if let Some(l) = node.seat.leader
                && l != node.id
            {
                let bytes = self.tx_bytes(t);
                self.send(ctx, l, Msg::Request(t), bytes);
            }
            return;
        }
        match node.in_log.get(&t) {
            // Asked again: answer from the applied state, or wait for the entry to apply.
            Some(&i) if i <= node.applied => {
                let input = self.txs[t].input;
                let ok = node.consumed.get(&input) == Some(&t);
                self.answer(t, ok, ctx);
            }
            Some(_) | None if self.quorum_gone() => {}
            // Asked again before it applied: followers that lack it may have lost it.
            Some(&i) => {
                for to in 0..self.cluster {
                    if to != node.id && node.match_index[to as usize] < i {
                        node.next_index[to as usize] = node.match_index[to as usize] + 1;
                        self.send_append(node, ctx, to);
                    }
                }
            }
            None => {
                if self.txs[t].stage == Stage::Collecting {
                    self.txs[t].stage = Stage::Notarising;
                }
                self.append(node, ctx, Some(t));
            }
        }
    }

    fn answer(&mut self, t: u32, ok: bool, ctx: &mut Ctx<Msg, Timer>) {
        if ok {
            self.sign(t, ctx);
        } else {
            self.reject(t, ctx);
        }
    }

    /// A party heard the notary's answer from `from`: the origin stops asking, and both now
    /// know who leads.
    pub(super) fn heard_answer(&mut self, node: &mut Node, from: u32, t: u32) {
        if from < self.cluster {
            node.hint = from;
        }
        let n = &mut self.txs[t];
        if node.id == n.origin {
            n.answered = true;
        }
        if node.id == n.counterparty {
            n.cp_heard = true;
        }
    }

    pub(super) fn append(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, tx: Option<u32>) {
        let index = self.last_index(node) + 1;
        let (input, bytes) = tx.map_or((0, 0), |t| (self.txs[t].input, self.tx_bytes(t)));
        let id = self.entries.push(Entry {
            term: node.seat.term,
            index,
            parent: *node.log.last().expect("root"),
            tx,
            input,
            bytes: u32::try_from(bytes).expect("a transaction's bytes fit 32 bits"),
        });
        node.log.push(id);
        if let Some(t) = tx {
            node.in_log.insert(t, index);
            self.rows.proposed(t, index, node.id, ctx.now);
        }
        node.match_index[node.id as usize] = index;
        self.advance_commit(node, ctx);
        self.broadcast_append(node, ctx);
    }

    /// Sends every follower what it lacks, optimistically assuming delivery.
    fn broadcast_append(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        for to in 0..self.cluster {
            if to != node.id {
                self.send_append(node, ctx, to);
            }
        }
    }

    /// A heartbeat names the last entry the follower is known to hold, so one that overtakes
    /// entries still in flight is not mistaken for a gap (links do not keep order as TCP
    /// would). Entries unacknowledged for an election timeout were lost: send them again.
    pub(super) fn heartbeat(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let last_index = self.last_index(node);
        for to in 0..self.cluster {
            if to == node.id {
                continue;
            }
            let held = node.match_index[to as usize];
            if held < last_index && ctx.now >= node.sent_at[to as usize] + self.election {
                node.next_index[to as usize] = held + 1;
                self.send_append(node, ctx, to);
                continue;
            }
            // A follower behind the compacted prefix hears of the leader's first kept entry.
            let prev = held.max(node.base);
            let msg = Msg::Append {
                term: node.seat.term,
                prev,
                last: node.at(prev),
                commit: node.commit,
            };
            self.send(ctx, to, msg, HEADER);
        }
    }

    fn send_append(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, to: u32) {
        let last_index = self.last_index(node);
        let prev = (node.next_index[to as usize] - 1).min(last_index);
        if prev < node.base {
            return self.send_snapshot(node, ctx, to);
        }
        node.next_index[to as usize] = last_index + 1;
        if last_index > prev {
            node.sent_at[to as usize] = ctx.now;
        }
        let last = node.at(last_index);
        let mut bytes = HEADER;
        for i in prev + 1..=last_index {
            let e = &self.entries[node.at(i)];
            if e.tx.is_some() {
                bytes += u64::from(e.bytes);
            }
        }
        let msg = Msg::Append {
            term: node.seat.term,
            prev,
            last,
            commit: node.commit,
        };
        self.send(ctx, to, msg, bytes);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        term: u64,
        prev: u64,
        last: u32,
        commit: u64,
    ) {
        self.observe_term(node, term, ctx.now);
        // Entries every member compacted past went from the store: the message is stale
        // (`compaction.rs`).
        let Some(&Entry {
            index: last_index, ..
        }) = self.entries.get(last)
        else {
            return;
        };
        let carried = (last_index > prev).then_some(last);
        if term < node.seat.term {
            let msg = Msg::AppendAck {
                term: node.seat.term,
                ok: false,
                matched: 0,
                last: carried,
            };
            return self.send(ctx, from, msg, VOTE_BYTES);
        }
        node.seat.role = Role::Follower;
        node.seat.leader = Some(from);
        node.hint = from;
        self.arm_election(node, ctx);
        // What lies in this member's compacted prefix is committed, so the leader holds the
        // same entries there (`compaction.rs`): the check starts at its first kept entry.
        if last_index < node.base {
            let msg = Msg::AppendAck {
                term: node.seat.term,
                ok: true,
                matched: last_index,
                last: carried,
            };
            return self.send(ctx, from, msg, VOTE_BYTES);
        }
        let from_index = prev.max(node.base);
        let mut chain = Vec::with_capacity((last_index - from_index + 1) as usize);
        let mut e = last;
        loop {
            let Some(entry) = self.entries.get(e) else {
                return;
            };
            if entry.index <= from_index {
                break;
            }
            chain.push(e);
            e = entry.parent;
        }
        chain.push(e);
        chain.reverse();
        let held = node.log.get((from_index - node.base) as usize).copied();
        debug_assert!(
            prev >= node.base || held == Some(chain[0]),
            "a leader's entries agree with a member's compacted prefix"
        );
        if held != Some(chain[0]) {
            let msg = Msg::AppendAck {
                term: node.seat.term,
                ok: false,
                matched: self.last_index(node).min(prev.saturating_sub(1)),
                last: carried,
            };
            return self.send(ctx, from, msg, VOTE_BYTES);
        }
        for (k, &entry) in chain.iter().enumerate().skip(1) {
            let i = from_index + k as u64;
            let slot = (i - node.base) as usize;
            if slot < node.log.len() {
                if node.log[slot] == entry {
                    continue;
                }
                // A conflicting suffix; Raft guarantees it is uncommitted.
                debug_assert!(i > node.commit, "committed entry overwritten");
                for &gone in &node.log[slot..] {
                    if let Some(t) = self.entries[gone].tx {
                        node.in_log.remove(&t);
                    }
                }
                node.log.truncate(slot);
            }
            node.log.push(entry);
            if let Some(t) = self.entries[entry].tx {
                node.in_log.insert(t, i);
            }
        }
        node.commit = node.commit.max(commit.min(last_index));
        self.apply(node, ctx);
        let msg = Msg::AppendAck {
            term: node.seat.term,
            ok: true,
            matched: last_index,
            last: carried,
        };
        self.send(ctx, from, msg, VOTE_BYTES);
    }

    pub(super) fn on_append_ack(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        term: u64,
        ok: bool,
        matched: u64,
    ) {
        self.observe_term(node, term, ctx.now);
        if node.seat.role != Role::Leader || term != node.seat.term {
            return;
        }
        let (next, matches) = (&mut node.next_index, &mut node.match_index);
        if acknowledged(next, matches, from as usize, ok, matched) {
            self.advance_commit(node, ctx);
        } else {
            self.send_append(node, ctx, from);
        }
    }

    /// The highest index held by a majority and of the current term becomes committed.
    fn advance_commit(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let n = held_by_majority(&node.match_index, self.majority());
        if n <= node.commit || self.entries[node.at(n)].term != node.seat.term {
            return;
        }
        node.commit = n;
        self.apply(node, ctx);
    }

    /// Applies committed entries in log order to this member's consumed states; the leader
    /// answers each request as it applies it.
    pub(super) fn apply(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        while node.applied < node.commit {
            node.applied += 1;
            let e = self.entries[node.at(node.applied)];
            let Some(t) = e.tx else {
                continue;
            };
            let ok = match node.consumed.entry(e.input) {
                Slot::Vacant(v) => {
                    v.insert(t);
                    node.states += 1;
                    true
                }
                Slot::Occupied(o) => *o.get() == t,
            };
            if ok {
                self.remember(e.input, t, node.applied);
                self.rows.applied(t, node.applied, node.id, ctx.now);
            } else {
                self.rows.rejected(t);
            }
            // A transaction released was answered long before (`txs.rs`).
            if node.seat.role == Role::Leader && self.txs.kept(t) {
                self.answer(t, ok, ctx);
            }
        }
        self.compact(node);
    }
}
