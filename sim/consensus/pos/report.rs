//! The run's report: the block rows, the pending counts and the summary figures.

use super::{Node, Pos};
use crate::consensus::{NodeStats, Report};
use crate::engine::{Time, to_secs};
use crate::metrics::Value;

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Spread {
    count: u64,
    min: Time,
    max: Time,
}

impl Spread {
    pub(super) fn add(&mut self, v: Time) {
        if self.count == 0 {
            (self.min, self.max) = (v, v);
        }
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub(super) fn secs(&self, min: bool) -> f64 {
        match (self.count, min) {
            (0, _) => f64::NAN,
            (_, true) => to_secs(self.min),
            (_, false) => to_secs(self.max),
        }
    }
}

impl Pos {
    pub(super) fn report(&mut self, nodes: &[Node], end: Time) -> Report {
        let main = self.blocks.main_chain();
        let mut on_main = vec![0u32; self.proposed.len()];
        let mut blocks = Vec::with_capacity(self.blocks.len() as usize);
        for (id, b) in self.blocks.iter().skip(1) {
            let is_main = main[id as usize];
            if is_main {
                on_main[b.miner as usize] += 1;
            }
            blocks.push(b.row(id, !is_main));
        }
        let (in_block, in_mempool) = self.pool.pending_split(&main);
        let stale = blocks.iter().filter(|b| b.stale).count();
        let finalized_epoch = nodes
            .iter()
            .map(|n| n.ffg.finalized.epoch)
            .max()
            .unwrap_or(0);
        // Slot k starts at k·slot; the run ends before `end`. A slot passes without a block
        // when its proposer is offline stake or crashed.
        let slots = end.saturating_sub(1) / self.slot;
        let proposed: u64 = self.proposed.iter().map(|&p| u64::from(p)).sum();
        let offline: u64 = (0..self.stake.len())
            .filter(|&v| self.offline[v])
            .map(|v| self.stake[v])
            .sum();
        Report {
            ledger_bytes: None,
            leaders: None,
            dropped: Vec::new(),
            nodes: (0..self.proposed.len())
                .map(|v| NodeStats {
                    hash_share: None,
                    stake_share: Some(self.stake[v] as f64 / self.total as f64),
                    blocks_proposed: Some(self.proposed[v]),
                    blocks_main_chain: Some(on_main[v]),
                    settled_tx: self.settled[v],
                })
                .collect(),
            pending_in_mempool: in_mempool,
            pending_in_block: in_block,
            summary: vec![
                ("blocks_mined".into(), Value::from(blocks.len())),
                ("blocks_stale".into(), Value::from(stale)),
                ("slots".into(), Value::from(slots)),
                ("slots_missed".into(), Value::from(slots - proposed)),
                (
                    "offline_stake_share".into(),
                    Value::from(offline as f64 / self.total as f64),
                ),
                ("finalized_epoch".into(), Value::from(finalized_epoch)),
                (
                    "checkpoint_finality_min_s".into(),
                    Value::from(self.finality.secs(true)),
                ),
                (
                    "checkpoint_finality_max_s".into(),
                    Value::from(self.finality.secs(false)),
                ),
                (
                    "tx_finality_min_s".into(),
                    Value::from(self.tx_finality.secs(true)),
                ),
                (
                    "tx_finality_max_s".into(),
                    Value::from(self.tx_finality.secs(false)),
                ),
            ],
            blocks,
        }
    }
}
