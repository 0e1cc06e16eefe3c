//! The network server's side of confirmed uplinks: an ACK for every received transmission,
//! placed through the class A window API (RX1, else RX2, at the first gateway that received
//! the frame, strongest first, whose single transmit chain is idle and whose downlink duty
//! cycle allows it); the gateway hears nothing while it sends. A transmission without an ACK
//! makes its device send the frame again after RX2 and ACK_TIMEOUT, up to its group's
//! repeats; after the last it gives the frame up.
//!
//! Determinism: the airwaves finish the frames of each barrier in the order of their end
//! (then device, first reading, attempt), and every frame ends after the frames of the
//! barrier before, so ACKs are booked in one order fixed by the model whatever the barriers.
//! The fleet's window is at most RECEIVE_DELAY1 wide when any group is confirmed, so every
//! ACK starts after the barrier at which its uplink finished: the gateway learns of its
//! transmission before it hears any frame that starts during it, and each device learns its
//! frame's fate before its shard runs past the moment it hears it.

use std::collections::HashMap;

use super::airwaves::{FrameOut, GatewayStats, GroupRadio};
use super::shard::{Feedback, Outcome};
use crate::energy::Downlink as Heard;
use crate::engine::{Purpose, draw_unit};
use crate::metrics::Value;
use crate::net::Access;
use crate::radio::{
    ACK_PHY_BYTES, Downlink, GatewayTx, MAC_OVERHEAD_BYTES, Receiver, Refusal, Region, RxWindows,
    Slot, Window, retransmit_at,
};

/// Counters of confirmed uplinks. A frame is finished once acknowledged or given up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AckStats {
    pub frames_finished: u64,
    /// Transmissions of the finished frames, first ones included.
    pub transmissions: u64,
    /// Repeats sent, finished frames or not.
    pub retransmissions: u64,
    pub acks_rx1: u64,
    pub acks_rx2: u64,
    /// Received transmissions whose ACK fitted neither window at any gateway.
    pub acks_no_window: u64,
    pub given_up: u64,
    /// Repeats received after the readings had reached the network (deduplicated there).
    pub repeats_received_again: u64,
}

/// What a device hears in its receive windows when `dl` (if any) is sent to it.
pub fn heard(dl: Option<Downlink>) -> Heard {
    match dl {
        Some(dl) if dl.window.slot == Slot::Rx1 => Heard::Rx1(dl.end - dl.start),
        Some(dl) => Heard::Rx2(dl.end - dl.start),
        None => Heard::None,
    }
}

/// The network side's answer to one transmission.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Answer {
    pub ack: Option<Downlink>,
    /// What the device heard in its receive windows.
    pub heard: Heard,
    pub outcome: Outcome,
}

pub struct Acks {
    /// Each gateway's transmitter, shared by ACKs and settlement receipts.
    pub tx: Vec<GatewayTx>,
    /// Readings of unacknowledged frames the network never received, kept for their
    /// repeats: the airwaves' reading list, by device.
    pub kept: HashMap<u32, u32>,
    /// The devices' news, for their shards.
    pub feedback: Vec<Feedback>,
    pub stats: AckStats,
    /// Whether any group sends confirmed uplinks (else only receipts go down).
    pub confirmed: bool,
    /// Why the strongest gateway refused the last window the last failed booking tried;
    /// `None` when no window opened after the round trip.
    pub last_refusal: Option<Refusal>,
    windows: RxWindows,
    region: &'static Region,
    seed: u64,
    candidates: Vec<u32>,
}

/// What a downlink carries besides an ACK: application bytes for a window, cut to its data
/// rate's payload limit (0: none).
pub type Payload<'a> = &'a dyn Fn(&Window) -> u32;

impl Acks {
    pub fn new(region: &'static Region, gateways: u32, seed: u64, confirmed: bool) -> Self {
        Acks {
            tx: vec![GatewayTx::new(region); gateways as usize],
            kept: HashMap::new(),
            feedback: Vec::new(),
            stats: AckStats::default(),
            confirmed,
            last_refusal: None,
            windows: RxWindows::new(region),
            region,
            seed,
            candidates: Vec::new(),
        }
    }

    /// Books the earliest downlink after transmission `f` of group `g`, received by the
    /// gateways in `copies` (received power, gateway; not empty), of `phy_bytes(w)` in window
    /// `w`: the strongest gateway first, after the round trip to the network server. The
    /// gateway's transmitter and receiver are taken for its time on the air; the gateways
    /// that could not send are counted by why.
    #[allow(clippy::too_many_arguments)]
    pub fn book(
        &mut self,
        f: &FrameOut,
        g: &GroupRadio,
        copies: &mut [(f32, u32)],
        phy_bytes: &dyn Fn(&Window) -> u32,
        access: &Access,
        receivers: &mut [Receiver],
        gateways: &mut [GatewayStats],
    ) -> Option<Downlink> {
        copies.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        self.candidates.clear();
        self.candidates.extend(copies.iter().map(|c| c.1));
        let dr = self
            .region
            .data_rate(f.sf, g.bandwidth_hz)
            .expect("validated uplink data rate");
        let up = crate::radio::Uplink {
            end: f.end,
            channel: f.channel,
            dr,
        };
        // To the network server and back to the gateway.
        let round_trip = 2 * access.backhaul_delay(self.candidates[0], ACK_PHY_BYTES as u64);
        let strongest = self.candidates[0];
        let mut last = None;
        let refused = |gw: u32, why: Refusal| {
            if gw == strongest {
                last = Some(why);
            }
            match why {
                Refusal::Busy => gateways[gw as usize].refused_busy += 1,
                Refusal::DutyCycle => gateways[gw as usize].refused_duty_cycle += 1,
            }
        };
        let dl = self.windows.earliest_with(
            &up,
            phy_bytes,
            f.end + round_trip,
            &self.candidates,
            &self.tx,
            refused,
        );
        self.last_refusal = last;
        let dl = dl?;
        let gw = dl.gateway as usize;
        self.tx[gw].reserve(self.region, &dl);
        receivers[gw].transmit(dl.start, dl.end);
        gateways[gw].downlinks += 1;
        gateways[gw].downlinks_rx2 += u64::from(dl.window.slot == Slot::Rx2);
        gateways[gw].downlink_airtime += dl.end - dl.start;
        Some(dl)
    }

    /// Answers one transmission `f` of a confirmed frame of group `g`, received by the
    /// gateways in `copies` (received power, gateway; empty when lost): books its ACK if one
    /// fits, with `payload` riding on it, and tells the device what follows.
    #[allow(clippy::too_many_arguments)]
    pub fn answer(
        &mut self,
        f: &FrameOut,
        g: &GroupRadio,
        copies: &mut [(f32, u32)],
        payload: Payload,
        access: &Access,
        receivers: &mut [Receiver],
        gateways: &mut [GatewayStats],
    ) -> Answer {
        if f.attempt > 0 {
            self.stats.retransmissions += 1;
        }
        let mut ack = None;
        if !copies.is_empty() {
            // An ACK alone, or the ACK bit on a data downlink (FPort and payload added).
            let phy_bytes = |w: &Window| match payload(w) {
                0 => ACK_PHY_BYTES,
                n => MAC_OVERHEAD_BYTES + n,
            };
            ack = self.book(f, g, copies, &phy_bytes, access, receivers, gateways);
            match ack {
                Some(dl) => {
                    gateways[dl.gateway as usize].acks += 1;
                    match dl.window.slot {
                        Slot::Rx1 => self.stats.acks_rx1 += 1,
                        Slot::Rx2 => self.stats.acks_rx2 += 1,
                    }
                }
                None => self.stats.acks_no_window += 1,
            }
        }
        let outcome = match ack {
            Some(_) => Outcome::Acked,
            None if f.attempt < g.retransmissions => Outcome::Retry,
            None => Outcome::GaveUp,
        };
        let at = match ack {
            Some(dl) => dl.end,
            None => retransmit_at(self.region, f.end, self.timeout_draw(f)),
        };
        self.feedback.push(Feedback {
            device: f.device,
            at,
            outcome,
        });
        if outcome != Outcome::Retry {
            self.stats.frames_finished += 1;
            self.stats.transmissions += f.attempt as u64 + 1;
        }
        if outcome == Outcome::GaveUp {
            self.stats.given_up += 1;
        }
        Answer {
            ack,
            heard: heard(ack),
            outcome,
        }
    }

    /// The device's ACK_TIMEOUT draw after transmission `f`, apart from its channel draws.
    fn timeout_draw(&self, f: &FrameOut) -> f64 {
        let index = 1 << 40 | (f.attempt as u64) << 32 | f.seq as u64;
        draw_unit(self.seed, f.device as u64, Purpose::Radio, index)
    }

    /// The confirmed uplinks' share of the summary.
    pub fn summary(&self) -> Vec<(String, Value)> {
        let s = &self.stats;
        let per_frame = if s.frames_finished == 0 {
            f64::NAN
        } else {
            s.transmissions as f64 / s.frames_finished as f64
        };
        vec![
            ("radio_confirmed_frames".into(), s.frames_finished.into()),
            (
                "radio_transmissions_per_confirmed_frame".into(),
                per_frame.into(),
            ),
            ("radio_retransmissions".into(), s.retransmissions.into()),
            ("radio_acks_rx1".into(), s.acks_rx1.into()),
            ("radio_acks_rx2".into(), s.acks_rx2.into()),
            ("radio_acks_no_window".into(), s.acks_no_window.into()),
            ("radio_frames_given_up".into(), s.given_up.into()),
            (
                "radio_retransmissions_received_again".into(),
                s.repeats_received_again.into(),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{NS_PER_S, Time};
    use crate::world::airwaves::AirPlan;

    const SCENARIO: &str = "
duration_s: 600
devices:
  - count: 10
    workload: { model: periodic, interval_s: 60 }
    tx_bytes: 10
    radio: { model: lorawan, sf: 7, confirmed: true }
gateways: { count: 3 }
area: { shape: disc, size_m: 2000 }
validators: { count: 4 }
consensus: { protocol: nakamoto, block_interval_s: 30 }
";

    /// Off-time after a downlink of `toa` at `mhz`: EU868 sub-band g1 (868.0–868.6 MHz) allows
    /// 1 %, g3 (869.4–869.65 MHz, RX2) 10 % (ETSI EN 300 220-2).
    fn off_time(mhz: f64, toa: Time) -> Time {
        let dc = if mhz < 868.6 { 0.01 } else { 0.1 };
        (toa as f64 * (1.0 / dc - 1.0)) as Time
    }

    // Thousands of received uplinks, many at once, from all SFs: every ACK sits exactly in RX1
    // (uplink channel) or RX2 (869.525 MHz), a gateway never sends two at once, and after
    // each it keeps the sub-band closed for the duty cycle's off-time.
    #[test]
    fn acks_fit_the_windows_one_transmitter_and_the_duty_cycle() {
        let s = crate::scenario::parse(SCENARIO, "t").unwrap();
        let net = crate::net::Network::build(&s);
        let access = Access::build(&s, &net);
        let plan = AirPlan::build(&s).unwrap();
        let mut g = plan.groups[0].clone();
        g.retransmissions = 1;
        let mut acks = Acks::new(g.region, 3, 1, true);
        let mut receivers = vec![Receiver::new(); 3];
        let mut stats = vec![GatewayStats::default(); 3];
        let mut booked: Vec<(u32, Downlink, FrameOut)> = Vec::new();
        let mut end = 5 * NS_PER_S;
        for i in 0..4000u32 {
            let draw = |k| draw_unit(9, i as u64, Purpose::Radio, k);
            end += (draw(0) * 0.3 * NS_PER_S as f64) as Time;
            let sf = 7 + (draw(1) * 6.0) as u8;
            let f = FrameOut {
                start: end - NS_PER_S / 10,
                end,
                ready: end - NS_PER_S / 10,
                device: i,
                seq: 0,
                txs: 0,
                len: 1,
                channel: (draw(2) * 3.0) as u8,
                sf,
                attempt: (i % 2) as u8,
                delayed: false,
            };
            let mut copies: Vec<(f32, u32)> = (0..3)
                .filter(|&k| draw(3 + k as u64) < 0.7)
                .map(|k| (-100.0 - 10.0 * draw(7 + k as u64) as f32, k))
                .collect();
            let received = !copies.is_empty();
            let a = acks.answer(
                &f,
                &g,
                &mut copies,
                &|_| 0,
                &access,
                &mut receivers,
                &mut stats,
            );
            match a.ack {
                Some(dl) => {
                    assert!(received && a.outcome == Outcome::Acked);
                    booked.push((dl.gateway, dl, f));
                }
                None if f.attempt == 0 => assert_eq!(a.outcome, Outcome::Retry),
                None => assert_eq!(a.outcome, Outcome::GaveUp),
            }
        }
        let st = acks.stats;
        assert!(
            st.acks_rx1 > 30 && st.acks_rx2 > 100 && st.acks_no_window > 100,
            "{st:?}"
        );
        for gw in 0..3 {
            let mine: Vec<_> = booked.iter().filter(|b| b.0 == gw).collect();
            assert!(!mine.is_empty());
            for &&(_, dl, f) in &mine {
                let rx1 = dl.start == f.end + NS_PER_S
                    && dl.window.mhz == [868.1, 868.3, 868.5][f.channel as usize];
                let rx2 = dl.start == f.end + 2 * NS_PER_S && dl.window.mhz == 869.525;
                assert!(rx1 || rx2, "{dl:?} after {f:?}");
            }
            for (k, &&(_, a, _)) in mine.iter().enumerate() {
                for &&(_, b, _) in &mine[k + 1..] {
                    assert!(a.end <= b.start || b.end <= a.start, "{a:?} overlaps {b:?}");
                    for (x, y) in [(a, b), (b, a)] {
                        if x.start <= y.start && (x.window.mhz < 868.6) == (y.window.mhz < 868.6) {
                            let reopen = x.end + off_time(x.window.mhz, x.end - x.start);
                            assert!(y.start >= reopen, "{y:?} within the off-time of {x:?}");
                        }
                    }
                }
            }
            assert_eq!(stats[gw as usize].downlinks, mine.len() as u64);
        }
    }
}
