//! Progress on stderr, never on stdout, so outputs stay byte-identical.
//!
//! Two forms: the bar for a terminal (wall time elapsed, simulated time against the run's
//! end, the time left at the pace so far, events per second, transactions settled and those
//! that reached a validator but are not settled yet; devices' own counts arrive only at the
//! end, from their shards), hidden when stderr is not a terminal; and JSON lines for programs
//! that run the command line (the Python package draws its own bar from them). Updated every
//! 65,536 events, so it costs nothing measurable; lines are written at most every
//! [`LINE_EVERY_S`] of wall time.

use crate::engine::{NS_PER_S, Time};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// How a command reports progress and its other status lines on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feedback {
    /// Nothing but errors.
    Quiet,
    /// Text for people: the bar on a terminal, one line per finished sweep run.
    Text,
    /// One JSON object per line (`{"event": "progress", ...}`), for programs; the text
    /// status lines are left out.
    Jsonl,
}

impl Feedback {
    /// `Text`, or `Quiet` when `quiet`.
    pub fn text_unless(quiet: bool) -> Self {
        if quiet {
            Feedback::Quiet
        } else {
            Feedback::Text
        }
    }
}

/// Least wall time between two JSON progress lines of a run: often enough for a bar,
/// few enough lines to cost nothing.
pub const LINE_EVERY_S: f64 = 0.2;

pub struct Progress {
    bar: Option<ProgressBar>,
    /// JSON lines: when the last one was written.
    lines: Option<Mutex<Option<Instant>>>,
    started: Mutex<Option<Instant>>,
    end: AtomicU64,
}

impl Progress {
    pub fn hidden() -> Self {
        Progress {
            bar: None,
            lines: None,
            started: Mutex::new(None),
            end: AtomicU64::new(0),
        }
    }

    pub fn stderr() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} {bar:30} {pos}/{len} simulated s, {eta} left  {msg}",
            )
            .expect("static template"),
        );
        Progress {
            bar: Some(bar),
            ..Progress::hidden()
        }
    }

    /// JSON lines on stderr: `start` (`end_s`), `progress` (`sim_s`, `end_s`, `events`,
    /// `tx_settled`, `tx_pending`, `wall_s`) and `done` (`sim_s`, `end_s`, `events`, `wall_s`).
    pub fn json_lines() -> Self {
        Progress {
            lines: Some(Mutex::new(None)),
            ..Progress::hidden()
        }
    }

    /// The form `feedback` asks for.
    pub fn for_feedback(feedback: Feedback) -> Self {
        match feedback {
            Feedback::Quiet => Progress::hidden(),
            Feedback::Text => Progress::stderr(),
            Feedback::Jsonl => Progress::json_lines(),
        }
    }

    pub fn start(&self, end: Time) {
        *self.started.lock().expect("not poisoned") = Some(Instant::now());
        let end_s = end.div_ceil(NS_PER_S);
        self.end.store(end_s, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.set_length(end_s);
        }
        if let Some(last) = &self.lines {
            *last.lock().expect("not poisoned") = Some(Instant::now());
            eprintln!(r#"{{"event":"start","end_s":{end_s}}}"#);
        }
    }

    /// `reached`: transactions that reached a validator so far, `settled` of them.
    pub fn update(&self, now: Time, events: u64, reached: u64, settled: u64) {
        if let Some(b) = &self.bar {
            b.set_position(now / NS_PER_S);
            b.set_message(format!(
                "{:.2} M events/s, {settled} tx settled, {} at validators pending",
                self.rate(events) / 1e6,
                reached.saturating_sub(settled)
            ));
        }
        if let Some(last) = &self.lines {
            let mut last = last.lock().expect("not poisoned");
            if last.is_some_and(|t| t.elapsed().as_secs_f64() < LINE_EVERY_S) {
                return;
            }
            *last = Some(Instant::now());
            eprintln!(
                r#"{{"event":"progress","sim_s":{},"end_s":{},"events":{events},"tx_settled":{settled},"tx_pending":{},"wall_s":{:.3}}}"#,
                now / NS_PER_S,
                self.end.load(Ordering::Relaxed),
                reached.saturating_sub(settled),
                self.elapsed_s()
            );
        }
    }

    /// Events per wall-clock second since `start`.
    pub fn rate(&self, events: u64) -> f64 {
        let secs = self.elapsed_s();
        if secs > 0.0 {
            events as f64 / secs
        } else {
            0.0
        }
    }

    pub fn elapsed_s(&self) -> f64 {
        self.started
            .lock()
            .expect("not poisoned")
            .map_or(0.0, |s| s.elapsed().as_secs_f64())
    }

    pub fn finish(&self, events: u64) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if self.lines.is_some() {
            let end = self.end.load(Ordering::Relaxed);
            eprintln!(
                r#"{{"event":"done","sim_s":{end},"end_s":{end},"events":{events},"wall_s":{:.3}}}"#,
                self.elapsed_s()
            );
        }
    }
}
