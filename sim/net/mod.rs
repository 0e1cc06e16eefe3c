//! The validators' network: regions, latency and bandwidth, the peer graph, and the access
//! path devices → gateways → validators.

mod access;
pub mod classes;
mod jitter;
pub mod link;
mod lookahead;
mod pareto;
mod paths;
pub mod regions;
pub mod topology;
mod transfer;

pub use access::Access;
pub use classes::LinkGroup;
pub use jitter::LatencyBounds;
pub use link::Uplinks;
pub use paths::Reach;
pub use regions::RegionTable;
pub use topology::Adjacency;
pub use transfer::Transfers;

use crate::engine::{Draws, NS_PER_MS, NS_PER_S, Purpose, Time, from_secs};
use crate::scenario::{self, Jitter, Latency, Scenario};

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
    /// The jitter draws under the master seed.
    draws: Draws,
    /// What a jitter draw can give from region `a` to region `b`, at `a · regions + b`.
    bounds: Vec<LatencyBounds>,
    /// The jitter's tables (see `pareto`), built only under `jitter: pareto`.
    pareto: Option<pareto::Pareto>,
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
        let bounds = jitter::bounds(&table, s.network.jitter);
        let pareto = (s.network.jitter == Jitter::Pareto)
            .then(|| pareto::Pareto::new(table.latency_ms.iter().flatten().copied()));
        Network {
            bounds,
            pareto,
            table,
            region: placed.region,
            class: placed.class,
            group: placed.group,
            links: placed.links,
            relays: placed.relays,
            adjacency,
            jitter: s.network.jitter,
            draws: Draws::new(s.seed),
        }
    }

    pub fn nodes(&self) -> u32 {
        self.region.len() as u32
    }

    #[inline]
    pub fn peers(&self, v: u32) -> &[u32] {
        self.adjacency.peers(v)
    }

    /// Mean one-way latency between two validators, ms.
    #[inline]
    pub fn latency_ms(&self, from: u32, to: u32) -> f64 {
        self.table.latency_ms[self.region[from as usize] as usize]
            [self.region[to as usize] as usize]
    }

    #[inline]
    fn link(&self, v: u32) -> &LinkGroup {
        &self.links[self.group[v as usize] as usize]
    }

    /// Link bandwidth: the sender's upload or the receiver's download, whichever is lower.
    pub fn bandwidth_bps(&self, from: u32, to: u32) -> f64 {
        self.link(from).upload_bps.min(self.link(to).download_bps)
    }

    /// Processing of each message at validator `v`.
    #[inline]
    pub fn processing(&self, v: u32) -> Time {
        self.link(v).processing
    }

    /// Whether validator `v` forwards blocks it did not mine.
    #[inline]
    pub fn relays(&self, v: u32) -> bool {
        self.relays[self.class[v as usize] as usize]
    }

    /// Delay of the `index`-th message `from` sends, of `bytes`, to `to`: latency (with its
    /// own jitter draw, see [`Self::latency`]) + transfer time + processing at the receiver.
    pub fn message_delay(&self, from: u32, to: u32, bytes: u64, index: u64) -> Time {
        self.latency(from, to, index) + self.transfer_time(from, to, bytes) + self.processing(to)
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

    /// One-way latency of the `index`-th message `from` sends (its sender numbers them), to
    /// `to`. The jitter is a counter-based draw keyed by (sender, index): a pure function of
    /// the key, so no generator state is stored or touched per validator (a sequential
    /// stream's state, 320 bytes per validator, missed the cache on most sends at 10,000
    /// nodes), and a message's delay can be computed out of order.
    #[inline]
    pub fn latency(&self, from: u32, to: u32, index: u64) -> Time {
        match self.jitter {
            Jitter::None => millis(self.latency_ms(from, to)),
            Jitter::Pareto => self.latency_at(from, to, self.jitter_unit(from, index)),
        }
    }

    /// The uniform draw behind the jitter of `from`'s `index`-th message.
    #[inline]
    pub fn jitter_unit(&self, from: u32, index: u64) -> f64 {
        self.draws.unit(from.into(), Purpose::Jitter, index)
    }

    /// The Pareto latency from `from` to `to` at the uniform draw `u`.
    #[inline]
    pub fn latency_at(&self, from: u32, to: u32, u: f64) -> Time {
        let mean = self.latency_ms(from, to);
        match &self.pareto {
            Some(p) => p.latency(self.pair(from, to), mean, u),
            None => millis(jitter::pareto_around(mean, u)),
        }
    }

    /// Index of the pair of `from`'s and `to`'s regions, `from · regions + to`.
    #[inline]
    fn pair(&self, from: u32, to: u32) -> usize {
        self.region[from as usize] as usize * self.regions() + self.region[to as usize] as usize
    }

    /// What [`Self::latency`] can give from `from` to `to`: a message whose fate only depends
    /// on whether it arrives before some time needs no `powf` (often no draw at all) when the
    /// bounds settle it.
    #[inline]
    pub fn latency_bounds(&self, from: u32, to: u32) -> LatencyBounds {
        self.bounds[self.pair(from, to)]
    }

    /// [`Self::latency_bounds`] from `from` to each region, by the receiver's region.
    #[inline]
    pub fn bounds_from(&self, from: u32) -> &[LatencyBounds] {
        let r = self.regions();
        let start = self.region[from as usize] as usize * r;
        &self.bounds[start..start + r]
    }

    /// Time to push `bytes` through the link from `from` to `to` when nothing else uses it.
    pub fn transfer_time(&self, from: u32, to: u32, bytes: u64) -> Time {
        let transfer_s = bytes as f64 * 8.0 / self.bandwidth_bps(from, to);
        from_secs(transfer_s)
    }

    /// Upload bandwidth of validator `v`.
    #[inline]
    pub fn upload_bps(&self, v: u32) -> f64 {
        self.link(v).upload_bps
    }
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

    fn network(one_way_ms: f64) -> Network {
        let yaml = format!(
            "name: jitter
seed: 3
duration_s: 60
gateways: {{ count: 0 }}
validators: {{ count: 50 }}
network:
  latency: {{ model: constant, one_way_ms: {one_way_ms}, bandwidth_bps: 1.0e9 }}
  jitter: pareto
consensus: {{ protocol: nakamoto }}
"
        );
        Network::build(&scenario::parse(&yaml, "test").expect("valid scenario"))
    }

    /// Latencies in ms of `per_sender` messages from each of 50 senders.
    fn draws(net: &Network, per_sender: u64) -> Vec<f64> {
        (0..50u32)
            .flat_map(|from| (0..per_sender).map(move |i| (from, i)))
            .map(|(from, i)| net.latency(from, (from + 1) % 50, i) as f64 / NS_PER_MS as f64)
            .collect()
    }

    #[test]
    fn pareto_jitter_follows_its_closed_form() {
        // Pareto with scale m − 5 and shape 0.2·m: F(x) = 1 − (scale / x)^shape for x ≥ scale,
        // mean shape·scale / (shape − 1) = m, variance scale²·shape / ((shape − 1)²(shape − 2)).
        let m = 124.0;
        let (scale, shape) = (m - 5.0, 0.2 * m);
        let net = network(m);
        let x = draws(&net, 4_000);
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = scale * scale * shape / ((shape - 1.0).powi(2) * (shape - 2.0));
        assert!(
            (mean - m).abs() < 5.0 * (var / n).sqrt(),
            "mean {mean}, expected {m}"
        );
        assert!(x.iter().all(|&v| v >= scale - 1e-6), "below the scale");
        for q in [0.1f64, 0.5, 0.9, 0.99, 0.999] {
            let quantile = scale * (1.0 - q).powf(-1.0 / shape);
            let below = x.iter().filter(|&&v| v <= quantile).count() as f64 / n;
            let tol = 5.0 * (q * (1.0 - q) / n).sqrt();
            assert!((below - q).abs() < tol, "P(X ≤ x_{q}) = {below}");
        }
    }

    #[test]
    fn jitter_draws_are_keyed_by_sender_and_index() {
        let net = network(124.0);
        let a = net.latency(7, 8, 41);
        assert_eq!(a, net.latency(7, 8, 41), "a pure function of its key");
        assert_ne!(a, net.latency(7, 8, 42));
        assert_ne!(a, net.latency(6, 8, 41));
        // Consecutive draws of one sender are uncorrelated (lag-1, 4-sigma bound).
        let x = draws(&net, 4_000);
        let n = x.len();
        let mean = x.iter().sum::<f64>() / n as f64;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        let cov = x
            .windows(2)
            .map(|w| (w[0] - mean) * (w[1] - mean))
            .sum::<f64>()
            / (n - 1) as f64;
        assert!(
            (cov / var).abs() < 4.0 / (n as f64).sqrt(),
            "lag-1 {}",
            cov / var
        );
    }

    #[test]
    fn latency_bounds_hold_every_draw() {
        for m in [3.0, 6.5, 11.0, 30.0, 124.0, 300.0] {
            let net = network(m);
            let b = net.latency_bounds(4, 9);
            let mut seen = (Time::MAX, 0, 0);
            for i in 0..20_000 {
                let (u, t) = (net.jitter_unit(4, i), net.latency(4, 9, i));
                assert_eq!(t, net.latency_at(4, 9, u));
                seen = (
                    seen.0.min(t),
                    seen.1.max(t),
                    seen.2.max(t * u64::from(u >= b.cut)),
                );
            }
            let (min, max, typical) = seen;
            assert!(b.low <= min && max <= b.high, "{m} ms: {min}..{max}, {b:?}");
            assert!(typical <= b.typical && b.typical <= b.high, "{m} ms: {b:?}");
            if 0.2 * m > 1.0 {
                assert_eq!(
                    b.low,
                    millis(m - 5.0),
                    "{m} ms: the scale is the least draw"
                );
            }
        }
    }

    #[test]
    fn short_links_have_no_jitter() {
        let net = network(3.0);
        assert!((0..100).all(|i| net.latency(1, 2, i) == millis(3.0)));
        let b = net.latency_bounds(1, 2);
        assert!(b.low == millis(3.0) && b.low <= b.typical && b.typical <= b.high);
    }
}
