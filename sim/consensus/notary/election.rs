//! Terms and elections of the raft notary cluster (Raft §5.2, §5.4.1): validator 0 leads
//! term 1 from the start, a member that hears no leader for a randomized election timeout
//! campaigns, votes go only to logs at least as up to date, and a new leader starts its term
//! with an empty entry. The votes and terms are the election Fabric's ordering service runs
//! too (`consensus/election.rs`); here is what the notary gives it.

use super::{Ctx, LEADER, Msg, Node, Notary, Role, Timer, VOTE_BYTES};
use crate::consensus::election::{Ask, Election, Seat};
use crate::engine::Time;
use rand::RngExt;

impl Notary {
    /// Validator 0 leads term 1 from the start (the cluster is up before the first request);
    /// a member started later, after a crash at time 0, waits to hear of a leader.
    pub(super) fn start_member(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        if ctx.now == 0 {
            node.seat.term = 1;
            node.seat.voted_for = Some(LEADER);
            node.seat.leader = Some(LEADER);
        }
        if ctx.now == 0 && node.id == LEADER {
            node.seat.role = Role::Leader;
            let next = self.last_index(node) + 1;
            node.next_index.iter_mut().for_each(|x| *x = next);
            ctx.timer(self.heartbeat, Timer::Heartbeat(node.seat.term));
        } else {
            self.arm_election(node, ctx);
        }
    }

    pub(super) fn recover_member(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.seat.role = Role::Follower;
        node.seat.leader = None;
        self.arm_election(node, ctx);
    }

    pub(super) fn last_index(&self, node: &Node) -> u64 {
        node.base + node.log.len() as u64 - 1
    }

    pub(super) fn last_term(&self, node: &Node) -> u64 {
        self.entries[*node.log.last().expect("root")].term
    }
}

impl Election for Notary {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;

    fn seat(node: &mut Node) -> (u32, &mut Seat) {
        (node.id, &mut node.seat)
    }

    fn members(&self) -> u32 {
        self.cluster
    }

    fn last_entry(&self, node: &Node) -> (u64, u64) {
        (self.last_term(node), self.last_index(node))
    }

    /// Drawn per member from `[T, 2T)`.
    fn arm_election(&self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.election_epoch = node.election_epoch.wrapping_add(1);
        let wait = ctx.rng.random_range(self.election..2 * self.election);
        ctx.timer(wait, Timer::Election(node.election_epoch));
    }

    fn send_ask(&mut self, ctx: &mut Ctx<Msg, Timer>, to: u32, ask: Ask) {
        self.send(ctx, to, Msg::Election(ask), VOTE_BYTES);
    }

    fn become_leader(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        node.seat.role = Role::Leader;
        node.seat.leader = Some(node.id);
        node.hint = node.id;
        self.elections.push((ctx.now, node.seat.term, node.id));
        let next = self.last_index(node) + 1;
        node.next_index.iter_mut().for_each(|x| *x = next);
        node.match_index.iter_mut().for_each(|x| *x = 0);
        node.sent_at.iter_mut().for_each(|x| *x = ctx.now);
        // An empty entry of the new term lets earlier entries commit (Raft §5.4.2).
        self.append(node, ctx, None);
        ctx.timer(self.heartbeat, Timer::Heartbeat(node.seat.term));
    }

    fn step_downs(&mut self) -> &mut Vec<(Time, u64, u32)> {
        &mut self.step_downs
    }
}
