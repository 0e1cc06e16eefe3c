//! The READMEs checked against the code they describe: every YAML snippet parses (and a whole
//! scenario, sweep, plan or tolerance file validates), every `--flag` they mention is one the
//! command line has, every argument of the command line has help text, every scenario field
//! of the JSON Schema is in `scenarios/README.md` and explained in its prose, resolved
//! scenarios hold only those fields and no `null`, every metric rule of the registry is in
//! `reports/README.md` with its unit, as is every table and column a run of any example
//! writes, every test file has its row in `tests/README.md`, and every relative link between
//! the READMEs leads to a file and heading that exist.
//!
//! A ```yaml block is a whole scenario unless its info string names another kind:
//! ```yaml sweep, ```yaml plan, ```yaml tolerance, or ```yaml fragment (parsed only). Sweep
//! and plan snippets name their base scenario relative to the README's folder.
//!
//! Two sections are generated: the field index of `scenarios/README.md` (from the JSON
//! Schema) and the metric table of `reports/README.md` (from `sim/metrics/registry.rs`).
//! Regenerate them with
//!   UPDATE_DOCS=1 cargo test --test docs

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;
use unchained::metrics::registry;
use unchained::scenario::{self, json_schema};

const SCENARIOS_README: &str = "scenarios/README.md";
const REPORTS_README: &str = "reports/README.md";
const FIELDS_BEGIN: &str = "<!-- field index: generated from the JSON Schema by `UPDATE_DOCS=1 cargo test --test docs`; do not edit -->";
const FIELDS_END: &str = "<!-- end of field index -->";
const METRICS_BEGIN: &str = "<!-- metric table: generated from sim/metrics/registry.rs by `UPDATE_DOCS=1 cargo test --test docs`; do not edit -->";
const METRICS_END: &str = "<!-- end of metric table -->";

/// Every README.md of the repository (generated output and build folders aside).
fn readmes() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::from(".")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "__pycache__" {
                    dirs.push(path);
                }
            } else if name == "README.md" {
                found.push(path);
            }
        }
    }
    found.sort();
    assert!(found.len() >= 9, "READMEs not found: {found:?}");
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Snippet {
    file: PathBuf,
    /// 1-based line of the opening fence.
    line: usize,
    info: String,
    text: String,
}

fn snippets(file: &Path) -> Vec<Snippet> {
    let text = read(file);
    let mut out = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some((i + 1, info.trim().to_string(), String::new()));
                }
            }
            Some((start, info, body)) => {
                if trimmed.starts_with("```") {
                    out.push(Snippet {
                        file: file.to_path_buf(),
                        line: *start,
                        info: std::mem::take(info),
                        text: std::mem::take(body),
                    });
                    open = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    assert!(
        open.is_none(),
        "{}: a code block is never closed",
        file.display()
    );
    out
}

/// Loads a sweep or plan snippet through its loader: its base scenario (`key`) is made
/// absolute against the README's folder and the text written to a temporary file.
fn load_with_base(s: &Snippet, key: &str, n: usize) -> Result<(), String> {
    let mut doc: Yaml = serde_yaml::from_str(&s.text).map_err(|e| e.to_string())?;
    let base = doc
        .get(key)
        .and_then(Yaml::as_str)
        .ok_or(format!("no `{key}:`"))?;
    let folder = s.file.parent().unwrap().canonicalize().unwrap();
    let absolute = folder.join(base).display().to_string();
    doc[key] = Yaml::String(absolute);
    let dir = std::env::temp_dir().join(format!("unchained-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("snippet-{n}.yaml"));
    std::fs::write(&file, serde_yaml::to_string(&doc).unwrap()).unwrap();
    let result = match key {
        "scenario" => unchained::sweep::load(&file).map(drop),
        _ => unchained::plan::load(&file).map(drop),
    };
    std::fs::remove_file(&file).unwrap();
    // Other snippets of this process may still be writing theirs.
    let _ = std::fs::remove_dir(&dir);
    result
}

#[test]
fn every_yaml_snippet_parses_and_every_whole_file_validates() {
    let mut failures = Vec::new();
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    for (n, s) in readmes().iter().flat_map(|f| snippets(f)).enumerate() {
        let mut words = s.info.split_whitespace();
        if words.next() != Some("yaml") {
            continue;
        }
        let kind = words.next().unwrap_or("scenario").to_string();
        let origin = format!("{}:{}", s.file.display(), s.line);
        let result = match kind.as_str() {
            "scenario" => scenario::parse(&s.text, &origin)
                .map(drop)
                .map_err(|e| e.to_string()),
            "sweep" => load_with_base(&s, "scenario", n),
            "plan" => load_with_base(&s, "base", n),
            "tolerance" => unchained::compare::Tolerances::parse(&s.text).map(drop),
            "fragment" => serde_yaml::from_str::<Yaml>(&s.text)
                .map(drop)
                .map_err(|e| e.to_string()),
            other => Err(format!(
                "unknown kind `{other}` (scenario, sweep, plan, tolerance or fragment)"
            )),
        };
        *checked.entry(kind.clone()).or_default() += 1;
        if let Err(e) = result {
            failures.push(format!("{origin} (```yaml {kind}): {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "YAML snippets in the READMEs that do not parse or validate:\n{}",
        failures.join("\n")
    );
    for kind in ["scenario", "sweep", "plan", "tolerance", "fragment"] {
        assert!(
            checked.contains_key(kind),
            "no ```yaml {kind} snippet checked: {checked:?}"
        );
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
}

/// `unchained … --help` of every command and subcommand, by command path.
fn helps() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let o = bin().args(&path).arg("--help").output().unwrap();
        assert!(
            o.status.success(),
            "unchained {} --help failed",
            path.join(" ")
        );
        let text = String::from_utf8(o.stdout).unwrap();
        for name in section(&text, "Commands:") {
            let name = name.split_whitespace().next().unwrap().to_string();
            if name != "help" {
                let mut sub = path.clone();
                sub.push(name);
                todo.push(sub);
            }
        }
        out.insert(path.join(" "), text);
    }
    out
}

/// The entry lines of a help section (`Options:`), up to the next blank line.
fn section<'t>(help: &'t str, title: &str) -> Vec<&'t str> {
    help.lines()
        .skip_while(|l| *l != title)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("          "))
        .collect()
}

/// Flags of other programs that the READMEs show, each accepted only on a line that names
/// its program (`-- --ignored` is libtest's, after cargo's `--`).
const FOREIGN: &[(&str, &[&str])] = &[
    (
        "cargo",
        &["--release", "--bench", "--test", "--bin", "--lib"],
    ),
    ("-- --ignored", &["--ignored"]),
    (
        "sbatch",
        &["--array", "--wait", "--wrap", "--parsable", "--dependency"],
    ),
    (
        "SBATCH",
        &[
            "--array",
            "--cpus-per-task",
            "--time",
            "--output",
            "--mem",
            "--job-name",
        ],
    ),
    ("nbconvert", &["--to", "--execute"]),
    ("valgrind", &["--tool", "--cache-sim"]),
    ("perf record", &["--call-graph"]),
    ("heaptrack_print", &["--print-peaks"]),
];

fn flags_in(line: &str) -> Vec<(usize, String)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < b.len() {
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'-');
        if boundary && b[i] == b'-' && b[i + 1] == b'-' && b[i + 2].is_ascii_lowercase() {
            let end = (i + 2..b.len())
                .find(|&j| !(b[j].is_ascii_lowercase() || b[j].is_ascii_digit() || b[j] == b'-'))
                .unwrap_or(b.len());
            out.push((i, line[i..end].trim_end_matches('-').to_string()));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn every_flag_the_readmes_mention_exists_in_the_command_line() {
    let known: BTreeSet<String> = helps()
        .values()
        .flat_map(|h| flags_in(h).into_iter().map(|(_, f)| f))
        .collect();
    assert!(known.contains("--allow-changed-inputs"), "{known:?}");
    let mut unknown = Vec::new();
    let mut seen = 0;
    for file in readmes() {
        for (n, line) in read(&file).lines().enumerate() {
            for (at, flag) in flags_in(line) {
                seen += 1;
                let foreign = FOREIGN.iter().any(|(tool, flags)| {
                    flags.contains(&flag.as_str()) && line[..at + flag.len()].contains(tool)
                });
                if !known.contains(&flag) && !foreign {
                    unknown.push(format!("{}:{}: {flag}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(seen > 50, "only {seen} flags found in the READMEs");
    assert!(
        unknown.is_empty(),
        "flags in the READMEs that no `unchained … --help` lists (a renamed or removed option, \
         or another program's flag missing from FOREIGN in tests/docs.rs):\n{}",
        unknown.join("\n")
    );
}

/// What is wrong with one command's help: arguments without help text, internal target ids.
fn help_problems(command: &str, help: &str) -> Vec<String> {
    let mut bare = Vec::new();
    for title in ["Arguments:", "Options:"] {
        for entry in section(help, title) {
            // `  --out <OUT>  Output folder …`: the argument, two spaces, its help.
            let described = entry
                .trim_start()
                .split_once("  ")
                .is_some_and(|(_, h)| !h.trim().is_empty());
            if !described {
                bare.push(format!("unchained {command}: {}", entry.trim()));
            }
        }
    }
    // Internal target ids (`PHOLD (T24)`) say nothing to someone reading the help.
    if let Some(l) = help.lines().find(|l| {
        l.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
            w.len() == 3 && w.starts_with('T') && w[1..].chars().all(|c| c.is_ascii_digit())
        })
    }) {
        bare.push(format!("unchained {command}: a target id in {l:?}"));
    }
    bare
}

#[test]
fn every_argument_of_every_command_has_help_text() {
    // The check itself catches a bare option, a bare positional and a target id.
    let fake = "About\n\nArguments:\n  <FILE>  The file\n  <DIR>\n\nOptions:\n      --out <OUT>  \
                Output\n      --quiet\n  -h, --help   Print help (T24)\n";
    assert_eq!(help_problems("fake", fake).len(), 3, "{fake}");
    let bare: Vec<String> = helps()
        .iter()
        .flat_map(|(command, help)| help_problems(command, help))
        .collect();
    assert!(
        bare.is_empty(),
        "arguments without help text (add a doc comment to the clap field in sim/main.rs or sim/cli/):\n{}",
        bare.join("\n")
    );
}

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
fn prose_words(text: &str, begin: &str, end: &str) -> BTreeSet<String> {
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
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::from("scenarios")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let doc: Yaml = serde_yaml::from_str(&read(&path)).unwrap();
                if doc.get("scenario").is_none() && doc.get("base").is_none() {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    files
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

#[test]
fn every_test_file_is_described_in_the_tests_readme() {
    let text = read(Path::new("tests/README.md"));
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::from("tests")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "__pycache__" {
                    dirs.push(path);
                }
            } else if (dir == Path::new("tests") && name.ends_with(".rs"))
                || name.ends_with(".sh") && name != "run.sh"
                || name.starts_with("test_") && name.ends_with(".py")
            {
                files.push(path.display().to_string());
            }
        }
    }
    assert!(files.len() > 50, "{files:?}");
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !text.contains(&format!("`{f}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "test files tests/README.md does not describe: {missing:?}"
    );
}

/// Every table a run of any example writes, and every column of it, is named in
/// `reports/README.md` (the `run` table's columns are the summary metrics, which the metric
/// table covers). Examples run cut to 30 simulated seconds: the columns do not depend on it.
#[test]
fn every_output_table_and_column_is_in_the_reports_readme() {
    let text = read(Path::new(REPORTS_README));
    let words = prose_words(&text, METRICS_BEGIN, METRICS_END);
    let mut missing = BTreeSet::new();
    let mut tables = BTreeSet::new();
    for (name, yaml) in common::examples(30) {
        let out = common::run(&common::scenario(&yaml));
        for (file, bytes) in common::output_files(&out, &format!("docs-{name}")) {
            let Some(table) = file.strip_suffix(".csv") else {
                continue;
            };
            tables.insert(table.to_string());
            if !words.contains(table) {
                missing.insert(format!("table {table}"));
            }
            if table == "run" {
                continue;
            }
            let header = String::from_utf8_lossy(&bytes);
            let header = header.lines().next().unwrap_or_default();
            for column in header.split(',').filter(|c| !c.is_empty()) {
                if !words.contains(column.trim_matches('"')) {
                    missing.insert(format!("{table}.{column} (in {name})"));
                }
            }
        }
    }
    assert!(tables.len() >= 12, "{tables:?}");
    assert!(
        missing.is_empty(),
        "output tables or columns that {REPORTS_README} does not name in backticks:\n{}",
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut fence = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fence = !fence;
        } else if !fence && line.starts_with('#') {
            out.insert(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn every_relative_link_between_the_readmes_resolves() {
    let mut broken = Vec::new();
    let mut seen = 0;
    for file in readmes() {
        let text = read(&file);
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let link = &rest[..end];
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            seen += 1;
            let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link} (no such file)", file.display()));
            } else if !fragment.is_empty()
                && target.extension().is_some_and(|e| e == "md")
                && !anchors(&read(&target)).contains(fragment)
            {
                broken.push(format!("{}: {link} (no such heading)", file.display()));
            }
        }
    }
    assert!(seen > 20, "only {seen} links found");
    assert!(
        broken.is_empty(),
        "broken links in the READMEs:\n{}",
        broken.join("\n")
    );
}
