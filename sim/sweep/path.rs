//! Dotted scenario paths (`devices[0].workload.interval_s`, `devices.0.count`) read and set
//! in a scenario's YAML tree: how sweep axes and `--set` overrides reach the fields before the
//! scenario is parsed, so the parser's errors still name the field.

use serde_yaml::{Mapping, Value};

#[derive(Debug, PartialEq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// `consensus.block_interval_s`, `devices[0].count` or `devices.0.count`.
pub(super) fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !name.is_empty() {
            match name.parse::<usize>() {
                Ok(i) => segs.push(Seg::Index(i)),
                Err(_) => segs.push(Seg::Key(name.to_string())),
            }
        } else if rest.is_empty() {
            return Err(format!("{path}: empty segment"));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or_else(|| format!("{path}: missing ]"))?;
            let i = r[..end]
                .parse::<usize>()
                .map_err(|_| format!("{path}: [{}] is not a list index", &r[..end]))?;
            segs.push(Seg::Index(i));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("{path}: unexpected {rest:?}"));
        }
    }
    Ok(segs)
}

/// The value at `path` in `tree`, if there is one.
pub fn get_path<'a>(tree: &'a Value, path: &str) -> Result<Option<&'a Value>, String> {
    let mut node = tree;
    for seg in parse_path(path)? {
        let next = match seg {
            Seg::Key(k) => node.as_mapping().and_then(|m| m.get(Value::String(k))),
            Seg::Index(j) => node.as_sequence().and_then(|l| l.get(j)),
        };
        match next {
            Some(n) => node = n,
            None => return Ok(None),
        }
    }
    Ok(Some(node))
}

/// Sets the value at `path`, creating missing mapping keys (a field left to its default);
/// a list index must exist.
pub(super) fn set(tree: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let segs = parse_path(path)?;
    let mut node = tree;
    for (i, seg) in segs.iter().enumerate() {
        let at = || {
            let mut s = String::new();
            for seg in &segs[..i] {
                match seg {
                    Seg::Key(k) if s.is_empty() => s.push_str(k),
                    Seg::Key(k) => s.push_str(&format!(".{k}")),
                    Seg::Index(j) => s.push_str(&format!("[{j}]")),
                }
            }
            if s.is_empty() {
                "the scenario".into()
            } else {
                s
            }
        };
        node = match seg {
            Seg::Key(k) => {
                if node.is_null() {
                    *node = Value::Mapping(Mapping::new());
                }
                let m = node
                    .as_mapping_mut()
                    .ok_or_else(|| format!("{} is not a mapping", at()))?;
                m.entry(Value::String(k.clone())).or_insert(Value::Null)
            }
            Seg::Index(j) => {
                let at = at();
                let l = node
                    .as_sequence_mut()
                    .ok_or_else(|| format!("{at} is not a list"))?;
                let len = l.len();
                l.get_mut(*j)
                    .ok_or_else(|| format!("{at}[{j}] does not exist ({at} has {len} entries)"))?
            }
        };
    }
    *node = value;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_both_list_notations() {
        assert_eq!(
            parse_path("devices[0].count").unwrap(),
            parse_path("devices.0.count").unwrap()
        );
        assert!(parse_path("devices[x]").is_err());
        assert!(parse_path("a..b").is_err());
    }

    #[test]
    fn set_creates_defaults_but_not_list_entries() {
        let mut v: Value = serde_yaml::from_str("devices: [{count: 5}]\n").unwrap();
        set(&mut v, "devices[0].count", Value::from(7)).unwrap();
        set(&mut v, "consensus.block_interval_s", Value::from(20)).unwrap();
        assert_eq!(v["devices"][0]["count"], Value::from(7));
        assert_eq!(v["consensus"]["block_interval_s"], Value::from(20));
        let e = set(&mut v, "devices[3].count", Value::from(1)).unwrap_err();
        assert!(
            e.contains("devices[3] does not exist (devices has 1 entries)"),
            "{e}"
        );
    }
}
