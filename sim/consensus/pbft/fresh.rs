//! The records a partition's handlers make inside a window (batches, `VIEW-CHANGE` and
//! `NEW-VIEW` records, state transfers), kept in the partition's own `Fresh` until the window
//! ends, when they join the records frozen for the next one (`Pbft::settle_fresh`). Another
//! partition's replica names a record only from a message, which takes at least the lookahead
//! to arrive, so it reads the frozen records; the maker's own partition reads its fresh ones
//! first, since its messages to itself need no lookahead (`sim/README.md`, validators in
//! parallel, rule 2). A handler writes only its own partition's `Fresh`: a transfer made in
//! an earlier window is taken by logging its id, and the frozen one goes at the window's end.
//! With one partition, the fresh records join the frozen ones after each event.

use super::batches::Rec;
use super::view_change::{NewView, ViewChange};
use super::{Pbft, Transfer};
use crate::engine::Time;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Fresh {
    /// Batches by `(sequence number, id)`.
    pub batches: BTreeMap<(u64, u32), Rec>,
    pub view_changes: BTreeMap<u64, ViewChange>,
    pub new_views: BTreeMap<u64, NewView>,
    pub transfers: BTreeMap<u64, Transfer>,
    /// Frozen transfers taken in this window, to go at its end.
    pub taken: Vec<u64>,
    /// When each batch was proposed, kept when recording.
    pub proposed_at: Vec<((u64, u32), Time)>,
    /// Something was written since the last settling: most events (votes) write nothing,
    /// and one flag keeps them off the settling's path.
    made: bool,
}

impl Fresh {
    /// Whether something was written since the last settling.
    #[inline]
    pub fn made(&self) -> bool {
        self.made
    }
}

impl Pbft {
    /// The fresh records of replica `v`'s partition.
    #[inline]
    fn fresh(&self, v: u32) -> &Fresh {
        &self.parts[self.part_of(v)].fresh
    }

    /// The fresh records of replica `v`'s partition, to write.
    #[inline]
    pub(super) fn fresh_mut(&mut self, v: u32) -> &mut Fresh {
        let fresh = &mut self.own(v).fresh;
        fresh.made = true;
        fresh
    }

    /// Batch `id` at `seq` as replica `v` can read it: still kept, callers name only batches
    /// at sequence numbers some live replica has not executed.
    pub(super) fn batch(&self, v: u32, seq: u64, id: u32) -> &Rec {
        match self.fresh(v).batches.get(&(seq, id)) {
            Some(rec) => rec,
            None => self.batches.get(seq, id),
        }
    }

    /// The requests of batch `id` at `seq` as replica `v` can read them; none once released.
    pub(super) fn batch_requests(&self, v: u32, seq: u64, id: u32) -> &[super::ReqId] {
        match self.fresh(v).batches.get(&(seq, id)) {
            Some(rec) => &rec.requests,
            None => self.batches.requests(seq, id),
        }
    }

    pub(super) fn view_change(&self, v: u32, id: u64) -> &ViewChange {
        match self.fresh(v).view_changes.get(&id) {
            Some(rec) => rec,
            None => self.view_changes.get(id),
        }
    }

    pub(super) fn new_view(&self, v: u32, id: u64) -> &NewView {
        match self.fresh(v).new_views.get(&id) {
            Some(rec) => rec,
            None => self.new_views.get(id),
        }
    }

    /// Transfer `id` as its maker, replica `v`, reads it to send it.
    pub(super) fn transfer(&self, v: u32, id: u64) -> &Transfer {
        match self.fresh(v).transfers.get(&id) {
            Some(t) => t,
            None => &self.transfers[&id],
        }
    }

    /// The decisions of transfer `id`, taken by replica `v`, the one it was sent to: a fresh
    /// one goes at once, a frozen one at the window's end.
    pub(super) fn take_transfer(&mut self, v: u32, id: u64) -> Option<Vec<(u64, u32)>> {
        if let Some(t) = self.fresh_mut(v).transfers.remove(&id) {
            return Some(t.entries);
        }
        let entries = self.transfers.get(&id)?.entries.clone();
        self.fresh_mut(v).taken.push(id);
        Some(entries)
    }

    /// Moves every partition's fresh records into the frozen ones: after each event with
    /// one partition, at each window's end when cut. Each kind is keyed by ids its makers
    /// chose, so the partitions' order changes nothing; the peaks of records held are taken
    /// as they join.
    #[inline]
    pub(super) fn settle_fresh(&mut self) {
        if self.parts.iter().any(|p| p.fresh.made) {
            self.settle_made();
        }
    }

    #[inline(never)]
    fn settle_made(&mut self) {
        for p in 0..self.parts.len() {
            let mut fresh = std::mem::take(&mut self.parts[p].fresh);
            fresh.made = false;
            for (key, rec) in std::mem::take(&mut fresh.batches) {
                self.batches.push(key.1, rec);
            }
            for (id, rec) in std::mem::take(&mut fresh.view_changes) {
                self.view_changes.push(id, rec);
            }
            for (id, rec) in std::mem::take(&mut fresh.new_views) {
                self.new_views.push(id, rec);
            }
            self.transfers.append(&mut fresh.transfers);
            for id in fresh.taken.drain(..) {
                self.transfers.remove(&id);
            }
            self.proposed_at.extend(fresh.proposed_at.drain(..));
            self.parts[p].fresh = fresh;
        }
    }

    /// Batches kept, fresh ones included, the null batch once.
    pub(super) fn batches_len(&self) -> usize {
        let fresh: usize = self.parts.iter().map(|p| p.fresh.batches.len()).sum();
        self.batches.len() + fresh
    }
}
