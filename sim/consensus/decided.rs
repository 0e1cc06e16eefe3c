//! The `blocks` rows of the families that decide batches at heights (PBFT, HotStuff,
//! Tendermint, Raft ordering): one row per height some replica decided, with the time until
//! half, nine tenths and all of the replicas had decided it. The notary's rows, one per signed
//! transaction, are built with `row` (`notary/rows.rs`).

use super::pbft::requests::{ReqId, Requests};
use super::rows::Rows;
use super::{Report, per};
use crate::engine::{Time, to_secs};
use crate::metrics::{BlockRow, Value};
use std::collections::BTreeMap;

/// What a decided batch is, as its family knows it.
pub struct Batch {
    pub proposer: u32,
    pub proposed_at: Time,
    /// As a replica stores it: the batch, its header and the certificate that proves it
    /// decided.
    pub bytes: u64,
    pub tx_count: u32,
}

impl Batch {
    /// A batch of `requests` as the BFT families store it: a header and a commit certificate
    /// of `certificate` votes, `vote_bytes` each, besides the requests themselves.
    pub fn of(
        requests: &Requests,
        batch: &[ReqId],
        proposer: u32,
        proposed_at: Time,
        vote_bytes: u64,
        certificate: u32,
    ) -> Self {
        let txs = batch.iter().map(|&r| requests.tx_count(r)).sum();
        let bytes = requests.bytes_of(batch);
        Self::with(bytes, txs, proposer, proposed_at, vote_bytes, certificate)
    }

    /// The same from the batch's totals: `request_bytes` and `tx_count` of its requests.
    pub fn with(
        request_bytes: u64,
        tx_count: u32,
        proposer: u32,
        proposed_at: Time,
        vote_bytes: u64,
        certificate: u32,
    ) -> Self {
        Batch {
            proposer,
            proposed_at,
            bytes: vote_bytes * (1 + u64::from(certificate)) + request_bytes,
            tx_count,
        }
    }
}

/// One height's decision at one replica: height, batch id, time.
pub type Decision = (u64, u32, Time);

/// Rows from every replica's decisions (`replicas` of them, in id order). At a height decided
/// differently by different replicas (Byzantine runs) the row is the batch of the
/// lowest-numbered replica that decided it, timed over the replicas that decided that same
/// batch.
pub fn rows(
    decisions: impl Iterator<Item = impl Iterator<Item = Decision>>,
    replicas: u32,
    batch: impl Fn(u32) -> Batch,
) -> Vec<BlockRow> {
    let mut rows = Rows::new(replicas);
    for (id, node) in (0..).zip(decisions) {
        for (h, b, at) in node {
            rows.applied(h, h, (id, b, at), || batch(b));
        }
    }
    rows.finish()
}

/// The row of batch `block` decided at `height`, by the replicas at `times` (`replicas` in
/// all): `propagation_*_s` is the time from the proposal until that share of them had decided.
pub fn row(height: u64, block: u32, info: &Batch, times: &mut [Time], replicas: u32) -> BlockRow {
    times.sort_unstable();
    let reach = |share: f64| {
        let k = ((share * replicas as f64).ceil() as usize).max(1);
        times
            .get(k - 1)
            .map(|&t| to_secs(t.saturating_sub(info.proposed_at)))
    };
    BlockRow {
        block,
        height: u32::try_from(height).unwrap_or(u32::MAX),
        miner: info.proposer,
        mined_at_s: to_secs(info.proposed_at),
        size_bytes: info.bytes,
        tx_count: info.tx_count,
        propagation_50_s: reach(0.5),
        propagation_90_s: reach(0.9),
        propagation_100_s: reach(1.0),
        stale: false,
    }
}

/// Rows from the replicas' height → batch and height → time logs, which `logs` picks out of
/// each replica's state.
pub fn of_replicas<'a, N>(
    replicas: &'a [N],
    logs: impl Fn(&'a N) -> (&'a BTreeMap<u64, u32>, &'a BTreeMap<u64, Time>),
    batch: impl Fn(u32) -> Batch,
) -> Vec<BlockRow> {
    let decisions = replicas.iter().map(|n| {
        let (decided, at) = logs(n);
        decided
            .iter()
            .filter_map(|(&h, &b)| at.get(&h).map(|&t| (h, b, t)))
    });
    rows(decisions, replicas.len() as u32, batch)
}

/// The summary rows every family deciding batches reports: `{family}_decisions`, the
/// family's own `state` rows, `{family}_msgs_{kind}` for each kind it counts, and
/// `{family}_msgs_per_decision` over all of them.
pub fn summary(
    family: &str,
    decisions: u64,
    state: Vec<(String, Value)>,
    msgs: &[(&str, u64)],
) -> Vec<(String, Value)> {
    let total = msgs.iter().map(|&(_, c)| c).sum();
    let mut rows = vec![(format!("{family}_decisions"), Value::from(decisions as f64))];
    rows.extend(state);
    rows.extend(
        msgs.iter()
            .map(|&(kind, c)| (format!("{family}_msgs_{kind}"), Value::from(c))),
    );
    rows.push((
        format!("{family}_msgs_per_decision"),
        Value::from(per(total, decisions)),
    ));
    rows
}

/// The report of a family whose requests settle at their origin: the replicas' settled
/// counts, the requests still pending, the decided blocks and the summary rows.
pub fn report(
    requests: &Requests,
    settled: &[u64],
    blocks: Vec<BlockRow>,
    summary: Vec<(String, Value)>,
) -> Report {
    let (waiting, proposed) = requests.pending();
    let mut report = Report::of_settled(settled, waiting, proposed, summary);
    report.blocks = blocks;
    report
}
