//! Checks of Nakamoto's parameters, the adversary's and the room blocks leave for readings.

use super::{
    BLOCK_OVERHEAD_BYTES, Checker, List, MAX_CONFIRMATIONS, MAX_TX_BYTES, MAX_ZIPF_EXPONENT,
    NonNeg, Num, Pos, Upper,
};
use crate::scenario::{Adversary, Consensus, DeviceGroup, HashPower, MissingShare, Nakamoto};

impl Checker<'_> {
    /// `validators` is the validator count when that count is itself valid; `classes`, the
    /// validators of the classes that mine when a class does not.
    pub(super) fn nakamoto(
        &mut self,
        n: &Nakamoto,
        validators: Option<u64>,
        classes: Option<u64>,
        groups: &[DeviceGroup],
    ) {
        self.time("consensus.block_interval_s", n.block_interval_s, Pos);

        self.block_room(n.max_block_bytes, groups);

        if n.max_mempool_bytes < n.max_block_bytes {
            self.report(
                "consensus.max_mempool_bytes",
                n.max_mempool_bytes,
                format!(
                    "must be >= consensus.max_block_bytes ({}), or no block could be filled",
                    n.max_block_bytes
                ),
            );
        }

        if !(1..=MAX_CONFIRMATIONS).contains(&n.confirmations) {
            self.report(
                "consensus.confirmations",
                n.confirmations,
                format!("must be >= 1 and <= {MAX_CONFIRMATIONS} (the block itself counts as one)"),
            );
        }

        // How many miners the hash-power shares must cover, and where that number came from.
        let mut miners = match classes {
            Some(c) => Some((c, "the mining classes' validators, as miners is not set")),
            None => validators.map(|v| (v, "validators.count, as miners is not set")),
        };
        if let Some(m) = n.miners {
            miners = match (validators, classes) {
                (Some(_), Some(c)) if !(1..=c).contains(&m) => {
                    let allowed = format!(
                        "must be >= 1 and <= the {c} validators of the classes that mine \
                         (network.classes)"
                    );
                    self.report("consensus.miners", m, allowed);
                    None
                }
                (Some(v), _) if (1..=v).contains(&m) => Some((m, "miners")),
                (Some(v), _) => {
                    let allowed = format!("must be >= 1 and <= validators.count ({v})");
                    self.report("consensus.miners", m, allowed);
                    None
                }
                (None, _) if m >= 1 => Some((m, "miners")),
                (None, _) => {
                    self.report("consensus.miners", m, "must be >= 1");
                    None
                }
            };
        }

        match &n.hash_power {
            HashPower::Equal => {}
            HashPower::Zipf { exponent } => {
                let max = Upper(MAX_ZIPF_EXPONENT, "");
                self.range(
                    "consensus.hash_power.exponent",
                    *exponent,
                    NonNeg,
                    Some(max),
                );
            }
            HashPower::Shares { shares } => {
                self.shares("consensus.hash_power.shares", shares, miners)
            }
            HashPower::Normal { mean, sd } => {
                self.range("consensus.hash_power.mean", *mean, Pos, None);
                self.range("consensus.hash_power.sd", *sd, NonNeg, None);
            }
        }

        for (path, v) in [
            ("consensus.compact_nodes", n.compact_nodes),
            ("consensus.compact_failure_rate", n.compact_failure_rate),
            ("consensus.churn_nodes", n.churn_nodes),
            (
                "consensus.churn_compact_failure_rate",
                n.churn_compact_failure_rate,
            ),
        ] {
            self.range(path, v, NonNeg, Some(Upper(1.0, "")));
        }
        if let MissingShare::Fixed { share } = n.missing_share {
            self.range(
                "consensus.missing_share.share",
                share,
                NonNeg,
                Some(Upper(1.0, "")),
            );
        }
        if n.compact_block_bytes == Some(0) {
            self.report(
                "consensus.compact_block_bytes",
                "0",
                "must be at least 1 byte (leave it out for the BIP 152 size)",
            );
        }
        self.range(
            "consensus.validation_s_per_mb",
            n.validation_s_per_mb,
            NonNeg,
            None,
        );
    }

    /// `miners`: the validators that may mine, when the count is valid (all but those of
    /// classes that do not mine).
    pub(super) fn adversary(
        &mut self,
        a: &Adversary,
        validators: Option<u64>,
        miners: Option<u64>,
        consensus: &Consensus,
    ) {
        let (node, share, max_share) = match a {
            Adversary::Byzantine { nodes, .. } => {
                self.byzantine(nodes, validators, consensus);
                return;
            }
            Adversary::Eclipse {
                nodes,
                attackers,
                from_s,
                until_s,
            } => {
                self.eclipse(nodes, attackers, (*from_s, *until_s), validators);
                return;
            }
            Adversary::SelfishMining {
                node,
                hash_share,
                gamma,
            } => {
                if let Some(g) = gamma {
                    self.range("adversary.gamma", *g, NonNeg, Some(Upper(1.0, "")));
                }
                (*node, *hash_share, 1.0)
            }
            Adversary::DoubleSpend {
                node,
                hash_share,
                confirmations,
                give_up_behind,
            } => {
                if !(1..=MAX_CONFIRMATIONS).contains(confirmations) {
                    self.report(
                        "adversary.confirmations",
                        confirmations,
                        format!("must be >= 1 and <= {MAX_CONFIRMATIONS}"),
                    );
                }
                if !(1..=MAX_CONFIRMATIONS).contains(give_up_behind) {
                    self.report(
                        "adversary.give_up_behind",
                        give_up_behind,
                        format!("must be >= 1 and <= {MAX_CONFIRMATIONS}"),
                    );
                }
                // At half the hash power or more the race is won with certainty.
                (*node, *hash_share, 0.5)
            }
        };
        if self.finite("adversary.hash_share", share) && !(share > 0.0 && share < max_share) {
            self.report(
                "adversary.hash_share",
                Num(share),
                format!("must be > 0 and < {}", Num(max_share)),
            );
        }
        let Consensus::Nakamoto(n) = consensus else {
            self.report(
                "adversary",
                "present",
                "needs consensus.protocol: nakamoto (the attacks are proof-of-work strategies)",
            );
            return;
        };
        if let Some(v) = miners {
            let miners = n.miners.unwrap_or(v).min(v);
            if u64::from(node) >= miners {
                self.report(
                    "adversary.node",
                    node,
                    format!("must be a mining validator: >= 0 and < {miners}"),
                );
            } else if miners < 2 {
                self.report(
                    "adversary.node",
                    node,
                    "needs at least one honest miner besides it (consensus.miners >= 2)",
                );
            }
        }
    }

    /// `consensus.max_block_bytes` must leave room for the largest transaction.
    pub(super) fn block_room(&mut self, max_block_bytes: u64, groups: &[DeviceGroup]) {
        let largest_tx = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| (1..=MAX_TX_BYTES).contains(&g.tx_bytes))
            .max_by_key(|(i, g)| (g.tx_bytes, std::cmp::Reverse(*i)));
        match largest_tx {
            Some((i, g)) if max_block_bytes < u64::from(g.tx_bytes) + BLOCK_OVERHEAD_BYTES => {
                let min = u64::from(g.tx_bytes) + BLOCK_OVERHEAD_BYTES;
                self.report(
                    "consensus.max_block_bytes",
                    max_block_bytes,
                    format!(
                        "must be >= {min} ({BLOCK_OVERHEAD_BYTES} for the header plus \
                         devices[{i}].tx_bytes = {}), so a block can hold a transaction",
                        g.tx_bytes
                    ),
                );
            }
            None if max_block_bytes < BLOCK_OVERHEAD_BYTES => {
                self.report(
                    "consensus.max_block_bytes",
                    max_block_bytes,
                    format!("must be >= {BLOCK_OVERHEAD_BYTES} (a header plus a transaction)"),
                );
            }
            _ => {}
        }
    }

    pub(super) fn shares(&mut self, path: &str, shares: &[f64], miners: Option<(u64, &str)>) {
        if let Some((count, source)) = miners
            && shares.len() as u64 != count
        {
            self.report(
                path,
                List(shares),
                format!(
                    "must list one share per miner: {count} ({source}), not {}",
                    shares.len()
                ),
            );
        }
        let mut all_ok = true;
        for (k, &share) in shares.iter().enumerate() {
            all_ok &= self.range(&format!("{path}[{k}]"), share, NonNeg, None);
        }
        let sum: f64 = shares.iter().sum();
        if all_ok && !shares.is_empty() && !(sum > 0.0 && sum.is_finite()) {
            // Shares are normalised by their sum, which must be a usable divisor.
            self.report(path, List(shares), "must sum to a finite number > 0");
        }
    }
}
