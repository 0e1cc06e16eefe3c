use super::*;

const S: Time = 1_000_000_000;

/// Key `epoch` of `device`, its first and only use at `t_s` seconds; each key its device's
/// newest, the one before it its predecessor.
fn see(b: &mut Bayes, keys: &mut Keys, device: u32, epoch: u32, t_s: u64) {
    let prev = epoch.checked_sub(1);
    b.see((keys, 0), (0, 250), 0, device, epoch, t_s * S, true, prev);
}

/// Keys used once each: a key seen after a sweep retired keys first used later than it (a
/// gateway batch or an uplink's delay out of order) still retires at the next sweep and
/// links to its successor.
#[test]
fn a_key_seen_behind_a_sweep_still_links() {
    // Period 10 s, no delay, 1 s either side: a successor is looked for within 2 s of the
    // moment one period after a key's use.
    let model = Model {
        period: 10 * S,
        law: Law::Uniform { max: 0 },
        spread: S,
    };
    let mut b = Bayes::new(vec![Some(model)], false).unwrap();
    let mut keys = Keys::new(0);
    // Device 0 every 10 s from 20 s.
    for e in 0..4 {
        see(&mut b, &mut keys, 0, e, 20 + 10 * u64::from(e));
    }
    // Retires what was first used before 30 s: device 0's first key.
    b.retire(60 * S, &mut keys);
    assert_eq!((b.stats.made, b.stats.correct), (1, 1));
    // Device 1's first key, seen now at 14 s, before the key just retired; its second at 24 s.
    see(&mut b, &mut keys, 1, 0, 14);
    see(&mut b, &mut keys, 1, 1, 24);
    // Left to link: device 0's second and third keys, and device 1's first; the last keys
    // of both have no successor.
    let s = b.finish(&mut keys);
    assert_eq!((s.made, s.correct), (4, 4));
}
