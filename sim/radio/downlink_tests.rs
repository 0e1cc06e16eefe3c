use super::*;
use crate::radio::{EU868, US915};

const E: Time = 100 * NS_PER_S;

fn up(channel: u8, dr: u8) -> Uplink {
    Uplink {
        end: E,
        channel,
        dr,
    }
}

#[test]
fn eu868_windows_follow_the_uplink() {
    let mut c = RxWindows::new(&EU868);
    let w1 = c.rx1(&up(1, 5));
    assert_eq!(
        (w1.slot, w1.start, w1.mhz, w1.dr),
        (Slot::Rx1, E + NS_PER_S, 868.3, 5)
    );
    let w2 = c.rx2(&up(1, 5));
    assert_eq!(
        (w2.slot, w2.start, w2.mhz, w2.dr),
        (Slot::Rx2, E + 2 * NS_PER_S, 869.525, 0)
    );
    // RX1DROffset lowers RX1's rate, never under DR0 (RP002-1.0.4 EU863-870 RX1 table).
    c.rx1_dr_offset = 2;
    assert_eq!(c.rx1(&up(0, 5)).dr, 3);
    assert_eq!(c.rx1(&up(0, 1)).dr, 0);
}

#[test]
fn us915_windows_follow_its_regional_parameters() {
    let mut c = RxWindows::new(&US915);
    // Our channel 3 is 125 kHz channel 11: RX1 on 923.3 + 0.6 · 3 MHz.
    let w1 = c.rx1(&up(3, 0));
    assert!((w1.mhz - 925.1).abs() < 1e-9 && w1.dr == 10);
    assert_eq!(c.rx1(&up(0, 3)).dr, 13);
    assert_eq!(c.rx1(&up(0, 4)).dr, 13);
    c.rx1_dr_offset = 3;
    assert_eq!(c.rx1(&up(0, 0)).dr, 8);
    assert_eq!(c.rx1(&up(0, 4)).dr, 11);
    let w2 = c.rx2(&up(3, 0));
    assert_eq!((w2.mhz, w2.dr), (923.3, 8));
    // DR8: SF12 at 500 kHz.
    assert_eq!(c.phy(&w2).sf, 12);
    assert_eq!(c.phy(&w2).bandwidth_hz, 500_000);
}

#[test]
fn an_ack_has_no_crc_and_the_formula_airtime() {
    let c = RxWindows::new(&EU868);
    let w1 = c.rx1(&up(0, 5));
    assert!(!c.phy(&w1).crc);
    // SF7/125 kHz, 12 bytes: 8 + ⌈(96 − 28 + 28) / 28⌉ · 5 = 28 payload symbols after 12.25
    // preamble symbols of 1.024 ms.
    assert_eq!(c.airtime(&w1, ACK_PHY_BYTES), 41_216_000);
}

/// Class A: a downlink goes out only at RX1 or RX2 of an uplink, never later, and only if it
/// is at the gateway by the window's start.
#[test]
fn downlinks_only_in_rx1_or_rx2_after_an_uplink() {
    let c = RxWindows::new(&EU868);
    let tx = vec![GatewayTx::new(&EU868); 2];
    let u = up(2, 4);
    let mut seen = [0; 3];
    for k in 0..400u64 {
        let ready = E - NS_PER_S + k * 10_000_000;
        match c.earliest(&u, ACK_PHY_BYTES, ready, &[1, 0], &tx) {
            Some(d) => {
                assert_eq!(d.gateway, 1, "the first candidate");
                assert!(ready <= d.start);
                match d.window.slot {
                    Slot::Rx1 => assert_eq!((d.start, d.window.mhz), (E + NS_PER_S, 868.5)),
                    Slot::Rx2 => assert_eq!((d.start, d.window.mhz), (E + 2 * NS_PER_S, 869.525)),
                }
                seen[d.window.slot as usize] += 1;
                assert_eq!(d.end - d.start, c.airtime(&d.window, ACK_PHY_BYTES));
            }
            None => {
                assert!(ready > E + 2 * NS_PER_S);
                seen[2] += 1;
            }
        }
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
}

/// A gateway's downlink duty cycle: after an RX1 ACK on 868.1 MHz (1 %) the sub-band is closed
/// for 99 times its airtime, so the next uplink's RX1 goes to the other candidate, or to RX2
/// (869.525 MHz, its own 10 % sub-band) when there is none; the transmitter is half duplex
/// and sends one downlink at a time.
#[test]
fn gateway_duty_cycle_and_one_downlink_at_a_time() {
    let c = RxWindows::new(&EU868);
    let mut tx = vec![GatewayTx::new(&EU868); 2];
    let first = c.earliest(&up(0, 5), ACK_PHY_BYTES, 0, &[0], &tx).unwrap();
    assert_eq!(first.window.slot, Slot::Rx1);
    tx[0].reserve(&EU868, &first);
    let toa = first.end - first.start;
    // Another uplink on the same sub-band 2 s later: its RX1 falls inside the 99 · 41 ms.
    let later = Uplink {
        end: E + 2 * NS_PER_S,
        ..up(1, 5)
    };
    let d = c.earliest(&later, ACK_PHY_BYTES, 0, &[0, 1], &tx).unwrap();
    assert_eq!((d.gateway, d.window.slot), (1, Slot::Rx1));
    let d = c.earliest(&later, ACK_PHY_BYTES, 0, &[0], &tx).unwrap();
    assert_eq!((d.gateway, d.window.slot), (0, Slot::Rx2));
    // Once 100 · toa have passed since the first started, RX1 is open again.
    let reopened = Uplink {
        end: first.start + 100 * toa - NS_PER_S,
        ..up(1, 5)
    };
    let d = c.earliest(&reopened, ACK_PHY_BYTES, 0, &[0], &tx).unwrap();
    assert_eq!(d.window.slot, Slot::Rx1);
    let just_before = Uplink {
        end: reopened.end - 1,
        ..reopened
    };
    let d = c
        .earliest(&just_before, ACK_PHY_BYTES, 0, &[0], &tx)
        .unwrap();
    assert_eq!(d.window.slot, Slot::Rx2);
    // Half duplex, one TX chain: an uplink whose RX1 falls inside the first ACK's airtime.
    let overlapping = Uplink {
        end: first.start - NS_PER_S + toa / 2,
        ..up(2, 5)
    };
    let d = c
        .earliest(&overlapping, ACK_PHY_BYTES, 0, &[0], &tx)
        .unwrap();
    assert_eq!(d.window.slot, Slot::Rx2);
    assert_eq!((tx[0].sent, tx[0].airtime), (1, toa));
}

#[test]
fn retransmissions_wait_ack_timeout_after_rx2() {
    for u in [0.0, 0.5, 0.999_999] {
        let t = retransmit_at(&EU868, E, u);
        assert!((E + 3 * NS_PER_S..E + 5 * NS_PER_S).contains(&t), "{t}");
    }
    assert_eq!(retransmit_at(&EU868, E, 0.5), E + 4 * NS_PER_S);
}

#[test]
fn expected_attempts_closed_form() {
    assert_eq!(expected_attempts(0.0, 7), 1.0);
    assert_eq!(expected_attempts(1.0, 7), 8.0);
    assert!((expected_attempts(0.5, 1) - 1.5).abs() < 1e-12);
    assert!((expected_attempts(0.5, 2) - 1.75).abs() < 1e-12);
}
