//! What each observer can see, by family: which transactions reach it, when, and whether it
//! knows the gateway they came through.
//!
//! Transactions are observed when their upload reaches the validator its gateway reports to
//! (the entry); a validator further away sees them along the fastest path of the peer graph
//! (`net::Reach`, the model the flood's cost is counted by), which also gives the first-spy
//! estimate of a network observer: the peer its earliest spy heard the transaction from.
//! Where the family relays transactions as messages (`network.tx_relay: announce`), a
//! validator other than the entry sees them when, and from the peer, the relay delivers them
//! (`Privacy::observe_at`), so here only the entry's own view is set.

use crate::engine::Time;
use crate::net::Reach;
use crate::scenario::{Consensus, NotaryCluster, Observer, Scenario};

/// Which transactions the family delivers to a set of validators.
pub enum Rule {
    /// Every transaction (public chains, BFT replicas, Raft orderers, peers of every channel,
    /// notary cluster members).
    All,
    /// Only those of the device groups marked (a Fabric peer joined to their channels).
    Groups(Vec<bool>),
    /// Only those in which a watched validator is a party (Corda: the initiator or the
    /// counterparty), `validators` in all.
    Parties { validators: u32 },
}

pub enum Scope {
    /// A gateway's operator: its own devices' uplinks.
    Gateway(u32),
    /// Validators: `spies` lists them and `at` marks them, `delay[e]` is how long after
    /// reaching entry `e` a transaction first reaches one of them (`None`: never, or not along
    /// the fastest path), `spy_ok[e]` whether the first-spy estimate names `e`.
    Nodes {
        spies: Vec<u32>,
        at: Vec<bool>,
        delay: Vec<Option<Time>>,
        spy_ok: Vec<bool>,
        rule: Rule,
    },
}

/// The validators an observer sits at (none for a gateway).
fn spies(o: &Observer) -> Vec<u32> {
    match o {
        Observer::Validator { node, .. } => vec![*node],
        Observer::Network { nodes, .. } => nodes.clone(),
        Observer::Gateway { .. } => Vec::new(),
    }
}

/// What observer `o` sees; `relayed`: the family relays transactions as messages, whose
/// arrivals the observer is told of as they happen.
pub fn scope(
    s: &Scenario,
    o: &Observer,
    reach: &Reach,
    origins: &[u32],
    flood: bool,
    relayed: bool,
) -> Scope {
    if let Observer::Gateway { gateway, .. } = o {
        return Scope::Gateway(*gateway);
    }
    let n = s.validators.count as usize;
    let spies = spies(o);
    let mut at = vec![false; n];
    for &v in &spies {
        at[v as usize] = true;
    }
    let mut delay = vec![None; n];
    let mut spy_ok = vec![false; n];
    for &e in origins {
        if relayed {
            // At its entry a transaction is seen at once, from the fleet.
            delay[e as usize] = at[e as usize].then_some(0);
            spy_ok[e as usize] = at[e as usize];
            continue;
        }
        // The earliest spy (lowest id on a tie) and when it hears.
        let first = spies
            .iter()
            .filter_map(|&v| reach.delay(e, v, 0).map(|d| (d, v)))
            .min();
        let Some((d, v)) = first else { continue };
        delay[e as usize] = Some(d);
        // Families that send transactions to validators directly are seen from their origin.
        spy_ok[e as usize] = !flood || v == e || reach.parents(e).nth(v as usize) == Some(Some(e));
    }
    let rule = match (&s.consensus, o) {
        (
            Consensus::Raft(_),
            Observer::Validator {
                channels: Some(ch), ..
            },
        ) => Rule::Groups(s.devices.iter().map(|g| ch.contains(&g.name)).collect()),
        (Consensus::Notary(p), _) => {
            let members = match p.cluster {
                NotaryCluster::Single => 1,
                NotaryCluster::Raft { nodes } => nodes,
                NotaryCluster::Bft { faults } => 3 * faults + 1,
            };
            if spies.iter().any(|&v| v < members) {
                Rule::All
            } else {
                Rule::Parties {
                    validators: n as u32,
                }
            }
        }
        _ => Rule::All,
    };
    Scope::Nodes {
        spies,
        at,
        delay,
        spy_ok,
        rule,
    }
}
