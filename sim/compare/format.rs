//! A comparison as text (a fixed-width table), Markdown (for a pull request comment), JSON
//! (for scripts) and JUnit XML (for CI systems). All four print the same verdict words.

use std::fmt::Write;

use super::{Comparison, Interval, Row};

/// How `compare` prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Markdown,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Format::Text),
            "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            _ => Err(format!("--format {s}: text, markdown or json")),
        }
    }
}

pub(super) fn render(c: &Comparison, format: Format) -> String {
    match format {
        Format::Text => text(c),
        Format::Markdown => markdown(c),
        Format::Json => json(c),
    }
}

/// The sentence a refused comparison ends with.
fn refusal(c: &Comparison) -> String {
    format!(
        "the scenarios differ in {} input{}; their metrics are not compared (pass \
         --allow-changed-inputs to compare them anyway)",
        c.inputs.len(),
        if c.inputs.len() == 1 { "" } else { "s" }
    )
}

fn tally(c: &Comparison) -> String {
    let failed = c.failures().count();
    let noise = c
        .rows
        .iter()
        .filter(|r| r.verdict == super::Verdict::Noise)
        .count();
    let mut s = format!(
        "{} metrics compared, {failed} beyond tolerance",
        c.rows.len()
    );
    if c.kind == "sweep" {
        let _ = write!(s, ", {noise} within the seeds' 95 % intervals");
    }
    s
}

fn unit(r: &Row) -> &'static str {
    r.entry().map_or("?", |e| e.unit)
}

fn text(c: &Comparison) -> String {
    let mut s = String::new();
    if !c.inputs.is_empty() {
        let w = c.inputs.iter().map(|i| i.input.len()).max().unwrap_or(0);
        let _ = writeln!(s, "scenarios differ:");
        for i in &c.inputs {
            let _ = writeln!(s, "  {:<w$}  {} -> {}", i.input, i.baseline, i.candidate);
        }
    }
    if c.refused() {
        let _ = writeln!(s, "{}", refusal(c));
        return s;
    }
    let width = c
        .rows
        .iter()
        .map(|r| r.metric.len())
        .chain([6])
        .max()
        .unwrap_or(6);
    let sweep = c.kind == "sweep";
    let _ = write!(
        s,
        "{:<width$}  {:<10}  {:>14}  {:>14}  {:>10}  ",
        "metric", "unit", "baseline", "candidate", "change"
    );
    if sweep {
        let _ = write!(s, "{:>23}  {:>23}  ", "baseline ci95", "candidate ci95");
    }
    let _ = writeln!(s, "verdict");
    for r in &c.rows {
        let _ = write!(
            s,
            "{:<width$}  {:<10}  {:>14}  {:>14}  {:>10}  ",
            r.metric,
            unit(r),
            num(r.baseline),
            num(r.candidate),
            change(r.baseline, r.candidate),
        );
        if sweep {
            let _ = write!(
                s,
                "{:>23}  {:>23}  ",
                interval(r.baseline_ci),
                interval(r.candidate_ci)
            );
        }
        let _ = writeln!(s, "{}", r.verdict.label());
    }
    let _ = writeln!(s, "{}", tally(c));
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn markdown(c: &Comparison) -> String {
    let mut s = String::new();
    let outcome = if c.regressed() { "FAIL" } else { "pass" };
    let _ = writeln!(s, "## unchained compare ({}): {outcome}\n", c.kind);
    if !c.inputs.is_empty() {
        let _ = writeln!(
            s,
            "### Scenarios differ\n\n| input | baseline | candidate |\n|---|---|---|"
        );
        for i in &c.inputs {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} |",
                md_cell(&i.input),
                md_cell(&i.baseline),
                md_cell(&i.candidate)
            );
        }
        let _ = writeln!(s);
    }
    if c.refused() {
        let _ = writeln!(s, "{}", refusal(c));
        return s;
    }
    let sweep = c.kind == "sweep";
    let _ = write!(s, "| metric | unit | baseline | candidate | change |");
    if sweep {
        let _ = write!(s, " baseline ci95 | candidate ci95 |");
    }
    let _ = writeln!(
        s,
        " verdict |\n|---|---|--:|--:|--:|{}---|",
        if sweep { "--:|--:|" } else { "" }
    );
    for r in &c.rows {
        let verdict = if r.verdict.fails() {
            format!("**{}**", r.verdict.label())
        } else {
            r.verdict.label().to_string()
        };
        let _ = write!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            md_cell(&r.metric),
            unit(r),
            num(r.baseline),
            num(r.candidate),
            change(r.baseline, r.candidate)
        );
        if sweep {
            let _ = write!(
                s,
                " {} | {} |",
                interval(r.baseline_ci),
                interval(r.candidate_ci)
            );
        }
        let _ = writeln!(s, " {verdict} |");
    }
    let _ = writeln!(s, "\n{}", tally(c));
    s
}

/// A number where JSON has one; NaN (no samples) and infinity (beyond the run) are null,
/// their `_text` twin says which.
fn json_num(v: Option<f64>) -> serde_json::Value {
    v.filter(|v| v.is_finite())
        .map_or(serde_json::Value::Null, serde_json::Value::from)
}

fn json_interval(ci: Option<Interval>) -> serde_json::Value {
    ci.map_or(serde_json::Value::Null, |(lo, hi)| {
        serde_json::json!([lo, hi])
    })
}

fn json(c: &Comparison) -> String {
    use serde_json::json;
    let inputs: Vec<_> = c
        .inputs
        .iter()
        .map(|i| json!({"input": i.input, "baseline": i.baseline, "candidate": i.candidate}))
        .collect();
    let metrics: Vec<_> = c
        .rows
        .iter()
        .map(|r| {
            let e = r.entry();
            let mut m = json!({
                "metric": r.metric,
                "unit": e.map(|e| e.unit),
                "kind": e.map(|e| e.kind.name()),
                "better": e.map(|e| e.better.name()),
                "baseline": json_num(r.baseline),
                "candidate": json_num(r.candidate),
                "baseline_text": num(r.baseline),
                "candidate_text": num(r.candidate),
                "change": change(r.baseline, r.candidate),
                "verdict": r.verdict.label(),
                "fails": r.verdict.fails(),
            });
            if c.kind == "sweep" {
                m["baseline_ci95"] = json_interval(r.baseline_ci);
                m["candidate_ci95"] = json_interval(r.candidate_ci);
            }
            m
        })
        .collect();
    let doc = json!({
        "kind": c.kind,
        "passed": !c.regressed(),
        "inputs_differ": inputs,
        "inputs_allowed": c.inputs_allowed,
        "compared": !c.refused(),
        "message": if c.refused() { refusal(c) } else { tally(c) },
        "failures": c.failures().count(),
        "metrics": metrics,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON of plain values");
    s.push('\n');
    s
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn junit(c: &Comparison) -> String {
    let mut cases = String::new();
    let mut failures = 0;
    let inputs_failed = c.refused();
    failures += usize::from(inputs_failed);
    let _ = write!(
        cases,
        "    <testcase classname=\"inputs\" name=\"scenarios\">"
    );
    if !c.inputs.is_empty() {
        let list: Vec<String> = c
            .inputs
            .iter()
            .map(|i| format!("{}: {} -> {}", i.input, i.baseline, i.candidate))
            .collect();
        let body = xml(&list.join("\n"));
        if inputs_failed {
            let _ = write!(
                cases,
                "<failure message=\"{}\">{body}</failure>",
                xml(&refusal(c))
            );
        } else {
            let _ = write!(cases, "<system-out>{body}</system-out>");
        }
    }
    let _ = writeln!(cases, "</testcase>");
    for r in &c.rows {
        let detail = format!(
            "baseline {} candidate {} change {} ({})",
            num(r.baseline),
            num(r.candidate),
            change(r.baseline, r.candidate),
            unit(r)
        );
        let _ = write!(
            cases,
            "    <testcase classname=\"metrics\" name=\"{}\">",
            xml(&r.metric)
        );
        if r.verdict == super::Verdict::Ignored {
            let _ = write!(cases, "<skipped/>");
        } else if r.verdict.fails() {
            failures += 1;
            let _ = write!(
                cases,
                "<failure message=\"{}\">{}</failure>",
                r.verdict.label(),
                xml(&detail)
            );
        } else {
            let _ = write!(
                cases,
                "<system-out>{}: {}</system-out>",
                r.verdict.label(),
                xml(&detail)
            );
        }
        let _ = writeln!(cases, "</testcase>");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite \
         name=\"unchained compare ({})\" tests=\"{}\" failures=\"{failures}\">\n{cases}  \
         </testsuite>\n</testsuites>\n",
        c.kind,
        c.rows.len() + 1
    )
}

pub(super) fn num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v.is_nan() => "NaN".into(),
        Some(f64::INFINITY) => "> run end".into(),
        Some(v) if v != 0.0 && (v.abs() >= 1e7 || v.abs() < 1e-3) => format!("{v:.4e}"),
        Some(v) => format!("{:.6}", v)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
    }
}

fn interval(ci: Option<Interval>) -> String {
    ci.map_or("-".into(), |(lo, hi)| {
        format!("{}..{}", num(Some(lo)), num(Some(hi)))
    })
}

fn change(b: Option<f64>, c: Option<f64>) -> String {
    match (b, c) {
        (Some(b), Some(c)) if b.is_finite() && c.is_finite() => {
            if b == c {
                "0".into()
            } else if b != 0.0 {
                format!("{:+.2}%", (c - b) / b.abs() * 100.0)
            } else {
                format!("{:+.4}", c - b)
            }
        }
        _ => "-".into(),
    }
}
