//! The radio plan of a run, built once: each LoRaWAN group's compiled parameters, where
//! devices and gateways stand, which gateways hear each device and at what power, and each
//! device's spreading factor (fixed, or chosen by ADR from its strongest link).

use super::distance::DistanceBins;
use crate::engine::{Draws, Purpose, draw_unit};
use crate::radio::{
    Capture, Emitter, GATEWAY_SENSITIVITY_125K, Links, PathLoss, Phy, Point, Region, RxConfig,
    even_points, sensitivity_dbm, uniform_point,
};
use crate::scenario::{InterSf, Placement, Radio, Scenario, Sf};

/// A radio group's compiled parameters.
#[derive(Clone, Debug)]
pub struct GroupRadio {
    pub first: u32,
    pub count: u32,
    pub bandwidth_hz: u32,
    pub cr: u8,
    pub preamble: u16,
    pub duty_cycle: f64,
    pub channels: u8,
    /// Largest application payload for SF7..SF12 at this bandwidth; 0 where the region
    /// has no such data rate.
    pub max_payload: [u32; 6],
    pub region: &'static Region,
    /// Confirmed uplinks, and how many times an unacknowledged frame is repeated.
    pub confirmed: bool,
    pub retransmissions: u8,
}

impl GroupRadio {
    pub fn phy(&self, sf: u8) -> Phy {
        Phy {
            sf,
            bandwidth_hz: self.bandwidth_hz,
            cr: self.cr,
            preamble: self.preamble,
            explicit_header: true,
            crc: true,
        }
    }
}

/// What the shards read: each radio group's parameters and each device's SF.
pub struct AirPlan {
    pub groups: Vec<GroupRadio>,
    /// Scenario group index of each entry of `groups`.
    pub group_index: Vec<usize>,
    /// Spreading factor of each device; 0 for devices without a radio.
    pub sf: Vec<u8>,
    /// Each device's bin of distance to its nearest gateway.
    pub distance: DistanceBins,
    pub(super) links: Links,
    pub(super) rx: RxConfig,
    pub seed: u64,
}

/// The uniforms of the shadowing of link `(d, g)` (Box–Muller turns them into a normal
/// draw): draws `2g` and `2g + 1` of the device's stream, one Philox call, its round keys
/// worked out once for the millions of candidate links.
fn shadow(draws: &Draws, d: u32, g: u32) -> (f64, f64) {
    draws.unit_pair(d as u64, Purpose::Shadowing, g as u64)
}

impl AirPlan {
    /// The radio groups of `s` and their links; `None` when no group has a radio.
    pub fn build(s: &Scenario) -> Option<AirPlan> {
        let area = s.area.as_ref()?;
        let mut groups = Vec::new();
        let mut group_index = Vec::new();
        let mut first = 0u32;
        let mut radio_of = Vec::new();
        for (i, g) in s.devices.iter().enumerate() {
            if let Some(Radio::Lorawan(l)) = &g.radio {
                let region = Region::by_name(&l.region).expect("validated region");
                let bw = l.bandwidth_khz * 1000;
                let mut max_payload = [0; 6];
                for (k, m) in max_payload.iter_mut().enumerate() {
                    *m = region
                        .data_rate(7 + k as u8, bw)
                        .map_or(0, |dr| region.data_rates[dr as usize].max_app_payload);
                }
                let band = region
                    .sub_band(region.channels_mhz[0])
                    .expect("channels in a band");
                groups.push(GroupRadio {
                    first,
                    count: g.count as u32,
                    bandwidth_hz: bw,
                    cr: l.coding_rate.as_bytes()[2] - b'4',
                    preamble: l.preamble as u16,
                    duty_cycle: l.duty_cycle.unwrap_or(region.sub_bands[band].duty_cycle),
                    channels: region.channels_mhz.len() as u8,
                    max_payload,
                    region,
                    confirmed: l.confirmed,
                    retransmissions: l.retransmissions as u8,
                });
                group_index.push(i);
                radio_of.push((first, g.count as u32, l, g.wire_bytes()));
            }
            first += g.count as u32;
        }
        if groups.is_empty() {
            return None;
        }
        let devices = first;
        let n = s.gateways.count as u32;
        let gateways: Vec<Point> = match area.gateways {
            Placement::Grid => even_points(area.shape, area.size_m, n),
            Placement::Listed => area
                .gateway_coordinates
                .iter()
                .map(|&[x, y]| (x, y))
                .collect(),
            Placement::Random => (0..n)
                .map(|g| {
                    let u = |i| draw_unit(s.seed, g as u64, Purpose::GatewayPosition, i);
                    uniform_point(area.shape, area.size_m, u(0), u(1))
                })
                .collect(),
        };
        let loss = path_loss(area);
        let find = |d: u32| {
            let i = radio_of.partition_point(|r| r.0 + r.1 <= d);
            radio_of.get(i).filter(|r| r.0 <= d).map(|_| i)
        };
        let position = |d: u32| {
            find(d).map(|_| {
                let u = |i| draw_unit(s.seed, d as u64, Purpose::DevicePosition, i);
                uniform_point(area.shape, area.size_m, u(0), u(1))
            })
        };
        let power = |d: u32| find(d).map_or(0.0, |k| radio_of[k].2.tx_power_dbm);
        let draws = Draws::new(s.seed);
        let shadowing = |d: u32, g: u32| shadow(&draws, d, g);
        let max_tx = radio_of
            .iter()
            .map(|r| r.2.tx_power_dbm)
            .fold(f64::MIN, f64::max);
        let rx = rx_config(area);
        // A device's SF from its strongest link (ADR) or its group; the SF sets the floor
        // under which its links cannot change an outcome (`RxConfig::floor_dbm`).
        let sf_of = |d: u32, best_dbm: f64| {
            let Some(k) = find(d) else { return 0 };
            let (_, _, l, tx_bytes) = radio_of[k];
            match l.sf {
                Sf::Fixed(v) => v as u8,
                Sf::Mode(_) => adr(&groups[k], tx_bytes, best_dbm, l.adr_margin_db),
            }
        };
        let floor = |d: u32, best_dbm: f64| {
            let bw = find(d).map_or(125_000, |k| groups[k].bandwidth_hz);
            rx.floor_dbm(sf_of(d, best_dbm), bw)
        };
        let min_floor = min_floor(&rx, groups.iter().map(|g| g.bandwidth_hz));
        let emitter = Emitter {
            position: &position,
            tx_power_dbm: &power,
            shadowing: &shadowing,
            floor_dbm: &floor,
        };
        let mut links = Links::build(devices, &gateways, &loss, max_tx, min_floor, &emitter);
        // Read once, for the SFs: not kept for the run.
        let best = std::mem::take(&mut links.best_dbm);
        let sf = (0..devices)
            .map(|d| sf_of(d, best[d as usize] as f64))
            .collect();
        drop(best);
        let nearest = std::mem::take(&mut links.nearest_m);
        let distance = DistanceBins::new(&nearest, groups.len(), |d| group_at(&groups, d));
        drop(nearest);
        Some(AirPlan {
            groups,
            group_index,
            sf,
            distance,
            links,
            rx,
            seed: s.seed,
        })
    }

    /// Links kept per radio device.
    pub fn links_per_device(&self) -> f64 {
        let on_radio: u64 = self.groups.iter().map(|g| g.count as u64).sum();
        self.links.per_device(on_radio)
    }

    /// Demodulator paths per gateway.
    pub fn demodulators(&self) -> u32 {
        self.rx.paths
    }

    /// The radio group holding device `d`, by its position in `groups`.
    pub fn group_of(&self, d: u32) -> Option<usize> {
        group_at(&self.groups, d)
    }
}

/// The entry of `groups` holding device `d`.
fn group_at(groups: &[GroupRadio], d: u32) -> Option<usize> {
    let i = groups.partition_point(|g| g.first + g.count <= d);
    (i < groups.len() && groups[i].first <= d).then_some(i)
}

fn path_loss(area: &crate::scenario::Area) -> PathLoss {
    let pl = &area.path_loss;
    PathLoss {
        exponent: pl.exponent,
        reference_loss_db: pl.reference_loss_db,
        reference_m: pl.reference_m,
        shadowing_db: pl.shadowing_db,
    }
}

fn rx_config(area: &crate::scenario::Area) -> RxConfig {
    let mut capture = match area.inter_sf {
        InterSf::Orthogonal => Capture::orthogonal(area.capture_db),
        InterSf::Goursaud => Capture::goursaud(),
    };
    for (i, row) in capture.db.iter_mut().enumerate() {
        row[i] = area.capture_db;
    }
    RxConfig {
        paths: area.demodulators,
        sensitivity_dbm: GATEWAY_SENSITIVITY_125K,
        capture,
    }
}

/// The lowest power at which a frame of any SF at these bandwidths can matter at a gateway.
fn min_floor(rx: &RxConfig, bandwidths: impl Iterator<Item = u32>) -> f64 {
    bandwidths
        .flat_map(|bw| (7..=12u8).map(move |sf| rx.floor_dbm(sf, bw)))
        .fold(f64::INFINITY, f64::min)
}

/// ADR: the lowest SF whose payload limit holds a reading and whose margin at the best
/// gateway clears `margin_db`; failing that the slowest SF that holds a reading.
fn adr(g: &GroupRadio, tx_bytes: u32, best_rssi: f64, margin_db: f64) -> u8 {
    let fits = |sf: u8| g.max_payload[(sf - 7) as usize] >= tx_bytes;
    (7..=12u8)
        .filter(|&sf| fits(sf))
        .find(|&sf| {
            best_rssi - sensitivity_dbm(&GATEWAY_SENSITIVITY_125K, sf, g.bandwidth_hz) >= margin_db
        })
        .or_else(|| (7..=12u8).rev().find(|&sf| fits(sf)))
        .expect("validation keeps a reading within some data rate")
}
