//! Hop counts and what `tx_relay: announce` delivered against the fastest path, for the
//! relay tests.

use std::collections::BTreeMap;
use unchained::metrics::RunOutput;
use unchained::scenario::Scenario;

/// Hop counts from `origin` to every node of `net`.
pub fn hops(net: &unchained::net::Network, origin: u32) -> Vec<u32> {
    let mut d = vec![u32::MAX; net.nodes() as usize];
    d[origin as usize] = 0;
    let mut queue = std::collections::VecDeque::from([origin]);
    while let Some(v) = queue.pop_front() {
        for &w in net.peers(v) {
            if d[w as usize] == u32::MAX {
                d[w as usize] = d[v as usize] + 1;
                queue.push_back(w);
            }
        }
    }
    d
}

/// What `tx_relay: announce` delivered by the end of a run, against the fastest path.
#[derive(Debug, Default)]
pub struct Arrivals {
    /// (transaction, node) pairs that arrived.
    pub pairs: u64,
    /// Of those, later than the fastest path.
    pub later: u64,
    /// Later than announce, request and transfer on free links: waited for a busy upload link.
    pub queued: u64,
    /// Pairs the fastest path delivers a second before the end that have not arrived.
    pub missing: u64,
    /// Transaction bytes received by nodes other than the origin.
    pub relayed_bytes: u64,
}

/// The transaction-relay row of `message`.
pub fn tx_row<'a>(out: &'a RunOutput, message: &str) -> &'a unchained::metrics::MessageRow {
    out.messages
        .iter()
        .find(|r| r.message == message && r.carries == "transactions")
        .unwrap_or_else(|| panic!("no {message} row"))
}

impl Arrivals {
    /// What announce relay over busy links must show, whatever the family: many arrivals,
    /// most later than the fastest path, some queued behind a busy upload link, some not yet
    /// arrived; each node but the origin receiving each batch it holds exactly once; the
    /// relay rows counted as sent, at least one request per transfer; conservation.
    pub fn check_congested(&self, out: &RunOutput) {
        let (pairs, later) = (self.pairs, self.later);
        assert!(pairs > 10_000, "{pairs} arrivals");
        assert!(
            later > pairs / 2,
            "{later} of {pairs} later than the fastest path"
        );
        assert!(self.queued > 0, "no transfer waited for a busy upload link");
        assert!(
            self.missing > 0,
            "every node holds what the fastest path delivers a second before the end"
        );
        assert_eq!(tx_row(out, "tx_relay").delivered_bytes, self.relayed_bytes);
        for m in ["tx_announce", "tx_request", "tx_relay"] {
            assert!(!tx_row(out, m).modeled, "{m} counted as sent, not modeled");
        }
        assert!(tx_row(out, "tx_request").messages >= tx_row(out, "tx_relay").messages);
        assert!(out.conservation.holds(), "{:?}", out.conservation);
    }
}

/// Audits every pooled transaction's arrival at every node of `s` (constant links of
/// `bps`), asserting that none beats the fastest path nor `per_hop` per hop; `hop_bytes` is
/// what one hop sends on free links (announcement, request and the transaction).
pub fn audit_arrivals(
    s: &Scenario,
    pool: &unchained::ledger::Pool,
    arrival: impl Fn(u32, u32) -> Option<unchained::engine::Time>,
    per_hop: unchained::engine::Time,
    hop_bytes: u64,
    bps: f64,
) -> Arrivals {
    use unchained::engine::Time;
    let net = unchained::net::Network::build(s);
    let origins: Vec<u32> = (0..net.nodes()).collect();
    let reach = unchained::net::Reach::build(&net, &origins);
    let end = unchained::engine::from_secs(s.duration_s);
    let transfer = |bytes: u64| (bytes as f64 * 8.0 / bps * 1e9).round() as Time;
    let mut a = Arrivals::default();
    let mut hop_table = BTreeMap::new();
    for (slot, _, t) in pool.iter() {
        let h = hop_table
            .entry(t.origin())
            .or_insert_with(|| hops(&net, t.origin()));
        for v in 0..net.nodes() {
            let fastest = t.reached + reach.delay(t.origin(), v, t.bytes()).expect("connected");
            match arrival(slot, v) {
                Some(at) => {
                    a.pairs += 1;
                    assert!(at >= fastest, "tx at {v} before the fastest path");
                    let hops = Time::from(h[v as usize]);
                    assert!(at - t.reached >= hops * per_hop, "faster than {hops} hops");
                    a.later += u64::from(at > fastest);
                    a.queued += u64::from(at - t.reached > hops * (per_hop + transfer(hop_bytes)));
                    if v != t.origin() {
                        a.relayed_bytes += u64::from(t.bytes());
                    }
                }
                None if fastest + 1_000_000_000 < end => a.missing += 1,
                None => {}
            }
        }
    }
    a
}
