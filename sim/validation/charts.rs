//! One chart per sweep: measured points over the closed-form curves.

use std::path::Path;

use plotters::prelude::*;

use super::Suite;
use crate::adversary::analytic;
use crate::report::charts::{FONT, register_font};

const SIZE: (u32, u32) = (960, 600);
const COLOURS: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
];
const GREY: RGBColor = RGBColor(110, 110, 110);

/// Draws with `draw` into `NAME.png` and `NAME.svg`.
fn both(
    dir: &Path,
    name: &str,
    svg: impl Fn(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> Result<(), String>,
    bitmap: impl Fn(&DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<(), String>,
) -> Result<(), String> {
    register_font()?;
    let png = dir.join(format!("{name}.png"));
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        bitmap(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        svg(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    std::fs::write(dir.join(format!("{name}.svg")), text).map_err(|e| e.to_string())
}

struct Selfish<'a>(&'a Suite);

impl Selfish<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Selfish mining: pool revenue vs hash share (lines: Eyal & Sirer closed form)",
                (FONT, 22),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..0.5, 0.0..0.8)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("pool hash share α")
            .y_desc("pool share of main-chain blocks")
            .label_style((FONT, 15))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (0.5, 0.5)],
                GREY.stroke_width(1),
            ))
            .map_err(err)?
            .label("honest mining (revenue = α)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], GREY));
        for (i, gamma) in [0.0, 0.5, 1.0].into_iter().enumerate() {
            let c = COLOURS[i];
            let curve = (0..=98).map(|k| {
                let a = k as f64 * 0.005;
                (a, analytic::selfish_revenue(a, gamma).max(0.0))
            });
            chart
                .draw_series(LineSeries::new(curve, c.stroke_width(2)))
                .map_err(err)?
                .label(format!("γ = {gamma}: closed form; dots: network runs"))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
            let points = self.0.selfish.iter().filter(|p| p.gamma == gamma);
            chart
                .draw_series(points.map(|p| Circle::new((p.alpha, p.revenue), 5, c.filled())))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)
    }
}

pub fn selfish(suite: &Suite, dir: &Path) -> Result<(), String> {
    let s = Selfish(suite);
    both(dir, "selfish_mining", |r| s.draw(r), |r| s.draw(r))
}

struct DoubleSpend<'a>(&'a Suite);

impl DoubleSpend<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let q = self.0.double_spend_q;
        let zmax = self.0.double_spend.iter().map(|p| p.z).max().unwrap_or(6) + 1;
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("Double-spend success vs confirmations z (attacker share q = {q})"),
                (FONT, 22),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..zmax as f64, (1e-3..1.0).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("confirmations z")
            .y_desc("P(attacker succeeds)")
            .label_style((FONT, 15))
            .draw()
            .map_err(err)?;
        let zs = 0..=zmax;
        let exact = zs
            .clone()
            .map(|z| (z as f64, analytic::race_success(q, z).max(1e-3)));
        chart
            .draw_series(LineSeries::new(exact, COLOURS[0].stroke_width(2)))
            .map_err(err)?
            .label("exact race (Rosenfeld; Grunspan & Pérez-Marco)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], COLOURS[0].stroke_width(2)));
        let nakamoto = zs.map(|z| (z as f64, analytic::nakamoto_success(q, z).max(1e-3)));
        chart
            .draw_series(LineSeries::new(nakamoto, COLOURS[1].stroke_width(2)))
            .map_err(err)?
            .label("Nakamoto §11 (Poisson progress)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], COLOURS[1].stroke_width(2)));
        let points = self.0.double_spend.iter().filter(|p| p.successes > 0);
        chart
            .draw_series(points.map(|p| {
                let rate = p.successes as f64 / p.attempts as f64;
                Circle::new((p.z as f64, rate), 5, COLOURS[2].filled())
            }))
            .map_err(err)?
            .label("network runs")
            .legend(|(x, y)| Circle::new((x + 10, y), 5, COLOURS[2].filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)
    }
}

pub fn double_spend(suite: &Suite, dir: &Path) -> Result<(), String> {
    let s = DoubleSpend(suite);
    both(dir, "double_spend", |r| s.draw(r), |r| s.draw(r))
}
