//! The Raft ordering service: batching, log replication, commitment, delivery, and what it
//! gives the election it shares with the notary's Raft cluster (`consensus/election.rs`).

use super::{Block, Ctx, Msg, Node, Raft, ReqId, Role, Timer};
use crate::consensus::election::{Ask, Election, Seat, acknowledged, held_by_majority};
use crate::engine::Time;
use crate::scenario::TimeoutSpread;
use rand::RngExt;

impl Raft {
    fn last_term(&self, node: &Node) -> u64 {
        self.blocks.get(*node.log.last().expect("root")).term
    }

    fn last_index(node: &Node) -> u64 {
        node.log_base + node.log.len() as u64 - 1
    }

    /// An endorsed transaction reaches an orderer.
    pub(super) fn on_submit(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        r: ReqId,
        bytes: u64,
    ) {
        if node.id >= self.orderers {
            return;
        }
        match node.seat.role {
            Role::Leader => {}
            _ => {
                if let Some(l) = node.seat.leader
                    && l != node.id
                {
                    self.send(ctx, l, Msg::Submit { r, bytes });
                }
                return;
            }
        }
        if self.requests.executed_anywhere(r) || !node.batched.insert(r) {
            return;
        }
        if node.batch.is_empty() {
            node.batch_epoch = node.batch_epoch.wrapping_add(1);
            ctx.timer(self.batch_timeout, Timer::Batch(node.batch_epoch));
        }
        node.batch.push(r);
        node.batch_txs += u64::from(self.requests.tx_count(r));
        node.batch_bytes += self.requests.get(r).bytes;
        if node.batch_txs >= u64::from(self.params.max_message_count)
            || node.batch_bytes >= self.params.preferred_max_bytes
        {
            self.cut(node, ctx);
        }
    }

    /// The block cutter: the pending batch becomes the next log entry.
    pub(super) fn cut(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.batch_epoch = node.batch_epoch.wrapping_add(1);
        if node.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut node.batch);
        let bytes = node.batch_bytes;
        let txs = node.batch_txs as u32;
        node.batch_txs = 0;
        node.batch_bytes = 0;
        for &r in &batch {
            self.requests.on_proposed(r, ctx);
        }
        // Executed requests are turned away before `batched` is consulted.
        let requests = &self.requests;
        node.batched.retain(|&r| !requests.executed_anywhere(r));
        self.append(node, ctx, batch, bytes, txs);
    }

    fn append(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        batch: Vec<ReqId>,
        bytes: u64,
        tx_count: u32,
    ) {
        let parent = *node.log.last().expect("root");
        let b = self.blocks.push(Block {
            term: node.seat.term,
            index: Self::last_index(node) + 1,
            parent,
            batch,
            bytes,
            tx_count,
            leader: node.id,
            appended_at: ctx.now,
            committed_at: 0,
        });
        node.log.push(b);
        let me = node.id as usize;
        node.match_index[me] = Self::last_index(node);
        self.advance_commit(node, ctx);
        self.broadcast_append(node, ctx);
    }

    /// Sends every follower what it lacks (optimistically assuming delivery), or a heartbeat.
    pub(super) fn broadcast_append(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        for to in 0..self.orderers {
            if to != node.id {
                self.send_append(node, ctx, to);
            }
        }
    }

    fn send_append(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, to: u32) {
        let last_index = Self::last_index(node);
        // Below the floor the follower holds what this leader does (see `store.rs`).
        let prev = (node.next_index[to as usize] - 1)
            .min(last_index)
            .max(self.floor);
        node.next_index[to as usize] = last_index + 1;
        let msg = Msg::Append {
            term: node.seat.term,
            prev,
            last: Self::entry(node, last_index),
            commit: node.commit,
        };
        self.send(ctx, to, msg);
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
        if node.id >= self.orderers {
            return;
        }
        // Sent before its entries were committed at every live node and `KEEP` more after
        // them (see `store.rs`): nothing in it is news here.
        let Some(last_index) = self.blocks.find(last).map(|b| b.index) else {
            return;
        };
        self.observe_term(node, term, ctx.now);
        let entries = last_index > prev;
        if term < node.seat.term {
            let msg = Msg::AppendAck {
                term: node.seat.term,
                ok: false,
                matched: 0,
                entries,
            };
            self.send(ctx, from, msg);
            return;
        }
        node.seat.role = Role::Follower;
        node.seat.leader = Some(from);
        node.leader_hint = from;
        self.arm_election(node, ctx);
        // The leader's entries prev..=last_index, read from the block chain ending at `last`;
        // below the floor this node holds the same (see `store.rs`).
        let prev = prev.max(self.floor);
        let mut chain = Vec::with_capacity((last_index - prev + 1) as usize);
        let mut b = last;
        while self.blocks.get(b).index > prev {
            chain.push(b);
            b = self.blocks.get(b).parent;
        }
        chain.push(b);
        chain.reverse();
        let have = (prev - node.log_base) as usize;
        let have = node.log.get(have).copied();
        if have != Some(chain[0]) {
            let msg = Msg::AppendAck {
                term: node.seat.term,
                ok: false,
                matched: Self::last_index(node).min(prev.saturating_sub(1)),
                entries,
            };
            self.send(ctx, from, msg);
            return;
        }
        for (k, &blk) in chain.iter().enumerate().skip(1) {
            let i = (prev - node.log_base) as usize + k;
            if i < node.log.len() {
                if node.log[i] == blk {
                    continue;
                }
                // A conflicting suffix; Raft guarantees it is uncommitted.
                debug_assert!(
                    node.log_base + i as u64 > node.commit,
                    "committed entry overwritten"
                );
                for &gone in &node.log[i..] {
                    self.overwritten += 1;
                    if self.blocks.get(gone).committed_at != 0 {
                        self.overwritten_committed += 1;
                    }
                }
                node.log.truncate(i);
            }
            node.log.push(blk);
        }
        node.commit = node.commit.max(commit.min(last_index));
        let msg = Msg::AppendAck {
            term: node.seat.term,
            ok: true,
            matched: last_index,
            entries,
        };
        self.send(ctx, from, msg);
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
        if n <= node.commit || self.blocks.get(Self::entry(node, n)).term != node.seat.term {
            return;
        }
        node.commit = n;
        for i in node.delivered + 1..=n {
            let b = Self::entry(node, i);
            let blk = self.blocks.get_mut(b);
            if blk.committed_at == 0 {
                blk.committed_at = ctx.now;
            }
            for to in 0..self.n {
                if to != node.id {
                    self.send(ctx, to, Msg::Deliver(b));
                }
            }
            self.on_deliver(node, ctx, node.id, b);
        }
        node.delivered = n;
    }

    /// A peer missed the blocks at heights `lo..=hi`; the leader resends those it has
    /// committed. Only the gap: what the peer holds above it is not sent again.
    pub(super) fn on_fetch(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        to: u32,
        lo: u64,
        hi: u64,
    ) {
        if node.seat.role != Role::Leader {
            return;
        }
        // Heights below the floor are committed at the asking peer by now (see `store.rs`).
        for i in lo.max(1).max(self.floor)..=hi.min(node.commit) {
            let b = Self::entry(node, i);
            self.send(ctx, to, Msg::Deliver(b));
        }
    }
}

impl Election for Raft {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn seat(node: &mut Node) -> (u32, &mut Seat) {
        (node.id, &mut node.seat)
    }

    fn members(&self) -> u32 {
        self.orderers
    }

    fn last_entry(&self, node: &Node) -> (u64, u64) {
        (self.last_term(node), Self::last_index(node))
    }

    fn arm_election(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.election_epoch = node.election_epoch.wrapping_add(1);
        let (lo, hi) = (self.election, self.election_max.max(self.election));
        let wait = match self.params.election_timeout_spread {
            TimeoutSpread::Random if hi > lo => ctx.rng.random_range(lo..hi),
            TimeoutSpread::Random => lo,
            TimeoutSpread::ByNode => {
                lo + (hi - lo) * u64::from(node.id) / u64::from(self.orderers.max(1))
            }
        };
        ctx.timer(wait, Timer::Election(node.election_epoch));
    }

    fn send_ask(&mut self, ctx: &mut Ctx<Msg, Timer>, to: u32, ask: Ask) {
        self.send(ctx, to, Msg::Election(ask));
    }

    fn become_leader(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.seat.role = Role::Leader;
        node.seat.leader = Some(node.id);
        node.leader_hint = node.id;
        self.elections.push((ctx.now, node.seat.term, node.id));
        let next = Self::last_index(node) + 1;
        node.next_index.iter_mut().for_each(|x| *x = next);
        node.match_index.iter_mut().for_each(|x| *x = 0);
        node.batched.clear();
        node.batch.clear();
        node.batch_txs = 0;
        node.batch_bytes = 0;
        // What this node knew committed was delivered by an earlier leader, or is fetched
        // from this one by the peers that missed it; its own peer side reads its log.
        node.delivered = node.delivered.max(node.commit);
        self.catch_up(node, ctx);
        // An empty entry of the new term lets earlier entries commit (Raft §5.4.2).
        self.append(node, ctx, Vec::new(), 0, 0);
        ctx.timer(self.heartbeat, Timer::Heartbeat(node.seat.term));
    }

    fn step_downs(&mut self) -> &mut Vec<(Time, u64, u32)> {
        &mut self.step_downs
    }
}
