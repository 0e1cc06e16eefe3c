//! Scenario faults as the event loop applies them: which validators are down, which pairs
//! are cut off by a partition, and what links lose or delay. Protocols see none of this; they
//! only notice missing messages and their `on_crash` and `on_recover` hooks.

use super::traffic::Fate;
use crate::engine::{Purpose, Time, from_secs, stream};
use crate::metrics::Value;
use crate::net::millis;
use crate::scenario::{self, Scenario};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A crash or a restart at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub at: Time,
    pub node: u32,
    pub up: bool,
}

struct Window {
    from: Time,
    to: Time,
    /// Group index of every validator.
    group: Vec<u32>,
}

#[derive(Default)]
pub struct Faults {
    /// Crashes in force per validator (crash entries may overlap).
    down: Vec<u32>,
    /// Validators down now: while none is, every message and timer is asked about one
    /// without reading `down`, which missed the cache at 10,000 validators.
    nodes_down: u32,
    /// Whether the validator's `on_start` ran (a validator down at time 0 starts on recovery).
    pub started: Vec<bool>,
    windows: Vec<Window>,
    /// `adversary: { kind: eclipse }`: group 0 is the eclipsed nodes with their attackers.
    eclipse: Option<Window>,
    loss: f64,
    pub extra_delay: Time,
    /// Transactions of batches that reached a validator down for good, the partitions'
    /// summed at each flush ([`Faults::absorb`]).
    pub stranded_tx: u64,
    /// Crashes and recoveries as the barriers apply them, and the partitions' counts summed
    /// at each flush.
    pub counts: Counts,
    /// Per validator, its last scheduled restart, if any.
    last_up: Vec<Option<Time>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub msgs_to_down_node: u64,
    pub timers_of_down_node: u64,
    pub msgs_partitioned: u64,
    pub msgs_eclipsed: u64,
    pub msgs_lost: u64,
    pub batches_held: u64,
    pub crashes: u64,
    pub recoveries: u64,
}

/// What the handlers of one partition's validators write about faults (`Part::faults`), so
/// that no partition writes the world's `Faults` inside a window (`sim/README.md`,
/// validators in parallel, rule 3): counts, summed into the world's in any order, and the
/// uploads held for its own validators while they are down.
pub struct Held {
    pub counts: Counts,
    /// Transactions of batches that reached a validator down for good: in transit for the
    /// rest of the run, counted without keeping their lists (a gateway of a validator crashed
    /// for good keeps uploading to it).
    pub stranded_tx: u64,
    /// Per validator from `lo`, the batches (in the partition's `Batches`) that reached it
    /// while down; its gateway delivers them again on restart, so they stay in transit
    /// meanwhile.
    parked: Vec<Vec<u32>>,
    lo: u32,
}

impl Held {
    /// For the validators `held`.
    pub fn new(held: std::ops::Range<u32>) -> Self {
        Held {
            counts: Counts::default(),
            stranded_tx: 0,
            parked: vec![Vec::new(); held.len()],
            lo: held.start,
        }
    }

    /// The batches parked for validator `v`, one of the partition's.
    pub fn parked(&mut self, v: u32) -> &mut Vec<u32> {
        &mut self.parked[(v - self.lo) as usize]
    }
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.msgs_to_down_node += o.msgs_to_down_node;
        self.timers_of_down_node += o.timers_of_down_node;
        self.msgs_partitioned += o.msgs_partitioned;
        self.msgs_eclipsed += o.msgs_eclipsed;
        self.msgs_lost += o.msgs_lost;
        self.batches_held += o.batches_held;
        self.crashes += o.crashes;
        self.recoveries += o.recoveries;
    }
}

impl Faults {
    /// The faults of `s` and the crash/restart changes to schedule, in time order.
    pub fn build(s: &Scenario) -> (Self, Vec<Change>) {
        let n = s.validators.count as u32;
        let mut f = Faults {
            down: vec![0; n as usize],
            started: vec![false; n as usize],
            eclipse: eclipse(s),
            ..Faults::default()
        };
        let Some(spec) = &s.faults else {
            return (f, Vec::new());
        };
        let mut changes = Vec::new();
        for (i, c) in spec.crashes.iter().enumerate() {
            let nodes = match (&c.nodes, c.random) {
                (Some(ids), _) => ids.iter().map(|&v| v as u32).collect(),
                (None, Some(k)) => choose(n, k as u32, stream(s.seed, i as u64, Purpose::Faults)),
                (None, None) => Vec::new(),
            };
            for v in nodes {
                changes.push(Change {
                    at: from_secs(c.at_s),
                    node: v,
                    up: false,
                });
                if let Some(r) = c.recover_s {
                    changes.push(Change {
                        at: from_secs(r),
                        node: v,
                        up: true,
                    });
                }
            }
        }
        changes.sort();
        f.last_up = vec![None; n as usize];
        for c in changes.iter().filter(|c| c.up) {
            f.last_up[c.node as usize] = Some(c.at);
        }
        f.windows = spec
            .partitions
            .iter()
            .map(|p| Window {
                from: from_secs(p.from_s),
                to: from_secs(p.to_s),
                group: groups(p, n),
            })
            .collect();
        f.loss = spec.links.loss;
        f.extra_delay = millis(spec.links.extra_delay_ms);
        (f, changes)
    }

    /// Whether crash `c` stops its validator for the rest of the run: no restart is
    /// scheduled at or after it (a restart at the same time sorts after the crash).
    pub fn for_good(&self, c: &Change) -> bool {
        !c.up
            && self
                .last_up
                .get(c.node as usize)
                .is_none_or(|u| u.is_none_or(|u| u < c.at))
    }

    pub fn is_down(&self, v: u32) -> bool {
        self.nodes_down > 0 && self.down[v as usize] > 0
    }

    /// Whether validator `v` is down at `now` and no restart is scheduled after `now` (one at
    /// `now` itself may not have been applied yet, so it counts as coming).
    pub fn down_for_good(&self, v: u32, now: Time) -> bool {
        self.is_down(v)
            && self
                .last_up
                .get(v as usize)
                .is_none_or(|u| u.is_none_or(|u| u < now))
    }

    /// Moves a partition's counts into the run's.
    pub fn absorb(&mut self, part: &mut Held) {
        self.counts.add(&std::mem::take(&mut part.counts));
        self.stranded_tx += std::mem::take(&mut part.stranded_tx);
    }

    /// Applies a change; true when the validator came back up.
    pub fn apply(&mut self, c: Change) -> bool {
        let d = &mut self.down[c.node as usize];
        if c.up {
            if *d == 0 {
                return false;
            }
            *d -= 1;
            if *d == 0 {
                self.nodes_down -= 1;
                self.counts.recoveries += 1;
                return true;
            }
        } else {
            if *d == 0 {
                self.nodes_down += 1;
                self.counts.crashes += 1;
            }
            *d += 1;
        }
        false
    }

    /// Why a message sent now from `from` to `to` is lost, if it is; counts the loss in
    /// `counts` (the sender's partition's). Link loss draws from the sender's stream, and only
    /// when loss is configured, so runs without it draw exactly as before.
    #[inline]
    pub fn lost(
        &self,
        now: Time,
        (from, to): (u32, u32),
        rng: &mut ChaCha8Rng,
        counts: &mut Counts,
    ) -> Option<Fate> {
        // Most runs lose nothing: answered here without a call.
        if self.windows.is_empty() && self.eclipse.is_none() && self.loss <= 0.0 {
            return None;
        }
        self.lost_now(now, from, to, rng, counts)
    }

    /// [`Self::lost`] where something can be lost.
    fn lost_now(
        &self,
        now: Time,
        from: u32,
        to: u32,
        rng: &mut ChaCha8Rng,
        counts: &mut Counts,
    ) -> Option<Fate> {
        let cut = self.windows.iter().any(|w| {
            (w.from..w.to).contains(&now) && w.group[from as usize] != w.group[to as usize]
        });
        if cut {
            counts.msgs_partitioned += 1;
            return Some(Fate::Partition);
        }
        if let Some(w) = &self.eclipse
            && (w.from..w.to).contains(&now)
            && w.group[from as usize] != w.group[to as usize]
        {
            counts.msgs_eclipsed += 1;
            return Some(Fate::Eclipse);
        }
        if self.loss > 0.0 && rng.random::<f64>() < self.loss {
            counts.msgs_lost += 1;
            return Some(Fate::LinkLoss);
        }
        None
    }

    /// Whether a message sent now can be lost at all (a partition or an eclipse in force, or
    /// link loss configured).
    pub fn may_lose(&self, now: Time) -> bool {
        self.loss > 0.0
            || self.windows.iter().any(|w| (w.from..w.to).contains(&now))
            || self
                .eclipse
                .as_ref()
                .is_some_and(|w| (w.from..w.to).contains(&now))
    }

    /// Messages the eclipse cut, when the scenario has one.
    pub fn eclipse_summary(&self) -> Option<(String, Value)> {
        self.eclipse.as_ref().map(|_| {
            (
                "msgs_dropped_eclipse".into(),
                self.counts.msgs_eclipsed.into(),
            )
        })
    }

    pub fn summary(&self) -> Vec<(String, Value)> {
        let c = &self.counts;
        [
            ("fault_crashes", c.crashes),
            ("fault_recoveries", c.recoveries),
            ("msgs_dropped_node_down", c.msgs_to_down_node),
            ("timers_dropped_node_down", c.timers_of_down_node),
            ("msgs_dropped_partition", c.msgs_partitioned),
            ("msgs_dropped_link_loss", c.msgs_lost),
            ("tx_batches_held_for_down_node", c.batches_held),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect()
    }
}

/// The eclipse window: the eclipsed nodes and the attackers in group 0, everyone else in 1.
fn eclipse(s: &Scenario) -> Option<Window> {
    let Some(scenario::Adversary::Eclipse {
        nodes,
        attackers,
        from_s,
        until_s,
    }) = &s.adversary
    else {
        return None;
    };
    let mut group = vec![1; s.validators.count as usize];
    for &v in nodes.iter().chain(attackers) {
        group[v as usize] = 0;
    }
    Some(Window {
        from: from_secs(*from_s),
        to: from_secs(*until_s),
        group,
    })
}

/// `k` distinct validators of `n`, by a partial Fisher–Yates shuffle, in increasing order.
fn choose(n: u32, k: u32, mut rng: ChaCha8Rng) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..n).collect();
    for i in 0..k.min(n) as usize {
        let j = rng.random_range(i..n as usize);
        ids.swap(i, j);
    }
    ids.truncate(k.min(n) as usize);
    ids.sort_unstable();
    ids
}

fn groups(p: &scenario::Partition, n: u32) -> Vec<u32> {
    p.group_of(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_is_distinct_and_seeded() {
        let a = choose(10, 4, stream(1, 0, Purpose::Faults));
        assert_eq!(a.len(), 4);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a, choose(10, 4, stream(1, 0, Purpose::Faults)));
        assert_eq!(choose(5, 5, stream(1, 0, Purpose::Faults)), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn unlisted_validators_form_their_own_group() {
        let p = scenario::Partition {
            groups: Some(vec![vec![0, 1], vec![3]]),
            split: None,
            from_s: 0.0,
            to_s: 1.0,
        };
        assert_eq!(groups(&p, 5), [0, 0, 2, 1, 2]);
        let half = scenario::Partition {
            groups: None,
            split: Some(0.5),
            ..p
        };
        assert_eq!(groups(&half, 4), [0, 0, 1, 1]);
    }

    #[test]
    fn overlapping_crashes_need_every_restart() {
        let mut f = Faults {
            down: vec![0; 1],
            ..Faults::default()
        };
        let c = |up| Change { at: 0, node: 0, up };
        assert!(!f.apply(c(false)));
        assert!(!f.apply(c(false)));
        assert!(!f.apply(c(true)));
        assert!(f.is_down(0));
        assert!(f.apply(c(true)));
        assert!(!f.is_down(0));
        assert_eq!((f.counts.crashes, f.counts.recoveries), (1, 1));
    }
}
