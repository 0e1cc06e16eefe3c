//! Gateways that batch: uploads reaching a gateway within one interval travel to the validator
//! as one message at the interval's end, so a gateway costs two events per interval however
//! many devices it serves.

use super::batches::Batches;
use crate::engine::Time;

pub struct Gateways {
    interval: Time,
    /// Open batches per gateway, by flush time; uplink delays differ between device groups, so
    /// more than one interval can be open at once.
    open: Vec<Vec<(Time, u32)>>,
}

impl Gateways {
    pub fn new(count: u32, interval: Time) -> Self {
        Gateways {
            interval,
            open: vec![Vec::new(); count as usize],
        }
    }

    pub fn interval(&self) -> Time {
        self.interval
    }

    pub fn batching(&self) -> bool {
        self.interval > 0
    }

    /// The batch collecting what reaches gateway `g` at `arrival`, its flush time, and
    /// whether it was just opened (then the caller schedules the flush).
    pub fn batch_for(&mut self, g: u32, arrival: Time, batches: &mut Batches) -> (u32, Time, bool) {
        let flush = (arrival / self.interval + 1).saturating_mul(self.interval);
        let open = &mut self.open[g as usize];
        if let Some(&(_, id)) = open.iter().find(|(t, _)| *t == flush) {
            return (id, flush, false);
        }
        let (id, _) = batches.open();
        open.push((flush, id));
        (id, flush, true)
    }

    /// Closes the batch of gateway `g` due at `now`.
    pub fn flush(&mut self, g: u32, now: Time) -> u32 {
        let open = &mut self.open[g as usize];
        let i = open
            .iter()
            .position(|(t, _)| *t == now)
            .expect("a flush is scheduled per batch");
        open.swap_remove(i).1
    }
}
