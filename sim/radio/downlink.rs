//! Class A downlink: the two receive windows a device opens after each uplink, and a
//! gateway's transmitter that must fit a downlink into one of them.
//!
//! This is the seam other parts call (acknowledgements, settlement receipts, energy):
//! - [`RxWindows::earliest`]: a downlink of N bytes ready at the network server at time t, for
//!   a device whose uplink ended at e and was received by some gateways (best first): the
//!   earliest window that can carry it, from which gateway, and when it is on the air,
//!   subject to each gateway's half duplex and downlink duty cycle. `None`: neither window
//!   can, and the downlink waits for the device's next uplink (class A has no other way in).
//! - [`GatewayTx::reserve`]: books the chosen downlink on that gateway's transmitter (the
//!   caller also tells the gateway's `Receiver::transmit`, which loses what it hears then).
//! - What a device heard, for its energy (`crate::energy`, which sizes empty windows): the
//!   [`Downlink`]'s slot and time on air; RX2 is not opened after RX1 received (L2 1.0.4,
//!   3.3). Both follow from the uplink schedule, with no events of their own.
//! - [`retransmit_at`]: when an unacknowledged confirmed uplink may be sent again.
//!
//! Sources: LoRaWAN L2 1.0.4 (TS001-1.0.4) 3.3 (receive windows: RX1 RECEIVE_DELAY1 after
//! the uplink's end, RX2 RECEIVE_DELAY2 after it; no RX2 once RX1 received a frame for the
//! device), 4.1 (downlinks carry no payload CRC); LoRaWAN Regional Parameters RP002-1.0.4:
//! EU863-870 (RX1 on the uplink channel at DR − RX1DROffset, RX2 869.525 MHz DR0) and
//! US902-928 (RX1 on 923.3 + 0.6 · (uplink channel mod 8) MHz at DR10..13, RX2 923.3 MHz
//! DR8), default settings RECEIVE_DELAY1 1 s, RECEIVE_DELAY2 2 s, RX1DROffset 0, ACK_TIMEOUT
//! 2 ± 1 s (random).

use super::{Phy, Region, off_time};
use crate::engine::{NS_PER_S, Time};

/// A PHY payload without application data: MHDR 1, FHDR 7 (no FOpts), MIC 4; an ACK alone.
pub const ACK_PHY_BYTES: u32 = 12;

/// ACK_TIMEOUT bounds: a retransmission waits a uniform 1 to 3 s after RX2 opened
/// (RP002-1.0.4 default settings: 2 s ± 1 s).
pub const ACK_TIMEOUT_MIN: Time = NS_PER_S;
pub const ACK_TIMEOUT_MAX: Time = 3 * NS_PER_S;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    Rx1,
    Rx2,
}

/// The uplink a device just sent, from which its receive windows follow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Uplink {
    pub end: Time,
    /// Index into the region's `channels_mhz`.
    pub channel: u8,
    pub dr: u8,
}

/// One receive window: when it opens, on which frequency, at which data rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub slot: Slot,
    pub start: Time,
    pub mhz: f64,
    pub dr: u8,
}

/// A downlink placed in a window: the gateway sending it and its time on the air.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Downlink {
    pub gateway: u32,
    pub window: Window,
    pub start: Time,
    pub end: Time,
}

/// A device's class A receive windows under a region's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RxWindows {
    pub region: &'static Region,
    /// RX1DROffset; 0 by default (RP002-1.0.4).
    pub rx1_dr_offset: u8,
}

impl RxWindows {
    pub fn new(region: &'static Region) -> Self {
        RxWindows {
            region,
            rx1_dr_offset: 0,
        }
    }

    /// RX1: RECEIVE_DELAY1 after the uplink's end, on the frequency and data rate the region
    /// derives from the uplink's.
    pub fn rx1(&self, up: &Uplink) -> Window {
        let r = self.region;
        let (mhz, dr) = r.rx1(up.channel, up.dr, self.rx1_dr_offset);
        Window {
            slot: Slot::Rx1,
            start: up.end + r.rx1_delay,
            mhz,
            dr,
        }
    }

    /// RX2: RECEIVE_DELAY2 after the uplink's end, on the region's fixed frequency and rate.
    pub fn rx2(&self, up: &Uplink) -> Window {
        let r = self.region;
        Window {
            slot: Slot::Rx2,
            start: up.end + r.rx2_delay,
            mhz: r.rx2_mhz,
            dr: r.rx2_dr,
        }
    }

    /// The LoRa parameters of a downlink in `w`: explicit header, no payload CRC.
    pub fn phy(&self, w: &Window) -> Phy {
        let d = self.region.data_rates[w.dr as usize];
        Phy {
            crc: false,
            ..Phy::lorawan(d.sf, d.bandwidth_hz)
        }
    }

    /// Time on air of a downlink of `phy_bytes` (13 + application bytes; 12 for an ACK).
    pub fn airtime(&self, w: &Window, phy_bytes: u32) -> Time {
        self.phy(w).time_on_air(phy_bytes)
    }

    /// The earliest window after `up` that can carry a downlink of `phy_bytes` ready at the
    /// network server at `ready` (backhaul to the gateway included): RX1 before RX2, and in a
    /// window the first of `candidates` (gateways that received the uplink, best first) whose
    /// transmitter is idle and whose sub-band's duty cycle allows it. `tx` is indexed by
    /// gateway. A downlink too long for the window's data rate is the caller's to refuse.
    pub fn earliest(
        &self,
        up: &Uplink,
        phy_bytes: u32,
        ready: Time,
        candidates: &[u32],
        tx: &[GatewayTx],
    ) -> Option<Downlink> {
        self.earliest_with(up, |_| phy_bytes, ready, candidates, tx, |_, _| {})
    }

    /// [`RxWindows::earliest`] for a downlink whose size depends on the window (a data
    /// payload cut to the window's data rate): `phy_bytes(w)`. Each candidate gateway that
    /// cannot send in a window open to the downlink is reported to `refused` with why.
    pub fn earliest_with(
        &self,
        up: &Uplink,
        phy_bytes: impl Fn(&Window) -> u32,
        ready: Time,
        candidates: &[u32],
        tx: &[GatewayTx],
        mut refused: impl FnMut(u32, Refusal),
    ) -> Option<Downlink> {
        for w in [self.rx1(up), self.rx2(up)] {
            if ready > w.start {
                continue;
            }
            let toa = self.airtime(&w, phy_bytes(&w));
            for &g in candidates {
                match tx[g as usize].refusal(self.region, w.mhz, w.start) {
                    None => {
                        return Some(Downlink {
                            gateway: g,
                            window: w,
                            start: w.start,
                            end: w.start + toa,
                        });
                    }
                    Some(why) => refused(g, why),
                }
            }
        }
        None
    }
}

/// Why a gateway cannot send a downlink in a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Its one transmit chain is still sending another downlink.
    Busy,
    /// The window's sub-band is closed by the gateway's own duty cycle (or the frequency
    /// lies in no sub-band).
    DutyCycle,
}

/// When a confirmed uplink that got no ACK may go again: ACK_TIMEOUT (uniform 1–3 s, from
/// `u` in [0, 1)) after RX2 opened, RECEIVE_DELAY2 after the uplink's end. The device's duty
/// cycle may push it later still.
pub fn retransmit_at(region: &Region, uplink_end: Time, u: f64) -> Time {
    let spread = (ACK_TIMEOUT_MAX - ACK_TIMEOUT_MIN) as f64;
    uplink_end + region.rx2_delay + ACK_TIMEOUT_MIN + (u * spread) as Time
}

/// Expected transmissions of a confirmed uplink allowed `retransmissions` repeats when each
/// attempt independently fails (uplink or ACK lost) with probability `p`:
/// Σ_{k=0}^{n} p^k = (1 − p^(n+1)) / (1 − p).
pub fn expected_attempts(p: f64, retransmissions: u32) -> f64 {
    if p >= 1.0 {
        return retransmissions as f64 + 1.0;
    }
    (1.0 - p.powi(retransmissions as i32 + 1)) / (1.0 - p)
}

/// One gateway's transmitter: one downlink at a time (an SX1301 gateway has one TX chain)
/// and, per sub-band of the region, when its duty cycle lets it send again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GatewayTx {
    busy_until: Time,
    free_at: Vec<Time>,
    /// Downlinks sent and their total time on the air.
    pub sent: u64,
    pub airtime: Time,
}

impl GatewayTx {
    pub fn new(region: &Region) -> Self {
        GatewayTx {
            free_at: vec![0; region.sub_bands.len()],
            ..GatewayTx::default()
        }
    }

    /// Whether a downlink at `mhz` can start at `start`. A frequency outside every sub-band
    /// cannot be used.
    pub fn can_send(&self, region: &Region, mhz: f64, start: Time) -> bool {
        self.refusal(region, mhz, start).is_none()
    }

    /// Why a downlink at `mhz` cannot start at `start`; `None` when it can.
    pub fn refusal(&self, region: &Region, mhz: f64, start: Time) -> Option<Refusal> {
        match region.sub_band(mhz) {
            _ if start < self.busy_until => Some(Refusal::Busy),
            Some(b) if start >= self.free_at[b] => None,
            _ => Some(Refusal::DutyCycle),
        }
    }

    /// Books `d`: the transmitter is busy for its time on air, then its sub-band stays closed
    /// for toa (1/dc − 1) (the uplink rule of `duty.rs`, applied to the gateway).
    pub fn reserve(&mut self, region: &Region, d: &Downlink) {
        let b = region
            .sub_band(d.window.mhz)
            .expect("a window frequency in a sub-band");
        let toa = d.end - d.start;
        debug_assert!(self.can_send(region, d.window.mhz, d.start));
        self.busy_until = d.end;
        self.free_at[b] = d.end + off_time(toa, region.sub_bands[b].duty_cycle);
        self.sent += 1;
        self.airtime += toa;
    }
}

#[cfg(test)]
#[path = "downlink_tests.rs"]
mod tests;
