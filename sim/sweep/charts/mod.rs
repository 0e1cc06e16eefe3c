//! Charts of a merged sweep: a metric against one axis (points with 95 % error bars over a
//! categorical axis, a line with its band over a numeric one), one series per value of a
//! second axis; a heat map of a metric over two axes; and the settlement-latency CDFs of the
//! first axis's steps, overlaid. Axes not on a chart are held at
//! their first value (the chart's title says so), never averaged over.

mod axes;
mod cdf;
mod heat;
mod metric;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::merge::{AxisValues, Combined};
use super::spec::ChartSpec;
pub use axes::Scale;
pub(crate) use axes::short;

pub(crate) const SIZE: (u32, u32) = (960, 600);
pub(crate) const FONT: &str = "sans-serif";
/// Matplotlib's `tab10` order, so ten families in one chart keep ten distinct colours.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
/// Metrics charted when the sweep file names none: what scenarios/sweeps/README.md promises per family
/// (median and tail settlement, throughput, messages and bytes per settled transaction, and
/// Nakamoto's stale rate). A metric no point has is skipped.
pub const DEFAULT_METRICS: [&str; 6] = [
    "settlement_p50_s",
    "settlement_p99_s",
    "settled_tx_per_s",
    "net_messages_per_settled_tx",
    "net_bytes_per_settled_tx",
    "stale_rate",
];

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

#[derive(Clone, Debug)]
pub enum Chart {
    Line {
        metric: String,
        x: String,
        by: Option<String>,
        x_scale: Scale,
        y_scale: Scale,
    },
    Heat {
        metric: String,
        x: String,
        y: String,
    },
    /// The settlement-latency CDF of each step of `x`, overlaid.
    Cdf { x: String },
}

impl Chart {
    pub fn file_stem(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        };
        match self {
            Chart::Line { metric, x, by, .. } => match by {
                Some(b) => format!("{metric}_vs_{}_by_{}", clean(x), clean(b)),
                None => format!("{metric}_vs_{}", clean(x)),
            },
            Chart::Heat { metric, x, y } => format!("heat_{metric}_{}_{}", clean(x), clean(y)),
            Chart::Cdf { x } => format!("settlement_cdf_by_{}", clean(x)),
        }
    }
}

/// The charts of a sweep: the file's `charts` (plus a heat map for each that has `by`), or the
/// default metrics against the first axis, by the second, and their heat maps.
pub fn plan(c: &Combined) -> Vec<Chart> {
    let specs: Vec<ChartSpec> = if c.plan.charts.is_empty() {
        let x = c.plan.dims.first().map(|d| d[0].clone());
        let by = c.plan.dims.get(1).map(|d| d[0].clone());
        DEFAULT_METRICS
            .iter()
            .filter(|m| c.has_metric(m))
            .filter_map(|m| {
                Some(ChartSpec {
                    metric: m.to_string(),
                    x: x.clone()?,
                    by: by.clone(),
                    x_scale: Scale::Auto,
                    y_scale: Scale::Auto,
                })
            })
            .collect()
    } else {
        c.plan.charts.clone()
    };
    let mut charts = Vec::new();
    if let Some(x) = c.plan.dims.first().map(|d| d[0].clone())
        && cdf::applies(c, &x)
    {
        charts.push(Chart::Cdf { x });
    }
    for s in specs {
        charts.push(Chart::Line {
            metric: s.metric.clone(),
            x: s.x.clone(),
            by: s.by.clone(),
            x_scale: s.x_scale,
            y_scale: s.y_scale,
        });
        if let Some(by) = s.by
            && c.plan.dim_of(&by) != c.plan.dim_of(&s.x)
        {
            charts.push(Chart::Heat {
                metric: s.metric,
                x: s.x,
                y: by,
            });
        }
    }
    charts
}

/// Writes each chart as `charts/NAME.svg` and `.png` under `dir`. The folder is written
/// beside its place and swapped in whole, so an interrupted merge leaves the previous charts
/// or the new ones, never a half-drawn picture.
pub fn write_all(dir: &Path, c: &Combined) -> Result<Vec<PathBuf>, String> {
    crate::report::charts::register_font()?;
    let out = dir.join("charts");
    let staged = crate::atomic::Staged::begin(&out, true)?;
    let mut written = Vec::new();
    for chart in plan(c) {
        let [svg, png] = ["svg", "png"].map(|ext| format!("{}.{ext}", chart.file_stem()));
        let text =
            svg_text(&chart, c).map_err(|e| format!("chart {}: {e}", out.join(&svg).display()))?;
        let path = staged.path().join(&svg);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let path = staged.path().join(&png);
        {
            let root = BitMapBackend::new(&path, SIZE).into_drawing_area();
            draw(&chart, c, &root)
                .and_then(|()| root.present())
                .map_err(|e| format!("chart {}: {e}", out.join(&png).display()))?;
        }
        written.extend([out.join(svg), out.join(png)]);
    }
    staged.commit()?;
    Ok(written)
}

/// The chart as SVG text.
fn svg_text(chart: &Chart, c: &Combined) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw(chart, c, &root)
            .and_then(|()| root.present())
            .map_err(|e| e.to_string())?;
    }
    Ok(text)
}

fn axis<'a>(c: &'a Combined, name: &str) -> &'a AxisValues {
    &c.axes
        .iter()
        .find(|(n, _)| n == name)
        .expect("planned axes exist")
        .1
}

/// Points whose dimensions other than `keep` are at their first step.
fn slice(c: &Combined, keep: &[usize]) -> Vec<u32> {
    (0..c.plan.points)
        .filter(|&p| {
            c.plan
                .coords(p)
                .iter()
                .enumerate()
                .all(|(d, &k)| keep.contains(&d) || k == 0)
        })
        .collect()
}

/// The short name of step `k` of the dimension of axis `name`: the plan's label, or in a plan
/// without labels the axis value at the first point on that step.
fn step_name(c: &Combined, name: &str, k: usize) -> String {
    let d = c.plan.dim_of(name).expect("planned axes exist");
    if let Some(l) = c.plan.step_label(d, k) {
        return l.to_string();
    }
    (0..c.plan.points)
        .find(|&p| c.plan.coords(p)[d] == k)
        .map(|p| axis(c, name).label(p as usize))
        .unwrap_or_default()
}

fn held(c: &Combined, keep: &[usize]) -> String {
    let rest: Vec<String> = c
        .plan
        .dims
        .iter()
        .enumerate()
        .filter(|(d, _)| !keep.contains(d))
        .map(|(_, paths)| format!("{}={}", paths[0], step_name(c, &paths[0], 0)))
        .collect();
    if rest.is_empty() {
        String::new()
    } else {
        format!(" ({})", rest.join(", "))
    }
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    c: &Combined,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    match chart {
        Chart::Line {
            metric,
            x,
            by,
            x_scale,
            y_scale,
        } => metric::draw(c, metric, x, by.as_deref(), (*x_scale, *y_scale), root),
        Chart::Heat { metric, x, y } => heat::draw(c, metric, x, y, root),
        Chart::Cdf { x } => cdf::draw(c, x, root),
    }
}

pub(crate) fn range(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi - lo < 1e-12 {
        (
            lo - 0.5_f64.max(lo.abs() * 0.1),
            hi + 0.5_f64.max(hi.abs() * 0.1),
        )
    } else {
        (lo, hi)
    }
}
