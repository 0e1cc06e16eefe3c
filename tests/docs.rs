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

#[path = "docs/cli.rs"]
mod cli;
mod common;
#[path = "docs/fields.rs"]
mod fields;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use fields::prose_words;
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
