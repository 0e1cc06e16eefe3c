//! Unit tests of `tx_relay`: arrivals, releases, restarts and what watched validators are told.

use super::*;

fn tx(device: u32, bytes: u32) -> TxIn {
    TxIn {
        device,
        seq: 0,
        bytes,
        kind: Default::default(),
        hot: false,
        created: 0,
        uploaded: 0,
    }
}

#[test]
fn arrivals_are_exact_and_released_with_the_last_transaction() {
    let mut r = TxRelay::new(3, BITCOIN, false);
    let b = r.open(1, 1_000);
    r.add(b, 4, &tx(0, 100));
    r.add(b, 7, &tx(1, 50));
    assert_eq!(r.size(b), Some((2, 150)));
    assert_eq!(r.arrival(b, 1), Some(1_000), "held at its origin");
    assert!(r.heard(b, 0));
    assert!(!r.heard(b, 0), "asked once");
    assert!(r.asked(b, 0));
    assert!(r.arrived(b, 0, 1, 1_777));
    assert!(!r.arrived(b, 0, 2, 1_999), "the first copy counts");
    assert_eq!(r.tx_arrival(7, 0), Some(1_777));
    // Later than 2^32 ns after entering: kept exactly all the same.
    let late = 1_000 + 10 * NS_PER_S + 3;
    assert!(r.arrived(b, 2, 1, late));
    assert_eq!(r.arrival(b, 2), Some(late));
    let c = r.open(0, 2_000);
    r.add(c, 5, &tx(2, 10));
    r.released(4);
    assert!(r.size(b).is_some(), "one transaction left");
    r.released(7);
    assert_eq!(r.size(b), None);
    assert_eq!(r.arrival(b, 2), None);
    assert!(r.late.is_empty());
    assert!(!r.heard(b, 2), "a released batch is never asked for");
    assert_eq!(r.size(c), Some((1, 10)));
    assert_eq!(r.first, 1);
}

#[test]
fn a_restarted_node_asks_again_for_what_it_had_asked_for() {
    let mut r = TxRelay::new(3, BITCOIN, true);
    let b = r.open(1, 0);
    r.add(b, 0, &tx(0, 100));
    let c = r.open(1, 10);
    r.add(c, 1, &tx(1, 100));
    assert!(r.heard(b, 0));
    assert!(r.heard(c, 0));
    assert!(r.arrived(c, 0, 1, 500));
    assert!(!r.heard(b, 0), "asked, waiting for the answer");
    r.restarted(0);
    assert!(r.heard(b, 0), "the request died with the crash: ask again");
    assert_eq!(r.arrival(c, 0), Some(500), "what had arrived stays");
    assert!(
        r.asked(b, 0) && !r.asked(b, 2),
        "only the restarted node's asks change"
    );
}

#[test]
fn watched_arrivals_come_with_their_sender_and_transactions_until_every_watched_node_has_them() {
    let mut r = TxRelay::new(4, BITCOIN, false);
    r.watch(&[0, 2, 3]);
    let b = r.open(2, 100);
    r.add(b, 0, &tx(5, 100));
    r.add(b, 1, &tx(6, 50));
    // Unwatched node 1 takes it from the origin; watched 3 from 1, then 0 from 3.
    assert!(r.arrived(b, 1, 2, 200));
    assert!(r.arrived(b, 3, 1, 300));
    let mut seen = Vec::new();
    r.drain_seen(|s, txs, had| {
        seen.push((*s, txs.to_vec(), had(0), had(2), had(3)));
    });
    assert_eq!(seen.len(), 1, "only watched nodes are logged");
    let (s, txs, had0, had2, had3) = &seen[0];
    assert_eq!(
        *s,
        Seen {
            batch: b,
            origin: 2,
            node: 3,
            from: 1,
            at: 300
        }
    );
    assert_eq!(txs, &vec![tx(5, 100), tx(6, 50)]);
    assert!(
        !had0 && *had2 && !had3,
        "the origin had it; 3 is the one arriving"
    );
    assert!(
        r.watch.as_ref().unwrap().held.contains_key(&b),
        "0 lacks it"
    );
    assert!(r.arrived(b, 0, 3, 400));
    let mut from = Vec::new();
    r.drain_seen(|s, _, had| from.push((s.from, had(3))));
    assert_eq!(from, vec![(3, true)]);
    assert!(
        r.watch.as_ref().unwrap().held.is_empty(),
        "every watched node has it: its transactions are let go"
    );
    // A batch released before every watched node has it lets go of its transactions too.
    let c = r.open(1, 500);
    r.add(c, 2, &tx(7, 10));
    assert!(r.watch.as_ref().unwrap().held.contains_key(&c));
    r.released(2);
    assert!(r.watch.as_ref().unwrap().held.is_empty());
    // Without watched nodes nothing is kept or logged.
    let mut q = TxRelay::new(2, BITCOIN, false);
    let d = q.open(0, 0);
    q.add(d, 0, &tx(1, 10));
    assert!(q.arrived(d, 1, 0, 10));
    q.drain_seen(|_, _, _| panic!("nothing is watched"));
    assert!(q.watch.is_none());
}
