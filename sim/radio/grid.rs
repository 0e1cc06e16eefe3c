//! The gateways' grid: which gateways lie within a reach of a point, and the nearest one.

use super::geometry::Point;

/// Gateways bucketed into square cells of about four gateways each, so a device looks at
/// the cells its own reach covers.
pub(super) struct Grid {
    origin: Point,
    cell: f64,
    cols: usize,
    rows: usize,
    start: Vec<u32>,
    ids: Vec<u32>,
}

impl Grid {
    pub(super) fn new(points: &[Point]) -> Self {
        let (lo, hi) = Self::bounds(points);
        let extent = (hi.0 - lo.0).max(hi.1 - lo.1).max(1.0);
        // At most 1024 cells a side.
        let per_side = (points.len() as f64 / 4.0).sqrt().clamp(1.0, 1024.0);
        Self::with_cell(points, extent / per_side)
    }

    fn bounds(points: &[Point]) -> (Point, Point) {
        let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for &(x, y) in points {
            lo = (lo.0.min(x), lo.1.min(y));
            hi = (hi.0.max(x), hi.1.max(y));
        }
        if points.is_empty() {
            (lo, hi) = ((0.0, 0.0), (0.0, 0.0));
        }
        (lo, hi)
    }

    fn with_cell(points: &[Point], cell: f64) -> Self {
        let (lo, hi) = Self::bounds(points);
        let cell = cell.max(1.0);
        let cols = ((hi.0 - lo.0) / cell) as usize + 1;
        let rows = ((hi.1 - lo.1) / cell) as usize + 1;
        let mut grid = Grid {
            origin: lo,
            cell,
            cols,
            rows,
            start: vec![0; cols * rows + 1],
            ids: vec![0; points.len()],
        };
        for &p in points {
            let c = grid.cell_of(p);
            grid.start[c + 1] += 1;
        }
        for i in 1..grid.start.len() {
            grid.start[i] += grid.start[i - 1];
        }
        let mut fill = grid.start.clone();
        for (g, &p) in points.iter().enumerate() {
            let c = grid.cell_of(p);
            grid.ids[fill[c] as usize] = g as u32;
            fill[c] += 1;
        }
        grid
    }

    fn coords(&self, p: Point) -> (i64, i64) {
        (
            ((p.0 - self.origin.0) / self.cell).floor() as i64,
            ((p.1 - self.origin.1) / self.cell).floor() as i64,
        )
    }

    fn cell_of(&self, p: Point) -> usize {
        let (cx, cy) = self.coords(p);
        cy.clamp(0, self.rows as i64 - 1) as usize * self.cols
            + cx.clamp(0, self.cols as i64 - 1) as usize
    }

    /// Gateways within `reach` of `p`, cell by cell (not sorted: a caller sorts what it keeps).
    pub(super) fn near(&self, p: Point, reach: f64, points: &[Point], out: &mut Vec<u32>) {
        out.clear();
        // Coordinates saturate for an unbounded reach; the clamps keep them on the grid.
        let (x0, y0) = self.coords((p.0 - reach, p.1 - reach));
        let (x1, y1) = self.coords((p.0 + reach, p.1 + reach));
        let (cols, rows) = (self.cols as i64 - 1, self.rows as i64 - 1);
        for y in y0.clamp(0, rows)..=y1.clamp(0, rows) {
            for x in x0.clamp(0, cols)..=x1.clamp(0, cols) {
                let c = y as usize * self.cols + x as usize;
                for &g in &self.ids[self.start[c] as usize..self.start[c + 1] as usize] {
                    let (gx, gy) = points[g as usize];
                    if ((gx - p.0).powi(2) + (gy - p.1).powi(2)).sqrt() <= reach {
                        out.push(g);
                    }
                }
            }
        }
    }

    /// The nearest of `points` to `p` (the lowest id among equals; `None` when there are
    /// none): rings of cells around `p`'s cell, outwards, until no unvisited cell can hold a
    /// nearer point.
    pub(super) fn nearest(&self, p: Point, points: &[Point]) -> Option<u32> {
        let (cx, cy) = self.coords(p);
        let (cols, rows) = (self.cols as i64, self.rows as i64);
        // Past this ring every cell of the grid has been seen.
        let last = cx
            .abs()
            .max((cx - cols).abs())
            .max(cy.abs())
            .max((cy - rows).abs());
        let mut best: Option<(f64, u32)> = None;
        for k in 0..=last {
            let mut visit = |x: i64, y: i64| {
                let c = y as usize * self.cols + x as usize;
                for &g in &self.ids[self.start[c] as usize..self.start[c + 1] as usize] {
                    let (gx, gy) = points[g as usize];
                    let dist = ((gx - p.0).powi(2) + (gy - p.1).powi(2)).sqrt();
                    if best.is_none_or(|b| (dist, g) < b) {
                        best = Some((dist, g));
                    }
                }
            };
            let xs = (cx - k).max(0)..=(cx + k).min(cols - 1);
            for y in (cy - k).max(0)..=(cy + k).min(rows - 1) {
                if y == cy - k || y == cy + k {
                    xs.clone().for_each(|x| visit(x, y));
                } else {
                    for x in [cx - k, cx + k] {
                        if (0..cols).contains(&x) {
                            visit(x, y);
                        }
                    }
                }
            }
            // Cells beyond ring k lie at least k cells from `p`.
            if best.is_some_and(|b| b.0 < k as f64 * self.cell) {
                break;
            }
        }
        best.map(|b| b.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radio::even_points;
    use crate::scenario::Shape;

    // Gateways bunched in two corners of a 20 km square, cells far narrower than the gaps,
    // and places inside, between and outside them: the ring search finds the gateway a scan
    // of all of them finds.
    #[test]
    fn nearest_gateway_matches_a_full_scan() {
        let mut gws = even_points(Shape::Square, 1_000.0, 30);
        gws.extend(
            even_points(Shape::Disc, 500.0, 7)
                .into_iter()
                .map(|(x, y)| (x + 9_000.0, y - 9_000.0)),
        );
        let grid = Grid::with_cell(&gws, 40.0);
        assert!(grid.cols > 100, "{}", grid.cols);
        for i in 0..400u32 {
            let u = |k: u32| ((i * k) % 400) as f64 / 400.0;
            let p = ((u(7) - 0.3) * 30_000.0, (u(13) - 0.7) * 30_000.0);
            let scan = gws
                .iter()
                .map(|g| (g.0 - p.0).hypot(g.1 - p.1))
                .fold(f64::INFINITY, f64::min);
            let g = grid.nearest(p, &gws).expect("gateways") as usize;
            assert_eq!((gws[g].0 - p.0).hypot(gws[g].1 - p.1), scan, "{p:?}");
        }
        assert_eq!(Grid::new(&[]).nearest((1.0, 2.0), &[]), None);
    }
}
