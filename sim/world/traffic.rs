//! What validator messages cost and where each one ended: per message kind and per node, sent
//! and received, with every byte sent either delivered, lost for a named reason or still in
//! flight when the run ended.

use crate::consensus::Kind;
use crate::metrics::{MessageRow, NodeTraffic};

/// Why a message sent was not delivered; the order is the order of the summary's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Delivered,
    Partition,
    Eclipse,
    LinkLoss,
    /// The receiver was down when the message arrived.
    NodeDown,
    /// Due at or after the end of the run.
    InFlight,
}

impl Fate {
    /// The undelivered fates, with the names of their summary rows.
    pub const UNDELIVERED: [(Fate, &'static str); 5] = [
        (Fate::Partition, "lost_partition"),
        (Fate::Eclipse, "lost_eclipse"),
        (Fate::LinkLoss, "lost_link_loss"),
        (Fate::NodeDown, "lost_node_down"),
        (Fate::InFlight, "in_flight_at_end"),
    ];
}

#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    count: u64,
    bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes += bytes;
    }

    fn absorb(&mut self, other: Tally) {
        self.count += other.count;
        self.bytes += other.bytes;
    }
}

/// Adds each node's totals in `b` to `a`'s.
fn add_nodes(a: &mut [NodeTraffic], b: &[NodeTraffic]) {
    for (n, m) in a.iter_mut().zip(b) {
        n.messages_out += m.messages_out;
        n.bytes_out += m.bytes_out;
        n.messages_in += m.messages_in;
        n.bytes_in += m.bytes_in;
    }
}

#[derive(Clone, Debug)]
struct PerKind {
    kind: Kind,
    sent: Tally,
    delivered: Tally,
}

/// Counts kept while the run goes; a handful of kinds per family, so a linear search where the
/// family does not number its kinds.
pub struct Traffic {
    kinds: Vec<PerKind>,
    /// Where each numbered kind ([`Kind::numbered`]) is in `kinds`, once seen; `usize::MAX`
    /// before.
    by_slot: [usize; Kind::SLOTS],
    /// The kind counted last: messages come in runs of one kind (a block's `inv`s to every
    /// peer), each counted twice, when sent and when it ends.
    last: usize,
    /// Rows counted by closed form (`world::relay`).
    modeled: Vec<MessageRow>,
    nodes: Vec<NodeTraffic>,
    /// Counts of `nodes` not added yet (see [`Posts`]): received messages and their bytes.
    received: Posts<(u32, u64)>,
    /// Sent messages: node, messages, bytes.
    sent: Posts<(u32, u32, u64)>,
    /// Sent and not delivered, by `Fate::UNDELIVERED` order.
    undelivered: [Tally; 5],
}

/// Per-node counts waiting to be added, a few hundred at once. At 10,000 nodes an addition to
/// a node's counts misses the cache, and each message counts at both ends: one at a time each
/// miss held up the event that sent or delivered it (in SimBlock's Bitcoin scenario perf put
/// a fifth of the event loop's samples on the receiver's addition), while the additions of a
/// batch are independent, so their misses overlap. Only the totals are read, at the end of the
/// run, after [`Traffic::flush`].
struct Posts<T>(Vec<T>);

/// Counts a batch holds.
const POSTS: usize = 512;

impl<T> Posts<T> {
    fn new() -> Self {
        Posts(Vec::with_capacity(POSTS))
    }

    /// Adds `post`; true when the batch is full.
    #[inline]
    fn add(&mut self, post: T) -> bool {
        self.0.push(post);
        self.0.len() == POSTS
    }
}

impl Traffic {
    pub fn new(nodes: u32) -> Self {
        Traffic {
            kinds: Vec::new(),
            by_slot: [usize::MAX; Kind::SLOTS],
            last: 0,
            modeled: Vec::new(),
            nodes: vec![NodeTraffic::default(); nodes as usize],
            received: Posts::new(),
            sent: Posts::new(),
            undelivered: [Tally::default(); 5],
        }
    }

    #[inline]
    fn of(&mut self, kind: Kind) -> &mut PerKind {
        let slot = kind.slot as usize;
        if let Some(&i) = self.by_slot.get(slot)
            && i != usize::MAX
        {
            return &mut self.kinds[i];
        }
        let i = self.search(kind);
        if let Some(s) = self.by_slot.get_mut(slot) {
            *s = i;
        }
        &mut self.kinds[i]
    }

    /// Where `kind` is in `kinds`, added if new.
    fn search(&mut self, kind: Kind) -> usize {
        // Names are string literals, so one kind's name is nearly always the same pointer: the
        // text is compared only when no pointer matches (a literal the compiler did not merge).
        let same =
            |k: &PerKind| std::ptr::eq(k.kind.name, kind.name) && k.kind.carries == kind.carries;
        if !self.kinds.get(self.last).is_some_and(same) {
            let found = self.kinds.iter().position(same);
            self.last = match found.or_else(|| self.kinds.iter().position(|k| k.kind == kind)) {
                Some(i) => i,
                None => {
                    self.kinds.push(PerKind {
                        kind,
                        sent: Tally::default(),
                        delivered: Tally::default(),
                    });
                    self.kinds.len() - 1
                }
            };
        }
        self.last
    }

    #[inline]
    pub fn sent(&mut self, kind: Kind, from: u32, bytes: u64) {
        self.of(kind).sent.add(bytes);
        self.sent_by(from, 1, bytes);
    }

    /// `from` sent `messages` of `bytes` in all.
    #[inline]
    fn sent_by(&mut self, from: u32, messages: u64, bytes: u64) {
        let messages = u32::try_from(messages).expect("under 2^32 copies at once");
        if self.sent.add((from, messages, bytes)) {
            self.flush_sent();
        }
    }

    fn flush_sent(&mut self) {
        for &(v, messages, bytes) in &self.sent.0 {
            let n = &mut self.nodes[v as usize];
            n.messages_out += u64::from(messages);
            n.bytes_out += bytes;
        }
        self.sent.0.clear();
    }

    fn flush_received(&mut self) {
        for &(v, bytes) in &self.received.0 {
            let n = &mut self.nodes[v as usize];
            n.messages_in += 1;
            n.bytes_in += bytes;
        }
        self.received.0.clear();
    }

    /// Adds every count still waiting to the nodes' totals.
    pub fn flush(&mut self) {
        self.flush_sent();
        self.flush_received();
    }

    /// `copies` messages of `bytes` sent by `from` (a broadcast).
    pub fn sent_many(&mut self, kind: Kind, from: u32, bytes: u64, copies: u64) {
        let t = &mut self.of(kind).sent;
        t.count += copies;
        t.bytes += bytes * copies;
        self.sent_by(from, copies, bytes * copies);
    }

    /// `copies` messages of `kind` and `bytes` delivered, whose receivers were counted one by
    /// one with [`Self::received`].
    pub fn delivered_many(&mut self, kind: Kind, bytes: u64, copies: u64) {
        let t = &mut self.of(kind).delivered;
        t.count += copies;
        t.bytes += bytes * copies;
    }

    /// `to` received a message of `bytes` (its kind counted by [`Self::delivered_many`]).
    #[inline]
    pub fn received(&mut self, to: u32, bytes: u64) {
        if self.received.add((to, bytes)) {
            self.flush_received();
        }
    }

    /// Where a message sent ended: `to` received it, or it was not delivered for `fate`.
    #[inline]
    pub fn ended(&mut self, kind: Kind, to: u32, bytes: u64, fate: Fate) {
        if fate == Fate::Delivered {
            self.of(kind).delivered.add(bytes);
            self.received(to, bytes);
        } else {
            let i = Fate::UNDELIVERED
                .iter()
                .position(|(f, _)| *f == fate)
                .expect("an undelivered fate");
            self.undelivered[i].add(bytes);
        }
    }

    /// The `messages` table: one row per kind, in the order of the kinds' first use sorted by
    /// what they carry and their name, so the table does not depend on who sent first.
    pub fn rows(&self) -> Vec<MessageRow> {
        let mut rows: Vec<MessageRow> = self
            .kinds
            .iter()
            .map(|k| MessageRow {
                carries: k.kind.carries.name(),
                message: k.kind.name,
                modeled: false,
                messages: k.sent.count,
                bytes: k.sent.bytes,
                delivered_bytes: k.delivered.bytes,
            })
            .collect();
        rows.sort_by_key(|r| (r.carries, r.message));
        rows.extend(self.modeled.iter().cloned());
        rows
    }

    /// Adds the transaction flood counted along the relay tree (`world::relay`): delivered
    /// in full, its rows after the simulated ones.
    pub fn add_modeled(&mut self, rows: Vec<MessageRow>, nodes: &[NodeTraffic]) {
        self.flush();
        self.modeled.extend(rows);
        add_nodes(&mut self.nodes, nodes);
    }

    /// Adds another partition's counts, as if counted here: per kind (found by name and what
    /// it carries), per node and per undelivered fate. Integer sums, and [`Self::rows`] sorts
    /// the kinds, so partitions absorbed in any order give the same tables.
    pub fn absorb(&mut self, other: &mut Traffic) {
        assert!(
            other.modeled.is_empty(),
            "modeled rows are added once, at the end"
        );
        self.flush();
        other.flush();
        for k in &other.kinds {
            let mine = self.of(k.kind);
            mine.sent.absorb(k.sent);
            mine.delivered.absorb(k.delivered);
        }
        add_nodes(&mut self.nodes, &other.nodes);
        for (a, &b) in self.undelivered.iter_mut().zip(&other.undelivered) {
            a.absorb(b);
        }
    }

    /// Each node's totals; [`Self::flush`] first.
    pub fn nodes(&self) -> &[NodeTraffic] {
        assert!(
            self.sent.0.is_empty() && self.received.0.is_empty(),
            "node counts read before they were flushed"
        );
        &self.nodes
    }

    /// `(name, messages, bytes)` of each undelivered fate.
    pub fn undelivered(&self) -> impl Iterator<Item = (&'static str, u64, u64)> + '_ {
        Fate::UNDELIVERED
            .iter()
            .zip(&self.undelivered)
            .map(|((_, name), t)| (*name, t.count, t.bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::Carries;

    type Row = (&'static str, &'static str, u64, u64, u64);

    /// The `messages` rows after the `i`-th of `sends` went out with 10·(i + 1) bytes and
    /// arrived with 10·(i + 1) / `shrink`.
    fn rows_of(sends: &[Kind], shrink: u64) -> Vec<Row> {
        let mut t = Traffic::new(2);
        for (i, &k) in sends.iter().enumerate() {
            t.sent(k, 0, 10 * (i as u64 + 1));
            t.ended(k, 1, 10 * (i as u64 + 1) / shrink, Fate::Delivered);
        }
        t.rows()
            .into_iter()
            .map(|r| (r.carries, r.message, r.messages, r.bytes, r.delivered_bytes))
            .collect()
    }

    #[test]
    fn node_counts_add_up_across_batches() {
        let mut t = Traffic::new(3);
        let k = Kind::new("inv", Carries::Control);
        for i in 0..3 * POSTS as u64 + 7 {
            t.sent(k, (i % 3) as u32, i);
            t.sent_many(k, 2, 10, 4);
            t.ended(k, ((i + 1) % 3) as u32, i, Fate::Delivered);
            t.received(0, 1);
        }
        t.flush();
        let n = t.nodes();
        let runs = 3 * POSTS as u64 + 7;
        let msgs_out: u64 = n.iter().map(|x| x.messages_out).sum();
        let bytes_in: u64 = n.iter().map(|x| x.bytes_in).sum();
        assert_eq!(msgs_out, runs + 4 * runs);
        assert_eq!(
            n[2].bytes_out - 40 * runs,
            (0..runs).filter(|i| i % 3 == 2).sum::<u64>()
        );
        assert_eq!(n.iter().map(|x| x.messages_in).sum::<u64>(), 2 * runs);
        assert_eq!(bytes_in, (0..runs).sum::<u64>() + runs);
        assert_eq!(
            n[0].messages_in,
            runs + (0..runs).filter(|i| (i + 1) % 3 == 0).count() as u64
        );
    }

    /// What one recorder's `(rows, nodes, undelivered)` print as.
    fn tables(t: &mut Traffic) -> String {
        t.flush();
        let u: Vec<_> = t.undelivered().collect();
        format!("{:?}", (t.rows(), t.nodes(), u))
    }

    /// Messages counted by two partitions (each its senders', meeting the kinds in another
    /// order) and absorbed, in either order, give the tables of one recorder counting all.
    #[test]
    fn absorbed_partitions_count_as_one() {
        let kinds = [
            Kind::numbered(1, "inv", Carries::Control),
            Kind::new("block", Carries::Block),
            Kind::new("vote", Carries::Vote),
        ];
        let fates = [
            Fate::Delivered,
            Fate::LinkLoss,
            Fate::Delivered,
            Fate::InFlight,
        ];
        let count = |t: &mut Traffic, i: u64| {
            let (from, to) = ((i % 4) as u32, ((i * 7 + 1) % 4) as u32);
            // Partition 1 (senders 2 and 3) meets the kinds in another order.
            let k = kinds[((i / 4) as usize + from as usize / 2) % 3];
            t.sent(k, from, i);
            t.ended(k, to, i, fates[(i % 4) as usize]);
            t.sent_many(k, from, 3, 5);
            t.ended(k, to, 3, Fate::NodeDown);
        };
        let mut whole = Traffic::new(4);
        let mut parts = [Traffic::new(4), Traffic::new(4)];
        for i in 0..2 * POSTS as u64 {
            count(&mut whole, i);
            count(&mut parts[(i % 4 / 2) as usize], i);
        }
        let want = tables(&mut whole);
        for order in [[0, 1], [1, 0]] {
            let mut merged = Traffic::new(4);
            for k in order {
                merged.absorb(&mut parts[k]);
            }
            assert_eq!(tables(&mut merged), want);
        }
        assert_ne!(tables(&mut parts[0]), want);
    }

    #[test]
    #[should_panic(expected = "before they were flushed")]
    fn node_counts_are_not_read_unflushed() {
        let mut t = Traffic::new(1);
        t.received(0, 1);
        let _ = t.nodes();
    }

    #[test]
    fn kinds_are_counted_by_name_whatever_the_pointer() {
        // The same name at another address (a literal the compiler did not merge).
        let inv_elsewhere: &'static str = Box::leak(String::from("inv").into_boxed_str());
        let sends = [
            Kind::new("inv", Carries::Control),
            Kind::new("block", Carries::Block),
            Kind::new(inv_elsewhere, Carries::Control),
            Kind::new("inv", Carries::Control),
            Kind::new("inv", Carries::Vote),
        ];
        assert_eq!(
            rows_of(&sends, 1),
            [
                ("block", "block", 1, 20, 20),
                ("control", "inv", 3, 80, 80),
                ("vote", "inv", 1, 50, 50),
            ]
        );
    }

    #[test]
    fn numbered_kinds_count_as_their_names_do() {
        let sends = [
            Kind::numbered(1, "inv", Carries::Control),
            Kind::numbered(0, "block", Carries::Block),
            Kind::new("inv", Carries::Control),
            Kind::numbered(1, "inv", Carries::Control),
            Kind::numbered(0, "block", Carries::Block),
            Kind::numbered(2, "getdata", Carries::Control),
        ];
        assert_eq!(
            rows_of(&sends, 10),
            [
                ("block", "block", 2, 70, 7),
                ("control", "getdata", 1, 60, 6),
                ("control", "inv", 3, 80, 8),
            ]
        );
    }
}
