//! The radio link: log-distance path loss with log-normal shadowing, receiver sensitivity per
//! spreading factor, noise floor and SNR.

/// Log-distance path loss, PL(d) = PL(d0) + 10 n log10(d / d0) + X_σ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathLoss {
    pub exponent: f64,
    pub reference_loss_db: f64,
    pub reference_m: f64,
    /// Standard deviation of the log-normal shadowing X_σ, one draw per device–gateway link
    /// (devices do not move, so the obstruction between them does not change).
    pub shadowing_db: f64,
}

impl PathLoss {
    /// Urban defaults of the ns-3 lorawan module's examples (exponent 3.76, 7.7 dB at 1 m;
    /// D. Magrin, M. Centenaro, L. Vangelista, "Performance evaluation of LoRa networks in a
    /// smart city scenario", IEEE ICC 2017), with the 3.57 dB shadowing measured by M. Bor et
    /// al., "Do LoRa low-power wide-area networks scale?", ACM MSWiM 2016 (LoRaSim).
    pub const URBAN: PathLoss = PathLoss {
        exponent: 3.76,
        reference_loss_db: 7.7,
        reference_m: 1.0,
        shadowing_db: 3.57,
    };

    /// Mean loss at `distance_m`; distances inside the reference distance count as it.
    pub fn mean_db(&self, distance_m: f64) -> f64 {
        let d = distance_m.max(self.reference_m);
        self.reference_loss_db + 10.0 * self.exponent * (d / self.reference_m).log10()
    }

    /// The distance at which the mean loss reaches `loss_db`.
    pub fn range_m(&self, loss_db: f64) -> f64 {
        self.reference_m * 10f64.powf((loss_db - self.reference_loss_db) / (10.0 * self.exponent))
    }
}

/// A standard normal variate from two uniforms in (0, 1) (Box–Muller, cosine branch).
pub fn standard_normal(u1: f64, u2: f64) -> f64 {
    Normal::box_muller(u1, u2).value()
}

/// A standard normal variate in Box–Muller's polar form, z = radius · cos(2π turn): the
/// radius alone bounds |z|, so a caller that only needs to know whether z can pass a line
/// skips the cosine for draws that cannot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normal {
    pub radius: f64,
    pub turn: f64,
}

impl Normal {
    pub fn box_muller(u1: f64, u2: f64) -> Normal {
        Normal {
            radius: (-2.0 * u1.ln()).sqrt(),
            turn: u2,
        }
    }

    /// Exactly `z`: `turn` 0 gives `radius`, `turn` 0.5 gives `−radius`.
    pub fn of(z: f64) -> Normal {
        Normal {
            radius: z.abs(),
            turn: if z < 0.0 { 0.5 } else { 0.0 },
        }
    }

    pub fn value(self) -> f64 {
        self.radius * (std::f64::consts::TAU * self.turn).cos()
    }
}

/// Gateway sensitivity at 125 kHz for SF7..SF12, dBm: Semtech SX1301 datasheet (table 3-2),
/// as used by the ns-3 lorawan module (`model/gateway-lora-phy.cc`).
pub const GATEWAY_SENSITIVITY_125K: [f64; 6] = [-130.0, -132.5, -135.0, -137.5, -140.0, -142.5];

/// Device (downlink) sensitivity at 125 kHz for SF7..SF12, dBm: Semtech SX1272 datasheet,
/// as used by the ns-3 lorawan module (`model/end-device-lora-phy.cc`).
pub const DEVICE_SENSITIVITY_125K: [f64; 6] = [-124.0, -127.0, -130.0, -133.0, -135.0, -137.0];

/// SNR a demodulator needs for SF7..SF12, dB (Semtech SX1276 datasheet, table 13).
pub const REQUIRED_SNR_DB: [f64; 6] = [-7.5, -10.0, -12.5, -15.0, -17.5, -20.0];

/// Receiver noise figure, dB (the 6 dB of Semtech AN1200.22 and LoRaSim).
pub const NOISE_FIGURE_DB: f64 = 6.0;

/// Sensitivity at `bandwidth_hz` from a 125 kHz table: the noise floor, and with it the
/// sensitivity, rises by 10 log10(BW / 125 kHz).
pub fn sensitivity_dbm(table_125k: &[f64; 6], sf: u8, bandwidth_hz: u32) -> f64 {
    table_125k[(sf - 7) as usize] + 10.0 * (bandwidth_hz as f64 / 125_000.0).log10()
}

/// Thermal noise over the bandwidth plus the noise figure: −174 dBm/Hz + 10 log10(BW) + NF.
pub fn noise_floor_dbm(bandwidth_hz: u32) -> f64 {
    -174.0 + 10.0 * (bandwidth_hz as f64).log10() + NOISE_FIGURE_DB
}

pub fn snr_db(rssi_dbm: f64, bandwidth_hz: u32) -> f64 {
    rssi_dbm - noise_floor_dbm(bandwidth_hz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_distance_loss_and_its_inverse() {
        let p = PathLoss::URBAN;
        // 7.7 + 37.6 · 3 at 1 km.
        assert!((p.mean_db(1000.0) - 120.5).abs() < 1e-9);
        assert!((p.range_m(120.5) - 1000.0).abs() < 1e-6);
        assert_eq!(p.mean_db(0.1), p.reference_loss_db);
    }

    #[test]
    fn sensitivity_follows_the_noise_floor() {
        // The datasheet's required SNR above the 6 dB noise-figure floor gives the device
        // table within a dB and a half.
        for sf in 7..=12u8 {
            let from_snr = noise_floor_dbm(125_000) + REQUIRED_SNR_DB[(sf - 7) as usize];
            let table = sensitivity_dbm(&DEVICE_SENSITIVITY_125K, sf, 125_000);
            assert!(
                (from_snr - table).abs() <= 1.5,
                "SF{sf}: {from_snr} vs {table}"
            );
        }
        let wide = sensitivity_dbm(&GATEWAY_SENSITIVITY_125K, 7, 250_000);
        assert!((wide - (-130.0 + 3.0103)).abs() < 1e-3);
    }

    #[test]
    fn box_muller_has_unit_variance() {
        let n = 20_000;
        let mut s = (0.0, 0.0);
        for i in 0..n {
            let u1 = (i as f64 + 0.5) / n as f64;
            let u2 = ((i * 7919) % n) as f64 / n as f64 + 0.5 / n as f64;
            let z = standard_normal(u1, u2);
            s.0 += z;
            s.1 += z * z;
        }
        assert!((s.0 / n as f64).abs() < 0.05);
        assert!((s.1 / n as f64 - 1.0).abs() < 0.05);
    }

    #[test]
    fn a_normal_is_bounded_by_its_radius_and_of_gives_back_its_value() {
        for z in [-3.25, -1.0, -0.0, 0.0, 0.7, 4.5] {
            assert_eq!(Normal::of(z).value(), z);
        }
        for i in 1..200 {
            let n = Normal::box_muller(i as f64 / 200.0, (i * 37 % 200) as f64 / 200.0);
            assert!(n.value().abs() <= n.radius);
        }
    }
}
