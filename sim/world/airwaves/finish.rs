//! A frame's end on the network side: its ACK, energy and counters, and its readings
//! delivered, kept for a repeat or dropped; and what the network holds when the run ends.

use super::{AirPlan, Airwaves, Delivery, GatewayStats};
use crate::metrics::Metrics;
use crate::net::Access;
use crate::radio::Loss;
use crate::world::batches::Batches;
use crate::world::shard::{Outcome, Sources};

impl Airwaves {
    pub(super) fn finish_frame(
        &mut self,
        plan: &AirPlan,
        batches: &mut Batches,
        idx: u32,
        access: &Access,
        src: Sources,
        m: &mut Metrics,
    ) {
        self.free.push(idx);
        let Airwaves {
            flights,
            acks,
            receivers,
            gateways,
            receipts,
            ..
        } = self;
        let fl = &mut flights[idx as usize];
        let f = fl.f;
        let gi = plan.group_of(f.device).expect("radio device");
        let g = &plan.groups[gi];
        let list = match acks {
            Some(a) if f.attempt > 0 => a.kept.remove(&f.device),
            _ => fl.list,
        };
        let (heard, outcome, _) = match acks {
            Some(a) => crate::world::class_a_receipts::answer_uplink(
                a,
                receipts.as_mut(),
                &f,
                g,
                &mut fl.copies,
                access,
                receivers,
                gateways,
                m,
            ),
            None => (crate::energy::Downlink::None, None, None),
        };
        fl.copies.clear();
        let (best, loss, received) = (fl.best, fl.loss, fl.received);
        // A first transmission carries its own `len` readings (the list opened for it).
        let readings = if f.attempt == 0 { f.len as u64 } else { 0 };
        if let Some(e) = &mut self.energy {
            e.on_frame(gi, &f, readings, heard);
        }
        let st = &mut self.stats[gi * 6 + (f.sf - 7) as usize];
        st.frames += 1;
        st.readings += readings;
        st.airtime += f.end - f.start;
        st.duty_cycle_wait += f.start - f.ready;
        let bin = &mut self.distance[plan.distance.index(gi, f.device)];
        bin[0] += 1;
        bin[1] += u64::from(best.is_some());
        if best.is_some() {
            st.delivered += 1;
            st.duplicates += received as u64 - 1;
        } else {
            st.lost[loss as usize] += 1;
        }
        let Some(id) = list else {
            if best.is_some()
                && let Some(a) = &mut self.acks
            {
                a.stats.repeats_received_again += 1;
            }
            return;
        };
        match best {
            Some((at, gw)) => {
                // A first transmission's list holds its `len` readings; a repeat's is rare.
                let len = match f.attempt {
                    0 => f.len as usize,
                    _ => batches.len_of(id),
                };
                self.held -= len as u64;
                self.out.push(Delivery {
                    at,
                    source: src.first_device + f.device,
                    seq: f.seq,
                    node: access.gateway_validator[gw as usize],
                    batch: id,
                });
            }
            None if outcome == Some(Outcome::Retry) => {
                // The device sends these readings again; the network keeps their copy.
                let a = self.acks.as_mut().expect("confirmed frames have acks");
                a.kept.insert(f.device, id);
            }
            None => {
                let list = batches.take(id);
                self.held -= list.len() as u64;
                self.dropped[loss as usize] += list.len() as u64;
                for _ in 0..list.len() {
                    m.on_dropped(f.end);
                }
                batches.give_back(list);
            }
        }
    }

    /// Each gateway's counters at the end: copies under sensitivity are counted when their
    /// frame is handed over, so those of frames still on the air are taken back here (a
    /// frame counts where it finished, as every other loss does).
    pub fn gateway_stats(&self, plan: &AirPlan) -> Vec<GatewayStats> {
        let mut stats = self.gateways.clone();
        let mut finished = vec![false; self.flights.len()];
        for &i in &self.free {
            finished[i as usize] = true;
        }
        for (fl, _) in self
            .flights
            .iter()
            .zip(&finished)
            .filter(|(_, done)| !**done)
        {
            let sensitivity = plan.rx.sensitivity_dbm_at(fl.f.sf, fl.bandwidth_hz);
            for k in plan.links.of(fl.f.device) {
                if (plan.links.rssi_dbm.get(k) as f64) < sensitivity {
                    let g = plan.links.gateways.get(fl.f.device, k) as usize;
                    stats[g].lost[Loss::BelowSensitivity as usize] -= 1;
                }
            }
        }
        stats
    }

    /// Readings that frames hold in `batches`: on the air, or kept for a repeat.
    pub fn held(&self) -> u64 {
        self.held
    }

    /// Readings on the air when the run ends (their frames never settled).
    pub fn on_air(&self, batches: &Batches) -> u64 {
        self.held - self.awaiting_repeat(batches)
    }

    /// Readings of confirmed frames lost so far and to be sent again: still on their devices.
    pub fn awaiting_repeat(&self, batches: &Batches) -> u64 {
        let kept = self.acks.as_ref().map(|a| a.kept.values());
        kept.into_iter()
            .flatten()
            .map(|&id| batches.len_of(id) as u64)
            .sum()
    }
}
