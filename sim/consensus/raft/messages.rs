//! What Fabric's peers and Raft orderers send each other, and the timers they arm.

use crate::consensus::election::Ask;
use crate::consensus::pbft::requests::ReqId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Request messages carry the request's size: one may still be in flight, and answered
    /// or forwarded, after the request is released (see `Requests::release`).
    Endorse {
        r: ReqId,
        attempt: u32,
        bytes: u64,
    },
    Endorsed {
        r: ReqId,
        attempt: u32,
        bytes: u64,
    },
    Submit {
        r: ReqId,
        bytes: u64,
    },
    /// Entries from `prev + 1` through block `last` (none when `last` sits at `prev`).
    Append {
        term: u64,
        prev: u64,
        last: u32,
        commit: u64,
    },
    AppendAck {
        term: u64,
        ok: bool,
        matched: u64,
        entries: bool,
    },
    /// The election's vote requests and answers (`consensus/election.rs`).
    Election(Ask),
    Deliver(u32),
    /// A peer's request for the committed blocks at heights `from..=to` (`to` is `u64::MAX`
    /// when it holds nothing above the gap).
    Fetch {
        from: u64,
        to: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Election(u32),
    Heartbeat(u64),
    Batch(u32),
    Retry {
        r: ReqId,
        round: u32,
    },
    Validate,
    /// An endorser's simulation of `r` for `from` ends.
    Endorsement {
        from: u32,
        r: ReqId,
        attempt: u32,
        bytes: u64,
    },
}
