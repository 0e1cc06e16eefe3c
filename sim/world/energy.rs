//! Device energy inside a run: the LoRaWAN airwaves hand every finished frame's class A
//! schedule to the meter (no event of its own), and the run's end turns the totals into the
//! `energy` tables, summary metrics and battery-life projections.

use super::airwaves::{AirPlan, FrameOut};
use crate::energy::{
    self, CELLULAR_VOLTAGE_V, ClassA, Downlink, LORAWAN_VOLTAGE_V, Lifetimes, Meter, Op, Profile,
    State, WAKE, class_a_cycle, lifetime_years,
};
use crate::engine::{Time, to_secs};
use crate::metrics::{EnergyOutput, EnergyRow, EnergyStateRow, Value};
use crate::radio::Region;
use crate::radio::cellular::CellStates;
use crate::scenario::{self, Radio, Scenario};
use rayon::prelude::*;

/// The meter of a run's radio groups: the LoRaWAN ones first, indexed like
/// `AirPlan::groups`, then the cellular ones.
#[derive(Default)]
pub struct Energy {
    meter: Meter,
    /// Receive windows per group and SF 7..12.
    windows: Vec<[ClassA; 6]>,
    /// The meter's fixed part of an empty-window cycle per group and SF 7..12.
    cycles: Vec<[usize; 6]>,
    /// Readings that left each group in frames.
    readings: Vec<u64>,
    batteries: Vec<Option<energy::Battery>>,
    names: Vec<String>,
    /// Cellular groups: fleet-wide first device, count, meter group.
    cells: Vec<(u32, u32, usize)>,
}

/// The profile of a group: its radio's defaults with the scenario's overrides.
pub fn profile(radio: &Radio, e: Option<&scenario::Energy>) -> Profile {
    let voltage = e.and_then(|e| e.voltage_v);
    let mut p = match radio {
        Radio::Lorawan(l) => {
            let mut p = Profile::lorawan(voltage.unwrap_or(LORAWAN_VOLTAGE_V));
            p.set_current_ma(State::Tx, energy::lorawan_tx_ma(l.tx_power_dbm));
            p
        }
        Radio::Nbiot(_) | Radio::Ltem(_) => {
            Profile::cellular(voltage.unwrap_or(CELLULAR_VOLTAGE_V))
        }
    };
    if let Some(e) = e {
        for (name, &ma) in &e.states {
            p.set_current_ma(State::by_name(name).expect("validated state"), ma);
        }
        p.op_mj[Op::Sign as usize] = e.sign_mj;
        p.op_mj[Op::Pow as usize] = e.pow_mj;
        p.op_mj[Op::Receipt as usize] = e.receipt_mj;
    }
    p
}

fn battery(b: &scenario::Battery, p: &Profile) -> energy::Battery {
    match (b.capacity_mah, b.capacity_wh) {
        (Some(mah), _) => energy::Battery::from_mah(
            mah,
            b.voltage_v.unwrap_or(p.voltage_v),
            b.self_discharge_per_year,
        ),
        (None, Some(wh)) => energy::Battery::from_wh(wh, b.self_discharge_per_year),
        (None, None) => unreachable!("validated battery"),
    }
}

impl Energy {
    pub fn build(s: &Scenario, plan: &AirPlan) -> Energy {
        let mut e = Energy::default();
        for (g, &i) in plan.groups.iter().zip(&plan.group_index) {
            let group = &s.devices[i];
            let radio = group.radio.as_ref().expect("radio group");
            let Radio::Lorawan(l) = radio else {
                unreachable!("the air plan holds LoRaWAN groups only")
            };
            let region = Region::by_name(&l.region).expect("validated region");
            let rx2 = region.data_rates[region.rx2_dr as usize];
            let windows =
                std::array::from_fn(|k| ClassA::new(&g.phy(7 + k as u8), rx2.sf, rx2.bandwidth_hz));
            let p = profile(radio, group.energy.as_ref());
            e.batteries
                .push(group.battery.as_ref().map(|b| battery(b, &p)));
            let k = e.meter.add_group(p, g.first, g.count);
            let cycles = windows.map(|w| e.meter.fixed(k, &class_a_cycle(&w, 0, Downlink::None)));
            e.windows.push(windows);
            e.cycles.push(cycles);
            e.readings.push(0);
            e.names.push(group.name.clone());
        }
        e
    }

    /// Charges a transmission of radio group `gi`: one class A cycle around frame `f`,
    /// with what its receive windows heard, and the signing (and proof of work) of the
    /// `readings` new readings it carries — 0 for a retransmission, whose readings were
    /// signed when first sent. A frame whose readings waited for a privacy delay costs one
    /// wake-up more (Casals et al.'s wake-up state): the device slept between taking them and
    /// sending.
    pub fn on_frame(&mut self, gi: usize, f: &FrameOut, readings: u64, downlink: Downlink) {
        if f.delayed {
            self.meter.add(gi, f.device, &[(State::Wake, WAKE)]);
        }
        let k = (f.sf - 7) as usize;
        let toa = f.end - f.start;
        if downlink == Downlink::None {
            // The common case: the cycle's fixed part was worked out once.
            self.meter
                .add_fixed(gi, f.device, self.cycles[gi][k], State::Tx, toa);
        } else {
            let cycle = class_a_cycle(&self.windows[gi][k], toa, downlink);
            self.meter.add(gi, f.device, &cycle);
        }
        self.meter.op(gi, f.device, Op::Sign, readings);
        self.meter.op(gi, f.device, Op::Pow, readings);
        self.readings[gi] += readings;
    }

    /// Charges device `d` for checking the `n` receipts it received (`receipt_mj` each); a
    /// device outside every radio group is not metered.
    pub fn on_receipts(&mut self, d: u32, n: u64) {
        let k = self
            .meter
            .groups
            .iter()
            .position(|g| (g.first..g.first + g.devices()).contains(&d));
        if let Some(k) = k {
            self.meter.op(k, d, Op::Receipt, n);
        }
    }

    /// Projected battery life of each device of group `k`, in device order; empty without
    /// a battery.
    fn years(&self, k: usize, horizon: Time) -> Vec<f64> {
        let g = &self.meter.groups[k];
        let secs = to_secs(horizon);
        match &self.batteries[k] {
            Some(b) => (0..g.devices() as usize)
                .into_par_iter()
                .map(|i| lifetime_years(b, g.device_j(i, horizon), secs))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Adds the scenario's cellular groups, whose devices are charged at the end of the run
    /// from the time their sessions spent in each state.
    pub fn add_cellular(&mut self, s: &Scenario) {
        let mut first = 0u32;
        for group in &s.devices {
            let count = group.count as u32;
            if let Some(radio @ (Radio::Nbiot(_) | Radio::Ltem(_))) = &group.radio {
                let p = profile(radio, group.energy.as_ref());
                self.batteries
                    .push(group.battery.as_ref().map(|b| battery(b, &p)));
                let k = self.meter.add_group(p, first, count);
                self.cells.push((first, count, k));
                self.readings.push(0);
                self.names.push(group.name.clone());
            }
            first += count;
        }
    }

    /// Charges cellular device `d` for its whole run: every state but PSM (the baseline)
    /// from `st`, and the signing of each reading it sent. Devices of other groups are
    /// skipped.
    pub fn on_cell_device(&mut self, d: u32, st: &CellStates) {
        let i = self.cells.partition_point(|c| c.0 + c.1 <= d);
        let Some(&(first, _, k)) = self.cells.get(i).filter(|c| c.0 <= d) else {
            return;
        };
        debug_assert!(first <= d);
        let schedule = [
            (State::Waiting, st.waiting),
            (State::Connecting, st.connecting),
            (State::Tx, st.sending),
            (State::Rx, st.receiving),
            (State::Connected, st.connected),
            (State::LightSleep, st.idle),
        ];
        self.meter.add(k, d, &schedule);
        let readings = st.readings as u64;
        self.meter.op(k, d, Op::Sign, readings);
        self.meter.op(k, d, Op::Pow, readings);
        self.readings[k] += readings;
    }

    /// The run's energy outputs over `horizon`; `settled` is the run's settled readings,
    /// attributed to a group only when it is the scenario's only device group.
    pub fn output(&self, s: &Scenario, horizon: Time, settled: u64) -> EnergyOutput {
        let mut out = EnergyOutput::default();
        if self.meter.groups.is_empty() {
            return out;
        }
        let secs = to_secs(horizon);
        let days = secs / 86_400.0;
        let single = s.devices.len() == 1;
        let (mut all_j, mut all_readings, mut all_devices) = (0.0, 0u64, 0u64);
        let mut lives = Vec::new();
        let mut all_swaps = 0.0;
        for (k, g) in self.meter.groups.iter().enumerate() {
            let name = &self.names[k];
            let states = g.state_totals(horizon);
            let total: f64 = states.iter().map(|r| r.2).sum();
            for &(state, time_s, energy_j) in &states {
                out.states.push(EnergyStateRow {
                    group: name.clone(),
                    state: state.to_string(),
                    time_s,
                    energy_j,
                    share: energy_j / total,
                });
            }
            let readings = self.readings[k];
            let years = self.years(k, horizon);
            all_swaps += swaps_per_year(&years);
            let life = Lifetimes::of(years);
            if self.batteries[k].is_some() {
                lives.push(life.clone());
            }
            out.rows.push(EnergyRow {
                group: name.clone(),
                devices: g.devices() as u64,
                readings,
                energy_j: total,
                energy_per_device_day_j: total / g.devices() as f64 / days,
                energy_per_reading_mj: total / readings as f64 * 1e3,
                energy_per_settled_reading_mj: if single {
                    total / settled as f64 * 1e3
                } else {
                    f64::NAN
                },
                battery_capacity_j: self.batteries[k].map_or(f64::NAN, |b| b.capacity_j),
                battery_life_mean_years: life.mean,
                battery_life_p5_years: life.p5,
                battery_life_p50_years: life.p50,
                battery_life_p95_years: life.p95,
            });
            if !life.cdf.is_empty() {
                out.battery_cdf.push((name.clone(), life.cdf));
            }
            all_j += total;
            all_readings += readings;
            all_devices += g.devices() as u64;
        }
        let mut summary: Vec<(String, Value)> = vec![
            (
                "energy_per_reading_mj".into(),
                (all_j / all_readings as f64 * 1e3).into(),
            ),
            (
                "energy_per_device_day_j".into(),
                (all_j / all_devices as f64 / days).into(),
            ),
        ];
        if single {
            summary.push((
                "energy_per_settled_reading_mj".into(),
                (all_j / settled as f64 * 1e3).into(),
            ));
        }
        // Over every battery-powered device; with one such group, that group's figures
        // (computed again only when groups must be pooled, to keep one copy in memory).
        let pooled = match lives.len() {
            0 => None,
            1 => lives.pop(),
            _ => Some(Lifetimes::of(
                (0..self.meter.groups.len())
                    .flat_map(|k| self.years(k, horizon))
                    .collect(),
            )),
        };
        if pooled.is_some() {
            summary.push(("battery_swaps_per_year".into(), all_swaps.into()));
        }
        if let Some(life) = pooled {
            summary.extend([
                ("battery_life_mean_years".into(), life.mean.into()),
                ("battery_life_p5_years".into(), life.p5.into()),
                ("battery_life_p50_years".into(), life.p50.into()),
                ("battery_life_p95_years".into(), life.p95.into()),
            ]);
        }
        out.summary = summary;
        out
    }
}

/// Battery swaps a year of a group's devices, each 1/life, summed in ascending order so the
/// total does not depend on how devices were sharded.
fn swaps_per_year(years: &[f64]) -> f64 {
    let mut rates: Vec<f64> = years.iter().map(|y| 1.0 / y).collect();
    rates.sort_by(f64::total_cmp);
    rates.iter().sum()
}
