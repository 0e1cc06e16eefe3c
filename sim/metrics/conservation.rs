//! Conservation: where every created transaction ended (settled, pending at a named stage, or
//! dropped with a reason), the check that the counts add up, and its summary rows.

use super::output::Value;

/// Where every created transaction ended. The run checks `holds()` before writing anything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conservation {
    pub created: u64,
    pub settled: u64,
    /// Still on the device, waiting for connectivity.
    pub pending_on_device: u64,
    /// Sent by the device, not yet at a validator.
    pub pending_in_transit: u64,
    /// At validators, in no block of the final main chain.
    pub pending_in_mempool: u64,
    /// In a main-chain block that is not yet deep enough.
    pub pending_in_block: u64,
    /// Discarded transactions by reason (`buffer_overflow` always first, then the
    /// protocol's own reasons such as `mempool_full`).
    pub dropped: Vec<(String, u64)>,
}

impl Conservation {
    pub fn accounted(&self) -> u64 {
        self.settled
            + self.pending_on_device
            + self.pending_in_transit
            + self.pending_in_mempool
            + self.pending_in_block
            + self.dropped.iter().map(|(_, n)| n).sum::<u64>()
    }

    /// Transactions dropped for `reason` (zero for a reason that never occurred).
    pub fn dropped(&self, reason: &str) -> u64 {
        self.dropped
            .iter()
            .filter(|(r, _)| r == reason)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn holds(&self) -> bool {
        self.created == self.accounted()
    }

    /// The accounting as summary rows. They go after the run's own metrics so the tidy table
    /// carries the whole accounting and a reader needs no second file to check it.
    pub fn rows(&self) -> Vec<(String, Value)> {
        let mut rows: Vec<(String, Value)> = vec![
            ("tx_created".into(), self.created.into()),
            ("tx_settled".into(), self.settled.into()),
            ("tx_pending_on_device".into(), self.pending_on_device.into()),
            (
                "tx_pending_in_transit".into(),
                self.pending_in_transit.into(),
            ),
            (
                "tx_pending_in_mempool".into(),
                self.pending_in_mempool.into(),
            ),
            ("tx_pending_in_block".into(), self.pending_in_block.into()),
        ];
        for (reason, n) in &self.dropped {
            rows.push((format!("tx_dropped_{reason}"), (*n).into()));
        }
        rows.push(("conservation_holds".into(), self.holds().into()));
        rows
    }
}
