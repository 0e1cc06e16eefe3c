//! Sweep charts read as SVG: what is drawn between categories, where labels fall, and what
//! the axes say. Text boxes are estimated from the characters and the font size the SVG
//! states, generously (every capital and `m`/`w` a full em, the rest 0.65 em), not from the
//! layout code under test.

use super::*;
use crate::sweep::store::Plan;

const FAMILIES: [&str; 9] = [
    "nakamoto",
    "pos",
    "pbft",
    "hotstuff",
    "tendermint",
    "xrpl",
    "notary",
    "tangle",
    "raft",
];

/// A one-axis sweep over `values` (text), 3 seeds, with `settlement_p50_s` and `stale_rate`
/// (the latter only at the first point, as only Nakamoto has stale blocks, and zero).
fn family_sweep(values: &[&str], labels: Option<&[&str]>) -> Combined {
    let n = values.len() as u32;
    let plan = Plan {
        name: "families".into(),
        seeds: 3,
        points: n,
        runs: 3 * n as u64,
        axes: vec!["consensus".into()],
        dims: vec![vec!["consensus".into()]],
        dim_sizes: vec![n],
        charts: vec![],
        labels: labels.map_or(vec![], |l| vec![l.iter().map(|s| s.to_string()).collect()]),
    };
    let mut c = Combined::new(
        plan,
        vec![(
            "consensus".into(),
            AxisValues::Text(values.iter().map(|s| s.to_string()).collect()),
        )],
    );
    for p in 0..n {
        // Nakamoto's hour against BFT's half second: four decades.
        let mean = if p == 0 { 3600.0 } else { 0.4 + p as f64 * 0.1 };
        let mut rows = vec![("settlement_p50_s", mean)];
        if p == 0 {
            rows.push(("stale_rate", 0.0));
        }
        for (m, v) in rows {
            c.point.push(p);
            c.metric.push(m.into());
            c.mean.push(v);
            c.std.push(v * 0.1);
            c.ci95_low.push(v * 0.8);
            c.ci95_high.push(v * 1.2);
            c.n.push(3);
            c.beyond_run.push(false);
        }
    }
    c
}

fn line(metric: &str) -> Chart {
    Chart::Line {
        metric: metric.into(),
        x: "consensus".into(),
        by: None,
        x_scale: Scale::Auto,
        y_scale: Scale::Auto,
    }
}

#[derive(Debug)]
struct TextBox {
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[at..at + tag[at..].find('"')?])
}

/// Every `<text>` of an SVG with a generous bounding box.
fn texts(svg: &str) -> Vec<TextBox> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text ") {
        let tag_end = start + rest[start..].find('>').unwrap();
        let tag = &rest[start..tag_end];
        let body_end = tag_end + rest[tag_end..].find("</text>").unwrap();
        let text = rest[tag_end + 1..body_end]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        rest = &rest[body_end..];
        let num = |n: &str| attr(tag, n).unwrap().parse::<f64>().unwrap();
        let (x, y, size) = (num("x"), num("y"), num("font-size"));
        let em = |c: char| {
            if c.is_uppercase() || "mwMW".contains(c) {
                1.0
            } else {
                0.65
            }
        };
        let w: f64 = text.chars().map(em).sum::<f64>() * size;
        let left = match attr(tag, "text-anchor") {
            Some("middle") => -w / 2.0,
            Some("end") => -w,
            _ => 0.0,
        };
        let top = match attr(tag, "dy") {
            Some("0.76em") => 0.0,
            Some("0.5ex") => -size / 2.0,
            _ => -size,
        };
        let corners = [
            (left, top),
            (left + w, top),
            (left, top + size),
            (left + w, top + size),
        ];
        // rotate(270) turns (dx, dy) into (dy, -dx) on the screen.
        let turned = attr(tag, "transform").is_some_and(|t| t.starts_with("rotate(270"));
        let pts: Vec<(f64, f64)> = corners
            .iter()
            .map(|&(dx, dy)| {
                if turned {
                    (x + dy, y - dx)
                } else {
                    (x + dx, y + dy)
                }
            })
            .collect();
        out.push(TextBox {
            text,
            x0: pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min),
            x1: pts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max),
            y0: pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min),
            y1: pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max),
        });
    }
    out
}

fn overlap(a: &TextBox, b: &TextBox) -> bool {
    a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

/// The boxes of `labels` in `svg`, each found exactly once, none overlapping another and all
/// inside the picture.
fn check_labels(svg: &str, labels: &[String]) {
    let all = texts(svg);
    let boxes: Vec<&TextBox> = labels
        .iter()
        .map(|l| {
            let found: Vec<&TextBox> = all.iter().filter(|t| &t.text == l).collect();
            assert_eq!(
                found.len(),
                1,
                "label {l:?} among {:?}",
                all.iter().map(|t| &t.text).collect::<Vec<_>>()
            );
            found[0]
        })
        .collect();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
        }
    }
    for t in &all {
        assert!(
            t.x0 >= 0.0 && t.y0 >= 0.0 && t.x1 <= SIZE.0 as f64 && t.y1 <= SIZE.1 as f64,
            "{t:?} is clipped by the {SIZE:?} picture"
        );
    }
}

fn svg(chart: &Chart, c: &Combined) -> String {
    crate::report::charts::register_font().unwrap();
    svg_text(chart, c).unwrap()
}

#[test]
fn families_are_points_with_error_bars_on_a_log_axis_and_their_names_never_overlap() {
    let labels: Vec<&str> = FAMILIES.to_vec();
    let c = family_sweep(&FAMILIES, Some(&labels));
    let text = svg(&line("settlement_p50_s"), &c);
    // No line from one category to the next: the only polylines are the black axes and
    // ticks (a LineSeries would be one in a series colour).
    let coloured = text
        .split("<polyline")
        .skip(1)
        .filter(|p| !p.contains("stroke=\"#000000\""))
        .count();
    assert_eq!(coloured, 0, "a line joins the categories");
    // Nine error bars: each three <line>s and a circle at the mean.
    assert_eq!(text.matches("<circle").count(), 9);
    assert!(text.contains("settlement_p50_s (s, log scale)"), "{text}");
    let names: Vec<String> = FAMILIES.iter().map(|s| s.to_string()).collect();
    check_labels(&text, &names);
}

#[test]
fn long_values_are_cut_turned_upright_and_still_never_overlap() {
    let values: Vec<String> = FAMILIES
        .iter()
        .map(|f| format!("{{protocol: {f}, block_interval_s: 60, confirmations: 6}}"))
        .collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let c = family_sweep(&refs, None);
    let text = svg(&line("settlement_p50_s"), &c);
    let shown: Vec<String> = values
        .iter()
        .map(|v| format!("{}…", v.chars().take(24).collect::<String>()))
        .collect();
    assert!(text.contains("rotate(270"), "long labels stay horizontal");
    check_labels(&text, &shown);
}

#[test]
fn a_metric_of_one_family_is_one_point_on_an_axis_from_zero() {
    let c = family_sweep(&FAMILIES, Some(&FAMILIES));
    let text = svg(&line("stale_rate"), &c);
    assert_eq!(text.matches("<circle").count(), 1);
    assert!(text.contains("stale_rate (share)"), "{text}");
    // Linear from zero: no negative tick.
    assert!(
        !texts(&text).iter().any(|t| t.text.starts_with('-')),
        "a negative tick on a share axis"
    );
}

#[test]
fn heat_maps_have_a_colour_bar_and_unclipped_labels() {
    let mut c = family_sweep(&FAMILIES[..3], Some(&FAMILIES[..3]));
    // A second axis: three named sizes; every point holds a value.
    c.plan.axes.push("devices[0].count".into());
    c.plan.dims.push(vec!["devices[0].count".into()]);
    c.plan.dim_sizes.push(3);
    c.plan.points = 9;
    c.plan.runs = 27;
    c.plan.labels.push(vec![
        "batch_max_tx: 500".into(),
        "1000".into(),
        "2000".into(),
    ]);
    c.axes.push((
        "devices[0].count".into(),
        AxisValues::Num((0..9).map(|p| [500.0, 1000.0, 2000.0][p % 3]).collect()),
    ));
    let values: Vec<String> = (0..9).map(|p| FAMILIES[p / 3].to_string()).collect();
    c.axes[0].1 = AxisValues::Text(values);
    for p in 0..9 {
        c.point.push(p);
        c.metric.push("settled_tx_per_s".into());
        c.mean.push(10.0 + p as f64);
        c.std.push(1.0);
        c.ci95_low.push(9.0 + p as f64);
        c.ci95_high.push(11.0 + p as f64);
        c.n.push(3);
        c.beyond_run.push(false);
    }
    let chart = Chart::Heat {
        metric: "settled_tx_per_s".into(),
        x: "consensus".into(),
        y: "devices[0].count".into(),
    };
    let text = svg(&chart, &c);
    let all = texts(&text);
    // The bar: its description with the unit, and its lowest and highest values.
    for want in ["settled_tx_per_s", "(tx/s)"] {
        assert!(
            all.iter().any(|t| t.text == want),
            "{want} missing from the colour bar"
        );
    }
    // The lowest and highest means, each in its cell and at an end of the bar.
    for want in ["10", "18"] {
        assert_eq!(all.iter().filter(|t| t.text == want).count(), 2, "{want}");
    }
    let mut names: Vec<String> = FAMILIES[..3].iter().map(|s| s.to_string()).collect();
    names.extend(["batch_max_tx: 500".to_string()]);
    check_labels(&text, &names);
}

#[test]
fn settlement_cdfs_of_every_family_share_one_chart_with_a_legend_beside_no_curve() {
    let mut c = family_sweep(&FAMILIES, Some(&FAMILIES));
    assert!(
        !plan(&c).iter().any(|ch| matches!(ch, Chart::Cdf { .. })),
        "no CDF chart without histograms"
    );
    // Family k settles 90 % by 10^(k/3) s and never the rest.
    c.cdfs = (0..9)
        .map(|k| Some(vec![(0.1, 0.2), (10f64.powf(k as f64 / 3.0), 0.9)]))
        .collect();
    let chart = plan(&c)
        .into_iter()
        .find(|ch| matches!(ch, Chart::Cdf { .. }))
        .expect("a CDF chart");
    assert_eq!(chart.file_stem(), "settlement_cdf_by_consensus");
    let text = svg(&chart, &c);
    let coloured = text
        .split("<polyline")
        .skip(1)
        .filter(|p| !p.contains("stroke=\"#000000\""))
        .count();
    assert_eq!(coloured, 9);
    let names: Vec<String> = FAMILIES.iter().map(|s| s.to_string()).collect();
    check_labels(&text, &names);
}
