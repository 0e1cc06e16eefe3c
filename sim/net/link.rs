//! Each validator's upload link, shared by the block transfers it serves at once
//! (`network.upload`, used under `relay_model: announce`).
//!
//! * FIFO: one transfer at a time in request order, so the k-th of k copies requested together
//!   ends after k transfer times. Its end is known when it is queued: no event is needed.
//! * Stop-and-wait: FIFO, and the link stays held until the copy is delivered, as SimBlock's
//!   sender waits for each block message to arrive before sending the next.
//! * Fair (processor sharing): the upload is split equally among the transfers in progress, so
//!   k copies requested together all end after k transfer times. A later request slows the
//!   ones in progress, so ends are not known in advance: the link keeps a virtual clock (bits
//!   served to each active transfer so far) and one pending completion event, superseded by
//!   a generation number whenever a new transfer changes the share.

use crate::engine::{NS_PER_S, Time};
use crate::scenario::UploadSharing;

struct Active<T> {
    /// Virtual time at which this transfer has received all its bits.
    finish: f64,
    payload: T,
}

/// One fair-shared link.
struct Fair<T> {
    /// Bits served to every active transfer since the link was built.
    virtual_bits: f64,
    /// When `virtual_bits` was last brought up to date.
    last: Time,
    /// Generation of the pending completion event; older events are stale.
    generation: u32,
    active: Vec<Active<T>>,
}

impl<T> Fair<T> {
    fn advance(&mut self, now: Time, bps: f64) {
        if !self.active.is_empty() {
            let dt = (now - self.last) as f64 / NS_PER_S as f64;
            self.virtual_bits += dt * bps / self.active.len() as f64;
        }
        self.last = now;
    }

    /// When the earliest active transfer ends if nothing joins, and the generation to expect.
    fn next(&mut self, bps: f64) -> Option<(Time, u32)> {
        self.generation = self.generation.wrapping_add(1);
        let first = self
            .active
            .iter()
            .map(|a| a.finish)
            .min_by(f64::total_cmp)?;
        let left = (first - self.virtual_bits).max(0.0);
        let dt = (left * self.active.len() as f64 / bps * NS_PER_S as f64).ceil() as Time;
        Some((self.last + dt, self.generation))
    }
}

/// The upload links of all validators.
pub struct Uplinks<T> {
    sharing: UploadSharing,
    free_at: Vec<Time>,
    fair: Vec<Fair<T>>,
}

/// Share of a bit below which a fair transfer counts as finished (rounding of event times to
/// whole nanoseconds leaves such residues).
const RESIDUE_BITS: f64 = 1e-3;

impl<T> Uplinks<T> {
    pub fn new(sharing: UploadSharing, nodes: u32) -> Self {
        let n = nodes as usize;
        let fair = match sharing {
            UploadSharing::Fair => (0..n)
                .map(|_| Fair {
                    virtual_bits: 0.0,
                    last: 0,
                    generation: 0,
                    active: Vec::new(),
                })
                .collect(),
            _ => Vec::new(),
        };
        Uplinks {
            sharing,
            free_at: vec![0; n],
            fair,
        }
    }

    pub fn sharing(&self) -> UploadSharing {
        self.sharing
    }

    /// FIFO and stop-and-wait: queues a transfer of `duration` requested at `now` on `v`'s
    /// link and returns when it ends; the link is free again `hold` later (stop-and-wait: the
    /// rest of the way to the receiver; FIFO: 0).
    pub fn queue(&mut self, v: u32, now: Time, duration: Time, hold: Time) -> Time {
        let free = &mut self.free_at[v as usize];
        let end = now.max(*free) + duration;
        *free = end + hold;
        end
    }

    /// Fair: starts a transfer of `bits` on `v`'s link of `bps` and returns when the link's
    /// next transfer ends, with the generation that event must carry.
    pub fn start(&mut self, v: u32, now: Time, bits: f64, bps: f64, payload: T) -> (Time, u32) {
        let link = &mut self.fair[v as usize];
        link.advance(now, bps);
        let finish = link.virtual_bits + bits;
        link.active.push(Active { finish, payload });
        link.next(bps).expect("a transfer was just added")
    }

    /// Fair: the completion event of generation `generation` on `v`'s link fell due at `now`.
    /// Appends the payloads of the transfers that ended to `done`, in the order they started,
    /// and returns the next event to schedule; `None` for a stale event or an idle link.
    pub fn complete(
        &mut self,
        v: u32,
        now: Time,
        generation: u32,
        bps: f64,
        done: &mut Vec<T>,
    ) -> Option<(Time, u32)> {
        let link = &mut self.fair[v as usize];
        if generation != link.generation {
            return None;
        }
        link.advance(now, bps);
        let first = link
            .active
            .iter()
            .map(|a| a.finish)
            .min_by(f64::total_cmp)?;
        let cut = link.virtual_bits.max(first) + RESIDUE_BITS;
        let mut i = 0;
        while i < link.active.len() {
            if link.active[i].finish <= cut {
                done.push(link.active.remove(i).payload);
            } else {
                i += 1;
            }
        }
        link.virtual_bits = link.virtual_bits.max(first);
        link.next(bps)
    }
}

impl<T> Uplinks<T> {
    /// Fair: takes every transfer still in progress, link by link in node order.
    pub fn unfinished(&mut self) -> Vec<T> {
        self.fair
            .iter_mut()
            .flat_map(|l| l.active.drain(..).map(|a| a.payload))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Time = NS_PER_S;

    #[test]
    fn fifo_serves_one_copy_after_another() {
        let mut up = Uplinks::<()>::new(UploadSharing::Fifo, 2);
        let ends: Vec<Time> = (0..4).map(|_| up.queue(0, 0, SECOND, 0)).collect();
        assert_eq!(ends, [SECOND, 2 * SECOND, 3 * SECOND, 4 * SECOND]);
        assert_eq!(up.queue(1, 0, SECOND, 0), SECOND, "links are per node");
        assert_eq!(
            up.queue(0, 10 * SECOND, SECOND, 0),
            11 * SECOND,
            "idle link"
        );
        let mut sw = Uplinks::<()>::new(UploadSharing::StopAndWait, 1);
        assert_eq!(sw.queue(0, 0, SECOND, SECOND / 2), SECOND);
        assert_eq!(sw.queue(0, 0, SECOND, SECOND / 2), 5 * SECOND / 2);
    }

    /// Runs a fair link to idleness; returns each payload's end time.
    fn drain(up: &mut Uplinks<u32>, mut next: Option<(Time, u32)>, bps: f64) -> Vec<(u32, Time)> {
        let mut ends = Vec::new();
        let mut done = Vec::new();
        while let Some((at, g)) = next {
            next = up.complete(0, at, g, bps, &mut done);
            ends.extend(done.drain(..).map(|p| (p, at)));
        }
        ends
    }

    #[test]
    fn fair_share_ends_k_equal_copies_together() {
        let bps = 8e6;
        let mut up = Uplinks::new(UploadSharing::Fair, 1);
        let mut next = None;
        for k in 0..5u32 {
            next = Some(up.start(0, 0, 8e6, bps, k));
        }
        let ends = drain(&mut up, next, bps);
        assert_eq!(ends.len(), 5);
        for (_, at) in ends {
            assert!(at.abs_diff(5 * SECOND) <= 1, "{at}");
        }
    }

    #[test]
    fn a_late_transfer_slows_the_one_in_progress() {
        let bps = 8e6;
        let mut up = Uplinks::new(UploadSharing::Fair, 1);
        let (at, g) = up.start(0, 0, 8e6, bps, 0);
        assert_eq!(at, SECOND);
        // Half a second in, a second transfer of the same size joins: the first has 4 Mbit
        // left at half speed (1 s more), then the second has 4 Mbit left at full speed.
        let next = up.start(0, SECOND / 2, 8e6, bps, 1);
        let mut done = Vec::new();
        assert_eq!(up.complete(0, at, g, bps, &mut done), None, "stale event");
        assert!(done.is_empty());
        let ends = drain(&mut up, Some(next), bps);
        assert_eq!(ends[0].0, 0);
        assert!(ends[0].1.abs_diff(3 * SECOND / 2) <= 1, "{:?}", ends);
        assert_eq!(ends[1].0, 1);
        assert!(ends[1].1.abs_diff(2 * SECOND) <= 1, "{:?}", ends);
    }
}
