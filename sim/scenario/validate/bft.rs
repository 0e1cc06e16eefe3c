//! Checks of the BFT protocols' parameters.

use super::{Checker, MAX_TIME_S, NonNeg, Num, Pos, TICK_S, Upper};
use crate::scenario::{Consensus, HotStuff, Pbft, Tendermint};

pub(super) const MAX_BATCH_TX: u32 = 1_000_000;

impl Checker<'_> {
    pub(super) fn pbft(&mut self, p: &Pbft) {
        self.batch_max_tx(p.batch_max_tx);
        self.positive_ms("consensus.batch_timeout_ms", p.batch_timeout_ms);
        self.positive_ms("consensus.view_timeout_ms", p.view_timeout_ms);
    }

    pub(super) fn hotstuff(&mut self, h: &HotStuff) {
        self.batch_max_tx(h.batch_max_tx);
        self.positive_ms("consensus.view_timeout_ms", h.view_timeout_ms);
    }

    pub(super) fn tendermint(&mut self, t: &Tendermint) {
        self.batch_max_tx(t.batch_max_tx);
        self.positive_ms("consensus.timeout_propose_ms", t.timeout_propose_ms);
        self.positive_ms("consensus.timeout_prevote_ms", t.timeout_prevote_ms);
        self.positive_ms("consensus.timeout_precommit_ms", t.timeout_precommit_ms);
        // Zero keeps the timeouts constant across rounds.
        self.range(
            "consensus.timeout_delta_ms",
            t.timeout_delta_ms,
            NonNeg,
            Some(Upper(MAX_TIME_S * 1e3, "10 years")),
        );
    }

    fn batch_max_tx(&mut self, v: u32) {
        if !(1..=MAX_BATCH_TX).contains(&v) {
            self.report(
                "consensus.batch_max_tx",
                v,
                format!("must be >= 1 and <= {MAX_BATCH_TX}"),
            );
        }
    }

    /// A strictly positive duration in milliseconds: at least 1 ns, at most ten years.
    pub(super) fn positive_ms(&mut self, path: &str, v: f64) -> bool {
        if !self.range(path, v, Pos, Some(Upper(MAX_TIME_S * 1e3, "10 years"))) {
            return false;
        }
        if v < TICK_S * 1e3 {
            self.report(
                path,
                Num(v),
                "must be >= 1e-6 (1 ns, the resolution of simulated time)",
            );
            return false;
        }
        true
    }

    /// `adversary: { kind: byzantine, nodes, behaviour }`: distinct validator ids, at least one
    /// honest validator left, and a protocol whose replicas can misbehave that way.
    pub(super) fn byzantine(&mut self, nodes: &[u64], validators: Option<u64>, c: &Consensus) {
        if !matches!(
            c,
            Consensus::Pbft(_)
                | Consensus::Hotstuff(_)
                | Consensus::Tendermint(_)
                | Consensus::Xrpl(_)
        ) {
            self.report(
                "adversary.kind",
                "byzantine",
                "needs consensus.protocol: pbft, hotstuff, tendermint or xrpl (the only protocols \
                 with Byzantine validators)",
            );
        }
        if nodes.is_empty() {
            self.report(
                "adversary.nodes",
                "[]",
                "must list at least one validator id",
            );
        }
        let mut seen = Vec::new();
        self.node_ids("adversary.nodes", nodes, validators, &mut seen);
        if let Some(n) = validators
            && seen.len() as u64 >= n
        {
            self.report(
                "adversary.nodes",
                format!("{} ids", seen.len()),
                format!("must leave at least one honest validator (< validators.count, {n})"),
            );
        }
    }
}
