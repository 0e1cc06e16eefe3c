//! The frames the network side holds: as a device built them, as the gateways' receivers read
//! them, on their way through the gateways, and delivered to a validator.

use super::super::air_stats::GatewayStats;
use crate::engine::Time;
use crate::net::Access;
use crate::radio::Loss;

/// What a gateway's receiver reads of a frame, kept in chunk order: the gateways' sweeps
/// read this small array rather than the flights, which lie scattered.
#[derive(Clone, Copy, Debug)]
pub(super) struct OnAir {
    pub start: Time,
    pub end: Time,
    pub flight: u32,
    pub bandwidth_hz: u32,
    pub channel: u8,
    pub sf: u8,
}

/// A frame as its device built it: readings `txs[txs..txs + len]` of its shard.
#[derive(Clone, Copy, Debug)]
pub struct FrameOut {
    pub start: Time,
    pub end: Time,
    /// When the device had it ready: `start − ready` is its duty-cycle wait.
    pub ready: Time,
    pub device: u32,
    /// The frame's first reading, which names it among its device's frames.
    pub seq: u32,
    pub txs: u32,
    pub len: u32,
    pub channel: u8,
    pub sf: u8,
    /// 0 for a frame's first transmission, k for its k-th repeat (confirmed uplinks), which
    /// carries the readings the network side kept from the first.
    pub attempt: u8,
    /// Its readings waited for a privacy delay (`mitigation.delay`): the device went back to
    /// sleep after taking them and woke once more to send.
    pub delayed: bool,
}

/// A delivered frame's readings on their way to validator `node`: the list `batch` of the
/// world's batches, opened when the frame was handed over, so that its readings are copied
/// once between the device and the validator.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub at: Time,
    pub source: u32,
    pub seq: u32,
    pub node: u32,
    pub batch: u32,
}

/// A frame between its hand-over and its end, in a slot reused by later frames.
pub(super) struct Flight {
    pub f: FrameOut,
    /// Its readings; `None` for a repeat, whose readings the network side kept (or already
    /// forwarded).
    pub list: Option<u32>,
    /// The readings' bytes, which the gateway forwards over its backhaul.
    pub bytes: u64,
    pub remaining: u32,
    /// Earliest copy at a validator, and the gateway it came through.
    pub best: Option<(Time, u32)>,
    pub received: u32,
    pub loss: Loss,
    /// With confirmed uplinks, the gateways that received it and at what power (dBm).
    pub copies: Vec<(f32, u32)>,
    pub bandwidth_hz: u32,
}

impl Flight {
    pub fn new(f: FrameOut, list: Option<u32>, bytes: u64, remaining: u32) -> Self {
        Flight {
            f,
            list,
            bytes,
            remaining,
            best: None,
            received: 0,
            loss: Loss::BelowSensitivity,
            copies: Vec::new(),
            bandwidth_hz: 0,
        }
    }
}

/// Records gateway `g`'s verdict on flight `i`.
pub(super) fn outcome(
    flights: &mut [Flight],
    gateways: &mut [GatewayStats],
    ready: &mut Vec<u32>,
    access: &Access,
    i: u32,
    g: u32,
    r: Result<(), Loss>,
) {
    let fl = &mut flights[i as usize];
    let gs = &mut gateways[g as usize];
    let toa = fl.f.end - fl.f.start;
    match r {
        Ok(()) => {
            gs.received += 1;
            gs.demodulating += toa;
            fl.received += 1;
            // The network server keeps the copy that reaches a validator first.
            let at = fl.f.end + access.backhaul_delay(g, fl.bytes);
            if fl.best.is_none_or(|b| (at, g) < b) {
                fl.best = Some((at, g));
            }
        }
        Err(loss) => {
            gs.lost[loss as usize] += 1;
            if loss == Loss::Collision {
                gs.demodulating += toa;
            }
            fl.loss = Loss::worst_first(fl.loss, loss);
        }
    }
    fl.remaining -= 1;
    if fl.remaining == 0 {
        ready.push(i);
    }
}
