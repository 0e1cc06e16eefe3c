//! Where devices and gateways stand: points uniform over the service area or spread evenly
//! over it. Which gateways hear which device is in `links.rs`.

use crate::scenario::Shape;

pub type Point = (f64, f64);

/// A point uniform over the area (centred on the origin) from two uniforms in (0, 1).
pub fn uniform_point(shape: Shape, size_m: f64, u1: f64, u2: f64) -> Point {
    match shape {
        Shape::Disc => {
            let (r, a) = (size_m * u1.sqrt(), std::f64::consts::TAU * u2);
            (r * a.cos(), r * a.sin())
        }
        Shape::Square => ((u1 - 0.5) * size_m, (u2 - 0.5) * size_m),
    }
}

/// `n` points spread evenly: the centres of a near-square grid of cells in a square, a
/// sunflower (Vogel) spiral in a disc, each point standing for an equal share of the area.
pub fn even_points(shape: Shape, size_m: f64, n: u32) -> Vec<Point> {
    match shape {
        Shape::Disc => {
            let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
            (0..n)
                .map(|i| {
                    let r = size_m * ((i as f64 + 0.5) / n as f64).sqrt();
                    let a = golden * i as f64;
                    (r * a.cos(), r * a.sin())
                })
                .collect()
        }
        Shape::Square => {
            let cols = (n as f64).sqrt().ceil().max(1.0) as u32;
            let rows = n.div_ceil(cols);
            (0..n)
                .map(|i| {
                    let (c, r) = (i % cols, i / cols);
                    (
                        ((c as f64 + 0.5) / cols as f64 - 0.5) * size_m,
                        ((r as f64 + 0.5) / rows as f64 - 0.5) * size_m,
                    )
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_points_stay_inside_and_spread() {
        for shape in [Shape::Disc, Shape::Square] {
            let pts = even_points(shape, 1000.0, 37);
            assert_eq!(pts.len(), 37);
            for &(x, y) in &pts {
                match shape {
                    Shape::Disc => assert!(x.hypot(y) <= 1000.0),
                    Shape::Square => assert!(x.abs() <= 500.0 && y.abs() <= 500.0),
                }
            }
            let closest = pts
                .iter()
                .enumerate()
                .flat_map(|(i, a)| {
                    pts[i + 1..]
                        .iter()
                        .map(move |b| (a.0 - b.0).hypot(a.1 - b.1))
                })
                .fold(f64::MAX, f64::min);
            assert!(closest > 50.0, "{shape:?}: {closest}");
        }
    }
}
