//! SLA contracts (`workload: {model: sla}`): each device reports a service level every
//! `report_interval_s` to its own contract; the contract judges every `reports_per_window`
//! consecutive reports once each has a fate on the ledger, and emits one `sla_settlement`
//! transaction: a reward when none violated, a penalty otherwise (a dropped report counts as
//! a violation: no evidence of service). The figure the seed asks for: time from a
//! violation (the first violating report's creation) to its penalty being settled.

use super::{Cx, Via, latency_rows, tx};
use crate::engine::{Purpose, Time, draw_unit, from_secs};
use crate::ledger::{TxKind, TxTag};
use crate::metrics::{Histogram, Value};
use crate::scenario::{DeviceGroup, Scenario, Workload};
use std::collections::{BTreeMap, VecDeque};

/// A window whose reports do not all have a fate yet.
#[derive(Clone, Copy, Debug)]
struct Window {
    index: u32,
    fated: u32,
    /// Creation of its first violating report (`Time::MAX`: none so far).
    violation: Time,
    judged: bool,
}

#[derive(Clone, Debug, Default)]
struct Device {
    /// Next report to create.
    k: u32,
    open: VecDeque<Window>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlaCounts {
    pub reports: u64,
    pub reports_violating: u64,
    pub reports_dropped: u64,
    pub windows_judged: u64,
    pub rewards: u64,
    pub penalties: u64,
    pub penalties_settled: u64,
    pub settlements_dropped: u64,
}

pub struct Sla {
    seed: u64,
    end: Time,
    first: u32,
    interval: Time,
    per_window: u32,
    p: f64,
    bytes: u32,
    devices: Vec<Device>,
    /// Penalties on their way to the ledger: `(device, seq)` → the violation's time.
    pending: BTreeMap<(u32, u32), Time>,
    pub counts: SlaCounts,
    delay: Histogram,
}

/// Reports take even sequence numbers (`2k`), the contract's settlements odd ones (`2w + 1`).
fn report_seq(k: u32) -> u32 {
    2 * k
}

impl Sla {
    pub fn new(s: &Scenario, g: &DeviceGroup, first: u32, end: Time) -> Self {
        let Workload::Sla {
            report_interval_s,
            reports_per_window,
            violation_probability,
        } = g.workload
        else {
            unreachable!("built for sla groups only")
        };
        Sla {
            seed: s.seed,
            end,
            first,
            interval: from_secs(report_interval_s),
            per_window: reports_per_window,
            p: violation_probability,
            bytes: g.tx_bytes,
            devices: vec![Device::default(); g.count as usize],
            pending: BTreeMap::new(),
            counts: SlaCounts::default(),
            delay: Histogram::new(),
        }
    }

    fn draw(&self, device: u32, i: u64) -> f64 {
        draw_unit(self.seed, u64::from(device), Purpose::Workload, i)
    }

    /// Creation time of report `k` of `device`: a uniform phase, then every interval.
    fn report_time(&self, device: u32, k: u32) -> Time {
        let phase = (self.draw(device, 0) * self.interval as f64) as Time;
        phase + Time::from(k) * self.interval
    }

    /// Whether report `k` of `device` violates the SLA.
    pub fn violates(&self, device: u32, k: u32) -> bool {
        self.draw(device, u64::from(k) + 1) < self.p
    }

    pub fn start(&mut self, cx: &mut Cx) {
        for i in 0..self.devices.len() as u32 {
            let t = self.report_time(self.first + i, 0);
            if t < self.end {
                cx.wake(t, self.first + i);
            }
        }
    }

    /// Report time of `device`: create it, open its window, plan the next.
    pub fn wake(&mut self, device: u32, cx: &mut Cx) {
        let i = (device - self.first) as usize;
        let k = self.devices[i].k;
        self.devices[i].k += 1;
        let w = k / self.per_window;
        let d = &mut self.devices[i];
        if d.open.back().is_none_or(|x| x.index < w) {
            d.open.push_back(Window {
                index: w,
                fated: 0,
                violation: Time::MAX,
                judged: false,
            });
        }
        self.counts.reports += 1;
        let t = tx(device, report_seq(k), TxKind::SlaReport, self.bytes, cx.now);
        cx.create(t, Via::Device);
        let next = self.report_time(device, k + 1);
        if next < self.end {
            cx.wake(next, device);
        }
    }

    pub fn fate(&mut self, tag: TxTag, at: Option<Time>, cx: &mut Cx) {
        match tag.kind {
            TxKind::SlaReport => self.report_fate(tag, at, cx),
            TxKind::SlaSettlement => {
                let penalty = self.pending.remove(&(tag.device, tag.seq));
                match at {
                    Some(s) => {
                        if let Some(v) = penalty {
                            self.counts.penalties_settled += 1;
                            self.delay.record(s - v);
                        }
                    }
                    None => self.counts.settlements_dropped += 1,
                }
            }
            _ => {}
        }
    }

    fn report_fate(&mut self, tag: TxTag, at: Option<Time>, cx: &mut Cx) {
        let k = tag.seq / 2;
        let violating = at.is_none() || self.violates(tag.device, k);
        self.counts.reports_violating += u64::from(at.is_some() && violating);
        self.counts.reports_dropped += u64::from(at.is_none());
        let created = self.report_time(tag.device, k);
        let i = (tag.device - self.first) as usize;
        let w = k / self.per_window;
        let Some(front) = self.devices[i].open.front().map(|x| x.index) else {
            return;
        };
        let Some(win) = w
            .checked_sub(front)
            .and_then(|j| self.devices[i].open.get_mut(j as usize))
        else {
            return;
        };
        win.fated += 1;
        if violating {
            win.violation = win.violation.min(created);
        }
        if win.fated == self.per_window {
            win.judged = true;
            let violation = win.violation;
            self.judge(tag.device, w, violation, cx);
        }
        let open = &mut self.devices[i].open;
        while open.front().is_some_and(|x| x.judged) {
            open.pop_front();
        }
    }

    /// The contract's verdict on window `w` of `device`, as a transaction at its validator.
    fn judge(&mut self, device: u32, w: u32, violation: Time, cx: &mut Cx) {
        self.counts.windows_judged += 1;
        let seq = 2 * w + 1;
        if violation == Time::MAX {
            self.counts.rewards += 1;
        } else {
            self.counts.penalties += 1;
            self.pending.insert((device, seq), violation);
        }
        let t = tx(device, seq, TxKind::SlaSettlement, self.bytes, cx.now);
        cx.create(t, Via::Contract);
    }

    pub fn finish(&self, rows: &mut Vec<(String, Value)>) {
        let c = &self.counts;
        let open: usize = self.devices.iter().map(|d| d.open.len()).sum();
        rows.extend([
            ("sla_reports".into(), c.reports.into()),
            ("sla_reports_violating".into(), c.reports_violating.into()),
            ("sla_reports_dropped".into(), c.reports_dropped.into()),
            ("sla_windows_judged".into(), c.windows_judged.into()),
            ("sla_windows_open_at_end".into(), (open as u64).into()),
            ("sla_rewards".into(), c.rewards.into()),
            ("sla_penalties".into(), c.penalties.into()),
            ("sla_penalties_settled".into(), c.penalties_settled.into()),
            (
                "sla_settlements_dropped".into(),
                c.settlements_dropped.into(),
            ),
        ]);
        latency_rows("sla_penalty_delay", &self.delay, rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::workload::{Out, Transit};

    struct Instant;
    impl Transit for Instant {
        fn between(&self, _: u32, _: u32, _: u32) -> Time {
            0
        }
    }

    #[test]
    fn a_window_is_penalised_exactly_when_one_of_its_reports_violates() {
        let s = crate::scenario::parse(
            "duration_s: 3600
validators: { count: 4 }
consensus: { protocol: pbft }
devices:
  - count: 1
    workload: { model: sla, report_interval_s: 10, reports_per_window: 3, violation_probability: 0 }
",
            "test",
        )
        .unwrap();
        let mut sla = Sla::new(&s, &s.devices[0], 0, from_secs(3600.0));
        let (mut out, mut m) = (
            Out::default(),
            Metrics::new(from_secs(60.0), from_secs(3600.0)),
        );
        let mut cx = Cx {
            now: 0,
            out: &mut out,
            m: &mut m,
            transit: &Instant,
        };
        for k in 0..9 {
            cx.now = sla.report_time(0, k);
            sla.wake(0, &mut cx);
        }
        let tag = |k: u32| TxTag {
            device: 0,
            seq: report_seq(k),
            kind: TxKind::SlaReport,
        };
        cx.now = from_secs(200.0);
        // Window 2 completes before window 1; window 1 lost a report (a violation).
        for k in [0, 1, 2, 6, 7, 8, 4, 5] {
            sla.fate(tag(k), Some(cx.now), &mut cx);
        }
        assert_eq!((sla.counts.rewards, sla.counts.penalties), (2, 0));
        sla.fate(tag(3), None, &mut cx);
        assert_eq!((sla.counts.rewards, sla.counts.penalties), (2, 1));
        assert!(sla.devices[0].open.is_empty());
        // The penalty is window 1's (sequence 3), dated at its dropped report's creation.
        assert_eq!(sla.pending.get(&(0, 3)), Some(&sla.report_time(0, 3)));
        let settlements: Vec<_> = out
            .submits
            .iter()
            .filter(|x| x.tx.kind == TxKind::SlaSettlement)
            .map(|x| (x.tx.seq, x.via))
            .collect();
        assert_eq!(
            settlements,
            [(1, Via::Contract), (5, Via::Contract), (3, Via::Contract)]
        );
    }
}
