//! Where devices and gateways stand, and which gateways hear which device.

use super::{GatewayIds, Normal, PathLoss, Powers};
use crate::scenario::Shape;
use rayon::prelude::*;

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

/// Every device's audible gateways, by ascending gateway id, with the power a gateway
/// receives from it: compressed rows, `gateways[offsets[d]..offsets[d + 1]]`.
#[derive(Clone, Debug, Default)]
pub struct Links {
    pub offsets: Vec<u32>,
    pub gateways: GatewayIds,
    pub rssi_dbm: Powers,
    /// Each device's strongest candidate link, kept or not (−∞ when no gateway is within
    /// search reach): what ADR reads, and what the device's own floor was chosen from.
    pub best_dbm: Vec<f32>,
    /// Each device's distance to the nearest gateway, in metres, heard or not (∞ for
    /// devices without a position, or when there is no gateway).
    pub nearest_m: Vec<f32>,
}

/// What a device's links need: its position, transmit power, the shadowing of its link to
/// a gateway (a standard normal draw per pair, given as the two uniforms in (0, 1) that
/// [`Normal::box_muller`] turns into it), and the weakest power worth a link for it, given
/// its strongest candidate (through which ADR sets its SF, and the SF the floor).
pub struct Emitter<'a> {
    pub position: &'a (dyn Fn(u32) -> Option<Point> + Sync),
    pub tx_power_dbm: &'a (dyn Fn(u32) -> f64 + Sync),
    pub shadowing: &'a (dyn Fn(u32, u32) -> (f64, f64) + Sync),
    pub floor_dbm: &'a (dyn Fn(u32, f64) -> f64 + Sync),
}

/// Shadowing beyond this many standard deviations is left out when finding the gateways
/// that may clear a device's floor (a link that strong is rarer than 1 in 30,000).
const SIGMAS: f64 = 4.0;

/// The same for finding a device's strongest link, which sets its SF: a gateway whose
/// mean power is this many standard deviations under what the nearest gateway gives is not
/// looked at (one in a billion would have been the strongest).
const BEST_SIGMAS: f64 = 6.0;

/// Slack on the cheap bound of a link's power (shadowing at most the draw's radius) against
/// the rounding of the exact value, which is kept as an `f32` (under 10⁻⁵ dB off).
const BOUND_SLACK_DB: f64 = 1e-3;

/// One device's look at its gateways: the exact received power only where the bound
/// (shadowing no stronger than the draw's radius) can pass the line asked for.
struct Look<'a, 'e> {
    d: u32,
    p: Point,
    tx: f64,
    loss: &'a PathLoss,
    gateways: &'a [Point],
    e: &'a Emitter<'e>,
}

impl Look<'_, '_> {
    fn squared(&self, g: u32) -> f64 {
        let (x, y) = self.gateways[g as usize];
        (x - self.p.0).powi(2) + (y - self.p.1).powi(2)
    }

    fn dist(&self, g: u32) -> f64 {
        self.squared(g).sqrt()
    }

    /// Gateway `g`'s received power if it can reach `line`, else `None`; `out_of_reach`, made
    /// for `line − tx`, turns most links away before any logarithm is taken.
    fn power(&self, g: u32, line: f64, out_of_reach: Option<&OutOfReach>) -> Option<f32> {
        let s = self.squared(g);
        let (u1, u2) = (self.e.shadowing)(self.d, g);
        if out_of_reach.is_some_and(|o| o.holds(s, u1)) {
            return None;
        }
        let mean = self.tx - self.loss.mean_db(s.sqrt());
        let z = Normal::box_muller(u1, u2);
        if mean + self.loss.shadowing_db * z.radius + BOUND_SLACK_DB < line {
            return None;
        }
        Some((mean - self.loss.shadowing_db * z.value()) as f32)
    }
}

/// Bins of squared distance by the top bits of its `f64` pattern (which grows with the
/// value): 2^6 bins per doubling, a distance range of under 0.8 % each.
const BIN_SHIFT: u32 = 52 - 6;

/// For links whose power must reach `tx + line_above_tx_db`: in each bin of squared
/// distance, the largest first uniform `u1` of a shadowing draw whose bound (the
/// [`Look::power`] test, shadowing at most the radius √(−2 ln u1)) can still reach the line
/// at the bin's nearest distance. A link with a larger `u1` has a smaller radius than it
/// would need even there, so its power is under the line by more than [`BOUND_SLACK_DB`]
/// and the exact test would turn it away too: skipping it changes no link. One `exp` per
/// bin instead of a `log10` and an `ln` per link.
struct OutOfReach {
    key: u64,
    first: u64,
    max_u1: Vec<f64>,
}

impl OutOfReach {
    fn new(line_above_tx_db: f64, reach_m: f64, loss: &PathLoss) -> Self {
        // Within the reference distance the mean loss does not change: never skipped there.
        let first = (loss.reference_m * loss.reference_m).to_bits() >> BIN_SHIFT;
        let last = (reach_m * reach_m).to_bits() >> BIN_SHIFT;
        let max_u1 = (first..=last.max(first))
            .map(|bin| {
                let nearest = f64::from_bits(bin << BIN_SHIFT).sqrt();
                // Sigmas of shadowing the bound needs at that distance, less a margin far
                // above the rounding of this sum, the square root and the logarithm.
                let need = (line_above_tx_db + loss.mean_db(nearest) - BOUND_SLACK_DB)
                    / loss.shadowing_db
                    - 1e-6;
                if need > 0.0 {
                    (-need * need / 2.0).exp()
                } else {
                    f64::INFINITY
                }
            })
            .collect();
        OutOfReach {
            key: line_above_tx_db.to_bits(),
            first,
            max_u1,
        }
    }

    /// A link at squared distance `s` whose draw starts with `u1` cannot reach the line.
    fn holds(&self, s: f64, u1: f64) -> bool {
        let bin = (s.to_bits() >> BIN_SHIFT).wrapping_sub(self.first);
        self.max_u1.get(bin as usize).is_some_and(|&m| u1 > m)
    }
}

impl Links {
    pub fn of(&self, d: u32) -> std::ops::Range<usize> {
        self.offsets[d as usize] as usize..self.offsets[d as usize + 1] as usize
    }

    /// Received power of device `d` at gateway `g`, which must be one of its links.
    pub fn rssi_at(&self, d: u32, g: u32) -> f32 {
        let k = self
            .of(d)
            .find(|&k| self.gateways.get(d, k) == g)
            .expect("a link of the device");
        self.rssi_dbm.get(k)
    }

    /// Links of devices `0..devices` to `gateways` whose received power is at least the
    /// device's `e.floor_dbm`, never lower than `min_floor_dbm`, which sets the farthest any
    /// device looks. Devices without a position (not on the radio) get none.
    ///
    /// Each device looks as far as its own floor needs: it first finds its strongest link
    /// among the gateways that could beat the nearest one (within [`BEST_SIGMAS`]), which
    /// sets its floor, then keeps every gateway above that floor among those whose mean
    /// power is within [`SIGMAS`] of it. A gateway beyond that reach would need shadowing
    /// more than 4σ strong to clear the floor; one that did would arrive at the floor, the
    /// power that stays [`crate::radio::FLOOR_HEADROOM_DB`] under any effect on a frame.
    pub fn build(
        devices: u32,
        gateways: &[Point],
        loss: &PathLoss,
        max_tx_dbm: f64,
        min_floor_dbm: f64,
        e: &Emitter,
    ) -> Links {
        let sigma_db = loss.shadowing_db;
        // Distance at which the mean power from `tx` falls `sigmas` standard deviations
        // under `line`; an unbounded line (no capture: any overlap destroys) means everywhere.
        let reach = |tx: f64, line: f64, sigmas: f64| {
            if line.is_finite() {
                loss.range_m(tx - line + sigmas * sigma_db)
            } else {
                f64::INFINITY
            }
        };
        let far = reach(max_tx_dbm, min_floor_dbm, SIGMAS);
        let index = Grid::new(gateways);
        let chunk = 1 << 14;
        type Part = (Vec<u32>, Vec<u32>, Vec<f32>, Vec<f32>, Vec<f32>, Vec<u32>);
        let parts: Vec<Part> = (0..devices.div_ceil(chunk))
            .into_par_iter()
            .map(|c| {
                let (mut counts, mut gws, mut rssi) = (Vec::new(), Vec::new(), Vec::new());
                let (mut best, mut nearest) = (Vec::new(), Vec::new());
                // Each device's nearest gateway, whose neighbourhood names its links.
                let mut homes = Vec::new();
                let mut near = Vec::new();
                // One per line above the transmit power in use (an SF's floor less a
                // group's power): a handful.
                let mut out_of_reach: Vec<OutOfReach> = Vec::new();
                for d in c * chunk..((c + 1) * chunk).min(devices) {
                    let before = gws.len();
                    homes.push(u32::MAX);
                    let Some(p) = (e.position)(d) else {
                        nearest.push(f32::INFINITY);
                        best.push(f32::NEG_INFINITY);
                        counts.push(0);
                        continue;
                    };
                    let look = Look {
                        d,
                        p,
                        tx: (e.tx_power_dbm)(d),
                        loss,
                        gateways,
                        e,
                    };
                    let Some(g0) = index.nearest(p, gateways) else {
                        nearest.push(f32::INFINITY);
                        best.push(f32::NEG_INFINITY);
                        counts.push(0);
                        continue;
                    };
                    let d0 = look.dist(g0);
                    nearest.push(d0 as f32);
                    *homes.last_mut().expect("pushed") = g0;
                    if d0 > far {
                        best.push(f32::NEG_INFINITY);
                        counts.push(0);
                        continue;
                    }
                    // The strongest link: at least the nearest gateway's.
                    let mut top = look.power(g0, f64::NEG_INFINITY, None).expect("no line");
                    let to_beat = reach(look.tx, top as f64, BEST_SIGMAS).min(far);
                    index.near(p, to_beat, gateways, &mut near);
                    for &g in &near {
                        if let Some(r) = look.power(g, top as f64, None) {
                            top = top.max(r);
                        }
                    }
                    best.push(top);
                    let floor = (e.floor_dbm)(d, top as f64).max(min_floor_dbm);
                    let floor_reach = reach(look.tx, floor, SIGMAS).min(far);
                    index.near(p, floor_reach, gateways, &mut near);
                    if let Err(at) = near.binary_search(&g0) {
                        near.insert(at, g0);
                    }
                    // An unbounded line (no capture) keeps every link: nothing to skip.
                    let above_tx = floor - look.tx;
                    let skip = if above_tx.is_finite() && floor_reach.is_finite() {
                        let k = out_of_reach
                            .iter()
                            .position(|o| o.key == above_tx.to_bits());
                        let k = k.unwrap_or_else(|| {
                            let (tx, sigma) = (look.tx, sigma_db);
                            // Far enough for any device with this line and power.
                            let reach_m = loss.range_m(tx - floor + SIGMAS * sigma).min(far);
                            out_of_reach.push(OutOfReach::new(above_tx, reach_m, loss));
                            out_of_reach.len() - 1
                        });
                        Some(&out_of_reach[k])
                    } else {
                        None
                    };
                    for &g in &near {
                        if let Some(r) = look.power(g, floor, skip)
                            && r as f64 >= floor
                        {
                            gws.push(g);
                            rssi.push(r);
                        }
                    }
                    counts.push((gws.len() - before) as u32);
                }
                (counts, gws, rssi, best, nearest, homes)
            })
            .collect();
        // Exactly the room needed: vectors grown by doubling would hold up to twice the
        // links, and three times while one is copied into the next.
        let total: usize = parts.iter().map(|p| p.1.len()).sum();
        let rows = |visit: &mut dyn FnMut(u32, &[u32])| {
            for (counts, gws, .., homes) in &parts {
                let mut at = 0;
                for (&n, &home) in counts.iter().zip(homes) {
                    visit(home, &gws[at..at + n as usize]);
                    at += n as usize;
                }
            }
        };
        let ids = GatewayIds::build(gateways.len(), devices as usize, total, &rows);
        let mut links = Links {
            offsets: Vec::with_capacity(devices as usize + 1),
            gateways: ids,
            rssi_dbm: Powers::with_capacity(total),
            best_dbm: Vec::with_capacity(devices as usize),
            nearest_m: Vec::with_capacity(devices as usize),
        };
        links.offsets.push(0);
        for (counts, _, rssi, best, nearest, _) in parts {
            let mut at = *links.offsets.last().expect("starts with 0");
            for n in counts {
                at += n;
                links.offsets.push(at);
            }
            links.rssi_dbm.extend(rssi);
            links.best_dbm.extend(best);
            links.nearest_m.extend(nearest);
        }
        links
    }

    /// Mean links per device among `devices` (those on the radio).
    pub fn per_device(&self, devices: u64) -> f64 {
        self.gateways.len() as f64 / devices.max(1) as f64
    }
}

/// Gateways bucketed into square cells of about four gateways each, so a device looks at
/// the cells its own reach covers.
struct Grid {
    origin: Point,
    cell: f64,
    cols: usize,
    rows: usize,
    start: Vec<u32>,
    ids: Vec<u32>,
}

impl Grid {
    fn new(points: &[Point]) -> Self {
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

    /// Gateways within `reach` of `p`, ascending.
    fn near(&self, p: Point, reach: f64, points: &[Point], out: &mut Vec<u32>) {
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
        out.sort_unstable();
    }

    /// The nearest of `points` to `p` (the lowest id among equals; `None` when there are
    /// none): rings of cells around `p`'s cell, outwards, until no unvisited cell can hold a
    /// nearer point.
    fn nearest(&self, p: Point, points: &[Point]) -> Option<u32> {
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

    // The grid finds exactly the gateways a scan of all of them finds, each device with its
    // own floor chosen from its strongest candidate.
    #[test]
    fn links_match_a_full_scan() {
        let gws = even_points(Shape::Square, 20_000.0, 50);
        let pos = |d: u32| {
            Some(uniform_point(
                Shape::Square,
                20_000.0,
                (d as f64 + 0.5) / 300.0,
                ((d * 7) % 300) as f64 / 300.0 + 0.001,
            ))
        };
        let loss = PathLoss::URBAN;
        let floor = |d: u32, best: f64| {
            if d.is_multiple_of(2) {
                -152.5
            } else {
                (best - 15.0).max(-146.0)
            }
        };
        let e = Emitter {
            position: &pos,
            tx_power_dbm: &|_| 14.0,
            shadowing: &|d, g| {
                let u = |k: u32| (k % 13) as f64 / 13.0 + 0.5 / 13.0;
                (u(d * 31 + g * 17), u(d * 7 + g))
            },
            floor_dbm: &floor,
        };
        let links = Links::build(300, &gws, &loss, 14.0, -152.5, &e);
        let mut pruned = 0;
        for d in 0..300u32 {
            let p = pos(d).unwrap();
            let all: Vec<(u32, f32)> = (0..50u32)
                .map(|g| {
                    let (x, y) = gws[g as usize];
                    let r = 14.0
                        - loss.mean_db((x - p.0).hypot(y - p.1))
                        - loss.shadowing_db * shadow(&e, d, g);
                    (g, r as f32)
                })
                .collect();
            let best = all.iter().map(|a| a.1).fold(f32::NEG_INFINITY, f32::max);
            let f = floor(d, best as f64).max(-152.5);
            let want: Vec<u32> = all
                .iter()
                .filter(|a| a.1 as f64 >= f)
                .map(|a| a.0)
                .collect();
            pruned += all.iter().filter(|a| a.1 as f64 >= -152.5).count() - want.len();
            assert_eq!(links.gateways.row(d, links.of(d)), want, "device {d}");
            assert_eq!(links.best_dbm[d as usize], best, "device {d}");
            let nearest = (0..50usize)
                .map(|g| (gws[g].0 - p.0).hypot(gws[g].1 - p.1))
                .fold(f64::INFINITY, f64::min);
            assert_eq!(links.nearest_m[d as usize], nearest as f32, "device {d}");
        }
        assert!(links.gateways.len() > 300 && pruned > 100, "{pruned}");
    }

    fn shadow(e: &Emitter, d: u32, g: u32) -> f64 {
        let (u1, u2) = (e.shadowing)(d, g);
        Normal::box_muller(u1, u2).value()
    }

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
