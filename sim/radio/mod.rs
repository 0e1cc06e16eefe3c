//! Access networks between devices and gateways. LoRaWAN: time on air, regional parameters
//! and duty cycle, path loss, and gateways that receive, collide and capture. Cellular IoT
//! (NB-IoT, LTE-M): PSM, paging, RRC connections and cells that fill up.
//! Knows devices and gateways by number, nothing of consensus.

mod airtime;
pub mod aloha;
pub mod cell;
pub mod cellular;
mod duty;
mod geometry;
mod link;
mod receive;
mod region;

pub use airtime::Phy;
pub use duty::{next_free, off_time};
pub use geometry::{Emitter, Links, Point, even_points, uniform_point};
pub use link::{
    DEVICE_SENSITIVITY_125K, GATEWAY_SENSITIVITY_125K, NOISE_FIGURE_DB, PathLoss, REQUIRED_SNR_DB,
    noise_floor_dbm, sensitivity_dbm, snr_db, standard_normal,
};
pub use receive::{Capture, FLOOR_HEADROOM_DB, Heard, Loss, Receiver, RxConfig};
pub use region::{DataRate, EU868, MAC_OVERHEAD_BYTES, Region, SubBand, US915};

#[cfg(test)]
mod tests;
