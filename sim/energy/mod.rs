//! Device energy and battery life, computed from schedules.
//!
//! A radio's [`Profile`] gives the power drawn in each [`State`] (current × voltage) and the
//! cost of each on-device blockchain [`Op`]. Whoever knows a device's schedule — the LoRaWAN
//! airwaves after each frame, a cellular radio from its PSM/eDRX timeline — hands the
//! durations it already has to a [`Meter`], which adds them up per device and per group. No
//! event is ever scheduled for a state change, and time not handed over counts as the
//! profile's baseline (sleep) state, so a sleeping device costs nothing to account.
//!
//! The meter works in integer nanojoules: every schedule's energy is rounded once, on its
//! own, and then only integers are added, so totals do not depend on the order in which
//! devices, shards or threads report. [`battery`] turns the totals into the steady-state
//! battery-life projection.

pub mod battery;
mod lorawan;
mod meter;
mod profile;

pub use battery::{Battery, Lifetimes, lifetime_years};
pub use lorawan::{ClassA, Downlink, WAKE, class_a_cycle};
pub use meter::{GroupEnergy, Meter};
pub use profile::{
    CELLULAR_VOLTAGE_V, LORAWAN_VOLTAGE_V, Op, Profile, SX1272_TX_MA, State, lorawan_tx_ma,
};

#[cfg(test)]
mod tests;
