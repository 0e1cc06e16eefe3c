//! The counters the LoRaWAN access network reports at the end of a run: per (radio group,
//! SF) in the `radio` table and per gateway in the `gateways` table.

use crate::engine::Time;

/// Counters of one (radio group, SF).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RadioStats {
    pub frames: u64,
    pub delivered: u64,
    pub lost: [u64; 4],
    pub readings: u64,
    pub airtime: Time,
    pub duty_cycle_wait: Time,
    /// Copies received by more than one gateway beyond the first.
    pub duplicates: u64,
}

/// Counters of one gateway.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GatewayStats {
    pub heard: u64,
    pub received: u64,
    pub lost: [u64; 4],
    /// Airtime of the frames a demodulator held (received or collided).
    pub demodulating: Time,
    /// Downlinks sent (ACKs and receipts), those of them in RX2, and their time on the air.
    pub downlinks: u64,
    pub downlinks_rx2: u64,
    pub downlink_airtime: Time,
    /// Downlinks that carried an ACK, and those that carried a receipt part (an ACK with a
    /// receipt on it counts in both).
    pub acks: u64,
    pub receipts: u64,
    /// Windows in which a downlink could not use this gateway: its transmitter was busy, or
    /// the window's sub-band was closed by its duty cycle.
    pub refused_busy: u64,
    pub refused_duty_cycle: u64,
}
