//! How a two-faced validator's faces fit the release of what the validators share (`store`):
//! honest progress decides it, so a face that falls behind is moved up, and a validator whose
//! faces can never fully validate is found once, at the start.

use super::{Node, Xrpl};
use crate::engine::Time;

impl Xrpl {
    /// Whether two-faced validator `v` can never fully validate a ledger: each face counts
    /// the validations of its half of the honest validators and of the two-faced ones (the
    /// withholding send none), and for both faces those of `v`'s UNL fall short of its
    /// quorum. Its transactions then never settle (`validation` settles a validator's own).
    pub(super) fn mute(&self, v: u32) -> bool {
        let can_send =
            |u: u32, face: bool| self.byz.equivocates(u) || self.byz.half_of(u) == Some(face);
        self.byz.equivocates(v)
            && [false, true].into_iter().all(|face| {
                let heard = self.unl[v as usize]
                    .iter()
                    .filter(|&&u| can_send(u, face))
                    .count();
                heard < self.needed(v)
            })
    }

    /// `l`, or, for a face of a two-faced validator, the ledger the honest validators fully
    /// validated at the floor when `l` lies below it: what a round there reads is released,
    /// and the validator knows that ledger (its two faces hear every honest validation
    /// between them). Honest validators never start a round below their validated ledger.
    pub(super) fn above_floor(&mut self, node: &Node, l: u32) -> u32 {
        if self.ledgers.get(l).height >= self.release.floor.released() {
            return l;
        }
        debug_assert!(node.face.is_some(), "an honest round below the floor");
        self.release.caught_up += 1;
        self.release.floor.ledger
    }

    /// A face whose round the floor has passed joins the ledger at the floor (see
    /// [`Xrpl::above_floor`]) before it reads anything of that round.
    pub(super) fn catch_up(&mut self, node: &mut Node, now: Time) {
        if self.ledgers.get(node.lcl).height < self.release.floor.released() {
            self.enter(node, node.lcl, now);
        }
    }
}
