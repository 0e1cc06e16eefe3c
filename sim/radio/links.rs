//! Which gateways hear which device: each device's links, found through the gateways' grid
//! (`grid.rs`) and the bound that skips links out of reach (`reach.rs`).

use super::geometry::Point;
use super::grid::Grid;
use super::reach::{Look, OutOfReach};
use super::{GatewayIds, PathLoss, Powers};
use rayon::prelude::*;

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
/// [`Normal::box_muller`](super::Normal::box_muller) turns into it), and the weakest power
/// worth a link for it, given its strongest candidate (through which ADR sets its SF, and
/// the SF the floor).
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

/// A chunk's links' gateways while the links are found, in device order.
enum PartIds {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl PartIds {
    fn push(&mut self, g: u32) {
        match self {
            PartIds::Narrow(v) => v.push(g as u16),
            PartIds::Wide(v) => v.push(g),
        }
    }

    fn len(&self) -> usize {
        match self {
            PartIds::Narrow(v) => v.len(),
            PartIds::Wide(v) => v.len(),
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            PartIds::Narrow(v) => v.shrink_to_fit(),
            PartIds::Wide(v) => v.shrink_to_fit(),
        }
    }

    /// The gateways of links `at`, widened into `row` where they are kept narrow.
    fn row<'a>(&'a self, at: std::ops::Range<usize>, row: &'a mut Vec<u32>) -> &'a [u32] {
        match self {
            PartIds::Narrow(v) => {
                row.clear();
                row.extend(v[at].iter().map(|&g| g as u32));
                row
            }
            PartIds::Wide(v) => &v[at],
        }
    }
}

/// Steps of the line under which the search of a device's strongest link turns gateways
/// away before any logarithm: the nearest gateway's power rounded down to a whole dB, so
/// that devices share a handful of tables (`OutOfReach`).
const BEST_STEP_DB: f64 = 1.0;

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
        // Every chunk's links are held at once until they are joined, so they are held as
        // compactly as the joined ones: gateways in two bytes where every id fits, powers in
        // their three-byte codes.
        let narrow = gateways.len() <= 1 << 16;
        type Part = (Vec<u32>, PartIds, Powers, Vec<f32>, Vec<f32>, Vec<u32>);
        let parts: Vec<Part> = (0..devices.div_ceil(chunk))
            .into_par_iter()
            .map(|c| {
                let mut counts = Vec::with_capacity(chunk as usize);
                let mut gws = match narrow {
                    true => PartIds::Narrow(Vec::new()),
                    false => PartIds::Wide(Vec::new()),
                };
                let mut rssi = Powers::default();
                let (mut best, mut nearest) = (Vec::new(), Vec::new());
                // Each device's nearest gateway, whose neighbourhood names its links.
                let mut homes = Vec::new();
                let mut near = Vec::new();
                // One per line above the transmit power in use (an SF's floor less a
                // group's power): a handful.
                let mut out_of_reach: Vec<OutOfReach> = Vec::new();
                // The same for the search of the strongest link, one per whole dB of the
                // nearest gateway's power under its line (see `BEST_STEP_DB`).
                let mut best_out_of_reach: Vec<OutOfReach> = Vec::new();
                // The shadowing uniforms the search of the strongest link drew, by gateway
                // (`drawn[slot[g]]`), so that the search above the floor draws each link
                // once.
                let mut slot = vec![u32::MAX; gateways.len()];
                let mut drawn: Vec<(u32, (f64, f64))> = Vec::new();
                let mut kept: Vec<(u32, f32)> = Vec::new();
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
                    // The strongest link: at least the nearest gateway's. The order the
                    // candidates come in does not change the maximum, and a link that cannot
                    // reach the whole dB under the nearest's power cannot beat it.
                    let mut top = look.power(g0, f64::NEG_INFINITY, None).expect("no line");
                    let to_beat = reach(look.tx, top as f64, BEST_SIGMAS).min(far);
                    let line = (top as f64 / BEST_STEP_DB).floor() * BEST_STEP_DB;
                    let best_skip = line.is_finite().then(|| {
                        let above_tx = line - look.tx;
                        let k = best_out_of_reach
                            .iter()
                            .position(|o| o.key == above_tx.to_bits());
                        let k = k.unwrap_or_else(|| {
                            // Far enough for any device whose nearest link is above `line`.
                            let reach_m = reach(look.tx, line, BEST_SIGMAS).min(far);
                            best_out_of_reach.push(OutOfReach::new(above_tx, reach_m, loss));
                            best_out_of_reach.len() - 1
                        });
                        &best_out_of_reach[k]
                    });
                    for &(g, _) in &drawn {
                        slot[g as usize] = u32::MAX;
                    }
                    drawn.clear();
                    index.near(p, to_beat, gateways, &mut near);
                    for &g in &near {
                        let u = look.draw(g);
                        slot[g as usize] = drawn.len() as u32;
                        drawn.push((g, u));
                        if let Some(r) = look.power_drawn(g, u, top as f64, best_skip) {
                            top = top.max(r);
                        }
                    }
                    best.push(top);
                    let floor = (e.floor_dbm)(d, top as f64).max(min_floor_dbm);
                    let floor_reach = reach(look.tx, floor, SIGMAS).min(far);
                    index.near(p, floor_reach, gateways, &mut near);
                    if !near.contains(&g0) {
                        near.push(g0);
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
                    kept.clear();
                    for &g in &near {
                        let u = match slot[g as usize] {
                            u32::MAX => look.draw(g),
                            i => drawn[i as usize].1,
                        };
                        if let Some(r) = look.power_drawn(g, u, floor, skip)
                            && r as f64 >= floor
                        {
                            kept.push((g, r));
                        }
                    }
                    // A row holds its gateways ascending.
                    kept.sort_unstable_by_key(|&(g, _)| g);
                    for &(g, r) in &kept {
                        gws.push(g);
                        rssi.push(r);
                    }
                    counts.push((gws.len() - before) as u32);
                }
                gws.shrink_to_fit();
                rssi.shrink_to_fit();
                (counts, gws, rssi, best, nearest, homes)
            })
            .collect();
        // Exactly the room needed: vectors grown by doubling would hold up to twice the
        // links, and three times while one is copied into the next.
        let total: usize = parts.iter().map(|p| p.1.len()).sum();
        let rows = |visit: &mut dyn FnMut(u32, &[u32])| {
            let mut row = Vec::new();
            for (counts, gws, .., homes) in &parts {
                let mut at = 0;
                for (&n, &home) in counts.iter().zip(homes) {
                    visit(home, gws.row(at..at + n as usize, &mut row));
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
            links.rssi_dbm.append(rssi);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radio::{Normal, even_points, uniform_point};
    use crate::scenario::Shape;

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
}
