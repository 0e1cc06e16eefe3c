//! Checks of the device groups: sizes, connectivity, workloads, uplinks and gateways.

use std::collections::HashMap;

use super::{
    Checker, MAX_GATEWAYS, MAX_GROUP_DEVICES, MAX_RATE_PER_S, MAX_TIME_S, MAX_TOTAL_DEVICES,
    MAX_TX_BYTES, NonNeg, Num, Pos, Quoted, Upper, WEIBULL_SHAPE,
};
use crate::scenario::{Connectivity, DeviceGroup, Duration, Gateways, Uplink, Workload};

impl Checker<'_> {
    pub(super) fn devices(&mut self, groups: &[DeviceGroup]) {
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut total: u64 = 0;
        let mut groups_ok = true;
        for (i, group) in groups.iter().enumerate() {
            let p = format!("devices[{i}]");
            if group.name.trim().is_empty() {
                self.report(
                    &format!("{p}.name"),
                    Quoted(&group.name),
                    "must not be empty",
                );
            } else if let Some(&first) = names.get(group.name.as_str()) {
                let hint = if group.name == "devices" {
                    " (a group without a name is called \"devices\")"
                } else {
                    ""
                };
                self.report(
                    &format!("{p}.name"),
                    Quoted(&group.name),
                    format!("must be unique: devices[{first}] has the same name{hint}"),
                );
            } else {
                names.insert(&group.name, i);
            }
            if group.count > MAX_GROUP_DEVICES {
                groups_ok = false;
                self.report(
                    &format!("{p}.count"),
                    group.count,
                    format!("must be <= {MAX_GROUP_DEVICES} per group"),
                );
            }
            total = total.saturating_add(group.count);
            if !(1..=MAX_TX_BYTES).contains(&group.tx_bytes) {
                self.report(
                    &format!("{p}.tx_bytes"),
                    group.tx_bytes,
                    format!("must be >= 1 and <= {MAX_TX_BYTES}"),
                );
            }
            if group.buffer_tx < 1 {
                self.report(
                    &format!("{p}.buffer_tx"),
                    group.buffer_tx,
                    "must be >= 1 (a device holds at least the reading it is sending)",
                );
            }
            self.connectivity(&p, &group.connectivity);
            self.workload(&p, &group.workload);
            self.typed_workload(&p, group, &groups[..i]);
            self.hot_key_share(&p, group);
            self.uplink(&p, &group.uplink);
            self.radio(&p, group);
            self.energy(&p, group);
        }
        // A single oversized group already has its own error; the total would repeat it.
        if groups_ok && total > MAX_TOTAL_DEVICES {
            self.report(
                "devices",
                format!("{total} devices in total"),
                format!("the groups' counts must sum to <= {MAX_TOTAL_DEVICES} (ids are 32-bit)"),
            );
        }
    }

    pub(super) fn connectivity(&mut self, group: &str, connectivity: &Connectivity) {
        let p = format!("{group}.connectivity");
        match *connectivity {
            Connectivity::AlwaysOn | Connectivity::Never => {}
            Connectivity::DutyCycle {
                period_s,
                on_s,
                phase_jitter_s,
            } => {
                let period_ok = self.time(&format!("{p}.period_s"), period_s, Pos);
                let within_period = if period_ok {
                    Upper(period_s, "period_s")
                } else {
                    Upper(MAX_TIME_S, "10 years")
                };
                self.time_below(&format!("{p}.on_s"), on_s, Pos, within_period);
                if let Some(jitter) = phase_jitter_s {
                    self.time_below(
                        &format!("{p}.phase_jitter_s"),
                        jitter,
                        NonNeg,
                        within_period,
                    );
                }
            }
            Connectivity::OnOff { ref on, ref off } => {
                self.duration(&format!("{p}.on"), on);
                self.duration(&format!("{p}.off"), off);
            }
        }
    }

    pub(super) fn duration(&mut self, p: &str, duration: &Duration) {
        match *duration {
            Duration::Exponential { mean_s } => {
                self.time(&format!("{p}.mean_s"), mean_s, Pos);
            }
            Duration::Weibull { shape, mean_s } => {
                let path = format!("{p}.shape");
                if self.finite(&path, shape)
                    && !(WEIBULL_SHAPE.0..=WEIBULL_SHAPE.1).contains(&shape)
                {
                    let (lo, hi) = WEIBULL_SHAPE;
                    self.report(&path, Num(shape), format!("must be >= {lo} and <= {hi}"));
                }
                self.time(&format!("{p}.mean_s"), mean_s, Pos);
            }
            Duration::Constant { value_s } => {
                self.time(&format!("{p}.value_s"), value_s, Pos);
            }
        }
    }

    pub(super) fn workload(&mut self, group: &str, workload: &Workload) {
        let p = format!("{group}.workload");
        match *workload {
            Workload::Periodic {
                interval_s,
                jitter_s,
            } => {
                let interval_ok = self.time(&format!("{p}.interval_s"), interval_s, Pos);
                let path = format!("{p}.jitter_s");
                if !interval_ok {
                    self.time(&path, jitter_s, NonNeg);
                    return;
                }
                // Two readings displaced towards each other by less than half an interval
                // each cannot swap, so every device's readings keep their order.
                let half = interval_s / 2.0;
                if self.finite(&path, jitter_s) && !(0.0..half).contains(&jitter_s) {
                    self.report(
                        &path,
                        Num(jitter_s),
                        format!(
                            "must be >= 0 and < interval_s / 2 ({}) so each device's readings \
                             stay in order",
                            Num(half)
                        ),
                    );
                }
            }
            Workload::Poisson { rate_per_s } => {
                let max = Upper(MAX_RATE_PER_S, "one per nanosecond");
                self.range(&format!("{p}.rate_per_s"), rate_per_s, Pos, Some(max));
            }
            // Checked with the group (`validate/workload.rs`).
            _ => {}
        }
    }

    pub(super) fn uplink(&mut self, group: &str, uplink: &Uplink) {
        self.time_ms(&format!("{group}.uplink.latency_ms"), uplink.latency_ms);
        self.bandwidth(
            &format!("{group}.uplink.bandwidth_bps"),
            uplink.bandwidth_bps,
        );
    }

    pub(super) fn gateways(&mut self, gateways: &Gateways, groups: &[DeviceGroup]) {
        if gateways.count == 0 {
            if let Some((i, group)) = groups.iter().enumerate().find(|(_, g)| g.count > 0) {
                self.report(
                    "gateways.count",
                    0,
                    format!(
                        "must be >= 1 when there are devices (devices[{i}] \"{}\" has {})",
                        group.name, group.count
                    ),
                );
            }
        } else if gateways.count > MAX_GATEWAYS {
            self.report(
                "gateways.count",
                gateways.count,
                format!("must be <= {MAX_GATEWAYS}"),
            );
        }
        self.bandwidth("gateways.backhaul_bps", gateways.backhaul_bps);
        self.time_ms("gateways.batch_interval_ms", gateways.batch_interval_ms);
    }
}
