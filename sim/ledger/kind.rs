//! What a transaction is for. Every transaction carries its kind from the device (or
//! contract) that creates it to its settlement, so every count can be broken down by kind.

/// A transaction's kind. Its numeric value indexes per-kind counters; the order is the
/// order of the rows of the `kinds` table and never changes, so that a kind's row keeps its
/// place when kinds are added at the end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum TxKind {
    /// A device's sensor reading (every workload before typed ones existed).
    #[default]
    Reading = 0,
    /// Funding of a payment channel between a consumer and a provider.
    ChannelOpen = 1,
    /// Closing of a payment channel: its final balance.
    ChannelClose = 2,
    /// A device's periodic report of a service-level figure to its contract.
    SlaReport = 3,
    /// A contract's reward or penalty for one evaluated window.
    SlaSettlement = 4,
    /// One critical tracking event of an item, signed by the party that holds it.
    ProvenanceEvent = 5,
    /// A device joining the network (its identity on the ledger).
    Registration = 6,
    /// A channel closed by one party alone: its last signed state, open to challenge
    /// until the channel's dispute timeout, after which a `ChannelClose` settles it.
    ChannelDispute = 7,
}

impl TxKind {
    pub const ALL: [TxKind; 8] = [
        TxKind::Reading,
        TxKind::ChannelOpen,
        TxKind::ChannelClose,
        TxKind::SlaReport,
        TxKind::SlaSettlement,
        TxKind::ProvenanceEvent,
        TxKind::Registration,
        TxKind::ChannelDispute,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            TxKind::Reading => "reading",
            TxKind::ChannelOpen => "channel_open",
            TxKind::ChannelClose => "channel_close",
            TxKind::SlaReport => "sla_report",
            TxKind::SlaSettlement => "sla_settlement",
            TxKind::ProvenanceEvent => "provenance_event",
            TxKind::Registration => "registration",
            TxKind::ChannelDispute => "channel_dispute",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether a transaction of this kind is created only once its predecessor settled (a
    /// provenance event follows the previous event of its item): at most one per chain is
    /// ever pending, so their backlog counts the chains in progress, not a queue.
    pub fn chained(self) -> bool {
        matches!(self, TxKind::ProvenanceEvent)
    }
}

/// What names one transaction across the run: its creator, the creator's own sequence number
/// and its kind. Devices number their readings; typed workloads number the transactions
/// they create for a device in a sequence of their own, so `(device, seq, kind)` is unique.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct TxTag {
    pub device: u32,
    pub seq: u32,
    pub kind: TxKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_index_their_place_in_all() {
        for (i, k) in TxKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i, "{}", k.name());
        }
        let names: std::collections::BTreeSet<_> = TxKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), TxKind::COUNT);
    }
}
