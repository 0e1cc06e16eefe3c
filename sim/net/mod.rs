//! The validators' network: regions, latency and bandwidth, the peer graph, and the access
//! path devices → gateways → validators.

mod access;
pub mod link;
mod paths;
pub mod regions;
pub mod topology;

pub use access::Access;
pub use link::Uplinks;
pub use paths::Reach;
pub use regions::RegionTable;
pub use topology::Adjacency;

use crate::engine::{NS_PER_MS, NS_PER_S, Purpose, Time, from_secs};
use crate::scenario::{self, Jitter, Latency, Scenario};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Validators, where they are and how they are connected.
pub struct Network {
    pub table: RegionTable,
    /// Region index of each validator.
    pub region: Vec<u16>,
    pub adjacency: Adjacency,
    pub jitter: Jitter,
    pub processing: Time,
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
        let counts = regions::apportion(n as u64, &table.node_share);
        let mut region: Vec<u16> = Vec::with_capacity(n as usize);
        for (r, c) in counts.iter().enumerate() {
            region.extend(std::iter::repeat_n(r as u16, *c as usize));
        }
        // Interleave regions over ids with a seeded shuffle so that "the first k miners" is
        // not "the North American nodes".
        let mut rng = crate::engine::stream(s.seed, 0, Purpose::Placement);
        for i in (1..region.len()).rev() {
            let j = rng.random_range(0..=i);
            region.swap(i, j);
        }
        let adjacency = match &s.network.topology {
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
            region,
            adjacency,
            jitter: s.network.jitter,
            processing: from_secs(s.network.processing_ms / 1e3),
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

    /// Link bandwidth: the sender's upload or the receiver's download, whichever is lower.
    pub fn bandwidth_bps(&self, from: u32, to: u32) -> f64 {
        let up = self.table.upload_bps[self.region[from as usize] as usize];
        let down = self.table.download_bps[self.region[to as usize] as usize];
        up.min(down)
    }

    /// Delay of one message of `bytes` from `from` to `to`: latency (with jitter drawn from the
    /// sender's stream) + transfer time + processing at the receiver.
    pub fn message_delay(&self, from: u32, to: u32, bytes: u64, rng: &mut ChaCha8Rng) -> Time {
        self.latency(from, to, rng) + self.transfer_time(from, to, bytes) + self.processing
    }

    /// Delay of a message of `bytes` from `from` to any validator of region `r` without
    /// jitter: what [`Self::message_delay`] gives under `jitter: none`.
    pub fn delay_to_region(&self, from: u32, r: usize, bytes: u64) -> Time {
        let rf = self.region[from as usize] as usize;
        let latency = from_secs(self.table.latency_ms[rf][r] / 1e3);
        let bps = self.table.upload_bps[rf].min(self.table.download_bps[r]);
        latency + transfer(bytes, bps) + self.processing
    }

    /// Regions of the latency table.
    pub fn regions(&self) -> usize {
        self.table.latency_ms.len()
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
        self.table.upload_bps[self.region[v as usize] as usize]
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
