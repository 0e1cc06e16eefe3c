//! When a device is online. Models are evaluated lazily: a device's state only moves when the
//! device wakes, and online time is accounted when a phase is passed, never by ticking.

use super::dist::Dist;
use crate::engine::{Purpose, Time, draw_unit, from_secs};
use crate::metrics::Metrics;
use crate::scenario::Connectivity;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Conn {
    AlwaysOn,
    Never,
    /// Online during `[offset + k·period, offset + k·period + on)` for every integer `k`.
    Duty {
        period: Time,
        on: Time,
        jitter: Time,
    },
    /// Alternating phases; phase 0 starts at time 0 online with probability `p_on`, the
    /// stationary online fraction.
    OnOff {
        on: Dist,
        off: Dist,
        p_on: f64,
    },
}

/// A device's connectivity cursor: for duty cycles the phase offset; for on/off renewal the
/// start time and index of the current phase.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ConnState {
    pub t: Time,
    pub i: u32,
}

impl Conn {
    pub fn from_scenario(c: &Connectivity) -> Self {
        match c {
            Connectivity::AlwaysOn => Conn::AlwaysOn,
            Connectivity::Never => Conn::Never,
            Connectivity::DutyCycle {
                period_s,
                on_s,
                phase_jitter_s,
            } => Conn::Duty {
                period: from_secs(*period_s),
                on: from_secs(*on_s),
                jitter: from_secs(phase_jitter_s.unwrap_or(*period_s)),
            },
            Connectivity::OnOff { on, off } => {
                let (on, off) = (Dist::from_scenario(on), Dist::from_scenario(off));
                let p_on = on.mean_s() / (on.mean_s() + off.mean_s());
                Conn::OnOff { on, off, p_on }
            }
        }
    }

    /// Long-run fraction of time online.
    pub fn online_fraction(&self) -> f64 {
        match *self {
            Conn::AlwaysOn => 1.0,
            Conn::Never => 0.0,
            Conn::Duty { period, on, .. } => on as f64 / period as f64,
            Conn::OnOff { p_on, .. } => p_on,
        }
    }

    pub fn init(&self, seed: u64, dev: u32) -> ConnState {
        match *self {
            Conn::Duty { period, jitter, .. } => {
                let u = draw_unit(seed, dev as u64, Purpose::Connectivity, 0);
                ConnState {
                    t: ((u * jitter as f64) as Time) % period,
                    i: 0,
                }
            }
            _ => ConnState::default(),
        }
    }

    fn phase_online(&self, seed: u64, dev: u32, i: u32) -> bool {
        match *self {
            Conn::OnOff { p_on, .. } => {
                let first_on = draw_unit(seed, dev as u64, Purpose::Connectivity, 0) < p_on;
                i.is_multiple_of(2) == first_on
            }
            _ => unreachable!("phases exist only for on/off renewal"),
        }
    }

    fn phase_len(&self, seed: u64, dev: u32, i: u32, online: bool) -> Time {
        match *self {
            Conn::OnOff { on, off, .. } => {
                let u = draw_unit(seed, dev as u64, Purpose::Connectivity, i as u64 + 1);
                if online { on.sample(u) } else { off.sample(u) }
            }
            _ => unreachable!("phases exist only for on/off renewal"),
        }
    }

    /// Moves the cursor to the phase containing `t`, accounting every phase passed.
    pub fn advance(&self, seed: u64, dev: u32, st: &mut ConnState, t: Time, m: &mut Metrics) {
        if let Conn::OnOff { .. } = self {
            loop {
                let online = self.phase_online(seed, dev, st.i);
                let end = st.t.saturating_add(self.phase_len(seed, dev, st.i, online));
                if end > t {
                    break;
                }
                if online {
                    m.on_online(st.t, end);
                }
                st.t = end;
                st.i += 1;
            }
        }
    }

    /// The online interval `[start, end)` that contains `t` or is the first to start after
    /// it; `None` if no such interval starts before `horizon`. The cursor must not be past `t`.
    pub fn window_from(
        &self,
        seed: u64,
        dev: u32,
        st: &ConnState,
        t: Time,
        horizon: Time,
    ) -> Option<(Time, Time)> {
        let w = match *self {
            Conn::AlwaysOn => (0, Time::MAX),
            Conn::Never => return None,
            Conn::Duty { period, on, .. } => {
                let (p, off) = (period as i128, st.t as i128);
                let k = (t as i128 - off).div_euclid(p);
                let start = off + k * p;
                let (s, e) = if (t as i128) < start + on as i128 {
                    (start, start + on as i128)
                } else {
                    (start + p, start + p + on as i128)
                };
                (s.max(0) as Time, e.min(Time::MAX as i128) as Time)
            }
            Conn::OnOff { .. } => {
                let mut s = *st;
                loop {
                    let online = self.phase_online(seed, dev, s.i);
                    let end = s.t.saturating_add(self.phase_len(seed, dev, s.i, online));
                    if online && end > t {
                        break (s.t, end);
                    }
                    if s.t >= horizon {
                        return None;
                    }
                    s.t = end;
                    s.i += 1;
                }
            }
        };
        (w.0 < horizon).then_some(w)
    }

    /// Accounts the online time of `[0, end)` not yet accounted by `advance`.
    pub fn finish(&self, seed: u64, dev: u32, st: &mut ConnState, end: Time, m: &mut Metrics) {
        match *self {
            Conn::AlwaysOn | Conn::Never => {}
            Conn::Duty { period, .. } => {
                let mut t = 0;
                while let Some((s, e)) = self.window_from(seed, dev, st, t, end) {
                    m.on_online(s, e);
                    t = e;
                    if period == 0 {
                        break;
                    }
                }
            }
            Conn::OnOff { .. } => {
                self.advance(seed, dev, st, end, m);
                if self.phase_online(seed, dev, st.i) {
                    m.on_online(st.t, end);
                }
            }
        }
    }
}
