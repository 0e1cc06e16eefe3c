//! Charts of a merged sweep: a metric against one axis with its 95 % confidence band, one line
//! per value of a second axis; and a heat map of a metric over two axes. Axes not on a chart
//! are held at their first value (the chart's title says so), never averaged over.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::merge::{AxisValues, Combined};
use super::spec::ChartSpec;

pub(crate) const SIZE: (u32, u32) = (960, 600);
pub(crate) const FONT: &str = "sans-serif";
pub(crate) const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];
/// Metrics charted when the sweep file names none.
pub const DEFAULT_METRICS: [&str; 3] = ["settlement_p50_s", "settled_tx_per_s", "stale_rate"];

/// `(x, mean, ci95_low, ci95_high)`.
type Band = (f64, f64, f64, f64);
type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

#[derive(Clone, Debug)]
pub enum Chart {
    Line {
        metric: String,
        x: String,
        by: Option<String>,
    },
    Heat {
        metric: String,
        x: String,
        y: String,
    },
}

impl Chart {
    pub fn file_stem(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        };
        match self {
            Chart::Line { metric, x, by } => match by {
                Some(b) => format!("{metric}_vs_{}_by_{}", clean(x), clean(b)),
                None => format!("{metric}_vs_{}", clean(x)),
            },
            Chart::Heat { metric, x, y } => format!("heat_{metric}_{}_{}", clean(x), clean(y)),
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
                })
            })
            .collect()
    } else {
        c.plan.charts.clone()
    };
    let mut charts = Vec::new();
    for s in specs {
        charts.push(Chart::Line {
            metric: s.metric.clone(),
            x: s.x.clone(),
            by: s.by.clone(),
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
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
            draw(&chart, c, &root)
                .and_then(|()| root.present())
                .map_err(|e| format!("chart {}: {e}", out.join(&svg).display()))?;
        }
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

fn held(c: &Combined, keep: &[usize]) -> String {
    let rest: Vec<String> = c
        .plan
        .dims
        .iter()
        .enumerate()
        .filter(|(d, _)| !keep.contains(d))
        .map(|(_, paths)| {
            let a = axis(c, &paths[0]);
            format!("{}={}", paths[0], a.label(0))
        })
        .collect();
    if rest.is_empty() {
        String::new()
    } else {
        format!(" ({})", rest.join(", "))
    }
}

/// x position of a point: the axis value when numeric, else the step index.
fn x_of(a: &AxisValues, coord: usize, p: u32) -> f64 {
    match a {
        AxisValues::Num(v) => v[p as usize],
        AxisValues::Text(_) => coord as f64,
    }
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    c: &Combined,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    match chart {
        Chart::Line { metric, x, by } => line(c, metric, x, by.as_deref(), root),
        Chart::Heat { metric, x, y } => heat(c, metric, x, y, root),
    }
}

fn line<DB: DrawingBackend>(
    c: &Combined,
    metric: &str,
    x: &str,
    by: Option<&str>,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let dx = c.plan.dim_of(x).expect("x is an axis");
    let dby = by.and_then(|b| c.plan.dim_of(b));
    let keep: Vec<usize> = [Some(dx), dby].into_iter().flatten().collect();
    let xa = axis(c, x);
    // series key: step along `by` (0 when there is none)
    let mut series: Vec<(String, Vec<Band>)> = Vec::new();
    for p in slice(c, &keep) {
        let coords = c.plan.coords(p);
        let key = dby.map_or(0, |d| coords[d]);
        let label = match by {
            Some(b) => format!("{b} = {}", axis(c, b).label(p as usize)),
            None => metric.to_string(),
        };
        let Some((mean, lo, hi)) = c.get(p, metric) else {
            continue;
        };
        while series.len() <= key {
            series.push((String::new(), Vec::new()));
        }
        series[key].0 = label;
        series[key].1.push((x_of(xa, coords[dx], p), mean, lo, hi));
    }
    for s in &mut series {
        s.1.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let all = || series.iter().flat_map(|s| s.1.iter());
    let finite = |v: f64| v.is_finite();
    let xs: Vec<f64> = all().map(|p| p.0).filter(|&v| finite(v)).collect();
    let ys: Vec<f64> = all()
        .flat_map(|p| [p.1, p.2, p.3])
        .filter(|&v| finite(v))
        .collect();
    let (x0, x1) = range(&xs);
    let (y0, y1) = range(&ys);
    let pad = (y1 - y0) * 0.05;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{metric} vs {x}, 95 % CI{}", held(c, &keep)),
            (FONT, 20),
        )
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))?;
    let labels: Option<Vec<String>> = match xa {
        AxisValues::Text(_) => Some(
            (0..c.plan.dim_sizes[dx] as usize)
                .map(|k| {
                    let p = slice(c, &[dx])
                        .into_iter()
                        .find(|&p| c.plan.coords(p)[dx] == k)
                        .unwrap_or(0);
                    xa.label(p as usize)
                })
                .collect(),
        ),
        AxisValues::Num(_) => None,
    };
    let fmt = |v: &f64| match &labels {
        Some(l) if (v.round() - v).abs() < 1e-9 && *v >= 0.0 => {
            l.get(*v as usize).cloned().unwrap_or_default()
        }
        Some(_) => String::new(),
        None => format!("{v}"),
    };
    chart
        .configure_mesh()
        .x_desc(x)
        .y_desc(metric)
        .x_label_formatter(&fmt)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, (label, pts)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let band: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| finite(p.2) && finite(p.3))
            .map(|p| (p.0, p.3))
            .chain(
                pts.iter()
                    .rev()
                    .filter(|p| finite(p.2) && finite(p.3))
                    .map(|p| (p.0, p.2)),
            )
            .collect();
        if band.len() >= 4 {
            chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.2).filled())))?;
        }
        let mean: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| finite(p.1))
            .map(|p| (p.0, p.1))
            .collect();
        chart
            .draw_series(LineSeries::new(mean.clone(), color.stroke_width(2)))?
            .label(label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
        chart.draw_series(mean.into_iter().map(|p| Circle::new(p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
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

/// From dark blue through green to yellow (a viridis-like ramp).
fn ramp(t: f64) -> RGBColor {
    let stops = [
        (68.0, 1.0, 84.0),
        (33.0, 145.0, 140.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * 2.0;
    let i = (t.floor() as usize).min(1);
    let f = t - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let m = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

fn heat<DB: DrawingBackend>(
    c: &Combined,
    metric: &str,
    x: &str,
    y: &str,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let (dx, dy) = (
        c.plan.dim_of(x).expect("x is an axis"),
        c.plan.dim_of(y).expect("y is an axis"),
    );
    let (nx, ny) = (c.plan.dim_sizes[dx] as usize, c.plan.dim_sizes[dy] as usize);
    let pts = slice(c, &[dx, dy]);
    let cells: Vec<(usize, usize, f64, u32)> = pts
        .iter()
        .map(|&p| {
            let k = c.plan.coords(p);
            (k[dx], k[dy], c.get(p, metric).map_or(f64::NAN, |m| m.0), p)
        })
        .collect();
    let vals: Vec<f64> = cells
        .iter()
        .map(|c| c.2)
        .filter(|v| v.is_finite())
        .collect();
    let (lo, hi) = range(&vals);
    let label_at = |d: usize, name: &str, k: usize| {
        pts.iter()
            .find(|&&p| c.plan.coords(p)[d] == k)
            .map(|&p| axis(c, name).label(p as usize))
            .unwrap_or_default()
    };
    let mut chart = ChartBuilder::on(root)
        .caption(format!("{metric} (mean){}", held(c, &[dx, dy])), (FONT, 20))
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(100)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)?;
    let fx = |v: &f64| {
        let k = v - 0.5;
        if (k.round() - k).abs() < 1e-9 && k >= 0.0 {
            label_at(dx, x, k as usize)
        } else {
            String::new()
        }
    };
    let fy = |v: &f64| {
        let k = v - 0.5;
        if (k.round() - k).abs() < 1e-9 && k >= 0.0 {
            label_at(dy, y, k as usize)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x)
        .y_desc(y)
        .x_labels(nx * 2 + 1)
        .y_labels(ny * 2 + 1)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()?;
    for &(cx, cy, v, _) in &cells {
        let color = if v.is_finite() {
            ramp((v - lo) / (hi - lo))
        } else {
            RGBColor(200, 200, 200)
        };
        let (x0, y0) = (cx as f64, cy as f64);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, y0), (x0 + 1.0, y0 + 1.0)],
            color.filled(),
        )))?;
        let text = if v.is_finite() {
            format!("{v:.4}")
        } else {
            "no data".into()
        };
        let ink = if v.is_finite() && (v - lo) / (hi - lo) > 0.6 {
            BLACK
        } else {
            WHITE
        };
        let style = TextStyle::from((FONT, 16).into_font()).color(&ink).pos(
            plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ),
        );
        chart.draw_series(std::iter::once(Text::new(
            text,
            (x0 + 0.5, y0 + 0.5),
            style,
        )))?;
    }
    Ok(())
}
