//! Attackers and the closed forms they are checked against.
//!
//! [`analytic`] holds the published formulas; [`montecarlo`] samples the same abstract
//! models (no network) so the sampling machinery itself is checked; the attackers that act
//! inside a simulated network hook into the consensus protocols they attack.

pub mod analytic;
pub mod montecarlo;
