//! Checks of a group's `energy` and `battery` sections.

use super::{Checker, Lower::*, Quoted, Upper};
use crate::energy::State;
use crate::scenario::{DeviceGroup, Radio};

/// Supplies of battery-powered devices stay well inside 0.5–48 V.
pub(super) const VOLTAGE_V: f64 = 48.0;
/// No IoT radio state draws an ampere for long; larger values are unit mistakes (A for mA).
pub(super) const MAX_CURRENT_MA: f64 = 10_000.0;
/// A kilojoule per operation is far beyond any signature or proof of work a device does.
pub(super) const MAX_OP_MJ: f64 = 1e6;
/// Larger than any battery a field device carries (1 kWh).
pub(super) const MAX_CAPACITY_WH: f64 = 1_000.0;

impl Checker<'_> {
    pub(super) fn energy(&mut self, p: &str, group: &DeviceGroup) {
        if (group.energy.is_some() || group.battery.is_some()) && group.radio.is_none() {
            let (field, value) = if group.energy.is_some() {
                ("energy", "a section")
            } else {
                ("battery", "a section")
            };
            self.report(
                &format!("{p}.{field}"),
                value,
                "needs the group's radio: energy is computed from its radio's schedule",
            );
        }
        if let Some(e) = &group.energy {
            let p = format!("{p}.energy");
            if let Some(v) = e.voltage_v {
                self.range(
                    &format!("{p}.voltage_v"),
                    v,
                    Pos,
                    Some(Upper(VOLTAGE_V, "")),
                );
            }
            let known = |s: State| match &group.radio {
                Some(Radio::Lorawan(_)) => crate::energy::Profile::lorawan(1.0).has(s),
                // No cellular state table yet: nothing to override.
                Some(Radio::Nbiot(_) | Radio::Ltem(_)) => {
                    crate::energy::Profile::cellular(1.0).has(s)
                }
                None => true,
            };
            for (name, &ma) in &e.states {
                let path = format!("{p}.states.{name}");
                match State::by_name(name).filter(|&s| known(s)) {
                    Some(_) => {
                        self.range(&path, ma, NonNeg, Some(Upper(MAX_CURRENT_MA, "")));
                    }
                    None => {
                        let names: Vec<&str> = State::ALL
                            .into_iter()
                            .filter(|&s| known(s))
                            .map(State::name)
                            .collect();
                        self.report(
                            &path,
                            Quoted(name),
                            format!("must be a state of the radio: {}", names.join(", ")),
                        );
                    }
                }
            }
            for (field, v) in [
                ("sign_mj", e.sign_mj),
                ("pow_mj", e.pow_mj),
                ("receipt_mj", e.receipt_mj),
            ] {
                self.range(
                    &format!("{p}.{field}"),
                    v,
                    NonNeg,
                    Some(Upper(MAX_OP_MJ, "")),
                );
            }
        }
        if let Some(b) = &group.battery {
            let p = format!("{p}.battery");
            match (b.capacity_mah, b.capacity_wh) {
                (Some(mah), None) => {
                    self.range(&format!("{p}.capacity_mah"), mah, Pos, None);
                    if let Some(v) = b.voltage_v {
                        self.range(
                            &format!("{p}.voltage_v"),
                            v,
                            Pos,
                            Some(Upper(VOLTAGE_V, "")),
                        );
                    }
                }
                (None, Some(wh)) => {
                    self.range(
                        &format!("{p}.capacity_wh"),
                        wh,
                        Pos,
                        Some(Upper(MAX_CAPACITY_WH, "")),
                    );
                    if b.voltage_v.is_some() {
                        self.report(
                            &format!("{p}.voltage_v"),
                            "a value",
                            "only goes with capacity_mah (capacity_wh already holds the energy)",
                        );
                    }
                }
                (Some(_), Some(_)) => self.report(
                    &format!("{p}.capacity_wh"),
                    "a value beside capacity_mah",
                    "give one of capacity_mah or capacity_wh",
                ),
                (None, None) => self.report(
                    &p,
                    "no capacity",
                    "needs capacity_mah (with voltage_v) or capacity_wh",
                ),
            }
            let sd = format!("{p}.self_discharge_per_year");
            if self.range(&sd, b.self_discharge_per_year, NonNeg, None)
                && b.self_discharge_per_year >= 1.0
            {
                self.report(
                    &sd,
                    super::Num(b.self_discharge_per_year),
                    "must be >= 0 and < 1 (a fraction of the capacity per year)",
                );
            }
        }
    }
}
