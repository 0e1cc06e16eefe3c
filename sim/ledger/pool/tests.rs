use super::*;

fn tx(seq: u32) -> TxIn {
    TxIn {
        device: 1,
        seq,
        bytes: 100,
        kind: crate::ledger::TxKind::Reading,
        hot: false,
        created: 0,
        uploaded: 0,
    }
}

#[test]
fn a_kept_transaction_takes_32_bytes_and_gives_back_what_went_in() {
    assert_eq!(std::mem::size_of::<Entry>(), 32);
    let mut p = Pool::default();
    let top = crate::scenario::MAX_VALIDATORS as u32 - 1;
    for (i, kind) in TxKind::ALL.into_iter().enumerate() {
        let t = TxIn {
            kind,
            created: 11 + i as Time,
            ..tx(i as u32)
        };
        let (s, g) = p.insert(t, 40, top - i as u32);
        let k = p.get(s, g).unwrap();
        assert_eq!(k.tag(), t.tag());
        assert_eq!(
            (k.origin(), k.kind(), k.created()),
            (top - i as u32, kind, t.created)
        );
        assert_eq!((k.bytes(), k.reached), (100, 40));
    }
    p.remove(0);
    assert!(p.get(0, 0).is_none());
    assert_eq!(p.live(), TxKind::ALL.len() as u64 - 1);
    assert!(p.far_bytes.is_empty());
}

/// Sizes past the 127th distinct one and times from 2⁴⁸ − 1 ns on come back from the side
/// maps and leave them with their transaction; long waits, a transaction that reached its
/// validator before its creation time and times past 2³² ns come back as they went in.
#[test]
fn values_that_do_not_fit_the_record_come_back_from_the_side() {
    let mut p = Pool::default();
    let far = u64::from(u32::MAX);
    let cases = [
        (5, 5 + far - 1),
        (5, 5 + far),
        (5, 5 + far + 1),
        (9 << 40, (9 << 40) + 3),
        (7, 6),
        (u64::MAX - 1, u64::MAX),
        (FAR_TIME - 2, FAR_TIME - 1),
        (FAR_TIME - 1, FAR_TIME),
        (FAR_TIME + 5, 3),
    ];
    let mut ids = Vec::new();
    for size in 0..200u32 {
        let (created, reached) = cases[size as usize % cases.len()];
        let t = TxIn {
            bytes: 1000 + size,
            created,
            ..tx(size)
        };
        ids.push((p.insert(t, reached, size), created, reached));
    }
    assert_eq!(p.sizes.len(), 127);
    assert_eq!(p.far_bytes.len(), 200 - 127);
    let far = |&(c, r): &(Time, Time)| c.max(r) >= FAR_TIME;
    let far_cases = cases.iter().filter(|c| far(c)).count();
    assert_eq!(far_cases, 3, "2⁴⁸ − 2 still fits the record");
    assert_eq!(
        p.far_times.len(),
        (0..200).filter(|i| far(&cases[i % cases.len()])).count()
    );
    for (i, &((s, g), created, reached)) in ids.iter().enumerate() {
        let k = p.get(s, g).unwrap();
        assert_eq!(
            (k.bytes(), k.created(), k.reached),
            (1000 + i as u32, created, reached)
        );
        assert_eq!((k.origin(), k.tag().seq), (i as u32, i as u32));
    }
    assert_eq!(p.unincluded_bytes(), (1000..1200).sum::<u64>());
    for ((s, _), _, _) in ids {
        p.add_block(s, 1);
        p.remove(s);
    }
    assert!(p.far_bytes.is_empty() && p.far_times.is_empty());
    assert_eq!((p.live(), p.unincluded_bytes()), (0, 0));
}

#[test]
fn reused_slots_do_not_answer_to_old_names() {
    let mut p = Pool::default();
    let (s0, g0) = p.insert(tx(0), 5, 0);
    let (s1, _) = p.insert(tx(1), 6, 0);
    assert!(p.add_block(s0, 7));
    assert!(!p.add_block(s0, 8));
    assert_eq!(p.unincluded(), 1);
    p.remove(s0);
    let (s2, g2) = p.insert(tx(2), 9, 0);
    assert_eq!(s2, s0);
    assert!(p.get(s0, g0).is_none());
    assert_eq!(p.get(s2, g2).unwrap().tag().seq, 2);
    let order: Vec<u32> = p.iter().map(|(_, _, t)| t.tag().seq).collect();
    assert_eq!(order, [1, 2]);
    p.remove(s1);
    assert_eq!((p.live(), p.unincluded()), (1, 1));
}

#[test]
fn positions_name_the_same_entries_until_the_epoch_changes() {
    let mut p = Pool::default();
    let ids: Vec<(u32, u32)> = (0..6).map(|i| p.insert(tx(i), 0, 0)).collect();
    let seqs = |p: &Pool, from| -> Vec<(u64, u32)> {
        p.iter_from(from)
            .map(|(pos, _, _, t)| (pos, t.tag().seq))
            .collect()
    };
    assert_eq!(seqs(&p, 4), [(4, 4), (5, 5)]);
    p.remove(ids[0].0);
    p.remove(ids[2].0);
    // Entry 0 left the front, entry 2 is skipped: positions stay.
    assert_eq!(seqs(&p, 0), [(1, 1), (3, 3), (4, 4), (5, 5)]);
    assert_eq!(seqs(&p, 4), [(4, 4), (5, 5)]);
    assert_eq!(seqs(&p, 99), []);
    let epoch = p.epoch();
    for b in 0..3 {
        p.add_block(ids[1].0, b);
    }
    assert_eq!(p.epoch(), epoch, "three branches fit");
    assert_eq!(p.blocks(ids[1].0), [0, 1, 2]);
    assert_eq!(p.get(ids[1].0, ids[1].1).unwrap().tag().seq, 1);
    p.add_block(ids[1].0, 3);
    assert_ne!(p.epoch(), epoch, "a fourth makes it forget one");
    assert_eq!(p.blocks(ids[1].0), [1, 2, 3]);
    p.remove(ids[1].0);
    assert!(p.more.is_empty());
    let (s, _) = p.insert(tx(9), 0, 0);
    assert_eq!((s, p.blocks(s)), (ids[1].0, [NO_BLOCK; 3]));
}
