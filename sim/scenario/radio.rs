//! The radio sections of a scenario: a device group's `radio` (LoRaWAN, NB-IoT or LTE-M), its
//! settlement `receipts`, and the service `area` where LoRaWAN devices and gateways stand.

use serde::{Deserialize, Serialize};

use super::tagged::tagged_enum;

tagged_enum! {
    tag = "model", twin = RadioTwin as "Radio";
    /// The access network of a device group; absent, the group uses its `uplink` (a constant
    /// latency and bandwidth).
    #[derive(Clone, Debug, PartialEq)]
    pub enum Radio {
        Lorawan(Lorawan),
        Nbiot(CellularRadio),
        Ltem(CellularRadio),
    }
}

/// NB-IoT or LTE-M: the device wakes when it has something to send, connects through its
/// cell (a gateway of `kind: cell`), sends, lingers for the RRC inactivity timer, stays
/// reachable by paging for T3324 and then sleeps in PSM. Defaults and their sources are in
/// [`crate::radio::cellular`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CellularRadio {
    /// Power saving mode; absent, the device stays idle (paged) between uplinks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psm: Option<Psm>,
    /// Extended DRX in idle mode; absent, the device is paged every `drx_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edrx: Option<Edrx>,
    /// Idle-mode paging cycle, seconds; default 2.56.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drx_s: Option<f64>,
    /// RRC inactivity timer, seconds; default 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivity_s: Option<f64>,
    /// Random access + RRC connection setup on each wake, ms; default by model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_ms: Option<f64>,
    /// Device peak rates, bit/s; defaults by model (UE category NB1 or M1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uplink_bps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downlink_bps: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Psm {
    /// Active timer: how long the device stays reachable by paging after each release.
    pub t3324_s: f64,
    /// Periodic tracking-area update timer; default 54 min (TS 24.301 Table 10.2.1).
    #[serde(default = "default_t3412_s")]
    pub t3412_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edrx {
    /// One of the standard eDRX cycles of the model (TS 24.008 Table 10.5.5.32).
    pub cycle_s: f64,
    /// Paging time window; default one step (1.28 s LTE-M, 2.56 s NB-IoT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptw_s: Option<f64>,
}

fn default_t3412_s() -> f64 {
    crate::radio::cellular::DEFAULT_T3412_S
}

/// Receipts of settlement sent back to each device of a group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipts {
    /// The receipt itself (transaction id, block reference, signature), bytes.
    #[serde(default = "default_receipt_bytes")]
    pub size_bytes: u32,
    /// `merkle` adds an inclusion proof of 32 bytes per level: ⌈log₂ n⌉ for a block of n
    /// transactions.
    #[serde(default)]
    pub proof: Proof,
    /// At most this many receipts per device per day (UTC days of simulated time); the rest
    /// are dropped with reason `receipt_quota`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_per_day: Option<u32>,
}

/// A 32-byte transaction id, an 8-byte block height and a 64-byte signature.
fn default_receipt_bytes() -> u32 {
    104
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Proof {
    #[default]
    None,
    Merkle,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lorawan {
    /// Regional parameters: `eu868` or `us915`.
    #[serde(default = "default_region")]
    pub region: String,
    /// A spreading factor 7..12 for every device, or `adr`: each device takes the lowest SF
    /// whose link margin at its best gateway clears `adr_margin_db`.
    #[serde(default)]
    pub sf: Sf,
    #[serde(default = "default_bandwidth_khz")]
    pub bandwidth_khz: u32,
    /// `4/5` to `4/8`.
    #[serde(default = "default_coding_rate")]
    pub coding_rate: String,
    /// 14 dBm: the EU868 default (RP002-1.0.4, MaxEIRP 16 dBm − 2 dB).
    #[serde(default = "default_tx_power_dbm")]
    pub tx_power_dbm: f64,
    /// Preamble symbols; 8 in LoRaWAN (RP002-1.0.4).
    #[serde(default = "default_preamble")]
    pub preamble: u32,
    /// The installation margin of ADR: 10 dB, Semtech's recommended LoRaWAN ADR algorithm
    /// ("margin_db", LoRaWAN network server reference, 2016).
    #[serde(default = "default_adr_margin_db")]
    pub adr_margin_db: f64,
    /// Overrides the region's duty cycle of the uplink sub-band (EU868: 1 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty_cycle: Option<f64>,
    /// Confirmed uplinks: the network server acknowledges each frame in RX1 or RX2, and a
    /// frame without an ACK is sent again, up to `retransmissions` more times.
    #[serde(default)]
    pub confirmed: bool,
    /// Repeats of an unacknowledged confirmed frame: 7, from the "recommended 8 transmissions"
    /// of the LoRaWAN Specification 1.0.3 (p. 65, retransmission strategy for confirmed
    /// frames).
    #[serde(default = "default_retransmissions")]
    pub retransmissions: u32,
}

fn default_retransmissions() -> u32 {
    7
}

/// A spreading factor or `adr`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Sf {
    Fixed(u32),
    Mode(String),
}

/// A visitor rather than serde's untagged enum, whose buffering drops the path and line and
/// turns every mistake into "data did not match any variant".
impl<'de> Deserialize<'de> for Sf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SfVisitor;
        impl serde::de::Visitor<'_> for SfVisitor {
            type Value = Sf;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a spreading factor (a whole number) or `adr`")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Sf, E> {
                u32::try_from(v)
                    .map(Sf::Fixed)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sf, E> {
                Ok(Sf::Mode(v.to_string()))
            }
        }
        d.deserialize_any(SfVisitor)
    }
}

impl Default for Sf {
    fn default() -> Self {
        Sf::Mode("adr".into())
    }
}

fn default_region() -> String {
    "eu868".into()
}
fn default_bandwidth_khz() -> u32 {
    125
}
fn default_coding_rate() -> String {
    "4/5".into()
}
fn default_tx_power_dbm() -> f64 {
    14.0
}
fn default_preamble() -> u32 {
    8
}
fn default_adr_margin_db() -> f64 {
    10.0
}

/// Where radio devices and gateways stand, and how signals fade between them. Devices are
/// uniform over the area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub shape: Shape,
    /// The disc's radius or the square's side.
    pub size_m: f64,
    #[serde(default)]
    pub gateways: Placement,
    /// With `gateways: listed`, a CSV file of gateway positions (header `x_m,y_m`, metres
    /// from the area's centre), relative to the scenario file; read into
    /// `gateway_coordinates` when the scenario is loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateways_csv: Option<String>,
    /// With `gateways: listed`, each gateway's `[x_m, y_m]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateway_coordinates: Vec<[f64; 2]>,
    #[serde(default)]
    pub path_loss: PathLossParams,
    /// A frame survives co-SF interference this far below it (6 dB: Bor et al., MSWiM 2016;
    /// ns-3 lorawan).
    #[serde(default = "default_capture_db")]
    pub capture_db: f64,
    #[serde(default)]
    pub inter_sf: InterSf,
    /// Demodulator paths per gateway: 8 on an SX1301 (SX1301 datasheet, 1.1).
    #[serde(default = "default_demodulators")]
    pub demodulators: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    Disc,
    Square,
}

/// How gateways are placed: an even pattern (a grid in a square, a sunflower spiral in a
/// disc), uniformly at random, or at listed coordinates.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    #[default]
    Grid,
    Random,
    Listed,
}

/// How different spreading factors interfere.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum InterSf {
    /// Different SFs never disturb each other.
    #[default]
    Orthogonal,
    /// The measured isolation matrix of Goursaud and Gorce (2015).
    Goursaud,
}

/// Log-distance path loss with log-normal shadowing; defaults in [`crate::radio::PathLoss`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathLossParams {
    #[serde(default = "default_exponent")]
    pub exponent: f64,
    #[serde(default = "default_reference_loss_db")]
    pub reference_loss_db: f64,
    #[serde(default = "default_reference_m")]
    pub reference_m: f64,
    #[serde(default = "default_shadowing_db")]
    pub shadowing_db: f64,
}

fn default_capture_db() -> f64 {
    crate::radio::Capture::DEFAULT_DB
}
fn default_demodulators() -> u32 {
    8
}
fn default_exponent() -> f64 {
    crate::radio::PathLoss::URBAN.exponent
}
fn default_reference_loss_db() -> f64 {
    crate::radio::PathLoss::URBAN.reference_loss_db
}
fn default_reference_m() -> f64 {
    crate::radio::PathLoss::URBAN.reference_m
}
fn default_shadowing_db() -> f64 {
    crate::radio::PathLoss::URBAN.shadowing_db
}

impl Default for PathLossParams {
    fn default() -> Self {
        PathLossParams {
            exponent: default_exponent(),
            reference_loss_db: default_reference_loss_db(),
            reference_m: default_reference_m(),
            shadowing_db: default_shadowing_db(),
        }
    }
}

impl Area {
    /// Whether `[x, y]` lies inside the area (centred on the origin).
    pub fn contains(&self, [x, y]: [f64; 2]) -> bool {
        match self.shape {
            Shape::Disc => x.hypot(y) <= self.size_m,
            Shape::Square => x.abs() <= self.size_m / 2.0 && y.abs() <= self.size_m / 2.0,
        }
    }
}

/// Reads `area.gateways_csv` (relative to `base`) into `area.gateway_coordinates`; the error
/// names the file and the row.
/// Largest gateway list read: room for about three million gateways (`x_m,y_m` rows of
/// about 20 bytes).
const MAX_GATEWAY_CSV_BYTES: u64 = 64 << 20;

pub fn read_gateway_csv(area: &mut Area, base: &std::path::Path) -> Result<(), String> {
    let Some(name) = area.gateways_csv.clone() else {
        return Ok(());
    };
    let text = super::network_files::read_text(base, &name, MAX_GATEWAY_CSV_BYTES)?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if i == 0 {
            if line.replace(' ', "") != "x_m,y_m" {
                return Err(format!("row 1 must be the header x_m,y_m, not {line:?}"));
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let mut cells = line.split(',').map(str::trim);
        let mut num = || -> Result<f64, String> {
            let cell = cells.next().unwrap_or("");
            cell.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("row {}: {cell:?} is not a finite number", i + 1))
        };
        let (x, y) = (num()?, num()?);
        if cells.next().is_some() {
            return Err(format!("row {}: expected two values x_m,y_m", i + 1));
        }
        rows.push([x, y]);
    }
    area.gateway_coordinates = rows;
    Ok(())
}
