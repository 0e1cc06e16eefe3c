//! Checks of the typed workloads (`pay_per_use`, `sla`, `provenance`, `registration`).

use super::{Checker, MAX_RATE_PER_S, MAX_TX_BYTES, NonNeg, Num, Pos, Upper};
use crate::scenario::{Connectivity, DeviceGroup, Workload};

/// Stages of one provenance item at most: far beyond any supply chain's tracking events, low
/// enough that an item's state stays a few bytes.
pub(super) const MAX_STAGES: u32 = 10_000;

fn model(w: &Workload) -> Option<&'static str> {
    match w {
        Workload::Periodic { .. } | Workload::Poisson { .. } => None,
        Workload::PayPerUse { .. } => Some("pay_per_use"),
        Workload::Sla { .. } => Some("sla"),
        Workload::Provenance { .. } => Some("provenance"),
        Workload::Registration { .. } => Some("registration"),
    }
}

fn model_of(g: &DeviceGroup) -> Option<&'static str> {
    model(&g.workload)
}

impl Checker<'_> {
    /// Checks group `g` at `p`, `before` being the groups listed ahead of it.
    pub(super) fn typed_workload(&mut self, p: &str, g: &DeviceGroup, before: &[DeviceGroup]) {
        let Some(model) = model(&g.workload) else {
            return;
        };
        // One group per typed model: its figures are the summary's, under fixed names.
        if let Some(j) = before.iter().position(|b| model_of(b) == Some(model)) {
            self.report(
                &format!("{p}.workload.model"),
                model,
                format!("must differ from devices[{j}]'s: one group per typed workload"),
            );
        }
        // Typed workloads hand their transactions to the ledger themselves, through the
        // group's `uplink`; they do not model radio access or devices going offline.
        if g.radio.is_some() {
            self.report(
                &format!("{p}.radio"),
                "a radio",
                format!("must be absent with the `{model}` workload (it sends through `uplink`)"),
            );
        }
        if g.connectivity != Connectivity::AlwaysOn {
            self.report(
                &format!("{p}.connectivity"),
                "not always_on",
                format!("must be always_on with the `{model}` workload"),
            );
        }
        if g.count == 0 {
            self.report(
                &format!("{p}.count"),
                0,
                format!("must be >= 1: the `{model}` workload needs parties"),
            );
        }
        let w = format!("{p}.workload");
        let rate = |c: &mut Self, name: &str, v: f64| {
            let max = Upper(MAX_RATE_PER_S, "one per nanosecond");
            c.range(&format!("{w}.{name}"), v, Pos, Some(max));
        };
        match g.workload {
            Workload::PayPerUse {
                providers,
                uses_per_s,
                payments_per_channel,
                channel_max_s,
                payment_bytes,
                deposit,
                dispute_share,
                dispute_timeout_s,
                ..
            } => {
                let path = format!("{w}.providers");
                if providers == 0 {
                    self.report(&path, 0, "must be >= 1: a channel needs a provider");
                } else if providers >= g.count && g.count > 0 {
                    let allowed = format!(
                        "must be < count ({}): the group's other devices are the consumers",
                        g.count
                    );
                    self.report(&path, providers, allowed);
                }
                rate(self, "uses_per_s", uses_per_s);
                if payments_per_channel == 0 {
                    self.report(
                        &format!("{w}.payments_per_channel"),
                        0,
                        "must be >= 1: a channel closing after no payment closes before it is used",
                    );
                }
                if let Some(t) = channel_max_s {
                    let path = format!("{w}.channel_max_s");
                    if self.finite(&path, t) && t <= 0.0 {
                        self.report(
                            &path,
                            Num(t),
                            "must be > 0: a channel cannot close before it opens",
                        );
                    } else {
                        self.time(&path, t, Pos);
                    }
                }
                self.bytes(&format!("{w}.payment_bytes"), payment_bytes);
                self.range(&format!("{w}.deposit"), deposit, Pos, None);
                if let Some(share) = dispute_share {
                    let path = format!("{w}.dispute_share");
                    self.range(&path, share, NonNeg, Some(Upper(1.0, "")));
                }
                match (dispute_share, dispute_timeout_s) {
                    (_, Some(t)) => {
                        self.time(&format!("{w}.dispute_timeout_s"), t, NonNeg);
                    }
                    (Some(share), None) if share > 0.0 => self.report(
                        &format!("{w}.dispute_timeout_s"),
                        "absent",
                        "must be given with dispute_share > 0: the challenge period of a disputed close",
                    ),
                    _ => {}
                }
            }
            Workload::Sla {
                report_interval_s,
                reports_per_window,
                violation_probability,
            } => {
                self.time(&format!("{w}.report_interval_s"), report_interval_s, Pos);
                if reports_per_window == 0 {
                    self.report(
                        &format!("{w}.reports_per_window"),
                        0,
                        "must be >= 1: a window is judged on its reports",
                    );
                }
                let path = format!("{w}.violation_probability");
                self.range(&path, violation_probability, NonNeg, Some(Upper(1.0, "")));
            }
            Workload::Provenance {
                items_per_s,
                stages,
                stage_delay_s,
                hash_bytes,
                ..
            } => {
                rate(self, "items_per_s", items_per_s);
                if !(1..=MAX_STAGES).contains(&stages) {
                    self.report(
                        &format!("{w}.stages"),
                        stages,
                        format!("must be >= 1 and <= {MAX_STAGES}"),
                    );
                }
                self.time(&format!("{w}.stage_delay_s"), stage_delay_s, NonNeg);
                self.bytes(&format!("{w}.hash_bytes"), hash_bytes);
            }
            Workload::Registration {
                start_s,
                spread_s,
                interval_s,
            } => {
                self.time(&format!("{w}.start_s"), start_s, NonNeg);
                self.time(&format!("{w}.spread_s"), spread_s, NonNeg);
                self.time(&format!("{w}.interval_s"), interval_s, Pos);
            }
            Workload::Periodic { .. } | Workload::Poisson { .. } => {}
        }
    }

    fn bytes(&mut self, path: &str, v: u32) {
        if !(1..=MAX_TX_BYTES).contains(&v) {
            self.report(path, v, format!("must be >= 1 and <= {MAX_TX_BYTES}"));
        }
    }
}
