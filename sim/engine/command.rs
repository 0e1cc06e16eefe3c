//! What handlers return instead of touching the queue or other entities.

use super::Time;

/// A request from a handler to the engine loop. `M` is the model's message type and `T` its
/// timer type; the loop turns commands into events with the sender's key.
#[derive(Clone, Debug, PartialEq)]
pub enum Command<M, T> {
    /// Deliver `msg` of `bytes` to entity `to`; the transport decides the delay.
    Send { to: u32, msg: M, bytes: u64 },
    /// Deliver `msg` of `bytes` to every other entity the transport reaches with an id below
    /// `upto`, in id order: the same as one `Send` to each, for the transport to carry as one
    /// message.
    Broadcast { msg: M, bytes: u64, upto: u32 },
    /// Wake the sender with `timer` after `delay`.
    Timer { delay: Time, timer: T },
}
