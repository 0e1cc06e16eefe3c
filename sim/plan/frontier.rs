//! The plan's frontier charts: for each numeric requirement, the metric's mean and 95 %
//! interval against the objective at every evaluated configuration, one series per
//! combination of the other choices, with the target as a dashed line. Filled points meet
//! this requirement, rings are undecided on it, crosses miss it (a configuration can meet one
//! requirement and miss another); the chosen configuration is circled. The
//! legend sits under the plot, so no point is ever hidden behind it.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Evaluated, Outcome, Plan, Verdict};
use crate::report::charts::register_font;
use crate::sweep::{FONT, PALETTE, SIZE, range};

/// Legend labels longer than this are cut: a categorical choice can be a whole mapping.
const LABEL_CHARS: usize = 60;

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The chart files of the plan's numeric requirements, as `frontier_r<J>.svg`.
pub fn names(plan: &Plan) -> Vec<String> {
    plan.requirements
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.flag)
        .map(|(j, _)| format!("frontier_r{j}.svg"))
        .collect()
}

/// Draws every frontier chart into `out`; returns the files written.
pub fn write(plan: &Plan, out: &Path, o: &Outcome) -> Result<Vec<PathBuf>, String> {
    register_font()?;
    let mut written = Vec::new();
    for (j, r) in plan.requirements.iter().enumerate() {
        if r.flag {
            continue;
        }
        let path = out.join(format!("frontier_r{j}.svg"));
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
            draw(plan, o, j, &root)
                .and_then(|()| root.present())
                .map_err(|e| format!("chart {}: {e}", path.display()))?;
        }
        crate::atomic::write_file(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// `(objective, mean, ci95_low, ci95_high, verdict on this requirement, chosen)`.
type Point = (f64, f64, f64, f64, Verdict, bool);

fn series(plan: &Plan, o: &Outcome, j: usize) -> Vec<(String, Vec<Point>)> {
    let chosen = o.ranked.first().copied();
    let point = |e: &Evaluated| -> Point {
        let f = &e.figures[j];
        (
            e.objective,
            f.mean,
            f.ci95_low,
            f.ci95_high,
            e.verdicts[j],
            Some(e.point) == chosen,
        )
    };
    o.groups
        .iter()
        .map(|g| {
            let pts: Vec<Point> = g
                .points
                .iter()
                .filter_map(|p| o.evaluated.get(p))
                .map(point)
                .collect();
            (label(plan, g.points[0]), pts)
        })
        .filter(|(_, pts)| !pts.is_empty())
        .collect()
}

/// The group's categorical choices, as `path=value`; "all" when there are none.
fn label(plan: &Plan, p: u32) -> String {
    let values = &plan.sweep.points[p as usize].values;
    let parts: Vec<String> = plan
        .choices
        .iter()
        .zip(values)
        .filter(|(c, _)| c.integers.is_none())
        .map(|(c, (_, v))| format!("{}={}", c.path, super::output::flow(v)))
        .collect();
    let text = if parts.is_empty() {
        "all configurations".to_string()
    } else {
        parts.join(", ")
    };
    match text.char_indices().nth(LABEL_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The finite values' range (as sweep charts take it), widened by 5 % on each side.
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let finite: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    let (lo, hi) = range(&finite);
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

fn draw<DB: DrawingBackend>(
    plan: &Plan,
    o: &Outcome,
    j: usize,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let r = &plan.requirements[j];
    let all = series(plan, o, j);
    // The legend goes under the chart, never over a point.
    let legend_px = 24 * all.len() as u32 + 16;
    let (root, legend) = root.split_vertically(SIZE.1.saturating_sub(legend_px));
    let root = &root;
    let pts = || all.iter().flat_map(|s| s.1.iter());
    let (x0, x1) = span(pts().map(|p| p.0));
    let (y0, y1) = span(
        pts()
            .flat_map(|p| [p.1, p.2, p.3])
            .chain(std::iter::once(r.value)),
    );
    let objective = match &plan.objective {
        super::Objective::Choice(i) => plan.choices[*i].path.clone(),
        super::Objective::Metric(m) => format!("{m} (mean)"),
    };
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{} against {objective}, 95 % CI", r.text()),
            (FONT, 20),
        )
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc(objective)
        .y_desc(r.metric.as_str())
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        [(x0, r.value), (x1, r.value)],
        6,
        4,
        BLACK.stroke_width(1),
    ))?;
    for (i, (name, pts)) in all.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let shown: Vec<&Point> = pts
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        chart.draw_series(
            shown
                .iter()
                .filter(|p| p.2.is_finite() && p.3.is_finite())
                .map(|p| PathElement::new(vec![(p.0, p.2), (p.0, p.3)], color.stroke_width(1))),
        )?;
        chart.draw_series(shown.iter().map(|p| {
            let at = (p.0, p.1);
            match p.4 {
                Verdict::Pass => Circle::new(at, 5, color.filled()).into_dyn(),
                Verdict::Undecided => Circle::new(at, 5, color.stroke_width(2)).into_dyn(),
                Verdict::Fail => Cross::new(at, 5, color.stroke_width(2)).into_dyn(),
            }
        }))?;
        let y = 12 + 24 * i as i32;
        legend.draw(&Circle::new((96, y), 5, color.filled()))?;
        legend.draw(&Text::new(name.clone(), (110, y - 8), (FONT, 14)))?;
        chart.draw_series(
            shown
                .iter()
                .filter(|p| p.5)
                .map(|p| Circle::new((p.0, p.1), 11, BLACK.stroke_width(2))),
        )?;
    }
    Ok(())
}
