//! Checks of the Raft ordering parameters.

use super::Checker;
use crate::scenario::Raft;

const MAX_BATCH_TX: u32 = 1_000_000;
pub(super) const MAX_BLOCK_BYTES: u64 = 1 << 30;

impl Checker<'_> {
    pub(super) fn raft(&mut self, r: &Raft, validators: Option<u64>) {
        if r.orderers == 0 || r.orderers.is_multiple_of(2) {
            self.report(
                "consensus.orderers",
                r.orderers,
                "must be odd and >= 1 (a Raft majority without ties)",
            );
        } else if let Some(v) = validators
            && u64::from(r.orderers) > v
        {
            self.report(
                "consensus.orderers",
                r.orderers,
                format!("must be <= validators.count ({v})"),
            );
        }
        if let Some(v) = validators
            && u64::from(r.endorsers) >= v.max(1)
            && r.endorsers > 0
        {
            self.report(
                "consensus.endorsers",
                r.endorsers,
                format!(
                    "must be < validators.count ({v}): endorsers are peers other than the origin"
                ),
            );
        }
        if !(1..=MAX_BATCH_TX).contains(&r.max_message_count) {
            self.report(
                "consensus.max_message_count",
                r.max_message_count,
                format!("must be >= 1 and <= {MAX_BATCH_TX}"),
            );
        }
        if !(1..=MAX_BLOCK_BYTES).contains(&r.preferred_max_bytes) {
            self.report(
                "consensus.preferred_max_bytes",
                r.preferred_max_bytes,
                format!("must be >= 1 and <= {MAX_BLOCK_BYTES}"),
            );
        }
        self.positive_ms("consensus.batch_timeout_ms", r.batch_timeout_ms);
        let election = self.positive_ms("consensus.election_timeout_ms", r.election_timeout_ms);
        let heartbeat = self.positive_ms("consensus.heartbeat_ms", r.heartbeat_ms);
        if election && heartbeat && r.heartbeat_ms >= r.election_timeout_ms {
            self.report(
                "consensus.heartbeat_ms",
                super::Num(r.heartbeat_ms),
                format!(
                    "must be < consensus.election_timeout_ms ({}), or followers depose a live leader",
                    super::Num(r.election_timeout_ms)
                ),
            );
        }
        if let Some(max) = r.election_timeout_max_ms
            && election
            && self.positive_ms("consensus.election_timeout_max_ms", max)
            && max < r.election_timeout_ms
        {
            self.report(
                "consensus.election_timeout_max_ms",
                super::Num(max),
                format!(
                    "must be >= consensus.election_timeout_ms ({}); equal for a fixed timeout",
                    super::Num(r.election_timeout_ms)
                ),
            );
        }
        self.positive_ms("consensus.block_validation_ms", r.block_validation_ms);
    }
}
