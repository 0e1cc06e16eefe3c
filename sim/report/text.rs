//! Plain-text outputs: the resolved scenario and a summary meant for a terminal or a diff.

use std::fmt::Write;

use crate::metrics::{RunOutput, Value};

/// The header makes the file self-describing when it is copied out of the run folder, and
/// parses back as the same YAML because comments are ignored.
pub(super) fn scenario_yaml(out: &RunOutput) -> String {
    let mut s = format!("# unchained {}\n# seed: {}\n", out.version, out.seed);
    s.push_str(&out.scenario_yaml);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

pub(super) fn summary_txt(out: &RunOutput) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail, so the results are ignored throughout.
    let _ = writeln!(s, "unchained {}", out.version);
    let _ = writeln!(s, "scenario: {}", out.scenario_name);
    let _ = writeln!(s, "seed: {}", out.seed);
    for w in out.warnings() {
        let _ = writeln!(s, "{w}");
    }
    s.push('\n');
    let width = out.summary.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (name, value) in &out.summary {
        let text = match value {
            Value::Int(v) => v.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Float(v) => number(*v),
        };
        let _ = writeln!(s, "{name:<width$}  {text}");
    }
    if !out.summary.is_empty() {
        s.push('\n');
    }
    let c = &out.conservation;
    let _ = writeln!(
        s,
        "conservation: created = settled + pending(on_device + in_transit + in_mempool + \
         in_block) + dropped({})",
        c.dropped
            .iter()
            .map(|(r, _)| r.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    );
    let verdict = if c.holds() {
        "holds".to_string()
    } else {
        format!("VIOLATED: {} accounted for", c.accounted())
    };
    let _ = writeln!(
        s,
        "              {} = {} + pending({} + {} + {} + {}) + dropped({})  [{verdict}]",
        c.created,
        c.settled,
        c.pending_on_device,
        c.pending_in_transit,
        c.pending_in_mempool,
        c.pending_in_block,
        c.dropped
            .iter()
            .map(|(_, n)| n.to_string())
            .collect::<Vec<_>>()
            .join(" + "),
    );
    s
}

/// Counts print as integers, everything else with four decimals or in scientific notation
/// when that would hide all significant digits.
pub(super) fn number(v: f64) -> String {
    if v == f64::INFINITY {
        "> run end".into()
    } else if !v.is_finite() {
        format!("{v}")
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 1e-3 {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}
