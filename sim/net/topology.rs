//! Peer graphs, built deterministically from the seed and stored as compressed adjacency.

use crate::engine::{Purpose, stream};
use crate::scenario::OutboundModel;
use petgraph::graph::{NodeIndex, UnGraph};
use rand::RngExt;

/// Undirected adjacency in compressed form: the peers of `v` are
/// `targets[offsets[v]..offsets[v + 1]]`, sorted ascending.
#[derive(Clone, Debug, PartialEq)]
pub struct Adjacency {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Adjacency {
    #[inline]
    pub fn peers(&self, v: u32) -> &[u32] {
        let (a, b) = (self.offsets[v as usize], self.offsets[v as usize + 1]);
        &self.targets[a as usize..b as usize]
    }

    pub fn nodes(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn edges(&self) -> usize {
        self.targets.len() / 2
    }

    fn from_graph(g: &UnGraph<(), ()>) -> Self {
        let n = g.node_count();
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); n];
        for e in g.raw_edges() {
            let (a, b) = (e.source().index() as u32, e.target().index() as u32);
            lists[a as usize].push(b);
            lists[b as usize].push(a);
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::with_capacity(2 * g.edge_count());
        offsets.push(0);
        for mut l in lists {
            l.sort_unstable();
            targets.extend_from_slice(&l);
            offsets.push(targets.len() as u32);
        }
        Adjacency { offsets, targets }
    }
}

/// Cumulative share of Bitcoin nodes with at most 1, 2, …, 20 outbound connections (Miller et
/// al. 2015, as transcribed in SimBlock's network configuration).
const BITCOIN_2015_OUTBOUND_CDF: [f64; 20] = [
    0.025, 0.05, 0.075, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.85, 0.90, 0.95, 0.97,
    0.97, 0.98, 0.99, 0.995, 1.0,
];

/// How many outbound connections a node opens.
#[derive(Clone, Debug, PartialEq)]
pub enum Degrees {
    Fixed(u32),
    /// Miller et al.'s measured distribution.
    Bitcoin2015,
    /// Drawn from a table: `degrees[k]` with probability proportional to its weight;
    /// `cumulative[k]` is the sum of the weights up to and including `k`.
    Table {
        degrees: Vec<u32>,
        cumulative: Vec<f64>,
    },
}

impl Degrees {
    /// The rule of `model` (`outbound`: the fixed count; `weights`: the table's pairs, in
    /// the order given).
    pub fn of(model: OutboundModel, outbound: u32, weights: &[(u32, f64)]) -> Self {
        match model {
            OutboundModel::Fixed => Degrees::Fixed(outbound),
            OutboundModel::Bitcoin2015 => Degrees::Bitcoin2015,
            OutboundModel::Table => {
                let mut sum = 0.0;
                let cumulative = weights
                    .iter()
                    .map(|&(_, w)| {
                        sum += w;
                        sum
                    })
                    .collect();
                Degrees::Table {
                    degrees: weights.iter().map(|&(d, _)| d).collect(),
                    cumulative,
                }
            }
        }
    }

    /// Outbound count of a node, from its own topology stream (drawn rules take one number).
    pub fn draw(&self, rng: &mut impl rand::Rng) -> u32 {
        match self {
            Degrees::Fixed(k) => *k,
            Degrees::Bitcoin2015 => {
                let u: f64 = rng.random();
                BITCOIN_2015_OUTBOUND_CDF
                    .iter()
                    .position(|&c| u < c)
                    .unwrap_or(19) as u32
                    + 1
            }
            Degrees::Table {
                degrees,
                cumulative,
            } => {
                let total = cumulative.last().copied().unwrap_or(0.0);
                let x = rng.random::<f64>() * total;
                // Zero-weight entries never hold the first cumulative sum above `x`; the last
                // positive entry catches rounding at the top.
                let k = cumulative.iter().position(|&c| x < c).unwrap_or_else(|| {
                    cumulative
                        .iter()
                        .rposition(|&c| c > 0.0)
                        .unwrap_or(degrees.len().saturating_sub(1))
                });
                degrees.get(k).copied().unwrap_or(0)
            }
        }
    }
}

/// Each node's degree rule and inbound limit: node `v` follows rule `rule[v]` (every node
/// rule 0 when `rule` is empty).
pub struct Rules<'a> {
    pub degrees: &'a [Degrees],
    pub max_inbound: &'a [u32],
    pub rule: &'a [u16],
}

impl Rules<'_> {
    fn of(&self, v: u32) -> usize {
        self.rule.get(v as usize).map_or(0, |&r| r as usize)
    }
}

/// Bitcoin-like random graph: node `i`, in id order, opens up to `outbound` connections to
/// uniformly chosen distinct nodes that still accept inbound connections. Each node draws
/// from its own stream, so the graph depends only on the seed and the node count.
pub fn random(n: u32, outbound: u32, max_inbound: u32, seed: u64) -> Adjacency {
    random_with(n, OutboundModel::Fixed, outbound, max_inbound, seed)
}

/// As [`random`], with each node's outbound count drawn from `model`.
pub fn random_with(
    n: u32,
    model: OutboundModel,
    outbound: u32,
    max_inbound: u32,
    seed: u64,
) -> Adjacency {
    let rules = Rules {
        degrees: &[Degrees::of(model, outbound, &[])],
        max_inbound: &[max_inbound],
        rule: &[],
    };
    random_by(n, &rules, outbound, seed)
}

/// As [`random`], with each node's outbound count and inbound limit from its rule;
/// `expected_outbound` sizes the edge list.
pub fn random_by(n: u32, rules: &Rules, expected_outbound: u32, seed: u64) -> Adjacency {
    let mut g =
        UnGraph::<(), ()>::with_capacity(n as usize, n as usize * expected_outbound as usize);
    for _ in 0..n {
        g.add_node(());
    }
    let mut inbound = vec![0u32; n as usize];
    for i in 0..n {
        let mut rng = stream(seed, i as u64, Purpose::Topology);
        let want = rules.degrees[rules.of(i)]
            .draw(&mut rng)
            .min(n.saturating_sub(1));
        let mut chosen: Vec<u32> = Vec::with_capacity(want as usize);
        let open = |j: u32, chosen: &[u32], inbound: &[u32], g: &UnGraph<(), ()>| {
            j != i
                && inbound[j as usize] < rules.max_inbound[rules.of(j)]
                && !chosen.contains(&j)
                && g.find_edge(NodeIndex::new(i as usize), NodeIndex::new(j as usize))
                    .is_none()
        };
        // Rejection sampling is fast while most nodes accept; the scan below settles the rare
        // case where few candidates remain.
        let mut attempts = 0;
        while (chosen.len() as u32) < want && attempts < 32 * want {
            attempts += 1;
            let j = rng.random_range(0..n);
            if open(j, &chosen, &inbound, &g) {
                chosen.push(j);
            }
        }
        if (chosen.len() as u32) < want {
            let mut rest: Vec<u32> = (0..n).filter(|&j| open(j, &chosen, &inbound, &g)).collect();
            while (chosen.len() as u32) < want && !rest.is_empty() {
                let k = rng.random_range(0..rest.len());
                chosen.push(rest.swap_remove(k));
            }
        }
        for j in chosen {
            inbound[j as usize] += 1;
            g.add_edge(NodeIndex::new(i as usize), NodeIndex::new(j as usize), ());
        }
    }
    Adjacency::from_graph(&g)
}

/// Every node connected to every other.
pub fn full_mesh(n: u32) -> Adjacency {
    let mut offsets = Vec::with_capacity(n as usize + 1);
    let mut targets = Vec::with_capacity((n as usize) * (n as usize).saturating_sub(1));
    offsets.push(0);
    for i in 0..n {
        targets.extend((0..n).filter(|&j| j != i));
        offsets.push(targets.len() as u32);
    }
    Adjacency { offsets, targets }
}

/// Number of connected components, for warnings about partitioned topologies.
pub fn components(adj: &Adjacency) -> usize {
    let mut g = UnGraph::<(), ()>::with_capacity(adj.nodes(), adj.edges());
    for _ in 0..adj.nodes() {
        g.add_node(());
    }
    for v in 0..adj.nodes() as u32 {
        for &w in adj.peers(v) {
            if v < w {
                g.add_edge(NodeIndex::new(v as usize), NodeIndex::new(w as usize), ());
            }
        }
    }
    petgraph::algo::connected_components(&g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_graph_respects_degrees_and_is_reproducible() {
        let a = random(500, 8, 20, 3);
        assert_eq!(a, random(500, 8, 20, 3));
        assert_ne!(a, random(500, 8, 20, 4));
        assert_eq!(a.edges(), 500 * 8);
        for v in 0..500 {
            let p = a.peers(v);
            assert!(
                p.len() >= 8 && p.len() <= 8 + 20,
                "node {v} has {} peers",
                p.len()
            );
            assert!(!p.contains(&v));
            assert!(
                p.windows(2).all(|w| w[0] < w[1]),
                "duplicate or unsorted peers"
            );
        }
        assert_eq!(components(&a), 1);
    }

    #[test]
    fn bitcoin_2015_degrees_follow_their_distribution() {
        let a = random_with(4000, OutboundModel::Bitcoin2015, 8, 125, 9);
        // Mean of the distribution: sum over k of P(degree >= k).
        let mean: f64 = std::iter::once(1.0)
            .chain(BITCOIN_2015_OUTBOUND_CDF[..19].iter().map(|c| 1.0 - c))
            .sum();
        let measured = a.edges() as f64 / 4000.0;
        assert!((measured - mean).abs() < 0.15, "{measured} vs {mean}");
    }

    #[test]
    fn a_degree_table_never_draws_a_zero_weight() {
        let rule = Degrees::of(OutboundModel::Table, 8, &[(3, 0.0), (7, 1.0), (9, 0.0)]);
        let mut rng = stream(4, 0, Purpose::Topology);
        assert!((0..10_000).all(|_| rule.draw(&mut rng) == 7));
        let two = Degrees::of(OutboundModel::Table, 8, &[(2, 1.0), (4, 1.0)]);
        let fours = (0..10_000).filter(|_| two.draw(&mut rng) == 4).count();
        // Binomial(10,000, 1/2): standard deviation 50.
        assert!(fours.abs_diff(5_000) < 250, "{fours}");
    }

    #[test]
    fn small_graphs_connect_everyone() {
        let a = random(4, 8, 117, 1);
        for v in 0..4 {
            assert_eq!(a.peers(v).len(), 3);
        }
        assert_eq!(full_mesh(5).edges(), 10);
    }
}
