//! Transfer times remembered per pair of link groups. Every validator message pays one
//! (`Network::transfer_time`: a division and a rounding, about 70 instructions), and under
//! `relay_model: announce` most messages are one of a few sizes (`inv` and `getdata` alike,
//! the compact block) sent between a few link groups, so the last two sizes seen on each pair
//! answer nearly every message. A remembered time is the one the division gave, so results are
//! exactly those of `Network::transfer_time`.

use super::{Network, transfer};
use crate::engine::Time;

/// Above this many link groups the table (groups² entries of 32 bytes) is not kept.
const MAX_GROUPS: usize = 256;

/// Never a message size (messages stay far below 4 GiB).
const NO_SIZE: u64 = u64::MAX;

#[derive(Clone, Copy)]
struct Seen {
    bytes: u64,
    time: Time,
}

const EMPTY: [Seen; 2] = [Seen {
    bytes: NO_SIZE,
    time: 0,
}; 2];

pub struct Transfers {
    groups: usize,
    /// Bandwidth of each pair `from · groups + to`: the sender's upload or the receiver's
    /// download, whichever is lower.
    bps: Vec<f64>,
    /// The two sizes last sent on each pair, the most recent first.
    seen: Vec<[Seen; 2]>,
    /// By sender's group, the last size asked of [`Self::slowest`] and its answer.
    slowest: Vec<Seen>,
}

impl Transfers {
    pub fn new(net: &Network) -> Self {
        let groups = net.groups();
        if groups > MAX_GROUPS {
            return Transfers {
                groups: 0,
                bps: Vec::new(),
                seen: Vec::new(),
                slowest: Vec::new(),
            };
        }
        let bps = net
            .links
            .iter()
            .flat_map(|from| {
                net.links
                    .iter()
                    .map(|to| from.upload_bps.min(to.download_bps))
            })
            .collect();
        Transfers {
            groups,
            bps,
            seen: vec![EMPTY; groups * groups],
            slowest: vec![EMPTY[0]; groups],
        }
    }

    /// The most that `bytes` from `from` can take to cross the link and be processed, over
    /// every receiver: [`Self::time`] plus [`Network::processing`] at the slowest. A copy
    /// whose fate only depends on arriving before some time is often settled by it without
    /// its own. `None` where the pairs are not kept.
    #[inline]
    pub fn slowest(&mut self, net: &Network, from: u32, bytes: u64) -> Option<Time> {
        let g = usize::from(*net.group.get(from as usize)?);
        let last = self.slowest.get_mut(g)?;
        if last.bytes != bytes {
            let pairs = &self.bps[g * self.groups..(g + 1) * self.groups];
            let time = pairs
                .iter()
                .zip(&net.links)
                .map(|(&bps, to)| transfer(bytes, bps) + to.processing)
                .max()
                .unwrap_or(0);
            *last = Seen { bytes, time };
        }
        Some(last.time)
    }

    /// [`Network::transfer_time`] from `from` to `to` of `bytes`. Always inlined: out of
    /// line in the world's run of copies (`send_run`), it cost SimBlock's Bitcoin run 90 M
    /// instructions more (of 8.3 G).
    #[inline(always)]
    pub fn time(&mut self, net: &Network, from: u32, to: u32, bytes: u64) -> Time {
        if self.groups == 0 {
            return net.transfer_time(from, to, bytes);
        }
        let pair = usize::from(net.group[from as usize]) * self.groups
            + usize::from(net.group[to as usize]);
        let seen = &mut self.seen[pair];
        if seen[0].bytes == bytes {
            return seen[0].time;
        }
        if seen[1].bytes == bytes {
            seen.swap(0, 1);
            return seen[0].time;
        }
        let time = transfer(bytes, self.bps[pair]);
        seen[1] = seen[0];
        seen[0] = Seen { bytes, time };
        time
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    #[test]
    fn remembered_times_are_the_divisions() {
        let yaml = "name: transfers
seed: 2
duration_s: 60
gateways: { count: 0 }
validators: { count: 300 }
network:
  latency: { model: simblock2019 }
  classes:
    - { name: miners, share: 0.1, upload_bps: 1.0e8, download_bps: 3.0e8 }
    - { name: relays, share: 0.9 }
consensus: { protocol: nakamoto }
";
        let net = Network::build(&scenario::parse(yaml, "test").expect("valid scenario"));
        let mut t = Transfers::new(&net);
        // Sizes that come back in runs and interleaved, on pairs that repeat.
        let sizes = [37, 37, 18_000, 37, 535_000, 18_000, 37, 1, 0, 535_000, 37];
        for i in 0..20_000u64 {
            let (from, to) = ((i * 13 % 300) as u32, (i * 7 % 300) as u32);
            let bytes = sizes[(i % 11) as usize] + (i % 5 == 4) as u64 * (i % 977);
            assert_eq!(
                t.time(&net, from, to, bytes),
                net.transfer_time(from, to, bytes),
                "{from} → {to}, {bytes} B"
            );
        }
    }

    #[test]
    fn the_slowest_is_the_most_any_receiver_takes() {
        let yaml = "name: slowest
seed: 2
duration_s: 60
gateways: { count: 0 }
validators: { count: 3000 }
network:
  latency: { model: simblock2019 }
  processing_ms: 2
  classes:
    - { name: miners, share: 0.5, upload_bps: 1.0e8, download_bps: 3.0e8, processing_ms: 5 }
    - { name: relays, share: 0.5 }
consensus: { protocol: nakamoto }
";
        let net = Network::build(&scenario::parse(yaml, "test").expect("valid scenario"));
        let mut t = Transfers::new(&net);
        // Every link group has members, so the most over receivers is the most over groups.
        assert_eq!(net.groups(), 12);
        assert!((0..net.groups()).all(|g| net.group.contains(&(g as u16))));
        for from in (0..3000).step_by(37) {
            for bytes in [37, 18_000, 37, 535_000] {
                let most = (0..3000)
                    .map(|to| net.transfer_time(from, to, bytes) + net.processing(to))
                    .max();
                assert_eq!(t.slowest(&net, from, bytes), most, "from {from}, {bytes} B");
            }
        }
    }
}
