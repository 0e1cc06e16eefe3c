//! How long a transaction takes to reach each validator from the validator it entered at.
//!
//! Transactions are not relayed as individual events: with flooding over fixed links, a
//! transaction reaches node `v` along the fastest path from its origin, so its arrival is
//! `latency(path) + bytes · transfer_per_byte(path)`. Dijkstra on mean latency (+ per-hop
//! processing) gives the path; the per-byte transfer cost is summed along it. This replaces
//! `nodes × peers` events per transaction by one table row per origin, computed once.

use super::Network;
use crate::engine::{Time, from_secs};
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

const NONE: u32 = u32::MAX;

pub struct Reach {
    row_of: Vec<u32>,
    latency: Vec<Vec<Time>>,
    ns_per_byte: Vec<Vec<f64>>,
    /// Each node's predecessor on its fastest path from the row's origin (`NONE` for the
    /// origin and for nodes it cannot reach): the tree a flooded transaction first travels.
    parent: Vec<Vec<u32>>,
}

impl Reach {
    /// Rows for the given origins. Rows are computed in parallel; each is independent, so the
    /// table is the same whatever the thread count.
    pub fn build(net: &Network, origins: &[u32]) -> Self {
        let mut row_of = vec![NONE; net.nodes() as usize];
        for (i, &o) in origins.iter().enumerate() {
            row_of[o as usize] = i as u32;
        }
        let rows: Vec<Row> = origins.par_iter().map(|&o| shortest_from(net, o)).collect();
        let mut reach = Reach {
            row_of,
            latency: Vec::with_capacity(rows.len()),
            ns_per_byte: Vec::with_capacity(rows.len()),
            parent: Vec::with_capacity(rows.len()),
        };
        for r in rows {
            reach.latency.push(r.latency);
            reach.ns_per_byte.push(r.ns_per_byte);
            reach.parent.push(r.parent);
        }
        reach
    }

    /// Each node's predecessor on its fastest path from `origin`; `None` for the origin
    /// itself and for nodes it cannot reach.
    pub fn parents(&self, origin: u32) -> impl Iterator<Item = Option<u32>> + '_ {
        let r = self.row_of[origin as usize];
        assert!(r != NONE, "validator {origin} has no reach row");
        self.parent[r as usize]
            .iter()
            .map(|&p| (p != NONE).then_some(p))
    }

    /// Whether transactions enter at `origin` (only such validators have a row).
    pub fn is_origin(&self, origin: u32) -> bool {
        self.row_of[origin as usize] != NONE
    }

    /// Delay until a transaction of `bytes` that entered at `origin` is known at `node`;
    /// `None` when `node` cannot be reached.
    pub fn delay(&self, origin: u32, node: u32, bytes: u32) -> Option<Time> {
        let r = self.row_of[origin as usize];
        assert!(
            r != NONE,
            "validator {origin} has no reach row: it receives no transactions"
        );
        let l = self.latency[r as usize][node as usize];
        if l == Time::MAX {
            return None;
        }
        Some(l + (bytes as f64 * self.ns_per_byte[r as usize][node as usize]).round() as Time)
    }
}

struct Row {
    latency: Vec<Time>,
    ns_per_byte: Vec<f64>,
    parent: Vec<u32>,
}

fn shortest_from(net: &Network, origin: u32) -> Row {
    let n = net.nodes() as usize;
    let mut dist = vec![Time::MAX; n];
    let mut per_byte = vec![0.0f64; n];
    let mut parent = vec![NONE; n];
    let mut heap = BinaryHeap::new();
    dist[origin as usize] = 0;
    heap.push(Reverse((0u64, origin)));
    while let Some(Reverse((d, v))) = heap.pop() {
        // A light node (`relay: false`) passes on only what entered at it.
        if d > dist[v as usize] || (v != origin && !net.relays(v)) {
            continue;
        }
        for &w in net.peers(v) {
            let hop = from_secs(net.latency_ms(v, w) / 1e3) + net.processing(w);
            let nd = d + hop;
            if nd < dist[w as usize] {
                dist[w as usize] = nd;
                per_byte[w as usize] = per_byte[v as usize] + 8e9 / net.bandwidth_bps(v, w);
                parent[w as usize] = v;
                heap.push(Reverse((nd, w)));
            }
        }
    }
    Row {
        latency: dist,
        ns_per_byte: per_byte,
        parent,
    }
}
