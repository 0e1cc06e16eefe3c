//! The ways into a run: the registry of protocols (one arm per family) and where a run's
//! closed `blocks` rows go, held to the end or written to a file in the output's staging
//! folder as they close.

use super::{Progress, RunError, World};
use crate::consensus::{
    Protocol, hotstuff::HotStuff, nakamoto::Nakamoto, notary::Notary, pbft::Pbft, pos::Pos,
    raft::Raft, tangle::Tangle, tendermint::Tendermint, xrpl::Xrpl,
};
use crate::engine::from_secs;
use crate::metrics::RunOutput;
use crate::metrics::spill::Spill;
use crate::scenario::{self, Consensus, Scenario};

/// Runs a validated scenario to its end.
pub fn run(s: &Scenario, progress: &Progress) -> Result<RunOutput, RunError> {
    run_rows_to(s, progress, None)
}

/// [`run`], the closed `blocks` rows of the families that build them as they go written to a
/// file in `rows_to` (the output's staging folder) a chunk at a time instead of held to the
/// end; [`crate::report::write_run`] merges them into the table and removes the file.
pub fn run_rows_to(
    s: &Scenario,
    progress: &Progress,
    rows_to: Option<&std::path::Path>,
) -> Result<RunOutput, RunError> {
    let n = s.validators.count as u32;
    let rows_to = rows_to
        .map(Spill::create)
        .transpose()
        .map_err(RunError::Rows)?;
    // The registry: one arm per protocol.
    match &s.consensus {
        Consensus::Nakamoto(p) => run_with_rows(
            s,
            Nakamoto::with_adversary(&mining(p, s), n, s.seed, s.adversary.as_ref())
                .with_relay(s.network.relay_model, lossy(s))
                .with_tx_relay(s.network.tx_relay, n, lossy(s))
                .with_horizon(from_secs(s.duration_s)),
            progress,
            rows_to,
        )
        .map(|r| r.0),
        Consensus::Pbft(p) => {
            let pbft = Pbft::new(p, n).with_adversary(s.adversary.as_ref());
            run_with_rows(s, pbft, progress, rows_to).map(|r| r.0)
        }
        Consensus::Hotstuff(p) => {
            let hs = HotStuff::new(p, n).with_adversary(s.adversary.as_ref());
            run_with_rows(s, hs, progress, rows_to).map(|r| r.0)
        }
        Consensus::Tendermint(p) => {
            let tm = Tendermint::new(p, n).with_adversary(s.adversary.as_ref());
            run_with_rows(s, tm, progress, rows_to).map(|r| r.0)
        }
        Consensus::Pos(p) => {
            let net = &s.network;
            let pos =
                Pos::new(p, n, s.seed).with_tx_relay(net.tx_relay, net.relay_model, n, lossy(s));
            run_with_rows(s, pos, progress, rows_to).map(|r| r.0)
        }
        Consensus::Tangle(p) => {
            let t = Tangle::new(p, n).with_faults(s.faults.as_ref(), n);
            run_with_rows(s, t, progress, rows_to).map(|r| r.0)
        }
        Consensus::Notary(p) => {
            run_with_rows(s, Notary::new(p, n, s.seed), progress, rows_to).map(|r| r.0)
        }
        Consensus::Xrpl(p) => {
            let xrpl = Xrpl::new(p, n).with_adversary(s.adversary.as_ref());
            run_with_rows(s, xrpl, progress, rows_to).map(|r| r.0)
        }
        Consensus::Raft(p) => run_with_rows(s, Raft::new(p, n), progress, rows_to).map(|r| r.0),
    }
}

/// Nakamoto's parameters with `miners` defaulting to the nodes of the mining classes when a
/// class does not mine (`network.classes[i].mines: false`).
fn mining(p: &scenario::Nakamoto, s: &Scenario) -> scenario::Nakamoto {
    let mut p = p.clone();
    if p.miners.is_none() {
        p.miners = s.network.mining_nodes(s.validators.count);
    }
    p
}

/// Whether validator messages can be lost or meet a crashed validator.
fn lossy(s: &Scenario) -> bool {
    s.faults.is_some() || matches!(s.adversary, Some(scenario::Adversary::Eclipse { .. }))
}

/// Runs a scenario with a given protocol value and hands back, besides the output, the
/// protocol and its validators' final states, so tests can inspect what each node decided.
pub fn run_with<P: Protocol>(
    s: &Scenario,
    protocol: P,
    progress: &Progress,
) -> Result<(RunOutput, P, Vec<P::Node>), RunError> {
    run_with_rows(s, protocol, progress, None)
}

/// [`run_with`], closed `blocks` rows written to `spill` as in [`run_rows_to`].
pub fn run_with_rows<P: Protocol>(
    s: &Scenario,
    protocol: P,
    progress: &Progress,
    spill: Option<Spill>,
) -> Result<(RunOutput, P, Vec<P::Node>), RunError> {
    run_in(s, protocol, progress, spill, 1)
}

/// [`run_with`] with the validators cut into `partitions` run in windows on one thread
/// (`Protocol::partition`), or one partition where the family or the scenario cannot be
/// cut. The outputs are those of one partition: the check that they are.
pub fn run_partitioned<P: Protocol>(
    s: &Scenario,
    protocol: P,
    progress: &Progress,
    partitions: u32,
) -> Result<(RunOutput, P, Vec<P::Node>), RunError> {
    run_in(s, protocol, progress, None, partitions)
}

fn run_in<P: Protocol>(
    s: &Scenario,
    mut protocol: P,
    progress: &Progress,
    spill: Option<Spill>,
    partitions: u32,
) -> Result<(RunOutput, P, Vec<P::Node>), RunError> {
    if let Some(to) = &spill {
        protocol.spill_rows(to);
    }
    let world = |protocol| {
        let mut w = World::new(s, protocol);
        w.spill = spill;
        w.partition(partitions);
        w.run(progress)
    };
    // Inside a pool's worker the validators' loop and the shards share that pool's threads,
    // so a pool of one thread runs everything on one; from outside, enter the global pool.
    if rayon::current_thread_index().is_some() {
        world(protocol)
    } else {
        rayon::scope(|_| world(protocol))
    }
}
