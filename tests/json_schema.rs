//! The JSON Schemas of scenario, sweep and plan files: the committed copies match what the
//! code generates, every shipped file points at its schema, and every range the scenario
//! schema states is one `validate` enforces (probed on the shipped scenarios).
//!
//! After changing a scenario, sweep or plan type, regenerate the committed copies with
//!   UPDATE_SCHEMAS=1 cargo test --test json_schema
//! (or `cargo run -- schema scenario > scenarios/unchained.schema.json`, likewise `sweep`
//! and `plan`).

mod common;

use std::path::Path;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;
use unchained::scenario::{self, ScenarioError, json_schema};

const SCHEMAS: [(&str, &str); 3] = [
    ("scenario", "scenarios/unchained.schema.json"),
    ("sweep", "scenarios/unchained-sweep.schema.json"),
    ("plan", "scenarios/unchained-plan.schema.json"),
];

fn generated(kind: &str) -> Json {
    match kind {
        "scenario" => json_schema::scenario(),
        "sweep" => unchained::sweep::json_schema(),
        "plan" => unchained::plan::json_schema(),
        _ => unreachable!(),
    }
}

#[test]
fn committed_schemas_are_fresh() {
    assert_eq!(SCHEMAS[0].1, json_schema::SCENARIO_SCHEMA_FILE);
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (kind, file) in SCHEMAS {
        let text = json_schema::to_text(&generated(kind));
        if update {
            std::fs::write(file, &text).unwrap();
        } else if std::fs::read_to_string(file).ok().as_deref() != Some(text.as_str()) {
            stale.push(format!("{file} (`cargo run -- schema {kind} > {file}`)"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale JSON Schema: {}. The scenario, sweep or plan types changed; regenerate all \
         three with `UPDATE_SCHEMAS=1 cargo test --test json_schema` and commit them",
        stale.join(", ")
    );
}

/// A sweep file names its `scenario:`, a plan file its `base:`; the rest are scenarios.
fn kind_of(doc: &Yaml) -> &'static str {
    if doc.get("scenario").is_some() {
        "sweep"
    } else if doc.get("base").is_some() {
        "plan"
    } else {
        "scenario"
    }
}

#[test]
fn every_shipped_file_names_its_schema() {
    let mut wrong = Vec::new();
    for file in common::scenario_yamls() {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: Yaml = serde_yaml::from_str(&text).unwrap();
        let kind = kind_of(&doc);
        let want = SCHEMAS.iter().find(|(k, _)| *k == kind).unwrap().1;
        let first = text.lines().next().unwrap_or_default();
        let named = first.strip_prefix("# yaml-language-server: $schema=");
        // The language server resolves the path against the file's folder.
        let resolved = named.map(|n| file.parent().unwrap().join(n));
        let ok = resolved.is_some_and(|r| same_file(&r, Path::new(want)));
        if !ok {
            wrong.push(format!("{} ({kind}): first line {first:?}", file.display()));
        }
    }
    assert!(
        wrong.is_empty(),
        "files whose first line is not `# yaml-language-server: $schema=<relative path to \
         the {{scenario,sweep,plan}} schema>`:\n{}",
        wrong.join("\n")
    );
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// One step of a path into a document: a key or a list index.
#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn path_text(steps: &[Step]) -> String {
    let mut s = String::new();
    for step in steps {
        match step {
            Step::Key(k) if s.is_empty() => s.push_str(k),
            Step::Key(k) => s.push_str(&format!(".{k}")),
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Every numeric leaf of `doc` with its path.
fn numbers(doc: &Yaml, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match doc {
        Yaml::Mapping(m) => {
            for (k, v) in m {
                at.push(Step::Key(k.as_str().unwrap().to_string()));
                numbers(v, at, out);
                at.pop();
            }
        }
        Yaml::Sequence(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(Step::Index(i));
                numbers(v, at, out);
                at.pop();
            }
        }
        Yaml::Number(_) => out.push(at.clone()),
        _ => {}
    }
}

fn yaml_at<'a>(doc: &'a mut Yaml, steps: &[Step]) -> &'a mut Yaml {
    steps.iter().fold(doc, |d, s| match s {
        Step::Key(k) => d.get_mut(k.as_str()).unwrap(),
        Step::Index(i) => d.get_mut(*i).unwrap(),
    })
}

fn has_range(node: &Json) -> bool {
    ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
        .iter()
        .any(|k| node.get(*k).is_some())
}

/// The schemas a value may match at this node: `$ref`s followed, `anyOf`/`oneOf`/`allOf`
/// branches spread out, and the node itself where it states fields or a range beside them.
fn branches<'a>(root: &'a Json, node: &'a Json, out: &mut Vec<&'a Json>) {
    if let Some(r) = node.get("$ref").and_then(Json::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        branches(root, &root["$defs"][name], out);
    }
    let split = ["anyOf", "oneOf", "allOf"]
        .iter()
        .any(|k| node.get(*k).is_some());
    let own = node.get("properties").is_some() || has_range(node) || node.get("enum").is_some();
    if node.get("$ref").is_none() && (!split || own) {
        out.push(node);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Json::Array(subs)) = node.get(key) {
            for s in subs {
                branches(root, s, out);
            }
        }
    }
}

/// Whether a tagged branch's constant tag agrees with the document's mapping.
fn tag_matches(branch: &Json, doc: &Yaml) -> bool {
    let Some(props) = branch.get("properties").and_then(Json::as_object) else {
        return true;
    };
    props.iter().all(|(key, p)| match p.get("const") {
        Some(c) => doc.get(key.as_str()).and_then(Yaml::as_str) == c.as_str(),
        None => true,
    })
}

/// The schemas of the value at `steps` in `doc`, choosing each tagged section's branch by
/// its tag.
fn schemas_at<'a>(root: &'a Json, doc: &Yaml, steps: &[Step]) -> Vec<&'a Json> {
    let mut node = root;
    let mut here = doc;
    for step in steps {
        let mut bs = Vec::new();
        branches(root, node, &mut bs);
        let next = match step {
            Step::Key(k) => bs
                .into_iter()
                .filter(|b| tag_matches(b, here))
                .find_map(|b| {
                    b.get("properties")
                        .and_then(|p| p.get(k.as_str()))
                        .or_else(|| b.get("additionalProperties").filter(|a| a.is_object()))
                }),
            Step::Index(_) => bs.into_iter().find_map(|b| b.get("items")),
        };
        let (Some(next), Some(there)) = (
            next,
            match step {
                Step::Key(k) => here.get(k.as_str()),
                Step::Index(i) => here.get(*i),
            },
        ) else {
            return Vec::new();
        };
        node = next;
        here = there;
    }
    let mut bs = Vec::new();
    branches(root, node, &mut bs);
    bs
}

/// The schema stating a range for the value at `steps`, if any.
fn schema_at<'a>(root: &'a Json, doc: &Yaml, steps: &[Step]) -> Option<&'a Json> {
    schemas_at(root, doc, steps)
        .into_iter()
        .find(|b| has_range(b))
}

/// Values just beyond each bound the schema states for a leaf (`outside`), or at the bound
/// itself, the last value it allows.
fn probes(leaf: &Json, outside: bool) -> Vec<(String, Yaml)> {
    let integer = leaf["type"] == "integer"
        || leaf["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x == "integer"));
    let step = |v: f64| {
        let s = if integer {
            1.0
        } else {
            (v.abs() * 1e-6).max(1e-12)
        };
        if outside { s } else { 0.0 }
    };
    let mut out = Vec::new();
    let value = |v: f64| -> Yaml {
        if integer {
            Yaml::Number((v as i64).into())
        } else {
            Yaml::Number(v.into())
        }
    };
    if let Some(m) = leaf.get("minimum").and_then(Json::as_f64) {
        out.push((format!("minimum {m}"), value(m - step(m))));
    }
    if let Some(m) = leaf.get("exclusiveMinimum").and_then(Json::as_f64) {
        let inside = if integer {
            m + 1.0
        } else {
            m + (m.abs() * 1e-6).max(1e-12)
        };
        out.push((
            format!("exclusiveMinimum {m}"),
            value(if outside { m } else { inside }),
        ));
    }
    if let Some(m) = leaf.get("maximum").and_then(Json::as_f64) {
        out.push((format!("maximum {m}"), value(m + step(m))));
    }
    if let Some(m) = leaf.get("exclusiveMaximum").and_then(Json::as_f64) {
        let inside = if integer {
            m - 1.0
        } else {
            m - (m.abs() * 1e-6).max(1e-12)
        };
        out.push((
            format!("exclusiveMaximum {m}"),
            value(if outside { m } else { inside }),
        ));
    }
    out
}

/// Whether a validator message states a range of the field's own (`must be > 0 and <= 10
/// years (315576000)`), as opposed to a relation to other fields or facts (`<= period_s`,
/// `>= 1 when there are devices`, `<= 222, the largest payload of ...`), which a schema
/// cannot state.
fn plain_range(allowed: &str) -> bool {
    let mut text = String::new();
    let mut depth = 0;
    for c in allowed.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => text.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some(rest) = words.strip_prefix(&["must", "be"]) else {
        return false;
    };
    let comparison = |w: &[&str]| -> Option<usize> {
        let [op, n, tail @ ..] = w else { return None };
        if !["<", "<=", ">", ">="].contains(op) || n.parse::<f64>().is_err() {
            return None;
        }
        let unit = matches!(tail.first(), Some(&("years" | "day" | "days")));
        Some(2 + usize::from(unit))
    };
    match comparison(rest) {
        Some(k) if k == rest.len() => true,
        Some(k) if rest[k] == "and" => comparison(&rest[k + 1..]) == Some(rest.len() - k - 1),
        _ => false,
    }
}

/// For every numeric field of every shipped scenario whose schema states a range: a value
/// just beyond either end must make `validate` refuse that field (the schema never flags a
/// valid file), and the end itself must not be refused by a range of the field's own (the
/// schema is not looser than the validator; relations to other fields are the validator's
/// alone). Whether the schema accepts every shipped file is `tests/python/test_schema.py`'s.
#[test]
fn every_stated_range_is_enforced_by_validate() {
    let root = json_schema::scenario();
    let mut probed = 0;
    let mut fields = std::collections::BTreeSet::new();
    let mut loose = Vec::new();
    for file in common::scenario_yamls() {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: Yaml = serde_yaml::from_str(&text).unwrap();
        // Scenarios naming files of their own (a gateway CSV) are read from their folder.
        if kind_of(&doc) != "scenario" || scenario::parse(&text, "probe").is_err() {
            continue;
        }
        let mut leaves = Vec::new();
        numbers(&doc, &mut Vec::new(), &mut leaves);
        for steps in leaves {
            let Some(leaf) = schema_at(&root, &doc, &steps) else {
                continue;
            };
            let path = path_text(&steps);
            for (outside, (bound, v)) in [true, false]
                .into_iter()
                .flat_map(|o| probes(leaf, o).into_iter().map(move |p| (o, p)))
            {
                let mut changed = doc.clone();
                *yaml_at(&mut changed, &steps) = v.clone();
                let yaml = serde_yaml::to_string(&changed).unwrap();
                probed += 1;
                fields.insert(path.clone());
                // What validate says of this field: nothing, a plain range, or a relation to
                // other fields (`<= period_s`), which a schema cannot state.
                let verdict = match scenario::parse(&yaml, "probe") {
                    Ok(_) => None,
                    Err(ScenarioError::Invalid { errors, .. }) => errors
                        .iter()
                        .find(|e| e.path == path)
                        .map(|e| !plain_range(&e.allowed)),
                    Err(e) => e
                        .to_string()
                        .contains(&format!("{path}: "))
                        .then_some(false),
                };
                if outside && verdict.is_none() {
                    loose.push(format!(
                        "{}: {path} = {v:?} is beyond the schema's {bound} but validate \
                         accepts it (the schema would flag valid files)",
                        file.display()
                    ));
                }
                if !outside && verdict == Some(false) {
                    loose.push(format!(
                        "{}: {path} = {v:?} is at the schema's {bound} but validate refuses it \
                         with a plain range (the schema is looser than validate)",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(
        loose.is_empty(),
        "the schema states ranges validate does not keep (fix sim/scenario/validate/bounds.rs \
         or the validator):\n{}",
        loose.join("\n")
    );
    // The shipped scenarios reach most of the table; fewer means the probe lost its way.
    assert!(
        fields.len() >= 60 && probed >= 500,
        "only {probed} probes over {} fields",
        fields.len()
    );
}

/// Every string and numeric leaf of `doc` with its path.
fn scalars(doc: &Yaml, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match doc {
        Yaml::Mapping(m) => {
            for (k, v) in m {
                at.push(Step::Key(k.as_str().unwrap().to_string()));
                scalars(v, at, out);
                at.pop();
            }
        }
        Yaml::Sequence(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(Step::Index(i));
                scalars(v, at, out);
                at.pop();
            }
        }
        Yaml::Number(_) | Yaml::String(_) => out.push(at.clone()),
        _ => {}
    }
}

/// A value outside `list`: a name no list holds, or a number above every listed one.
fn unlisted(list: &[Json]) -> Yaml {
    let numbers: Vec<f64> = list.iter().filter_map(Json::as_f64).collect();
    if numbers.is_empty() {
        return Yaml::String("not_listed".into());
    }
    let above = numbers.iter().copied().fold(f64::MIN, f64::max) + 1.0;
    if list.iter().all(|v| v.is_null() || v.is_u64()) {
        Yaml::Number((above as u64).into())
    } else {
        Yaml::Number(above.into())
    }
}

/// For every string or numeric field of every shipped scenario whose schema lists its values
/// (`enum`: a region, a coding rate, a paging cycle), a value outside the list must make
/// `validate` refuse that field: the schema never flags a valid file for it.
#[test]
fn every_stated_list_is_enforced_by_validate() {
    let root = json_schema::scenario();
    let mut fields = std::collections::BTreeSet::new();
    let mut loose = Vec::new();
    for file in common::scenario_yamls() {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: Yaml = serde_yaml::from_str(&text).unwrap();
        if kind_of(&doc) != "scenario" || scenario::parse(&text, "probe").is_err() {
            continue;
        }
        let mut leaves = Vec::new();
        scalars(&doc, &mut Vec::new(), &mut leaves);
        for steps in leaves {
            let Some(list) = schemas_at(&root, &doc, &steps)
                .into_iter()
                .find_map(|b| b.get("enum")?.as_array())
            else {
                continue;
            };
            let path = path_text(&steps);
            let v = unlisted(list);
            let mut changed = doc.clone();
            *yaml_at(&mut changed, &steps) = v.clone();
            let yaml = serde_yaml::to_string(&changed).unwrap();
            fields.insert(path.clone());
            let refused = match scenario::parse(&yaml, "probe") {
                Ok(_) => false,
                Err(ScenarioError::Invalid { errors, .. }) => errors.iter().any(|e| e.path == path),
                Err(e) => e.to_string().contains(&format!("{path}: ")),
            };
            if !refused {
                loose.push(format!(
                    "{}: {path} = {v:?} is outside the schema's list but validate accepts it",
                    file.display()
                ));
            }
        }
    }
    assert!(loose.is_empty(), "{}", loose.join("\n"));
    // The LoRaWAN examples name their region.
    assert!(
        fields.contains("devices[0].radio.region"),
        "the region was not probed: {fields:?}"
    );
}
