//! The progress bar on stderr: wall time elapsed, simulated time against the run's end, the
//! time left at the pace so far, events per second, transactions settled and those that
//! reached a validator but are not settled yet (devices' own counts arrive only at the end,
//! from their shards). Updated every 65,536 events, so it costs nothing measurable; hidden when stderr is
//! not a terminal, and never written to stdout, so outputs stay byte-identical.

use crate::engine::{NS_PER_S, Time};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::Instant;

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Mutex<Option<Instant>>,
}

impl Progress {
    pub fn hidden() -> Self {
        Progress {
            bar: None,
            started: Mutex::new(None),
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
            started: Mutex::new(None),
        }
    }

    pub fn start(&self, end: Time) {
        *self.started.lock().expect("not poisoned") = Some(Instant::now());
        if let Some(b) = &self.bar {
            b.set_length(end.div_ceil(NS_PER_S));
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
    }

    /// Events per wall-clock second since `start`.
    pub fn rate(&self, events: u64) -> f64 {
        let secs = self
            .started
            .lock()
            .expect("not poisoned")
            .map_or(0.0, |s| s.elapsed().as_secs_f64());
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
        let _ = events;
    }
}
