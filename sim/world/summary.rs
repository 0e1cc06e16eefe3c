//! Turns the recorder's aggregates into the rows of the `summary`, `timeseries`, `latency`
//! and `latency_hist` tables.

use crate::engine::{Time, to_secs};
use crate::metrics::{
    Histogram, LatencyBinRow, LatencyRow, MessageRow, Metrics, TimeseriesRow, Value, rank_of,
};
use crate::scenario::Scenario;

pub struct Facts<'a> {
    pub s: &'a Scenario,
    pub events: u64,
    /// Of those, device wakes and gateway flushes, run in the fleet shards.
    pub device_events: u64,
    /// Validator messages by kind.
    pub messages: Vec<MessageRow>,
    /// `(fate, messages, bytes)` sent and not delivered, per reason.
    pub undelivered: Vec<(&'static str, u64, u64)>,
    /// Of those, copies left out of the queue because an earlier copy was on its way.
    pub redundant_copies: u64,
    pub devices: u64,
    pub gateways: u64,
    /// Transactions dropped, every reason.
    pub dropped: u64,
    /// Bytes of the blocks on the final chain, which every replica stores; `None` for a family
    /// that made no blocks.
    pub ledger_bytes: Option<u64>,
}

const STATS: [(&str, Option<f64>); 5] = [
    ("mean", None),
    ("p50", Some(0.5)),
    ("p90", Some(0.9)),
    ("p99", Some(0.99)),
    ("max", Some(1.0)),
];

fn secs_or_nan(v: Option<Time>) -> f64 {
    v.map_or(f64::NAN, to_secs)
}

fn mean_s(h: &Histogram) -> f64 {
    h.mean().map_or(f64::NAN, |v| v / 1e9)
}

/// Where a statistic over a population falls when the values of some members are unknown
/// because they were later than the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Censored {
    Value(Time),
    /// Among the members that never reached the stage: later than the run, not a number.
    BeyondRun,
    /// An empty population.
    None,
}

/// The `q`-quantile of a stage over `population` members, `h` holding those that reached it
/// (`q = 1` is the maximum).
pub fn censored_quantile(h: &Histogram, population: u64, q: f64) -> Censored {
    if population == 0 {
        return Censored::None;
    }
    match h.at_rank(rank_of(q, population)) {
        Some(v) => Censored::Value(v),
        None => Censored::BeyondRun,
    }
}

/// Statistics of a stage without censoring: every value of it was recorded (block arrival).
fn plain_stats(out: &mut Vec<(String, Value)>, name: &str, h: &Histogram) {
    for (label, q) in STATS {
        let v = match q {
            None => mean_s(h),
            Some(q) => secs_or_nan(h.quantile(q)),
        };
        out.push((format!("{name}_{label}_s"), v.into()));
    }
}

/// A transaction stage's statistics over the `population` created in the measurement window,
/// those that never reached the stage counted as later than the run: `NAME_p90_s` is infinite
/// (null in the tables) and `NAME_p90_beyond_run` is 1 when the quantile falls among them (the mean and maximum
/// whenever one is missing). `NAME_ONLY_*_s` are the same statistics over the transactions
/// that reached the stage, which a survivor-biased reading would report.
fn censored_stats(
    out: &mut Vec<(String, Value)>,
    name: &str,
    only: &str,
    h: &Histogram,
    population: u64,
) {
    let mut beyond = Vec::with_capacity(STATS.len());
    for (label, q) in STATS {
        let c = match q {
            Some(q) => censored_quantile(h, population, q),
            None if population == 0 => Censored::None,
            None if h.count() < population => Censored::BeyondRun,
            None => Censored::Value(0),
        };
        let v = match (c, q) {
            (Censored::Value(_), None) => mean_s(h),
            (Censored::Value(v), Some(_)) => to_secs(v),
            (Censored::BeyondRun, _) => f64::INFINITY,
            (Censored::None, _) => f64::NAN,
        };
        out.push((format!("{name}_{label}_s"), v.into()));
        beyond.push((
            format!("{name}_{label}_beyond_run"),
            Value::Bool(c == Censored::BeyondRun),
        ));
    }
    out.push((
        format!("{name}_reached_share"),
        share(h.count(), population).into(),
    ));
    for (label, q) in STATS {
        let v = match q {
            None => mean_s(h),
            Some(q) => secs_or_nan(h.quantile(q)),
        };
        out.push((format!("{name}_{only}_{label}_s"), v.into()));
    }
    out.extend(beyond);
}

/// `part / whole`; undefined (NaN) for an empty whole.
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        f64::NAN
    } else {
        part as f64 / whole as f64
    }
}

/// Cost per settled transaction; undefined (NaN) when nothing settled.
fn per_settled(x: u64, settled: u64) -> f64 {
    share(x, settled)
}

/// A deadline as written in a metric name: `1`, `0.5`, `600`.
fn deadline_label(ns: Time) -> String {
    format!("{}", to_secs(ns))
}

/// Pending transactions grow, over the measurement window, by at least this share of the
/// offered rate: in a stable system the backlog levels off once the settlement delay has
/// passed, so a tenth of the offered rate still accumulating is a queue that never drains.
const SATURATION_SLOPE_SHARE: f64 = 0.1;
/// …while the system settles less than this share of the offered rate in the window.
const SATURATION_SERVED_SHARE: f64 = 0.9;

/// Least-squares slope of pending transactions against time (tx/s) over the time-series
/// windows that end inside the measurement window; NaN with fewer than two. Chained
/// transactions (provenance events) are left out: a chain has at most one pending, so while
/// items are in progress their count grows with the items started in a healthy run, for as
/// long as a trace takes, which can be longer than the run. So are transactions stranded at a
/// validator down for good (`Metrics::queued_by_window`).
fn pending_slope(m: &Metrics) -> f64 {
    let pending = m.queued_by_window();
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for (w, &p) in pending.iter().enumerate() {
        let end = ((w as Time + 1) * m.window()).min(m.end());
        if (m.measure().from..=m.measure().to).contains(&end) {
            pts.push((to_secs(end), p as f64));
        }
    }
    if pts.len() < 2 {
        return f64::NAN;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

pub fn summary(f: &Facts, m: &Metrics, protocol: &[(String, Value)]) -> Vec<(String, Value)> {
    let duration = f.s.duration_s;
    let online_ns: u128 = m.online_w.iter().sum();
    let device_ns = f.devices as f64 * to_secs(m.end()) * 1e9;
    let measure = m.measure();
    let measure_s = to_secs(measure.to - measure.from);
    let rate = |n: u64| {
        if measure_s > 0.0 {
            n as f64 / measure_s
        } else {
            f64::NAN
        }
    };
    let offered = rate(m.measured);
    let served = rate(m.settled_during_window);
    let slope = pending_slope(m);
    let saturated =
        slope > SATURATION_SLOPE_SHARE * offered && served < SATURATION_SERVED_SHARE * offered;
    let dropped_share = share(f.dropped, m.created);
    let messages: u64 = f.messages.iter().map(|r| r.messages).sum();
    let message_bytes: u64 = f.messages.iter().map(|r| r.bytes).sum();
    let delivered_bytes: u64 = f.messages.iter().map(|r| r.delivered_bytes).sum();
    let modeled = f.messages.iter().filter(|r| r.modeled);
    let (modeled_messages, modeled_bytes) =
        modeled.fold((0u64, 0u64), |a, r| (a.0 + r.messages, a.1 + r.bytes));
    let mut out: Vec<(String, Value)> = vec![
        ("duration_s".into(), duration.into()),
        ("seed".into(), f.s.seed.into()),
        ("devices".into(), f.devices.into()),
        ("gateways".into(), f.gateways.into()),
        ("validators".into(), f.s.validators.count.into()),
        ("events".into(), f.events.into()),
        ("events_devices".into(), f.device_events.into()),
        ("net_messages".into(), messages.into()),
        ("net_message_bytes".into(), message_bytes.into()),
        ("net_messages_modeled".into(), modeled_messages.into()),
        ("net_message_bytes_modeled".into(), modeled_bytes.into()),
        ("net_bytes_delivered".into(), delivered_bytes.into()),
    ];
    for &(fate, _, bytes) in &f.undelivered {
        out.push((format!("net_bytes_{fate}"), bytes.into()));
    }
    out.extend([
        ("net_redundant_copies".into(), f.redundant_copies.into()),
        (
            "storage_bytes_per_day_per_replica".into(),
            f.ledger_bytes
                .map_or(f64::NAN, |b| b as f64 * 86_400.0 / duration)
                .into(),
        ),
        (
            "net_messages_per_settled_tx".into(),
            per_settled(messages, m.settled).into(),
        ),
        (
            "net_bytes_per_settled_tx".into(),
            per_settled(message_bytes, m.settled).into(),
        ),
        (
            "online_fraction".into(),
            Value::from(if device_ns > 0.0 {
                online_ns as f64 / device_ns
            } else {
                f64::NAN
            }),
        ),
        ("measure_start_s".into(), to_secs(measure.from).into()),
        ("measure_s".into(), measure_s.into()),
        ("tx_measured".into(), m.measured.into()),
        ("created_tx_per_s".into(), offered.into()),
        ("included_tx_per_s".into(), rate(m.inclusion.count()).into()),
        ("settled_tx_per_s".into(), rate(m.settlement.count()).into()),
        (
            "settled_share".into(),
            share(m.settlement.count(), m.measured).into(),
        ),
    ]);
    for (&deadline, &n) in measure.sla.iter().zip(&m.settled_within) {
        out.push((
            format!("settled_within_{}s_share", deadline_label(deadline)),
            share(n, m.measured).into(),
        ));
    }
    out.extend([
        ("settled_during_window_tx_per_s".into(), served.into()),
        ("pending_slope_tx_per_s".into(), slope.into()),
        ("saturated".into(), saturated.into()),
        ("dropped_share".into(), dropped_share.into()),
        (
            "drops_high".into(),
            (dropped_share > f.s.metrics.drop_warn_share).into(),
        ),
        ("tx_uploaded".into(), m.uploaded.into()),
        ("tx_reached_validator".into(), m.reached.into()),
        ("tx_stranded".into(), m.stranded.into()),
        ("tx_included".into(), m.included.into()),
        ("reverted_settlements".into(), m.reverted_settlements.into()),
    ]);
    let n = m.measured;
    censored_stats(&mut out, "upload_wait", "reached_only", &m.upload_wait, n);
    censored_stats(&mut out, "access", "reached_only", &m.access, n);
    censored_stats(&mut out, "inclusion", "reached_only", &m.inclusion, n);
    censored_stats(&mut out, "settlement", "settled_only", &m.settlement, n);
    if m.log_settled {
        let r = m.receipt_measured;
        censored_stats(&mut out, "receipt", "delivered_only", &m.receipt, r);
    }
    plain_stats(&mut out, "block_arrival", &m.block_arrival);
    out.extend(protocol.iter().cloned());
    out
}

pub fn timeseries(m: &Metrics, end: Time) -> Vec<TimeseriesRow> {
    let pending = m.pending_by_window();
    (0..m.windows())
        .map(|w| {
            let a = w as Time * m.window();
            let b = (a + m.window()).min(end);
            let secs = to_secs(b - a);
            TimeseriesRow {
                window_start_s: to_secs(a),
                window_end_s: to_secs(b),
                created_tx_per_s: m.created_w[w] as f64 / secs,
                included_tx_per_s: m.included_w[w] as f64 / secs,
                settled_tx_per_s: m.settled_w[w] as f64 / secs,
                online_devices: m.online_w[w] as f64 / (b - a) as f64,
                mempool_tx: m.mempool_w[w],
                pending_tx: pending[w],
            }
        })
        .collect()
}

/// The latency stages: name, histogram, and the population of a transaction stage (the
/// window's transactions; `None` for block arrival, taken over the copies received).
fn stages(m: &Metrics) -> Vec<(&'static str, &Histogram, Option<u64>)> {
    let n = Some(m.measured);
    let mut stages: Vec<(&'static str, &Histogram, Option<u64>)> = vec![
        ("upload_wait", &m.upload_wait, n),
        ("access", &m.access, n),
        ("inclusion", &m.inclusion, n),
        ("settlement", &m.settlement, n),
        ("block_arrival", &m.block_arrival, None),
    ];
    if m.log_settled {
        // Over the window's transactions of devices that get receipts.
        stages.push(("receipt", &m.receipt, Some(m.receipt_measured)));
    }
    stages
}

/// Edges of the `latency_hist` bins: ten per decade from 1 ms to 10⁶ s at the R10 preferred
/// numbers (ISO 3: 1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8), whole nanoseconds, the same for
/// every run so that histograms of several runs add bin by bin.
pub fn latency_edges() -> Vec<Time> {
    const R10: [Time; 10] = [100, 125, 160, 200, 250, 315, 400, 500, 630, 800];
    let mut edges = Vec::with_capacity(91);
    // 1 ms is 100 × 10⁴ ns.
    let mut scale: Time = 10_000;
    for _ in 0..9 {
        edges.extend(R10.iter().map(|r| r * scale));
        scale *= 10;
    }
    edges.push(100 * scale);
    edges
}

/// The non-empty bins of every stage, each with its share of the population so far.
pub fn latency_hist(m: &Metrics) -> Vec<LatencyBinRow> {
    let edges = latency_edges();
    let mut rows = Vec::new();
    for (stage, h, censored) in stages(m) {
        let population = censored.unwrap_or(h.count()).max(h.count());
        let mut seen = 0;
        for (i, count) in h.binned(&edges).into_iter().enumerate() {
            if count == 0 {
                continue;
            }
            seen += count;
            rows.push(LatencyBinRow {
                stage,
                bin_low_s: if i == 0 { 0.0 } else { to_secs(edges[i - 1]) },
                bin_high_s: edges.get(i).map(|&e| to_secs(e)),
                count,
                cumulative_share: seen as f64 / population as f64,
                population,
            });
        }
    }
    rows
}

/// One row per stage and quantile. The transaction stages are taken over the window's
/// transactions with those that never reached the stage counted as later than the run; block
/// arrival over every block copy received.
pub fn latency(m: &Metrics, quantiles: &[f64]) -> Vec<LatencyRow> {
    let stages = stages(m);
    let mut rows = Vec::new();
    for (stage, h, censored) in stages {
        let population = censored.unwrap_or(h.count());
        for &q in quantiles {
            let c = censored_quantile(h, population, q);
            rows.push(LatencyRow {
                stage,
                quantile: q,
                latency_s: match c {
                    Censored::Value(v) => Some(to_secs(v)),
                    _ => None,
                },
                beyond_run: c == Censored::BeyondRun,
                reached_only_latency_s: h.quantile(q).map(to_secs),
                samples: h.count(),
                population,
            });
        }
    }
    rows
}
