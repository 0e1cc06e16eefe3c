//! Unchained: a deterministic discrete-event simulator for large-scale IoT blockchain
//! networks.
//!
//! Data flows one way: [`scenario`] → built [`world`] ([`net`], [`devices`], validators running
//! a [`consensus`] protocol over the [`ledger`]) → [`engine`] loop → [`metrics`] →
//! [`report`].

pub mod adversary;
pub mod atomic;
pub mod bench;
pub mod compare;
pub mod consensus;
pub mod cost;
pub mod devices;
pub mod energy;
pub mod engine;
pub mod ledger;
pub mod manifest;
pub mod metrics;
pub mod net;
pub mod phold;
pub mod plan;
pub mod privacy;
pub mod queueing;
pub mod radio;
pub mod report;
pub mod scenario;
pub mod sweep;
pub mod validation;
pub mod workload;
pub mod world;
