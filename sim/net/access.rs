//! The access network: device groups attach to gateways, gateways to validators.

use super::{Network, millis, regions, transfer};
use crate::engine::{Purpose, Time, draw_u64};
use crate::scenario::Scenario;

pub struct Access {
    /// Validator each gateway reports to.
    pub gateway_validator: Vec<u32>,
    /// One-way delay gateway → validator before transfer time (same-region latency).
    gateway_latency: Vec<Time>,
    backhaul_bps: f64,
}

impl Access {
    /// Places gateways over regions by the validators' node shares and attaches each to a
    /// validator of its region, round-robin; a region without validators falls back to the
    /// nearest region that has some.
    pub fn build(s: &Scenario, net: &Network) -> Self {
        let g = s.gateways.count;
        let regions_n = net.table.names.len();
        let mut by_region: Vec<Vec<u32>> = vec![Vec::new(); regions_n];
        for (v, &r) in net.region.iter().enumerate() {
            by_region[r as usize].push(v as u32);
        }
        let counts = regions::apportion(g, &net.table.node_share);
        let mut gateway_validator = Vec::with_capacity(g as usize);
        let mut gateway_latency = Vec::with_capacity(g as usize);
        for (r, &c) in counts.iter().enumerate() {
            let home = nearest_populated(net, &by_region, r);
            for k in 0..c {
                let list = &by_region[home];
                gateway_validator.push(list[(k as usize) % list.len()]);
                gateway_latency.push(millis(net.table.latency_ms[r][home]));
            }
        }
        Access {
            gateway_validator,
            gateway_latency,
            backhaul_bps: s.gateways.backhaul_bps,
        }
    }

    pub fn gateways(&self) -> u32 {
        self.gateway_validator.len() as u32
    }

    /// Delay of a message of `bytes` from gateway `g` to its validator.
    pub fn backhaul_delay(&self, g: u32, bytes: u64) -> Time {
        self.gateway_latency[g as usize] + transfer(bytes, self.backhaul_bps)
    }

    /// The gateway a device attaches to: uniform, from the device's own stream.
    pub fn gateway_of(&self, seed: u64, device: u32) -> u32 {
        (draw_u64(seed, device as u64, Purpose::Attachment, 0) % self.gateways() as u64) as u32
    }

    /// Validators that receive transactions from at least one gateway, ascending.
    pub fn origins(&self) -> Vec<u32> {
        let mut v = self.gateway_validator.clone();
        v.sort_unstable();
        v.dedup();
        v
    }
}

fn nearest_populated(net: &Network, by_region: &[Vec<u32>], r: usize) -> usize {
    (0..by_region.len())
        .filter(|&q| !by_region[q].is_empty())
        .min_by(|&a, &b| net.table.latency_ms[r][a].total_cmp(&net.table.latency_ms[r][b]))
        .expect("at least one validator exists")
}
