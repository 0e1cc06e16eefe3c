//! View changes: leaving a view whose primary makes no progress, and installing the next.

use super::{Ctx, Msg, NULL_BATCH, Node, Pbft, Slot, Timer};
use crate::engine::{Time, to_secs};
use crate::metrics::LeaderRow;
use std::collections::BTreeMap;

/// A replica's `VIEW-CHANGE`: the view it moves to, how far it executed, and its certificates
/// `(seq, view, batch)` above that point (prepared slots, and decided ones with view
/// `u64::MAX`, since a commit certificate outranks any prepared one).
pub struct ViewChange {
    pub sender: u32,
    pub view: u64,
    pub exec_upto: u64,
    pub certs: Vec<(u64, u64, u32)>,
}

/// A primary's `NEW-VIEW`: the batches re-proposed above `min_s`, and `holder`, a replica that
/// executed through `min_s` and can transfer that state.
pub struct NewView {
    pub view: u64,
    /// When its primary sent it: the moment the primary took over.
    pub at: Time,
    pub min_s: u64,
    pub holder: u32,
    pub entries: Vec<(u64, u32)>,
}

impl Pbft {
    /// Every `NEW-VIEW` sent, in time order: a primary taking over after a view change (view
    /// 0's primary, replica 0, leads from the start and has no row).
    pub(super) fn leader_rows(&self) -> Vec<LeaderRow> {
        let mut rows: Vec<&NewView> = self.new_views.iter().collect();
        rows.sort_by_key(|nv| (nv.at, nv.view));
        rows.into_iter()
            .map(|nv| LeaderRow {
                at_s: to_secs(nv.at),
                event: "view_change",
                term: nv.view,
                node: self.primary(nv.view),
            })
            .collect()
    }

    pub(super) fn start_view_change(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        target: u64,
    ) {
        if target <= node.view {
            return;
        }
        node.view = target;
        node.active = false;
        node.batch_timer = false;
        node.queue.clear();
        node.queued.clear();
        node.queue_tx = 0;
        let mut certs: Vec<(u64, u64, u32)> = node
            .slots
            .range(node.exec_upto + 1..)
            .filter(|(_, s)| s.prepared)
            .map(|(&seq, s)| (seq, s.view, s.batch))
            .collect();
        certs.extend(
            node.decisions
                .range(node.exec_upto + 1..)
                .map(|(&seq, &b)| (seq, u64::MAX, b)),
        );
        self.view_changes.push(ViewChange {
            sender: node.id,
            view: target,
            exec_upto: node.exec_upto,
            certs,
        });
        let id = self.view_changes.len() as u32 - 1;
        self.multicast(ctx, Msg::ViewChange(id));
        node.vc.entry(target).or_default().push(id);
        ctx.timer(self.timeout, Timer::VcResend { view: target });
        self.rearm(node, ctx);
        self.try_new_view(node, ctx);
    }

    /// A replica waiting for a `NEW-VIEW` sends its `VIEW-CHANGE` again every base timeout,
    /// however far its view timer has backed off: lost or cut-off replicas then learn of the
    /// view (and join it on f + 1), and replicas already past it answer with their
    /// `NEW-VIEW`, as soon as messages get through again.
    pub(super) fn resend_view_change(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        view: u64,
    ) {
        if node.view != view || node.active {
            return;
        }
        let own = node.vc.get(&view).and_then(|ids| {
            ids.iter()
                .copied()
                .find(|&k| self.view_changes[k as usize].sender == node.id)
        });
        if let Some(id) = own {
            self.multicast(ctx, Msg::ViewChange(id));
        }
        ctx.timer(self.timeout, Timer::VcResend { view });
    }

    pub(super) fn on_view_change(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, id: u32) {
        let (sender, target) = {
            let vc = &self.view_changes[id as usize];
            (vc.sender, vc.view)
        };
        if target <= node.view && node.active {
            // The sender is behind: the view this replica runs in tells it where to go.
            if let Some(nv) = node.new_view_id {
                self.send(ctx, sender, Msg::NewView(nv));
            }
            return;
        }
        if target < node.view {
            return;
        }
        let list = node.vc.entry(target).or_default();
        if list
            .iter()
            .any(|&k| self.view_changes[k as usize].sender == sender)
        {
            return;
        }
        list.push(id);
        // f + 1 replicas want a higher view: at least one correct replica timed out, so join
        // at the smallest such view.
        let mut senders: Vec<u32> = node
            .vc
            .range(node.view + 1..)
            .flat_map(|(_, ids)| ids.iter().map(|&k| self.view_changes[k as usize].sender))
            .collect();
        senders.sort_unstable();
        senders.dedup();
        if senders.len() as u32 > self.f {
            let next = *node.vc.range(node.view + 1..).next().expect("non-empty").0;
            self.start_view_change(node, ctx, next);
        }
        self.try_new_view(node, ctx);
    }

    fn try_new_view(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>) {
        let t = node.view;
        if node.active || self.primary(t) != node.id {
            return;
        }
        let Some(ids) = node.vc.get(&t) else {
            return;
        };
        if (ids.len() as u32) < self.q {
            return;
        }
        let vcs: Vec<&ViewChange> = ids
            .iter()
            .map(|&k| &self.view_changes[k as usize])
            .collect();
        let (min_s, holder) = vcs
            .iter()
            .map(|v| (v.exec_upto, v.sender))
            .max_by_key(|&(e, s)| (e, std::cmp::Reverse(s)))
            .expect("a quorum is not empty");
        let mut best: BTreeMap<u64, (u64, u32)> = BTreeMap::new();
        for vc in &vcs {
            for &(seq, view, batch) in &vc.certs {
                if seq > min_s && best.get(&seq).is_none_or(|&(v, _)| view > v) {
                    best.insert(seq, (view, batch));
                }
            }
        }
        let max_s = best.keys().next_back().copied().unwrap_or(min_s);
        let entries: Vec<(u64, u32)> = (min_s + 1..=max_s)
            .map(|s| (s, best.get(&s).map_or(NULL_BATCH, |&(_, b)| b)))
            .collect();
        self.new_views.push(NewView {
            view: t,
            at: ctx.now,
            min_s,
            holder,
            entries,
        });
        let id = self.new_views.len() as u32 - 1;
        self.multicast(ctx, Msg::NewView(id));
        self.install(node, ctx, id);
    }

    pub(super) fn on_new_view(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, id: u32) {
        let view = self.new_views[id as usize].view;
        if view < node.view || (view == node.view && node.active) {
            return;
        }
        self.install(node, ctx, id);
    }

    fn install(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, id: u32) {
        let (view, min_s, holder) = {
            let nv = &self.new_views[id as usize];
            (nv.view, nv.min_s, nv.holder)
        };
        node.view = view;
        node.active = true;
        node.new_view_id = Some(id);
        node.batch_timer = false;
        node.queue.clear();
        node.queued.clear();
        node.queue_tx = 0;
        node.vc = node.vc.split_off(&(view + 1));
        let primary = self.primary(view);
        if min_s > node.exec_upto && holder != node.id {
            let msg = Msg::Fetch {
                from: node.exec_upto + 1,
                to: min_s,
            };
            self.send(ctx, holder, msg);
        }
        let mut reproposed = Vec::new();
        let mut max_s = min_s;
        for k in 0..self.new_views[id as usize].entries.len() {
            let (seq, batch) = self.new_views[id as usize].entries[k];
            max_s = max_s.max(seq);
            reproposed.extend(self.batches.requests(batch).iter().copied());
            if primary == node.id {
                if seq > node.exec_upto {
                    node.slots.insert(seq, Slot::new(view, batch));
                }
            } else {
                self.pre_prepare(node, ctx, view, seq, batch);
            }
        }
        reproposed.sort_unstable();
        for (v, seq, batch, from) in std::mem::take(&mut node.future) {
            if v == view && from == primary {
                self.pre_prepare(node, ctx, v, seq, batch);
            } else if v > view {
                node.future.push((v, seq, batch, from));
            }
        }
        if primary == node.id {
            node.next_seq = node.next_seq.max(max_s);
            let waiting: Vec<u32> = node.waiting.iter().copied().collect();
            for r in waiting {
                if reproposed.binary_search(&r).is_err() {
                    self.enqueue(node, ctx, r);
                }
            }
        } else {
            let own: Vec<u32> = node.own.iter().copied().collect();
            for r in own {
                if reproposed.binary_search(&r).is_err() {
                    self.send(ctx, primary, Msg::Request(r));
                }
            }
        }
        self.rearm(node, ctx);
    }

    /// Whether a message of `view` cannot be handled yet; asks its sender, once per view, for
    /// the `NEW-VIEW` that would let this replica in.
    pub(super) fn behind(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        from: u32,
        view: u64,
    ) -> bool {
        let behind = view > node.view || (view == node.view && !node.active);
        if behind && view > 0 && node.asked_view < view {
            node.asked_view = view;
            self.send(ctx, from, Msg::NeedNewView(view));
        }
        behind
    }
}
