//! LoRa time on air, by the closed form of the Semtech SX1272/76 datasheet (section 4.1.1.7)
//! and the LoRa Modem Designer's Guide AN1200.13, in integer nanoseconds.
//!
//! Every symbol time 2^SF / BW is a whole number of nanoseconds for 125, 250 and 500 kHz
//! (and a multiple of 4 ns from SF7 up, so the preamble's quarter symbol is exact too): the
//! result is exact, never rounded, and can order events.

use crate::engine::Time;

/// The parameters of one LoRa transmission that set its duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phy {
    /// Spreading factor, 7 to 12.
    pub sf: u8,
    pub bandwidth_hz: u32,
    /// Coding rate 4/(4 + cr), cr in 1..=4.
    pub cr: u8,
    pub preamble: u16,
    /// LoRaWAN uplinks use the explicit header and a payload CRC (LoRaWAN L2 1.0.4, 4.1).
    pub explicit_header: bool,
    pub crc: bool,
}

impl Phy {
    /// A LoRaWAN uplink: explicit header, CRC on, 8 preamble symbols, coding rate 4/5
    /// (LoRaWAN Regional Parameters RP002-1.0.4, EU863-870 "preamble 8 symbols, CR 4/5").
    pub fn lorawan(sf: u8, bandwidth_hz: u32) -> Self {
        Phy {
            sf,
            bandwidth_hz,
            cr: 1,
            preamble: 8,
            explicit_header: true,
            crc: true,
        }
    }

    /// Low-data-rate optimisation, mandated when a symbol lasts 16 ms or more (SX1276
    /// datasheet 4.1.1.6): SF11 and SF12 at 125 kHz.
    pub fn low_data_rate(&self) -> bool {
        self.symbol_ns() >= 16_000_000
    }

    /// 2^SF / BW.
    pub fn symbol_ns(&self) -> Time {
        (1_000_000_000u64 << self.sf) / self.bandwidth_hz as u64
    }

    /// Symbols after the preamble: 8 + max(⌈(8 PL − 4 SF + 28 + 16 CRC − 20 IH) /
    /// (4 (SF − 2 DE))⌉ (CR + 4), 0).
    pub fn payload_symbols(&self, phy_payload_bytes: u32) -> u64 {
        let sf = self.sf as i64;
        let de = self.low_data_rate() as i64;
        let num = 8 * phy_payload_bytes as i64 - 4 * sf + 28 + 16 * self.crc as i64
            - 20 * (!self.explicit_header) as i64;
        let den = 4 * (sf - 2 * de);
        let blocks = if num > 0 { (num + den - 1) / den } else { 0 };
        8 + (blocks * (self.cr as i64 + 4)) as u64
    }

    /// Time on air of a frame whose PHY payload (MAC header, frame header, port, application
    /// payload and MIC) is `phy_payload_bytes` long: (n_preamble + 4.25) symbols, then the
    /// payload symbols.
    pub fn time_on_air(&self, phy_payload_bytes: u32) -> Time {
        let t = self.symbol_ns();
        // (n + 4.25) T = (4n + 17) T / 4, exact since T is a multiple of 4 ns from SF7 up.
        (4 * self.preamble as u64 + 17) * t / 4 + self.payload_symbols(phy_payload_bytes) * t
    }
}

#[cfg(test)]
mod tests {
    use super::Phy;
    use crate::validation::radio::T25;

    #[test]
    fn time_on_air_matches_target_t25() {
        // PL = application payload + 13 bytes of LoRaWAN overhead; values in ms, the target's.
        for (pl, ms) in T25 {
            for (i, &expected) in ms.iter().enumerate() {
                let phy = Phy::lorawan(7 + i as u8, 125_000);
                let got = phy.time_on_air(pl);
                assert_eq!(got, (expected * 1e6).round() as u64, "SF{} PL {pl}", phy.sf);
            }
        }
    }

    #[test]
    fn low_data_rate_only_for_long_symbols() {
        let on: Vec<u8> = (7..=12)
            .filter(|&sf| Phy::lorawan(sf, 125_000).low_data_rate())
            .collect();
        assert_eq!(on, [11, 12]);
        // 16.384 ms at SF12/250 kHz is still over the line; 8.192 ms at SF11/250 kHz is not.
        assert!(Phy::lorawan(12, 250_000).low_data_rate());
        assert!(!Phy::lorawan(11, 250_000).low_data_rate());
    }

    // SF7 at 250 kHz (EU868 DR6) takes half the SF7/125 kHz symbol time, so half the airtime.
    #[test]
    fn doubling_bandwidth_halves_airtime() {
        let a = Phy::lorawan(7, 125_000).time_on_air(23);
        let b = Phy::lorawan(7, 250_000).time_on_air(23);
        assert_eq!(a, 2 * b);
    }
}
