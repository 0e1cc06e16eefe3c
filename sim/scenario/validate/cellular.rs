//! Checks of cellular radios (NB-IoT, LTE-M), cells, and settlement receipts.

use super::{Checker, Lower::*, Num, Upper};
use crate::radio::cellular::{
    GPRS_TIMER2_UNITS_S, GPRS_TIMER3_UNITS_S, PTW_STEPS, Rat, encodable, one_of_ms,
};
use crate::scenario::{CellularRadio, DeviceGroup, GatewayKind, Gateways, Radio, Receipts};

/// A receipt of a megabyte is no longer a receipt.
pub(super) const MAX_RECEIPT_BYTES: u32 = 1_000_000;
/// One downlink per second all day.
pub(super) const MAX_QUOTA_PER_DAY: u32 = 86_400;
/// Above 10 s a connection setup has failed and been retried, which the model does not do.
pub(super) const MAX_SETUP_MS: f64 = 60_000.0;
/// The RRC inactivity timer: well beyond any eNodeB setting at an hour.
pub(super) const MAX_INACTIVITY_S: f64 = 3_600.0;

/// The values as a list of seconds, `[20.48, 40.96, …]`.
fn seconds(ms: &[u64]) -> String {
    let v: Vec<String> = ms
        .iter()
        .map(|&m| Num(m as f64 / 1e3).to_string())
        .collect();
    format!("[{}]", v.join(", "))
}

impl Checker<'_> {
    pub(super) fn cellular(&mut self, p: &str, rat: Rat, c: &CellularRadio) {
        let model = rat.name();
        if let Some(psm) = &c.psm {
            let t3324 = format!("{p}.psm.t3324_s");
            let t3412 = format!("{p}.psm.t3412_s");
            let a = self.timer(
                &t3324,
                psm.t3324_s,
                encodable(psm.t3324_s, &GPRS_TIMER2_UNITS_S),
                "GPRS Timer 2, TS 24.008 10.5.7.4: n x 2 s, n x 1 min or n x 6 min, n <= 31",
            );
            let b = self.timer(
                &t3412,
                psm.t3412_s,
                encodable(psm.t3412_s, &GPRS_TIMER2_UNITS_S)
                    || encodable(psm.t3412_s, &GPRS_TIMER3_UNITS_S),
                "GPRS Timer 3, TS 24.008 10.5.7.4a: n x 2 s, 30 s, 1 min, 10 min, 1 h, 10 h or \
                 320 h, n <= 31",
            );
            if a && b && psm.t3412_s <= 0.0 {
                self.report(&t3412, Num(psm.t3412_s), "must be > 0");
            } else if a && b && psm.t3324_s > psm.t3412_s {
                self.report(
                    &t3324,
                    Num(psm.t3324_s),
                    format!("must be <= psm.t3412_s ({})", Num(psm.t3412_s)),
                );
            }
        }
        if let Some(e) = &c.edrx {
            let cycles = rat.edrx_cycles_ms();
            if !one_of_ms(e.cycle_s, cycles) {
                self.report(
                    &format!("{p}.edrx.cycle_s"),
                    Num(e.cycle_s),
                    format!(
                        "must be one of the {model} eDRX cycles {} (TS 24.008 Table 10.5.5.32)",
                        seconds(cycles)
                    ),
                );
            }
            if let Some(ptw) = e.ptw_s {
                let step = rat.ptw_step_ms();
                let allowed: Vec<u64> = (1..=PTW_STEPS).map(|n| n * step).collect();
                if !one_of_ms(ptw, &allowed) {
                    self.report(
                        &format!("{p}.edrx.ptw_s"),
                        Num(ptw),
                        format!(
                            "must be a {model} paging time window, n x {} s for n = 1..16 \
                             (TS 24.008 Table 10.5.5.32)",
                            Num(step as f64 / 1e3)
                        ),
                    );
                } else if one_of_ms(e.cycle_s, cycles) && ptw > e.cycle_s {
                    self.report(
                        &format!("{p}.edrx.ptw_s"),
                        Num(ptw),
                        format!("must be <= edrx.cycle_s ({})", Num(e.cycle_s)),
                    );
                }
            }
        }
        if let Some(drx) = c.drx_s
            && !one_of_ms(drx, rat.drx_cycles_ms())
        {
            self.report(
                &format!("{p}.drx_s"),
                Num(drx),
                format!(
                    "must be one of the {model} paging cycles {} (TS 36.331 defaultPagingCycle)",
                    seconds(rat.drx_cycles_ms())
                ),
            );
        }
        if let Some(v) = c.inactivity_s {
            self.range(
                &format!("{p}.inactivity_s"),
                v,
                NonNeg,
                Some(Upper(MAX_INACTIVITY_S, "")),
            );
        }
        if let Some(v) = c.setup_ms {
            self.range(
                &format!("{p}.setup_ms"),
                v,
                NonNeg,
                Some(Upper(MAX_SETUP_MS, "")),
            );
        }
        for (name, v) in [
            ("uplink_bps", c.uplink_bps),
            ("downlink_bps", c.downlink_bps),
        ] {
            if let Some(v) = v {
                self.bandwidth(&format!("{p}.{name}"), v);
            }
        }
    }

    /// A timer the network signals in a 5-bit value times a unit; `encodable` says whether
    /// `v` is one.
    fn timer(&mut self, path: &str, v: f64, encodable: bool, allowed: &str) -> bool {
        if !self.range(path, v, NonNeg, None) {
            return false;
        }
        if !encodable {
            self.report(path, Num(v), format!("must be a value of {allowed}"));
            return false;
        }
        true
    }

    pub(super) fn receipts(&mut self, p: &str, r: &Receipts, has_radio: bool) {
        let p = format!("{p}.receipts");
        if !has_radio {
            self.report(
                &p,
                "present",
                "needs a radio (lorawan, nbiot or ltem): receipts travel on its downlink",
            );
        }
        if !(1..=MAX_RECEIPT_BYTES).contains(&r.size_bytes) {
            self.report(
                &format!("{p}.size_bytes"),
                r.size_bytes,
                format!("must be >= 1 and <= {MAX_RECEIPT_BYTES}"),
            );
        }
        if let Some(q) = r.quota_per_day
            && !(1..=MAX_QUOTA_PER_DAY).contains(&q)
        {
            self.report(
                &format!("{p}.quota_per_day"),
                q,
                format!("must be >= 1 and <= {MAX_QUOTA_PER_DAY}"),
            );
        }
    }

    /// Cells serve cellular groups, gateways the others; one kind per scenario.
    pub(super) fn gateway_kind(&mut self, g: &Gateways, groups: &[DeviceGroup]) {
        let cellular =
            |gr: &DeviceGroup| matches!(gr.radio, Some(Radio::Nbiot(_) | Radio::Ltem(_)));
        match g.kind {
            GatewayKind::Cell => {
                if let Some(i) = groups.iter().position(|gr| gr.count > 0 && !cellular(gr)) {
                    self.report(
                        "gateways.kind",
                        "cell",
                        format!(
                            "must be gateway: devices[{i}] \"{}\" has no nbiot or ltem radio, and \
                             a scenario's gateways are all of one kind",
                            groups[i].name
                        ),
                    );
                }
                if let Some(k) = g.max_connections
                    && k == 0
                {
                    self.report("gateways.max_connections", k, "must be >= 1");
                }
                if let Some(v) = g.uplink_bps {
                    self.bandwidth("gateways.uplink_bps", v);
                }
            }
            GatewayKind::Gateway => {
                if let Some(i) = groups.iter().position(cellular) {
                    self.report(
                        "gateways.kind",
                        "gateway",
                        format!(
                            "must be cell: devices[{i}] \"{}\" has a cellular radio",
                            groups[i].name
                        ),
                    );
                }
                if g.max_connections.is_some() || g.uplink_bps.is_some() {
                    let (f, v) = match g.max_connections {
                        Some(k) => ("gateways.max_connections", k.to_string()),
                        None => (
                            "gateways.uplink_bps",
                            Num(g.uplink_bps.unwrap_or(0.0)).to_string(),
                        ),
                    };
                    self.report(f, v, "needs gateways.kind: cell");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {

    const BASE: &str = "\
duration_s: 600
validators: { count: 4 }
consensus: { protocol: raft }
gateways: { count: 2, kind: cell }
";

    fn errors(extra: &str) -> Vec<String> {
        super::super::messages(&format!("{BASE}{extra}"))
    }

    fn group(radio: &str) -> String {
        format!(
            "devices:\n  - name: t\n    count: 10\n    workload: {{ model: periodic, interval_s: 600 }}\n    radio: {radio}\n"
        )
    }

    #[test]
    fn valid_cellular_groups() {
        let ok = group("{ model: nbiot, psm: { t3324_s: 20, t3412_s: 3600 } }");
        assert_eq!(errors(&ok), Vec::<String>::new());
        let ok = group("{ model: ltem, edrx: { cycle_s: 5.12, ptw_s: 2.56 }, drx_s: 0.32 }");
        assert_eq!(errors(&ok), Vec::<String>::new());
        // The default T3412, 54 min, is a GPRS Timer value (9 decihours), not a Timer 3 one.
        let ok = group("{ model: nbiot, psm: { t3324_s: 60 } }");
        assert_eq!(errors(&ok), Vec::<String>::new());
    }

    #[test]
    fn bad_cellular_values_name_field_value_allowed_and_line() {
        assert_eq!(
            errors(&group(
                "{ model: nbiot, psm: { t3324_s: 7200, t3412_s: 3600 } }"
            )),
            ["devices[0].radio.psm.t3324_s = 7200: must be <= psm.t3412_s (3600) (line 9)"]
        );
        assert_eq!(
            errors(&group(
                "{ model: nbiot, psm: { t3324_s: -2, t3412_s: 3601 } }"
            )),
            [
                "devices[0].radio.psm.t3324_s = -2: must be >= 0 (line 9)",
                "devices[0].radio.psm.t3412_s = 3601: must be a value of GPRS Timer 3, TS 24.008 \
                 10.5.7.4a: n x 2 s, 30 s, 1 min, 10 min, 1 h, 10 h or 320 h, n <= 31 (line 9)"
            ]
        );
        assert_eq!(
            errors(&group("{ model: nbiot, edrx: { cycle_s: 10.24 } }")),
            [
                "devices[0].radio.edrx.cycle_s = 10.24: must be one of the nbiot eDRX cycles \
                 [20.48, 40.96, 81.92, 163.84, 327.68, 655.36, 1310.72, 2621.44, 5242.88, \
                 10485.76] (TS 24.008 Table 10.5.5.32) (line 9)"
            ]
        );
        assert_eq!(
            errors(&group("{ model: ltem, drx_s: 10.24, setup_ms: -1 }")),
            [
                "devices[0].radio.drx_s = 10.24: must be one of the ltem paging cycles [0.32, \
                 0.64, 1.28, 2.56] (TS 36.331 defaultPagingCycle) (line 9)",
                "devices[0].radio.setup_ms = -1: must be >= 0 and <= 60000 (line 9)"
            ]
        );
    }

    #[test]
    fn cells_and_cellular_groups_go_together() {
        let lora = "devices:\n  - name: m\n    count: 10\n    workload: { model: periodic, interval_s: 600 }\n    tx_bytes: 50\n    radio: { model: lorawan }\narea: { shape: disc, size_m: 2000 }\n";
        assert_eq!(
            errors(lora),
            [
                "gateways.kind = cell: must be gateway: devices[0] \"m\" has no nbiot or ltem \
                 radio, and a scenario's gateways are all of one kind (line 4)"
            ]
        );
        let text = format!(
            "duration_s: 600\nvalidators: {{ count: 4 }}\nconsensus: {{ protocol: raft }}\n{}",
            group("{ model: ltem }")
        );
        assert_eq!(
            super::super::messages(&text),
            ["gateways.kind = gateway: must be cell: devices[0] \"t\" has a cellular radio"]
        );
    }

    #[test]
    fn receipts_need_a_radio_and_sane_sizes() {
        let g = format!(
            "{}    receipts: {{ size_bytes: 0, quota_per_day: 0 }}\n",
            group("{ model: nbiot }")
        );
        assert_eq!(
            errors(&g),
            [
                "devices[0].receipts.size_bytes = 0: must be >= 1 and <= 1000000 (line 10)",
                "devices[0].receipts.quota_per_day = 0: must be >= 1 and <= 86400 (line 10)"
            ]
        );
    }
}
