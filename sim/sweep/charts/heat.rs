//! A heat map of a metric's mean over two axes, each cell written with its value, and a
//! colour bar that says what the colours mean. Labels of both axes get the room they need.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{Categories, Scale, describe, draw_beside, short, widest};
use super::{DrawResult, FONT, SIZE, held, range, slice, step_name};
use crate::sweep::merge::Combined;

/// Width of the colour bar's column, its labels included.
const BAR_AREA: u32 = 150;
const MARGIN: u32 = 16;

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

/// Where a value sits between the scale's ends, 0 to 1: logarithmically when the values span
/// more than two decades (as the line charts choose).
struct Shade {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Shade {
    fn of(values: &[f64]) -> Shade {
        let log = Scale::Auto.log_for(values);
        let (lo, hi) = range(values);
        Shade { lo, hi, log }
    }

    fn t(&self, v: f64) -> f64 {
        if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// The value at position `t` of the bar.
    fn at(&self, t: f64) -> f64 {
        if self.log {
            (self.lo.ln() + t * (self.hi.ln() - self.lo.ln())).exp()
        } else {
            self.lo + t * (self.hi - self.lo)
        }
    }
}

pub(super) fn draw<DB: DrawingBackend>(
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
    let cells: Vec<(usize, usize, f64)> = pts
        .iter()
        .map(|&p| {
            let k = c.plan.coords(p);
            (k[dx], k[dy], c.get(p, metric).map_or(f64::NAN, |m| m.0))
        })
        .collect();
    let vals: Vec<f64> = cells
        .iter()
        .map(|c| c.2)
        .filter(|v| v.is_finite())
        .collect();
    let shade = Shade::of(&vals);
    let x_names: Vec<String> = (0..nx).map(|k| step_name(c, x, k)).collect();
    let y_names: Vec<String> = (0..ny).map(|k| step_name(c, y, k)).collect();
    let (main, bar) = root.split_horizontally(SIZE.0 - BAR_AREA);
    let y_area = widest(root, &y_names) + 40;
    let span = SIZE.0 - BAR_AREA - 2 * MARGIN - y_area;
    let cats = Categories::layout(root, &x_names, span);
    let mut chart = ChartBuilder::on(&main)
        .caption(format!("{metric} (mean){}", held(c, &[dx, dy])), (FONT, 20))
        .margin(MARGIN)
        .x_label_area_size(cats.depth + 30)
        .y_label_area_size(y_area)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x)
        .y_desc(y)
        .x_labels(0)
        .y_labels(0)
        .axis_desc_style((FONT, 16))
        .draw()?;
    for k in 0..nx {
        let (px, py) = chart.backend_coord(&(k as f64 + 0.5, 0.0));
        cats.draw(root, k, (px, py + 6))?;
    }
    for (k, name) in y_names.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(0.0, k as f64 + 0.5));
        draw_beside(root, name, (px - 6, py))?;
    }
    for &(cx, cy, v) in &cells {
        let t = shade.t(v);
        let color = if v.is_finite() {
            ramp(t)
        } else {
            RGBColor(200, 200, 200)
        };
        let (x0, y0) = (cx as f64, cy as f64);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, y0), (x0 + 1.0, y0 + 1.0)],
            color.filled(),
        )))?;
        let text = match v {
            f64::INFINITY => "beyond run".into(),
            _ if v.is_finite() => short(v),
            _ => "no data".into(),
        };
        let ink = if v.is_finite() && t > 0.6 {
            BLACK
        } else {
            WHITE
        };
        let style = TextStyle::from((FONT, 16.0).into_font())
            .color(&ink)
            .pos(Pos::new(HPos::Center, VPos::Center));
        chart.draw_series(std::iter::once(Text::new(
            text,
            (x0 + 0.5, y0 + 0.5),
            style,
        )))?;
    }
    colour_bar(&bar, metric, &shade, vals.is_empty())
}

/// A vertical ramp from the lowest mean (bottom) to the highest (top), five values beside it
/// and the metric with its unit above.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    metric: &str,
    shade: &Shade,
    empty: bool,
) -> DrawResult<DB> {
    const STEPS: i32 = 64;
    let (top, bottom, left, width) = (70, SIZE.1 as i32 - 110, 12, 22);
    let unit = describe(metric, shade.log);
    let title = TextStyle::from((FONT, 13.0).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    // The description goes on two lines when long: the metric, then its unit.
    let (first, second) = match unit.split_once(" (") {
        Some((m, u)) => (m.to_string(), format!("({u}")),
        None => (unit.clone(), String::new()),
    };
    area.draw(&Text::new(first, (left, top - 22), title.clone()))?;
    area.draw(&Text::new(second, (left, top - 6), title))?;
    if empty {
        return Ok(());
    }
    let h = bottom - top;
    for s in 0..STEPS {
        let (y0, y1) = (bottom - h * (s + 1) / STEPS, bottom - h * s / STEPS);
        let t = (s as f64 + 0.5) / STEPS as f64;
        area.draw(&Rectangle::new(
            [(left, y0), (left + width, y1)],
            ramp(t).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(left, top), (left + width, bottom)],
        BLACK.stroke_width(1),
    ))?;
    let tick = TextStyle::from((FONT, 13.0).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for i in 0..=4 {
        let t = i as f64 / 4.0;
        let y = bottom - (h as f64 * t).round() as i32;
        area.draw(&PathElement::new(
            vec![(left + width, y), (left + width + 5, y)],
            BLACK.stroke_width(1),
        ))?;
        area.draw(&Text::new(
            short(shade.at(t)),
            (left + width + 8, y),
            tick.clone(),
        ))?;
    }
    Ok(())
}
