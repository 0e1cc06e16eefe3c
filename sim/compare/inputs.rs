//! What the two folders simulated: the resolved scenarios' fields that differ. A run's
//! `scenario.yaml` holds every field with its default filled in, so two runs of the same
//! scenario and seed read alike field by field; the program version and seed comments are
//! not fields, and `name` only labels the run.

use std::collections::BTreeMap;

use serde_yaml::Value;

use crate::manifest::Verified;
use crate::scenario::limits;

/// One input that differs: where it is and its value on each side (`-` where absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputChange {
    pub input: String,
    pub baseline: String,
    pub candidate: String,
}

/// Fields that name or describe a run without changing what it simulates.
const LABELS: [&str; 1] = ["name"];

/// The differing fields of two run folders' `scenario.yaml`, in field order; `None` when a
/// folder has no scenario (an older or hand-made folder), so the caller falls back on the
/// summary's input metrics.
pub fn scenario_changes(
    base: &Verified,
    cand: &Verified,
) -> Result<Option<Vec<InputChange>>, String> {
    if !(base.lists("scenario.yaml") && cand.lists("scenario.yaml")) {
        return Ok(None);
    }
    let (b, c) = (leaves(base)?, leaves(cand)?);
    let mut changes = Vec::new();
    for (path, bv) in &b {
        match c.get(path) {
            Some(cv) if cv == bv => {}
            other => changes.push(InputChange {
                input: path.clone(),
                baseline: bv.clone(),
                candidate: other.cloned().unwrap_or_else(|| "-".into()),
            }),
        }
    }
    for (path, cv) in c.iter().filter(|(p, _)| !b.contains_key(*p)) {
        changes.push(InputChange {
            input: path.clone(),
            baseline: "-".into(),
            candidate: cv.clone(),
        });
    }
    Ok(Some(changes))
}

/// The scenario's scalar fields by path (`consensus.block_interval_s`, `devices[0].count`).
fn leaves(folder: &Verified) -> Result<BTreeMap<String, String>, String> {
    let path = folder.dir().join("scenario.yaml");
    let text = folder.read_text("scenario.yaml")?;
    limits::check(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: Value = serde_yaml::from_str(&text)
        .map_err(|e| format!("{}: {}", path.display(), crate::scenario::located(&e)))?;
    let mut out = BTreeMap::new();
    flatten(&value, String::new(), &mut out);
    for label in LABELS {
        out.remove(label);
    }
    Ok(out)
}

fn flatten(v: &Value, at: String, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => scalar(other),
                };
                let path = if at.is_empty() {
                    key
                } else {
                    format!("{at}.{key}")
                };
                flatten(v, path, out);
            }
        }
        Value::Sequence(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, format!("{at}[{i}]"), out);
            }
            if items.is_empty() {
                out.insert(at, "[]".into());
            }
        }
        Value::Tagged(t) => flatten(&t.value, format!("{at}!{}", t.tag), out),
        other => {
            out.insert(at, scalar(other));
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_flatten_to_paths() {
        let v: Value = serde_yaml::from_str(
            "name: a\nconsensus: { protocol: nakamoto, block_interval_s: 60 }\n\
             devices: [{ count: 5 }]\nfaults: []\n",
        )
        .unwrap();
        let mut out = BTreeMap::new();
        flatten(&v, String::new(), &mut out);
        assert_eq!(out["consensus.block_interval_s"], "60");
        assert_eq!(out["devices[0].count"], "5");
        assert_eq!(out["faults"], "[]");
        assert_eq!(out["name"], "a");
    }
}
