//! Terms and elections of the raft notary cluster (Raft §5.2, §5.4.1): validator 0 leads
//! term 1 from the start, a member that hears no leader for a randomized election timeout
//! campaigns, votes go only to logs at least as up to date, and a new leader starts its term
//! with an empty entry.

use super::cluster::Role;
use super::{Ctx, LEADER, Msg, Node, Notary, Timer, VOTE_BYTES};
use crate::engine::Time;
use rand::RngExt;

impl Notary {
    pub(super) fn majority(&self) -> u32 {
        self.cluster / 2 + 1
    }

    /// Validator 0 leads term 1 from the start (the cluster is up before the first request);
    /// a member started later, after a crash at time 0, waits to hear of a leader.
    pub(super) fn start_member(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if ctx.now == 0 {
            node.term = 1;
            node.voted_for = Some(LEADER);
            node.leader = Some(LEADER);
        }
        if ctx.now == 0 && node.id == LEADER {
            node.role = Role::Leader;
            let next = self.last_index(node) + 1;
            node.next_index.iter_mut().for_each(|x| *x = next);
            ctx.timer(self.heartbeat, Timer::Heartbeat(node.term));
        } else {
            self.arm_election(node, ctx);
        }
    }

    pub(super) fn recover_member(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.role = Role::Follower;
        node.leader = None;
        self.arm_election(node, ctx);
    }

    pub(super) fn arm_election(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.election_epoch = node.election_epoch.wrapping_add(1);
        let wait = ctx.rng.random_range(self.election..2 * self.election);
        ctx.timer(wait, Timer::Election(node.election_epoch));
    }

    pub(super) fn last_index(&self, node: &Node) -> u64 {
        node.base + node.log.len() as u64 - 1
    }

    pub(super) fn last_term(&self, node: &Node) -> u64 {
        self.entries[*node.log.last().expect("root")].term
    }

    /// Adopts a newer term as a follower; a leader doing so steps down.
    pub(super) fn observe_term(&mut self, node: &mut Node, term: u64, now: Time) {
        if term > node.term {
            if node.role == Role::Leader {
                self.step_downs.push((now, term, node.id));
            }
            node.term = term;
            node.voted_for = None;
            node.role = Role::Follower;
            node.leader = None;
        }
    }

    pub(super) fn campaign(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.term += 1;
        node.role = Role::Candidate;
        node.voted_for = Some(node.id);
        node.leader = None;
        node.votes = 1;
        self.arm_election(node, ctx);
        if node.votes >= self.majority() {
            return self.become_leader(node, ctx);
        }
        let msg = Msg::Vote {
            term: node.term,
            last_index: self.last_index(node),
            last_term: self.last_term(node),
        };
        for to in 0..self.cluster {
            if to != node.id {
                self.send(ctx, to, msg, VOTE_BYTES);
            }
        }
    }

    pub(super) fn on_vote(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        if node.id >= self.cluster {
            return;
        }
        self.observe_term(node, term, ctx.now);
        let mine = (self.last_term(node), self.last_index(node));
        let granted = term == node.term
            && node.voted_for.is_none_or(|v| v == from)
            && (last_term, last_index) >= mine;
        if granted {
            node.voted_for = Some(from);
            self.arm_election(node, ctx);
        }
        let msg = Msg::VoteAck {
            term: node.term,
            granted,
        };
        self.send(ctx, from, msg, VOTE_BYTES);
    }

    pub(super) fn on_vote_ack(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        term: u64,
        granted: bool,
    ) {
        self.observe_term(node, term, ctx.now);
        if node.role != Role::Candidate || term != node.term || !granted {
            return;
        }
        node.votes += 1;
        if node.votes == self.majority() {
            self.become_leader(node, ctx);
        }
    }

    pub(super) fn become_leader(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.role = Role::Leader;
        node.leader = Some(node.id);
        node.hint = node.id;
        self.elections.push((ctx.now, node.term, node.id));
        let next = self.last_index(node) + 1;
        node.next_index.iter_mut().for_each(|x| *x = next);
        node.match_index.iter_mut().for_each(|x| *x = 0);
        node.sent_at.iter_mut().for_each(|x| *x = ctx.now);
        // An empty entry of the new term lets earlier entries commit (Raft §5.4.2).
        self.append(node, ctx, None);
        ctx.timer(self.heartbeat, Timer::Heartbeat(node.term));
    }
}
