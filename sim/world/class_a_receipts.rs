//! Settlement receipts of LoRaWAN class A devices, waiting at the network server for an
//! uplink: class A has no other way in. When a device's uplink is received, the network
//! server answers it with one downlink (RX1, else RX2, through the class A window API that
//! ACKs use: one transmit chain per gateway, its downlink duty cycle, half duplex), carrying
//! one part of the oldest receipt that was queued early enough; a confirmed uplink's ACK
//! carries it (the ACK bit on a data downlink). A receipt larger than the window's data rate
//! allows goes in parts, one per uplink. No window free: the receipt waits for the next
//! uplink, and the miss is counted with the reason at the strongest gateway.
//!
//! Determinism: the network server answers an uplink with what its queue held `LEAD` before
//! the uplink ended. The fleet runs at most `LEAD` ahead of the validators when a group has
//! class A receipts, so every receipt ready that early is known when the airwaves finish the
//! uplink, whatever the barriers; the downlinks are booked in the order the airwaves finish
//! frames (their end), one order for ACKs and receipts, fixed by the model.

use std::collections::HashMap;

use super::acks::{Acks, heard};
use super::airwaves::{FrameOut, GatewayStats, GroupRadio};
use super::shard::Outcome;
use crate::energy::Downlink as Heard;
use crate::engine::{NS_PER_S, Time};
use crate::metrics::Metrics;
use crate::net::Access;
use crate::radio::{Downlink, MAC_OVERHEAD_BYTES, Receiver, Refusal, Region, Window};

/// How long before an uplink ends a receipt must be at the network server to go down after
/// it: RECEIVE_DELAY1 (1 s, RP002-1.0.4), the bound on how far the fleet runs ahead.
pub const LEAD: Time = NS_PER_S;

#[derive(Clone, Copy, Debug)]
struct Waiting {
    created: Time,
    /// When it reached the network server.
    ready: Time,
    bytes: u32,
    /// Bytes not yet sent.
    left: u32,
}

/// What became of the class A receipts handed to the queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassACounts {
    pub queued: u64,
    pub delivered: u64,
    pub bytes_delivered: u64,
    /// Downlinks that carried receipt parts.
    pub downlinks: u64,
    /// Received uplinks whose windows could not carry a waiting receipt, by the strongest
    /// gateway's reason in the last window tried.
    pub missed_busy: u64,
    pub missed_duty_cycle: u64,
    /// ... or because the backhaul's round trip outlasted both receive delays.
    pub missed_backhaul: u64,
}

/// The network server's queue of class A receipts, by device.
#[derive(Default)]
pub struct ReceiptQueue {
    waiting: HashMap<u32, Vec<Waiting>>,
    pub counts: ClassACounts,
    /// Receipts each device holds, for its energy.
    pub held: HashMap<u32, u64>,
}

impl ReceiptQueue {
    pub fn push(&mut self, device: u32, created: Time, ready: Time, bytes: u32) {
        self.counts.queued += 1;
        self.waiting.entry(device).or_default().push(Waiting {
            created,
            ready,
            bytes,
            left: bytes,
        });
    }

    /// The receipt the network server sends after `device`'s uplink ending at `end`: the
    /// first ready among those at the network server `LEAD` before `end`.
    pub fn due(&self, device: u32, end: Time) -> Option<usize> {
        let list = self.waiting.get(&device)?;
        (0..list.len())
            .filter(|&i| list[i].ready + LEAD < end)
            .min_by_key(|&i| (list[i].ready, list[i].created, i))
    }

    /// The bytes of receipt `i` of `device` that window `w` carries: what is left, up to the
    /// application payload of the window's data rate.
    pub fn part(&self, device: u32, i: usize, w: &Window, region: &Region) -> u32 {
        let left = self.waiting[&device][i].left;
        left.min(region.data_rates[w.dr as usize].max_app_payload)
    }

    /// Receipt `i` of `device` had `bytes` sent in a downlink that ended at `done`.
    pub fn sent(&mut self, device: u32, i: usize, bytes: u32, done: Time, m: &mut Metrics) {
        self.counts.downlinks += 1;
        let list = self.waiting.get_mut(&device).expect("a queued receipt");
        list[i].left -= bytes;
        if list[i].left > 0 {
            return;
        }
        let r = list.remove(i);
        if list.is_empty() {
            self.waiting.remove(&device);
        }
        self.counts.delivered += 1;
        self.counts.bytes_delivered += r.bytes as u64;
        *self.held.entry(device).or_default() += 1;
        m.on_receipt(r.created, done);
    }

    /// A received uplink's windows could not carry a waiting receipt.
    pub fn missed(&mut self, why: Option<Refusal>) {
        match why {
            Some(Refusal::Busy) => self.counts.missed_busy += 1,
            Some(Refusal::DutyCycle) => self.counts.missed_duty_cycle += 1,
            None => self.counts.missed_backhaul += 1,
        }
    }

    /// Receipts still waiting at the network server, parts sent or not.
    pub fn pending(&self) -> u64 {
        self.waiting.values().map(|l| l.len() as u64).sum()
    }
}

/// The network server's answer to transmission `f` of group `g`, received by the gateways in
/// `copies` (received power, gateway; empty when lost): the ACK of a confirmed frame, with the
/// part of a due receipt on it, or for an unconfirmed frame a downlink of that part alone.
/// Returns what the device heard in its windows, for a confirmed frame what follows, and the
/// downlink that carried a receipt part, if one did.
#[allow(clippy::too_many_arguments)]
pub fn answer_uplink(
    acks: &mut Acks,
    queue: Option<&mut ReceiptQueue>,
    f: &FrameOut,
    g: &GroupRadio,
    copies: &mut [(f32, u32)],
    access: &Access,
    receivers: &mut [Receiver],
    gateways: &mut [GatewayStats],
    m: &mut Metrics,
) -> (Heard, Option<Outcome>, Option<Downlink>) {
    let due = match queue.as_deref() {
        Some(q) if !copies.is_empty() => q.due(f.device, f.end),
        _ => None,
    };
    let region = g.region;
    let q = queue.as_deref();
    let payload = |w: &Window| match (due, q) {
        (Some(i), Some(q)) => q.part(f.device, i, w, region),
        _ => 0,
    };
    let (heard_now, outcome, carried) = if g.confirmed {
        let r = acks.answer(f, g, copies, &payload, access, receivers, gateways);
        (r.heard, Some(r.outcome), r.ack)
    } else if due.is_some() {
        let bytes = |w: &Window| MAC_OVERHEAD_BYTES + payload(w);
        let dl = acks.book(f, g, copies, &bytes, access, receivers, gateways);
        (heard(dl), None, dl)
    } else {
        (Heard::None, None, None)
    };
    if let (Some(i), Some(q)) = (due, queue) {
        match carried {
            Some(dl) => {
                let bytes = q.part(f.device, i, &dl.window, region);
                gateways[dl.gateway as usize].receipts += 1;
                q.sent(f.device, i, bytes, dl.end, m);
            }
            None => q.missed(acks.last_refusal),
        }
    }
    (heard_now, outcome, carried.filter(|_| due.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Purpose, draw_unit};
    use crate::radio::Slot;
    use crate::world::airwaves::AirPlan;

    const SCENARIO: &str = "
duration_s: 600
devices:
  - count: 200
    workload: { model: periodic, interval_s: 60 }
    tx_bytes: 10
    radio: { model: lorawan, sf: 7 }
    receipts: { size_bytes: 80 }
gateways: { count: 3 }
area: { shape: disc, size_m: 2000 }
validators: { count: 4 }
consensus: { protocol: nakamoto, block_interval_s: 30 }
";

    // Thousands of uplinks from 200 devices at every SF, receipts reaching the network
    // server at random moments around them: a receipt part goes down only after an uplink
    // that ended more than LEAD after the receipt was ready, exactly in RX1 (1 s after the
    // uplink's end, on its channel) or RX2 (2 s, 869.525 MHz), no larger than the window's
    // data rate allows, heard by the device as such; a gateway never sends two downlinks at
    // once; the receipts are conserved.
    #[test]
    fn receipts_go_down_only_in_rx1_or_rx2_after_a_later_uplink() {
        let s = crate::scenario::parse(SCENARIO, "t").unwrap();
        let net = crate::net::Network::build(&s);
        let access = Access::build(&s, &net);
        let plan = AirPlan::build(&s).unwrap();
        let g = plan.groups[0].clone();
        let mut acks = Acks::new(g.region, 3, 1, false);
        let mut q = ReceiptQueue::default();
        let mut receivers = vec![Receiver::new(); 3];
        let mut stats = vec![GatewayStats::default(); 3];
        let mut m = Metrics::new(60 * NS_PER_S, 3600 * NS_PER_S);
        let mut sent: Vec<Downlink> = Vec::new();
        let (mut rx1, mut rx2) = (0, 0);
        let mut end = 5 * NS_PER_S;
        for i in 0..6000u32 {
            let draw = |k| draw_unit(9, i as u64, Purpose::Radio, k);
            end += (draw(0) * 0.2 * NS_PER_S as f64) as Time;
            let device = (draw(1) * 200.0) as u32;
            if draw(2) < 0.5 {
                let who = (draw(3) * 200.0) as u32;
                let ready = end - (draw(4) * 3.0 * NS_PER_S as f64) as Time;
                q.push(who, ready, ready, 20 + (draw(5) * 200.0) as u32);
            }
            let sf = 7 + (draw(6) * 6.0) as u8;
            let f = FrameOut {
                start: end - NS_PER_S / 10,
                end,
                ready: end - NS_PER_S / 10,
                device,
                seq: i,
                txs: 0,
                len: 1,
                channel: (draw(7) * 3.0) as u8,
                sf,
                attempt: 0,
                delayed: false,
            };
            let mut copies: Vec<(f32, u32)> = (0..3)
                .filter(|&k| draw(8 + k as u64) < 0.7)
                .map(|k| (-100.0 - 10.0 * draw(11 + k as u64) as f32, k))
                .collect();
            let due = (!copies.is_empty())
                .then(|| q.due(device, end))
                .flatten()
                .map(|k| q.waiting[&device][k]);
            let before = q.counts.downlinks;
            let (heard, outcome, dl) = answer_uplink(
                &mut acks,
                Some(&mut q),
                &f,
                &g,
                &mut copies,
                &access,
                &mut receivers,
                &mut stats,
                &mut m,
            );
            assert_eq!(outcome, None);
            let Some(dl) = dl else {
                assert_eq!(heard, Heard::None);
                assert_eq!(q.counts.downlinks, before);
                continue;
            };
            let r = due.expect("a part only of a due receipt");
            assert!(r.ready + LEAD < f.end, "{r:?} too late for {f:?}");
            assert_eq!(q.counts.downlinks, before + 1);
            let carried = r
                .left
                .min(g.region.data_rates[dl.window.dr as usize].max_app_payload);
            let toa = acks_airtime(&g, &dl, carried);
            assert_eq!(dl.end - dl.start, toa);
            match dl.window.slot {
                Slot::Rx1 => {
                    rx1 += 1;
                    assert_eq!(dl.start, f.end + NS_PER_S);
                    assert_eq!(dl.window.mhz, [868.1, 868.3, 868.5][f.channel as usize]);
                    assert_eq!(heard, Heard::Rx1(toa));
                }
                Slot::Rx2 => {
                    rx2 += 1;
                    assert_eq!(dl.start, f.end + 2 * NS_PER_S);
                    assert_eq!(dl.window.mhz, 869.525);
                    assert_eq!(heard, Heard::Rx2(toa));
                }
            }
            sent.push(dl);
        }
        let c = q.counts;
        assert!(rx1 > 10 && rx2 > 30, "{rx1} in RX1, {rx2} in RX2");
        assert!(c.missed_busy + c.missed_duty_cycle > 100, "{c:?}");
        assert!(c.delivered > 10 && c.delivered < c.downlinks, "{c:?}");
        assert_eq!(c.queued, c.delivered + q.pending());
        for gw in 0..3u32 {
            let mine: Vec<_> = sent.iter().filter(|d| d.gateway == gw).collect();
            for (k, a) in mine.iter().enumerate() {
                for b in &mine[k + 1..] {
                    assert!(a.end <= b.start || b.end <= a.start, "{a:?} overlaps {b:?}");
                }
            }
            assert_eq!(stats[gw as usize].receipts, mine.len() as u64);
        }
    }

    /// Time on air of a downlink of `payload` application bytes in `dl`'s window.
    fn acks_airtime(g: &GroupRadio, dl: &Downlink, payload: u32) -> Time {
        let w = crate::radio::RxWindows::new(g.region);
        w.airtime(&dl.window, MAC_OVERHEAD_BYTES + payload)
    }
}
