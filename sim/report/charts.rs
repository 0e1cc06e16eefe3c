//! Charts of a run, each drawn once per backend from the same code so PNG and SVG agree.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::ReportError;
use crate::engine::{Time, to_secs};
use crate::metrics::RunOutput;

const SIZE: (u32, u32) = (960, 600);
pub(crate) const FONT: &str = "sans-serif";
/// Embedded so PNG text never depends on what the host has installed.
static DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

pub(super) const CREATED: RGBColor = RGBColor(31, 119, 180);
pub(super) const INCLUDED: RGBColor = RGBColor(255, 127, 14);
pub(super) const SETTLED: RGBColor = RGBColor(44, 160, 44);
/// The raw settled line, paler than its smoothed mean drawn over it.
const SETTLED_RAW: RGBColor = RGBColor(160, 215, 160);
pub(super) const GREY: RGBColor = RGBColor(110, 110, 110);

/// A labelled series of `(x, y)` points.
type Line = (&'static str, RGBColor, Vec<(f64, f64)>);
pub(super) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

#[derive(Clone, Copy)]
pub(super) enum Chart {
    Throughput,
    SettlementCdf,
    BlockPropagationCdf,
    /// Only when a radio group has a battery.
    BatteryLife,
    /// Only with a LoRaWAN group.
    DeliveryByDistance,
    /// Only when a group gets settlement receipts.
    ReceiptCdf,
}

impl Chart {
    pub(super) const ALL: [Chart; 6] = [
        Chart::Throughput,
        Chart::SettlementCdf,
        Chart::BlockPropagationCdf,
        Chart::BatteryLife,
        Chart::DeliveryByDistance,
        Chart::ReceiptCdf,
    ];

    /// Whether the run has what the chart shows.
    pub(super) fn applies(self, out: &RunOutput) -> bool {
        match self {
            Chart::BatteryLife => !out.energy.battery_cdf.is_empty(),
            Chart::DeliveryByDistance => !out.radio_distance.is_empty(),
            Chart::ReceiptCdf => out.receipt_cdf.is_some(),
            _ => true,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Chart::Throughput => "throughput",
            Chart::SettlementCdf => "settlement_cdf",
            Chart::BlockPropagationCdf => "block_propagation_cdf",
            Chart::BatteryLife => "battery_life",
            Chart::DeliveryByDistance => "delivery_by_distance",
            Chart::ReceiptCdf => "receipt_cdf",
        }
    }

    fn draw<DB: DrawingBackend>(
        self,
        out: &RunOutput,
        root: &DrawingArea<DB, Shift>,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        match self {
            Chart::Throughput => throughput(out, root),
            Chart::SettlementCdf => {
                cdf(
                    root,
                    "Transaction settlement latency",
                    (
                        "settlement latency (s)",
                        "share of the window's transactions",
                    ),
                    &out.settlement_cdf,
                )?;
                // Over every transaction created in the window, so the curve stops short of
                // one by what never settled; the note names that gap.
                let settled = out.settlement_cdf.last().map_or(0.0, |p| p.1);
                let note = format!(
                    "settled by the end of the run: {:.1} %; the gap to 1 is pending or dropped",
                    100.0 * settled
                );
                let style = TextStyle::from((FONT, 15).into_font()).color(&GREY);
                root.draw(&Text::new(note, (110, 62), style))
            }
            Chart::BlockPropagationCdf => cdf(
                root,
                "Block propagation",
                ("block arrival delay (s)", "cumulative fraction"),
                &out.block_arrival_cdf,
            ),
            Chart::BatteryLife => battery_life(out, root),
            Chart::DeliveryByDistance => super::radio_charts::delivery_by_distance(out, root),
            Chart::ReceiptCdf => super::radio_charts::receipt_cdf(out, root),
        }
    }
}

/// plotters keeps fonts in a process-wide table, so one registration serves every chart and
/// the font is parsed once per process rather than per file.
pub(crate) fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS)
                .map_err(|_| "embedded DejaVuSans.ttf is not a valid font".to_string())
        })
        .clone()
}

/// Writes `NAME.png` and `NAME.svg` into `dir` and returns both paths.
pub(super) fn write(
    chart: Chart,
    out: &RunOutput,
    dir: &Path,
) -> Result<[PathBuf; 2], ReportError> {
    let png = dir.join(format!("{}.png", chart.name()));
    let svg = dir.join(format!("{}.svg", chart.name()));
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |message: String| ReportError::Chart { path, message }
    };
    register_font().map_err(failed(&png))?;
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        chart
            .draw(out, &root)
            .and_then(|()| root.present())
            .map_err(|e| failed(&png)(e.to_string()))?;
    }
    // The SVG goes through a string so a failed write surfaces as an I/O error on that file.
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        chart
            .draw(out, &root)
            .and_then(|()| root.present())
            .map_err(|e| failed(&svg)(e.to_string()))?;
    }
    std::fs::write(&svg, text).map_err(|source| ReportError::Io {
        path: svg.clone(),
        source,
    })?;
    Ok([png, svg])
}

fn throughput<DB: DrawingBackend>(
    out: &RunOutput,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let rows = &out.timeseries;
    let settled: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (r.window_end_s, r.settled_tx_per_s))
        .collect();
    let series: [Line; 4] = [
        (
            "created",
            CREATED,
            rows.iter()
                .map(|r| (r.window_end_s, r.created_tx_per_s))
                .collect(),
        ),
        (
            "included",
            INCLUDED,
            rows.iter()
                .map(|r| (r.window_end_s, r.included_tx_per_s))
                .collect(),
        ),
        ("settled", SETTLED_RAW, settled.clone()),
        ("settled, mean of 5 windows", SETTLED, smoothed(&settled)),
    ];
    let points = || {
        series
            .iter()
            .flat_map(|(_, _, p)| p.iter().copied())
            .filter(|&p| finite(p))
    };
    let x_max = upper(points().map(|(x, _)| x));
    let y_max = upper(points().map(|(_, y)| y)) * 1.05;
    let empty = points().next().is_none();
    let mut chart = ChartBuilder::on(root)
        .caption(title("Throughput", empty), (FONT, 26))
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc("window end (s)")
        .y_desc("transactions per second")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    if empty {
        return no_data(root);
    }
    labelled_lines(
        &mut chart,
        series.into_iter().map(|(l, c, p)| (l.to_string(), c, p)),
    )
}

/// Windows in the trailing mean of the smoothed throughput line: settlement comes in bursts
/// (a block settles many transactions at once), so a single window zig-zags block by block.
pub(super) const SMOOTHING_WINDOWS: usize = 5;

/// The trailing mean over the last `SMOOTHING_WINDOWS` windows (fewer at the start).
pub(super) fn smoothed(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    (0..points.len())
        .map(|i| {
            let from = (i + 1).saturating_sub(SMOOTHING_WINDOWS);
            let part = &points[from..=i];
            let mean = part.iter().map(|p| p.1).sum::<f64>() / part.len() as f64;
            (points[i].0, mean)
        })
        .collect()
}

type Plane =
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>;

/// Draws each `(label, colour, points)` as a line and the legend of them all.
pub(super) fn labelled_lines<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Plane>,
    lines: impl Iterator<Item = (String, RGBColor, Vec<(f64, f64)>)>,
) -> DrawResult<DB> {
    for (label, color, line) in lines {
        chart
            .draw_series(LineSeries::new(
                line.into_iter().filter(|&p| finite(p)),
                color.stroke_width(2),
            ))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
}

pub(super) fn cdf<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    name: &str,
    desc: (&str, &str),
    data: &[(Time, f64)],
) -> DrawResult<DB> {
    let points: Vec<(f64, f64)> = data
        .iter()
        .map(|&(t, f)| (to_secs(t), f))
        .filter(|&p| finite(p))
        .collect();
    let hi = upper(points.iter().map(|p| p.0));
    let lo_positive = points
        .iter()
        .map(|p| p.0)
        .filter(|&x| x > 0.0)
        .reduce(f64::min);
    let title = title(&format!("{name} CDF"), points.is_empty());
    match lo_positive {
        // Zero delays sit left of a log axis; the curve starting above zero still shows them.
        Some(lo) if hi / lo > 100.0 => {
            let shown: Vec<_> = points.into_iter().filter(|p| p.0 > 0.0).collect();
            cdf_on(root, &title, desc, decades(lo, hi).log_scale(), &shown)
        }
        _ => cdf_on(root, &title, desc, 0.0..hi, &points),
    }
}

fn cdf_on<DB, X>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    x: X,
    points: &[(f64, f64)],
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 26))
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    if points.is_empty() {
        return no_data(root);
    }
    chart.draw_series(LineSeries::new(
        points.iter().copied(),
        CREATED.stroke_width(2),
    ))?;
    Ok(())
}

/// One line per radio group with a battery: the share of its devices whose battery is
/// empty by each projected age.
fn battery_life<DB: DrawingBackend>(
    out: &RunOutput,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    const COLORS: [RGBColor; 4] = [CREATED, INCLUDED, SETTLED, GREY];
    let groups = &out.energy.battery_cdf;
    let x_max = upper(groups.iter().flat_map(|(_, c)| c.iter().map(|p| p.0))) * 1.05;
    let mut chart = ChartBuilder::on(root)
        .caption("Projected battery life", (FONT, 26))
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..x_max, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("battery life (years)")
        .y_desc("fraction of the group's devices empty")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let lines = groups
        .iter()
        .enumerate()
        .map(|(i, (group, points))| (group.clone(), COLORS[i % COLORS.len()], points.clone()));
    labelled_lines(&mut chart, lines)
}

fn no_data<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (w, h) = root.dim_in_pixel();
    let style = TextStyle::from((FONT, 32).into_font()).color(&GREY).pos(
        plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ),
    );
    root.draw(&Text::new("no data", (w as i32 / 2, h as i32 / 2), style))
}

/// Widens to whole decades so the log axis starts and ends on a labelled power of ten.
fn decades(lo: f64, hi: f64) -> std::ops::Range<f64> {
    // A hair below the lower power so rounding in plotters' tick search keeps its label.
    10f64.powf(lo.log10().floor()) * (1.0 - 1e-9)..10f64.powf(hi.log10().ceil())
}

fn title(name: &str, empty: bool) -> String {
    if empty {
        format!("{name} (no data)")
    } else {
        name.to_string()
    }
}

fn finite((x, y): (f64, f64)) -> bool {
    x.is_finite() && y.is_finite()
}

/// Upper end of an axis from zero: the largest value, or 1 when there is nothing positive,
/// because plotters cannot map a zero-width range.
pub(super) fn upper(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.filter(|v| v.is_finite()).fold(0.0, f64::max);
    if max > 0.0 { max } else { 1.0 }
}
