//! The lookahead of validators run in partitions: the smallest delay any message can take
//! from a validator of one partition to one of another (`sim/README.md`, validators in
//! parallel). Inside a window of that width nothing one partition sends can be due in another,
//! so the partitions run their windows apart.
//!
//! Partitions are contiguous id ranges of `n.div_ceil(partitions)` validators, as PHOLD's
//! (`phold/windows.rs`). A message's delay is latency + transfer + processing at the receiver
//! (`Network::message_delay`); the least a latency draw can give is its region pair's
//! `LatencyBounds::low` (the table value without jitter), a transfer takes at least nothing,
//! so the bound is the least `low + processing` over the pairs of link groups that have
//! members on both sides of a cut. The world adds what faults add to every message.

use super::Network;
use crate::engine::Time;

impl Network {
    /// The smallest delay of a message between validators in different partitions when the
    /// validators are cut into `partitions` contiguous id ranges; `None` when there is only
    /// one range (nothing crosses). `Some(0)` is possible (zero latency and processing): such
    /// a network cannot run in windows.
    pub fn lookahead(&self, partitions: u32) -> Option<Time> {
        let n = self.nodes();
        if partitions <= 1 || n <= 1 {
            return None;
        }
        let chunk = n.div_ceil(partitions);
        // Per link group: the first partition it has members in, and whether it has members
        // in more than one.
        let mut seen: Vec<Option<(u32, bool)>> = vec![None; self.groups()];
        for v in 0..n {
            let (g, p) = (self.group[v as usize] as usize, v / chunk);
            seen[g] = match seen[g] {
                None => Some((p, false)),
                Some((first, many)) => Some((first, many || first != p)),
            };
        }
        let r = self.regions();
        let mut least: Option<Time> = None;
        for (a, sa) in seen.iter().enumerate() {
            for (b, sb) in seen.iter().enumerate() {
                let (Some((pa, many_a)), Some((pb, many_b))) = (sa, sb) else {
                    continue;
                };
                // Two groups each in one partition, the same one, never cross a cut.
                if !many_a && !many_b && pa == pb {
                    continue;
                }
                let (ra, rb) = (self.links[a].region as usize, self.links[b].region as usize);
                let delay = self.bounds[ra * r + rb].low + self.links[b].processing;
                least = Some(least.map_or(delay, |l| l.min(delay)));
            }
        }
        least
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::NS_PER_MS;
    use crate::scenario;

    fn network(nodes: u32, network: &str) -> Network {
        let yaml = format!(
            "name: lookahead
seed: 5
duration_s: 60
gateways: {{ count: 0 }}
validators: {{ count: {nodes} }}
network: {network}
consensus: {{ protocol: pbft }}
"
        );
        Network::build(&scenario::parse(&yaml, "test").expect("valid scenario"))
    }

    /// The least `low + processing` over every pair of validators in different partitions,
    /// pair by pair.
    fn by_pairs(net: &Network, partitions: u32) -> Option<Time> {
        let n = net.nodes();
        let chunk = n.div_ceil(partitions);
        (0..n)
            .flat_map(|u| (0..n).map(move |v| (u, v)))
            .filter(|&(u, v)| u / chunk != v / chunk)
            .map(|(u, v)| net.latency_bounds(u, v).low + net.processing(v))
            .min()
    }

    #[test]
    fn simblock_2019_regions_give_their_shortest_link_plus_processing() {
        // Region 1 (11 ms to itself) holds half the nodes: it spans every cut.
        let net = network(
            1000,
            "{ latency: { model: simblock2019 }, topology: { model: full_mesh } }",
        );
        assert_eq!(net.lookahead(2), Some(13 * NS_PER_MS));
        assert_eq!(net.lookahead(8), Some(13 * NS_PER_MS));
        assert_eq!(net.lookahead(1), None);
        // Pareto draws go down to the scale, the table value − 5 ms.
        let net = network(
            1000,
            "{ latency: { model: simblock2019 }, jitter: pareto, processing_ms: 2 }",
        );
        assert_eq!(net.lookahead(2), Some(8 * NS_PER_MS));
    }

    #[test]
    fn equals_the_least_delay_over_every_cross_partition_pair() {
        let nets = [
            network(60, "{ latency: { model: simblock2019 } }"),
            network(
                60,
                "{ latency: { model: simblock2015 }, jitter: pareto, processing_ms: 0.5 }",
            ),
            network(
                9,
                "{ latency: { model: constant, one_way_ms: 0, bandwidth_bps: 1.0e9 }, processing_ms: 0 }",
            ),
        ];
        for net in &nets {
            for partitions in [2, 3, 7, 60] {
                assert_eq!(
                    net.lookahead(partitions),
                    by_pairs(net, partitions),
                    "{partitions} partitions"
                );
            }
        }
        assert_eq!(nets[2].lookahead(2), Some(0));
    }
}
