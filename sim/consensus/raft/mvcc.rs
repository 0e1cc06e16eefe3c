//! Fabric's multi-version concurrency control on the one shared key (a contract's state that
//! `devices[i].hot_key_share` of the transactions read and write).
//!
//! Endorsement executes a transaction against the endorsing peer's committed state and
//! records the version of each key it read; validation, in block order, invalidates a
//! transaction whose read version is no longer the committed one (Androulaki et al.,
//! "Hyperledger Fabric", EuroSys 2018, §3.4: the read-write set check). Here every peer's
//! committed state is taken as the most advanced peer's: the version is the number of valid
//! writes in the heights validated so far, and a request's read is the version when its
//! endorsement ran. Transactions endorsed together read the same version, so of several in
//! one block only the first can be valid, as in Fabric.

use crate::consensus::pbft::requests::{ReqId, Requests};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Mvcc {
    /// Valid writes of the key so far.
    version: u64,
    /// The version each request's endorsement read (requests with a hot transaction only),
    /// until its block is validated.
    reads: BTreeMap<ReqId, u64>,
    /// Highest height checked: every height is checked once, by the first peer to commit it.
    checked: u64,
    /// Whether any endorsement read the key: only then does the run report the check.
    pub seen: bool,
    /// Hot transactions checked, and those invalidated.
    pub hot: u64,
    pub conflicts: u64,
}

impl Mvcc {
    /// Request `r`'s endorsement runs now.
    /// A released request was validated already, and read when first endorsed: a late
    /// endorsement changes nothing. Nor does one of a request executed somewhere: its read
    /// would only be dropped unread when a later block orders it again, and kept until then
    /// (for the rest of the run if none does).
    pub fn read(&mut self, requests: &Requests, r: ReqId) {
        if requests.kept(r) && requests.hot(r).next().is_some() {
            if !requests.executed_anywhere(r) {
                self.reads.insert(r, self.version);
            }
            self.seen = true;
        }
    }

    /// Reads kept, of requests not yet validated.
    pub fn held(&self) -> usize {
        self.reads.len()
    }

    /// Validates the block at `height` (requests `batch`) if no peer has yet.
    pub fn validate(&mut self, requests: &mut Requests, batch: &[ReqId], height: u64) {
        if height <= self.checked {
            return;
        }
        self.checked = height;
        for &r in batch {
            let read = self.reads.remove(&r);
            // Ordered before: executed (and checked) at its first position only.
            if requests.executed_anywhere(r) {
                continue;
            }
            let Some(read) = read else {
                continue;
            };
            let hot: Vec<usize> = requests.hot(r).collect();
            for i in hot {
                self.hot += 1;
                if read == self.version {
                    self.version += 1;
                } else {
                    requests.invalidate(r, i);
                    self.conflicts += 1;
                }
            }
        }
    }
}
