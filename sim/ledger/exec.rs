//! Validators' execution of what they settle: each transaction costs CPU time by kind
//! (signature verifications and contract execution, `validators.execution`) on a bounded
//! number of cores, first come first served. Settlement waits for execution, so throughput is
//! bounded by `cores / cost` as well as by the network.
//!
//! Every replica executes the same ordered sequence of transactions, so one execution
//! timeline stands for each replica's: a transaction that its family settles at `t` (the
//! moment the family executes a decided block or batch: PBFT's, HotStuff's and Tendermint's
//! commit, the notary's and the XRP Ledger's validated ledgers, the tangle's confirmation) starts on the first core free at or after `t` and is
//! settled when it ends. With identical cores served in arrival order the end is known at
//! arrival, so the timeline is one free time per core; nothing per transaction is kept. A
//! transaction whose execution ends after the run is pending at validators (in a block, not
//! executed), not settled.
//!
//! Nakamoto and PoS settle a block's transactions blocks after each validator received it
//! (`confirmations` deep; finality), and a validator must execute a block before it adopts
//! it (Nakamoto: and relays it; PoS: before it attests to it or builds on it). There each
//! validator executes each block when it arrives, on its own cores (`Executor::block`), and
//! the family settles through `Ctx::settle_executed`: execution then delays adoption, and
//! bounds throughput through it. Raft (Fabric) splits the work (`Part`): endorsers simulate
//! a transaction before it is ordered, and each peer validates each block before it commits
//! it, on its own cores. A PoS proposer packs only what executes within the
//! attestation deadline (`Packing`), as the gas limit keeps Ethereum blocks executable in
//! time: validators then keep up and finality goes on, where an ever longer backlog would
//! leave their votes behind the chain.

use crate::engine::{Time, from_secs};
use crate::ledger::{TxKind, TxTag};
use crate::metrics::{Metrics, Value};
use crate::scenario::Execution;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Signatures a validator verifies per transaction of each kind, by what the kind carries:
/// a reading, a channel's funding, an SLA report, a provenance event: the sending device's;
/// a cooperative channel close: both parties' (the final balance is signed by each); an SLA
/// settlement: none (the contract's own output, computed where it is executed); a
/// registration: the device's and its issuer's certificate over the device key; a channel
/// dispute: both parties' (the last state both signed, which one party publishes).
const SIGNATURES: [u32; TxKind::COUNT] = [1, 1, 2, 1, 0, 1, 2, 2];

/// Which part of a transaction's work a job is. Most families execute a transaction whole;
/// Fabric's execute–order–validate splits it: endorsers simulate the contract before ordering
/// (its signatures verified and its contract run: the whole cost), and every peer validates
/// the ordered block (its signatures and its `endorsements` endorsers' verified, the contract
/// not run again): the execute and validate phases of Androulaki et al., "Hyperledger
/// Fabric", EuroSys 2018.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Whole,
    Endorse,
    Validate { endorsements: u32 },
}

/// The execution timeline, or nothing when execution is free.
#[derive(Default)]
pub struct Executor {
    on: Option<Timeline>,
}

struct Timeline {
    /// When each core is next free (a min-heap).
    free: BinaryHeap<Reverse<Time>>,
    cores: u32,
    cost: [Time; TxKind::COUNT],
    verify_us: f64,
    end: Time,
    /// Core time spent inside the run.
    busy: u128,
    /// Transactions executed, their total wait for a core, and those ending after the run.
    executed: u64,
    waited: u128,
    pending: u64,
    /// Each validator's cores, for families that execute blocks as they arrive, and when its
    /// last block was done (blocks are connected in arrival order, as a chain is).
    nodes: Vec<(BinaryHeap<Reverse<Time>>, Time)>,
    /// Each endorsing validator's chaincode cores (`Part::Endorse`), and the core time they
    /// spent inside the run.
    endorsers: Vec<BinaryHeap<Reverse<Time>>>,
    endorse_busy: u128,
}

impl Executor {
    pub fn build(e: Option<&Execution>, end: Time) -> Self {
        let on = e.map(|e| {
            let times = e.contract_us.by_kind();
            let cost = std::array::from_fn(|k| {
                let us = f64::from(SIGNATURES[k]) * e.verify_us + times[k].1;
                from_secs(us / 1e6)
            });
            Timeline {
                free: (0..e.cores).map(|_| Reverse(0)).collect(),
                cores: e.cores,
                cost,
                verify_us: e.verify_us,
                end,
                busy: 0,
                executed: 0,
                waited: 0,
                pending: 0,
                nodes: Vec::new(),
                endorsers: Vec::new(),
                endorse_busy: 0,
            }
        });
        Executor { on }
    }

    /// Whether execution costs anything.
    pub fn is_on(&self) -> bool {
        self.on.is_some()
    }

    /// CPU time one transaction of `kind` costs (zero when execution is free).
    pub fn cost(&self, kind: TxKind) -> Time {
        self.on.as_ref().map_or(0, |t| t.cost[kind.index()])
    }

    /// `tx`, created at `created`, was decided at `now` in a block of `block_txs`: it is
    /// settled once executed, or stays pending when that is after the run.
    pub fn settle(&mut self, m: &mut Metrics, tx: TxTag, created: Time, now: Time, block_txs: u32) {
        let Some(t) = &mut self.on else {
            m.on_settled_tx(tx, created, now, block_txs);
            return;
        };
        let Reverse(free) = t.free.pop().expect("at least one core");
        let start = free.max(now);
        let done = start + t.cost[tx.kind.index()];
        t.free.push(Reverse(done));
        t.busy += u128::from(done.min(t.end) - start.min(t.end));
        t.executed += 1;
        t.waited += u128::from(start - now);
        if done < t.end {
            m.on_settled_tx(tx, created, done, block_txs);
        } else {
            t.pending += 1;
        }
    }

    /// Validator `node` executes a block of `kinds[k]` transactions of each kind, ready at
    /// `at`: each starts on the node's first core free then or later. Returns when the last
    /// ends, and never before the block it received earlier is done: a block is connected
    /// after its predecessors, so a small block does not overtake a large one (`at` when
    /// execution is free). The transactions stay the family's to settle.
    pub fn block(&mut self, node: u32, at: Time, kinds: &[u32; TxKind::COUNT]) -> Time {
        self.part(node, at, kinds, Part::Whole)
    }

    /// As [`Executor::block`], for one `part` of each transaction's work: `Whole` is
    /// `block`, and `Validate` the same with the validation cost. `Endorse` runs on the
    /// node's chaincode cores, as many again, first come first served and in no block order:
    /// Fabric runs chaincode in its own Docker container, apart from the peer process that
    /// validates blocks (Androulaki et al. 2018), so a proposal does not wait behind a
    /// block's validation, which is where Fabric saturates (Wang & Chu, arXiv:2008.05946). Endorsement is not the transactions' execution (`exec_tx`,
    /// `exec_wait_mean_s`, `exec_utilisation` leave it out; `exec_endorse_utilisation`).
    pub fn part(&mut self, node: u32, at: Time, kinds: &[u32; TxKind::COUNT], part: Part) -> Time {
        let Some(t) = &mut self.on else {
            return at;
        };
        let v = node as usize;
        let cores = t.cores;
        // Cores are made on first use, so the summary counts only validators that worked.
        let made = |free: &mut BinaryHeap<Reverse<Time>>| {
            if free.is_empty() {
                free.extend((0..cores).map(|_| Reverse(0)));
            }
        };
        if part == Part::Endorse {
            if t.endorsers.len() <= v {
                t.endorsers.resize_with(v + 1, BinaryHeap::new);
            }
            let free = &mut t.endorsers[v];
            made(free);
            let jobs = serve(free, at, kinds, &t.cost, t.end);
            t.endorse_busy += jobs.busy;
            return jobs.last;
        }
        let cost: [Time; TxKind::COUNT] = match part {
            Part::Validate { endorsements } => std::array::from_fn(|k| {
                from_secs(f64::from(SIGNATURES[k] + endorsements) * t.verify_us / 1e6)
            }),
            _ => t.cost,
        };
        if t.nodes.len() <= v {
            t.nodes.resize_with(v + 1, || (BinaryHeap::new(), 0));
        }
        let (free, previous) = &mut t.nodes[v];
        made(free);
        let jobs = serve(free, at, kinds, &cost, t.end);
        t.busy += jobs.busy;
        t.executed += jobs.count;
        t.waited += jobs.waited;
        let last = jobs.last.max(*previous);
        *previous = last;
        last
    }

    /// What a proposer may pack so that each validator's `cores` execute the block within
    /// `within` of receiving it (`None` when execution is free).
    pub fn packing(&self, within: Time) -> Option<Packing> {
        self.on.as_ref().map(|t| Packing {
            loads: (0..t.cores).map(|_| Reverse(0)).collect(),
            within,
            cost: t.cost,
        })
    }

    /// Transactions decided but still executing when the run ended.
    pub fn pending(&self) -> u64 {
        self.on.as_ref().map_or(0, |t| t.pending)
    }

    /// `exec_*` summary rows; none when execution is free, so such runs' outputs are as
    /// before.
    pub fn summary(&self) -> Vec<(String, Value)> {
        let Some(t) = &self.on else {
            return Vec::new();
        };
        // Where each validator executes blocks on arrival, the rows are per validator that
        // executed anything (its cores are made on first use): a validator that never did,
        // as the honest ones while an attacker keeps its chain private, is no part of them.
        let per = (t.nodes.iter().filter(|n| !n.0.is_empty()).count() as u64).max(1);
        let capacity = u128::from(t.cores) * u128::from(t.end) * u128::from(per);
        let mean_wait = if t.executed == 0 {
            f64::NAN
        } else {
            t.waited as f64 / t.executed as f64 / 1e9
        };
        let mut rows = vec![
            ("exec_cores".into(), Value::from(u64::from(t.cores))),
            (
                "exec_utilisation".into(),
                Value::from(t.busy as f64 / capacity.max(1) as f64),
            ),
            ("exec_wait_mean_s".into(), Value::from(mean_wait)),
            ("exec_tx".into(), Value::from(t.executed / per)),
            ("exec_pending_at_end".into(), Value::from(t.pending)),
        ];
        let endorsing = t.endorsers.iter().filter(|e| !e.is_empty()).count() as u128;
        if endorsing > 0 {
            let capacity = u128::from(t.cores) * u128::from(t.end) * endorsing;
            let busy = t.endorse_busy as f64 / capacity.max(1) as f64;
            rows.push(("exec_endorse_utilisation".into(), Value::from(busy)));
        }
        rows
    }
}

/// What [`serve`] did: its jobs, their core time inside the run and their waits for a core,
/// and when the last ended (`at` when there was none: every job ends at or after it).
struct Served {
    count: u64,
    busy: u128,
    waited: u128,
    last: Time,
}

/// Serves `kinds[k]` jobs of `cost[k]` each, ready at `at`, each on the first of `free`'s
/// cores to be free then or later, in kind order.
fn serve(
    free: &mut BinaryHeap<Reverse<Time>>,
    at: Time,
    kinds: &[u32; TxKind::COUNT],
    cost: &[Time; TxKind::COUNT],
    end: Time,
) -> Served {
    let mut s = Served {
        count: 0,
        busy: 0,
        waited: 0,
        last: at,
    };
    for (k, &n) in kinds.iter().enumerate() {
        for _ in 0..n {
            let Reverse(f) = free.pop().expect("at least one core");
            let start = f.max(at);
            let done = start + cost[k];
            free.push(Reverse(done));
            s.busy += u128::from(done.min(end) - start.min(end));
            s.count += 1;
            s.waited += u128::from(start - at);
            s.last = s.last.max(done);
        }
    }
    s
}

/// A block being packed: each transaction taken goes to the least loaded core, as
/// `Executor::block` will execute it, and is taken only if it ends within the limit, so the
/// block executes within it on idle cores.
pub struct Packing {
    loads: BinaryHeap<Reverse<Time>>,
    within: Time,
    cost: [Time; TxKind::COUNT],
}

impl Packing {
    /// Whether a transaction of `kind` still ends within the limit.
    pub fn fits(&self, kind: TxKind) -> bool {
        let Reverse(load) = *self.loads.peek().expect("at least one core");
        load + self.cost[kind.index()] <= self.within
    }

    /// Takes a transaction of `kind`, which `fits`.
    pub fn take(&mut self, kind: TxKind) {
        let Reverse(load) = self.loads.pop().expect("at least one core");
        self.loads.push(Reverse(load + self.cost[kind.index()]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::KindTimes;

    /// Two cores and 1 ms per reading (one signature verification).
    fn two_cores() -> Execution {
        Execution {
            cores: 2,
            verify_us: 1_000.0,
            contract_us: KindTimes::default(),
        }
    }

    fn ms(x: f64) -> Time {
        from_secs(x / 1e3)
    }

    fn reading(seq: u32) -> TxTag {
        TxTag {
            device: 0,
            seq,
            kind: TxKind::Reading,
        }
    }

    #[test]
    fn cores_serve_in_arrival_order_and_late_ends_stay_pending() {
        let e = two_cores();
        let end = from_secs(0.0025);
        let mut x = Executor::build(Some(&e), end);
        let mut m = Metrics::new(end, end);
        // Five readings of 1 ms each at t = 0 on two cores: ends 1, 1, 2, 2, 3 ms.
        for s in 0..5 {
            x.settle(&mut m, reading(s), 0, 0, 5);
        }
        assert_eq!(m.settled, 4);
        assert_eq!(x.pending(), 1);
        // Busy inside the run: 1 + 1 + 1 + 1 + 0.5 ms of 2 × 2.5 ms.
        let row = |n: &str| x.summary().into_iter().find(|r| r.0 == n).unwrap().1;
        assert_eq!(row("exec_utilisation"), Value::from(4.5 / 5.0));
        // Waits 0, 0, 1, 1, 2 ms.
        assert_eq!(row("exec_wait_mean_s"), Value::from(0.0008));
    }

    #[test]
    fn blocks_execute_per_validator_in_arrival_order() {
        let e = two_cores();
        let mut x = Executor::build(Some(&e), ms(100.0));
        let mut five = [0; TxKind::COUNT];
        five[TxKind::Reading.index()] = 5;
        // Five 1 ms readings on two cores: done at 3 ms; an empty block arriving at 1 ms is
        // connected after it, and validator 1's cores are its own.
        assert_eq!(x.block(0, 0, &five), ms(3.0));
        assert_eq!(x.block(0, ms(1.0), &[0; TxKind::COUNT]), ms(3.0));
        assert_eq!(x.block(1, ms(1.0), &five), ms(4.0));
        // A later block of five starts them at 2, 3, 3, 4 and 4 ms: done at 5 ms.
        assert_eq!(x.block(0, ms(1.0), &five), ms(5.0));
        assert_eq!(Executor::default().block(0, ms(7.0), &five), ms(7.0));
    }

    #[test]
    fn packing_stops_where_the_block_would_outlast_the_limit() {
        let e = two_cores();
        let mut x = Executor::build(Some(&e), ms(100.0));
        // 1 ms readings on two cores within 3.5 ms: three per core, six in all.
        let mut p = x.packing(ms(3.5)).unwrap();
        let mut taken = 0;
        while p.fits(TxKind::Reading) {
            p.take(TxKind::Reading);
            taken += 1;
        }
        assert_eq!(taken, 6);
        let mut six = [0; TxKind::COUNT];
        six[TxKind::Reading.index()] = 6;
        // Executed as packed: three rounds of 1 ms.
        assert_eq!(x.block(0, 0, &six), ms(3.0));
        assert!(Executor::default().packing(ms(1.0)).is_none());
    }
}
