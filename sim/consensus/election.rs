//! Raft's leader election (Ongaro & Ousterhout 2014, §5.2 and §5.4.1), one for the two
//! families that run Raft: Fabric's ordering service (`raft/`) and the notary's Raft cluster
//! (`notary/`). A member adopts a newer term as a follower, a leader stepping down; a
//! candidate votes for itself and asks every other member; a member grants one vote a term,
//! and only to a log at least as up to date as its own; a candidate holding a majority leads.
//! Each family draws its own election timeouts, weighs and counts its own messages, and
//! starts its own term as leader.

use super::Ctx;
use crate::engine::Time;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    #[default]
    Follower,
    Candidate,
    Leader,
}

/// A member's election state, held by its family's node: a follower of no leader in term 0
/// to start.
#[derive(Clone, Debug, Default)]
pub struct Seat {
    pub role: Role,
    pub term: u64,
    /// Whom the member voted for in `term`: one vote a term.
    pub voted_for: Option<u32>,
    /// The leader of `term` as far as the member knows, where it forwards what it receives.
    pub leader: Option<u32>,
    /// Votes granted to the member as a candidate in `term`.
    pub votes: u32,
}

/// The election's two messages, which each family's own message type carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    Vote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    VoteAck {
        term: u64,
        granted: bool,
    },
}

/// The highest log index that a majority of members hold, from each member's highest matched
/// index (the leader's own included): Raft's commit rule (§5.3), before its current-term check.
pub fn held_by_majority(match_index: &[u64], majority: u32) -> u64 {
    let mut m = match_index.to_vec();
    m.sort_unstable_by(|a, b| b.cmp(a));
    m[majority as usize - 1]
}

/// A follower's answer to the leader's entries (§5.3): matched, its match and next index
/// move up to `matched`; refused, its next index backs off to just past what it may hold, and
/// the leader resends from there. Returns `ok`.
pub fn acknowledged(
    next_index: &mut [u64],
    match_index: &mut [u64],
    f: usize,
    ok: bool,
    matched: u64,
) -> bool {
    if ok {
        match_index[f] = match_index[f].max(matched);
        next_index[f] = next_index[f].max(matched + 1);
    } else {
        next_index[f] = (matched + 1).min(next_index[f].saturating_sub(1)).max(1);
    }
    ok
}

/// What a family gives the election: its members and their logs, its timer, its messages and
/// what a member winning does.
pub trait Election {
    type Node;
    type Msg;
    type Timer;

    /// The member's id and its election state.
    fn seat(node: &mut Self::Node) -> (u32, &mut Seat);
    /// Members `0..members()` vote.
    fn members(&self) -> u32;
    fn majority(&self) -> u32 {
        self.members() / 2 + 1
    }
    /// The member's last log entry: `(term, index)`.
    fn last_entry(&self, node: &Self::Node) -> (u64, u64);
    /// A fresh election timeout for the member.
    fn arm_election(&self, node: &mut Self::Node, ctx: &mut Ctx<Self::Msg, Self::Timer>);
    fn send_ask(&mut self, ctx: &mut Ctx<Self::Msg, Self::Timer>, to: u32, ask: Ask);
    fn become_leader(&mut self, node: &mut Self::Node, ctx: &mut Ctx<Self::Msg, Self::Timer>);
    /// `(time, term, node)` of every leader stepping down on learning of a newer term.
    fn step_downs(&mut self) -> &mut Vec<(Time, u64, u32)>;

    /// Adopts a newer term as a follower; a leader doing so steps down.
    fn observe_term(&mut self, node: &mut Self::Node, term: u64, now: Time) {
        let (id, b) = Self::seat(node);
        if term > b.term {
            if b.role == Role::Leader {
                self.step_downs().push((now, term, id));
            }
            b.term = term;
            b.voted_for = None;
            b.role = Role::Follower;
            b.leader = None;
        }
    }

    fn campaign(&mut self, node: &mut Self::Node, ctx: &mut Ctx<Self::Msg, Self::Timer>) {
        let (id, b) = Self::seat(node);
        b.term += 1;
        b.role = Role::Candidate;
        b.voted_for = Some(id);
        b.leader = None;
        b.votes = 1;
        self.arm_election(node, ctx);
        if Self::seat(node).1.votes >= self.majority() {
            return self.become_leader(node, ctx);
        }
        let (last_term, last_index) = self.last_entry(node);
        let (id, b) = Self::seat(node);
        let term = b.term;
        let ask = Ask::Vote {
            term,
            last_index,
            last_term,
        };
        for to in 0..self.members() {
            if to != id {
                self.send_ask(ctx, to, ask);
            }
        }
    }

    fn on_ask(
        &mut self,
        node: &mut Self::Node,
        ctx: &mut Ctx<Self::Msg, Self::Timer>,
        from: u32,
        ask: Ask,
    ) {
        match ask {
            Ask::Vote {
                term,
                last_index,
                last_term,
            } => self.on_vote(node, ctx, from, term, last_index, last_term),
            Ask::VoteAck { term, granted } => self.on_vote_ack(node, ctx, term, granted),
        }
    }

    fn on_vote(
        &mut self,
        node: &mut Self::Node,
        ctx: &mut Ctx<Self::Msg, Self::Timer>,
        from: u32,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        if Self::seat(node).0 >= self.members() {
            return;
        }
        self.observe_term(node, term, ctx.now);
        let mine = self.last_entry(node);
        let b = Self::seat(node).1;
        let granted = term == b.term
            && b.voted_for.is_none_or(|v| v == from)
            && (last_term, last_index) >= mine;
        if granted {
            b.voted_for = Some(from);
            self.arm_election(node, ctx);
        }
        let term = Self::seat(node).1.term;
        self.send_ask(ctx, from, Ask::VoteAck { term, granted });
    }

    fn on_vote_ack(
        &mut self,
        node: &mut Self::Node,
        ctx: &mut Ctx<Self::Msg, Self::Timer>,
        term: u64,
        granted: bool,
    ) {
        self.observe_term(node, term, ctx.now);
        let b = Self::seat(node).1;
        if b.role != Role::Candidate || term != b.term || !granted {
            return;
        }
        b.votes += 1;
        if b.votes == self.majority() {
            self.become_leader(node, ctx);
        }
    }
}
