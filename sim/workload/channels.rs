//! Pay-per-use over payment channels (`workload: {model: pay_per_use}`).
//!
//! Consumer `i` of a group uses provider `i mod providers` at Poisson times (its own
//! stream). A use with no channel opens one: a funding transaction on the ledger, created at
//! the use. No payment flows before the funding settles: uses until then wait (at most
//! `payments_per_channel`, paid the moment it settles) or are refused (`early_uses`). Once
//! usable, each use is one payment, a message consumer → provider through their gateways, off
//! the ledger. The channel closes on the ledger at its `payments_per_channel`-th payment, or
//! `channel_max_s` after it became usable; the next use opens a new one.
//!
//! With `dispute_share`, that share of the closes (a draw per channel) are disputed: one
//! party closes alone with a `channel_dispute` transaction; once it settles, the challenge
//! period `dispute_timeout_s` runs, then a final `channel_close` settles the balance and
//! releases the capital. A disputed channel thus costs three ledger transactions, and its
//! capital stays locked at least the timeout longer than a cooperative close would keep it.
//!
//! A consumer's uses are a pure function of the seed, so they are handled in one go when the
//! funding's fate is known: the waiting ones, then the channel's payments up to its close —
//! the close transaction is created then, at its own (later) time. A consumer therefore keeps
//! a few words of state whatever the run's length.

use super::{Cx, Transit, Via, WorkloadError, latency_rows, tx};
use crate::engine::{Purpose, Time, draw_unit, from_secs, to_secs};
use crate::ledger::{TxKind, TxTag};
use crate::metrics::{Histogram, Value};
use crate::scenario::{DeviceGroup, EarlyUses, Scenario, Workload};
use std::collections::BTreeMap;

/// No funding in flight.
const NONE: Time = Time::MAX;

#[derive(Clone, Copy, Debug)]
struct Consumer {
    /// Index and time of the next use not yet handled.
    k: u32,
    next: Time,
    /// The consumer's next on-ledger sequence number.
    seq: u32,
    /// The funding in flight: its sequence number and the time of the use that opened it
    /// (`NONE`: no funding in flight).
    funding_seq: u32,
    opened: Time,
}

/// Off-ledger payments: every use is offered, then accepted, refused or still waiting at the
/// end; these add up on their own, apart from the ledger's transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payments {
    pub offered: u64,
    pub accepted: u64,
    /// Accepted after waiting for their channel's funding.
    pub waited: u64,
    pub refused: u64,
    pub waiting_at_end: u64,
    /// Sent before their channel's funding settled: must stay zero.
    pub before_funding: u64,
}

pub struct Channels {
    seed: u64,
    end: Time,
    first_consumer: u32,
    providers: u32,
    mean_use_s: f64,
    per_channel: u32,
    max_open: Option<Time>,
    early: EarlyUses,
    payment_bytes: u32,
    bytes: u32,
    deposit: f64,
    dispute_share: f64,
    dispute_timeout: Time,
    /// Disputes in progress, by the consumer and sequence number of their pending ledger
    /// transaction (the dispute, then the final close): when the dispute was created. An
    /// entry leaves at its final close's fate, so this holds the disputes in progress only.
    disputes: BTreeMap<(u32, u32), Time>,
    consumers: Vec<Consumer>,
    pub payments: Payments,
    opened: u64,
    usable: u64,
    closed: u64,
    /// Channels closed by a dispute (among `closed`), and their final closes created.
    disputed: u64,
    finals: u64,
    disputes_settled: u64,
    disputes_dropped: u64,
    /// Dispute created → final close settled: how long a dispute holds the capital.
    dispute_held: Histogram,
    /// Payments of the channels whose close was created.
    paid_in_closed: u64,
    funding_dropped: u64,
    closes_settled: u64,
    closes_dropped: u64,
    /// Channel-nanoseconds of capital locked: from the funding's creation to the close's
    /// settlement (or the funding's drop), the run's end for those still locked.
    locked_ns: i128,
    /// Use → payment at the provider, over accepted payments.
    delay_ns: u128,
    usable_after: Histogram,
}

impl Channels {
    pub fn new(s: &Scenario, g: &DeviceGroup, first: u32, end: Time) -> Self {
        let Workload::PayPerUse {
            providers,
            uses_per_s,
            payments_per_channel,
            channel_max_s,
            early_uses,
            payment_bytes,
            deposit,
            dispute_share,
            dispute_timeout_s,
        } = g.workload
        else {
            unreachable!("built for pay_per_use groups only")
        };
        let providers = providers as u32;
        let mut c = Channels {
            seed: s.seed,
            end,
            first_consumer: first + providers,
            providers,
            mean_use_s: 1.0 / uses_per_s,
            per_channel: payments_per_channel,
            max_open: channel_max_s.map(from_secs),
            early: early_uses,
            payment_bytes,
            bytes: g.tx_bytes,
            deposit,
            dispute_share: dispute_share.unwrap_or(0.0),
            dispute_timeout: from_secs(dispute_timeout_s.unwrap_or(0.0)),
            disputes: BTreeMap::new(),
            consumers: Vec::new(),
            payments: Payments::default(),
            opened: 0,
            usable: 0,
            closed: 0,
            disputed: 0,
            finals: 0,
            disputes_settled: 0,
            disputes_dropped: 0,
            dispute_held: Histogram::new(),
            paid_in_closed: 0,
            funding_dropped: 0,
            closes_settled: 0,
            closes_dropped: 0,
            locked_ns: 0,
            delay_ns: 0,
            usable_after: Histogram::new(),
        };
        let n = g.count as u32 - providers;
        c.consumers = (0..n)
            .map(|i| Consumer {
                k: 0,
                next: c.use_after(c.first_consumer + i, 0, 0),
                seq: 0,
                funding_seq: 0,
                opened: NONE,
            })
            .collect();
        c
    }

    /// Time of use `k` of `device`, the previous one being at `prev`.
    fn use_after(&self, device: u32, k: u32, prev: Time) -> Time {
        let u = draw_unit(
            self.seed,
            u64::from(device),
            Purpose::Workload,
            u64::from(k),
        );
        prev.saturating_add(from_secs(-self.mean_use_s * u.ln()).max(1))
    }

    fn advance(&mut self, i: usize) {
        let device = self.first_consumer + i as u32;
        let c = self.consumers[i];
        self.consumers[i].next = self.use_after(device, c.k + 1, c.next);
        self.consumers[i].k += 1;
    }

    fn provider_of(&self, device: u32) -> u32 {
        self.first_consumer - self.providers + (device - self.first_consumer) % self.providers
    }

    /// Consumer `i` opens a channel at its next use (if within the run).
    fn open(&mut self, i: usize, cx: &mut Cx) {
        let c = self.consumers[i];
        if c.next >= self.end {
            self.consumers[i].opened = NONE;
            return;
        }
        let device = self.first_consumer + i as u32;
        let t = tx(device, c.seq, TxKind::ChannelOpen, self.bytes, c.next);
        cx.create(t, Via::Device);
        self.consumers[i].funding_seq = c.seq;
        self.consumers[i].opened = c.next;
        self.consumers[i].seq += 1;
        self.opened += 1;
        self.locked_ns += i128::from(self.end - c.next);
    }

    pub fn start(&mut self, cx: &mut Cx) {
        for i in 0..self.consumers.len() {
            self.open(i, cx);
        }
    }

    /// A payment for the use at `used`, sent at `sent`, once its funding settled at `funded`.
    fn pay(&mut self, device: u32, used: Time, sent: Time, funded: Time, transit: &dyn Transit) {
        self.payments.accepted += 1;
        self.payments.before_funding += u64::from(sent < funded);
        let to = self.provider_of(device);
        let arrives = sent + transit.between(device, to, self.payment_bytes);
        self.delay_ns += u128::from(arrives - used);
    }

    pub fn fate(&mut self, tag: TxTag, at: Option<Time>, cx: &mut Cx) {
        let now = cx.now;
        let Some(i) = tag.device.checked_sub(self.first_consumer) else {
            return;
        };
        let i = i as usize;
        match (tag.kind, at) {
            (TxKind::ChannelOpen, Some(s)) if self.consumers[i].funding_seq == tag.seq => {
                self.funded(i, s, cx)
            }
            (TxKind::ChannelOpen, None) if self.consumers[i].funding_seq == tag.seq => {
                // No channel: the uses that waited for it are refused, the next use retries.
                self.funding_dropped += 1;
                self.locked_ns -= i128::from(self.end - now);
                while self.consumers[i].next < now.min(self.end) {
                    self.payments.offered += 1;
                    self.payments.refused += 1;
                    self.advance(i);
                }
                self.open(i, cx);
            }
            (TxKind::ChannelClose, Some(s)) => {
                self.closes_settled += 1;
                self.locked_ns -= i128::from(self.end - s.min(self.end));
                if let Some(d) = self.disputes.remove(&(tag.device, tag.seq)) {
                    self.dispute_held.record(s - d);
                }
            }
            // The deposit stays locked to the end: re-broadcasting a close is not modelled.
            (TxKind::ChannelClose, None) => {
                self.closes_dropped += 1;
                self.disputes.remove(&(tag.device, tag.seq));
            }
            (TxKind::ChannelDispute, Some(s)) => self.dispute_settled(i, tag, s, cx),
            // As a dropped close: locked to the end.
            (TxKind::ChannelDispute, None) => {
                self.disputes_dropped += 1;
                self.disputes.remove(&(tag.device, tag.seq));
            }
            _ => {}
        }
    }

    /// Consumer `i`'s funding settled at `s`: its waiting uses pay, then every use pays until
    /// the channel closes; the close is created at its time and the next use opens anew.
    fn funded(&mut self, i: usize, s: Time, cx: &mut Cx) {
        let transit = cx.transit;
        let device = self.first_consumer + i as u32;
        let opened = self.consumers[i].opened;
        self.usable += 1;
        self.usable_after.record(s - opened);
        let mut paid = 0u32;
        while self.consumers[i].next < s.min(self.end) {
            let used = self.consumers[i].next;
            self.payments.offered += 1;
            if self.early == EarlyUses::Wait && paid < self.per_channel {
                paid += 1;
                self.payments.waited += 1;
                self.pay(device, used, s, s, transit);
            } else {
                self.payments.refused += 1;
            }
            self.advance(i);
        }
        let deadline = self.max_open.map(|t| s.saturating_add(t));
        let mut close = (paid >= self.per_channel).then_some(s);
        while close.is_none() {
            let used = self.consumers[i].next;
            if let Some(d) = deadline
                && used >= d
            {
                close = Some(d);
                break;
            }
            if used >= self.end {
                break;
            }
            self.payments.offered += 1;
            self.pay(device, used, used, s, transit);
            paid += 1;
            self.advance(i);
            if paid == self.per_channel {
                close = Some(used);
            }
        }
        self.consumers[i].opened = NONE;
        if let Some(c) = close.filter(|&c| c < self.end) {
            let seq = self.consumers[i].seq;
            self.consumers[i].seq += 1;
            let kind = if self.disputes_close(device, seq) {
                self.disputed += 1;
                self.disputes.insert((device, seq), c);
                TxKind::ChannelDispute
            } else {
                TxKind::ChannelClose
            };
            cx.create(tx(device, seq, kind, self.bytes, c), Via::Device);
            self.closed += 1;
            self.paid_in_closed += u64::from(paid);
            self.open(i, cx);
        }
    }

    /// Whether the close of `device` numbered `seq` is disputed: a draw of its own (the use
    /// draws are indexed by use, below 2^32; these above).
    fn disputes_close(&self, device: u32, seq: u32) -> bool {
        if self.dispute_share <= 0.0 {
            return false;
        }
        let index = (1u64 << 32) | u64::from(seq);
        draw_unit(self.seed, u64::from(device), Purpose::Workload, index) < self.dispute_share
    }

    /// Consumer `i`'s dispute settled at `s`: the final close is created when the challenge
    /// period ends (if within the run).
    fn dispute_settled(&mut self, i: usize, tag: TxTag, s: Time, cx: &mut Cx) {
        self.disputes_settled += 1;
        let Some(created) = self.disputes.remove(&(tag.device, tag.seq)) else {
            return;
        };
        let at = s.saturating_add(self.dispute_timeout);
        if at >= self.end {
            return;
        }
        let seq = self.consumers[i].seq;
        self.consumers[i].seq += 1;
        self.finals += 1;
        self.disputes.insert((tag.device, seq), created);
        let t = tx(tag.device, seq, TxKind::ChannelClose, self.bytes, at);
        cx.create(t, Via::Device);
    }

    /// Counts the uses still waiting for a funding at the end, checks that every use is
    /// accounted for, and adds the summary rows.
    pub fn finish(
        &mut self,
        end: Time,
        _transit: &dyn Transit,
        rows: &mut Vec<(String, Value)>,
    ) -> Result<(), WorkloadError> {
        for i in 0..self.consumers.len() {
            if self.consumers[i].opened == NONE {
                continue;
            }
            let mut waiting = 0;
            while self.consumers[i].next < end {
                self.payments.offered += 1;
                if self.early == EarlyUses::Wait && waiting < self.per_channel {
                    waiting += 1;
                    self.payments.waiting_at_end += 1;
                } else {
                    self.payments.refused += 1;
                }
                self.advance(i);
            }
        }
        let p = &self.payments;
        if p.offered != p.accepted + p.refused + p.waiting_at_end {
            return Err(WorkloadError {
                model: "pay_per_use",
                detail: format!("payments do not add up: {p:?}"),
            });
        }
        let int = |v: u64| Value::from(v);
        let per = |x: u64, n: u64| crate::consensus::per(x, n);
        rows.extend([
            ("payments_offered".into(), int(p.offered)),
            ("payments_accepted".into(), int(p.accepted)),
            ("payments_waited".into(), int(p.waited)),
            ("payments_refused".into(), int(p.refused)),
            ("payments_waiting_at_end".into(), int(p.waiting_at_end)),
            ("payments_before_funding".into(), int(p.before_funding)),
            ("offchain_messages".into(), int(p.accepted)),
            (
                "offchain_bytes".into(),
                int(p.accepted * u64::from(self.payment_bytes)),
            ),
            ("channels_opened".into(), int(self.opened)),
            ("channels_usable".into(), int(self.usable)),
            ("channels_closed".into(), int(self.closed)),
            ("channels_funding_dropped".into(), int(self.funding_dropped)),
            ("channel_closes_settled".into(), int(self.closes_settled)),
            ("channel_closes_dropped".into(), int(self.closes_dropped)),
            // A disputed channel: its funding, the dispute and the final close.
            (
                "channel_onchain_tx_per_payment".into(),
                per(2 * self.closed + self.disputed, self.paid_in_closed).into(),
            ),
            (
                "onchain_tx_per_payment".into(),
                per(self.opened + self.closed + self.finals, p.accepted).into(),
            ),
            (
                "payment_delay_mean_s".into(),
                (self.delay_ns as f64 / 1e9 / p.accepted as f64).into(),
            ),
            (
                "capital_locked_unit_s".into(),
                (self.deposit * to_secs(self.locked_ns.max(0) as Time)).into(),
            ),
        ]);
        latency_rows("channel_usable", &self.usable_after, rows);
        // Only with disputes: runs without keep their rows as before disputes existed.
        if self.dispute_share > 0.0 {
            rows.extend([
                ("channels_disputed".into(), int(self.disputed)),
                (
                    "channel_disputes_settled".into(),
                    int(self.disputes_settled),
                ),
                (
                    "channel_disputes_dropped".into(),
                    int(self.disputes_dropped),
                ),
                ("channel_dispute_closes".into(), int(self.finals)),
            ]);
            latency_rows("channel_dispute_held", &self.dispute_held, rows);
        }
        Ok(())
    }
}
