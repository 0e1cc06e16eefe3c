//! Cellular devices inside a run: each group's compiled radio, each device's radio states
//! accounted from its sessions (no event per state change), and the cells they queue at.

use crate::engine::{Time, from_secs};
use crate::metrics::Value;
use crate::radio::cell::{Cell, CellStats};
use crate::radio::cellular::{
    CellStates, Cellular, Contact, DEFAULT_DRX_S, DEFAULT_INACTIVITY_S, Rat, Session,
};
use crate::scenario::{CellularRadio, GatewayKind, Radio, Scenario};

/// What the shards read: each cellular group's parameters, by device range.
pub struct CellPlan {
    /// Ascending by first device.
    pub groups: Vec<CellGroup>,
    max_connections: Option<u32>,
    uplink_bps: f64,
}

pub struct CellGroup {
    pub first: u32,
    pub count: u32,
    pub radio: Cellular,
    /// Whether its devices get settlement receipts.
    pub receipts: bool,
}

/// A scenario group's radio, compiled with the model's defaults.
pub fn compile(rat: Rat, c: &CellularRadio) -> Cellular {
    let ms = |v: f64| from_secs(v / 1e3);
    Cellular {
        rat,
        setup: ms(c.setup_ms.unwrap_or(rat.default_setup_ms())),
        inactivity: from_secs(c.inactivity_s.unwrap_or(DEFAULT_INACTIVITY_S)),
        drx: from_secs(c.drx_s.unwrap_or(DEFAULT_DRX_S)),
        psm: c
            .psm
            .as_ref()
            .map(|p| (from_secs(p.t3324_s), from_secs(p.t3412_s))),
        edrx: c.edrx.as_ref().map(|e| {
            let ptw = e.ptw_s.unwrap_or(rat.ptw_step_ms() as f64 / 1e3);
            (from_secs(e.cycle_s), from_secs(ptw))
        }),
        uplink_bps: c.uplink_bps.unwrap_or(rat.default_uplink_bps()),
        downlink_bps: c.downlink_bps.unwrap_or(rat.default_downlink_bps()),
    }
}

impl CellPlan {
    /// The cellular groups of `s`; `None` when it has none.
    pub fn build(s: &Scenario) -> Option<CellPlan> {
        let mut groups = Vec::new();
        let mut first = 0u32;
        for g in &s.devices {
            let radio = match &g.radio {
                Some(Radio::Nbiot(c)) => Some(compile(Rat::NbIot, c)),
                Some(Radio::Ltem(c)) => Some(compile(Rat::LteM, c)),
                _ => None,
            };
            if let Some(radio) = radio {
                groups.push(CellGroup {
                    first,
                    count: g.count as u32,
                    radio,
                    receipts: g.receipts.is_some(),
                });
            }
            first += g.count as u32;
        }
        if groups.is_empty() {
            return None;
        }
        debug_assert_eq!(s.gateways.kind, GatewayKind::Cell, "validated");
        Some(CellPlan {
            groups,
            max_connections: s.gateways.max_connections,
            uplink_bps: s.gateways.uplink_bps.unwrap_or(f64::INFINITY),
        })
    }

    fn group_of(&self, d: u32) -> Option<&CellGroup> {
        let i = self.groups.partition_point(|g| g.first + g.count <= d);
        self.groups.get(i).filter(|g| g.first <= d)
    }

    pub fn radio_of(&self, d: u32) -> Option<&Cellular> {
        self.group_of(d).map(|g| &g.radio)
    }

    pub fn receipts(&self, d: u32) -> bool {
        self.group_of(d).is_some_and(|g| g.receipts)
    }

    pub fn cell(&self) -> Cell {
        Cell::new(self.max_connections, self.uplink_bps)
    }
}

/// A cellular device's state between wakes: its latest session, and the time accounted to
/// each radio state up to that session's start.
#[derive(Clone, Copy, Debug, Default)]
pub struct CellDevice {
    pub session: Session,
    /// Sending time within `session` (data sent while connected extends it).
    sending: Time,
    pub states: CellStates,
}

/// The part of `[a, b)` before `end`.
fn clip(a: Time, b: Time, end: Time) -> Time {
    b.min(end).saturating_sub(a.min(end))
}

impl CellDevice {
    /// Whether the device is still connected at `t`.
    pub fn connected_at(&self, t: Time) -> bool {
        self.states.uplinks > 0 && t < self.session.released
    }

    /// Accounts the latest session, then its idle time, periodic TAUs and their idle time,
    /// up to `cut` (the next ask, or the end of the run).
    pub fn close(&mut self, c: &Cellular, cut: Time, end: Time) {
        if self.states.uplinks == 0 {
            return;
        }
        let s = self.session;
        let st = &mut self.states;
        st.waiting += clip(s.ask, s.granted, end);
        st.connecting += clip(s.granted, s.connected, end);
        let sending = self.sending.min(clip(s.connected, s.released, end));
        st.sending += sending;
        st.connected += clip(s.connected, s.released, end) - sending;
        st.idle += clip(s.released, s.idle_until.min(cut), end);
        for tau in c.taus(s.released, cut.min(end)) {
            st.taus += 1;
            st.connecting += clip(tau.connected - c.setup, tau.connected, end);
            st.connected += clip(tau.connected, tau.released, end);
            st.idle += clip(tau.released, tau.idle_until.min(cut), end);
        }
    }

    /// Starts a new session (after [`CellDevice::close`] of the previous one).
    pub fn open(&mut self, s: Session, sending: Time) {
        self.session = s;
        self.sending = sending;
        self.states.uplinks += 1;
    }

    /// Data sent on the open connection: it lasts until `s.released` now.
    pub fn extend(&mut self, s: Session, sending: Time) {
        self.session.sent = s.sent;
        self.session.released = s.released;
        self.session.idle_until = s.idle_until;
        self.sending += sending;
    }

    /// Closes the run: the last session up to `end`, the rest of the run in PSM (or idle
    /// without PSM: a device that never sent stays idle, paged, the whole run).
    pub fn finish(&mut self, c: &Cellular, end: Time) {
        self.close(c, end, end);
        let st = &mut self.states;
        let busy = st.waiting + st.connecting + st.sending + st.connected + st.idle;
        let rest = end.saturating_sub(busy);
        if c.psm.is_some() {
            st.psm = rest;
        } else {
            st.idle += rest;
        }
    }

    /// The contacts of the latest session: itself, then its TAUs before `next` (the next
    /// wake), each cut where the next begins, so a device's contacts never overlap.
    pub fn contacts(&self, c: &Cellular, next: Time, out: &mut Vec<Contact>) {
        let s = self.session;
        let from = out.len();
        out.push(s.contact());
        out.extend(c.taus(s.released, next));
        for i in from..out.len() {
            let cut = out.get(i + 1).map_or(next, |k| k.connected - c.setup);
            out[i].idle_until = out[i].idle_until.min(cut);
        }
    }
}

/// The cells' share of the summary.
pub fn summary(stats: &CellStats, states: &CellStates, devices: u64) -> Vec<(String, Value)> {
    let s = crate::engine::to_secs;
    let per_device = |t: Time| {
        if devices == 0 {
            f64::NAN
        } else {
            s(t) / devices as f64
        }
    };
    vec![
        ("cell_connections".into(), stats.connections.into()),
        ("cell_wait_connections".into(), stats.waited.into()),
        ("cell_wait_s".into(), s(stats.wait).into()),
        ("cell_wait_max_s".into(), s(stats.max_wait).into()),
        ("cell_uplink_wait_s".into(), s(stats.uplink_wait).into()),
        ("cell_peak_connections".into(), u64::from(stats.peak).into()),
        ("cellular_taus".into(), u64::from(states.taus).into()),
        (
            "cellular_connected_s_per_device".into(),
            per_device(states.connecting + states.sending + states.connected).into(),
        ),
        (
            "cellular_idle_s_per_device".into(),
            per_device(states.idle).into(),
        ),
        (
            "cellular_psm_s_per_device".into(),
            per_device(states.psm).into(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::NS_PER_S;
    use crate::radio::cellular::ms;

    fn radio() -> Cellular {
        Cellular {
            rat: Rat::NbIot,
            setup: NS_PER_S,
            inactivity: 20 * NS_PER_S,
            drx: ms(2_560),
            psm: Some((20 * NS_PER_S, 600 * NS_PER_S)),
            edrx: None,
            uplink_bps: 8_000.0,
            downlink_bps: 8_000.0,
        }
    }

    /// One uplink at 0 (a 1 s send), then nothing until the run ends at 1,000 s: the states
    /// add up by hand and partition the run.
    #[test]
    fn states_of_one_uplink_and_its_taus_add_up() {
        let c = radio();
        let mut dev = CellDevice::default();
        let s = c.session(0, 0, 0, 8_000);
        dev.open(s, s.sent - s.connected);
        dev.finish(&c, 1_000 * NS_PER_S);
        let st = dev.states;
        // Session: setup 1, send 1, linger 20, T3324 20 → released at 22, idle until 42.
        // TAU at 22 + 600 = 622: setup to 623, linger to 643, idle to 663.
        assert_eq!(st.taus, 1);
        assert_eq!(st.connecting, 2 * NS_PER_S);
        assert_eq!(st.sending, NS_PER_S);
        assert_eq!(st.connected, 40 * NS_PER_S);
        assert_eq!(st.idle, 40 * NS_PER_S);
        assert_eq!(st.psm, (1_000 - 83) * NS_PER_S);
        let total: Time = st.durations().iter().sum();
        assert_eq!(total, 1_000 * NS_PER_S);
    }
}
