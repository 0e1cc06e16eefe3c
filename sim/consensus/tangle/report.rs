//! The tangle's end-of-run report: milestones as blocks, the tips, and the approval
//! statistics, completed with the transactions still held.

use super::{MILESTONE_BYTES, Tangle};
use crate::consensus::{NodeStats, Report};
use crate::engine::{NS_PER_S, Time, to_secs};
use crate::metrics::{BlockRow, Metrics, Value};

impl Tangle {
    pub(super) fn report(&mut self, end: Time, metrics: &mut Metrics) -> Report {
        let tips = self.dag.tips;
        self.tips_changed(end, metrics, tips);
        // Steady-state tips: time average over the second half of the run.
        let half = self.tips_area.len() / 2;
        let from = half as Time * metrics.window();
        let area: f64 = self.tips_area[half..].iter().sum();
        let tips_mean = area / (end - from.min(end)).max(1) as f64;
        // Left behind: device transactions older than ten horizons with no approver. Those
        // released were counted as they went; the rest are still held.
        let old = end.saturating_sub(10 * self.horizon);
        for (_, t) in self.dag.iter().skip(1) {
            if t.issued < old {
                self.approvals.record(t);
            }
        }
        let a = &self.approvals;
        let secs = |ns: Option<Time>| ns.map_or(f64::NAN, to_secs);
        let blocks = self
            .milestones
            .iter()
            .enumerate()
            .map(|(i, m)| BlockRow {
                block: i as u32,
                height: i as u32,
                miner: 0,
                mined_at_s: to_secs(m.issued),
                size_bytes: MILESTONE_BYTES,
                tx_count: m.count,
                propagation_50_s: None,
                propagation_90_s: None,
                propagation_100_s: None,
                stale: false,
            })
            .collect();
        Report {
            // Every transaction is a vertex each node stores, besides the milestones.
            ledger_bytes: Some(
                metrics.gossiped.iter().map(|g| g.1).sum::<u64>()
                    + MILESTONE_BYTES * self.milestones.len() as u64,
            ),
            leaders: None,
            dropped: Vec::new(),
            blocks,
            nodes: NodeStats::settled_only(&self.settled),
            pending_in_mempool: 0,
            pending_in_block: self.unsettled,
            summary: vec![
                (
                    "tangle_transactions".into(),
                    Value::from(self.dag.len() - 1),
                ),
                ("milestones".into(), Value::from(self.milestones.len())),
                ("tips_mean".into(), Value::from(tips_mean)),
                ("tips_at_end".into(), Value::from(tips)),
                (
                    "orphan_rate".into(),
                    Value::from(if a.aged > 0 {
                        a.orphans as f64 / a.aged as f64
                    } else {
                        f64::NAN
                    }),
                ),
                (
                    "dag_violations".into(),
                    Value::from(self.dag.violations + self.lost_walks),
                ),
                (
                    "visibility_horizon_s".into(),
                    Value::from(to_secs(self.horizon)),
                ),
                (
                    "first_approval_mean_s".into(),
                    Value::from(a.first.mean().map_or(f64::NAN, |m| m / NS_PER_S as f64)),
                ),
                (
                    "first_approval_p50_s".into(),
                    Value::from(secs(a.first.quantile(0.5))),
                ),
                (
                    "first_approval_p99_s".into(),
                    Value::from(secs(a.first.quantile(0.99))),
                ),
            ],
        }
    }
}
