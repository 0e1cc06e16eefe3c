//! Energy totals per device and per group, added up from schedules in integer nanojoules.

use super::{Op, Profile, State};
use crate::engine::Time;

/// One group's devices and their totals. Per device only the energy above the baseline is
/// kept (one `i64`), so memory stays at 8 bytes a device whatever the horizon.
#[derive(Clone, Debug)]
pub struct GroupEnergy {
    pub profile: Profile,
    /// Fleet-wide id of the group's first device.
    pub first: u32,
    /// Per device, nJ drawn above the baseline (state power − sleep power, plus operations).
    pub excess_nj: Vec<i64>,
    /// Per state, time and energy summed over the group's devices (the baseline's time is
    /// what is left of the horizon; see [`GroupEnergy::state_totals`]).
    pub state_ns: [u128; State::COUNT],
    pub state_nj: [u128; State::COUNT],
    pub op_count: [u64; Op::COUNT],
    pub op_nj: [u128; Op::COUNT],
    /// Recurring schedules registered with [`Meter::fixed`], and how often each was charged.
    fixed: Vec<(Fixed, u64)>,
}

/// The part of a recurring schedule that never changes (a class A cycle at one data rate
/// without its frame), its energy worked out once with the same rounding as [`Meter::add`],
/// so charging it costs a few additions.
#[derive(Clone, Debug)]
pub struct Fixed {
    excess_nj: i64,
    state_ns: [u64; State::COUNT],
    state_nj: [u64; State::COUNT],
}

impl GroupEnergy {
    pub fn devices(&self) -> u32 {
        self.excess_nj.len() as u32
    }

    /// Time and energy per state charged so far, recurring schedules included.
    fn sums(&self) -> ([u128; State::COUNT], [u128; State::COUNT]) {
        let (mut ns, mut nj) = (self.state_ns, self.state_nj);
        for (f, n) in &self.fixed {
            for s in 0..State::COUNT {
                ns[s] += f.state_ns[s] as u128 * *n as u128;
                nj[s] += f.state_nj[s] as u128 * *n as u128;
            }
        }
        (ns, nj)
    }

    /// Device `i` of the group's energy over a horizon of `horizon` ns, joules.
    pub fn device_j(&self, i: usize, horizon: Time) -> f64 {
        let base = self.profile.energy_nj(State::Sleep, horizon);
        (base + self.excess_nj[i] as f64) * 1e-9
    }

    /// Time (s) and energy (J) per state over `horizon`, the baseline taking every device's
    /// time not spent elsewhere, then each operation's energy; states the radio lacks are
    /// left out.
    pub fn state_totals(&self, horizon: Time) -> Vec<(&'static str, f64, f64)> {
        let (state_ns, state_nj) = self.sums();
        let active: u128 = state_ns.iter().sum();
        let all = self.devices() as u128 * horizon as u128;
        let sleep_ns = all.saturating_sub(active);
        let mut rows = Vec::new();
        for s in self.profile.states() {
            let (ns, nj) = if s == State::Sleep {
                let p = self.profile.power_mw(State::Sleep);
                (sleep_ns, p * sleep_ns as f64 * 1e-3)
            } else {
                (state_ns[s as usize], state_nj[s as usize] as f64)
            };
            rows.push((s.name(), ns as f64 * 1e-9, nj * 1e-9));
        }
        for op in Op::ALL {
            if self.op_count[op as usize] > 0 && self.profile.op_mj[op as usize] > 0.0 {
                rows.push((op.name(), 0.0, self.op_nj[op as usize] as f64 * 1e-9));
            }
        }
        rows
    }

    /// The group's energy over `horizon`, joules.
    pub fn total_j(&self, horizon: Time) -> f64 {
        self.state_totals(horizon).iter().map(|r| r.2).sum()
    }
}

/// The meter of every metered group. Callers name the group (its index here) and the
/// device's fleet-wide id.
#[derive(Clone, Debug, Default)]
pub struct Meter {
    pub groups: Vec<GroupEnergy>,
}

fn round_nj(v: f64) -> i64 {
    v.round() as i64
}

/// Energy of `t` in `s`, and its part above the baseline, each rounded on its own; `None` for
/// time in the baseline itself, which the horizon accounts for.
fn state_nj(p: &Profile, s: State, t: Time) -> Option<(i64, i64)> {
    if t == 0 || s == State::Sleep {
        return None;
    }
    let nj = round_nj(p.energy_nj(s, t));
    Some((nj, nj - round_nj(p.energy_nj(State::Sleep, t))))
}

impl Meter {
    /// A group of `count` devices from fleet-wide id `first`, drawing as `profile` says;
    /// returns its index.
    pub fn add_group(&mut self, profile: Profile, first: u32, count: u32) -> usize {
        self.groups.push(GroupEnergy {
            profile,
            first,
            excess_nj: vec![0; count as usize],
            state_ns: [0; State::COUNT],
            state_nj: [0; State::COUNT],
            op_count: [0; Op::COUNT],
            op_nj: [0; Op::COUNT],
            fixed: Vec::new(),
        });
        self.groups.len() - 1
    }

    /// Charges `device` of `group` for the states of `schedule`. Each state's energy is
    /// rounded to a whole nanojoule on its own, so the sums do not depend on the order in
    /// which schedules arrive.
    pub fn add(&mut self, group: usize, device: u32, schedule: &[(State, Time)]) {
        let g = &mut self.groups[group];
        let mut excess = 0i64;
        for &(s, t) in schedule {
            if let Some((nj, above)) = state_nj(&g.profile, s, t) {
                excess += above;
                g.state_ns[s as usize] += t as u128;
                g.state_nj[s as usize] += nj as u128;
            }
        }
        g.excess_nj[(device - g.first) as usize] += excess;
    }

    /// Registers the unchanging part of a schedule that recurs in `group`; returns its id
    /// for [`Meter::add_fixed`].
    pub fn fixed(&mut self, group: usize, schedule: &[(State, Time)]) -> usize {
        let g = &mut self.groups[group];
        let mut f = Fixed {
            excess_nj: 0,
            state_ns: [0; State::COUNT],
            state_nj: [0; State::COUNT],
        };
        for &(s, t) in schedule {
            if let Some((nj, above)) = state_nj(&g.profile, s, t) {
                f.excess_nj += above;
                f.state_ns[s as usize] += t;
                f.state_nj[s as usize] += nj as u64;
            }
        }
        g.fixed.push((f, 0));
        g.fixed.len() - 1
    }

    /// Charges `device` of `group` for fixed schedule `id` plus `t` in state `s` (the frame
    /// of a class A cycle): the same totals as [`Meter::add`] of the whole schedule.
    pub fn add_fixed(&mut self, group: usize, device: u32, id: usize, s: State, t: Time) {
        let g = &mut self.groups[group];
        let (f, n) = &mut g.fixed[id];
        *n += 1;
        let mut excess = f.excess_nj;
        if let Some((nj, above)) = state_nj(&g.profile, s, t) {
            excess += above;
            g.state_ns[s as usize] += t as u128;
            g.state_nj[s as usize] += nj as u128;
        }
        g.excess_nj[(device - g.first) as usize] += excess;
    }

    /// Charges `device` of `group` for `count` operations `op`.
    pub fn op(&mut self, group: usize, device: u32, op: Op, count: u64) {
        let g = &mut self.groups[group];
        let nj = round_nj(g.profile.op_mj[op as usize] * 1e6) * count as i64;
        g.op_count[op as usize] += count;
        g.op_nj[op as usize] += nj as u128;
        g.excess_nj[(device - g.first) as usize] += nj;
    }
}
