use super::*;
use crate::engine::{NS_PER_MS, Time};

fn cfg(capture: Capture) -> RxConfig {
    RxConfig {
        paths: 8,
        sensitivity_dbm: GATEWAY_SENSITIVITY_125K,
        capture,
    }
}

fn frame(frame: u32, start_ms: u64, channel: u8, sf: u8, rssi_dbm: f64) -> Heard {
    Heard {
        frame,
        start: start_ms * NS_PER_MS,
        end: start_ms * NS_PER_MS + Phy::lorawan(sf, 125_000).time_on_air(23),
        channel,
        sf,
        bandwidth_hz: 125_000,
        rssi_dbm,
    }
}

/// Runs `frames` through one receiver and returns each frame's outcome, by frame number.
fn receive(frames: &[Heard], cfg: &RxConfig) -> Vec<Result<(), Loss>> {
    let mut out = vec![None; frames.len()];
    let mut rx = Receiver::new();
    let mut done = |f: u32, r| out[f as usize] = Some(r);
    for &h in frames {
        rx.hear(h, cfg, &mut done);
    }
    rx.settle(Time::MAX, cfg, &mut done);
    out.into_iter()
        .map(|r| r.expect("every frame settles"))
        .collect()
}

#[test]
fn the_much_stronger_frame_survives_a_collision() {
    let c = cfg(Capture::orthogonal(Capture::DEFAULT_DB));
    let got = receive(&[frame(0, 0, 0, 7, -90.0), frame(1, 10, 0, 7, -110.0)], &c);
    assert_eq!(got, [Ok(()), Err(Loss::Collision)]);
    // The order of arrival does not matter: the later, stronger frame captures.
    let got = receive(&[frame(0, 0, 0, 7, -110.0), frame(1, 10, 0, 7, -90.0)], &c);
    assert_eq!(got, [Err(Loss::Collision), Ok(())]);
}

#[test]
fn within_the_capture_threshold_both_are_lost() {
    let c = cfg(Capture::orthogonal(Capture::DEFAULT_DB));
    let got = receive(&[frame(0, 0, 0, 7, -100.0), frame(1, 10, 0, 7, -105.0)], &c);
    assert_eq!(got, [Err(Loss::Collision), Err(Loss::Collision)]);
    // Exactly at the threshold the stronger one survives.
    let got = receive(&[frame(0, 0, 0, 7, -100.0), frame(1, 10, 0, 7, -106.0)], &c);
    assert_eq!(got, [Ok(()), Err(Loss::Collision)]);
}

#[test]
fn the_sum_of_interferers_counts() {
    // Each interferer alone is 7 dB down, but two of them together only 4 dB.
    let c = cfg(Capture::orthogonal(Capture::DEFAULT_DB));
    let frames = [
        frame(0, 0, 0, 7, -100.0),
        frame(1, 5, 0, 7, -107.0),
        frame(2, 10, 0, 7, -107.0),
    ];
    assert_eq!(receive(&frames, &c)[0], Err(Loss::Collision));
    assert_eq!(receive(&frames[..2], &c)[0], Ok(()));
}

#[test]
fn other_channels_sfs_and_times_do_not_collide() {
    let c = cfg(Capture::none());
    let a = frame(0, 0, 0, 7, -100.0);
    let after = Heard {
        frame: 1,
        start: a.end,
        end: a.end + 1,
        ..a
    };
    for other in [frame(1, 0, 1, 7, -100.0), frame(1, 0, 0, 8, -100.0), after] {
        assert_eq!(receive(&[a, other], &c), [Ok(()), Ok(())], "{other:?}");
    }
}

#[test]
fn inter_sf_rejection_when_asked_for() {
    // An SF12 frame 40 dB stronger destroys an SF7 frame under the measured matrix
    // (threshold −16 dB), never when SFs are orthogonal.
    let frames = [frame(0, 0, 0, 7, -120.0), frame(1, 0, 0, 12, -80.0)];
    let got = receive(&frames, &cfg(Capture::goursaud()));
    assert_eq!(got, [Err(Loss::Collision), Ok(())]);
    let got = receive(&frames, &cfg(Capture::orthogonal(6.0)));
    assert_eq!(got, [Ok(()), Ok(())]);
}

#[test]
fn nine_simultaneous_frames_lose_exactly_one_to_the_demodulators() {
    let mut frames = Vec::new();
    for ch in 0..3u8 {
        for sf in [7u8, 9, 11] {
            frames.push(frame(frames.len() as u32, 0, ch, sf, -100.0));
        }
    }
    let got = receive(&frames, &cfg(Capture::orthogonal(6.0)));
    let lost: Vec<usize> = (0..9).filter(|&i| got[i].is_err()).collect();
    assert_eq!(lost, [8]);
    assert_eq!(got[8], Err(Loss::NoDemodulator));
    // A path freed by a frame's end serves the next one.
    let mut later = frames.clone();
    later[8].start = later[0].end;
    later[8].end = later[8].start + 1_000_000;
    assert!(
        receive(&later, &cfg(Capture::orthogonal(6.0)))
            .iter()
            .all(|r| r.is_ok())
    );
}

#[test]
fn below_sensitivity_and_gateway_transmitting() {
    let c = cfg(Capture::orthogonal(6.0));
    let got = receive(&[frame(0, 0, 0, 7, -131.0), frame(1, 0, 1, 12, -141.0)], &c);
    assert_eq!(got, [Err(Loss::BelowSensitivity), Ok(())]);
    let mut rx = Receiver::new();
    rx.transmit(30 * NS_PER_MS, 40 * NS_PER_MS);
    let mut out = Vec::new();
    let mut done = |f, r| out.push((f, r));
    for h in [frame(0, 0, 0, 7, -100.0), frame(1, 100, 0, 7, -100.0)] {
        rx.hear(h, &c, &mut done);
    }
    rx.settle(Time::MAX, &c, &mut done);
    assert_eq!(out, [(0, Err(Loss::GatewayTransmitting)), (1, Ok(()))]);
}

// Feeding the sweep in batches cut at arbitrary times (as the world does at its window
// barriers) settles every frame as one pass does.
#[test]
fn batches_settle_as_one_pass() {
    let c = cfg(Capture::orthogonal(6.0));
    let mut frames = Vec::new();
    for i in 0..400u32 {
        let (ch, sf) = ((i % 3) as u8, 7 + (i * 7 % 6) as u8);
        let rssi = -100.0 - (i * 13 % 17) as f64;
        frames.push(frame(i, (i as u64 * 37) % 4000, ch, sf, rssi));
    }
    frames.sort_by_key(|h| (h.start, h.frame));
    let whole = receive(&frames, &c);
    for cut in [1u64, 50, 333] {
        let mut out = vec![None; frames.len()];
        let mut rx = Receiver::new();
        let mut done = |f: u32, r| out[f as usize] = Some(r);
        let mut next = 0;
        let mut barrier = cut * NS_PER_MS;
        while next < frames.len() {
            while next < frames.len() && frames[next].start < barrier {
                rx.hear(frames[next], &c, &mut done);
                next += 1;
            }
            rx.settle(barrier, &c, &mut done);
            barrier += cut * NS_PER_MS;
        }
        rx.settle(Time::MAX, &c, &mut done);
        let by_batch: Vec<_> = out.into_iter().map(Option::unwrap).collect();
        assert_eq!(by_batch, whole, "cut every {cut} ms");
    }
    assert!(whole.iter().any(|r| r.is_ok()) && whole.contains(&Err(Loss::Collision)));
}

/// T26: the delivered fraction of pure ALOHA is e^(−2G) within 3 binomial sigma.
#[test]
fn pure_aloha_meets_target_t26() {
    let frames = 100_000u64;
    for (g, expected) in crate::validation::radio::T26 {
        let got = aloha::delivered(g, frames, 26, 0) as f64 / frames as f64;
        let sigma = (expected * (1.0 - expected) / frames as f64).sqrt();
        assert!(
            (got - expected).abs() <= 3.0 * sigma,
            "G={g}: {got} vs {expected}"
        );
        assert!(((-2.0 * g).exp() - expected).abs() < 1e-4);
    }
}

/// The interference floor: ten frames just under it, all overlapping a frame received exactly
/// at its sensitivity on its channel, are each lost below sensitivity and leave that frame
/// received, for every pair of SFs, with orthogonal SFs and with the measured matrix. One
/// frame at the single-frame line plus a hair (the floor + headroom), co-SF, destroys it: the
/// floor is no lower than it has to be.
#[test]
fn frames_under_the_floor_change_no_outcome() {
    for capture in [
        Capture::orthogonal(Capture::DEFAULT_DB),
        Capture::goursaud(),
    ] {
        let c = cfg(capture);
        for victim in 7..=12u8 {
            let s = GATEWAY_SENSITIVITY_125K[(victim - 7) as usize];
            for sf in 7..=12u8 {
                let below = c.floor_dbm(sf, 125_000) - 1e-9;
                let mut frames = vec![frame(0, 0, 0, victim, s)];
                for i in 1..=10u32 {
                    frames.push(frame(i, i as u64, 0, sf, below));
                }
                let got = receive(&frames, &c);
                assert_eq!(got[0], Ok(()), "SF{victim} under SF{sf}, {capture:?}");
                assert!(got[1..].iter().all(|r| *r == Err(Loss::BelowSensitivity)));
            }
            let line = c.floor_dbm(victim, 125_000) + FLOOR_HEADROOM_DB + 0.01;
            let got = receive(
                &[frame(0, 0, 0, victim, s), frame(1, 1, 0, victim, line)],
                &c,
            );
            assert_eq!(got[0], Err(Loss::Collision), "SF{victim}");
        }
    }
    // With no capture every overlap destroys, so no link may be left out.
    assert_eq!(
        cfg(Capture::none()).floor_dbm(9, 125_000),
        f64::NEG_INFINITY
    );
    let c = cfg(Capture::orthogonal(6.0));
    assert_eq!(c.floor_dbm(7, 125_000), -130.0 - 6.0 - FLOOR_HEADROOM_DB);
    assert!((c.floor_dbm(7, 250_000) - (c.floor_dbm(7, 125_000))).abs() < 1e-12);
}

/// Each frame's outcome at every gateway of a dense field where each device keeps only the
/// links above its SF's floor.
fn field_outcomes(floor: &(dyn Fn(u8) -> f64 + Sync), c: &RxConfig) -> Vec<Vec<Result<(), Loss>>> {
    field_outcomes_at(floor, c, Receiver::new())
}

/// As [`field_outcomes`], every gateway with a copy of `rx`; a frame gets
/// `Err(BelowSensitivity)` at a gateway that passes no verdict on it.
fn field_outcomes_at(
    floor: &(dyn Fn(u8) -> f64 + Sync),
    c: &RxConfig,
    rx: Receiver,
) -> Vec<Vec<Result<(), Loss>>> {
    use crate::engine::{Purpose, draw_unit};
    use crate::scenario::Shape;
    let (devices, per_device, span) = (1500u32, 12u32, 300 * crate::engine::NS_PER_S);
    let gws = even_points(Shape::Square, 8_000.0, 9);
    let pos = |d: u32| {
        let u = |i| draw_unit(7, d as u64, Purpose::DevicePosition, i);
        Some(uniform_point(Shape::Square, 8_000.0, u(0), u(1)))
    };
    let sf_of = |d: u32| 7 + (d % 6) as u8;
    let shadow = |d: u32, g: u32| {
        let u = |i| draw_unit(7, d as u64, Purpose::Shadowing, 2 * g as u64 + i);
        (u(0), u(1))
    };
    let e = Emitter {
        position: &pos,
        tx_power_dbm: &|_| 14.0,
        shadowing: &shadow,
        floor_dbm: &|d, _| floor(sf_of(d)),
    };
    let min = (7..=12).map(floor).fold(f64::INFINITY, f64::min);
    let links = Links::build(devices, &gws, &PathLoss::URBAN, 14.0, min, &e);
    let mut frames = Vec::new();
    for d in 0..devices {
        let sf = sf_of(d);
        for k in 0..per_device {
            let u = |i| draw_unit(7, d as u64, Purpose::RadioTrial, 2 * k as u64 + i);
            let start = (u(0) * span as f64) as Time;
            let toa = Phy::lorawan(sf, 125_000).time_on_air(33);
            frames.push((start, frames.len() as u32, d, sf, (u(1) * 3.0) as u8, toa));
        }
    }
    frames.sort_unstable();
    let mut out = vec![vec![Err(Loss::BelowSensitivity); gws.len()]; frames.len()];
    let mut rxs = vec![rx; gws.len()];
    for &(start, id, d, sf, channel, toa) in &frames {
        for k in links.of(d) {
            let g = links.gateways.get(d, k) as usize;
            let h = Heard {
                frame: id,
                start,
                end: start + toa,
                channel,
                sf,
                bandwidth_hz: 125_000,
                rssi_dbm: links.rssi_dbm.get(k) as f64,
            };
            rxs[g].hear(h, c, &mut |f, r| out[f as usize][g] = r);
        }
    }
    for (g, rx) in rxs.iter_mut().enumerate() {
        rx.settle(Time::MAX, c, &mut |f, r| out[f as usize][g] = r);
    }
    out
}

// In a field dense enough that frames collide at every gateway, keeping only the links above
// each SF's floor gives every frame the same outcome at every gateway as keeping all links.
// A floor at sensitivity alone (ignoring capture) does change outcomes there.
#[test]
fn pruned_links_give_every_frame_the_outcome_of_all_links() {
    for capture in [
        Capture::orthogonal(Capture::DEFAULT_DB),
        Capture::goursaud(),
    ] {
        let c = cfg(capture);
        let all = field_outcomes(&|_| f64::NEG_INFINITY, &c);
        let pruned = field_outcomes(&|sf| c.floor_dbm(sf, 125_000), &c);
        assert!(all == pruned, "{capture:?}");
        // A receiver that keeps copies under sensitivity apart, as interference only,
        // passes the same verdicts on the others.
        let quiet = field_outcomes_at(&|_| f64::NEG_INFINITY, &c, Receiver::quiet_when_deaf());
        assert!(all == quiet, "{capture:?}: quiet receiver");
        let received = all.iter().filter(|f| f.contains(&Ok(()))).count();
        let collided = all
            .iter()
            .filter(|f| f.contains(&Err(Loss::Collision)))
            .count();
        assert!(received > 1000 && collided > 1000, "{received} {collided}");
        let naive = |sf: u8| GATEWAY_SENSITIVITY_125K[(sf - 7) as usize];
        let naive_out = field_outcomes(&naive, &c);
        let changed = (0..all.len()).filter(|&i| all[i] != naive_out[i]).count();
        assert!(
            changed > 0,
            "{capture:?}: a floor at sensitivity changed nothing"
        );
    }
}

// Each device looks only as far as its own floor needs (`Links::build`). Against a scan of
// every gateway within the reach of the lowest floor of any SF, as the links were first
// built: every device finds the same strongest link, keeps no link the scan does not, and
// misses only links whose shadowing is more than 4σ strong. The field has the density of
// `bench fleet --lorawan` (a gateway per 25 km²) with ADR on the strongest link.
#[test]
fn each_device_looks_as_far_as_its_own_floor_needs() {
    use crate::engine::{Purpose, draw_unit};
    use crate::scenario::Shape;
    let c = cfg(Capture::orthogonal(Capture::DEFAULT_DB));
    let loss = PathLoss::URBAN;
    let gws = even_points(Shape::Disc, 40_000.0, 200);
    let pos = |d: u32| {
        let u = |i| draw_unit(3, d as u64, Purpose::DevicePosition, i);
        Some(uniform_point(Shape::Disc, 40_000.0, u(0), u(1)))
    };
    let shadow = |d: u32, g: u32| {
        let u = |i| draw_unit(3, d as u64, Purpose::Shadowing, 2 * g as u64 + i);
        (u(0), u(1))
    };
    let sf_of = |best: f64| {
        (7..=12u8)
            .find(|&sf| best - c.sensitivity_dbm_at(sf, 125_000) >= 10.0)
            .unwrap_or(12)
    };
    let floor = |_: u32, best: f64| c.floor_dbm(sf_of(best), 125_000);
    let min = (7..=12)
        .map(|sf| c.floor_dbm(sf, 125_000))
        .fold(f64::INFINITY, f64::min);
    let e = Emitter {
        position: &pos,
        tx_power_dbm: &|_| 14.0,
        shadowing: &shadow,
        floor_dbm: &floor,
    };
    let devices = 20_000u32;
    let links = Links::build(devices, &gws, &loss, 14.0, min, &e);
    let far = loss.range_m(14.0 - min + 4.0 * loss.shadowing_db);
    let (mut scanned, mut missed, mut sf7) = (0, 0, 0);
    for d in 0..devices {
        let p = pos(d).unwrap();
        let all: Vec<(u32, f32, f64)> = (0..gws.len() as u32)
            .filter_map(|g| {
                let (x, y) = gws[g as usize];
                let dist = ((x - p.0).powi(2) + (y - p.1).powi(2)).sqrt();
                let (u1, u2) = shadow(d, g);
                let z = Normal::box_muller(u1, u2).value();
                let r = 14.0 - loss.mean_db(dist) - loss.shadowing_db * z;
                (dist <= far).then_some((g, r as f32, z))
            })
            .collect();
        let best = all.iter().map(|a| a.1).fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(links.best_dbm[d as usize], best, "device {d}");
        sf7 += usize::from(sf_of(best as f64) == 7);
        let f = floor(d, best as f64).max(min);
        let kept = &links.gateways.row(d, links.of(d));
        for &(g, r, z) in &all {
            let want = r as f64 >= f;
            assert!(!kept.contains(&g) || want, "device {d} gateway {g}");
            if want && !kept.contains(&g) {
                assert!(z < -4.0, "device {d} gateway {g}: z = {z}");
                missed += 1;
            }
            scanned += usize::from(want);
        }
    }
    // 4 of 363,359 links here (2 · 10⁻⁴ a device; 68 % of the devices on SF7), each under
    // its device's sensitivity (that would take shadowing more than 8σ strong at SF7).
    assert!(sf7 > devices as usize / 2, "{sf7}");
    assert!(missed * 1000 < scanned, "{missed} of {scanned}");
}
