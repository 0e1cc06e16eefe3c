//! The settlement-latency CDFs of the steps of one axis in one chart (other axes at their
//! first step), each over all of its point's seeds and over every transaction created in the
//! measurement window: a curve ends below one by the share that never settled (the caption
//! says so).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{Marker, decades, draw_legend, legend_strip};
use super::{DrawResult, FONT, PALETTE, held, slice, step_name};
use crate::sweep::merge::Combined;

/// One curve per step of `x` that has a CDF: its name and its points.
fn curves(c: &Combined, x: &str) -> Vec<(String, Vec<(f64, f64)>)> {
    let dx = c.plan.dim_of(x).expect("x is an axis");
    slice(c, &[dx])
        .into_iter()
        .filter_map(|p| {
            let cdf = c.cdfs.get(p as usize)?.as_ref()?;
            let k = c.plan.coords(p)[dx];
            Some((step_name(c, x, k), cdf.clone()))
        })
        .collect()
}

/// Whether the sweep has curves to overlay along `x`.
pub(super) fn applies(c: &Combined, x: &str) -> bool {
    !curves(c, x).is_empty()
}

pub(super) fn draw<DB: DrawingBackend>(
    c: &Combined,
    x: &str,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let all = curves(c, x);
    let names: Vec<String> = all.iter().map(|a| a.0.clone()).collect();
    let (main, legend) = legend_strip(root, names.len());
    if let Some(area) = &legend {
        draw_legend(area, &names, Marker::Line)?;
    }
    let positive: Vec<f64> = all
        .iter()
        .flat_map(|a| a.1.iter().map(|p| p.0))
        .filter(|&v| v > 0.0)
        .collect();
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0, f64::max);
    let (x0, x1) = if lo.is_finite() {
        decades(lo, hi)
    } else {
        (0.001, 1.0)
    };
    let dx = c.plan.dim_of(x).expect("x is an axis");
    let mut chart = ChartBuilder::on(&main)
        .caption(
            format!(
                "Settlement latency by {x}, {} seeds{}; the gap to 1 never settled",
                c.plan.seeds,
                held(c, &[dx])
            ),
            (FONT, 20),
        )
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d((x0..x1).log_scale(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("settlement latency (s, log scale)")
        .y_desc("share of created transactions settled")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, (_, points)) in all.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        // A step curve: the share holds until each bin's upper edge.
        let mut steps = Vec::with_capacity(points.len() * 2);
        let mut prev = 0.0;
        for &(edge, share) in points.iter().filter(|p| p.0 > 0.0) {
            steps.push((edge, prev));
            steps.push((edge, share));
            prev = share;
        }
        steps.push((x1, prev));
        chart.draw_series(LineSeries::new(steps, color.stroke_width(2)))?;
    }
    Ok(())
}
