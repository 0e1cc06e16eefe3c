//! Rules of the radio sections that one range per field cannot state: what a LoRaWAN region
//! allows (spreading factor with bandwidth), what NB-IoT and LTE-M each allow (paging and
//! eDRX cycles), the timer values 3GPP can signal (PSM), and the names of the radios' power
//! states. Every value comes from the
//! tables the validator checks against (`crate::radio`), and `tests/python/test_schema.py`
//! compares the schema's verdicts with `unchained validate` on every combination.

use serde_json::{Value, json};

use super::{number, tag_of};
use crate::energy::State;
use crate::radio::cellular::{
    GPRS_TIMER2_UNITS_S, GPRS_TIMER3_UNITS_S, PTW_STEPS, Rat, TIMER_VALUE_MAX,
};
use crate::radio::{REGIONS, Region, SF_MAX, SF_MIN};
use crate::scenario::validate::bounds::ADR_BANDWIDTH_KHZ;

/// The `Sf` definition: a spreading factor or `adr`.
pub(super) fn sf() -> Value {
    json!({
        "description": format!(
            "A spreading factor ({SF_MIN} to {SF_MAX}) or `adr` (the network server chooses)."
        ),
        "anyOf": [
            { "type": "integer", "minimum": SF_MIN, "maximum": SF_MAX },
            { "const": "adr" }
        ]
    })
}

/// Adds the radio rules to the scenario schema.
pub(super) fn apply(schema: &mut Value) {
    let defs = &mut schema["$defs"];
    let edrx = defs
        .as_object_mut()
        .and_then(|d| d.remove("Edrx"))
        .expect("schemars writes Edrx");
    for rat in [Rat::NbIot, Rat::LteM] {
        defs[edrx_def(rat)] = edrx_of(rat, &edrx);
    }
    psm(&mut defs["Psm"]);
    // A current may be given for any state of the radio (validate/energy.rs narrows the
    // names to the group's radio).
    let states: Vec<&str> = State::ALL.into_iter().map(State::name).collect();
    defs["Energy"]["properties"]["states"]["propertyNames"] = json!({ "enum": states });
    let branches = defs["Radio"]["oneOf"]
        .as_array_mut()
        .expect("Radio is a tagged enum");
    for branch in branches {
        match tag_of(branch) {
            Some("lorawan") => lorawan(branch),
            Some(tag) => {
                let rat = [Rat::NbIot, Rat::LteM]
                    .into_iter()
                    .find(|r| r.name() == tag)
                    .unwrap_or_else(|| panic!("radio model {tag} has no rules here"));
                cellular(branch, rat);
            }
            None => panic!("a Radio branch without its model"),
        }
    }
}

/// Seconds as JSON numbers, from milliseconds.
fn seconds(ms: impl IntoIterator<Item = u64>) -> Vec<Value> {
    ms.into_iter().map(|m| number(m as f64 / 1e3)).collect()
}

/// `values`, and `null` where the field is optional.
fn one_of(p: &mut Value, mut values: Vec<Value>) {
    let optional = p["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x == "null"));
    if optional {
        values.push(Value::Null);
    }
    p["enum"] = Value::Array(values);
}

/// The bandwidths (kHz) and, per bandwidth, the spreading factors of a region's uplink data
/// rates on its default channels.
fn rates(region: &Region) -> Vec<(u32, Vec<u8>)> {
    let mut out: Vec<(u32, Vec<u8>)> = Vec::new();
    for d in region.uplink_rates().iter().filter(|d| d.bandwidth_hz > 0) {
        let khz = d.bandwidth_hz / 1000;
        match out.iter_mut().find(|(b, _)| *b == khz) {
            Some((_, sfs)) => sfs.push(d.sf),
            None => out.push((khz, vec![d.sf])),
        }
    }
    for (_, sfs) in &mut out {
        sfs.sort_unstable();
    }
    out.sort();
    out
}

/// The bandwidth any region allows, and per region which spreading factors go with each
/// bandwidth: `if region is R then (sf, bandwidth_khz) is one of R's uplink data rates`.
fn lorawan(branch: &mut Value) {
    let props = &branch["properties"];
    let default_region = props["region"]["default"].clone();
    let default_bw = props["bandwidth_khz"]["default"].as_u64().map(|b| b as u32);
    let default_sf = props["sf"]["default"].clone();
    let mut all: Vec<u32> = REGIONS
        .iter()
        .flat_map(|r| rates(r).into_iter().map(|(b, _)| b))
        .collect();
    all.sort_unstable();
    all.dedup();
    branch["properties"]["bandwidth_khz"]["enum"] = json!(all);
    let mut rules = Vec::new();
    for region in REGIONS {
        let mut when = json!({ "properties": { "region": { "const": region.name } } });
        if default_region != region.name {
            when["required"] = json!(["region"]);
        }
        let pairs: Vec<Value> = rates(region)
            .into_iter()
            .map(|(bw, sfs)| {
                let mut allowed: Vec<Value> = sfs.iter().map(|&s| json!(s)).collect();
                if bw == ADR_BANDWIDTH_KHZ {
                    allowed.push(json!("adr"));
                }
                let mut required = Vec::new();
                if default_bw != Some(bw) {
                    required.push("bandwidth_khz");
                }
                if !allowed.contains(&default_sf) {
                    required.push("sf");
                }
                let mut pair = json!({
                    "properties": { "bandwidth_khz": { "const": bw }, "sf": { "enum": allowed } }
                });
                if !required.is_empty() {
                    pair["required"] = json!(required);
                }
                pair
            })
            .collect();
        rules.push(json!({
            "if": when,
            "then": {
                "description": format!(
                    "The uplink data rates of {} on its default channels (spreading factor \
                     with bandwidth; RP002-1.0.4).",
                    region.name
                ),
                "anyOf": pairs
            }
        }));
    }
    branch["allOf"] = Value::Array(rules);
}

fn edrx_def(rat: Rat) -> &'static str {
    match rat {
        Rat::NbIot => "EdrxNbiot",
        Rat::LteM => "EdrxLtem",
    }
}

/// The eDRX section of one technology: its cycles, and its paging time windows (n steps).
fn edrx_of(rat: Rat, edrx: &Value) -> Value {
    let mut def = edrx.clone();
    let p = &mut def["properties"];
    one_of(
        &mut p["cycle_s"],
        seconds(rat.edrx_cycles_ms().iter().copied()),
    );
    let step = rat.ptw_step_ms();
    one_of(&mut p["ptw_s"], seconds((1..=PTW_STEPS).map(|n| n * step)));
    def
}

/// Paging cycles and eDRX of one technology.
fn cellular(branch: &mut Value, rat: Rat) {
    let p = &mut branch["properties"];
    one_of(
        &mut p["drx_s"],
        seconds(rat.drx_cycles_ms().iter().copied()),
    );
    let reference = json!(format!("#/$defs/{}", edrx_def(rat)));
    let edrx = p["edrx"]["anyOf"]
        .as_array_mut()
        .and_then(|a| a.iter_mut().find(|s| s.get("$ref").is_some()))
        .expect("edrx refers to Edrx");
    edrx["$ref"] = reference;
}

/// `n × unit` for one of `units` and `n` up to the timer's 5-bit value.
fn timer(units: &[u64]) -> Value {
    let per_unit: Vec<Value> = units
        .iter()
        .map(|&u| json!({ "multipleOf": u, "maximum": u * TIMER_VALUE_MAX }))
        .collect();
    Value::Array(per_unit)
}

/// T3324 in GPRS Timer 2 values; T3412 in GPRS Timer 2 or 3 values, above zero.
fn psm(def: &mut Value) {
    let p = &mut def["properties"];
    p["t3324_s"]["minimum"] = json!(0);
    p["t3324_s"]["anyOf"] = timer(&GPRS_TIMER2_UNITS_S);
    let mut units = GPRS_TIMER2_UNITS_S.to_vec();
    units.extend(GPRS_TIMER3_UNITS_S);
    units.sort_unstable();
    units.dedup();
    p["t3412_s"]["exclusiveMinimum"] = json!(0);
    p["t3412_s"]["anyOf"] = timer(&units);
}
