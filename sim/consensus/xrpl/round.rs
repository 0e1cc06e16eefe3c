//! A validator's consensus round: it closes its open ledger into a position, re-votes the
//! disputes on each heartbeat until enough of its UNL proposes its set, then accepts the
//! ledger and validates it.

use super::store::{Position, hash_set};
use super::{LEDGER_HEADER, LEDGER_MAX_CONSENSUS_S, PROPOSE_FRESHNESS_S, PROPOSE_INTERVAL_S};
use super::{Msg, Node, PROPOSAL_BYTES, Timer, VALIDATION_BYTES, Xrpl};
use crate::consensus::Ctx;
use crate::engine::{Time, from_secs};
use crate::ledger::{NO_BLOCK_ID, TxRef};

impl Xrpl {
    pub(super) fn propose(&mut self, node: &mut Node, txs: Vec<TxRef>, ctx: &mut Ctx<Msg, Timer>) {
        // The dispute vote counts one yay per set a transaction is in.
        debug_assert!(
            txs.windows(2).all(|w| w[0] < w[1]),
            "a position is a sorted set"
        );
        let seq = self.ledgers.get(node.lcl).height + 1;
        debug_assert!(
            seq > self.release.floor.released(),
            "a round on a ledger below the floor"
        );
        let p = self.positions.push(Position {
            seq,
            parent: node.lcl,
            hash: hash_set(&txs),
            txs,
            face: node.face,
        });
        self.note_held();
        node.position = Some(p);
        node.proposals[node.id as usize] = Some((p, ctx.now));
        node.proposed_at = ctx.now;
        self.broadcast(node.face, ctx, Msg::Propose(p), PROPOSAL_BYTES);
    }

    pub(super) fn close(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let mut txs = Vec::new();
        for (slot, generation, t) in self.pool.iter() {
            let known = ctx
                .reach
                .delay(t.origin(), node.id, t.bytes())
                .is_some_and(|d| t.reached + d <= ctx.now);
            let in_chain = self
                .pool
                .blocks(slot)
                .iter()
                .any(|&b| b != NO_BLOCK_ID && self.ledgers.is_ancestor(b, node.lcl));
            if known && !in_chain {
                txs.push(TxRef {
                    origin: t.origin(),
                    slot,
                    generation,
                });
            }
        }
        txs.sort_unstable();
        node.closed_at = Some(ctx.now);
        if node.face == Some(false) {
            node.excluded = txs.first().copied();
            txs.retain(|t| Some(*t) != node.excluded);
        }
        self.propose(node, txs, ctx);
    }

    /// Fresh proposals of this node's UNL peers for its next ledger.
    pub(super) fn unl_positions(&self, node: &Node, now: Time) -> Vec<u32> {
        let fresh = from_secs(PROPOSE_FRESHNESS_S);
        self.unl[node.id as usize]
            .iter()
            .filter(|&&u| u != node.id)
            .filter_map(|&u| node.proposals[u as usize])
            .filter(|&(p, at)| at + fresh >= now && self.positions.parent_is(p, node.lcl))
            .map(|(p, _)| p)
            .collect()
    }

    /// Starts the round on `l`: positions peers already sent for it count at once.
    pub(super) fn enter(&mut self, node: &mut Node, l: u32, now: Time) {
        // What `store` releases relies on it: no round starts below the validated ledger.
        debug_assert!(self.ledgers.get(l).height >= self.ledgers.get(node.validated).height);
        let l = self.above_floor(node, l);
        node.lcl = l;
        node.closed_at = None;
        node.position = None;
        node.open_since = now;
        node.latest[node.id as usize] = Some(l);
        self.ledgers.receive(l, node.id, now);
        for (cur, newest) in node.proposals.iter_mut().zip(&node.newest) {
            *cur = newest.filter(|&(p, _)| self.positions.parent_is(p, l));
        }
    }

    pub(super) fn establish(
        &mut self,
        node: &mut Node,
        closed_at: Time,
        ctx: &mut Ctx<Msg, Timer>,
    ) {
        let round = ctx.now - closed_at;
        let base = node
            .prev_round
            .max(from_secs(self.params.av_min_consensus_time_s));
        let percent = round as u128 * 100 / base.max(1) as u128;
        let threshold = match percent {
            0..50 => 50,
            50..85 => 65,
            85..200 => 70,
            _ => 95,
        };
        let mine = node.position.expect("closed");
        let others = self.unl_positions(node, ctx.now);
        let mine_hash = self.positions[mine as usize].hash;
        // Every trusted proposal carries this set: no dispute, and the vote would keep every
        // transaction (weight 100 %) but an excluded one this set does not hold anyway.
        // Skipping the vote then saves rebuilding and sorting the union each second.
        let unanimous = others
            .iter()
            .all(|&p| self.positions[p as usize].hash == mine_hash)
            && node
                .excluded
                .is_none_or(|x| self.positions[mine as usize].txs.binary_search(&x).is_err());
        let changed = if unanimous {
            None
        } else {
            let next = self.vote_disputes(node, mine, &others, threshold);
            (hash_set(&next) != mine_hash).then_some(next)
        };
        if let Some(next) = changed {
            self.propose(node, next, ctx);
        } else if ctx.now >= node.proposed_at + from_secs(PROPOSE_INTERVAL_S) {
            // Unchanged but old: peers that lost it (or were cut off) hear it again.
            node.proposed_at = ctx.now;
            self.broadcast(node.face, ctx, Msg::Propose(mine), PROPOSAL_BYTES);
        }
        let mine = node.position.expect("closed");
        let min_consensus = from_secs(self.params.ledger_min_consensus_s);
        if round < min_consensus {
            return;
        }
        // rippled's checkConsensus: agreement is counted among the peers proposing on this
        // ledger now (full validation, not this, needs a quorum of the UNL); when a quarter
        // of last round's proposers are missing, give them one more minimum round.
        let proposers = others.len();
        if proposers * 4 < node.prev_proposers * 3 && round < node.prev_round + min_consensus {
            return;
        }
        let hash = self.positions[mine as usize].hash;
        let agree = 1 + others
            .iter()
            .filter(|&&p| self.positions[p as usize].hash == hash)
            .count();
        let reached = if proposers == 0 {
            round > from_secs(LEDGER_MAX_CONSENSUS_S)
        } else {
            agree as f64 >= self.params.quorum * (proposers + 1) as f64
        };
        if reached {
            node.prev_round = round;
            node.prev_proposers = proposers;
            self.accept(node, mine, ctx);
        }
    }

    pub(super) fn accept(&mut self, node: &mut Node, p: u32, ctx: &mut Ctx<Msg, Timer>) {
        let pos = &self.positions[p as usize];
        let key = (pos.parent, pos.hash);
        let l = match self.by_content.get(&key) {
            Some(&l) => l,
            None => {
                let txs = pos.txs.clone();
                let bytes = LEDGER_HEADER + txs.iter().map(|_| 250u64).sum::<u64>();
                let l = self.ledgers.push(pos.parent, node.id, ctx.now, bytes, txs);
                self.by_content.insert(key, l);
                self.hold_list(l);
                self.built[node.id as usize] += 1;
                for i in 0..self.ledgers.get(l).txs.len() {
                    let r = self.ledgers.get(l).txs[i];
                    // On a fork the reading may have settled elsewhere and its slot been
                    // reused by a newer one.
                    if self.pool.has(r.slot, r.generation) && self.pool.add_block(r.slot, l) {
                        let created = self.pool.get(r.slot, r.generation).expect("live").created();
                        ctx.metrics.on_included(created, ctx.now);
                    }
                }
                l
            }
        };
        self.enter(node, l, ctx.now);
        let seq = self.ledgers.get(l).height;
        if let Some(last) = node.last_accept {
            self.intervals.0 += 1;
            self.intervals.1 += ctx.now - last;
        }
        node.last_accept = Some(ctx.now);
        if seq > node.signed_seq {
            node.signed_seq = seq;
            let msg = match node.face {
                Some(face) => Msg::ValidateAs { ledger: l, face },
                None => Msg::Validate(l),
            };
            self.broadcast(node.face, ctx, msg, VALIDATION_BYTES);
            self.validation(node, node.id, l, ctx);
        }
    }

    pub(super) fn heartbeat(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        self.catch_up(node, ctx.now);
        let lcl = node.lcl;
        if let Some(closed_at) = node.closed_at {
            self.establish(node, closed_at, ctx);
        }
        if node.lcl == lcl
            && let Some(x) = self.preferred(node)
        {
            // On the wrong ledger: join the network's and start its next round.
            self.enter(node, x, ctx.now);
            return;
        }
        match node.closed_at {
            Some(_) => {}
            None if node.lcl != lcl => {}
            None => {
                let open = ctx.now - node.open_since;
                let has_txs = self.pool.unincluded() > 0;
                let closed_peers = self.unl_positions(node, ctx.now).len();
                let min_close = from_secs(self.params.ledger_min_close_s);
                let idle = from_secs(self.params.ledger_idle_interval_s);
                if (open >= min_close && has_txs)
                    || open >= idle
                    || closed_peers * 2 > self.unl[node.id as usize].len()
                {
                    self.close(node, ctx);
                }
            }
        }
    }
}
