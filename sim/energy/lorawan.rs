//! The schedule of one LoRaWAN class A transmission, state by state, after Casals et al.
//! (Sensors 2017): wake-up, radio preparation, the frame itself, the wait for RX1, the RX1
//! window, the wait for RX2 and the RX2 window, radio off, post-processing and the turn-off
//! sequence. Fixed durations are the paper's measurements; the frame and the windows follow
//! from the data rates.

use super::State;
use crate::engine::{NS_PER_S, Time};
use crate::radio::Phy;

/// Casals et al., table of states: wake-up 168.2 ms, radio preparation 83.8 ms, wait for the
/// first window 983.3 ms, radio off 147.4 ms, post-processing 268.0 ms, turn-off 38.6 ms.
pub const WAKE: Time = 168_200_000;
const PREPARE: Time = 83_800_000;
const WAIT_RX1: Time = 983_300_000;
const RADIO_OFF: Time = 147_400_000;
const POSTPROCESS: Time = 268_000_000;
const TURN_OFF: Time = 38_600_000;

/// What a device heard in its receive windows after one uplink.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Downlink {
    /// Nothing: each window closes once no preamble was detected.
    #[default]
    None,
    /// A downlink (ACK or data) of this time on air in RX1; RX2 is not opened.
    Rx1(Time),
    /// Nothing in RX1, then a downlink of this time on air in RX2.
    Rx2(Time),
}

/// The receive windows of one uplink data rate, closed without reception.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassA {
    /// RX1 at the uplink's data rate: long enough to detect a preamble, 12 symbols up to
    /// SF10 and 8 at SF11/SF12 (Casals et al.'s model, as the public reimplementations
    /// peteryej/LoRaWAN-NBIoTEnergyModels and lkrzak/ijet2023 both write it: 262.14 ms at
    /// DR0, 12.29 ms at DR5).
    pub rx1_empty: Time,
    /// RX2 at the region's RX2 data rate: (2^SF + 32) / BW, 33.02 ms at EU868 DR0 (same
    /// sources).
    pub rx2_empty: Time,
}

impl ClassA {
    /// The windows after an uplink at `uplink`, with RX2 at spreading factor `rx2_sf` and
    /// bandwidth `rx2_bw_hz`.
    pub fn new(uplink: &Phy, rx2_sf: u8, rx2_bw_hz: u32) -> Self {
        let symbols = if uplink.sf >= 11 { 8 } else { 12 };
        ClassA {
            rx1_empty: symbols * uplink.symbol_ns(),
            rx2_empty: (((1u64 << rx2_sf) + 32) * NS_PER_S).div_ceil(rx2_bw_hz as u64),
        }
    }
}

/// The states of one transmission of `toa`, with their durations; states the cycle skips
/// (RX2 after a downlink in RX1) last 0.
pub fn class_a_cycle(w: &ClassA, toa: Time, downlink: Downlink) -> [(State, Time); 10] {
    let (rx1, wait2, rx2) = match downlink {
        Downlink::None => (w.rx1_empty, NS_PER_S - w.rx1_empty, w.rx2_empty),
        Downlink::Rx1(t) => (t, 0, 0),
        Downlink::Rx2(t) => (w.rx1_empty, NS_PER_S - w.rx1_empty, t),
    };
    [
        (State::Wake, WAKE),
        (State::Prepare, PREPARE),
        (State::Tx, toa),
        (State::WaitRx1, WAIT_RX1),
        (State::Rx1, rx1),
        (State::WaitRx2, wait2),
        (State::Rx2, rx2),
        (State::RadioOff, RADIO_OFF),
        (State::Postprocess, POSTPROCESS),
        (State::TurnOff, TURN_OFF),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Time = 1_000_000;

    // Window lengths against the figures the reimplementations list (ms, two decimals).
    #[test]
    fn empty_windows_match_the_published_lengths() {
        let ms = |t: Time| (t as f64 / MS as f64 * 100.0).round() / 100.0;
        let dr0 = ClassA::new(&Phy::lorawan(12, 125_000), 12, 125_000);
        assert_eq!(ms(dr0.rx1_empty), 262.14);
        assert_eq!(ms(dr0.rx2_empty), 33.02);
        let dr5 = ClassA::new(&Phy::lorawan(7, 125_000), 12, 125_000);
        assert_eq!(ms(dr5.rx1_empty), 12.29);
        let dr2 = ClassA::new(&Phy::lorawan(10, 125_000), 12, 125_000);
        assert_eq!(ms(dr2.rx1_empty), 98.30);
    }

    #[test]
    fn a_downlink_in_rx1_skips_rx2() {
        let w = ClassA::new(&Phy::lorawan(7, 125_000), 12, 125_000);
        let c = class_a_cycle(&w, 50 * MS, Downlink::Rx1(40 * MS));
        assert_eq!(c[4], (State::Rx1, 40 * MS));
        assert_eq!(c[5].1 + c[6].1, 0);
        let c = class_a_cycle(&w, 50 * MS, Downlink::None);
        assert_eq!(c[4].1 + c[5].1, NS_PER_S, "RX2 opens 1 s after RX1");
    }
}
