use super::*;

fn link(first: Time, uses: u32) -> linker::Key {
    linker::Key {
        first,
        last: first,
        uses,
    }
}

fn active(first: Time, lo: i64) -> Active {
    Active {
        key: bayes::Key {
            first,
            last: first,
            uses: 1,
            lo,
            hi: 0,
        },
        arrival: first,
        place: 7,
    }
}

fn bump(t: Time) -> impl FnOnce(&mut linker::Key) {
    move |k| {
        k.last = k.last.max(t);
        k.uses += 1;
    }
}

/// Whatever sits near or far, every key filed is found under its own pool and epoch
/// until removed, and never under another's, for either attacker.
#[test]
fn keys_are_found_where_filed_until_removed() {
    let mut k = Keys::new(600);
    // Epochs 1 and 4, 2 and 5 share places, and two pools share every place.
    for e in [3u32, 1, 5, 4, 2] {
        for pool in 0..2u32 {
            k.link_insert((pool, 513, e), link(u64::from(pool * 10 + e), 1));
        }
    }
    for e in 1..=5u32 {
        for pool in 0..2u32 {
            let got = k.link_update((pool, 513, e), false, |_| {});
            assert_eq!(got.map(|k| k.first), Some(u64::from(pool * 10 + e)));
        }
    }
    assert!(k.link_update((0, 513, 6), false, |_| {}).is_none());
    assert!(k.link_update((0, 512, 5), false, |_| {}).is_none());
    fn k_remove(k: &mut Keys, id: Id) -> Option<linker::Key> {
        k.link_remove_if(id, |_| true)?.ok()
    }
    fn k_first(k: Option<linker::Key>) -> Option<Time> {
        k.map(|k| k.first)
    }
    assert_eq!(k_first(k_remove(&mut k, (1, 513, 5))), Some(15));
    assert_eq!(k_first(k_remove(&mut k, (1, 513, 5))), None);
    assert_eq!(k_first(k_remove(&mut k, (0, 513, 1))), Some(1));
    // Kept when `take` declines, near or far.
    for e in [2u32, 3] {
        let got = k.link_remove_if((0, 513, e), |_| false);
        assert!(matches!(got, Some(Err(k)) if k.first == u64::from(e)));
        assert!(k.link_update((0, 513, e), false, |_| {}).is_some());
    }
    k.link_insert((0, 513, 7), link(7, 1));
    assert_eq!(k.link_update((0, 513, 7), false, |_| {}).unwrap().first, 7);
    assert_eq!(k.link_update((0, 513, 5), false, |_| {}).unwrap().first, 5);
    assert_eq!(k.link_update((1, 513, 1), false, |_| {}).unwrap().first, 11);
}

/// A key both attackers file at one use shares its place: a use the Bayes attacker counts
/// there reaches the heuristic once; once either retires it, the other keeps counting
/// alone, and a key the heuristic files again beside the Bayes attacker's goes far.
#[test]
fn both_attackers_count_each_use_once() {
    let mut k = Keys::new(10);
    let id = (4, 3, 9);
    k.bayes_insert(id, active(100, 0));
    k.link_insert(id, link(100, 1));
    let (a, counted) = k
        .bayes_update(id, |a| {
            a.key.last = 160;
            a.key.uses += 1;
            a.key.lo = -5;
        })
        .unwrap();
    assert!(counted);
    assert_eq!(
        (a.key.last, a.key.uses, a.key.lo, a.arrival),
        (160, 2, -5, 100)
    );
    let l = k.link_update(id, true, bump(160)).unwrap();
    assert_eq!((l.first, l.last, l.uses), (100, 160, 2));
    // The heuristic retires it; the Bayes attacker still counts.
    assert!(matches!(k.link_remove_if(id, |_| true), Some(Ok(_))));
    assert!(k.link_update(id, false, |_| {}).is_none());
    let (a, _) = k.bayes_update(id, |a| a.key.uses += 1).unwrap();
    assert_eq!(a.key.uses, 3);
    // Back in use: the heuristic's new key starts afresh, far from the Bayes one.
    k.link_insert(id, link(300, 1));
    let l = k.link_update(id, true, bump(360)).unwrap();
    assert_eq!((l.first, l.last, l.uses), (300, 360, 2));
    let Some(Ok(a)) = k.bayes_remove_if(id, |_| true) else {
        panic!("the Bayes key is held")
    };
    assert_eq!((a.key.first, a.key.uses), (100, 3));
    assert!(k.bayes_update(id, |_| {}).is_none());
    assert_eq!(k.link_update(id, false, |_| {}).unwrap().uses, 2);
    // A newer epoch in the same place sends both attackers' key far, intact.
    let old = (4, 3, 2);
    k.bayes_insert(old, active(50, -1));
    k.link_insert(old, link(50, 1));
    k.link_insert((4, 3, 5), link(500, 1));
    assert_eq!(k.bayes_update(old, |_| {}).unwrap().0.key.lo, -1);
    assert!(!k.bayes_update(old, |_| {}).unwrap().1);
    assert_eq!(k.link_update(old, false, |_| {}).unwrap().first, 50);
    assert_eq!(k.link_update((4, 3, 5), false, |_| {}).unwrap().first, 500);
}
