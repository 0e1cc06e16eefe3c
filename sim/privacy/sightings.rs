//! Transactions as observers see them: noted as they arrive, and weighed a block at a time.
//!
//! Weighing a transaction reads, for each observer, records of its device scattered over
//! tens of megabytes on a large fleet (its gateway, its newest key and anonymity tally, each
//! attacker's keys in use): one cache miss after another, each waiting for the one before.
//! A block's records are read first, all at once, so their misses overlap; then the block is
//! weighed in the order the transactions came, with the clock each came at, so the results
//! are those of weighing each as it came (nothing reads an observer before the run ends).

use super::view::{Rule, Scope};
use super::{FLEET, NONE, Privacy, Rotate, Watcher};
use crate::consensus::{TxIn, notary};
use crate::engine::Time;

/// Transactions weighed together.
pub(super) const BLOCK: usize = 32;

/// A transaction seen and not weighed yet, with what its upload told of it.
#[derive(Clone, Copy)]
pub(super) struct Sighting {
    now: Time,
    uploaded: Time,
    /// Where in the gateway batch interval it arrived (its batch's order tells).
    within: Time,
    device: u32,
    bytes: u32,
    epoch: u32,
    group: u32,
    entry: u32,
    /// The peer a relay brought it from (`NONE`: seen at its entry); the observers whose
    /// first spy that was are marked in `Privacy::firsts` from `first` on.
    from: u32,
    first: u32,
}

impl Watcher {
    /// Reads what weighing a transaction of tracked device `slot` signed with key `epoch`,
    /// from gateway `gateway`, will touch; the word read means nothing.
    fn touch(&self, slot: u32, epoch: u32, gateway: u32) -> u64 {
        if let Scope::Gateway(g) = self.scope
            && g != gateway
        {
            return 0;
        }
        self.devices[slot as usize].newest.touch() ^ self.linker.touch(slot, epoch)
    }
}

impl Privacy {
    /// An upload of `txs` reached entry validator `entry` at `now`.
    pub fn observe(&mut self, now: Time, entry: u32, txs: &[TxIn]) {
        self.see(now, entry, txs, NONE);
    }

    /// Relayed transactions `txs`, which entered at `origin`, reached watched validator
    /// `node` from peer `from` at `now`; `had(v)`: validator `v` had them before. An observer
    /// sees them here when `node` is the first of its validators to have them, and its first
    /// spy names `from`.
    pub fn observe_at(
        &mut self,
        (node, from, origin): (u32, u32, u32),
        now: Time,
        txs: &[TxIn],
        had: &dyn Fn(u32) -> bool,
    ) {
        let marked = self.firsts.len();
        self.firsts
            .extend(self.watchers.iter().map(|w| match &w.scope {
                Scope::Nodes { spies, at, .. } => {
                    at[node as usize] && !spies.iter().any(|&v| had(v))
                }
                Scope::Gateway(_) => false,
            }));
        if self.firsts[marked..].contains(&true) {
            self.see(now, origin, txs, from);
        } else {
            self.firsts.truncate(marked);
        }
    }

    /// `txs`, which entered at `entry`, are seen at `now`: at their entry (`from` `NONE`), or
    /// relayed from peer `from` to a validator that is the first spy of the observers marked
    /// last in `firsts`.
    fn see(&mut self, now: Time, entry: u32, txs: &[TxIn], from: u32) {
        let n = txs.len() as u64;
        let first = self.firsts.len().saturating_sub(self.watchers.len()) as u32;
        for (i, t) in txs.iter().enumerate() {
            if !self.measure.covers(t.created) {
                continue;
            }
            let gi = self.groups.partition_point(|g| g.first <= t.device) - 1;
            let g = &self.groups[gi];
            let epoch = match g.rotate {
                Rotate::Never => 0,
                Rotate::EveryTx(k) => t.seq / k,
                Rotate::Every(p) => (t.created / p) as u32,
            };
            // In a gateway batch the order tells when each arrived within the interval.
            let batched = self.interval > 0 && g.plain && n > 1;
            let within = if batched {
                (self.interval as f64 * (i as f64 + 0.5) / n as f64) as Time
            } else {
                self.interval
            };
            self.pending.push(Sighting {
                now,
                uploaded: t.uploaded,
                within,
                device: t.device,
                bytes: t.bytes,
                epoch,
                group: gi as u32,
                entry,
                from,
                first,
            });
        }
        if self.pending.len() >= BLOCK {
            self.flush();
        }
    }

    /// Weighs every transaction seen, in the order seen, a block at a time.
    pub(super) fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for block in pending.chunks(BLOCK) {
            let mut gateways = [FLEET; BLOCK];
            let mut touched = 0u64;
            for (g, s) in gateways.iter_mut().zip(block) {
                *g = self.gateway_of[s.device as usize];
                if let Some(slot) = self.slot(s.device) {
                    for w in &self.watchers {
                        touched ^= w.touch(slot, s.epoch, *g);
                    }
                }
            }
            // Kept, so the reads are made.
            std::hint::black_box(touched);
            for (s, &g) in block.iter().zip(&gateways) {
                self.weigh(s, g);
            }
        }
        self.pending = pending;
        self.pending.clear();
        self.firsts.clear();
    }

    /// Weighs sighting `s`, from gateway `gateway` (`FLEET`: none known).
    fn weigh(&mut self, s: &Sighting, gateway: u32) {
        let gateway = Some(gateway).filter(|&gw| gw != FLEET);
        let gi = s.group as usize;
        let entry = s.entry;
        let relay = (s.from != NONE).then(|| (s.from, &self.firsts[s.first as usize..]));
        let slot = self.slot(s.device);
        let cp = |validators| notary::counterparty(self.seed, validators, s.device, entry);
        for (wi, w) in self.watchers.iter_mut().enumerate() {
            let (seen, pool) = match &w.scope {
                Scope::Gateway(gw) => {
                    if gateway != Some(*gw) || relay.is_some() {
                        continue;
                    }
                    (s.uploaded, *gw)
                }
                Scope::Nodes {
                    at,
                    delay,
                    spy_ok,
                    rule,
                    ..
                } => {
                    let visible = match rule {
                        Rule::All => true,
                        Rule::Groups(mask) => mask[gi],
                        Rule::Parties { validators } => {
                            at[entry as usize] || at[cp(*validators) as usize]
                        }
                    };
                    let (d, named) = match relay {
                        None => match delay[entry as usize].filter(|_| visible) {
                            Some(d) => (d, spy_ok[entry as usize]),
                            None => continue,
                        },
                        Some((from, first)) if visible && first[wi] => (0, from == entry),
                        Some(_) => continue,
                    };
                    w.spy.0 += named as u64;
                    w.spy.1 += 1;
                    let pool = match gateway {
                        Some(gw) if at[entry as usize] => gw,
                        _ => FLEET,
                    };
                    ((s.now + d + s.within).saturating_sub(self.interval), pool)
                }
            };
            w.visible += 1;
            let Some(slot) = slot else { continue };
            let population = if pool == FLEET {
                self.devices
            } else {
                u64::from(self.behind[pool as usize])
            };
            let d = &mut w.devices[slot as usize];
            w.linker.see(
                (pool, s.bytes),
                gi,
                slot,
                s.epoch,
                seen,
                s.now,
                &mut d.newest,
            );
            w.anon
                .see((pool, s.bytes), slot, &mut d.tally, seen, population);
        }
    }
}
