//! Access networks between devices and gateways. LoRaWAN: time on air, regional parameters
//! and duty cycle, path loss, gateways that receive, collide and capture, and the class A
//! downlink windows (`downlink.rs`: the API acknowledgements and receipts call). Cellular IoT
//! (NB-IoT, LTE-M): PSM, paging, RRC connections and cells that fill up.
//! Knows devices and gateways by number, nothing of consensus.

mod airtime;
pub mod aloha;
pub mod cell;
pub mod cellular;
mod downlink;
mod duty;
mod gateway_ids;
mod geometry;
mod grid;
mod interference;
mod link;
mod links;
mod powers;
mod reach;
mod receive;
mod region;

pub use airtime::Phy;
pub use downlink::{
    ACK_PHY_BYTES, ACK_TIMEOUT_MAX, ACK_TIMEOUT_MIN, Downlink, GatewayTx, Refusal, RxWindows, Slot,
    Uplink, Window, expected_attempts, retransmit_at,
};
pub use duty::{next_free, off_time};
pub use gateway_ids::GatewayIds;
pub use geometry::{Point, even_points, uniform_point};
pub use link::{
    DEVICE_SENSITIVITY_125K, GATEWAY_SENSITIVITY_125K, NOISE_FIGURE_DB, Normal, PathLoss,
    REQUIRED_SNR_DB, noise_floor_dbm, sensitivity_dbm, snr_db, standard_normal,
};
pub use links::{Emitter, Links};
pub use powers::Powers;
pub use receive::{Capture, FLOOR_HEADROOM_DB, Heard, Loss, Receiver, RxConfig};
pub use region::{
    DataRate, EU868, MAC_OVERHEAD_BYTES, REGION_NAMES, REGIONS, Region, Rx1Rule, SF_MAX, SF_MIN,
    SubBand, US915,
};

#[cfg(test)]
mod tests;
