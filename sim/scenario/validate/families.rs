//! Checks of the proof-of-stake, tangle, XRP Ledger and notary parameters.

use super::{
    Checker, MAX_ALPHA, MAX_APPROVALS, MAX_SLOT_S, MAX_SLOTS_PER_EPOCH, MAX_WEIGHT_THRESHOLD,
    MAX_ZIPF_EXPONENT, NonNeg, Num, Pos, Upper,
};
use crate::scenario::{
    Confirmation, DeviceGroup, HashPower, Notary, NotaryCluster, Pos as PosParams, Tangle,
    TipSelection, Unl, Xrpl,
};

impl Checker<'_> {
    pub(super) fn pos(&mut self, p: &PosParams, validators: Option<u64>, groups: &[DeviceGroup]) {
        self.time_below(
            "consensus.slot_s",
            p.slot_s,
            Pos,
            Upper(MAX_SLOT_S, "1 day"),
        );
        if !(1..=MAX_SLOTS_PER_EPOCH).contains(&p.slots_per_epoch) {
            self.report(
                "consensus.slots_per_epoch",
                p.slots_per_epoch,
                format!("must be >= 1 and <= {MAX_SLOTS_PER_EPOCH}"),
            );
        }
        match &p.stake {
            HashPower::Equal => {}
            HashPower::Zipf { exponent } => {
                let max = Upper(MAX_ZIPF_EXPONENT, "");
                self.range("consensus.stake.exponent", *exponent, NonNeg, Some(max));
            }
            HashPower::Shares { shares } => {
                let count = validators.map(|v| (v, "validators.count"));
                self.shares("consensus.stake.shares", shares, count)
            }
            HashPower::Normal { mean, sd } => {
                self.range("consensus.stake.mean", *mean, Pos, None);
                self.range("consensus.stake.sd", *sd, NonNeg, None);
            }
        }
        if self.finite("consensus.offline_stake", p.offline_stake)
            && !(0.0..1.0).contains(&p.offline_stake)
        {
            self.report(
                "consensus.offline_stake",
                Num(p.offline_stake),
                "must be >= 0 and < 1 (a share of total stake)",
            );
        }
        self.block_room(p.max_block_bytes, groups);
    }

    pub(super) fn tangle(&mut self, t: &Tangle) {
        if !(1..=MAX_APPROVALS).contains(&t.approvals) {
            self.report(
                "consensus.approvals",
                t.approvals,
                format!("must be >= 1 and <= {MAX_APPROVALS}"),
            );
        }
        if let TipSelection::Walk { alpha, depth_s } = t.tip_selection {
            let max = Upper(MAX_ALPHA, "");
            self.range("consensus.tip_selection.alpha", alpha, NonNeg, Some(max));
            self.time("consensus.tip_selection.depth_s", depth_s, Pos);
        }
        match t.confirmation {
            Confirmation::Weight { threshold } => {
                if !(1..=MAX_WEIGHT_THRESHOLD).contains(&threshold) {
                    self.report(
                        "consensus.confirmation.threshold",
                        threshold,
                        format!("must be >= 1 and <= {MAX_WEIGHT_THRESHOLD}"),
                    );
                }
            }
            Confirmation::Milestones { interval_s } => {
                self.time("consensus.confirmation.interval_s", interval_s, Pos);
            }
        }
        self.time("consensus.pow_s", t.pow_s, NonNeg);
    }

    pub(super) fn xrpl(&mut self, x: &Xrpl) {
        if let Unl::Cliques { overlap } = x.unl
            && self.finite("consensus.unl.overlap", overlap)
            && !(0.0..=1.0).contains(&overlap)
        {
            self.report(
                "consensus.unl.overlap",
                Num(overlap),
                "must be >= 0 and <= 1",
            );
        }
        if self.finite("consensus.quorum", x.quorum) && !(x.quorum > 0.5 && x.quorum <= 1.0) {
            self.report("consensus.quorum", Num(x.quorum), "must be > 0.5 and <= 1");
        }
        let day = Upper(MAX_SLOT_S, "1 day");
        self.time_below(
            "consensus.ledger_min_close_s",
            x.ledger_min_close_s,
            NonNeg,
            day,
        );
        let min_consensus = x.ledger_min_consensus_s;
        self.time_below(
            "consensus.ledger_min_consensus_s",
            min_consensus,
            NonNeg,
            day,
        );
        let av = x.av_min_consensus_time_s;
        self.time_below("consensus.av_min_consensus_time_s", av, Pos, day);
        self.time_below(
            "consensus.ledger_granularity_s",
            x.ledger_granularity_s,
            Pos,
            day,
        );
        let idle = x.ledger_idle_interval_s;
        self.time_below("consensus.ledger_idle_interval_s", idle, Pos, day);
    }

    pub(super) fn notary(&mut self, n: &Notary, validators: Option<u64>) {
        let (path, value, nodes, what) = match n.cluster {
            NotaryCluster::Single => ("", 0, 1, ""),
            NotaryCluster::Raft { nodes } => {
                let nodes = u64::from(nodes);
                ("consensus.cluster.nodes", nodes, nodes, "nodes")
            }
            NotaryCluster::Bft { faults } => {
                let f = u64::from(faults);
                ("consensus.cluster.faults", f, 3 * f + 1, "3·faults + 1")
            }
        };
        if !path.is_empty() {
            match validators {
                Some(v) if value < 1 || nodes > v => self.report(
                    path,
                    value,
                    format!("must be >= 1 with {what} <= validators.count ({v})"),
                ),
                None if value < 1 => self.report(path, value, "must be >= 1"),
                _ => {}
            }
        }
        if self.finite("consensus.double_spend_share", n.double_spend_share)
            && !(0.0..1.0).contains(&n.double_spend_share)
        {
            self.report(
                "consensus.double_spend_share",
                Num(n.double_spend_share),
                "must be >= 0 and < 1",
            );
        }
        let election = self.positive_ms("consensus.election_timeout_ms", n.election_timeout_ms);
        let heartbeat = self.positive_ms("consensus.heartbeat_ms", n.heartbeat_ms);
        self.positive_ms("consensus.view_change_ms", n.view_change_ms);
        if election && heartbeat && n.heartbeat_ms >= n.election_timeout_ms {
            self.report(
                "consensus.heartbeat_ms",
                Num(n.heartbeat_ms),
                format!(
                    "must be < consensus.election_timeout_ms ({}), or followers depose a live leader",
                    Num(n.election_timeout_ms)
                ),
            );
        }
    }
}
