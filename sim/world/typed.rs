//! The typed workloads (`crate::workload`) in a run: their transactions travel to the ledger
//! through each device's uplink and gateway, their wake-ups are events of the validators'
//! loop, and the fates of their transactions are handed back to them after every handler.

use super::view::View;
use super::{Ev, SYSTEM};
use crate::consensus::Protocol;
use crate::devices::Group;
use crate::engine::Time;
use crate::net::{Access, transfer};
use crate::workload::{Cx, Transit, Via, Workloads};

/// Delays between devices through their gateways: uplink (latency and transfer) and
/// backhaul on each side.
pub(super) struct Paths<'a> {
    pub access: &'a Access,
    pub groups: &'a [Group],
    pub seed: u64,
}

/// The group that holds device `d`.
pub(super) fn group_of(groups: &[Group], d: u32) -> &Group {
    let i = groups.partition_point(|g| g.first + g.count <= d);
    &groups[i]
}

impl<'a> Paths<'a> {
    fn new(access: &'a Access, groups: &'a [Group], seed: u64) -> Self {
        Paths {
            access,
            groups,
            seed,
        }
    }

    fn group(&self, d: u32) -> &Group {
        group_of(self.groups, d)
    }

    /// From device `d` to its gateway's validator; returns the validator too.
    pub fn to_ledger(&self, d: u32, bytes: u32) -> (Time, u32) {
        let g = self.access.gateway_of(self.seed, d);
        let grp = self.group(d);
        let delay = grp.uplink_latency
            + transfer(u64::from(bytes), grp.uplink_bps)
            + self.access.backhaul_delay(g, u64::from(bytes));
        (delay, self.access.gateway_validator[g as usize])
    }
}

impl Transit for Paths<'_> {
    fn between(&self, from: u32, to: u32, bytes: u32) -> Time {
        // Down to the receiving device is taken as the uplink's mirror image.
        self.to_ledger(from, bytes).0 + self.to_ledger(to, bytes).0
    }
}

impl<P: Protocol> View<'_, P> {
    /// Runs `f` on the workloads with a handler context, then schedules what it asked for.
    fn with_workloads(&mut self, f: impl FnOnce(&mut Workloads, &mut Cx)) {
        let Some(t) = &mut self.typed else {
            return;
        };
        let paths = Paths::new(t.access, self.groups, self.s.seed);
        let mut cx = Cx {
            now: self.part.sched.now(),
            out: &mut *t.out,
            m: &mut *t.metrics,
            transit: &paths,
        };
        f(&mut *t.workloads, &mut cx);
        self.workload_emit();
    }

    pub(super) fn workloads_start(&mut self) {
        self.with_workloads(|w, cx| w.start(cx));
    }

    pub(super) fn workload_wake(&mut self, entity: u32) {
        self.with_workloads(|w, cx| w.wake(entity, cx));
    }

    /// Hands the fates the last handler recorded to the workloads.
    pub(super) fn workload_fates(&mut self) {
        if self.part.metrics.typed_log.is_empty() {
            return;
        }
        let mut log = std::mem::take(&mut self.part.metrics.typed_log);
        self.with_workloads(|w, cx| {
            for &(tag, at) in &log {
                w.fate(tag, at, cx);
            }
        });
        log.clear();
        self.part.metrics.typed_log = log;
    }

    /// Schedules what the workloads asked for: each transaction as an upload of its own,
    /// numbered by its device's sequence, and the wake-ups. Runs with workloads have one
    /// partition, which holds every validator.
    fn workload_emit(&mut self) {
        let Some(t) = &mut self.typed else {
            return;
        };
        let paths = Paths::new(t.access, self.groups, self.s.seed);
        let mut out = std::mem::take(t.out);
        let first_device = 1 + self.net.nodes();
        for s in out.submits.drain(..) {
            let (at, node) = match s.via {
                Via::Device => {
                    let (delay, node) = paths.to_ledger(s.tx.device, s.tx.bytes);
                    t.metrics.on_uploaded(s.tx.created, s.tx.uploaded);
                    (s.tx.uploaded + delay, node)
                }
                Via::Contract => (s.tx.uploaded, paths.to_ledger(s.tx.device, 0).1),
            };
            let sender = (first_device + s.tx.device, s.tx.seq);
            self.part.hand_over(at, sender, node, |l| l.push(s.tx));
        }
        // `SYSTEM`'s events, without the barrier `World::system` notes for a cut run.
        debug_assert!(!self.cut, "runs with workloads have one partition");
        for (at, entity) in out.wakes.drain(..) {
            self.part
                .sched
                .schedule(at, SYSTEM, Ev::Workload { entity });
        }
        *t.out = out;
    }
}
