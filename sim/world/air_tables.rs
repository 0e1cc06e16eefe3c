//! The radio's share of a run's outputs: the `radio` table per group and SF, the `gateways`
//! table, and the radio lines of the summary, read from the airwaves' counters at the end.

use super::airwaves::{AirPlan, Airwaves, RadioStats};
use super::batches::Batches;
use crate::engine::{Time, to_secs};
use crate::metrics::{GatewayRow, RadioDistanceRow, RadioRow, Value};
use crate::radio::Loss;
use crate::scenario::Scenario;

/// The radio's share of a run's outputs.
#[derive(Default)]
pub struct Tables {
    pub radio: Vec<RadioRow>,
    pub gateways: Vec<GatewayRow>,
    pub distance: Vec<RadioDistanceRow>,
    pub summary: Vec<(String, Value)>,
    /// Readings lost with their frames, by reason (`radio_collision`, …).
    pub dropped: Vec<(String, u64)>,
    /// Readings in frames still on the air at the end.
    pub on_air: u64,
    /// Readings of lost confirmed frames, to be sent again by their devices.
    pub awaiting_repeat: u64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

impl Tables {
    pub fn of(
        w: &Airwaves,
        batches: &Batches,
        plan: &AirPlan,
        s: &Scenario,
        duration_s: f64,
    ) -> Self {
        let mut t = Tables {
            on_air: w.on_air(batches),
            awaiting_repeat: w.awaiting_repeat(batches),
            ..Tables::default()
        };
        let mut total = RadioStats::default();
        for (k, chunk) in w.stats.chunks(6).enumerate() {
            let group = &s.devices[plan.group_index[k]].name;
            for (i, st) in chunk.iter().enumerate() {
                if st.frames == 0 {
                    continue;
                }
                total.frames += st.frames;
                total.delivered += st.delivered;
                total.duplicates += st.duplicates;
                total.airtime += st.airtime;
                total.duty_cycle_wait += st.duty_cycle_wait;
                t.radio.push(RadioRow {
                    group: group.clone(),
                    sf: 7 + i as u8,
                    frames: st.frames,
                    delivered: st.delivered,
                    lost: st.lost,
                    readings: st.readings,
                    duplicates: st.duplicates,
                    airtime_s: to_secs(st.airtime),
                    duty_cycle_wait_s: to_secs(st.duty_cycle_wait),
                    delivery_ratio: ratio(st.delivered, st.frames),
                });
            }
        }
        t.distance = plan
            .distance
            .rows(&w.distance, |g| s.devices[plan.group_index[g]].name.clone());
        let paths = plan.demodulators() as f64;
        for (g, gs) in w.gateway_stats(plan).iter().enumerate() {
            t.gateways.push(GatewayRow {
                gateway: g as u32,
                frames_heard: gs.heard,
                frames_received: gs.received,
                lost: gs.lost,
                demodulator_utilisation: to_secs(gs.demodulating) / (paths * duration_s),
                downlinks_rx1: gs.downlinks - gs.downlinks_rx2,
                downlinks_rx2: gs.downlinks_rx2,
                downlinks_with_ack: gs.acks,
                downlinks_with_receipt: gs.receipts,
                downlink_airtime_s: to_secs(gs.downlink_airtime),
                downlink_windows_refused_busy: gs.refused_busy,
                downlink_windows_refused_duty_cycle: gs.refused_duty_cycle,
            });
        }
        for loss in Loss::ALL {
            t.dropped
                .push((format!("radio_{}", loss.name()), w.dropped[loss as usize]));
        }
        t.summary = vec![
            (
                "radio_links_per_device".into(),
                plan.links_per_device().into(),
            ),
            ("radio_frames".into(), total.frames.into()),
            ("radio_frames_delivered".into(), total.delivered.into()),
            (
                "radio_delivery_ratio".into(),
                ratio(total.delivered, total.frames).into(),
            ),
            ("radio_duplicates".into(), total.duplicates.into()),
            ("radio_airtime_s".into(), to_secs(total.airtime).into()),
            (
                "radio_duty_cycle_wait_s".into(),
                to_secs(total.duty_cycle_wait).into(),
            ),
        ];
        if let Some(a) = &w.acks {
            if a.confirmed {
                t.summary.extend(a.summary());
            }
            let airtime: Time = w.gateways.iter().map(|g| g.downlink_airtime).sum();
            t.summary
                .push(("radio_downlink_airtime_s".into(), to_secs(airtime).into()));
        }
        t
    }
}
