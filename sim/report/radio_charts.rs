//! The access network's charts: delivery against distance to the nearest gateway, and how
//! long devices wait for their settlement receipts.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::charts::{
    CREATED, DrawResult, FONT, GREY, INCLUDED, SETTLED, cdf, labelled_lines, upper,
};
use crate::metrics::RunOutput;

/// A group's name, colour and `(distance km, delivered share)` points.
type GroupLine = (String, RGBColor, Vec<(f64, f64)>);

/// One line per LoRaWAN group: the share of its frames delivered, at the middle of each bin
/// of distance to the devices' nearest gateway.
pub(super) fn delivery_by_distance<DB: DrawingBackend>(
    out: &RunOutput,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    const COLORS: [RGBColor; 4] = [CREATED, INCLUDED, SETTLED, GREY];
    let rows = &out.radio_distance;
    let x_max = upper(rows.iter().map(|r| r.nearest_gateway_to_m / 1000.0));
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Frame delivery by distance to the nearest gateway",
            (FONT, 26),
        )
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..x_max, 0.0..1.05)?;
    chart
        .configure_mesh()
        .x_desc("distance to the nearest gateway (km, middle of the bin)")
        .y_desc("share of the group's frames delivered")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let mut groups: Vec<&str> = Vec::new();
    for r in rows {
        if !groups.contains(&r.group.as_str()) {
            groups.push(&r.group);
        }
    }
    let lines: Vec<GroupLine> = groups
        .iter()
        .enumerate()
        .map(|(i, &group)| {
            let points = rows
                .iter()
                .filter(|r| r.group == group)
                .map(|r| {
                    let middle = (r.nearest_gateway_from_m + r.nearest_gateway_to_m) / 2e3;
                    (middle, r.delivery_ratio)
                })
                .filter(|p| p.1.is_finite())
                .collect();
            (group.to_string(), COLORS[i % COLORS.len()], points)
        })
        .collect();
    for (_, color, points) in &lines {
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    labelled_lines(&mut chart, lines.into_iter())
}

/// Creation to the device holding its receipt, over the window's transactions of the
/// devices that get receipts; the gap to 1 is what had no receipt by the end.
pub(super) fn receipt_cdf<DB: DrawingBackend>(
    out: &RunOutput,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let data = out.receipt_cdf.as_deref().unwrap_or_default();
    cdf(
        root,
        "Settlement receipt latency",
        (
            "creation to receipt on the device (s)",
            "share of the window's transactions with receipts",
        ),
        data,
    )?;
    let held = data.last().map_or(0.0, |p| p.1);
    let note = format!(
        "receipt on the device by the end of the run: {:.1} %",
        100.0 * held
    );
    let style = TextStyle::from((FONT, 15).into_font()).color(&GREY);
    root.draw(&Text::new(note, (110, 62), style))
}
