//! Block relay under `relay_model: announce`: what each node knows about the blocks it is
//! fetching and whom it asks for compact blocks, and the sizes of the messages exchanged.
//!
//! A hop is announce (inv) → request (getdata) → transfer; the transfer is a compact block
//! (BIP 152) when both ends use compact relay, else the whole block. A compact block whose
//! transactions the receiver lacks costs one more round trip: `getblocktxn` → `blocktxn`
//! carrying the missing share of the block. A node asks up to `high_bandwidth_peers` peers —
//! those that most recently announced a new block to it first (BIP 152's recommendation, as
//! Bitcoin Core does) — to push compact blocks unsolicited, which saves the announce/request
//! round trip. Block data (compact blocks, blocks, `blocktxn`) crosses the sender's upload
//! link (`network.upload`); announcements and requests do not.

use crate::engine::{Draws, Purpose, draw_unit};
use crate::scenario::{self, MissingShare};
use std::collections::BTreeMap;

/// Payload of an `inv` or `getdata` naming one block: a count and one 36-byte inventory
/// vector (Bitcoin P2P protocol). Message headers (24 bytes) are left out here as they are
/// for blocks.
pub const INV_BYTES: u64 = 1 + 36;
/// `getblocktxn` / `blocktxn` fixed part: block hash and a count.
pub const TXN_OVERHEAD: u64 = 32 + 3;

/// Where a node stands with a block it does not hold yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Asked a peer for it (getdata), or received a pushed compact block.
    Requested,
    /// Its compact block lacked transactions; the missing ones were asked for.
    MissingTxs,
}

#[derive(Clone, Copy, Debug)]
pub struct Fetch {
    pub block: u32,
    pub stage: Stage,
    /// The peer asked.
    pub from: u32,
}

/// SimBlock's missing-share table for churning senders, as (count of table entries, run of
/// consecutive hundredths starting at 1 %): 546 entries of 1 %, 66 of 2 %, …, one each of
/// 49 % … 96 %. Transcribed as facts from SimBlock's `SimulationConfiguration`
/// (dsg-titech/simblock, Apache-2.0), which takes it from Imtiaz et al., ICBC 2019.
const SIMBLOCK_CHURN_MISSING: [(u32, u32); 19] = [
    (546, 1),
    (66, 1),
    (39, 1),
    (27, 1),
    (21, 1),
    (17, 1),
    (14, 1),
    (12, 1),
    (11, 1),
    (10, 1),
    (9, 1),
    (8, 1),
    (7, 2),
    (6, 2),
    (5, 3),
    (4, 5),
    (3, 8),
    (2, 16),
    (1, 48),
];

/// Entries of the churn table.
fn churn_table_len() -> u32 {
    SIMBLOCK_CHURN_MISSING.iter().map(|&(c, run)| c * run).sum()
}

/// The `i`-th entry (0-based) of the churn table, as a share.
fn churn_table_entry(mut i: u32) -> f64 {
    let mut hundredths = 1;
    for &(count, run) in &SIMBLOCK_CHURN_MISSING {
        if i < count * run {
            return f64::from(hundredths + i / count) / 100.0;
        }
        i -= count * run;
        hundredths += run;
    }
    unreachable!("index within the table")
}

pub struct Announce {
    compact: Vec<bool>,
    churn: Vec<bool>,
    failure: f64,
    churn_failure: f64,
    missing: MissingShare,
    /// The churn table's shares under `missing_share: simblock`, empty otherwise: read once
    /// per `getblocktxn` sent and once per one answered, where summing and walking the
    /// table's runs cost more than the draw.
    churn_shares: Vec<f64>,
    /// High-bandwidth peers per node, most recent first, `NONE` where unused.
    hb: Vec<u32>,
    hb_len: usize,
    /// The block each node is fetching (`block == NONE` when none): one at a time is the rule
    /// (blocks are minutes apart, propagation seconds), so it lies in one flat array, read on
    /// every announcement without chasing a per-node list.
    fetching: Vec<Fetch>,
    /// Further fetches of nodes fetching several blocks at once (forks), by (node, block).
    more: BTreeMap<(u32, u32), Fetch>,
    /// Reconstruction and missing-share draws under the run's seed.
    draws: Draws,
}

const IDLE: Fetch = Fetch {
    block: NONE,
    stage: Stage::Requested,
    from: NONE,
};

const NONE: u32 = u32::MAX;

impl Announce {
    pub fn new(params: &scenario::Nakamoto, compact: Vec<bool>, seed: u64) -> Self {
        let n = compact.len();
        let churn = (0..n as u64)
            .map(|v| draw_unit(seed, v, Purpose::Relay, 1) < params.churn_nodes)
            .collect();
        let hb_len = params.high_bandwidth_peers as usize;
        Announce {
            compact,
            churn,
            failure: params.compact_failure_rate,
            churn_failure: params.churn_compact_failure_rate,
            missing: params.missing_share.clone(),
            churn_shares: match params.missing_share {
                MissingShare::Simblock => (0..churn_table_len()).map(churn_table_entry).collect(),
                MissingShare::Fixed { .. } => Vec::new(),
            },
            hb: vec![NONE; n * hb_len],
            hb_len,
            fetching: vec![IDLE; n],
            more: BTreeMap::new(),
            draws: Draws::new(seed),
        }
    }

    /// Whether the link `a`–`b` carries compact blocks.
    #[inline]
    pub fn compact_link(&self, a: u32, b: u32) -> bool {
        self.compact[a as usize] && self.compact[b as usize]
    }

    /// Whether `receiver` asked `sender` to push compact blocks unsolicited.
    #[inline]
    pub fn pushes_to(&self, sender: u32, receiver: u32) -> bool {
        // Without high-bandwidth peers (SimBlock's model) nothing is pushed; asked per peer.
        if self.hb_len == 0 {
            return false;
        }
        let r = receiver as usize * self.hb_len;
        self.compact_link(sender, receiver) && self.hb[r..r + self.hb_len].contains(&sender)
    }

    /// `from` was first to announce a new block to `node`: it becomes `node`'s most recent
    /// high-bandwidth peer.
    pub fn first_announcer(&mut self, node: u32, from: u32) {
        if self.hb_len == 0 || !self.compact_link(node, from) {
            return;
        }
        let r = node as usize * self.hb_len;
        let list = &mut self.hb[r..r + self.hb_len];
        let at = list
            .iter()
            .position(|&p| p == from)
            .unwrap_or(self.hb_len - 1);
        list[..=at].rotate_right(1);
        list[0] = from;
    }

    #[inline]
    pub fn fetch(&self, node: u32, block: u32) -> Option<Fetch> {
        let f = self.fetching[node as usize];
        if f.block == block {
            return Some(f);
        }
        if self.more.is_empty() {
            return None;
        }
        self.more.get(&(node, block)).copied()
    }

    #[inline]
    pub fn set_fetch(&mut self, node: u32, f: Fetch) {
        let first = &mut self.fetching[node as usize];
        if first.block == f.block {
            *first = f;
        } else if let Some(g) = self.more.get_mut(&(node, f.block)) {
            *g = f;
        } else if first.block == NONE {
            *first = f;
        } else {
            self.more.insert((node, f.block), f);
        }
    }

    pub fn done(&mut self, node: u32, block: u32) {
        let first = &mut self.fetching[node as usize];
        if first.block == block {
            *first = IDLE;
        } else if !self.more.is_empty() {
            self.more.remove(&(node, block));
        }
    }

    /// Whether `receiver` can rebuild block `b` from the compact block `sender` sent: drawn
    /// per (block, link) from a counter-based stream, at the receiver's failure rate. The
    /// draw is the one the ideal model makes for the same link.
    #[inline]
    pub fn reconstructs(&self, b: u32, sender: u32, receiver: u32) -> bool {
        let rate = if self.churn[receiver as usize] {
            self.churn_failure
        } else {
            self.failure
        };
        let link = (u64::from(b) << 32) | u64::from(receiver);
        self.draws.unit(link, Purpose::Relay, u64::from(sender) + 1) >= rate
    }

    /// Share of block `b` that `receiver` lacks when `sender` answers its `getblocktxn`.
    pub fn missing_share(&self, b: u32, sender: u32, receiver: u32) -> f64 {
        match self.missing {
            MissingShare::Fixed { share } => share,
            MissingShare::Simblock if !self.churn[sender as usize] => 0.01,
            MissingShare::Simblock => {
                let link = (u64::from(b) << 32) | u64::from(receiver);
                let u = self
                    .draws
                    .unit(link, Purpose::Reconstruct, u64::from(sender));
                let len = self.churn_shares.len() as u32;
                self.churn_shares[((u * f64::from(len)) as u32).min(len - 1) as usize]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn churn_table_has_simblocks_shape() {
        // Figures read off SimBlock's table: 945 entries, 546 of them 1 %, the largest 96 %,
        // mean 8.72 %.
        assert_eq!(churn_table_len(), 945);
        assert_eq!(churn_table_entry(0), 0.01);
        assert_eq!(churn_table_entry(545), 0.01);
        assert_eq!(churn_table_entry(546), 0.02);
        assert_eq!(churn_table_entry(944), 0.96);
        let mean: f64 = (0..945).map(churn_table_entry).sum::<f64>() / 945.0;
        assert!((mean - 0.087_227_5).abs() < 1e-6, "{mean}");
    }

    fn params(hb: u32) -> scenario::Nakamoto {
        let yaml = format!("protocol: nakamoto\nhigh_bandwidth_peers: {hb}\n");
        match serde_yaml::from_str::<scenario::Consensus>(&yaml).unwrap() {
            scenario::Consensus::Nakamoto(p) => p,
            _ => unreachable!(),
        }
    }

    #[test]
    fn high_bandwidth_peers_are_the_most_recent_first_announcers() {
        let mut a = Announce::new(&params(3), vec![true; 8], 1);
        for from in [1, 2, 3, 4, 2] {
            a.first_announcer(0, from);
        }
        assert!(a.pushes_to(2, 0) && a.pushes_to(4, 0) && a.pushes_to(3, 0));
        assert!(!a.pushes_to(1, 0), "pushed out by later announcers");
        assert!(!a.pushes_to(0, 2), "the relation is one-way");
        let mut off = Announce::new(&params(0), vec![true; 8], 1);
        off.first_announcer(0, 1);
        assert!(!off.pushes_to(1, 0));
        let mut mixed = Announce::new(&params(3), vec![true, false], 1);
        mixed.first_announcer(0, 1);
        assert!(
            !mixed.pushes_to(1, 0),
            "a peer without compact relay is never asked"
        );
    }

    #[test]
    fn fetches_of_several_blocks_at_once_are_kept_apart() {
        let mut a = Announce::new(&params(0), vec![true; 4], 1);
        let f = |block, from| Fetch {
            block,
            stage: Stage::Requested,
            from,
        };
        a.set_fetch(1, f(10, 2));
        a.set_fetch(1, f(11, 3));
        a.set_fetch(1, f(12, 0));
        assert_eq!(a.fetch(1, 11).map(|g| g.from), Some(3));
        a.done(1, 10);
        assert!(a.fetch(1, 10).is_none());
        let missing = Fetch {
            stage: Stage::MissingTxs,
            ..f(11, 3)
        };
        a.set_fetch(1, missing);
        assert_eq!(a.fetch(1, 11).map(|g| g.stage), Some(Stage::MissingTxs));
        a.set_fetch(1, f(13, 2));
        a.done(1, 11);
        assert!(a.fetch(1, 11).is_none(), "no copy left behind");
        assert_eq!(a.fetch(1, 12).map(|g| g.from), Some(0));
        assert_eq!(a.fetch(1, 13).map(|g| g.from), Some(2));
        assert!(a.fetch(2, 12).is_none(), "another node");
    }
}
