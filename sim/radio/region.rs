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

/// The spreading factors of LoRa modulation that LoRaWAN uses: SF7 to SF12 (RP002-1.0.4, the
/// data rate tables of every region; Semtech SX1276 datasheet 4.1.1.2).
pub const SF_MIN: u8 = 7;
pub const SF_MAX: u8 = 12;

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

/// Where and how fast RX1 answers an uplink.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rx1Rule {
    /// On the uplink's channel at DR − RX1DROffset, never under DR0 (EU863-870).
    SameChannel,
    /// US902-928: uplink channel k (125 kHz channel `first_channel` + our index) answered on
    /// 923.3 + 0.6 · (k mod 8) MHz at DR min(10 + DR − RX1DROffset, 13), never under DR8.
    Us915 { first_channel: u8 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    pub name: &'static str,
    /// Indexed by data rate number.
    pub data_rates: &'static [DataRate],
    /// Channels every device may use from join on (uplink, 125 kHz).
    pub channels_mhz: &'static [f64],
    pub sub_bands: &'static [SubBand],
    /// Data rates an uplink may use on the default channels: DR0..=this.
    pub max_uplink_dr: u8,
    pub rx1: Rx1Rule,
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
    // DR6 (SF7/250 kHz) is defined but not on the three default channels (RP002-1.0.4, EU863-870
    // default channels: DR0 to DR5).
    max_uplink_dr: 5,
    rx1: Rx1Rule::SameChannel,
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
        // DR5–DR7 are reserved; DR8–DR13 are downlink rates (SF12..SF7 at 500 kHz), DR8 the
        // RX2 rate; their N from the same table (53, 129, 242 ×4).
        dr(0, 0, 0),
        dr(0, 0, 0),
        dr(0, 0, 0),
        dr(12, 500, 53),
        dr(11, 500, 129),
        dr(10, 500, 242),
        dr(9, 500, 242),
        dr(8, 500, 242),
        dr(7, 500, 242),
    ],
    channels_mhz: &[903.9, 904.1, 904.3, 904.5, 904.7, 904.9, 905.1, 905.3],
    sub_bands: &[band(902.0, 928.0, 1.0)],
    max_uplink_dr: 4,
    rx1: Rx1Rule::Us915 { first_channel: 8 },
    rx2_mhz: 923.3,
    rx2_dr: 8,
    rx1_delay: NS_PER_S,
    rx2_delay: 2 * NS_PER_S,
    default_tx_power_dbm: 20.0,
};

/// Every region a scenario may name.
pub const REGIONS: [&Region; 2] = [&EU868, &US915];
/// Their names, as scenarios write them.
pub const REGION_NAMES: [&str; 2] = [EU868.name, US915.name];

impl Region {
    pub fn by_name(name: &str) -> Option<&'static Region> {
        REGIONS.into_iter().find(|r| r.name == name)
    }

    /// The data rates an uplink may use on the region's default channels.
    pub fn uplink_rates(&self) -> &'static [DataRate] {
        &self.data_rates[..=self.max_uplink_dr as usize]
    }

    /// The uplink data rate of spreading factor `sf` at `bandwidth_hz`.
    pub fn data_rate(&self, sf: u8, bandwidth_hz: u32) -> Option<u8> {
        self.uplink_rates()
            .iter()
            .position(|d| d.sf == sf && d.bandwidth_hz == bandwidth_hz)
            .map(|i| i as u8)
    }

    /// RX1's frequency and data rate for an uplink on channel index `channel` at `dr`.
    pub fn rx1(&self, channel: u8, dr: u8, offset: u8) -> (f64, u8) {
        match self.rx1 {
            Rx1Rule::SameChannel => (
                self.channels_mhz[channel as usize],
                dr.saturating_sub(offset),
            ),
            Rx1Rule::Us915 { first_channel } => {
                let k = (first_channel + channel) % 8;
                let dr = (10 + dr as i32 - offset as i32).clamp(8, 13) as u8;
                (923.3 + 0.6 * k as f64, dr)
            }
        }
    }

    /// The largest application payload any uplink data rate carries.
    pub fn max_app_payload(&self) -> u32 {
        self.uplink_rates()
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
        // DR6 exists (SF7/250 kHz) but not on the default channels an uplink uses here.
        assert_eq!(EU868.data_rates[6].bandwidth_hz, 250_000);
        assert_eq!(EU868.data_rate(7, 250_000), None);
        assert_eq!(US915.data_rate(8, 500_000), Some(4));
        assert_eq!(US915.data_rate(10, 500_000), None);
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
