//! What the fleet and its radio take: per device and gateway, per radio link, and the
//! readings one fleet step hands over, with the step's width and the links a radio device
//! keeps.

use crate::engine::NS_PER_S;
use crate::scenario::Scenario;

use super::offered_tx_per_s;

/// Bytes per device: fleet arrays (id, gateway, sequence, next reading, connectivity cursor,
/// 36), one pending wake key in its shard's queue with vector slack (32), and the attachment
/// lists that exist while shards are built (12), rounded up to what 10⁸ devices measured at
/// peak (102 bytes per device, `bench fleet --devices 1e8`).
pub(super) const PER_DEVICE: f64 = 104.0;
/// Bytes per gateway: measured peaks of 35 (3·10⁶ gateways, 300 devices) and 37 (3·10⁷
/// gateways: 1,068 MiB, which the estimate once put at 48 MiB, counting no gateway).
pub(super) const PER_GATEWAY: f64 = 48.0;
/// Bytes per radio device and reachable gateway: each (device, gateway) pair kept keeps a
/// received power in three bytes and its gateway's place in one (4 bytes; 1,000,000
/// LoRaWAN meters kept 19.3 links and 83 bytes a device with their row offsets and nearest
/// gateways, heaptrack, `bench fleet --lorawan --devices 1e6 --validators 100 --one`), and
/// the per-chunk lists, which are joined into room made exactly for them and freed as they
/// are: 5 bytes a link there (two-byte gateways, three-byte powers; 8 until 7b4d76f), held
/// beside the 4 while they are joined. 8 stays counted: the allocator keeps what the lists
/// freed, and no 10,000,000-device run has measured the peak with the 5-byte lists yet.
/// The gateways a device reaches come from `links_per_radio_device`.
const PER_RADIO_LINK: f64 = 8.0;
/// Bytes per radio device besides its links: spreading factor, position, duty-cycle state,
/// its energy above sleep (8), its bin of distance to the nearest gateway (1), and that
/// distance while the links are built (4, held twice while the per-chunk lists are joined).
const PER_RADIO_DEVICE: f64 = 49.0;
/// Bytes per reading of a radio group that one fleet step hands over: the shards' frames and
/// readings, the airwaves' pending frames, flights and reading lists, the receivers' inboxes,
/// and the validators' queue with its upload lists, which holds one step while the shards
/// produce the next (`World::merge`). The step widens until it holds a fixed number of
/// events (`Window`), so a sparse fleet's step spans many readings: `lorawan-meters.yaml`
/// takes three readings a wake and settles at 1,024 s steps of 170,700 readings, whose
/// structures held 84.9 MB at the peak (heaptrack, release build: 34.2 MB in
/// `Airwaves::resolve`, 17.3 in the validators' queue, 15.7 in the shards, 6.5 in the
/// receivers, 9.4 in the upload lists, 1.8 in the hand to the validators): 497 bytes a
/// reading, rounded up. Without it the estimate was 88 MiB against 104–112 MiB measured.
pub(super) const PER_STEP_READING: f64 = 512.0;

/// What the radio devices take: each device's state and its links. Per structure these
/// terms are above what a heap profile finds at 1,000,000 LoRaWAN meters (150 bytes a device
/// outside the pool against 104 + 49 + 8 × 21 counted here), but the peak also holds what
/// grows with the run and is not broken down (the validators' queue, the air hand-over's
/// chunks), and together they stay close above it: on the chain that carries the readings
/// (`bench fleet --lorawan --validators 100`), 1,000,000 meters peaked at 366–368 MiB
/// (estimated 401) and 10,000,000 at 3,137 MiB (estimated 3,356), release builds; with the
/// 5-byte link lists, 1,000,000 peak at 302–305 MiB and 3,000,000 at 989 MiB.
pub(super) fn radio(s: &Scenario) -> f64 {
    radio_devices(s) * (PER_RADIO_DEVICE + PER_RADIO_LINK * links_per_radio_device(s))
}

fn radio_devices(s: &Scenario) -> f64 {
    s.devices
        .iter()
        .filter(|g| g.radio.is_some())
        .map(|g| g.count as f64)
        .sum()
}

/// The widest fleet step the run settles at, in seconds: `Window` starts at 1 s and doubles
/// while a step runs fewer than a quarter of its target events. A device wakes at least once
/// per reading, or once per online window when it keeps readings for it, so those wakes
/// bound the events from below and the width from above. The narrower steps class A
/// answers impose are not counted: a wider step only raises the estimate.
pub(super) fn step_width_s(s: &Scenario) -> f64 {
    use crate::devices::Conn;
    let wakes_per_s: f64 = s
        .devices
        .iter()
        .map(|g| {
            let n = g.count as f64;
            let per_device = offered_tx_per_s(g) / n.max(1.0);
            n * match Conn::from_scenario(&g.connectivity) {
                Conn::AlwaysOn => per_device,
                Conn::Never => 0.0,
                Conn::Duty { period, .. } => per_device.min(NS_PER_S as f64 / period.max(1) as f64),
                Conn::OnOff { on, off, .. } => per_device.min(1.0 / (on.mean_s() + off.mean_s())),
            }
        })
        .sum();
    let enough = (crate::world::Window::TARGET_EVENTS / 4) as f64;
    let mut width = 1.0;
    while wakes_per_s * width < enough && width < s.duration_s {
        width *= 2.0;
    }
    width.min(s.duration_s)
}

/// Radio devices whose links the estimate places: enough for the mean links per device
/// within a percent or two.
const LINK_SAMPLE: f64 = 20_000.0;

/// Gateways a LoRaWAN device keeps a link to, on average: the links `AirPlan::build` keeps
/// (path loss, shadowing, each device's floor at its SF, ADR included) for the first
/// `LINK_SAMPLE` radio devices, every group cut by the same factor so that their mix stays,
/// plus 10 % for the sample's spread. Counting every gateway as reachable put a 2 M-meter
/// city with 400 gateways on a 20 km disc at 12.7 GiB against 2.6 GiB measured. Without an
/// area (no radio geometry) every gateway counts.
fn links_per_radio_device(s: &Scenario) -> f64 {
    let gateways = s.gateways.count as f64;
    if s.area.is_none() {
        return gateways;
    }
    let cut = (LINK_SAMPLE / radio_devices(s).max(1.0)).min(1.0);
    let mut sample = s.clone();
    for g in &mut sample.devices {
        g.count = ((g.count as f64 * cut).ceil() as u64).min(g.count);
    }
    crate::world::airwaves::AirPlan::build(&sample)
        .map_or(gateways, |p| (1.1 * p.links_per_device()).min(gateways))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Links per LoRaWAN device from a sample of 20,000 against those `AirPlan::build` keeps
    // for all 200,000 devices of a 20 km city (ADR, gateways on a grid): within the 10 %
    // added, never below, and far under every gateway.
    #[test]
    fn reachable_gateways_come_from_a_sample_of_the_links() {
        for gateways in [100, 400] {
            let s = crate::scenario::parse(
                &format!(
                    "duration_s: 60
devices:
  - count: 200000
    workload: {{ model: periodic, interval_s: 900 }}
    tx_bytes: 20
    radio: {{ model: lorawan, sf: adr }}
gateways: {{ count: {gateways} }}
area: {{ shape: disc, size_m: 20000, gateways: grid }}
validators: {{ count: 4 }}
consensus: {{ protocol: pbft }}"
                ),
                "test",
            )
            .unwrap();
            let plan = crate::world::airwaves::AirPlan::build(&s).unwrap();
            let actual = plan.links_per_device();
            let estimated = links_per_radio_device(&s);
            assert!(
                actual <= estimated && estimated <= 1.15 * actual,
                "{gateways} gateways: {estimated} estimated, {actual} kept"
            );
            assert!(
                estimated < 0.5 * gateways as f64,
                "{estimated} of {gateways}"
            );
        }
    }
}
