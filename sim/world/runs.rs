//! Runs of one message a handler sends to several validators in a row, such as a block's
//! `inv` to every peer that lacks it: 8.6 M of the 11.1 M messages of SimBlock's Bitcoin
//! scenario, most of them futile (`Protocol::futile`). A run is handled as the same
//! number of single sends would be, in the same order, but what the copies share (the kind,
//! the sender's counters, whether anything can be lost, the copy key) is looked up once, and
//! the receivers' futility is read for a stretch of the run before any copy is handled, so
//! those loads, a cache miss each at 10,000 nodes, may overlap.

use super::World;
use crate::consensus::Protocol;
use crate::engine::Command;

/// Receivers read ahead at once.
const STRETCH: usize = 32;

impl<P: Protocol> World<'_, P> {
    /// The commands that send `cmds[0]`'s message, of the same size, to one validator after
    /// another (1 when `cmds[0]` is not a send or the next one differs).
    pub(super) fn run_len(cmds: &[Command<P::Msg, P::Timer>]) -> usize {
        let Some(Command::Send { msg, bytes, .. }) = cmds.first() else {
            return 1;
        };
        let same = |c: &Command<_, _>| matches!(c, Command::Send { msg: m, bytes: b, .. } if m == msg && b == bytes);
        1 + cmds[1..].iter().take_while(|c| same(c)).count()
    }

    /// Sends `msg` of `bytes` from `v` to the receiver of each of `cmds` (sends of it, see
    /// [`Self::run_len`]), with the outcome of one [`Self::send`] to each in turn.
    pub(super) fn send_run(
        &mut self,
        v: u32,
        msg: P::Msg,
        bytes: u64,
        cmds: &[Command<P::Msg, P::Timer>],
    ) {
        let to = |c: &Command<_, _>| match *c {
            Command::Send { to, .. } => to,
            _ => unreachable!("a run holds sends only"),
        };
        // Queued uploads and losses are drawn per copy; a single send has nothing to share.
        let shared = cmds.len() > 1
            && !(self.uplinks.is_some() && self.protocol.bulk(&msg))
            && !self.faults.may_lose(self.sched.now());
        if !shared {
            for c in cmds {
                self.send(v, to(c), msg, bytes);
            }
            return;
        }
        let kind = self.protocol.kind(&msg);
        let key = self.protocol.copy_key(&msg);
        self.traffic.sent_many(kind, v, bytes, cmds.len() as u64);
        let active = self.first_copies.active();
        for stretch in cmds.chunks(STRETCH) {
            let mut futile = [false; STRETCH];
            if active {
                for (f, c) in futile.iter_mut().zip(stretch) {
                    *f = self.protocol.futile(to(c), &msg);
                }
            }
            for (&f, c) in futile.iter().zip(stretch) {
                let to = to(c);
                let arrival = self.drawn(v, to, bytes);
                if f {
                    self.first_copies.dropped += 1;
                    self.left_out(kind, to, bytes, arrival);
                } else {
                    self.deliver_kept(v, to, (msg, kind, key), bytes, arrival);
                }
            }
        }
    }
}
