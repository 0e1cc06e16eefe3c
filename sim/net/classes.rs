//! Node classes (`network.classes`): which validators belong to which class, where they are,
//! and the links they share.
//!
//! Classes take contiguous ids in list order, so "the first k validators" (Nakamoto's
//! `miners`) is the first classes; within a class, regions are interleaved over its ids with a
//! seeded shuffle as they are over all ids without classes. A *link group* is a class within
//! a region: its members have the same latencies, bandwidths and processing time, so a
//! message from any sender reaches every member of a group at the same time (without
//! jitter) and a broadcast keeps one delivery time per group.

use super::regions::{self, RegionTable};
use crate::engine::{Purpose, Time, from_secs, stream};
use crate::scenario::{Network, NodeClass, OutboundModel, Topology};
use rand::RngExt;

/// What the members of one link group share.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkGroup {
    pub region: u16,
    pub upload_bps: f64,
    pub download_bps: f64,
    /// Processing of each message at the receiver.
    pub processing: Time,
}

/// Where each validator is and which link group it is in.
pub struct Placement {
    pub region: Vec<u16>,
    pub class: Vec<u16>,
    pub group: Vec<u16>,
    pub links: Vec<LinkGroup>,
    /// Whether each class forwards blocks it did not mine.
    pub relays: Vec<bool>,
}

/// Places `n` validators over the table's regions, class by class.
pub fn place(network: &Network, table: &RegionTable, n: u32, seed: u64) -> Placement {
    let processing = from_secs(network.processing_ms / 1e3);
    let regions = table.names.len();
    let mut rng = stream(seed, 0, Purpose::Placement);
    if network.classes.is_empty() {
        let region = spread(n as u64, &table.node_share, &mut rng);
        let links = (0..regions)
            .map(|r| LinkGroup {
                region: r as u16,
                upload_bps: table.upload_bps[r],
                download_bps: table.download_bps[r],
                processing,
            })
            .collect();
        return Placement {
            group: region.clone(),
            class: vec![0; n as usize],
            region,
            links,
            relays: vec![true],
        };
    }
    let counts = network.class_counts(n as u64);
    let mut p = Placement {
        region: Vec::with_capacity(n as usize),
        class: Vec::with_capacity(n as usize),
        group: Vec::with_capacity(n as usize),
        links: Vec::with_capacity(network.classes.len() * regions),
        relays: network.classes.iter().map(|c| c.relay).collect(),
    };
    for (c, (class, &count)) in network.classes.iter().zip(&counts).enumerate() {
        let shares = region_shares(class, table);
        let region = spread(count, &shares, &mut rng);
        let base = (c * regions) as u16;
        p.group.extend(region.iter().map(|&r| base + r));
        p.region.extend(region);
        p.class
            .extend(std::iter::repeat_n(c as u16, count as usize));
        for r in 0..regions {
            p.links.push(LinkGroup {
                region: r as u16,
                upload_bps: class.upload_bps.unwrap_or(table.upload_bps[r]),
                download_bps: class.download_bps.unwrap_or(table.download_bps[r]),
                processing: class
                    .processing_ms
                    .map_or(processing, |ms| from_secs(ms / 1e3)),
            });
        }
    }
    p
}

/// The class's share of its validators in each region of the table, in table order.
fn region_shares(class: &NodeClass, table: &RegionTable) -> Vec<f64> {
    if class.regions.is_empty() {
        return table.node_share.clone();
    }
    table
        .names
        .iter()
        .map(|name| class.regions.get(name).copied().unwrap_or(0.0))
        .collect()
}

/// Region of each of `n` validators: counts by largest remainder, then a shuffle over ids so
/// that "the first k" is not "the first region's".
fn spread(n: u64, shares: &[f64], rng: &mut rand_chacha::ChaCha8Rng) -> Vec<u16> {
    let counts = regions::apportion(n, shares);
    let mut region: Vec<u16> = Vec::with_capacity(n as usize);
    for (r, c) in counts.iter().enumerate() {
        region.extend(std::iter::repeat_n(r as u16, *c as usize));
    }
    for i in (1..region.len()).rev() {
        let j = rng.random_range(0..=i);
        region.swap(i, j);
    }
    region
}

/// A class's outbound rule and inbound limit: its own where it sets one, else the
/// topology's (`outbound` alone means a fixed count).
pub fn class_rule(class: &NodeClass, topology: &Topology) -> (super::topology::Degrees, u32) {
    use super::topology::Degrees;
    let Topology::Random {
        outbound,
        max_inbound,
        outbound_model,
        outbound_weights,
        ..
    } = topology
    else {
        return (Degrees::Fixed(0), 0);
    };
    let degrees = match (class.outbound_model, class.outbound) {
        (Some(model), k) => Degrees::of(model, k.unwrap_or(*outbound), &class.outbound_weights),
        (None, Some(k)) => Degrees::of(OutboundModel::Fixed, k, &[]),
        (None, None) => Degrees::of(*outbound_model, *outbound, outbound_weights),
    };
    (degrees, class.max_inbound.unwrap_or(*max_inbound))
}
