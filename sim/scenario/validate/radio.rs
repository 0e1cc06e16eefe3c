//! Checks of the radio sections: a group's `radio` and the service `area`.

use super::{Checker, Lower::*, Num, Quoted, Upper};
use crate::radio::Region;
use crate::radio::cellular::Rat;
use crate::radio::{REGION_NAMES, SF_MAX, SF_MIN};
use crate::scenario::{Area, DeviceGroup, Lorawan, Placement, Radio, Sf, Shape};

/// Wider than any city or region a LoRaWAN network covers (1,000 km).
pub(super) const MAX_AREA_M: f64 = 1e6;
/// SX1276 programmable preamble length (datasheet 4.1.1.6).
pub(super) const PREAMBLE: (u32, u32) = (6, 65_535);
/// Transmit powers of LoRa radios span about −4 dBm (SX1276 RFO) to +30 dBm (US915 max EIRP).
pub(super) const TX_POWER_DBM: (f64, f64) = (-10.0, 30.0);
pub(super) const MAX_DEMODULATORS: u32 = 64;
pub(super) const CODING_RATES: [&str; 4] = ["4/5", "4/6", "4/7", "4/8"];
/// NbTrans is a 4-bit field of 1 to 15 transmissions (LoRaWAN L2 1.0.4, 5.3 LinkADRReq).
pub(super) const MAX_RETRANSMISSIONS: u32 = 14;
/// ADR chooses among the 125 kHz data rates (RP002-1.0.4: the ADR data rates of EU868 and
/// US915 are all 125 kHz but US915 DR4), so `sf: adr` needs this bandwidth.
pub(super) const ADR_BANDWIDTH_KHZ: u32 = 125;

impl Checker<'_> {
    pub(super) fn radio(&mut self, p: &str, group: &DeviceGroup) {
        if let Some(r) = &group.receipts {
            self.receipts(p, r, group.radio.is_some());
        }
        let l = match &group.radio {
            Some(Radio::Lorawan(l)) => l,
            Some(Radio::Nbiot(c)) => return self.cellular(&format!("{p}.radio"), Rat::NbIot, c),
            Some(Radio::Ltem(c)) => return self.cellular(&format!("{p}.radio"), Rat::LteM, c),
            None => return,
        };
        let p = format!("{p}.radio");
        let region = Region::by_name(&l.region);
        if region.is_none() {
            self.report(
                &format!("{p}.region"),
                Quoted(&l.region),
                format!("must be {}", REGION_NAMES.join(" or ")),
            );
        }
        let sfs = u32::from(SF_MIN)..=u32::from(SF_MAX);
        let sf_allowed = format!("must be {SF_MIN}..{SF_MAX} or adr");
        let sf = match &l.sf {
            Sf::Fixed(sf) if sfs.contains(sf) => Some(Some(*sf as u8)),
            Sf::Mode(m) if m == "adr" => Some(None),
            Sf::Fixed(sf) => {
                self.report(&format!("{p}.sf"), sf, sf_allowed);
                None
            }
            Sf::Mode(m) => {
                self.report(&format!("{p}.sf"), Quoted(m), sf_allowed);
                None
            }
        };
        if !CODING_RATES.contains(&l.coding_rate.as_str()) {
            self.report(
                &format!("{p}.coding_rate"),
                Quoted(&l.coding_rate),
                "must be 4/5, 4/6, 4/7 or 4/8",
            );
        }
        let (lo, hi) = TX_POWER_DBM;
        if self.finite(&format!("{p}.tx_power_dbm"), l.tx_power_dbm)
            && !(lo..=hi).contains(&l.tx_power_dbm)
        {
            self.report(
                &format!("{p}.tx_power_dbm"),
                Num(l.tx_power_dbm),
                format!("must be >= {lo} and <= {hi}"),
            );
        }
        if !(PREAMBLE.0..=PREAMBLE.1).contains(&l.preamble) {
            self.report(
                &format!("{p}.preamble"),
                l.preamble,
                format!("must be >= {} and <= {} symbols", PREAMBLE.0, PREAMBLE.1),
            );
        }
        self.range(
            &format!("{p}.adr_margin_db"),
            l.adr_margin_db,
            NonNeg,
            Some(Upper(50.0, "")),
        );
        if let Some(dc) = l.duty_cycle {
            self.range(&format!("{p}.duty_cycle"), dc, Pos, Some(Upper(1.0, "")));
        }
        if l.retransmissions > MAX_RETRANSMISSIONS {
            self.report(
                &format!("{p}.retransmissions"),
                l.retransmissions,
                format!("must be <= {MAX_RETRANSMISSIONS} (NbTrans: at most 15 transmissions)"),
            );
        }
        if let (Some(region), Some(sf)) = (region, sf) {
            // A padded transaction must fit as the radio sends it.
            let field = if group.wire_bytes() > group.tx_bytes {
                "mitigation.pad_to_bytes"
            } else {
                "tx_bytes"
            };
            self.data_rate(&p, region, sf, l, (group.wire_bytes(), field));
        }
    }

    /// The SF and bandwidth must name one of the region's data rates, and one reading must fit
    /// the application payload of that data rate (of some data rate, with ADR).
    fn data_rate(
        &mut self,
        p: &str,
        region: &Region,
        sf: Option<u8>,
        l: &Lorawan,
        (bytes, field): (u32, &str),
    ) {
        let bw = l.bandwidth_khz.saturating_mul(1000);
        let Some(sf) = sf else {
            if l.bandwidth_khz != ADR_BANDWIDTH_KHZ {
                self.report(
                    &format!("{p}.bandwidth_khz"),
                    l.bandwidth_khz,
                    format!(
                        "must be {ADR_BANDWIDTH_KHZ} with sf: adr (ADR chooses among the \
                         {ADR_BANDWIDTH_KHZ} kHz data rates)"
                    ),
                );
            }
            let max = region.max_app_payload();
            if bytes > max {
                self.report(
                    &format!("{}.{field}", p.trim_end_matches(".radio")),
                    bytes,
                    format!(
                        "must be <= {max}, the largest application payload of any {} data rate",
                        region.name
                    ),
                );
            }
            return;
        };
        let Some(dr) = region.data_rate(sf, bw) else {
            let allowed: Vec<String> = region
                .uplink_rates()
                .iter()
                .filter(|d| d.sf == sf)
                .map(|d| (d.bandwidth_hz / 1000).to_string())
                .collect();
            if allowed.is_empty() {
                let mut sfs: Vec<u8> = region
                    .uplink_rates()
                    .iter()
                    .filter(|d| d.bandwidth_hz > 0)
                    .map(|d| d.sf)
                    .collect();
                sfs.sort_unstable();
                sfs.dedup();
                let sfs: Vec<String> = sfs.iter().map(u8::to_string).collect();
                self.report(
                    &format!("{p}.sf"),
                    sf,
                    format!(
                        "must be one of [{}]: the uplink SFs of {}",
                        sfs.join(", "),
                        region.name
                    ),
                );
                return;
            }
            // EU868 DR6 (SF7/250 kHz) exists, but not on the default channels.
            self.report(
                &format!("{p}.bandwidth_khz"),
                l.bandwidth_khz,
                format!(
                    "must be one of [{}] for SF{sf} on the default channels of {}",
                    allowed.join(", "),
                    region.name
                ),
            );
            return;
        };
        let max = region.data_rates[dr as usize].max_app_payload;
        if bytes > max {
            self.report(
                &format!("{}.{field}", p.trim_end_matches(".radio")),
                bytes,
                format!(
                    "must be <= {max}, the application payload of {} DR{dr} (SF{sf}/{} kHz)",
                    region.name, l.bandwidth_khz
                ),
            );
        }
    }

    /// Listed gateways: at least one, as many as `gateways.count`, each inside the area.
    fn listed_gateways(&mut self, a: &Area, gateways: u64) {
        let listed = &a.gateway_coordinates;
        let (path, source) = match &a.gateways_csv {
            Some(f) => ("area.gateways_csv", format!("{f:?}")),
            None => ("area.gateway_coordinates", "[]".to_string()),
        };
        if a.gateways != Placement::Listed {
            if !listed.is_empty() || a.gateways_csv.is_some() {
                self.report(path, source, "needs area.gateways: listed");
            }
            return;
        }
        if listed.is_empty() {
            self.report(
                path,
                source,
                "must list at least one gateway (CSV rows x_m,y_m after the header)",
            );
            return;
        }
        if listed.len() as u64 != gateways {
            self.report(
                "gateways.count",
                gateways,
                format!("must equal the {} gateways listed in {path}", listed.len()),
            );
        }
        if a.size_m.is_finite()
            && let Some(i) = listed.iter().position(|&p| !a.contains(p))
        {
            let [x, y] = listed[i];
            let shape = match a.shape {
                Shape::Disc => format!("disc of radius {} m", Num(a.size_m)),
                Shape::Square => format!("square of side {} m", Num(a.size_m)),
            };
            let allowed =
                format!("every gateway must lie inside the area ({shape} centred on 0, 0)");
            match &a.gateways_csv {
                // Row 1 is the header.
                Some(_) => self.report(
                    path,
                    format!("{source} row {}: ({}, {})", i + 2, Num(x), Num(y)),
                    allowed,
                ),
                None => self.report(
                    &format!("{path}[{i}]"),
                    format!("[{}, {}]", Num(x), Num(y)),
                    allowed,
                ),
            }
        }
    }

    pub(super) fn area(&mut self, area: Option<&Area>, groups: &[DeviceGroup], gateways: u64) {
        let Some(a) = area else {
            if let Some(i) = groups
                .iter()
                .position(|g| matches!(g.radio, Some(Radio::Lorawan(_))))
            {
                self.report(
                    "area",
                    "absent",
                    format!("must be given when a group has a lorawan radio (devices[{i}])"),
                );
            }
            return;
        };
        // Gateways send downlinks under one region's sub-bands.
        let mut regions = groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| match &g.radio {
                Some(Radio::Lorawan(l)) => Some((i, &l.region)),
                _ => None,
            });
        if let Some((_, first)) = regions.next()
            && let Some((i, other)) = regions.find(|(_, r)| *r != first)
        {
            self.report(
                &format!("devices[{i}].radio.region"),
                Quoted(other),
                format!("must be {first}, the region of the other lorawan groups: gateways serve one region"),
            );
        }
        self.range("area.size_m", a.size_m, Pos, Some(Upper(MAX_AREA_M, "")));
        let pl = &a.path_loss;
        self.range(
            "area.path_loss.exponent",
            pl.exponent,
            Pos,
            Some(Upper(10.0, "")),
        );
        self.range(
            "area.path_loss.reference_loss_db",
            pl.reference_loss_db,
            NonNeg,
            Some(Upper(200.0, "")),
        );
        self.range(
            "area.path_loss.reference_m",
            pl.reference_m,
            Pos,
            Some(Upper(MAX_AREA_M, "")),
        );
        self.range(
            "area.path_loss.shadowing_db",
            pl.shadowing_db,
            NonNeg,
            Some(Upper(30.0, "")),
        );
        if self.finite("area.capture_db", a.capture_db) && a.capture_db.abs() > 50.0 {
            self.report(
                "area.capture_db",
                Num(a.capture_db),
                "must be >= -50 and <= 50",
            );
        }
        self.listed_gateways(a, gateways);
        if !(1..=MAX_DEMODULATORS).contains(&a.demodulators) {
            self.report(
                "area.demodulators",
                a.demodulators,
                format!("must be >= 1 and <= {MAX_DEMODULATORS}"),
            );
        }
    }
}
