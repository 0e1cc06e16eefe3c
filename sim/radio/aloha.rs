//! Pure ALOHA on one channel and SF, through the gateway receiver: the check of target T26
//! that the collision resolver loses exactly the frames the closed form says it should.

use super::{Capture, Heard, Receiver, RxConfig};
use crate::engine::{Purpose, Time, draw_unit};

/// Frame airtime of the trials: an SF7/125 kHz frame of 23 PHY bytes (61.696 ms, T25).
pub const AIRTIME: Time = 61_696_000;

/// Sends `frames` equal frames with Poisson starts at `g` frames per airtime to one gateway
/// that hears them all, with no capture and no demodulator limit; returns how many it
/// received. Replication `rep` draws from its own stream.
pub fn delivered(g: f64, frames: u64, seed: u64, rep: u64) -> u64 {
    let cfg = RxConfig {
        paths: u32::MAX,
        sensitivity_dbm: [-200.0; 6],
        capture: Capture::none(),
    };
    let mean_gap = AIRTIME as f64 / g;
    let mut rx = Receiver::new();
    let mut ok = 0u64;
    let mut count = |_: u32, r: Result<(), super::Loss>| ok += r.is_ok() as u64;
    let mut t = 0f64;
    for i in 0..frames {
        t += -mean_gap * draw_unit(seed, rep, Purpose::RadioTrial, i).ln();
        let start = t as Time;
        let h = Heard {
            frame: i as u32,
            start,
            end: start + AIRTIME,
            channel: 0,
            sf: 7,
            bandwidth_hz: 125_000,
            rssi_dbm: -100.0,
        };
        rx.hear(h, &cfg, &mut count);
    }
    rx.settle(Time::MAX, &cfg, &mut count);
    ok
}
