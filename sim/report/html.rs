//! One self-contained HTML file for a run folder or a merged sweep folder: key tables, the
//! charts inlined as SVG, the scenario, seed and version. No script, no external resource,
//! so the file can be mailed or archived as it is.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::svg::sanitise;
use crate::compare::table::{self, Columns};
use crate::manifest::Verified;

const STYLE: &str = "body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2em auto;\
max-width:1000px;color:#222;padding:0 1em}h1{border-bottom:2px solid #1f77b4}\
table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;\
padding:3px 8px;text-align:right}th{background:#eef3f8}td:first-child,th:first-child{text-align:left}\
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:13px}\
figure{margin:1em 0}svg{max-width:100%;height:auto;border:1px solid #ddd}\
.meta td{text-align:left}.warning{color:#a00;font-weight:bold}.ok{color:#262}\
#answer{background:#f3f7fb;border:1px solid #cbd9e6;padding:0.5em 1.2em;margin:1em 0}\
.lead{font-size:17px}.answer th{text-align:left;background:none}";

/// Writes the report of `dir` to `out` (default `dir/report.html`) and returns its path. Every
/// file read is checked against the folder's manifest first.
/// Writes the report of `dir`. The default `DIR/report.html` is this command's own output
/// and is replaced; a file the user names with `out` is the user's, so an existing one is
/// replaced only with `force`, and never when it is not a plain file (a device or a pipe
/// would be renamed over, not written to).
pub fn write(dir: &Path, out: Option<&Path>, force: bool) -> Result<PathBuf, String> {
    if let Some(out) = out {
        crate::atomic::refuse_file("--out", out, force)?;
    }
    let kind = |f: &str| dir.join(f).is_file();
    if !(kind("summary.parquet")
        || kind("combined.parquet")
        || kind("plan.yaml")
        || kind("plan.parquet"))
    {
        return Err(format!(
            "{}: neither a run folder (summary.parquet) nor a merged sweep (combined.parquet)",
            dir.display()
        ));
    }
    let folder = Verified::open(dir)?;
    let html = if folder.lists("summary.parquet") {
        run_page(&folder)?
    } else if folder.lists("combined.parquet") {
        sweep_page(&folder)?
    } else if folder.lists("plan.parquet") && folder.lists("plan.md") {
        plan_page(&folder)?
    } else if folder.lists("plan.yaml") {
        return Err(format!(
            "{}: a sweep that is not merged yet: run `unchained sweep merge {}` first",
            dir.display(),
            dir.display()
        ));
    } else {
        return Err(format!(
            "{}: neither a run folder (summary.parquet) nor a merged sweep (combined.parquet)",
            dir.display()
        ));
    };
    let path = out.map_or_else(|| dir.join("report.html"), Path::to_path_buf);
    crate::atomic::write_file(&path, html.as_bytes())?;
    Ok(path)
}

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn num(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 1e6 || v.abs() < 1e-3 {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

fn cell(v: AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::Float64(f) => num(f),
        AnyValue::Float32(f) => num(f as f64),
        AnyValue::String(s) => esc(s),
        AnyValue::StringOwned(s) => esc(s.as_str()),
        other => esc(&other.to_string()),
    }
}

/// An HTML table of a whole DataFrame.
fn table(df: &DataFrame) -> String {
    let mut s = String::from("<table><tr>");
    for c in df.columns() {
        let _ = write!(s, "<th>{}</th>", esc(c.name()));
    }
    s.push_str("</tr>\n");
    for i in 0..df.height() {
        s.push_str("<tr>");
        for c in df.columns() {
            let _ = write!(s, "<td>{}</td>", c.get(i).map(cell).unwrap_or_default());
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

/// Charts larger than this are refused: plotters writes tens of kilobytes.
const MAX_SVG_BYTES: usize = 16 << 20;

/// A chart of the folder (`name` as listed in its manifest), inlined after sanitising.
fn figure(s: &mut String, folder: &Verified, name: &str) -> Result<(), String> {
    let path = folder.dir().join(name);
    let text = folder.read_text(name)?;
    if text.len() > MAX_SVG_BYTES {
        return Err(format!(
            "{}: larger than {} MiB",
            path.display(),
            MAX_SVG_BYTES >> 20
        ));
    }
    let svg =
        sanitise(&text).map_err(|e| format!("{}: not a plain SVG chart: {e}", path.display()))?;
    let stem = Path::new(name)
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy();
    let _ = writeln!(
        s,
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        esc(&stem)
    );
    Ok(())
}

/// A table shown whole: any columns, each of a plain type.
fn whole(folder: &Verified, name: &str) -> Result<DataFrame, String> {
    table::read(folder, name, &[], Columns::All)
}

/// `# unchained VERSION` and `# seed: N` from a resolved scenario's header.
fn header(yaml: &str, key: &str) -> Option<String> {
    yaml.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n{body}</body></html>\n",
        esc(title)
    )
}

fn meta(rows: &[(&str, String)]) -> String {
    let mut s = String::from("<table class=\"meta\">");
    for (k, v) in rows {
        let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    s.push_str("</table>\n");
    s
}

/// A metric's value in a run's `summary` table.
fn summary_value(summary: &DataFrame, name: &str) -> Option<f64> {
    let metric = summary.column("metric").ok()?.str().ok()?;
    let value = summary.column("value").ok()?.f64().ok()?;
    let i = metric.iter().position(|m| m == Some(name))?;
    value.get(i)
}

fn run_page(folder: &Verified) -> Result<String, String> {
    let dir = folder.dir();
    let yaml = folder.read_text("scenario.yaml")?;
    let name = yaml
        .lines()
        .find_map(|l| l.strip_prefix("name: "))
        .unwrap_or("run")
        .trim()
        .to_string();
    let summary = whole(folder, "summary.parquet")?;
    let get = |m: &str| summary_value(&summary, m);
    let names = table::texts(&summary, "metric", &dir.join("summary.parquet"))?;
    let mut b = format!("<h1>Run report: {}</h1>\n", esc(&name));
    // The answer first: the page is forwarded, and most readers stop at its top.
    b.push_str(&super::answer::block(&yaml, &get, &names));
    b.push_str("<h2>Charts</h2>\n");
    // Every chart a run can write, in the order it writes them; each only where it was.
    for chart in super::charts::Chart::ALL {
        let name = format!("{}.svg", chart.name());
        if folder.lists(&name) {
            figure(&mut b, folder, &name)?;
        }
    }
    b.push_str("<h2>About this run</h2>\n");
    b.push_str(&meta(&[
        ("scenario", name.clone()),
        ("seed", header(&yaml, "# seed:").unwrap_or_default()),
        (
            "simulator version",
            header(&yaml, "# unchained").unwrap_or_default(),
        ),
        (
            "report written by",
            format!("unchained {}", env!("CARGO_PKG_VERSION")),
        ),
        ("folder", dir.display().to_string()),
    ]));
    b.push_str("<h2>Summary</h2>\n");
    b.push_str(&grouped(&names, &get));
    b.push_str("<h2>Latency</h2>\n");
    b.push_str(&table(&whole(folder, "latency.parquet")?));
    if folder.lists("energy.parquet") {
        b.push_str("<h2>Energy and battery life</h2>\n");
        b.push_str(&table(&whole(folder, "energy.parquet")?));
    }
    b.push_str("<h2>Scenario</h2>\n");
    let _ = writeln!(b, "<pre>{}</pre>", esc(&yaml));
    Ok(page(&format!("Run report: {name}"), &b))
}

/// The summary as one table per group, each metric with its unit from the registry.
fn grouped(names: &[String], get: &dyn Fn(&str) -> Option<f64>) -> String {
    use super::answer::Group;
    let mut s = String::new();
    for g in Group::ALL {
        let rows: Vec<&String> = names.iter().filter(|m| Group::of(m) == g).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "<h3>{}</h3>", esc(g.title()));
        s.push_str("<table><tr><th>metric</th><th>value</th><th>unit</th></tr>\n");
        for m in rows {
            let unit = crate::metrics::registry::entry(m).map_or("", |e| e.unit);
            let value = get(m).map_or_else(String::new, num);
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(m),
                esc(&value),
                esc(unit)
            );
        }
        s.push_str("</table>\n");
    }
    s
}

/// Metrics shown in the sweep's results table, when present.
const KEY_METRICS: [&str; 5] = [
    "settlement_p50_s",
    "settlement_p90_s",
    "inclusion_mean_s",
    "settled_tx_per_s",
    "stale_rate",
];

fn sweep_page(folder: &Verified) -> Result<String, String> {
    let dir = folder.dir();
    let plan = crate::sweep::plan_of(folder)?;
    let combined = crate::sweep::combine(dir)?;
    let points = whole(folder, "points.parquet")?;
    let first = Verified::open(&crate::sweep::run_dir(dir, 0, 0))?.read_text("scenario.yaml")?;
    let mut b = format!("<h1>Sweep report: {}</h1>\n", esc(&plan.name));
    b.push_str(&meta(&[
        ("sweep", plan.name.clone()),
        (
            "runs",
            format!(
                "{} points × {} seeds = {}",
                plan.points, plan.seeds, plan.runs
            ),
        ),
        ("axes", plan.axes.join(", ")),
        (
            "seeds",
            "each run's seed derives from (base seed, sweep, point, seed index); \
             point 0's first is below"
                .into(),
        ),
        (
            "simulator version",
            header(&first, "# unchained").unwrap_or_default(),
        ),
        (
            "report written by",
            format!("unchained {}", env!("CARGO_PKG_VERSION")),
        ),
        ("folder", dir.display().to_string()),
    ]));
    b.push_str("<h2>Points</h2>\n");
    b.push_str(&table(&points));
    b.push_str("<h2>Results (mean and 95 % confidence interval over seeds)</h2>\n");
    let shown: Vec<&str> = KEY_METRICS
        .iter()
        .copied()
        .filter(|m| combined.has_metric(m))
        .collect();
    b.push_str("<table><tr><th>point</th>");
    for m in &shown {
        let _ = write!(b, "<th>{}</th>", esc(m));
    }
    b.push_str("</tr>\n");
    // Named by their steps' labels (as in the Points table and the charts), not by index.
    for p in 0..plan.points {
        let _ = write!(b, "<tr><td>{}</td>", esc(&plan.point_label(p)));
        for m in &shown {
            let v = combined
                .get(p, m)
                .map(|(mean, lo, hi)| match mean {
                    f64::INFINITY => "> run end".to_string(),
                    // One seed (or no spread to speak of): no interval.
                    _ if !(lo.is_finite() && hi.is_finite()) => num(mean),
                    _ => format!("{} [{}, {}]", num(mean), num(lo), num(hi)),
                })
                .unwrap_or_default();
            let _ = write!(b, "<td>{}</td>", esc(&v));
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n<p>The full table, every metric: <code>combined.csv</code>.</p>\n");
    b.push_str("<h2>Charts</h2>\n");
    let mut charts: Vec<&str> = folder
        .names()
        .filter(|n| n.starts_with("charts/") && n.ends_with(".svg"))
        .collect();
    // Metric-vs-axis charts with their bands before the heat maps.
    charts.sort_by_key(|n| (n.starts_with("charts/heat_"), *n));
    for c in charts {
        figure(&mut b, folder, c)?;
    }
    b.push_str("<h2>Scenario</h2>\n<p>Point 0, seed index 0 (resolved):</p>\n");
    let _ = writeln!(b, "<pre>{}</pre>", esc(&first));
    Ok(page(&format!("Sweep report: {}", plan.name), &b))
}

/// A plan folder: the answer first (`plan.md`), then the frontier charts and every
/// configuration evaluated.
fn plan_page(folder: &Verified) -> Result<String, String> {
    let md = folder.read_text("plan.md")?;
    let title = md
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# "))
        .unwrap_or("Plan")
        .to_string();
    let mut b = markdown(&md);
    b.push_str(&meta(&[
        (
            "report written by",
            format!("unchained {}", env!("CARGO_PKG_VERSION")),
        ),
        ("folder", folder.dir().display().to_string()),
    ]));
    b.push_str("<h2>Frontier</h2>\n");
    let mut charts: Vec<&str> = folder
        .names()
        .filter(|n| n.starts_with("frontier_r") && n.ends_with(".svg"))
        .collect();
    charts.sort();
    for c in charts {
        figure(&mut b, folder, c)?;
    }
    b.push_str("<h2>Configurations evaluated</h2>\n");
    b.push_str(&table(&whole(folder, "plan.parquet")?));
    Ok(page(&title, &b))
}

/// The few Markdown forms `plan.md` uses: `#` headings, `-` items, `**bold**`, paragraphs.
fn markdown(md: &str) -> String {
    let bold = |line: &str| {
        let mut out = String::new();
        for (i, part) in esc(line).split("**").enumerate() {
            match i % 2 {
                1 => {
                    let _ = write!(out, "<strong>{part}</strong>");
                }
                _ => out.push_str(part),
            }
        }
        out
    };
    let mut html = String::new();
    let mut list = false;
    for line in md.lines() {
        let item = line.strip_prefix("- ");
        if list && item.is_none() {
            html.push_str("</ul>\n");
            list = false;
        }
        if let Some(h) = line.strip_prefix("# ") {
            let _ = writeln!(html, "<h1>{}</h1>", bold(h));
        } else if let Some(item) = item {
            if !list {
                html.push_str("<ul>\n");
                list = true;
            }
            let _ = writeln!(html, "<li>{}</li>", bold(item));
        } else if !line.trim().is_empty() {
            let _ = writeln!(html, "<p>{}</p>", bold(line));
        }
    }
    if list {
        html.push_str("</ul>\n");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_reads_headers() {
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        let yaml = "# unchained 0.1.0\n# seed: 42\nname: x\n";
        assert_eq!(header(yaml, "# unchained").as_deref(), Some("0.1.0"));
        assert_eq!(header(yaml, "# seed:").as_deref(), Some("42"));
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.25), "0.2500");
    }

    #[test]
    fn plan_markdown_becomes_escaped_html() {
        let html = markdown("# Plan x\n\nBest: **a<b**.\n\n- one\n- two\n\nEnd.\n");
        assert_eq!(
            html,
            "<h1>Plan x</h1>\n<p>Best: <strong>a&lt;b</strong>.</p>\n<ul>\n<li>one</li>\n\
             <li>two</li>\n</ul>\n<p>End.</p>\n"
        );
    }
}
