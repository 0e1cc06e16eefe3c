//! A partition's view of the world while its validators' handlers run (`sim/README.md`,
//! validators in parallel, rule 2): `&` to what no handler writes inside a window (the
//! scenario, the network, reach, faults, the device groups) and `&mut` to what the partition
//! owns (its `Part`, and its validators' node records, random streams and jitter indices,
//! slices of the world's from its first validator). Views of different partitions borrow
//! disjoint parts of the world, so they can run side by side. The view holds its `Part`
//! itself, moved in for the view's life, not a reference to it: a handler's writes to the
//! partition are then writes to the view, which the compiler knows reach nothing behind the
//! view's shared references (the network, the faults), so it need not load those again after
//! each write (with `&mut Part` the 300-validator PBFT bench ran 2.3 % more instructions,
//! SimBlock's Bitcoin run 0.9 % more). What only one-partition runs
//! have (upload links, privacy observers, typed workloads: `World::partition`) comes as
//! `Option`s, `None` in a cut run. Fault changes and samples need the whole world: the view
//! hands them back to it (`View::run_until`).

use super::part::Part;
use super::{Ev, World};
use crate::consensus::Protocol;
use crate::devices::Group;
use crate::engine::{EventKey, Time};
use crate::metrics::Metrics;
use crate::net::{Access, Network, Reach, Uplinks};
use crate::privacy::Privacy;
use crate::scenario::Scenario;
use crate::workload::{Out, Workloads};
use crate::world::Progress;
use crate::world::faults::Faults;
use rand_chacha::ChaCha8Rng;

/// What the typed workloads reach inside a handler: the world's recorder among them, so runs
/// with workloads have one partition.
pub(super) struct Typed<'a> {
    pub workloads: &'a mut Workloads,
    pub out: &'a mut Out,
    pub metrics: &'a mut Metrics,
    pub access: &'a Access,
}

/// An event with its key.
pub(super) type Keyed<M, T> = (EventKey, Ev<M, T>);

pub(super) struct View<'a, P: Protocol> {
    pub s: &'a Scenario,
    pub end: Time,
    pub net: &'a Network,
    pub reach: &'a Reach,
    pub faults: &'a Faults,
    pub groups: &'a [Group],
    /// How the validators are cut: `v / chunk` is `v`'s partition, `cur` this one's; `cut`
    /// when there are several.
    pub chunk: u32,
    pub cur: usize,
    pub cut: bool,
    /// The world's transactions reached and settled when the view was made, for the
    /// progress line (only workloads record into the world's recorder inside a handler).
    counted: (u64, u64),
    pub part: Part<P::Msg, P::Timer>,
    /// The partition's first validator: entry `v - lo` of each slice below is `v`'s.
    lo: u32,
    pub nodes: &'a mut [P::Node],
    pub consensus_rng: &'a mut [ChaCha8Rng],
    /// Loss draws of each validator's messages.
    pub latency_rng: &'a mut [ChaCha8Rng],
    /// Messages each validator has drawn a latency for: the index of its next jitter draw.
    pub jitter_index: &'a mut [u64],
    /// The key of the handler running now (`Ctx::key`).
    pub key: EventKey,
    pub protocol: &'a mut P,
    pub uplinks: Option<&'a mut Uplinks<(u32, P::Msg, u64)>>,
    pub privacy: Option<&'a mut Privacy>,
    pub typed: Option<Typed<'a>>,
}

impl<'s, P: Protocol> World<'s, P> {
    /// Runs `f` on the running partition's view, its handlers to run under `key` until an
    /// event sets another. The partition moves into the view and back, a stand-in (`spare`)
    /// in its place meanwhile.
    pub(super) fn with_view<R>(
        &mut self,
        key: EventKey,
        f: impl FnOnce(&mut View<'_, P>) -> R,
    ) -> R {
        let spare = self.spare.take().expect("one view at a time");
        let part = std::mem::replace(&mut self.part, spare);
        let (lo, len) = (part.lo, part.len);
        let own = lo as usize..(lo + len) as usize;
        let mut view = View {
            s: self.s,
            end: self.end,
            net: &self.net,
            reach: &self.reach,
            faults: &self.faults,
            groups: &self.groups,
            chunk: self.parts.chunk,
            cur: self.parts.cur,
            cut: self.parts.partitioned(),
            counted: (self.metrics.reached, self.metrics.settled),
            part,
            lo,
            nodes: &mut self.nodes[own.clone()],
            consensus_rng: &mut self.consensus_rng[own.clone()],
            latency_rng: &mut self.latency_rng[own.clone()],
            jitter_index: &mut self.jitter_index[own],
            key,
            protocol: &mut self.protocol,
            uplinks: self.uplinks.as_mut(),
            privacy: self.privacy.as_mut(),
            typed: self.workloads.as_mut().map(|workloads| Typed {
                workloads,
                out: &mut self.workload_out,
                metrics: &mut self.metrics,
                access: &self.access,
            }),
        };
        let r = f(&mut view);
        let part = view.part;
        self.spare = Some(std::mem::replace(&mut self.part, part));
        r
    }
}

impl<P: Protocol> View<'_, P> {
    /// Where validator `v`'s entries are in the partition's slices.
    #[inline(always)]
    pub fn own(&self, v: u32) -> usize {
        (v - self.lo) as usize
    }

    /// Runs the partition's events due at or before `until`, up to the first that needs the
    /// whole world (a fault change or a sample, `SYSTEM`'s), which it returns unrun.
    pub fn run_until(
        &mut self,
        until: Time,
        shard_events: u64,
        progress: &Progress,
    ) -> Option<Keyed<P::Msg, P::Timer>> {
        while let Some((key, ev)) = self.part.sched.pop_until(until) {
            if let Some(ev) = self.event(key, ev, shard_events, progress) {
                return Some((key, ev));
            }
        }
        None
    }

    /// Shows the progress every 65,536 of the partition's events.
    #[inline(always)]
    pub fn tick(&self, shard_events: u64, progress: &Progress) {
        if self.part.sched.delivered() & 0xffff == 0 {
            let world = match &self.typed {
                Some(t) => (t.metrics.reached, t.metrics.settled),
                None => self.counted,
            };
            self.part.show(world, shard_events, progress);
        }
    }
}
