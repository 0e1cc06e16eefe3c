//! A metric against one axis, one series per step of a second. Over a categorical axis
//! (protocol families, named variants) each mean is a point with its 95 % error bar, series
//! side by side, and nothing joins one category to the next: the order of categories means
//! nothing. Over a numeric axis the means are joined by a line inside their band.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{Categories, Marker, Scale, decades, describe, draw_legend, legend_strip};
use super::{DrawResult, FONT, PALETTE, SIZE, axis, held, range, slice, step_name};
use crate::sweep::merge::{AxisValues, Combined};

/// `(x, mean, ci95_low, ci95_high)`; x is the step index on a categorical axis.
type Band = (f64, f64, f64, f64);

const MARGIN: u32 = 16;
const MARGIN_RIGHT: u32 = 40;
const Y_AREA: u32 = 90;
/// Room under the category labels for the axis's description.
const DESC_PX: u32 = 30;

/// Everything `plot` needs besides the two axes' coordinate types.
struct Frame {
    caption: String,
    x_desc: String,
    y_desc: String,
    series: Vec<(String, Vec<Band>)>,
    categories: Option<Categories>,
    /// The value axis's ends: drawn marks are clamped into them.
    y: (f64, f64),
    legend: bool,
}

pub(super) fn draw<DB: DrawingBackend>(
    c: &Combined,
    metric: &str,
    x: &str,
    by: Option<&str>,
    (x_scale, y_scale): (Scale, Scale),
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let dx = c.plan.dim_of(x).expect("x is an axis");
    let dby = by.and_then(|b| c.plan.dim_of(b));
    let keep: Vec<usize> = [Some(dx), dby].into_iter().flatten().collect();
    let categorical = matches!(axis(c, x), AxisValues::Text(_));
    let series = gather(c, metric, x, by, categorical);
    let bands = || series.iter().flat_map(|s| s.1.iter());
    let means: Vec<f64> = bands().map(|b| b.1).filter(|v| v.is_finite()).collect();
    let every: Vec<f64> = bands()
        .flat_map(|b| [b.1, b.2, b.3])
        .filter(|v| v.is_finite())
        .collect();
    let ylog = y_scale.log_for(&means);
    let y = if ylog {
        let positive: Vec<f64> = every.iter().copied().filter(|&v| v > 0.0).collect();
        let (lo, hi) = range(&positive);
        decades(lo, hi)
    } else {
        let (lo, hi) = range(&every);
        let pad = (hi - lo) * 0.05;
        // A metric that is never negative starts at zero, so heights compare honestly (and
        // a metric that is zero everywhere sits at the bottom of [0, 1], not mid-axis).
        let lo_all = every.iter().copied().fold(f64::INFINITY, f64::min);
        let hi_all = every.iter().copied().fold(0.0, f64::max);
        if lo_all >= 0.0 || every.is_empty() {
            (0.0, if hi_all > 0.0 { hi_all * 1.05 } else { 1.0 })
        } else {
            (lo - pad, hi + pad)
        }
    };
    let not_log = if y_scale == Scale::Log && !ylog {
        " (linear: a value is not positive)"
    } else {
        ""
    };
    let seeds = c.plan.seeds;
    let mut f = Frame {
        caption: format!(
            "{metric} by {x}: mean and 95 % CI over {seeds} seeds{}{not_log}",
            held(c, &keep)
        ),
        x_desc: x.to_string(),
        y_desc: describe(metric, ylog),
        legend: by.is_some(),
        series,
        categories: None,
        y,
    };
    let (y0, y1) = f.y;
    if categorical {
        let n = c.plan.dim_sizes[dx] as usize;
        let names: Vec<String> = (0..n).map(|k| step_name(c, x, k)).collect();
        let span = SIZE.0 - MARGIN - MARGIN_RIGHT - Y_AREA;
        f.categories = Some(Categories::layout(root, &names, span));
        let xr = -0.5..n as f64 - 0.5;
        return match ylog {
            true => plot(root, &f, xr, (y0..y1).log_scale()),
            false => plot(root, &f, xr, y0..y1),
        };
    }
    let xs: Vec<f64> = f
        .series
        .iter()
        .flat_map(|s| s.1.iter().map(|b| b.0))
        .collect();
    let xlog = x_scale.log_for(&xs);
    let (x0, x1) = if xlog {
        let (lo, hi) = range(&xs);
        decades(lo, hi)
    } else {
        range(&xs)
    };
    if xlog {
        f.x_desc = format!("{x} (log scale)");
    }
    match (xlog, ylog) {
        (false, false) => plot(root, &f, x0..x1, y0..y1),
        (false, true) => plot(root, &f, x0..x1, (y0..y1).log_scale()),
        (true, false) => plot(root, &f, (x0..x1).log_scale(), y0..y1),
        (true, true) => plot(root, &f, (x0..x1).log_scale(), (y0..y1).log_scale()),
    }
}

/// One series per step of `by` (one in all without it), each mean with its interval.
fn gather(
    c: &Combined,
    metric: &str,
    x: &str,
    by: Option<&str>,
    categorical: bool,
) -> Vec<(String, Vec<Band>)> {
    let dx = c.plan.dim_of(x).expect("x is an axis");
    let dby = by.and_then(|b| c.plan.dim_of(b));
    let keep: Vec<usize> = [Some(dx), dby].into_iter().flatten().collect();
    let mut series: Vec<(String, Vec<Band>)> = Vec::new();
    for p in slice(c, &keep) {
        let coords = c.plan.coords(p);
        let key = dby.map_or(0, |d| coords[d]);
        while series.len() <= key {
            series.push((String::new(), Vec::new()));
        }
        series[key].0 = match by {
            Some(b) => format!("{b} = {}", step_name(c, b, key)),
            None => metric.to_string(),
        };
        let Some((mean, lo, hi)) = c.get(p, metric) else {
            continue;
        };
        let at = match (categorical, axis(c, x)) {
            (false, AxisValues::Num(v)) => v[p as usize],
            _ => coords[dx] as f64,
        };
        series[key].1.push((at, mean, lo, hi));
    }
    for s in &mut series {
        s.1.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    series
}

fn plot<DB, X, Y>(root: &DrawingArea<DB, Shift>, f: &Frame, x: X, y: Y) -> DrawResult<DB>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let x_area = f.categories.as_ref().map_or(48, |c| c.depth + DESC_PX);
    let names: Vec<String> = f.series.iter().map(|s| s.0.clone()).collect();
    let wanted = f.legend && f.categories.is_some();
    let (main, legend) = legend_strip(root, if wanted { names.len() } else { 0 });
    if let Some(area) = &legend {
        draw_legend(area, &names, Marker::Dot)?;
    }
    let root = &main;
    let mut chart = ChartBuilder::on(root)
        .caption(&f.caption, (FONT, 20))
        .margin(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(x_area)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(x, y)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(&f.x_desc)
        .y_desc(&f.y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0));
    if f.categories.is_some() {
        // The categories are written below, each under its own slot.
        mesh.x_labels(0).disable_x_mesh();
    }
    mesh.draw()?;
    let (y0, y1) = f.y;
    let clamp = |v: f64| v.clamp(y0, y1);
    let finite = |b: &&Band| b.1.is_finite();
    let n = f.series.len();
    for (i, (label, pts)) in f.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        if let Some(cats) = &f.categories {
            // Series side by side within a category's slot, so their bars never coincide.
            let width = (0.6 / n as f64).min(0.15);
            let shift = (i as f64 - (n as f64 - 1.0) / 2.0) * width;
            let marks = pts.iter().filter(finite).map(|&(k, mean, lo, hi)| {
                let (lo, hi) = if lo.is_finite() && hi.is_finite() {
                    (lo, hi)
                } else {
                    (mean, mean)
                };
                ErrorBar::new_vertical(
                    k + shift,
                    clamp(lo),
                    clamp(mean),
                    clamp(hi),
                    color.filled().stroke_width(2),
                    12,
                )
            });
            // A mean beyond the run (some seed never got there) is no number to place: its
            // slot says so at the top of the axis.
            let beyond = pts.iter().filter(|b| b.1 == f64::INFINITY).map(|b| {
                // Upright, ending at the top, so dodged series never write over each other.
                let style = TextStyle::from((FONT, 12.0).into_font())
                    .color(&color)
                    .transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Right, VPos::Center));
                Text::new("beyond run", (b.0 + shift, y1), style)
            });
            chart.draw_series(beyond)?;
            chart.draw_series(marks)?;
            if i == 0 {
                for k in 0..cats.labels.len() {
                    let (px, py) = chart.backend_coord(&(k as f64, y0));
                    cats.draw(root, k, (px, py + 6))?;
                }
            }
            continue;
        }
        let band: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.2.is_finite() && p.3.is_finite())
            .map(|p| (p.0, clamp(p.3)))
            .chain(
                pts.iter()
                    .rev()
                    .filter(|p| p.2.is_finite() && p.3.is_finite())
                    .map(|p| (p.0, clamp(p.2))),
            )
            .collect();
        if band.len() >= 4 {
            chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.2).filled())))?;
        }
        let mean: Vec<(f64, f64)> = pts
            .iter()
            .filter(finite)
            .map(|p| (p.0, clamp(p.1)))
            .collect();
        let drawn = chart.draw_series(LineSeries::new(mean.clone(), color.stroke_width(2)))?;
        if f.legend {
            drawn.label(label.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
        }
        chart.draw_series(mean.into_iter().map(|p| Circle::new(p, 4, color.filled())))?;
    }
    if f.legend && f.categories.is_none() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}
