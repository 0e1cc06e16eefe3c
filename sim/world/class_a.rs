//! A LoRaWAN device's uplink side in its shard: readings wait in the device's buffer for the
//! duty cycle of its sub-band and, with confirmed uplinks, for the ACK of the frame in
//! flight; a frame without an ACK goes again when the network side says its timeout ran out.
//!
//! A device sends at most one frame per wake and never schedules a frame into the future:
//! what cannot leave now stays in the buffer (bounded by `buffer_tx`, the readings of an
//! unacknowledged frame included) and the device wakes again when its sub-band reopens (even
//! outside its connectivity window, which only governs when it picks up readings). Wakes of this kind carry sequence number 1 in the shard's queue (the planned
//! wakes, for new readings, carry 0); a device keeps note of its earliest one so that it is
//! never queued twice.
//!
//! Sources: LoRaWAN L2 1.0.4 (TS001-1.0.4) 4.3.1.3 (an unacknowledged uplink is repeated
//! with the same frame counter, on a new channel, after the receive windows; no new uplink
//! meanwhile); LoRaWAN Specification 1.0.3 section 7, "Retransmissions back-off" (also
//! TR007-1.1 4.8): the repeats of a frame that waits for an answer may take at most 36 s of
//! airtime in the first hour after power-up, 36 s in the next ten hours, then 8.7 s per 24
//! hours; devices power up when the run starts.

use std::collections::HashMap;

use super::{Shard, push_readings, upload_delay};
use crate::engine::{EventKey, NS_PER_S, Purpose, Time, draw_u64};
use crate::radio::{MAC_OVERHEAD_BYTES, next_free};
use crate::world::airwaves::{AirPlan, FrameOut};

/// Queue sequence number of a wake for the radio (duty cycle over, ACK or timeout).
pub(super) const RADIO_WAKE: u32 = 1;
/// No radio wake pending.
const NO_WAKE: Time = Time::MAX;

const HOUR: Time = 3600 * NS_PER_S;

/// A radio device's state between wakes.
#[derive(Clone, Copy, Debug)]
pub(super) struct RadioDev {
    /// When its uplink sub-band reopens.
    pub free_at: Time,
    /// Its earliest pending radio wake, or `NO_WAKE`.
    wake_at: Time,
    /// Since when the readings it holds have been ready to leave: the wake that found its
    /// buffer empty, or the end of its last confirmed exchange.
    pub since: Time,
}

/// A confirmed frame of a device awaiting its ACK.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pending {
    seq: u32,
    len: u32,
    /// Transmissions so far.
    sent: u8,
    /// What the network side said of the last transmission and when the device learns it;
    /// `None` while that is not known yet.
    next: Option<(Time, Outcome)>,
}

/// What the network side tells a device after one transmission of a confirmed frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The ACK arrived, at `at`.
    Acked,
    /// No ACK: the frame may go again from `at` (RX2 + ACK_TIMEOUT).
    Retry,
    /// No ACK after the last repeat: the device gives the frame up at `at`.
    GaveUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub device: u32,
    pub at: Time,
    pub outcome: Outcome,
}

/// The back-off period holding `t`: its end and the repeat airtime it allows.
fn backoff_period(t: Time) -> (u64, Time, Time) {
    let (first, next) = (HOUR, 11 * HOUR);
    if t < first {
        (0, first, 36 * NS_PER_S)
    } else if t < next {
        (1, next, 36 * NS_PER_S)
    } else {
        let k = (t - next) / (24 * HOUR);
        (2 + k, next + (k + 1) * 24 * HOUR, 8_700_000_000)
    }
}

/// Repeat airtime a device used in one back-off period.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Backoff {
    period: u64,
    used: Time,
}

impl Backoff {
    /// When a repeat of `toa` may start at or after `t`.
    fn allows(&self, t: Time, toa: Time) -> Time {
        let (period, end, cap) = backoff_period(t);
        let used = if period == self.period { self.used } else { 0 };
        if used + toa <= cap { t } else { end }
    }

    fn charge(&mut self, t: Time, toa: Time) {
        let (period, _, _) = backoff_period(t);
        if period != self.period {
            *self = Backoff { period, used: 0 };
        }
        self.used += toa;
    }
}

/// The radio's share of a shard: per device its sub-band, and the confirmed frames in flight
/// and back-off budgets of the few devices that have them.
#[derive(Default)]
pub(super) struct Macs {
    pub devs: Vec<RadioDev>,
    pending: HashMap<u32, Pending>,
    backoff: HashMap<u32, Backoff>,
}

impl Macs {
    pub fn new(devices: u32) -> Self {
        let idle = RadioDev {
            free_at: 0,
            wake_at: NO_WAKE,
            since: 0,
        };
        Macs {
            devs: vec![idle; devices as usize],
            ..Macs::default()
        }
    }

    /// Buffer places local device `l`'s unacknowledged readings take.
    pub fn reserved(&self, l: u32) -> u32 {
        self.pending.get(&l).map_or(0, |p| p.len)
    }
}

/// The channel of transmission `attempt` of a device's frame named `seq`: a first
/// transmission keeps the draw unconfirmed frames always had.
fn channel(seed: u64, d: u32, seq: u32, attempt: u8, channels: u8) -> u8 {
    let index = seq as u64 | (attempt as u64) << 32;
    (draw_u64(seed, d as u64, Purpose::Radio, index) % channels as u64) as u8
}

impl Shard {
    /// A radio device's wake: the outcome of its confirmed frame if it is due, then a due
    /// repeat, else (no confirmed frame in flight) one frame of what its buffer holds when the
    /// sub-band is open; then the next radio wake it needs.
    pub(super) fn wake_radio(
        &mut self,
        l: u32,
        now: Time,
        radio_wake: bool,
        air: &AirPlan,
        gi: usize,
    ) {
        let d = self.fleet.ids[l as usize];
        let radio = &air.groups[gi];
        let sf = air.sf[d as usize];
        let phy = radio.phy(sf);
        let seed = self.seed;
        let tx_bytes = self.fleet.group_of(d).tx_bytes;
        let macs = &mut self.macs;
        let dev = &mut macs.devs[l as usize];
        if radio_wake && dev.wake_at == now {
            dev.wake_at = NO_WAKE;
        }
        if let Some(p) = macs.pending.get(&l)
            && let Some((at, outcome)) = p.next.filter(|n| n.0 <= now)
            && outcome != Outcome::Retry
        {
            macs.pending.remove(&l);
            dev.since = at;
        }
        // When a due repeat may go, if not now (duty cycle or back-off).
        let mut repeat_at = None;
        if let Some(p) = macs.pending.get_mut(&l)
            && let Some((due, _)) = p.next.filter(|n| n.0 <= now)
        {
            let toa = phy.time_on_air(p.len * tx_bytes + MAC_OVERHEAD_BYTES);
            let backoff = macs.backoff.entry(l).or_default();
            let start = backoff.allows(now.max(dev.free_at), toa);
            if start > now {
                repeat_at = Some(start);
            } else {
                backoff.charge(now, toa);
                self.frames.push(FrameOut {
                    start: now,
                    end: now + toa,
                    ready: due,
                    device: d,
                    seq: p.seq,
                    txs: 0,
                    len: p.len,
                    channel: channel(seed, d, p.seq, p.sent, radio.channels),
                    sf,
                    attempt: p.sent,
                    delayed: false,
                });
                p.sent += 1;
                p.next = None;
                dev.free_at = next_free(now, toa, radio.duty_cycle);
            }
        }
        let reserved = macs.reserved(l);
        let (frames, txs, delayed) = (&mut self.frames, &mut self.txs, &mut self.delayed);
        let next = self.fleet.wake_holding(
            l,
            now,
            &mut self.metrics,
            (reserved, radio_wake),
            |g, metrics, buf, kept| {
                if kept == 0 {
                    // Fresh readings in an empty buffer leave after their privacy delay, and
                    // what joins them meanwhile leaves with them.
                    let until = now + upload_delay(g, seed, d, now);
                    if until > now {
                        delayed.insert(l, until);
                    }
                }
                if macs.pending.contains_key(&l) {
                    // Waiting for an ACK: the readings wait too.
                    return;
                }
                let dev = &mut macs.devs[l as usize];
                if kept == 0 {
                    // What it holds became ready to leave now (it may have been created
                    // while the device was offline).
                    dev.since = now;
                }
                let until = delayed.get(&l).copied();
                if dev.free_at > now || until.is_some_and(|u| u > now) {
                    return;
                }
                delayed.remove(&l);
                let per_frame = (radio.max_payload[(sf - 7) as usize] / g.tx_bytes).max(1) as usize;
                let k = buf.len().min(per_frame);
                let toa = phy.time_on_air(k as u32 * g.tx_bytes + MAC_OVERHEAD_BYTES);
                // Its duty-cycle wait starts when the privacy delay, if any, is over.
                let ready = buf
                    .front()
                    .map_or(now, |r| r.created)
                    .max(dev.since)
                    .max(until.unwrap_or(0));
                let first = txs.len() as u32;
                let seq = push_readings(txs, buf.drain(..k), g.tx_bytes, metrics, now)
                    .expect("a frame holds readings");
                frames.push(FrameOut {
                    start: now,
                    end: now + toa,
                    ready,
                    device: d,
                    seq,
                    txs: first,
                    len: k as u32,
                    channel: channel(seed, d, seq, 0, radio.channels),
                    sf,
                    attempt: 0,
                    delayed: until.is_some(),
                });
                dev.free_at = next_free(now, toa, radio.duty_cycle);
                if radio.confirmed {
                    let p = Pending {
                        seq,
                        len: k as u32,
                        sent: 1,
                        next: None,
                    };
                    macs.pending.insert(l, p);
                }
            },
        );
        let wake = match macs.pending.get(&l) {
            Some(p) => repeat_at.or(p.next.map(|n| n.0).filter(|&t| t > now)),
            // What it holds leaves when the sub-band reopens and its privacy delay is over,
            // online or not: the device stays awake to finish what an online window started.
            None if self.fleet.holds(l) => {
                let until = self.delayed.get(&l).copied().unwrap_or(0);
                Some(macs.devs[l as usize].free_at.max(until))
            }
            None => None,
        };
        if let Some(t) = wake {
            self.radio_wake(l, t);
        }
        if let Some(t) = next.filter(|_| !radio_wake) {
            self.queue.push(EventKey::new(t, l, 0), ());
        }
    }

    /// Queues a radio wake of local device `l` at `t`, unless one at or before `t` is
    /// pending already (that one will see what is needed then).
    fn radio_wake(&mut self, l: u32, t: Time) {
        let dev = &mut self.macs.devs[l as usize];
        if t >= self.end || dev.wake_at <= t {
            return;
        }
        dev.wake_at = t;
        self.queue.push(EventKey::new(t, l, RADIO_WAKE), ());
    }

    /// The network side's word on local device `l`'s confirmed frame; the device learns it,
    /// and acts on it, at `fb.at`, which lies after every event the shard has run.
    pub fn on_feedback(&mut self, l: u32, fb: Feedback) {
        let p = self
            .macs
            .pending
            .get_mut(&l)
            .expect("feedback on a frame in flight");
        p.next = Some((fb.at, fb.outcome));
        self.radio_wake(l, fb.at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 36 s in the first hour, 36 s in the next ten, then 8.7 s a day.
    #[test]
    fn backoff_caps_repeat_airtime_per_period() {
        let s = NS_PER_S;
        let mut b = Backoff::default();
        b.charge(10 * s, 35 * s);
        assert_eq!(b.allows(20 * s, s), 20 * s);
        assert_eq!(b.allows(20 * s, 2 * s), HOUR);
        b.charge(HOUR, 36 * s);
        assert_eq!(b.allows(2 * HOUR, s), 11 * HOUR);
        assert_eq!(b.allows(11 * HOUR, 8 * s), 11 * HOUR);
        b.charge(11 * HOUR, 8 * s);
        assert_eq!(b.allows(12 * HOUR, s), 35 * HOUR);
        assert_eq!(b.allows(35 * HOUR, s), 35 * HOUR);
    }
}
