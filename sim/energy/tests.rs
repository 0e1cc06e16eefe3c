//! The meter against hand sums of published state tables.

use super::*;
use crate::engine::{NS_PER_S, Time};
use crate::radio::Phy;

const MS: Time = 1_000_000;

fn ms(v: f64) -> Time {
    (v * 1e6).round() as Time
}

/// One LoRaWAN reading at SF7/125 kHz, 10 application bytes (23 PHY bytes), acknowledged in
/// RX1, then sleep for the rest of 600 s: the meter's energy equals the sum of Casals et
/// al.'s currents × durations × 3.3 V written out here.
#[test]
fn lorawan_reading_matches_the_hand_sum_of_casals_table() {
    // Time on air by the SX1276 formula, worked by hand: 8 + ⌈(8·23 − 28 + 28 + 16)/28⌉·5 =
    // 48 payload symbols plus 12.25 preamble symbols of 1.024 ms.
    let toa_ms = 60.25 * 1.024;
    // The ACK: 12 PHY bytes, 8 + ⌈(96 + 16)/28⌉·5 = 28 symbols plus the preamble.
    let ack_ms = 40.25 * 1.024;
    let phy = Phy::lorawan(7, 125_000);
    assert_eq!(phy.time_on_air(23), ms(toa_ms));
    let w = ClassA::new(&phy, 12, 125_000);
    let cycle = class_a_cycle(&w, ms(toa_ms), Downlink::Rx1(ms(ack_ms)));
    let mut meter = Meter::default();
    let g = meter.add_group(Profile::lorawan(3.3), 0, 1);
    meter.add(g, 0, &cycle);
    let horizon = 600 * NS_PER_S;

    // mA · ms = µC: wake, preparation, TX at 14 dBm, wait, RX1 with the ACK, radio off,
    // post-processing, turn-off; then 45 µA of sleep.
    let active_uc = 22.1 * 168.2
        + 13.3 * 83.8
        + 83.0 * toa_ms
        + 27.0 * 983.3
        + 38.1 * ack_ms
        + 13.2 * 147.4
        + 21.0 * 268.0
        + 13.3 * 38.6;
    let active_ms = 168.2 + 83.8 + toa_ms + 983.3 + ack_ms + 147.4 + 268.0 + 38.6;
    let sleep_uc = 0.045 * (600_000.0 - active_ms);
    let want_j = (active_uc + sleep_uc) * 3.3 * 1e-6;

    let got = meter.groups[g].device_j(0, horizon);
    assert!((got - want_j).abs() < 1e-8, "{got} J vs {want_j} J");
    let total = meter.groups[g].total_j(horizon);
    assert!((total - want_j).abs() < 1e-8, "{total} J vs {want_j} J");
    // RX2 was never opened.
    let states = meter.groups[g].state_totals(horizon);
    let rx2 = states.iter().find(|r| r.0 == "rx2").unwrap();
    assert_eq!((rx2.1, rx2.2), (0.0, 0.0));
}

/// Without a downlink both windows close empty: RX1 12 symbols of SF7, the wait to RX2 the
/// rest of the second, RX2 (4096 + 32)/125 kHz at DR0.
#[test]
fn lorawan_empty_windows_match_the_hand_sum() {
    let toa_ms = 60.25 * 1.024;
    let rx1_ms = 12.0 * 1.024;
    let rx2_ms = 4128.0 / 125.0;
    let phy = Phy::lorawan(7, 125_000);
    let cycle = class_a_cycle(&ClassA::new(&phy, 12, 125_000), ms(toa_ms), Downlink::None);
    let mut meter = Meter::default();
    let g = meter.add_group(Profile::lorawan(3.3), 10, 2);
    meter.add(g, 11, &cycle);
    let above_sleep_uc = (22.1 - 0.045) * 168.2
        + (13.3 - 0.045) * 83.8
        + (83.0 - 0.045) * toa_ms
        + (27.0 - 0.045) * 983.3
        + (38.1 - 0.045) * rx1_ms
        + (27.1 - 0.045) * (1000.0 - rx1_ms)
        + (35.0 - 0.045) * rx2_ms
        + (13.2 - 0.045) * 147.4
        + (21.0 - 0.045) * 268.0
        + (13.3 - 0.045) * 38.6;
    let got_uj = meter.groups[g].excess_nj[1] as f64 * 1e-3;
    assert!((got_uj - above_sleep_uc * 3.3).abs() < 0.02, "{got_uj}");
    assert_eq!(meter.groups[g].excess_nj[0], 0, "device 10 sent nothing");
}

/// A cellular report: 1.5 s receiving (synchronisation, random access), 0.3 s
/// transmitting, 10 s of RRC inactivity receiving, 20 s of T3324 in light sleep, PSM for
/// the rest of the hour, at TR 45.820's 543 / 90 / 3 / 0.015 mW.
#[test]
fn cellular_report_matches_the_hand_sum_of_tr_45_820() {
    let schedule = [
        (State::Rx, 1500 * MS),
        (State::Tx, 300 * MS),
        (State::Rx, 10 * NS_PER_S),
        (State::LightSleep, 20 * NS_PER_S),
    ];
    let mut meter = Meter::default();
    let g = meter.add_group(Profile::cellular(3.6), 0, 1);
    meter.add(g, 0, &schedule);
    let want_mj = 90.0 * 1.5 + 543.0 * 0.3 + 90.0 * 10.0 + 3.0 * 20.0 + 0.015 * (3600.0 - 31.8);
    let got_mj = meter.groups[g].device_j(0, 3600 * NS_PER_S) * 1e3;
    assert!(
        (got_mj - want_mj).abs() < 1e-6,
        "{got_mj} mJ vs {want_mj} mJ"
    );
    assert!((meter.groups[g].total_j(3600 * NS_PER_S) * 1e3 - want_mj).abs() < 1e-6);
}

/// Operations add their energy to the device and show as their own rows.
#[test]
fn operations_are_charged_per_count() {
    let mut p = Profile::lorawan(3.3);
    p.op_mj[Op::Sign as usize] = 2.5;
    let mut meter = Meter::default();
    let g = meter.add_group(p, 0, 1);
    meter.op(g, 0, Op::Sign, 4);
    assert_eq!(meter.groups[g].excess_nj[0], 10_000_000);
    let rows = meter.groups[g].state_totals(NS_PER_S);
    assert!(rows.contains(&("sign", 0.0, 0.01)));
}

/// The same schedules handed over in any order give identical totals, bit for bit.
#[test]
fn totals_do_not_depend_on_the_order_of_schedules() {
    let w = ClassA::new(&Phy::lorawan(9, 125_000), 12, 125_000);
    let items: Vec<(u32, [(State, Time); 10])> = (0..200u32)
        .map(|i| {
            let dl = match i % 3 {
                0 => Downlink::None,
                1 => Downlink::Rx1(ms(41.0 + i as f64 * 0.013)),
                _ => Downlink::Rx2(ms(330.0 + i as f64 * 0.7)),
            };
            (i % 17, class_a_cycle(&w, ms(100.0 + i as f64 * 0.37), dl))
        })
        .collect();
    let run = |order: &mut dyn Iterator<Item = &(u32, [(State, Time); 10])>| {
        let mut m = Meter::default();
        let g = m.add_group(Profile::lorawan(3.0), 0, 17);
        for (d, c) in order {
            m.add(g, *d, c);
        }
        let totals = m.groups[g].state_totals(3600 * NS_PER_S);
        (m.groups[g].excess_nj.clone(), format!("{totals:?}"))
    };
    assert_eq!(run(&mut items.iter()), run(&mut items.iter().rev()));
}

/// Casals et al.'s abstract: with 2400 mAh the platform "can achieve a 1-year lifetime while
/// sending one message every 5 min". The meter with the default table, one 10-byte SF7
/// uplink every 5 minutes for a day, projects within 10 % of that.
#[test]
fn five_minute_reporting_lasts_about_a_year() {
    let phy = Phy::lorawan(7, 125_000);
    let cycle = class_a_cycle(
        &ClassA::new(&phy, 12, 125_000),
        phy.time_on_air(23),
        Downlink::None,
    );
    let mut meter = Meter::default();
    let g = meter.add_group(Profile::lorawan(3.3), 0, 1);
    for _ in 0..288 {
        meter.add(g, 0, &cycle);
    }
    let day = 86_400 * NS_PER_S;
    let b = Battery::from_mah(2400.0, 3.3, 0.0);
    let years = lifetime_years(&b, meter.groups[g].device_j(0, day), 86_400.0);
    assert!((0.9..1.1).contains(&years), "{years} years");
}

/// A recurring schedule charged through its fixed part gives the same totals, bit for bit,
/// as the whole schedule charged state by state.
#[test]
fn fixed_part_charges_like_the_whole_schedule() {
    let phy = Phy::lorawan(10, 125_000);
    let w = ClassA::new(&phy, 12, 125_000);
    let mut whole = Meter::default();
    let mut split = Meter::default();
    let a = whole.add_group(Profile::lorawan(3.6), 5, 3);
    let b = split.add_group(Profile::lorawan(3.6), 5, 3);
    let id = split.fixed(b, &class_a_cycle(&w, 0, Downlink::None));
    for i in 0..30u32 {
        let toa = ms(300.0 + i as f64 * 1.3);
        whole.add(a, 5 + i % 3, &class_a_cycle(&w, toa, Downlink::None));
        split.add_fixed(b, 5 + i % 3, id, State::Tx, toa);
    }
    let h = 3600 * NS_PER_S;
    assert_eq!(whole.groups[a].excess_nj, split.groups[b].excess_nj);
    assert_eq!(
        format!("{:?}", whole.groups[a].state_totals(h)),
        format!("{:?}", split.groups[b].state_totals(h))
    );
}
