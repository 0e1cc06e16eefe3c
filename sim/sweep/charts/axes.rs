//! What the sweep charts' axes share: the scale (linear, or logarithmic when values span
//! more than two decades), the value axis's description from the metric registry, and
//! category labels laid out so that no two overlap.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use super::FONT;

/// How a chart spaces an axis's values.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Logarithmic when every value is positive and the largest is more than a hundred
    /// times the smallest (two decades), else linear.
    #[default]
    Auto,
    Linear,
    /// Logarithmic; linear after all when a value is zero or negative (the title says so).
    Log,
}

impl Scale {
    pub fn is_auto(&self) -> bool {
        *self == Scale::Auto
    }

    /// Whether `values` go on a logarithmic axis.
    pub fn log_for(self, values: &[f64]) -> bool {
        let v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let positive = !v.is_empty() && v.iter().all(|&x| x > 0.0);
        let (lo, hi) = super::range(&v);
        match self {
            Scale::Linear => false,
            Scale::Log => positive,
            Scale::Auto => positive && hi / lo > 100.0,
        }
    }
}

/// Font size of tick and category labels, in pixels.
pub const LABEL_PX: u32 = 14;
/// Category labels longer than this many characters are cut with an ellipsis; `label:` on
/// the sweep value names a step more briefly.
const LABEL_CHARS: usize = 24;
/// Free pixels between two horizontal labels.
const GAP_PX: u32 = 8;

/// `settlement_p50_s (s)`: the metric and its unit from the registry.
pub fn describe(metric: &str, log: bool) -> String {
    let unit = crate::metrics::registry::entry(metric).map_or("", |e| e.unit);
    let scale = if log { ", log scale" } else { "" };
    if unit.is_empty() {
        format!("{metric}{scale}")
    } else {
        format!("{metric} ({unit}{scale})")
    }
}

/// Whole decades around `[lo, hi]`, so a log axis starts and ends on a labelled power of ten.
pub fn decades(lo: f64, hi: f64) -> (f64, f64) {
    // A hair below the lower power so rounding in plotters' tick search keeps its label.
    (
        10f64.powf(lo.log10().floor()) * (1.0 - 1e-9),
        10f64.powf(hi.log10().ceil()),
    )
}

/// A number as a cell or tick shows it: three significant digits (whole numbers whole),
/// exponent form beyond [0.001, 100 000).
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else if v == v.trunc() {
        format!("{v:.0}")
    } else {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(LABEL_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Category labels placed under (or beside) a band of equal slots.
pub struct Categories {
    pub labels: Vec<String>,
    /// Turned to read upwards, when side by side they would not fit their slots.
    pub upright: bool,
    /// Every `step`-th label is written when even upright ones are too many for the axis.
    pub step: usize,
    /// Pixels the labels need across the axis.
    pub depth: u32,
}

fn style(upright: bool) -> TextStyle<'static> {
    let s = TextStyle::from((FONT, LABEL_PX as f64).into_font()).color(&BLACK);
    if upright {
        s.transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Right, VPos::Center))
    } else {
        s.pos(Pos::new(HPos::Center, VPos::Top))
    }
}

impl Categories {
    /// Lays out `names` under an axis `span_px` long: side by side when each fits its slot
    /// with a gap to spare, else upright, and upright every k-th when even that is too dense.
    pub fn layout<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        names: &[String],
        span_px: u32,
    ) -> Categories {
        let labels: Vec<String> = names.iter().map(|n| cut(n)).collect();
        let size = |t: &str| {
            root.estimate_text_size(t, &style(false))
                .unwrap_or((t.chars().count() as u32 * LABEL_PX, LABEL_PX))
        };
        let sizes: Vec<(u32, u32)> = labels.iter().map(|l| size(l)).collect();
        let widest = sizes.iter().map(|s| s.0).max().unwrap_or(0);
        let tallest = sizes.iter().map(|s| s.1).max().unwrap_or(LABEL_PX);
        let slot = span_px / (labels.len().max(1) as u32);
        if widest + GAP_PX <= slot {
            return Categories {
                labels,
                upright: false,
                step: 1,
                depth: tallest + 6,
            };
        }
        let step = ((tallest + GAP_PX) as usize)
            .div_ceil(slot.max(1) as usize)
            .max(1);
        Categories {
            labels,
            upright: true,
            step,
            depth: widest + 10,
        }
    }

    /// Writes label `k` with its top (or, upright, its end) at `at`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        k: usize,
        at: (i32, i32),
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        if !k.is_multiple_of(self.step) {
            return Ok(());
        }
        root.draw(&Text::new(self.labels[k].clone(), at, style(self.upright)))
    }
}

/// Widest of `names` in pixels at the label size (for labels written beside a vertical axis).
pub fn widest<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, names: &[String]) -> u32 {
    names
        .iter()
        .map(|n| {
            root.estimate_text_size(&cut(n), &style(false))
                .map_or(n.chars().count() as u32 * LABEL_PX, |s| s.0)
        })
        .max()
        .unwrap_or(0)
}

/// Writes `name` right-aligned, vertically centred on `at` (a label left of a vertical axis).
pub fn draw_beside<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    name: &str,
    at: (i32, i32),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let s = TextStyle::from((FONT, LABEL_PX as f64).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    root.draw(&Text::new(cut(name), at, s))
}

/// Height of a legend row.
const ITEM_PX: u32 = 22;
/// Legend entries per row.
const PER_ROW: usize = 3;

/// How a legend entry shows its series.
#[derive(Clone, Copy)]
pub enum Marker {
    Dot,
    Line,
}

/// The chart's area and, for `n` legend entries, a strip below it: where points or lines
/// fill the whole width, a legend inside the plot would cover some.
pub fn legend_strip<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    n: usize,
) -> (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>) {
    if n == 0 {
        return (root.clone(), None);
    }
    let rows = n.div_ceil(PER_ROW) as u32;
    let (main, strip) = root.split_vertically(super::SIZE.1 - rows * ITEM_PX - 8);
    (main, Some(strip))
}

/// Writes the entries in rows of three, each in its series' colour.
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
    marker: Marker,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, _) = area.dim_in_pixel();
    let column = (width as i32 - 120) / PER_ROW as i32;
    for (i, name) in names.iter().enumerate() {
        let color = super::PALETTE[i % super::PALETTE.len()];
        let x = 100 + (i % PER_ROW) as i32 * column;
        let y = ((i / PER_ROW) as u32 * ITEM_PX + ITEM_PX / 2) as i32;
        match marker {
            Marker::Dot => area.draw(&Circle::new((x + 6, y), 5, color.filled()))?,
            Marker::Line => area.draw(&Rectangle::new(
                [(x - 6, y - 1), (x + 14, y + 1)],
                color.filled(),
            ))?,
        }
        let style = TextStyle::from((FONT, LABEL_PX as f64).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(cut(name), (x + 20, y), style))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_only_for_positive_values_over_two_decades() {
        assert!(Scale::Auto.log_for(&[0.5, 3600.0]));
        assert!(!Scale::Auto.log_for(&[1.0, 99.0]));
        assert!(!Scale::Auto.log_for(&[0.0, 3600.0]));
        assert!(Scale::Log.log_for(&[1.0, 2.0]));
        assert!(!Scale::Log.log_for(&[0.0, 2.0]));
        assert!(!Scale::Linear.log_for(&[0.5, 3600.0]));
        assert!(Scale::Auto.log_for(&[0.5, f64::NAN, 3600.0]));
    }

    #[test]
    fn descriptions_carry_the_registry_unit() {
        assert_eq!(describe("settlement_p50_s", false), "settlement_p50_s (s)");
        assert_eq!(
            describe("settled_tx_per_s", true),
            "settled_tx_per_s (tx/s, log scale)"
        );
        assert_eq!(
            cut("abcdefghijklmnopqrstuvwxyz"),
            "abcdefghijklmnopqrstuvwx…"
        );
        assert_eq!(short(0.25), "0.250");
        assert_eq!(short(0.9668), "0.967");
        assert_eq!(short(71.81), "71.8");
        assert_eq!(short(3600.0), "3600");
        assert_eq!(short(2.5e7), "2.50e7");
    }
}
