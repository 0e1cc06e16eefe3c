//! The interference a frame meets at one gateway: its interferers' powers, kept in dBm while
//! there are few of them, so that a verdict needs milliwatts only when dBm cannot decide it.

use super::Capture;

/// Interferers a frame keeps in dBm; past this many their powers are summed in milliwatts.
const KEPT: usize = 4;

/// How far, in dB, the bounds below must clear a capture threshold to decide a verdict
/// without the milliwatt sums. The sums and the logarithm the exact verdict takes are off
/// the true values by well under 1e-11 dB for powers within ±[`PLAUSIBLE_DBM`] (a few units
/// in the last place of each power, of each of at most a handful of additions, and of the
/// logarithm), so a verdict decided with this margin is the one the sums give.
const MARGIN_DB: f64 = 1e-6;

/// Powers whose milliwatts are normal, finite numbers; the bounds are used only within it.
const PLAUSIBLE_DBM: f64 = 1000.0;

/// A received power in milliwatts. Every interference sum adds these, in the order the
/// frames were heard, so a verdict never depends on how the sum was reached.
pub(super) fn milliwatts(dbm: f64) -> f64 {
    10f64.powf(dbm / 10.0)
}

/// The interferers of one frame that can change its verdict, in the order they were heard.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Interference {
    /// Summed milliwatts per interferer SF (`7 + j`), once more than [`KEPT`] came.
    mw: [f64; 6],
    dbm: [f64; KEPT],
    sf: [u8; KEPT],
    /// Interferers in `dbm`; [`SUMMED`] once they are in `mw`.
    kept: u8,
}

const SUMMED: u8 = u8::MAX;

impl Interference {
    /// An interferer of spreading factor `sf`, received at `dbm`.
    pub(super) fn add(&mut self, sf: u8, dbm: f64) {
        match self.kept as usize {
            k if k < KEPT => {
                self.dbm[k] = dbm;
                self.sf[k] = sf;
                self.kept += 1;
            }
            _ => self.add_summed(sf, dbm),
        }
    }

    /// Out of line: a caller adding one power to several frames' interference would
    /// otherwise work out its milliwatts before the loop, whether any frame needs them or not.
    #[cold]
    #[inline(never)]
    fn add_summed(&mut self, sf: u8, dbm: f64) {
        self.sum();
        self.mw[(sf - 7) as usize] += milliwatts(dbm);
    }

    /// Moves the kept interferers into the milliwatt sums, in the order they came.
    fn sum(&mut self) {
        if self.kept == SUMMED {
            return;
        }
        for k in 0..self.kept as usize {
            self.mw[(self.sf[k] - 7) as usize] += milliwatts(self.dbm[k]);
        }
        self.kept = SUMMED;
    }

    /// Whether a frame of `sf` received at `rssi_dbm` survives this interference: exactly
    /// [`Capture::survives`] of the milliwatt sums. With the interferers still in dBm, the
    /// sum of `n` of them, the strongest at `m`, lies between `m` and `m + 10 log10 n`; the
    /// sums are taken only when the capture line falls within that span (and [`MARGIN_DB`]).
    pub(super) fn survives(&self, capture: &Capture, sf: u8, rssi_dbm: f64) -> bool {
        if self.kept == SUMMED {
            return capture.survives(sf, rssi_dbm, &self.mw);
        }
        let row = &capture.db[(sf - 7) as usize];
        let kept = self.kept as usize;
        let mut undecided = false;
        for k in 0..kept {
            let j = self.sf[k];
            if self.sf[..k].contains(&j) {
                continue;
            }
            let (mut m, mut n) = (f64::NEG_INFINITY, 0u32);
            for i in k..kept {
                if self.sf[i] == j {
                    m = m.max(self.dbm[i]);
                    n += 1;
                }
            }
            let th = row[(j - 7) as usize];
            if th == f64::NEG_INFINITY {
                continue;
            }
            let plausible = |x: f64| x.abs() < PLAUSIBLE_DBM;
            if !(plausible(m) && plausible(rssi_dbm)) {
                undecided = true;
                continue;
            }
            let upper = rssi_dbm - m;
            if upper < th - MARGIN_DB {
                return false;
            }
            if upper - 10.0 * f64::from(n).log10() < th + MARGIN_DB {
                undecided = true;
            }
        }
        if undecided {
            let mut summed = *self;
            summed.sum();
            return capture.survives(sf, rssi_dbm, &summed.mw);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{NS_PER_S, Purpose, Time, draw_unit};
    use crate::radio::{GATEWAY_SENSITIVITY_125K, Heard, Loss, Phy, Receiver, RxConfig};

    /// Each frame's verdict from the milliwatt sums of every frame it overlaps on its
    /// channel, each sum taken in the order the frames were heard (`frames`' order).
    fn by_sums(frames: &[Heard], cfg: &RxConfig) -> Vec<Result<(), Loss>> {
        let verdict = |a: &Heard| {
            if a.rssi_dbm < cfg.sensitivity_dbm_at(a.sf, a.bandwidth_hz) {
                return Err(Loss::BelowSensitivity);
            }
            let mut mw = [0.0; 6];
            for b in frames {
                if b.frame != a.frame
                    && b.channel == a.channel
                    && b.start < a.end
                    && a.start < b.end
                {
                    mw[(b.sf - 7) as usize] += milliwatts(b.rssi_dbm);
                }
            }
            match cfg.capture.survives(a.sf, a.rssi_dbm, &mw) {
                true => Ok(()),
                false => Err(Loss::Collision),
            }
        };
        frames.iter().map(verdict).collect()
    }

    /// Clusters of frames, each a frame and up to eight overlapping ones whose summed power
    /// lies on its capture line for its own SF or another's, give or take a few units in the
    /// last place, a few nanodecibels, or a few decibels; also the frames whose line is off
    /// by no more than 1e-12 dB, which dBm alone cannot decide.
    fn knife_edges(capture: &Capture) -> (Vec<Heard>, Vec<usize>) {
        let u = |c: u64, i: u64| draw_unit(11, c, Purpose::RadioTrial, i);
        let offsets = [0.0, 1e-14, -1e-14, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6];
        let (mut frames, mut edges) = (Vec::new(), Vec::new());
        for c in 0..3000u64 {
            let start = c * 10 * NS_PER_S;
            let (victim, channel) = (7 + (u(c, 0) * 6.0) as u8, (c % 2) as u8);
            let sf = match c % 3 {
                0 => 7 + (u(c, 1) * 6.0) as u8,
                _ => victim,
            };
            let th = capture.db[(victim - 7) as usize][(sf - 7) as usize];
            let th = if th.is_finite() { th } else { 6.0 };
            let rssi = -60.0 - 60.0 * u(c, 2);
            let n = 1 + (u(c, 3) * 8.0) as u32;
            let shift = match u(c, 4) {
                x if x < 0.8 => offsets[(x * 10.0) as usize % offsets.len()],
                x => (x - 0.9) * 30.0,
            };
            // Unequal powers, so that the order of the sum shows in its last bits.
            let spread = |i: u32| 0.37 * f64::from(i % 4);
            let sum: f64 = (0..n).map(|i| 10f64.powf(spread(i) / 10.0)).sum();
            let base = rssi - th - 10.0 * sum.log10() + shift;
            let toa = |sf| Phy::lorawan(sf, 125_000).time_on_air(23);
            let frame = |sf: u8, at: Time, rssi_dbm: f64, frame: u32| Heard {
                frame,
                start: at,
                end: at + toa(sf),
                channel,
                sf,
                bandwidth_hz: 125_000,
                rssi_dbm,
            };
            if shift.abs() <= 1e-12 {
                edges.push(frames.len());
            }
            frames.push(frame(victim, start, rssi, frames.len() as u32));
            for i in 0..n {
                let at = start + (i as u64 + 1) * 1_000_000;
                frames.push(frame(sf, at, base + spread(i), frames.len() as u32));
            }
        }
        (frames, edges)
    }

    // The receiver's verdicts, which take the milliwatt sums only where the interferers' dBm
    // cannot decide, are those of the sums, on and around every capture line and with more
    // interferers than are kept in dBm.
    #[test]
    fn verdicts_match_the_milliwatt_sums_on_the_capture_lines() {
        for capture in [
            Capture::orthogonal(Capture::DEFAULT_DB),
            Capture::orthogonal(0.0),
            Capture::goursaud(),
            Capture::none(),
        ] {
            let cfg = RxConfig {
                paths: u32::MAX,
                sensitivity_dbm: GATEWAY_SENSITIVITY_125K,
                capture,
            };
            let (frames, edges) = knife_edges(&capture);
            let want = by_sums(&frames, &cfg);
            for quiet in [false, true] {
                let mut rx = match quiet {
                    false => Receiver::new(),
                    true => Receiver::quiet_when_deaf(),
                };
                let mut got = vec![Err(Loss::BelowSensitivity); frames.len()];
                let mut done = |f: u32, r| got[f as usize] = r;
                for &h in &frames {
                    rx.hear(h, &cfg, &mut done);
                }
                rx.settle(Time::MAX, &cfg, &mut done);
                let differ = (0..frames.len()).find(|&i| got[i] != want[i]);
                assert_eq!(differ, None, "{capture:?}, quiet {quiet}");
            }
            // On the line both verdicts come up (pure ALOHA has no line: all collide).
            let received = edges.iter().filter(|&&i| want[i].is_ok()).count();
            let collided = edges.len() - received;
            if capture != Capture::none() {
                assert!(received > 100 && collided > 100, "{received} {collided}");
            }
        }
    }
}
