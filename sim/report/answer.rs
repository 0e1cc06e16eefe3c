//! The top of a run's report: what was simulated and how it went, in a few lines a reader
//! can quote (protocol, offered against settled load, the SLA shares, saturation, key
//! figures); and the summary's metrics sorted into groups with their units.

use std::fmt::Write;

use super::html::esc;
use crate::metrics::registry::{self, Kind};

/// Reads one summary metric by name; `None` when absent or null.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<f64>;

/// The family named under `consensus:` in a resolved scenario.
pub fn protocol(yaml: &str) -> Option<String> {
    let mut inside = false;
    for line in yaml.lines() {
        if !line.starts_with(' ') {
            inside = line.trim_end() == "consensus:";
            continue;
        }
        if inside && let Some(p) = line.trim().strip_prefix("protocol:") {
            return Some(p.trim().to_string());
        }
    }
    None
}

fn pct(v: f64) -> String {
    format!("{:.1} %", 100.0 * v)
}

fn fig(v: f64) -> String {
    crate::sweep::short(v)
}

/// A latency statistic as a reader should read it: seconds, or beyond the run, or none.
fn seconds(get: Lookup, name: &str) -> String {
    let beyond = crate::metrics::beyond_run_flag(name)
        .and_then(|f| get(&f))
        .is_some_and(|v| v == 1.0);
    match get(name) {
        _ if beyond => "beyond the run".into(),
        Some(v) => format!("{} s", fig(v)),
        None => "no samples".into(),
    }
}

/// The answer block: a sentence, a table of key figures and any warning.
pub fn block(yaml: &str, get: Lookup, names: &[String]) -> String {
    let family = protocol(yaml).unwrap_or_else(|| "unknown protocol".into());
    let n = |k: &str| get(k).map_or("?".into(), |v| format!("{v:.0}"));
    let mut s = String::from("<section id=\"answer\">\n<h2>Answer</h2>\n<p class=\"lead\">");
    let _ = write!(
        s,
        "<strong>{}</strong>, {} devices, {} validators: <strong>{} tx/s offered, {} tx/s \
         settled</strong> during the measurement window; {} of the window's transactions \
         settled by the end of the run.",
        esc(&family),
        n("devices"),
        n("validators"),
        get("created_tx_per_s").map_or("?".into(), fig),
        get("settled_during_window_tx_per_s").map_or("?".into(), fig),
        get("settled_share").map_or("?".into(), pct),
    );
    s.push_str("</p>\n");
    let warnings = crate::metrics::warnings(get);
    if warnings.is_empty() {
        s.push_str(
            "<p class=\"ok\">Not saturated: pending transactions did not grow through the \
             measurement window.</p>\n",
        );
    }
    for w in &warnings {
        let _ = writeln!(s, "<p class=\"warning\">{}</p>", esc(w));
    }
    let mut rows: Vec<(String, String)> = Vec::new();
    // The SLA shares, in the order the scenario lists them.
    for name in names {
        if let Some(t) = name
            .strip_prefix("settled_within_")
            .and_then(|r| r.strip_suffix("_share"))
            && let Some(v) = get(name)
        {
            rows.push((format!("settled within {t}"), pct(v)));
        }
    }
    for (label, name) in [
        ("settlement, median", "settlement_p50_s"),
        ("settlement, 99th percentile", "settlement_p99_s"),
    ] {
        if names.iter().any(|m| m == name) {
            rows.push((label.into(), seconds(get, name)));
        }
    }
    let figures = [
        ("dropped", "dropped_share"),
        (
            "messages per settled transaction",
            "net_messages_per_settled_tx",
        ),
        ("bytes per settled transaction", "net_bytes_per_settled_tx"),
        ("cost per month", "cost_usd_per_month"),
    ];
    for (label, name) in figures {
        if let Some(v) = get(name) {
            let unit = registry::entry(name).map_or("", |e| e.unit);
            let text = match unit {
                "share" => pct(v),
                _ => format!("{} {unit}", fig(v)),
            };
            rows.push((label.into(), text));
        }
    }
    s.push_str("<table class=\"answer\">");
    for (k, v) in rows {
        let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(&k), esc(&v));
    }
    s.push_str("</table>\n</section>\n");
    s
}

/// Where a summary metric is listed in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Workload,
    Throughput,
    Latency,
    Cost,
    Access,
    Consensus,
    Simulator,
}

impl Group {
    pub const ALL: [Group; 7] = [
        Group::Workload,
        Group::Throughput,
        Group::Latency,
        Group::Cost,
        Group::Access,
        Group::Consensus,
        Group::Simulator,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Group::Workload => "Workload and scenario",
            Group::Throughput => "Throughput and where transactions ended",
            Group::Latency => "Latency and SLA shares",
            Group::Cost => "Cost: network, storage, energy, money",
            Group::Access => "Radio and cellular access, receipts",
            Group::Consensus => "Consensus-specific",
            Group::Simulator => "The simulator's own work",
        }
    }

    /// The group of `metric`, by its registry kind and the family its name belongs to.
    pub fn of(metric: &str) -> Group {
        let kind = registry::entry(metric).map(|e| e.kind);
        let starts = |p: &[&str]| p.iter().any(|x| metric.starts_with(x));
        let pat = |p: &[&str]| p.iter().any(|x| registry::matches(x, metric));
        if kind == Some(Kind::Work) {
            Group::Simulator
        } else if kind == Some(Kind::Input)
            || [
                "tx_created",
                "tx_measured",
                "created_tx_per_s",
                "online_fraction",
            ]
            .contains(&metric)
        {
            Group::Workload
        } else if starts(&["settled_within_"])
            || pat(&["*_p#_s", "*_mean_s", "*_max_s", "*_min_s", "*_beyond_run"])
            || pat(&["*_reached_share"])
        {
            Group::Latency
        } else if starts(&["net_", "storage_", "cost_", "energy_", "battery_"]) {
            Group::Cost
        } else if starts(&["radio_", "cell", "lost_", "receipt"]) {
            Group::Access
        } else if starts(&["tx_", "settled_", "included_", "dropped_", "pending_"])
            || [
                "saturated",
                "drops_high",
                "conservation_holds",
                "reverted_settlements",
            ]
            .contains(&metric)
        {
            Group::Throughput
        } else {
            Group::Consensus
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_is_read_from_the_consensus_section_only() {
        let yaml = "name: x\nprotocol: nope\nconsensus:\n  protocol: pbft\n  batch: 1\n";
        assert_eq!(protocol(yaml).as_deref(), Some("pbft"));
        assert_eq!(protocol("name: x\n"), None);
    }

    #[test]
    fn metrics_fall_in_the_groups_a_reader_looks_in() {
        for (m, g) in [
            ("devices", Group::Workload),
            ("created_tx_per_s", Group::Workload),
            ("settled_tx_per_s", Group::Throughput),
            ("tx_pending_in_mempool", Group::Throughput),
            ("settlement_p50_s", Group::Latency),
            ("settled_within_60s_share", Group::Latency),
            ("settlement_p99_beyond_run", Group::Latency),
            ("net_bytes_per_settled_tx", Group::Cost),
            ("cost_usd_per_month", Group::Cost),
            ("radio_delivery_ratio", Group::Access),
            ("stale_rate", Group::Consensus),
            ("pbft_view_changes", Group::Consensus),
            ("events", Group::Simulator),
        ] {
            assert_eq!(Group::of(m), g, "{m}");
        }
    }
}
