//! The regulatory duty cycle: after a frame of time on air T on a sub-band whose limit is dc,
//! the transmitter stays off that sub-band for T (1/dc − 1) (ETSI EN 300 220-2, 7.10; the
//! off-time rule of RP002-1.0.4, EU863-870 "duty cycle"), so its frames start at least T/dc
//! apart. Computed from each frame's end, never by ticking.

use crate::engine::Time;

/// How long the sub-band stays closed after a frame of `toa`.
pub fn off_time(toa: Time, duty_cycle: f64) -> Time {
    if duty_cycle >= 1.0 {
        return 0;
    }
    (toa as f64 * (1.0 / duty_cycle - 1.0)).ceil() as Time
}

/// When a transmitter may next use a sub-band, given the frame it just started.
pub fn next_free(start: Time, toa: Time, duty_cycle: f64) -> Time {
    start + toa + off_time(toa, duty_cycle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radio::{EU868, MAC_OVERHEAD_BYTES, Phy};

    /// T27: frames a saturated device starts within one hour on the 1 % sub-band, app 10 B,
    /// ±1 for the hour's boundary; the expected values are the target's.
    #[test]
    fn saturated_device_meets_target_t27() {
        use crate::validation::radio::{T27, saturated_frames_per_hour};
        for (i, &want) in T27.iter().enumerate() {
            let got = saturated_frames_per_hour(7 + i as u8, 10);
            assert!(got.abs_diff(want) <= 1, "SF{}: {got} vs {want}", 7 + i);
        }
        // The rule itself: frames start T/dc apart.
        let toa = Phy::lorawan(7, 125_000).time_on_air(10 + MAC_OVERHEAD_BYTES);
        assert_eq!(
            next_free(5, toa, EU868.sub_bands[0].duty_cycle),
            5 + 100 * toa
        );
    }

    #[test]
    fn no_limit_means_no_off_time() {
        assert_eq!(off_time(1_000, 1.0), 0);
        assert_eq!(off_time(1_000, 0.01), 99_000);
        assert_eq!(off_time(1_000, 0.1), 9_000);
    }
}
