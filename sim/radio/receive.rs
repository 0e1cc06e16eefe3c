//! One gateway's reception: demodulator paths, half-duplex, collisions and capture.
//!
//! A [`Receiver`] sweeps the frames one gateway hears in the order of their start (ties by
//! the caller's frame order). At a frame's start it decides whether a demodulator locks on;
//! while frames overlap on one channel each adds its power to the other's interference, per
//! spreading factor; when no later frame can overlap a frame any more (the sweep has passed
//! its end) its fate is final. The state carries over between calls, so the caller may feed
//! the frames in batches (e.g. at window barriers) and get the same outcomes as in one pass.

use super::interference::Interference;
use crate::engine::Time;

/// Why a gateway did not receive a frame. The order is the stage the frame reached: a frame
/// lost at every gateway is reported with the furthest stage (see [`Loss::worst_first`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Loss {
    /// Received power under the gateway's sensitivity for the frame's SF.
    BelowSensitivity = 0,
    /// The gateway was sending a downlink during the frame (half-duplex).
    GatewayTransmitting = 1,
    /// Every demodulator path was busy when the frame's preamble arrived.
    NoDemodulator = 2,
    /// Interference from overlapping frames left it under its capture threshold.
    Collision = 3,
}

impl Loss {
    pub const ALL: [Loss; 4] = [
        Loss::BelowSensitivity,
        Loss::GatewayTransmitting,
        Loss::NoDemodulator,
        Loss::Collision,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Loss::BelowSensitivity => "below_sensitivity",
            Loss::GatewayTransmitting => "gateway_transmitting",
            Loss::NoDemodulator => "no_demodulator",
            Loss::Collision => "collision",
        }
    }

    /// Combines the losses of one frame at several gateways: the furthest stage wins, so a
    /// frame that collided somewhere is a collision even if other gateways did not hear it.
    pub fn worst_first(a: Loss, b: Loss) -> Loss {
        a.max(b)
    }
}

/// Signal-to-interference thresholds, dB: a frame of SF `7 + i` survives the summed power of
/// overlapping SF `7 + j` frames on its channel when it is at least `db[i][j]` above it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capture {
    pub db: [[f64; 6]; 6],
}

impl Capture {
    /// The co-SF capture threshold: 6 dB (Bor et al., MSWiM 2016; ns-3 lorawan), different SFs
    /// orthogonal.
    pub const DEFAULT_DB: f64 = 6.0;

    pub fn orthogonal(capture_db: f64) -> Self {
        let mut db = [[f64::NEG_INFINITY; 6]; 6];
        for (i, row) in db.iter_mut().enumerate() {
            row[i] = capture_db;
        }
        Capture { db }
    }

    /// Pure ALOHA: any overlap on the same channel and SF destroys both frames.
    pub fn none() -> Self {
        Self::orthogonal(f64::INFINITY)
    }

    /// The measured inter-SF isolation of C. Goursaud and J.-M. Gorce, "Dedicated networks
    /// for IoT: PHY/MAC state of the art and challenges", EAI Endorsed Trans. IoT 2015, as
    /// the ns-3 lorawan module tabulates it (`model/lora-interference-helper.cc`).
    pub fn goursaud() -> Self {
        Capture {
            db: [
                [6.0, -16.0, -18.0, -19.0, -19.0, -20.0],
                [-24.0, 6.0, -20.0, -22.0, -22.0, -22.0],
                [-27.0, -27.0, 6.0, -23.0, -25.0, -25.0],
                [-30.0, -30.0, -30.0, 6.0, -26.0, -28.0],
                [-33.0, -33.0, -33.0, -33.0, 6.0, -29.0],
                [-36.0, -36.0, -36.0, -36.0, -36.0, 6.0],
            ],
        }
    }

    /// Whether a frame of `sf` received at `rssi_dbm` survives the summed power of its
    /// interferers, in milliwatts by their SF.
    pub(super) fn survives(&self, sf: u8, rssi_dbm: f64, interference_mw: &[f64; 6]) -> bool {
        let row = &self.db[(sf - 7) as usize];
        interference_mw.iter().zip(row).all(|(&i, &th)| {
            i == 0.0 || th == f64::NEG_INFINITY || rssi_dbm - 10.0 * i.log10() >= th
        })
    }

    /// Whether a frame of `sf` can change the verdict on a frame of `victim`: not when the
    /// SFs are orthogonal.
    fn interferes(&self, victim: u8, sf: u8) -> bool {
        self.db[(victim - 7) as usize][(sf - 7) as usize] != f64::NEG_INFINITY
    }
}

/// What a gateway needs to decide receptions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RxConfig {
    /// Demodulator paths: 8 on an SX1301-based gateway (SX1301 datasheet, 1.1).
    pub paths: u32,
    /// Sensitivity for SF7..SF12 at 125 kHz, dBm; wider frames need 10 log10(BW / 125 kHz)
    /// more.
    pub sensitivity_dbm: [f64; 6],
    pub capture: Capture,
}

/// Headroom of the interference floor (see [`RxConfig::floor_dbm`]) below the line where one
/// frame alone would matter: 10 dB, so that ten frames left out, all overlapping one frame on
/// its channel and SF at one gateway, would together just reach the capture line of a frame
/// received exactly at sensitivity. Beyond that the dropped power is a tenth of what could
/// tip any outcome; `tests.rs` checks that leaving such links out changes no outcome in a
/// dense field.
pub const FLOOR_HEADROOM_DB: f64 = 10.0;

impl RxConfig {
    /// The sensitivity for frames of `sf` at `bandwidth_hz`: a frame received under it is
    /// lost with [`Loss::BelowSensitivity`], whatever else is on the air.
    pub fn sensitivity_dbm_at(&self, sf: u8, bandwidth_hz: u32) -> f64 {
        let mut sensitivity = self.sensitivity_dbm[(sf - 7) as usize];
        if bandwidth_hz != 125_000 {
            sensitivity += 10.0 * (bandwidth_hz as f64 / 125_000.0).log10();
        }
        sensitivity
    }

    /// The weakest received power at which a frame of spreading factor `sf` and
    /// `bandwidth_hz` can change anything at a gateway, less [`FLOOR_HEADROOM_DB`]; a link
    /// under it can be left out. Such a frame is under its own sensitivity, so never
    /// received; and it cannot destroy a frame that would otherwise be received: a frame of
    /// SF `7 + i` is received only at or above its sensitivity S_i, and survives interference
    /// of SF `sf` up to S_i − capture[i][sf] (co-SF: S − 6 dB by default; the measured
    /// inter-SF matrix only lets much stronger frames interfere; orthogonal SFs never do).
    /// The floor is the lowest of these lines, so with the 6 dB capture threshold an SF7
    /// frame matters down to −136 dBm and an SF12 frame to −148.5 dBm, before the headroom.
    /// With no capture at all (any overlap destroys) it is −∞: every link counts.
    pub fn floor_dbm(&self, sf: u8, bandwidth_hz: u32) -> f64 {
        let j = (sf - 7) as usize;
        // The 125 kHz sensitivities are the lowest, so the line holds for wider victims too.
        let harm = (0..6)
            .map(|i| self.sensitivity_dbm[i] - self.capture.db[i][j])
            .fold(f64::INFINITY, f64::min);
        let own = super::sensitivity_dbm(&self.sensitivity_dbm, sf, bandwidth_hz);
        own.min(harm) - FLOOR_HEADROOM_DB
    }
}

/// One frame as one gateway hears it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Heard {
    /// The caller's name for the frame, handed back with its outcome.
    pub frame: u32,
    pub start: Time,
    pub end: Time,
    pub channel: u8,
    pub sf: u8,
    pub bandwidth_hz: u32,
    pub rssi_dbm: f64,
}

#[derive(Clone, Copy, Debug)]
struct Active {
    heard: Heard,
    /// Its place in the order frames were heard (see [`Noise`]).
    order: u64,
    /// What overlaps it, while a demodulator holds it (a frame already lost needs none).
    interference: Interference,
    /// `None` while a demodulator holds it; otherwise why it is already lost.
    lost: Option<Loss>,
}

/// A frame a quiet receiver hears only as interference (under its sensitivity): it gets no
/// verdict, so it needs no interference of its own. Most copies a gateway hears are such. A
/// frame's interferers of one SF are still taken in the order they were heard, whichever
/// list holds them, so its interference is that of one list: its sums are kept by SF (see
/// [`Interference`]), so only the order within an SF counts.
#[derive(Clone, Copy, Debug)]
struct Noise {
    order: u64,
    end: Time,
    rssi_dbm: f64,
}

/// The noise of one channel and SF, by `order`: a frame that may be received reads only its
/// own channel's, of the SFs that can change its verdict (with orthogonal SFs, its own).
#[derive(Clone, Debug, Default)]
struct NoiseList {
    frames: Vec<Noise>,
    /// `frames` is pruned of frames that ended when it reaches this length.
    prune_at: usize,
}

/// The sweep state of one gateway.
#[derive(Clone, Debug, Default)]
pub struct Receiver {
    active: Vec<Active>,
    /// By channel, then SF − 7.
    noise: Vec<[NoiseList; 6]>,
    /// Frames heard so far: the next one's `order`.
    heard: u64,
    /// Downlink intervals `[start, end)`, by start, that may still overlap a frame.
    tx: Vec<(Time, Time)>,
    /// Start of the last frame heard: frames must come in start order.
    last_start: Time,
    /// The earliest end among `active` (meaningless while it is empty): a sweep that has not
    /// reached it has nothing to settle, which is most calls, since every frame heard first
    /// settles what ended before it.
    first_end: Time,
    /// Frames under their sensitivity get no verdict (their caller counts them when it
    /// hands them over); they still interfere.
    quiet_when_deaf: bool,
}

impl Receiver {
    pub fn new() -> Self {
        Self::default()
    }

    /// A receiver that passes no verdict for frames under their sensitivity: a gateway hears
    /// most frames only as interference, and its caller knows which from
    /// [`RxConfig::sensitivity_dbm_at`] alone.
    pub fn quiet_when_deaf() -> Self {
        Receiver {
            quiet_when_deaf: true,
            ..Self::default()
        }
    }

    /// The gateway sends during `[start, end)`; it hears nothing then. Must be called before
    /// the sweep passes the end of any frame the interval overlaps.
    pub fn transmit(&mut self, start: Time, end: Time) {
        let at = self.tx.partition_point(|&(s, _)| s <= start);
        self.tx.insert(at, (start, end));
    }

    fn transmitting(&self, start: Time, end: Time) -> bool {
        self.tx.iter().any(|&(s, e)| s < end && start < e)
    }

    /// Hears frame `h`; frames that ended at or before its start are settled first and passed
    /// to `done` with `Ok(())` when received.
    #[inline]
    pub fn hear(&mut self, h: Heard, cfg: &RxConfig, done: &mut impl FnMut(u32, Result<(), Loss>)) {
        let deaf = h.rssi_dbm < cfg.sensitivity_dbm_at(h.sf, h.bandwidth_hz);
        self.hear_known(h, deaf, cfg, done);
    }

    /// [`Self::hear`] of a frame whose caller already compared its power with
    /// [`RxConfig::sensitivity_dbm_at`]: `deaf` when it is under it.
    #[inline]
    pub fn hear_known(
        &mut self,
        h: Heard,
        deaf: bool,
        cfg: &RxConfig,
        done: &mut impl FnMut(u32, Result<(), Loss>),
    ) {
        debug_assert!(h.start >= self.last_start, "frames arrive in start order");
        debug_assert!(h.end > h.start && (7..=12).contains(&h.sf));
        debug_assert_eq!(
            deaf,
            h.rssi_dbm < cfg.sensitivity_dbm_at(h.sf, h.bandwidth_hz)
        );
        self.last_start = h.start;
        self.settle(h.start, cfg, done);
        let order = self.heard;
        self.heard += 1;
        if deaf && self.quiet_when_deaf {
            self.hear_noise(h, order, &cfg.capture);
        } else {
            self.hear_frame(h, order, deaf, cfg);
        }
    }

    /// [`Self::hear`] of a frame that gets a verdict: most copies a quiet receiver hears are
    /// noise, which this leaves out of line.
    #[inline(never)]
    fn hear_frame(&mut self, h: Heard, order: u64, deaf: bool, cfg: &RxConfig) {
        let lost = if deaf {
            Some(Loss::BelowSensitivity)
        } else if self.transmitting(h.start, h.start + 1) {
            Some(Loss::GatewayTransmitting)
        } else if self.active.iter().filter(|a| a.lost.is_none()).count() >= cfg.paths as usize {
            Some(Loss::NoDemodulator)
        } else {
            None
        };
        // Frames a demodulator does not decode still put energy on the channel. A frame
        // takes as interferers every frame heard before it and still on the air, in hearing
        // order: the active ones (all end after `h.start`, as `settle` just ran) and the
        // noise that has not ended yet, merged by `order`; only those whose SF can change its
        // verdict, and only while it may be received.
        let capture = &cfg.capture;
        let mut interference = Interference::default();
        for a in &mut self.active {
            if a.heard.channel == h.channel
                && a.lost.is_none()
                && capture.interferes(a.heard.sf, h.sf)
            {
                a.interference.add(h.sf, h.rssi_dbm);
            }
        }
        if lost.is_none() {
            let lists = self.noise.get(h.channel as usize);
            for sf in (7..=12).filter(|&sf| capture.interferes(h.sf, sf)) {
                let noise = lists.map_or(&[][..], |l| &l[(sf - 7) as usize].frames[..]);
                let mut n = 0;
                for a in &self.active {
                    if a.heard.channel != h.channel || a.heard.sf != sf {
                        continue;
                    }
                    while let Some(x) = noise.get(n).filter(|x| x.order < a.order) {
                        if x.end > h.start {
                            interference.add(sf, x.rssi_dbm);
                        }
                        n += 1;
                    }
                    interference.add(sf, a.heard.rssi_dbm);
                }
                for x in &noise[n..] {
                    if x.end > h.start {
                        interference.add(sf, x.rssi_dbm);
                    }
                }
            }
        }
        if self.active.is_empty() || h.end < self.first_end {
            self.first_end = h.end;
        }
        self.active.push(Active {
            heard: h,
            order,
            interference,
            lost,
        });
    }

    #[inline]
    fn hear_noise(&mut self, h: Heard, order: u64, capture: &Capture) {
        let x = Noise {
            order,
            end: h.end,
            rssi_dbm: h.rssi_dbm,
        };
        for a in &mut self.active {
            if a.heard.channel == h.channel
                && a.lost.is_none()
                && capture.interferes(a.heard.sf, h.sf)
            {
                a.interference.add(h.sf, h.rssi_dbm);
            }
        }
        let ch = h.channel as usize;
        if self.noise.len() <= ch {
            self.noise.resize_with(ch + 1, Default::default);
        }
        let list = &mut self.noise[ch][(h.sf - 7) as usize];
        if list.frames.len() >= list.prune_at {
            // Later frames start at or after `h.start`: what ended by then overlaps none.
            list.frames.retain(|x| x.end > h.start);
            list.prune_at = (2 * list.frames.len()).max(8);
        }
        list.frames.push(x);
    }

    /// Settles every frame that ends at or before `until`: no frame heard later can overlap
    /// it. The caller promises that every frame starting before `until` has been heard.
    /// Inlined: every frame heard calls it, and most calls have nothing to settle.
    #[inline]
    pub fn settle(
        &mut self,
        until: Time,
        cfg: &RxConfig,
        done: &mut impl FnMut(u32, Result<(), Loss>),
    ) {
        if !self.active.is_empty() && until < self.first_end
            || self.active.is_empty() && self.tx.is_empty()
        {
            return;
        }
        self.settle_due(until, cfg, done);
    }

    #[inline(never)]
    fn settle_due(
        &mut self,
        until: Time,
        cfg: &RxConfig,
        done: &mut impl FnMut(u32, Result<(), Loss>),
    ) {
        // Compacts in place, keeping the rest in hearing order so float sums and outcomes
        // never depend on where a frame sat in the vector; a frame is copied only when it
        // moves.
        let mut keep = 0;
        let mut first_end = Time::MAX;
        for i in 0..self.active.len() {
            let a = &self.active[i];
            if a.heard.end > until {
                first_end = first_end.min(a.heard.end);
                if keep != i {
                    self.active[keep] = self.active[i];
                }
                keep += 1;
                continue;
            }
            let outcome = match a.lost {
                Some(Loss::BelowSensitivity) if self.quiet_when_deaf => continue,
                Some(loss) => Err(loss),
                None if self.transmitting(a.heard.start, a.heard.end) => {
                    Err(Loss::GatewayTransmitting)
                }
                None if !a
                    .interference
                    .survives(&cfg.capture, a.heard.sf, a.heard.rssi_dbm) =>
                {
                    Err(Loss::Collision)
                }
                None => Ok(()),
            };
            done(a.heard.frame, outcome);
        }
        self.active.truncate(keep);
        self.first_end = first_end;
        let oldest = self
            .active
            .iter()
            .map(|a| a.heard.start)
            .min()
            .unwrap_or(until);
        self.tx.retain(|&(_, e)| e > oldest.min(until));
    }
}
