//! A partition of the validators: the scheduler of the events addressed to them, and what
//! its handlers write, kept apart from the world's shared records so that partitions can run
//! side by side (`sim/README.md`, validators in parallel, rule 3): its `Metrics` delta, its
//! `Traffic` counts, its keyed settlement log and its handlers' commands. One partition for
//! now: the delta is moved into the world's recorder at the fleet's merges and at the end,
//! the points where the world reads what the validators recorded (receipts read the
//! settlements logged for them).

use super::Ev;
use super::traffic::Traffic;
use crate::consensus::settlements::Settlements;
use crate::engine::{Command, Scheduler};
use crate::metrics::Metrics;

pub(super) struct Part<M, T> {
    /// The events addressed to the partition's validators, with the sequence counters of the
    /// sources that number events through it. Three kinds reach it: the validators' own
    /// (timers, link completions, messages and broadcast copies they send; partitioned, those
    /// for another partition's validators go to an outbox handed over at the window's end),
    /// `SYSTEM`'s (`World::system`: samples, fault changes, workload wake-ups, the barriers),
    /// and uploads handed over by the fleet and the workloads (`World::hand_over`), numbered
    /// by their senders. With one partition it holds every source's counter.
    pub sched: Scheduler<Ev<M, T>>,
    /// Validator-side records since the last merge (`Metrics::take_validators`).
    pub metrics: Metrics,
    /// Validator messages by kind and node, and where each ended: the protocol's cost.
    pub traffic: Traffic,
    /// Settlements the handlers logged, replayed through the shared timeline after each
    /// handler.
    pub settlements: Settlements,
    /// The commands of the handler running now.
    pub out: Vec<Command<M, T>>,
}

impl<M, T> Part<M, T> {
    /// A partition recording on `world`'s window grid, counting traffic for `nodes`, its
    /// scheduler numbering the events of sources `0..sources`.
    pub fn new(world: &Metrics, nodes: u32, sources: usize) -> Self {
        Part {
            sched: Scheduler::new(sources),
            metrics: world.validators_delta(),
            traffic: Traffic::new(nodes),
            settlements: Default::default(),
            out: Vec::new(),
        }
    }

    /// Moves the partition's records into the world's recorder.
    pub fn flush(&mut self, world: &mut Metrics) {
        world.take_validators(&mut self.metrics);
    }

    /// Transactions that reached validators and settled, recorded or not yet flushed (for
    /// the progress line, read between flushes).
    pub fn progress(&self, world: &Metrics) -> (u64, u64) {
        (
            world.reached + self.metrics.reached,
            world.settled + self.metrics.settled,
        )
    }
}
