//! Counts written as integers or as integral floats (`1e6`), as researchers write them.

use std::fmt;

use serde::de::{Deserializer, Error, Visitor};

/// A visitor rather than an untagged enum: untagged buffering drops serde_yaml's path and line
/// and turns every mistake into "data did not match any variant".
struct Count;

impl Visitor<'_> for Count {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative whole number (e.g. 1000 or 1e6)")
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("invalid count {v}: {}", Expect)))
    }

    fn visit_f64<E: Error>(self, f: f64) -> Result<u64, E> {
        if f >= 0.0 && f.fract() == 0.0 && f < 2f64.powi(53) {
            Ok(f as u64)
        } else {
            Err(E::custom(format!("invalid count {f}: {}", Expect)))
        }
    }
}

struct Expect;
impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("expected a non-negative whole number (e.g. 1000 or 1e6)")
    }
}

struct OptCount;

impl<'de> Visitor<'de> for OptCount {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative whole number or nothing")
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Count).map(Some)
    }
}

pub fn deserialize_count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(Count)
}

pub fn deserialize_opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_option(OptCount)
}
