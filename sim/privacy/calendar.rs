//! Entries filed by a moment and taken out once it has passed: the keys an attacker retires.
//! Buckets of a fixed width in an ordered map, so filing and taking cost about one append and
//! one read per entry, where a binary heap of every use in the retirement horizon cost a cache
//! miss per level on each take. Entries come out of a bucket in no particular order: takers
//! sort what they take.

use std::collections::BTreeMap;

use crate::engine::Time;

pub struct Calendar<T> {
    width: Time,
    buckets: BTreeMap<Time, Vec<(Time, T)>>,
}

impl<T: Copy> Calendar<T> {
    pub fn new(width: Time) -> Self {
        Calendar {
            width: width.max(1),
            buckets: BTreeMap::new(),
        }
    }

    pub fn push(&mut self, at: Time, item: T) {
        self.buckets
            .entry(at / self.width)
            .or_default()
            .push((at, item));
    }

    /// Moves every entry filed strictly before `limit` to `out`.
    pub fn take_before(&mut self, limit: Time, out: &mut Vec<(Time, T)>) {
        while let Some(mut bucket) = self.buckets.first_entry() {
            let start = bucket.key().saturating_mul(self.width);
            if start >= limit {
                return;
            }
            if start.saturating_add(self.width) <= limit {
                out.append(bucket.get_mut());
                bucket.remove();
                continue;
            }
            // The bucket `limit` falls in: only what is filed before it leaves.
            bucket.get_mut().retain(|&(at, item)| {
                let early = at < limit;
                if early {
                    out.push((at, item));
                }
                !early
            });
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_exactly_what_is_filed_before_the_limit() {
        let mut c = Calendar::new(10);
        for at in [35, 3, 10, 9, 20, 19, 21, 0] {
            c.push(at, at as u32);
        }
        let mut out = Vec::new();
        c.take_before(20, &mut out);
        out.sort_unstable();
        assert_eq!(out, [(0, 0), (3, 3), (9, 9), (10, 10), (19, 19)]);
        out.clear();
        c.take_before(21, &mut out);
        assert_eq!(out, [(20, 20)]);
        out.clear();
        c.take_before(Time::MAX, &mut out);
        out.sort_unstable();
        assert_eq!(out, [(21, 21), (35, 35)]);
    }
}
