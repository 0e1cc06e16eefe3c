//! T25–T27: LoRa time on air, pure ALOHA through the gateway receiver, and the EU868 duty
//! cycle of a saturated device.

use super::suite::{Suite, row};
use crate::engine::NS_PER_S;
use crate::radio::{EU868, MAC_OVERHEAD_BYTES, Phy, aloha, next_free};
use rayon::prelude::*;

/// T25 as printed: PHY payload bytes, then time on air in ms for SF7, SF8, …
pub const T25: [(u32, &[f64]); 4] = [
    (23, &[61.696, 113.152, 205.824, 370.688, 823.296, 1482.752]),
    (
        64,
        &[118.016, 215.552, 390.144, 698.368, 1560.576, 2793.472],
    ),
    (128, &[215.296, 379.392, 676.864, 1230.848]),
    (235, &[368.896, 655.872]),
];

/// T26 as printed: offered load G, delivered fraction e^(−2G).
pub const T26: [(f64, f64); 4] = [(0.1, 0.8187), (0.25, 0.6065), (0.5, 0.3679), (1.0, 0.1353)];

/// T27 as printed: frames per hour of a saturated device, app 10 B, SF7..SF12.
pub const T27: [u64; 6] = [583, 318, 174, 97, 43, 24];

/// Frames a saturated device starts in one hour on EU868's 1 % sub-band.
pub fn saturated_frames_per_hour(sf: u8, app_bytes: u32) -> u64 {
    let toa = Phy::lorawan(sf, 125_000).time_on_air(app_bytes + MAC_OVERHEAD_BYTES);
    let dc = EU868.sub_bands[0].duty_cycle;
    let (mut t, mut frames) = (0, 0u64);
    while t < 3600 * NS_PER_S {
        frames += 1;
        t = next_free(t, toa, dc);
    }
    frames
}

pub fn radio(suite: &mut Suite, quick: bool) {
    for (pl, ms) in T25 {
        for (i, &expected) in ms.iter().enumerate() {
            let sf = 7 + i as u8;
            let got = Phy::lorawan(sf, 125_000).time_on_air(pl) as f64 / 1e6;
            let case = format!("SF{sf} BW125 CR4/5 PL {pl} B, ms");
            suite.rows.push(row(
                "T25",
                case,
                "closed form",
                expected,
                got,
                1e-3,
                "-".into(),
            ));
        }
    }
    // The target asks for at least 10⁵ frames a point; the full mode samples four times more.
    let frames: u64 = if quick { 100_000 } else { 400_000 };
    let seed = 26;
    let measured: Vec<f64> = T26
        .par_iter()
        .enumerate()
        .map(|(i, &(g, _))| aloha::delivered(g, frames, seed, i as u64) as f64 / frames as f64)
        .collect();
    for (i, (&(g, expected), got)) in T26.iter().zip(measured).enumerate() {
        let sigma = (expected * (1.0 - expected) / frames as f64).sqrt();
        suite.rows.push(row(
            "T26",
            format!("G={g}, {frames} frames"),
            "receiver run",
            expected,
            got,
            3.0 * sigma,
            format!("{seed}/{i}"),
        ));
    }
    for (i, &expected) in T27.iter().enumerate() {
        let sf = 7 + i as u8;
        let got = saturated_frames_per_hour(sf, 10);
        suite.rows.push(row(
            "T27",
            format!("SF{sf} app 10 B, frames per hour"),
            "duty-cycle rule",
            expected as f64,
            got as f64,
            1.0,
            "-".into(),
        ));
    }
}
