//! Transactions counted by kind, and the check that every kind's transactions are accounted
//! for: settled, pending at a named stage, or dropped.
//!
//! Settlements, drops and arrivals at validators are counted per kind where they happen;
//! what is pending on devices is counted by whoever holds it. Per kind, what is neither
//! settled, dropped nor on a device is in transit (created, not yet at a validator) or at
//! validators (arrived, neither settled nor dropped); both are derived, so the check is that
//! neither is negative for any kind and that their sums over kinds equal the run's own
//! counts of those stages, which come from the structures holding the transactions.

use crate::ledger::TxKind;

const N: usize = TxKind::COUNT;

/// Per-kind counters, indexed by [`TxKind::index`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub created: [u64; N],
    /// Handed to a validator's handler.
    pub reached: [u64; N],
    pub settled: [u64; N],
    /// Dropped before reaching a validator (device buffer overflow, radio loss).
    pub dropped_before: [u64; N],
    /// Dropped by a validator (`mempool_full`, `double_spend`, …).
    pub dropped_at: [u64; N],
}

impl KindCounts {
    pub fn absorb(&mut self, other: &KindCounts) {
        let add = |a: &mut [u64; N], b: &[u64; N]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.created, &other.created);
        add(&mut self.reached, &other.reached);
        add(&mut self.settled, &other.settled);
        add(&mut self.dropped_before, &other.dropped_before);
        add(&mut self.dropped_at, &other.dropped_at);
    }

    /// Whether any transaction of a kind other than `reading` was created.
    pub fn typed(&self) -> bool {
        self.created[1..].iter().any(|&n| n > 0)
    }
}

/// One row of the `kinds` table: how many transactions of `kind` ended at `outcome`.
#[derive(Clone, Debug, PartialEq)]
pub struct KindRow {
    pub kind: &'static str,
    /// `created`, `settled`, `pending_on_device`, `pending_in_transit`,
    /// `pending_at_validators`, `dropped_before_validators`, `dropped_at_validators`.
    pub outcome: &'static str,
    pub transactions: u64,
}

/// The run's own counts of the stages, from the structures that hold the transactions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stages {
    pub settled: u64,
    /// On devices and in transit to validators.
    pub before_validators: u64,
    /// In mempools and in blocks not yet deep enough.
    pub at_validators: u64,
    pub dropped: u64,
}

/// Why the per-kind accounting failed, naming the kind or the stage.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KindError {
    #[error("{kind}: {stage} would be negative ({detail})")]
    Negative {
        kind: &'static str,
        stage: &'static str,
        detail: String,
    },
    #[error("{stage}: {by_kind} by kind, {counted} counted")]
    Sum {
        stage: &'static str,
        by_kind: u64,
        counted: u64,
    },
}

/// The per-kind accounting as rows (every kind with a created transaction), checked against
/// the run's own stage counts. `on_device[k]` is what devices still hold of kind `k`.
pub fn account(
    c: &KindCounts,
    on_device: &[u64; N],
    stages: Stages,
) -> Result<Vec<KindRow>, KindError> {
    let mut rows = Vec::new();
    let mut sums = Stages::default();
    for k in TxKind::ALL {
        let i = k.index();
        let neg = |stage, detail: String| KindError::Negative {
            kind: k.name(),
            stage,
            detail,
        };
        let left = c.created[i]
            .checked_sub(c.reached[i] + c.dropped_before[i] + on_device[i])
            .ok_or_else(|| {
                neg(
                    "pending_in_transit",
                    format!(
                        "created {}, reached validators {}, dropped before {}, on devices {}",
                        c.created[i], c.reached[i], c.dropped_before[i], on_device[i]
                    ),
                )
            })?;
        let at = c.reached[i]
            .checked_sub(c.settled[i] + c.dropped_at[i])
            .ok_or_else(|| {
                neg(
                    "pending_at_validators",
                    format!(
                        "reached {}, settled {}, dropped there {}",
                        c.reached[i], c.settled[i], c.dropped_at[i]
                    ),
                )
            })?;
        sums.settled += c.settled[i];
        sums.before_validators += left + on_device[i];
        sums.at_validators += at;
        sums.dropped += c.dropped_before[i] + c.dropped_at[i];
        if c.created[i] == 0 {
            continue;
        }
        let outcomes = [
            ("created", c.created[i]),
            ("settled", c.settled[i]),
            ("pending_on_device", on_device[i]),
            ("pending_in_transit", left),
            ("pending_at_validators", at),
            ("dropped_before_validators", c.dropped_before[i]),
            ("dropped_at_validators", c.dropped_at[i]),
        ];
        rows.extend(outcomes.into_iter().map(|(outcome, transactions)| KindRow {
            kind: k.name(),
            outcome,
            transactions,
        }));
    }
    let pairs = [
        ("settled", sums.settled, stages.settled),
        (
            "pending before validators",
            sums.before_validators,
            stages.before_validators,
        ),
        (
            "pending at validators",
            sums.at_validators,
            stages.at_validators,
        ),
        ("dropped", sums.dropped, stages.dropped),
    ];
    for (stage, by_kind, counted) in pairs {
        if by_kind != counted {
            return Err(KindError::Sum {
                stage,
                by_kind,
                counted,
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> KindCounts {
        let mut c = KindCounts::default();
        let (r, o) = (TxKind::Reading.index(), TxKind::ChannelOpen.index());
        c.created[r] = 10;
        c.reached[r] = 7;
        c.settled[r] = 5;
        c.dropped_before[r] = 1;
        c.dropped_at[r] = 1;
        c.created[o] = 3;
        c.reached[o] = 3;
        c.settled[o] = 2;
        c
    }

    fn stages() -> Stages {
        Stages {
            settled: 7,
            before_validators: 2,
            at_validators: 2,
            dropped: 2,
        }
    }

    #[test]
    fn every_kind_adds_up_and_matches_the_stage_counts() {
        let mut on_device = [0; N];
        on_device[0] = 1;
        let rows = account(&counts(), &on_device, stages()).unwrap();
        assert_eq!(rows.len(), 14);
        let get = |k, o| rows.iter().find(|r| r.kind == k && r.outcome == o).unwrap();
        assert_eq!(get("reading", "pending_in_transit").transactions, 1);
        assert_eq!(get("channel_open", "pending_at_validators").transactions, 1);
    }

    #[test]
    fn a_settlement_counted_twice_is_caught() {
        let mut c = counts();
        c.settled[TxKind::ChannelOpen.index()] += 2;
        let err = account(&c, &[0; N], stages()).unwrap_err();
        assert!(err.to_string().starts_with("channel_open:"), "{err}");
    }

    #[test]
    fn a_kind_mislabelled_against_the_totals_is_caught() {
        let mut s = stages();
        s.at_validators += 1;
        s.before_validators -= 1;
        let err = account(&counts(), &[0; N], s).unwrap_err();
        assert!(matches!(err, KindError::Sum { .. }), "{err}");
    }
}
