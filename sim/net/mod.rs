//! The validators' network: regions, latency and bandwidth, the peer graph, and the access
//! path devices → gateways → validators.

mod access;
pub mod classes;
pub mod link;
mod paths;
pub mod regions;
pub mod topology;

pub use access::Access;
pub use classes::LinkGroup;
pub use link::Uplinks;
pub use paths::Reach;
pub use regions::RegionTable;
pub use topology::Adjacency;

use crate::engine::{NS_PER_MS, NS_PER_S, Time, from_secs};
use crate::scenario::{self, Jitter, Latency, Scenario};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Validators, where they are and how they are connected.
pub struct Network {
    pub table: RegionTable,
    /// Region index of each validator.
    pub region: Vec<u16>,
    /// Class index of each validator (all 0 without `network.classes`).
    pub class: Vec<u16>,
    /// Link group of each validator: its class within its region (see `classes`).
    pub group: Vec<u16>,
    /// What the members of each link group share.
    pub links: Vec<LinkGroup>,
    /// Whether each class forwards blocks it did not mine.
    relays: Vec<bool>,
    pub adjacency: Adjacency,
    pub jitter: Jitter,
}

impl Network {
    pub fn build(s: &Scenario) -> Self {
        let n = s.validators.count as u32;
        let table = match &s.network.latency {
            Latency::Simblock2019 => regions::simblock_2019(),
            Latency::Simblock2015 => regions::simblock_2015(),
            Latency::Constant {
                one_way_ms,
                bandwidth_bps,
            } => regions::constant(*one_way_ms, *bandwidth_bps),
            Latency::Table { regions: rows, .. } => regions::from_rows(rows),
        };
        let placed = classes::place(&s.network, &table, n, s.seed);
        let adjacency = match &s.network.topology {
            t @ scenario::Topology::Random { outbound, .. } if !s.network.classes.is_empty() => {
                let (degrees, max_inbound): (Vec<_>, Vec<_>) = s
                    .network
                    .classes
                    .iter()
                    .map(|c| classes::class_rule(c, t))
                    .unzip();
                let rules = topology::Rules {
                    degrees: &degrees,
                    max_inbound: &max_inbound,
                    rule: &placed.class,
                };
                topology::random_by(n, &rules, *outbound, s.seed)
            }
            scenario::Topology::Random {
                outbound,
                max_inbound,
                outbound_model,
                outbound_weights,
                ..
            } => {
                let rules = topology::Rules {
                    degrees: &[topology::Degrees::of(
                        *outbound_model,
                        *outbound,
                        outbound_weights,
                    )],
                    max_inbound: &[*max_inbound],
                    rule: &[],
                };
                topology::random_by(n, &rules, *outbound, s.seed)
            }
            scenario::Topology::FullMesh => topology::full_mesh(n),
        };
        Network {
            table,
            region: placed.region,
            class: placed.class,
            group: placed.group,
            links: placed.links,
            relays: placed.relays,
            adjacency,
            jitter: s.network.jitter,
        }
    }

    pub fn nodes(&self) -> u32 {
        self.region.len() as u32
    }

    pub fn peers(&self, v: u32) -> &[u32] {
        self.adjacency.peers(v)
    }

    /// Mean one-way latency between two validators, ms.
    pub fn latency_ms(&self, from: u32, to: u32) -> f64 {
        self.table.latency_ms[self.region[from as usize] as usize]
            [self.region[to as usize] as usize]
    }

    fn link(&self, v: u32) -> &LinkGroup {
        &self.links[self.group[v as usize] as usize]
    }

    /// Link bandwidth: the sender's upload or the receiver's download, whichever is lower.
    pub fn bandwidth_bps(&self, from: u32, to: u32) -> f64 {
        self.link(from).upload_bps.min(self.link(to).download_bps)
    }

    /// Processing of each message at validator `v`.
    pub fn processing(&self, v: u32) -> Time {
        self.link(v).processing
    }

    /// Whether validator `v` forwards blocks it did not mine.
    pub fn relays(&self, v: u32) -> bool {
        self.relays[self.class[v as usize] as usize]
    }

    /// Delay of one message of `bytes` from `from` to `to`: latency (with jitter drawn from the
    /// sender's stream) + transfer time + processing at the receiver.
    pub fn message_delay(&self, from: u32, to: u32, bytes: u64, rng: &mut ChaCha8Rng) -> Time {
        self.latency(from, to, rng) + self.transfer_time(from, to, bytes) + self.processing(to)
    }

    /// Delay of a message of `bytes` from `from` to any validator of link group `g` without
    /// jitter: what [`Self::message_delay`] gives under `jitter: none`.
    pub fn delay_to_group(&self, from: u32, g: usize, bytes: u64) -> Time {
        let rf = self.region[from as usize] as usize;
        let to = &self.links[g];
        let latency = from_secs(self.table.latency_ms[rf][to.region as usize] / 1e3);
        let bps = self.link(from).upload_bps.min(to.download_bps);
        latency + transfer(bytes, bps) + to.processing
    }

    /// Regions of the latency table.
    pub fn regions(&self) -> usize {
        self.table.latency_ms.len()
    }

    /// Link groups: classes times regions.
    pub fn groups(&self) -> usize {
        self.links.len()
    }

    /// One-way latency of one message, with jitter drawn from the sender's stream.
    pub fn latency(&self, from: u32, to: u32, rng: &mut ChaCha8Rng) -> Time {
        let mean = self.latency_ms(from, to);
        let latency_ms = match self.jitter {
            Jitter::None => mean,
            Jitter::Pareto => pareto_around(mean, rng),
        };
        from_secs(latency_ms / 1e3)
    }

    /// Time to push `bytes` through the link from `from` to `to` when nothing else uses it.
    pub fn transfer_time(&self, from: u32, to: u32, bytes: u64) -> Time {
        let transfer_s = bytes as f64 * 8.0 / self.bandwidth_bps(from, to);
        from_secs(transfer_s)
    }

    /// Upload bandwidth of validator `v`.
    pub fn upload_bps(&self, v: u32) -> f64 {
        self.link(v).upload_bps
    }
}

/// A Pareto draw whose mean is `mean_ms` (shape 0.2·mean, scale mean − 5, as SimBlock does);
/// below 6 ms the distribution degenerates and the mean is returned.
fn pareto_around(mean_ms: f64, rng: &mut ChaCha8Rng) -> f64 {
    let shape = 0.2 * mean_ms;
    if shape <= 1.0 + 1e-9 {
        return mean_ms;
    }
    let scale = mean_ms - 5.0;
    let u: f64 = 1.0 - rng.random::<f64>();
    scale / u.powf(1.0 / shape)
}

/// Transfer time of `bytes` over `bps`.
pub fn transfer(bytes: u64, bps: f64) -> Time {
    from_secs(bytes as f64 * 8.0 / bps)
}

pub fn millis(ms: f64) -> Time {
    from_secs(ms / 1e3)
}

const _: () = assert!(NS_PER_S == 1000 * NS_PER_MS);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn pareto_jitter_preserves_the_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let n = 400_000;
        let sum: f64 = (0..n).map(|_| pareto_around(124.0, &mut rng)).sum();
        let mean = sum / n as f64;
        assert!((mean - 124.0).abs() < 1.0, "mean {mean}");
        assert_eq!(pareto_around(3.0, &mut rng), 3.0);
    }
}
