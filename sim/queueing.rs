//! A single-server FIFO queue with Poisson arrivals (M/M/1 or M/D/1) run on the event engine:
//! the sanity check of T20 that the scheduler, the clock and the counter-based draws give the
//! closed forms of queueing theory.
//!
//! Arrivals and departures are events of the engine's [`Scheduler`]. Customer `k`'s
//! inter-arrival time and service time are draws `2k` and `2k + 1` of the replication's
//! stream, so every replication is reproducible on its own. Time is kept in nanoseconds with
//! one model time unit = 1 ms, a resolution of 10⁻⁶ of the mean service time.

use crate::engine::{NS_PER_MS, Purpose, Scheduler, Time, draw_unit};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Exponential,
    Deterministic,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mg1 {
    pub arrival_rate: f64,
    pub service_rate: f64,
    pub service: Service,
    /// Customers measured, after `warmup` customers whose statistics are discarded.
    pub customers: u64,
    pub warmup: u64,
    pub seed: u64,
}

/// Means over the measured customers: time in system `w`, waiting time `wq`, and the
/// time-average numbers in system `l` and in queue `lq` over the measured period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Means {
    pub w: f64,
    pub wq: f64,
    pub l: f64,
    pub lq: f64,
}

enum Ev {
    Arrival,
    Departure,
}

const ARRIVALS: u32 = 0;
const SERVER: u32 = 1;

fn units(t: Time) -> f64 {
    t as f64 / NS_PER_MS as f64
}

impl Mg1 {
    /// The Pollaczek–Khinchine mean values: `Wq = λ E[S²] / (2 (1 − ρ))`, with
    /// `E[S²] = (1 + c_s²) / μ²` (`c_s² = 1` exponential, 0 deterministic), `W = Wq + 1/μ`,
    /// and Little's law for `L` and `Lq`.
    pub fn expected(&self) -> Means {
        let (lambda, mu) = (self.arrival_rate, self.service_rate);
        let rho = lambda / mu;
        let cs2 = match self.service {
            Service::Exponential => 1.0,
            Service::Deterministic => 0.0,
        };
        let wq = lambda * (1.0 + cs2) / (mu * mu) / (2.0 * (1.0 - rho));
        let w = wq + 1.0 / mu;
        Means {
            w,
            wq,
            l: lambda * w,
            lq: lambda * wq,
        }
    }

    fn draw(&self, replication: u64, k: u64, rate: f64) -> Time {
        let u = draw_unit(self.seed, replication, Purpose::Queueing, k);
        ((-u.ln() / rate) * NS_PER_MS as f64).round() as Time
    }

    fn service_time(&self, replication: u64, customer: u64) -> Time {
        match self.service {
            Service::Exponential => self.draw(replication, 2 * customer + 1, self.service_rate),
            Service::Deterministic => (NS_PER_MS as f64 / self.service_rate).round() as Time,
        }
    }

    /// Runs replication `replication` until `warmup + customers` customers have left.
    pub fn run(&self, replication: u64) -> Means {
        let total = self.warmup + self.customers;
        let mut sched: Scheduler<Ev> = Scheduler::new(2);
        // Arrival time of every customer in the system, in order; the head is in service.
        let mut line: std::collections::VecDeque<(u64, Time)> = Default::default();
        let (mut arrived, mut departed) = (0u64, 0u64);
        let (mut w_sum, mut wq_sum) = (0.0f64, 0.0f64);
        // Areas under the number in system and in queue, from the first measured arrival.
        let (mut area_l, mut area_q, mut last, mut from) = (0.0f64, 0.0f64, 0 as Time, None);
        let mut service_start = 0 as Time;
        sched.schedule(
            self.draw(replication, 0, self.arrival_rate),
            ARRIVALS,
            Ev::Arrival,
        );
        while departed < total {
            let (key, ev) = sched.pop_until(Time::MAX).expect("arrivals never stop");
            let now = key.time();
            if from.is_some() {
                let n = line.len() as f64;
                area_l += n * units(now - last);
                area_q += (n - 1.0).max(0.0) * units(now - last);
            }
            last = now;
            match ev {
                Ev::Arrival => {
                    if arrived == self.warmup {
                        from = Some(now);
                    }
                    line.push_back((arrived, now));
                    if line.len() == 1 {
                        service_start = now;
                        let s = self.service_time(replication, arrived);
                        sched.schedule(now + s, SERVER, Ev::Departure);
                    }
                    arrived += 1;
                    let gap = self.draw(replication, 2 * arrived, self.arrival_rate);
                    sched.schedule(now + gap, ARRIVALS, Ev::Arrival);
                }
                Ev::Departure => {
                    let (k, at) = line.pop_front().expect("a customer in service");
                    if k >= self.warmup {
                        w_sum += units(now - at);
                        wq_sum += units(service_start - at);
                    }
                    departed += 1;
                    if let Some(&(next, _)) = line.front() {
                        service_start = now;
                        let s = self.service_time(replication, next);
                        sched.schedule(now + s, SERVER, Ev::Departure);
                    }
                }
            }
        }
        let span = units(last - from.unwrap_or(last)).max(f64::MIN_POSITIVE);
        let measured = departed.saturating_sub(self.warmup).max(1) as f64;
        Means {
            w: w_sum / measured,
            wq: wq_sum / measured,
            l: area_l / span,
            lq: area_q / span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mm1(rho: f64) -> Mg1 {
        Mg1 {
            arrival_rate: rho,
            service_rate: 1.0,
            service: Service::Exponential,
            customers: 200_000,
            warmup: 20_000,
            seed: 1,
        }
    }

    #[test]
    fn closed_forms_match_the_textbook_values() {
        let m = mm1(0.8).expected();
        assert!((m.w - 5.0).abs() < 1e-12 && (m.l - 4.0).abs() < 1e-12);
        assert!((m.wq - 4.0).abs() < 1e-12);
        let d = Mg1 {
            service: Service::Deterministic,
            ..mm1(0.8)
        }
        .expected();
        assert!((d.w - 3.0).abs() < 1e-12 && (d.wq - 2.0).abs() < 1e-12);
        assert!((d.lq - 1.6).abs() < 1e-12);
    }

    // At ρ = 0.5 the queue forgets quickly, so one replication of 2·10⁵ customers is within
    // 3 % of L = 1; a light load checks the time-average area against Little's law.
    #[test]
    fn a_half_loaded_queue_holds_one_customer_on_average() {
        let r = mm1(0.5).run(0);
        assert!((r.l - 1.0).abs() < 0.03, "{r:?}");
        assert!((r.w - 2.0).abs() < 0.06, "{r:?}");
        assert!((r.l - 0.5 * r.w).abs() < 0.03, "Little's law: {r:?}");
        assert_eq!(r, mm1(0.5).run(0));
        assert_ne!(r, mm1(0.5).run(1));
    }
}
