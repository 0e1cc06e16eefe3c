//! The transactions the notary still tracks, in creation order from `base` on. A transaction
//! leaves from the front once nothing can name it again, so memory follows the transactions
//! in flight, not the length of the run; ids stay unique and keep their order.
//!
//! When a transaction can go: it is done — signed and its signature reached both parties,
//! or rejected and both parties heard so (`NTx::done_at`) — and has been done for
//! `linger`. Once done, neither party asks about it again: the origin's retry, the
//! proposal timer and the counterparty's wait all return without acting on a transaction
//! whose parties heard its outcome, and a recovering origin asks again only about those it
//! has no answer for. Whatever still names it is then a message sent before it was done, or
//! an answer to one (a request, its forward, the signature or rejection again): a few network
//! hops, and timers armed before it was done, which fall due within twice the retry period.
//! `linger` is five minutes more than four retry periods, far beyond those paths at the
//! latencies the network models; a debug assertion at the message and timer handlers checks
//! that nothing names a released transaction. What the summary reads of a released
//! transaction is folded into counts as it goes (see [`Txs::release`]).
//!
//! A party down for good counts as having heard, and a transaction it leaves stranded before
//! it reached the notary is done when stranded (`Notary::party_gone`), as is one a notary
//! below its quorum for good leaves undecided (`Notary::notary_gone`); only then does the
//! path above hold for it too: the handlers and timers that would name it act on a stranded
//! transaction no more, so nothing holds back those after it for good.

use super::{NTx, Stage};
use crate::engine::Time;
use std::collections::{HashMap, VecDeque};

#[derive(Default)]
pub(super) struct Txs {
    list: VecDeque<NTx>,
    base: u32,
    peak: usize,
    /// Released transactions that were signed, those of them settled (the others have a
    /// party down for good), and the messages counted for the settled ones.
    released_signed: u64,
    released_settled: u64,
    released_messages: u64,
    /// The conflict pass over what was signed, run as transactions leave (see
    /// [`Txs::signed_twice`]): per device, the input of its last signed transaction passed,
    /// and the signed transactions that repeated it.
    last_signed: HashMap<u32, u64>,
    repeated: u64,
}

/// What the summary needs of the transactions signed: how many, how many share an input with
/// an earlier one, and the `(count, messages)` of those settled before a cutoff.
pub struct Signed {
    pub count: u64,
    pub conflicts: u64,
    pub settled_before: (u64, u64),
}

impl Txs {
    /// Ids handed out so far, released ones included.
    pub fn next_id(&self) -> u32 {
        self.base + self.list.len() as u32
    }

    pub fn push(&mut self, n: NTx) -> u32 {
        self.list.push_back(n);
        self.peak = self.peak.max(self.list.len());
        self.next_id() - 1
    }

    /// The first id still tracked: those below are released.
    pub fn base(&self) -> u32 {
        self.base
    }

    /// Whether `t` is still tracked.
    pub fn kept(&self, t: u32) -> bool {
        t >= self.base && t < self.next_id()
    }

    pub fn get_mut(&mut self, t: u32) -> Option<&mut NTx> {
        self.list.get_mut(t.checked_sub(self.base)? as usize)
    }

    /// Transactions held now, and the most held at once.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn peak(&self) -> usize {
        self.peak
    }

    /// The tracked transactions, by id.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &NTx)> {
        (self.base..).zip(&self.list)
    }

    /// Releases, from the front, transactions done for at least `linger` by `now` that `may_go`
    /// lets go; returns each one released with the state it consumed.
    ///
    /// The summary counts messages over transactions settled a minute before the end; one
    /// released settled was settled by `now - linger`, more than a minute before any end to come
    /// (`linger` exceeds a minute), so it counts, with the messages counted for it so far —
    /// all of them, as nothing names it later.
    pub fn release(
        &mut self,
        now: Time,
        linger: Time,
        mut may_go: impl FnMut(u32, &NTx) -> bool,
        mut gone: impl FnMut(u32, &NTx),
    ) {
        debug_assert!(linger > 60 * crate::engine::NS_PER_S);
        while let Some(n) = self.list.front() {
            if n.done_at == Time::MAX || n.done_at.saturating_add(linger) > now {
                break;
            }
            if !may_go(self.base, n) {
                break;
            }
            let n = self.list.pop_front().expect("front");
            if n.stage == Stage::Signed {
                self.released_signed += 1;
                self.pass(&n);
                if n.settled_at != Time::MAX {
                    debug_assert!(n.settled_at <= now - linger);
                    self.released_settled += 1;
                    self.released_messages += u64::from(n.messages);
                }
            }
            gone(self.base, &n);
            self.base += 1;
        }
    }

    /// A device's transactions consume nondecreasing inputs in creation order (an attempt
    /// reuses the input of the device's latest honest transaction), so the signed ones that
    /// share an input with another are those equal to the device's previous signed one.
    fn pass(&mut self, n: &NTx) {
        let last = self.last_signed.insert(n.tx.device, n.input);
        debug_assert!(last.is_none_or(|l| l <= n.input));
        self.repeated += u64::from(last == Some(n.input));
    }

    /// The signed transactions over the run, released ones included; `cutoff` as above.
    pub fn signed(&self, cutoff: Time) -> Signed {
        let mut pass = Txs {
            last_signed: self.last_signed.clone(),
            repeated: self.repeated,
            ..Txs::default()
        };
        let (mut count, mut settled, mut messages) = (
            self.released_signed,
            self.released_settled,
            self.released_messages,
        );
        for n in self.list.iter().filter(|n| n.stage == Stage::Signed) {
            count += 1;
            pass.pass(n);
            if n.settled_at < cutoff {
                settled += 1;
                messages += u64::from(n.messages);
            }
        }
        Signed {
            count,
            conflicts: pass.repeated,
            settled_before: (settled, messages),
        }
    }
}

impl std::ops::Index<u32> for Txs {
    type Output = NTx;
    fn index(&self, t: u32) -> &NTx {
        let i = t.checked_sub(self.base).map(|i| i as usize);
        i.and_then(|i| self.list.get(i))
            .unwrap_or_else(|| panic!("transaction {t} used after its release"))
    }
}

impl std::ops::IndexMut<u32> for Txs {
    fn index_mut(&mut self, t: u32) -> &mut NTx {
        self.get_mut(t)
            .unwrap_or_else(|| panic!("transaction {t} used after its release"))
    }
}
