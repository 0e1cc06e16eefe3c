//! The run's account of the ordering service: its `blocks` and `leaders` rows, what is still
//! pending and the message counts.

use super::{Node, Raft};
use crate::consensus::{NodeStats, Report, per};
use crate::metrics::Value;

impl Raft {
    pub(super) fn report(&mut self, nodes: &[Node]) -> Report {
        let (waiting, proposed) = self.requests.pending();
        let c = self.counts;
        let mvcc = (self.mvcc.seen).then(|| {
            [
                ("raft_mvcc_hot_tx".to_string(), Value::from(self.mvcc.hot)),
                (
                    "raft_mvcc_conflicts".to_string(),
                    Value::from(self.mvcc.conflicts),
                ),
            ]
        });
        let committed = nodes[..self.orderers as usize]
            .iter()
            .map(|n| n.commit)
            .max()
            .unwrap_or(0);
        Report {
            ledger_bytes: None,
            leaders: Some(self.leader_rows()),
            // Only where some transaction touched the shared key: other runs' tables are as
            // before the check existed.
            dropped: if self.mvcc.seen {
                vec![("mvcc_conflict".into(), self.requests.invalid_dropped())]
            } else {
                Vec::new()
            },
            blocks: self.rows.finish(),
            nodes: (0..self.n as usize)
                .map(|v| NodeStats {
                    settled_tx: self.settled[v],
                    ..NodeStats::default()
                })
                .collect(),
            pending_in_mempool: waiting,
            pending_in_block: proposed,
            summary: vec![
                ("raft_committed_entries".into(), Value::from(committed)),
                (
                    "raft_final_term".into(),
                    Value::from(nodes.iter().map(|n| n.seat.term).max().unwrap_or(0)),
                ),
                ("raft_elections".into(), Value::from(self.elections.len())),
                (
                    "raft_leader_changes".into(),
                    Value::from(self.leader_changes()),
                ),
                ("raft_msgs_endorse".into(), Value::from(c.endorse)),
                ("raft_msgs_submit".into(), Value::from(c.submit)),
                ("raft_msgs_append".into(), Value::from(c.append)),
                ("raft_msgs_append_ack".into(), Value::from(c.append_ack)),
                (
                    "raft_msgs_heartbeat".into(),
                    Value::from(c.heartbeat + c.heartbeat_ack),
                ),
                ("raft_msgs_vote".into(), Value::from(c.vote)),
                ("raft_msgs_deliver".into(), Value::from(c.deliver)),
                (
                    "raft_replication_msgs_per_entry".into(),
                    Value::from(per(c.append + c.append_ack, committed)),
                ),
            ]
            .into_iter()
            .chain(mvcc.into_iter().flatten())
            .collect(),
        }
    }
}
