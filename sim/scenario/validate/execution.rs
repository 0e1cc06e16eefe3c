//! Checks of validators' execution cost (`validators.execution`) and of the share of a
//! group's transactions that touch the shared key (`devices[i].hot_key_share`).

use super::{Checker, NonNeg, Upper};
use crate::scenario::{DeviceGroup, Execution};

/// Cores per validator at most: beyond any server's, low enough that the execution timeline
/// stays a small heap.
pub(super) const MAX_CORES: u32 = 4096;
/// One transaction's execution at most, microseconds: an hour.
pub(super) const MAX_EXEC_US: f64 = 3.6e9;

impl Checker<'_> {
    pub(super) fn execution(&mut self, e: &Execution) {
        let p = "validators.execution";
        if !(1..=MAX_CORES).contains(&e.cores) {
            self.report(
                &format!("{p}.cores"),
                e.cores,
                format!("must be >= 1 and <= {MAX_CORES}"),
            );
        }
        let max = Some(Upper(MAX_EXEC_US, "an hour"));
        self.range(&format!("{p}.verify_us"), e.verify_us, NonNeg, max);
        for (kind, us) in e.contract_us.by_kind() {
            self.range(&format!("{p}.contract_us.{kind}"), us, NonNeg, max);
        }
    }

    pub(super) fn hot_key_share(&mut self, p: &str, g: &DeviceGroup) {
        if let Some(s) = g.hot_key_share {
            let path = format!("{p}.hot_key_share");
            self.range(&path, s, NonNeg, Some(Upper(1.0, "")));
        }
    }
}
