//! What flooding transactions costs in the families that do not send them as messages.
//!
//! Such a transaction reaches each validator along the fastest path of the peer graph from the
//! validator it entered at (`net::Reach`). In that model every node learns it first from its
//! predecessor on the path and passes it on at once, so the flood is exact per hop: each node
//! that holds it offers it to every peer but the one it came from (an announcement, or the
//! whole transaction), and with announcements each node asks its predecessor, which sends it.
//! A light node (`relay: false`) offers only the transactions that entered at it.
//! A peer's offer always arrives after the node already has it (it is at best a tie with the
//! fastest path), so no offer is saved by the peer having offered first. Counted per
//! transaction and hop as if unbatched: real nodes batch announcements, which saves headers,
//! not entries, and headers are not counted for any family's messages.

use crate::consensus::{Carries, Gossip, Kind};
use crate::metrics::{MessageRow, NodeTraffic};
use crate::net::{Network, Reach};

/// Per node, for one origin's tree: copies of one offer sent and received, transactions
/// passed on to children, and whether it received the transaction from a predecessor.
#[derive(Clone, Copy, Default)]
struct Hops {
    offers_out: u64,
    offers_in: u64,
    children: u64,
    fetched: bool,
}

fn hops(net: &Network, reach: &Reach, origin: u32) -> Vec<Hops> {
    let parent: Vec<Option<u32>> = reach.parents(origin).collect();
    let mut h = vec![Hops::default(); parent.len()];
    for (v, p) in parent.iter().enumerate() {
        if let Some(p) = *p {
            h[p as usize].children += 1;
            h[v].fetched = true;
        }
    }
    for (u, p) in parent.iter().enumerate() {
        // Light nodes (`relay: false`) hold it but offer it to no one.
        let offers = (p.is_some() && net.relays(u as u32)) || u as u32 == origin;
        if !offers {
            continue;
        }
        for &w in net.peers(u as u32) {
            if Some(w) != *p {
                h[u].offers_out += 1;
                h[w as usize].offers_in += 1;
            }
        }
    }
    h
}

#[derive(Default)]
struct Sum {
    messages: u64,
    bytes: u64,
}

impl Sum {
    fn add(&mut self, messages: u64, bytes: u64) {
        self.messages += messages;
        self.bytes += bytes;
    }
}

/// The modeled `messages` rows and what each node sent and received, for the transactions
/// that entered at each origin (`entered[o]`: count and bytes).
pub fn cost(
    net: &Network,
    reach: &Reach,
    entered: &[(u64, u64)],
    gossip: Gossip,
) -> (Vec<MessageRow>, Vec<NodeTraffic>) {
    let mut nodes = vec![NodeTraffic::default(); net.nodes() as usize];
    let (mut offers, mut requests, mut txs) = (Sum::default(), Sum::default(), Sum::default());
    for (origin, &(count, bytes)) in entered.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let origin = origin as u32;
        for (v, h) in hops(net, reach, origin).into_iter().enumerate() {
            let n = &mut nodes[v];
            let fetched = u64::from(h.fetched);
            match gossip {
                Gossip::Announce {
                    announce_bytes,
                    request_bytes,
                } => {
                    let (a, r) = (count * announce_bytes, count * request_bytes);
                    // Announcements out and in, the request to the predecessor and the ones
                    // from children, the transaction from the predecessor and to children.
                    n.messages_out += count * (h.offers_out + fetched + h.children);
                    n.bytes_out += a * h.offers_out + r * fetched + bytes * h.children;
                    n.messages_in += count * (h.offers_in + h.children + fetched);
                    n.bytes_in += a * h.offers_in + r * h.children + bytes * fetched;
                    offers.add(count * h.offers_out, a * h.offers_out);
                    requests.add(count * fetched, r * fetched);
                    txs.add(count * h.children, bytes * h.children);
                }
                Gossip::Push => {
                    n.messages_out += count * h.offers_out;
                    n.bytes_out += bytes * h.offers_out;
                    n.messages_in += count * h.offers_in;
                    n.bytes_in += bytes * h.offers_in;
                    txs.add(count * h.offers_out, bytes * h.offers_out);
                }
            }
        }
    }
    let row = |name, s: Sum| MessageRow {
        carries: Carries::Transactions.name(),
        message: Kind::new(name, Carries::Transactions).name,
        modeled: true,
        messages: s.messages,
        bytes: s.bytes,
        delivered_bytes: s.bytes,
    };
    let rows = match gossip {
        Gossip::Announce { .. } => vec![
            row("tx_announce", offers),
            row("tx_request", requests),
            row("tx_relay", txs),
        ],
        Gossip::Push => vec![row("tx_relay", txs)],
    };
    (rows, nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn mesh(n: u32) -> Network {
        let s = scenario::parse(
            &format!(
                "duration_s: 10\nconsensus: {{ protocol: pbft }}\nvalidators: {{ count: {n} }}\nnetwork: {{ topology: {{ model: full_mesh }} }}\n"
            ),
            "t",
        )
        .unwrap();
        Network::build(&s)
    }

    // On a full mesh of n the tree is a star around the origin: n − 1 copies of the
    // transaction, and every node but the origin offers it to the n − 2 peers it did not get
    // it from, the origin to all n − 1.
    #[test]
    fn a_full_mesh_costs_what_the_closed_form_says() {
        let n = 5u64;
        let net = mesh(n as u32);
        let reach = Reach::build(&net, &[2]);
        let mut entered = vec![(0, 0); 3];
        entered[2] = (10, 1000);
        let (rows, nodes) = cost(&net, &reach, &entered, Gossip::Push);
        let offers = (n - 1) + (n - 1) * (n - 2);
        assert_eq!(rows[0].messages, 10 * offers);
        assert_eq!(rows[0].bytes, 1000 * offers);
        let a = Gossip::Announce {
            announce_bytes: 36,
            request_bytes: 36,
        };
        let (rows, nodes_a) = cost(&net, &reach, &entered, a);
        let by = |m: &str| rows.iter().find(|r| r.message == m).unwrap().bytes;
        assert_eq!(by("tx_announce"), 10 * 36 * offers);
        assert_eq!(by("tx_request"), 10 * 36 * (n - 1));
        assert_eq!(by("tx_relay"), 1000 * (n - 1));
        for table in [&nodes, &nodes_a] {
            let out: u64 = table.iter().map(|t| t.bytes_out).sum();
            let inn: u64 = table.iter().map(|t| t.bytes_in).sum();
            assert_eq!(out, inn, "every modeled byte sent is received");
        }
        // The origin sends each transaction to every other node.
        assert_eq!(nodes_a[2].bytes_out, 10 * 36 * (n - 1) + 1000 * (n - 1));
    }
}
