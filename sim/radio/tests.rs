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
