//! The event engine: integer time, totally ordered event keys, a future-event queue and
//! per-entity random streams. It knows nothing of blockchains, devices or networks.
//!
//! # Ordering contract
//! Events are delivered in increasing [`EventKey`] order: by time, then by the id of the
//! entity that scheduled the event, then by that entity's own sequence number. Because the
//! tie-break is assigned by the sender and never by a shared counter, the order of
//! simultaneous events does not depend on how the model is executed — nor on the queue: the
//! scheduler's radix heap and the 4-ary heap deliver the same sequence (see
//! `benches/queue.rs` for why the radix heap was chosen).

mod command;
mod key;
mod philox;
mod queue;
mod radix;
mod rng;
mod scheduler;
mod time;

pub use command::Command;
pub use key::EventKey;
pub use queue::QuadHeap;
pub use radix::{LeanRadixHeap, RadixHeap};
pub use rng::{Draws, Purpose, UNIT_MIN, draw_u64, draw_unit, draw_unit_pair, draw_words, stream};
pub use scheduler::Scheduler;
pub use time::{NS_PER_MS, NS_PER_S, Time, from_secs, to_secs};
