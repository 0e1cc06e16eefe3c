//! Validations: a ledger is fully validated at a node once a quorum of its UNL validated it,
//! which settles the transactions of the node's own gateways that the chain up to it carries.

use super::{Ctx, Msg, Node, RELEASE_BELOW, Timer, Xrpl};
use crate::scenario::Unl;

impl Xrpl {
    /// Whether `v` trusts `from`: membership of `v`'s UNL in constant time, from the rule
    /// that built it (a scan of the list per vote made validations O(n) each, n³ a round).
    pub(super) fn trusts(&self, v: u32, from: u32) -> bool {
        let n = self.settled.len() as u32;
        match self.params.unl {
            Unl::All => from < n,
            Unl::Cliques { overlap } => {
                let half = n / 2;
                let other = if v < half { n - half } else { half };
                let take = (overlap * other as f64).round() as u32;
                if v < half {
                    from < half + take
                } else {
                    from >= half || from < take
                }
            }
        }
    }

    pub(super) fn validation(
        &mut self,
        node: &mut Node,
        from: u32,
        l: u32,
        ctx: &mut Ctx<Msg, Timer>,
    ) {
        if !self.trusts(node.id, from) {
            return;
        }
        self.saw(node, from, l);
        let c = node.validations.add(l, from).unwrap_or(0);
        let seq = self.ledgers.get(l).height;
        if (c as usize) < self.needed(node.id) || seq <= self.ledgers.get(node.validated).height {
            return;
        }
        node.validations
            .release_below(&(l.saturating_sub(RELEASE_BELOW) + 1));
        // Only a face can fully validate at or below the floor, where the record is released
        // (none did in the runs measured, `store`): it is not compared.
        if seq > self.release.floor.released() || self.release.keep_all {
            let entry = self.validated_at.entry(seq).or_insert((l, false));
            if entry.0 != l && !entry.1 {
                entry.1 = true;
                self.forks += 1;
            }
        }
        let from_h = self
            .ledgers
            .get(self.ledgers.fork_point(node.validated, l))
            .height;
        for h in from_h + 1..=seq {
            let c = self.ledgers.ancestor(l, h);
            let txs = &self.ledgers.get(c).txs;
            let lo = txs.partition_point(|r| r.origin < node.id);
            let hi = txs.partition_point(|r| r.origin <= node.id);
            for i in lo..hi {
                let r = self.ledgers.get(c).txs[i];
                if let Some(t) = self.pool.get(r.slot, r.generation) {
                    let n = self.ledgers.get(c).tx_count;
                    ctx.settle(t.tag(), t.created(), n);
                    self.settled[node.id as usize] += 1;
                    self.pool.remove(r.slot);
                }
            }
        }
        node.validated = l;
        if node.face.is_none() && self.release.floor.set(node.id, seq, l) {
            self.release_below_floor();
        }
        if self.byz.is_honest(node.id) {
            self.decide(seq, l);
        }
        if self.keep_logs {
            node.validated_log.insert(u64::from(seq), l);
            node.validated_times.insert(u64::from(seq), ctx.now);
        }
        // A node left behind adopts the ledger its UNL validated and rejoins the next round.
        if seq > self.ledgers.get(node.lcl).height {
            self.enter(node, l, ctx.now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    /// The constant-time membership rule agrees with the UNL lists for every pair.
    #[test]
    fn trust_is_unl_membership() {
        for unl in [
            "{ model: all }",
            "{ model: cliques, overlap: 0 }",
            "{ model: cliques, overlap: 0.3 }",
            "{ model: cliques, overlap: 0.5 }",
            "{ model: cliques, overlap: 1 }",
        ] {
            let yaml = format!("protocol: xrpl\nunl: {unl}\n");
            let scenario::Consensus::Xrpl(p) = serde_yaml::from_str(&yaml).unwrap() else {
                unreachable!()
            };
            for n in 1..14u32 {
                let x = Xrpl::new(&p, n);
                for v in 0..n {
                    for from in 0..n {
                        assert_eq!(
                            x.trusts(v, from),
                            x.unl[v as usize].contains(&from),
                            "{unl} n={n} v={v} from={from}"
                        );
                    }
                }
            }
        }
    }
}
