//! View changes: leaving a view whose primary makes no progress, and installing the next.

use super::batches::NULL_BATCH;
use super::requests::ReqId;
use super::{Ctx, Msg, Node, Pbft, Slot, Timer};
use crate::metrics::{LeaderRow, Metrics};
use std::collections::BTreeMap;

/// Records by id (view changes, new views), each released once nothing can read it.
pub struct Records<T> {
    by_id: BTreeMap<u64, T>,
    peak: usize,
}

impl<T> Records<T> {
    pub fn new() -> Self {
        Records {
            by_id: BTreeMap::new(),
            peak: 0,
        }
    }

    /// Keeps `rec` under `id` (`Node::record_id` of its sender).
    pub fn push(&mut self, id: u64, rec: T) {
        self.by_id.insert(id, rec);
        self.peak = self.peak.max(self.by_id.len());
    }

    /// A record still kept; callers name only those the release rule keeps.
    pub fn get(&self, id: u64) -> &T {
        match self.by_id.get(&id) {
            Some(rec) => rec,
            None => panic!("view-change record {id} read after its release"),
        }
    }

    pub fn retain(&mut self, keep: impl Fn(u64, &T) -> bool) {
        self.by_id.retain(|&id, rec| keep(id, rec));
    }

    /// The most records held at once.
    pub fn peak(&self) -> usize {
        self.peak
    }
}

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
    pub min_s: u64,
    pub holder: u32,
    pub entries: Vec<(u64, u32)>,
}

impl Pbft {
    /// Every `NEW-VIEW` sent, in time order: a primary taking over after a view change (view
    /// 0's primary, replica 0, leads from the start and has no row). The table orders its rows
    /// fully, so the replicas' lists are taken in id order.
    pub(super) fn leader_rows(&self, nodes: &[Node]) -> Vec<LeaderRow> {
        let taken: Vec<_> = (nodes.iter().flat_map(|n| &n.took_over))
            .map(|&(at, view)| (at, view, self.primary(view)))
            .collect();
        LeaderRow::table(&[("view_change", &taken)])
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
        // Records of the views left are never read again.
        node.vc = node.vc.split_off(&target);
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
        let id = node.record_id();
        let vc = ViewChange {
            sender: node.id,
            view: target,
            exec_upto: node.exec_upto,
            certs,
        };
        self.fresh_mut(node.id).view_changes.insert(id, vc);
        self.multicast(node, ctx, Msg::ViewChange { id, view: target });
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
                .find(|&k| self.view_change(node.id, k).sender == node.id)
        });
        if let Some(id) = own {
            self.multicast(node, ctx, Msg::ViewChange { id, view });
        }
        ctx.timer(self.timeout, Timer::VcResend { view });
    }

    /// `VIEW-CHANGE` `id` for view `target` from `sender`, its only sender: its record is read
    /// only when `target` is not below this replica's view.
    pub(super) fn on_view_change(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        sender: u32,
        id: u64,
        target: u64,
    ) {
        if target <= node.view && node.active {
            // The sender is behind: the view this replica runs in tells it where to go.
            if let Some(nv) = node.new_view_id {
                let view = node.view;
                self.send(node, ctx, sender, Msg::NewView { id: nv, view });
            }
            return;
        }
        if target < node.view {
            return;
        }
        let list = node.vc.entry(target).or_default();
        if list
            .iter()
            .any(|&k| self.view_change(node.id, k).sender == sender)
        {
            return;
        }
        list.push(id);
        // f + 1 replicas want a higher view: at least one correct replica timed out, so join
        // at the smallest such view.
        let mut senders: Vec<u32> = node
            .vc
            .range(node.view + 1..)
            .flat_map(|(_, ids)| ids.iter().map(|&k| self.view_change(node.id, k).sender))
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
        let vcs: Vec<&ViewChange> = ids.iter().map(|&k| self.view_change(node.id, k)).collect();
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
        node.took_over.push((ctx.now, t));
        let id = node.record_id();
        let nv = NewView {
            view: t,
            min_s,
            holder,
            entries,
        };
        self.fresh_mut(node.id).new_views.insert(id, nv);
        self.multicast(node, ctx, Msg::NewView { id, view: t });
        self.install(node, ctx, id);
    }

    /// `NEW-VIEW` `id` of `view`: its record is read only when this replica has not left
    /// `view`.
    pub(super) fn on_new_view(
        &mut self,
        node: &mut Node,
        ctx: &mut Ctx<Msg, Timer>,
        id: u64,
        view: u64,
    ) {
        if view < node.view || (view == node.view && node.active) {
            return;
        }
        self.install(node, ctx, id);
    }

    fn install(&mut self, node: &mut Node, ctx: &mut Ctx<Msg, Timer>, id: u64) {
        let (view, min_s, holder) = {
            let nv = self.new_view(node.id, id);
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
            self.send(node, ctx, holder, msg);
        }
        let mut reproposed = Vec::new();
        let mut max_s = min_s;
        for k in 0..self.new_view(node.id, id).entries.len() {
            let (seq, batch) = self.new_view(node.id, id).entries[k];
            max_s = max_s.max(seq);
            reproposed.extend(self.batch_requests(node.id, seq, batch).iter().copied());
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
            let waiting: Vec<ReqId> = node.waiting.iter().copied().collect();
            for r in waiting {
                if reproposed.binary_search(&r).is_err() {
                    self.enqueue(node, ctx, r);
                }
            }
        } else {
            let own: Vec<ReqId> = node.own.iter().copied().collect();
            for r in own {
                if reproposed.binary_search(&r).is_err() {
                    self.send(node, ctx, primary, Msg::Request(r));
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
            self.send(node, ctx, from, Msg::NeedNewView(view));
        }
        behind
    }
}

impl Pbft {
    /// The end of each of `node`'s events: the replay of the keyed logs, the view it is in
    /// and the `NEW-VIEW` it installed, and the release of view-change records if the least
    /// view rose.
    pub(super) fn after(&mut self, node: &Node, metrics: &mut Metrics) {
        self.replay(metrics);
        let own = self.own(node.id);
        let i = (node.id - own.lo) as usize;
        own.installed[i] = node.new_view_id;
        if own.views[i] != node.view {
            own.views[i] = node.view;
            // Cut into partitions, the least view is read at the window's end (rule 4).
            if !self.windowed {
                self.release_view_changes();
            }
        }
    }

    /// Every replica that can still run has left the views below the least of the partitions' `views`: a
    /// `VIEW-CHANGE` for one of them is read again only from its own message (which carries
    /// its view and sender, enough for a replica past it), and a `NEW-VIEW` only by the
    /// replica that installed it (to answer one behind), so those records go.
    pub(super) fn release_view_changes(&mut self) {
        let views = self.parts.iter().flat_map(|p| &p.views);
        let floor = views.copied().min().unwrap_or(u64::MAX);
        if floor <= self.view_floor {
            return;
        }
        self.view_floor = floor;
        self.view_changes.retain(|_, vc| vc.view >= floor);
        let parts = &self.parts;
        let installed = |id| parts.iter().any(|p| p.installed.contains(&Some(id)));
        self.new_views
            .retain(|id, nv| nv.view >= floor || installed(id));
    }

    /// The most view-change records (`VIEW-CHANGE` and `NEW-VIEW`) held at once, each kind's
    /// peak added.
    pub fn peak_view_change_records(&self) -> usize {
        self.view_changes.peak() + self.new_views.peak()
    }
}
