//! Scenario fields and metrics against the READMEs: the field index of `scenarios/README.md`
//! generated from the JSON Schema and every field explained in its prose, resolved scenarios
//! holding only documented fields, and the metric table of `reports/README.md` generated from
//! the registry.

use super::*;

/// One scenario field as the schema describes it.
#[derive(Default)]
struct Field {
    /// The tagged variants (`protocol: pbft`) the field belongs to; empty when it always
    /// applies.
    variants: BTreeSet<String>,
    ty: String,
    default: String,
    range: String,
    description: String,
}

struct Fields {
    by_path: BTreeMap<String, Field>,
    /// Paths whose value is a mapping with free keys (`devices[].energy.states`).
    free_maps: BTreeSet<String>,
}

fn def<'s>(schema: &'s Json, node: &Json) -> Option<(&'s str, &'s Json)> {
    let name = node.get("$ref")?.as_str()?.rsplit('/').next()?;
    let (key, value) = schema["$defs"].as_object()?.get_key_value(name)?;
    Some((key.as_str(), value))
}

/// `protocol: pbft` for a branch of a tagged section.
fn tag_of(node: &Json) -> Option<String> {
    node.get("properties")?
        .as_object()?
        .iter()
        .find_map(|(k, p)| Some(format!("{k}: {}", p.get("const")?.as_str()?)))
}

fn type_of(schema: &Json, node: &Json) -> String {
    if let Some((name, d)) = def(schema, node) {
        if let Some(values) = d.get("enum").and_then(Json::as_array) {
            return one_of(values);
        }
        return name.to_string();
    }
    if let Some(values) = node.get("enum").and_then(Json::as_array) {
        return one_of(values);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(subs) = node.get(key).and_then(Json::as_array) {
            let parts: Vec<String> = subs
                .iter()
                .filter(|s| s.get("type").and_then(Json::as_str) != Some("null"))
                .map(|s| type_of(schema, s))
                .collect();
            return parts.join(" or ");
        }
    }
    let types: Vec<&str> = match node.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
        _ => match node.get("const") {
            Some(c) => return format!("`{}`", c.as_str().unwrap_or_default()),
            None => return String::new(),
        },
    };
    let types: Vec<String> = types
        .into_iter()
        .filter(|t| *t != "null")
        .map(|t| match t {
            "array" => format!(
                "list of {}",
                node.get("items")
                    .map_or(String::new(), |i| type_of(schema, i))
            ),
            "object" => "mapping".into(),
            t => t.into(),
        })
        .collect();
    types.join(" or ")
}

fn one_of(values: &[Json]) -> String {
    let names: Vec<String> = values
        .iter()
        .map(|v| format!("`{}`", v.as_str().map_or(v.to_string(), str::to_string)))
        .collect();
    names.join(", ")
}

fn range_of(node: &Json) -> String {
    let mut parts = Vec::new();
    for (key, op) in [
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ] {
        if let Some(v) = node.get(key) {
            parts.push(format!("{op} {v}"));
        }
    }
    parts.join(", ")
}

fn schema_fields() -> Fields {
    let schema = json_schema::scenario();
    let mut fields = Fields {
        by_path: BTreeMap::new(),
        free_maps: BTreeSet::new(),
    };
    walk(&schema, &schema, "", None, &mut fields, 0);
    fields
}

fn walk(
    schema: &Json,
    node: &Json,
    path: &str,
    variant: Option<&str>,
    out: &mut Fields,
    depth: usize,
) {
    assert!(depth < 40, "schema nested too deep at {path}");
    if let Some((_, d)) = def(schema, node) {
        walk(schema, d, path, variant, out, depth + 1);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for sub in node.get(key).and_then(Json::as_array).into_iter().flatten() {
            let tag = tag_of(sub);
            walk(
                schema,
                sub,
                path,
                tag.as_deref().or(variant),
                out,
                depth + 1,
            );
        }
    }
    if let Some(items) = node.get("items").filter(|i| i.is_object()) {
        walk(schema, items, &format!("{path}[]"), None, out, depth + 1);
    }
    if node
        .get("additionalProperties")
        .is_some_and(Json::is_object)
    {
        out.free_maps.insert(path.to_string());
    }
    let Some(props) = node.get("properties").and_then(Json::as_object) else {
        return;
    };
    for (name, p) in props {
        let child = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let f = out.by_path.entry(child.clone()).or_default();
        if let Some(v) = variant {
            f.variants.insert(v.to_string());
        }
        if f.ty.is_empty() {
            f.ty = type_of(schema, p);
        }
        if f.default.is_empty()
            && let Some(d) = p.get("default")
        {
            f.default = format!("`{d}`");
        }
        if f.range.is_empty() {
            f.range = range_of(p);
        }
        let description = p
            .get("description")
            .or_else(|| def(schema, p).and_then(|(_, d)| d.get("description")))
            .and_then(Json::as_str);
        if f.description.is_empty()
            && let Some(d) = description
        {
            f.description = d.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        walk(schema, p, &child, None, out, depth + 1);
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn field_index(fields: &Fields) -> String {
    let mut s = String::from(
        "| field | only with | type | default | range | description |\n|---|---|---|---|---|---|\n",
    );
    for (path, f) in &fields.by_path {
        let variants: Vec<String> = f.variants.iter().map(|v| format!("`{v}`")).collect();
        s.push_str(&format!(
            "| `{path}` | {} | {} | {} | {} | {} |\n",
            cell(&variants.join(", ")),
            cell(&f.ty),
            cell(&f.default),
            cell(&f.range),
            cell(&f.description)
        ));
    }
    s
}

fn metric_table() -> String {
    let mut s = String::from("| metric | unit | kind | better | floor |\n|---|---|---|---|---|\n");
    for (pattern, e) in registry::RULES {
        s.push_str(&format!(
            "| `{pattern}` | {} | {} | {} | {} |\n",
            cell(e.unit),
            e.kind.name(),
            e.better.name(),
            e.floor
        ));
    }
    s
}

/// `text` with the block between `begin` and `end` replaced by `body`.
fn with_block(text: &str, begin: &str, end: &str, body: &str) -> Option<String> {
    let a = text.find(begin)? + begin.len();
    let b = a + text[a..].find(end)?;
    Some(format!("{}\n{body}{}", &text[..a], &text[b..]))
}

/// Checks (or, with UPDATE_DOCS set, rewrites) a generated block.
fn generated_block_is_fresh(file: &str, begin: &str, end: &str, body: &str) -> String {
    let text = read(Path::new(file));
    let fresh = with_block(&text, begin, end, body)
        .unwrap_or_else(|| panic!("{file}: the markers {begin:?} … {end:?} are missing"));
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(file, &fresh).unwrap();
    } else {
        assert!(
            fresh == text,
            "{file}: the generated section is stale; regenerate it with `UPDATE_DOCS=1 cargo \
             test --test docs` and commit it"
        );
    }
    fresh
}

/// The words inside backticks of `text` outside the block between the markers.
pub(super) fn prose_words(text: &str, begin: &str, end: &str) -> BTreeSet<String> {
    let a = text.find(begin).unwrap_or(text.len());
    let b = text[a..].find(end).map_or(text.len(), |b| a + b);
    let prose = format!("{}{}", &text[..a], &text[b..]);
    prose
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(expand_braces)
        .flat_map(|code| {
            code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `battery_life_{mean,p5}_years` → both names, as the READMEs abbreviate families of names.
fn expand_braces(code: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (code.find('{'), code.find('}')) else {
        return vec![code.to_string()];
    };
    if close < open || code[open + 1..close].contains(':') {
        // A YAML mapping (`{model: zipf, exponent}`), not alternatives.
        return vec![code.to_string()];
    }
    let (head, tail) = (&code[..open], &code[close + 1..]);
    code[open + 1..close]
        .split(',')
        .flat_map(|alt| expand_braces(&format!("{head}{}{tail}", alt.trim())))
        .collect()
}

#[test]
fn every_scenario_field_of_the_schema_is_in_the_scenario_readme() {
    let fields = schema_fields();
    assert!(
        fields.by_path.len() > 200,
        "{} fields",
        fields.by_path.len()
    );
    let text = generated_block_is_fresh(
        SCENARIOS_README,
        FIELDS_BEGIN,
        FIELDS_END,
        &field_index(&fields),
    );
    let missing: Vec<&String> = fields
        .by_path
        .keys()
        .filter(|p| !text.contains(&format!("`{p}`")))
        .collect();
    assert!(missing.is_empty(), "{SCENARIOS_README} lacks {missing:?}");
    // The index lists every path; the hand-written text must also say what each field is for.
    let words = prose_words(&text, FIELDS_BEGIN, FIELDS_END);
    let unexplained: Vec<&String> = fields
        .by_path
        .keys()
        .filter(|p| {
            let leaf = p.rsplit(['.', ']']).next().unwrap();
            !words.contains(leaf)
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "scenario fields that no hand-written part of {SCENARIOS_README} names in backticks \
         (document them in the section of their parent):\n{}",
        unexplained
            .iter()
            .map(|p| format!("  {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Every field path of a resolved scenario, sequences written `[]`.
fn resolved_paths(v: &Yaml, path: &str, free: &BTreeSet<String>, out: &mut Vec<(String, bool)>) {
    match v {
        Yaml::Mapping(m) if !free.contains(path) => {
            for (k, v) in m {
                let k = k.as_str().unwrap_or_default();
                let child = if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}.{k}")
                };
                out.push((child.clone(), v.is_null()));
                resolved_paths(v, &child, free, out);
            }
        }
        Yaml::Sequence(items) => {
            for item in items {
                resolved_paths(item, &format!("{path}[]"), free, out);
            }
        }
        _ => {}
    }
}

/// Whole scenario files shipped under `scenarios/` (sweep and plan files aside).
fn shipped_scenarios() -> Vec<PathBuf> {
    common::scenario_yamls()
        .into_iter()
        .filter(|path| {
            let doc: Yaml = serde_yaml::from_str(&read(path)).unwrap();
            doc.get("scenario").is_none() && doc.get("base").is_none()
        })
        .collect()
}

#[test]
fn resolved_scenarios_hold_only_documented_fields_and_no_nulls() {
    let fields = schema_fields();
    let mut wrong = BTreeSet::new();
    let files = shipped_scenarios();
    assert!(files.len() >= 20, "{files:?}");
    for file in files {
        let s = scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        let resolved: Yaml = serde_yaml::from_str(&scenario::to_yaml(&s)).unwrap();
        let mut paths = Vec::new();
        resolved_paths(&resolved, "", &fields.free_maps, &mut paths);
        for (path, null) in paths {
            if null {
                wrong.insert(format!("{path}: null (in {})", file.display()));
            } else if !fields.by_path.contains_key(&path) {
                wrong.insert(format!(
                    "{path}: not a schema field (in {})",
                    file.display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "resolved scenarios (scenario.yaml of a run) with undocumented fields or null \
         defaults (skip `None` when serialising):\n{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_metric_rule_of_the_registry_is_in_the_reports_readme() {
    let text =
        generated_block_is_fresh(REPORTS_README, METRICS_BEGIN, METRICS_END, &metric_table());
    let missing: Vec<&str> = registry::RULES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !text.contains(&format!("`{p}`")))
        .collect();
    assert!(missing.is_empty(), "{REPORTS_README} lacks {missing:?}");
}
