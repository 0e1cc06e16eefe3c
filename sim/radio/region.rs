//! Regional parameters: data rates, payload limits, channels and regulatory sub-bands.
//!
//! Source for every figure: LoRa Alliance, *RP002-1.0.4 LoRaWAN Regional Parameters* (2022),
//! sections EU863-870 and US902-928; the EU sub-band duty cycles are those of ETSI EN 300 220-2
//! (table in annex B) as the ns-3 lorawan module configures them
//! (`helper/lorawan-mac-helper.cc`).

use crate::engine::{NS_PER_S, Time};

/// Bytes a LoRaWAN frame adds to its application payload: MHDR 1, DevAddr 4, FCtrl 1, FCnt 2,
/// FPort 1, MIC 4 (LoRaWAN L2 1.0.4, 4.3), with no MAC commands piggy-backed.
pub const MAC_OVERHEAD_BYTES: u32 = 13;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataRate {
    pub sf: u8,
    pub bandwidth_hz: u32,
    /// Largest application payload N with no FOpts.
    pub max_app_payload: u32,
}

/// A frequency range under one duty-cycle limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SubBand {
    pub low_mhz: f64,
    pub high_mhz: f64,
    /// Fraction of time a transmitter may occupy the sub-band; 1 where no limit applies.
    pub duty_cycle: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    pub name: &'static str,
    /// Indexed by data rate number.
    pub data_rates: &'static [DataRate],
    /// Channels every device may use from join on (uplink, 125 kHz).
    pub channels_mhz: &'static [f64],
    pub sub_bands: &'static [SubBand],
    pub rx2_mhz: f64,
    pub rx2_dr: u8,
    pub rx1_delay: Time,
    pub rx2_delay: Time,
    pub default_tx_power_dbm: f64,
}

const fn dr(sf: u8, khz: u32, max_app_payload: u32) -> DataRate {
    DataRate {
        sf,
        bandwidth_hz: khz * 1000,
        max_app_payload,
    }
}

const fn band(low_mhz: f64, high_mhz: f64, duty_cycle: f64) -> SubBand {
    SubBand {
        low_mhz,
        high_mhz,
        duty_cycle,
    }
}

/// RP002-1.0.4 tables 10 (data rates), 12 (default channels), 14 (max payload, repeater
/// compatible N) and 2.4.7 (RX2 869.525 MHz DR0; RECEIVE_DELAY1 1 s, RECEIVE_DELAY2 2 s);
/// default TX power 14 dBm EIRP (MaxEIRP 16 dBm, TXPower 1 = MaxEIRP − 2 dB).
pub const EU868: Region = Region {
    name: "eu868",
    data_rates: &[
        dr(12, 125, 51),
        dr(11, 125, 51),
        dr(10, 125, 51),
        dr(9, 125, 115),
        dr(8, 125, 222),
        dr(7, 125, 222),
        dr(7, 250, 222),
    ],
    channels_mhz: &[868.1, 868.3, 868.5],
    sub_bands: &[
        // ETSI EN 300 220-2 sub-bands g1 (1 %), g2 (0.1 %), g3 (10 %).
        band(868.0, 868.6, 0.01),
        band(868.7, 869.2, 0.001),
        band(869.4, 869.65, 0.1),
    ],
    rx2_mhz: 869.525,
    rx2_dr: 0,
    rx1_delay: NS_PER_S,
    rx2_delay: 2 * NS_PER_S,
    default_tx_power_dbm: 14.0,
};

/// RP002-1.0.4 US902-928: DR0–DR4 uplink (table 29), max payload N (table 35: 11, 53, 125,
/// 242, 242), the eight 125 kHz channels of sub-band 2 (902.3 + 0.2 k MHz, k = 8..15, the
/// set most public networks use), RX2 923.3 MHz DR8 (SF12/500 kHz); FCC part 15 sets no duty
/// cycle (its 400 ms dwell time is not modelled), default TX power 20 dBm.
pub const US915: Region = Region {
    name: "us915",
    data_rates: &[
        dr(10, 125, 11),
        dr(9, 125, 53),
        dr(8, 125, 125),
        dr(7, 125, 242),
        dr(8, 500, 242),
        // DR5–DR7 are reserved; DR8 is the downlink RX2 rate.
        dr(0, 0, 0),
        dr(0, 0, 0),
        dr(0, 0, 0),
        dr(12, 500, 53),
    ],
    channels_mhz: &[903.9, 904.1, 904.3, 904.5, 904.7, 904.9, 905.1, 905.3],
    sub_bands: &[band(902.0, 928.0, 1.0)],
    rx2_mhz: 923.3,
    rx2_dr: 8,
    rx1_delay: NS_PER_S,
    rx2_delay: 2 * NS_PER_S,
    default_tx_power_dbm: 20.0,
};

impl Region {
    pub fn by_name(name: &str) -> Option<&'static Region> {
        [&EU868, &US915].into_iter().find(|r| r.name == name)
    }

    /// The uplink data rate of spreading factor `sf` at `bandwidth_hz`.
    pub fn data_rate(&self, sf: u8, bandwidth_hz: u32) -> Option<u8> {
        self.data_rates
            .iter()
            .position(|d| d.sf == sf && d.bandwidth_hz == bandwidth_hz)
            .map(|i| i as u8)
    }

    /// The largest application payload any uplink data rate carries.
    pub fn max_app_payload(&self) -> u32 {
        self.data_rates
            .iter()
            .map(|d| d.max_app_payload)
            .max()
            .unwrap_or(0)
    }

    /// The sub-band holding `mhz`, if any.
    pub fn sub_band(&self, mhz: f64) -> Option<usize> {
        self.sub_bands
            .iter()
            .position(|b| b.low_mhz <= mhz && mhz <= b.high_mhz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu868_data_rates_and_limits() {
        let sfs: Vec<u8> = EU868.data_rates[..6].iter().map(|d| d.sf).collect();
        assert_eq!(sfs, [12, 11, 10, 9, 8, 7]);
        let n: Vec<u32> = EU868.data_rates[..6]
            .iter()
            .map(|d| d.max_app_payload)
            .collect();
        assert_eq!(n, [51, 51, 51, 115, 222, 222]);
        // DR3 is SF9: the meters scenario once called SF7 "DR3".
        assert_eq!(EU868.data_rate(9, 125_000), Some(3));
        assert_eq!(EU868.data_rate(7, 125_000), Some(5));
        assert_eq!(EU868.data_rate(7, 250_000), Some(6));
        assert_eq!(EU868.data_rate(13, 125_000), None);
    }

    #[test]
    fn eu868_default_channels_share_the_one_percent_sub_band() {
        for &f in EU868.channels_mhz {
            assert_eq!(EU868.sub_band(f), Some(0));
        }
        assert_eq!(EU868.sub_bands[0].duty_cycle, 0.01);
        let rx2 = EU868.sub_band(EU868.rx2_mhz).unwrap();
        assert_eq!(EU868.sub_bands[rx2].duty_cycle, 0.1);
    }
}
