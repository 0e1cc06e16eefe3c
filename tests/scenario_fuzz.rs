//! Property test over the scenario parser and validator: the shipped scenarios, mutated by
//! seeded random edits (values replaced by other types, huge numbers and control characters,
//! lines deleted, duplicated or moved, unknown keys, deep nesting), are parsed and validated.
//! Whatever the edit, loading must not panic, and every error must be one line that names a
//! field path or a line number.
//!
//! `FUZZ_CASES` raises the number of cases for a longer search (`FUZZ_CASES=200000 cargo test
//! --test scenario_fuzz`); the default keeps the test to about a second.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use unchained::scenario::{self, ScenarioError};

const DEFAULT_CASES: usize = 4_000;

/// Values of every YAML type, limits of the numeric types, and characters that break lines or
/// terminals.
const VALUES: &[&str] = &[
    "1.5",
    "-3",
    "0",
    "-0.0",
    "1e400",
    "-1e400",
    "18446744073709551616",
    "-9223372036854775809",
    "4294967296",
    "1e15",
    ".nan",
    ".inf",
    "~",
    "true",
    "\"text\"",
    "''",
    "[1, 2]",
    "[]",
    "{a: 1}",
    "{}",
    "\"a\\nb\"",
    "\"\\e[31mred\\e[0m\"",
    "\"\\u2028\"",
    "\"tab\\there\"",
    "&anchor 5",
    "*missing",
    "!!binary aGVsbG8=",
    "0x10",
    "1_000",
];

fn shipped() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("scenarios/ is listed")
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "yaml").then(|| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "shipped scenarios found: {}",
        files.len()
    );
    files
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn indent_of(line: &str) -> String {
    let body = line.trim_start_matches([' ', '-']);
    " ".repeat(line.len() - body.len())
}

/// One random edit of `lines`; returns the index of the line whose value it replaced, if that
/// was the edit.
fn mutate(rng: &mut ChaCha8Rng, lines: &mut Vec<String>) -> Option<usize> {
    if lines.is_empty() {
        lines.push(String::new());
    }
    let i = rng.random_range(0..lines.len());
    match rng.random_range(0..10) {
        // Replace a value with one of another type.
        0..=2 => {
            if let Some(colon) = lines[i].find(": ") {
                let value = pick(rng, VALUES);
                lines[i] = format!("{}: {value}", &lines[i][..colon]);
                return Some(i);
            }
        }
        3 => {
            lines.remove(i);
        }
        4 => {
            let copy = lines[i].clone();
            lines.insert(i, copy);
        }
        5 => {
            let line = lines.remove(i);
            let j = rng.random_range(0..=lines.len());
            lines.insert(j, line);
        }
        // An unknown key at the indentation of an existing one.
        6 => {
            let key = pick(
                rng,
                &["bogus", "model", "protocol", "kind", "count", "\"x\\ny\""],
            );
            let value = pick(rng, VALUES);
            lines.insert(i, format!("{}{key}: {value}", indent_of(&lines[i])));
        }
        // Deep nesting, in flow and block style.
        7 => {
            let depth = rng.random_range(1..400);
            if let Some(colon) = lines[i].find(": ") {
                let (open, close) = if rng.random_bool(0.5) {
                    ("[", "]")
                } else {
                    ("{a: ", "}")
                };
                lines[i] = format!(
                    "{}: {}1{}",
                    &lines[i][..colon],
                    open.repeat(depth),
                    close.repeat(depth)
                );
            } else {
                let block: Vec<String> = (0..depth.min(150))
                    .map(|d| format!("{}k{d}:", " ".repeat(d + 1)))
                    .collect();
                lines.splice(i..i, block);
            }
        }
        // A control character or a multi-byte character inside a line.
        8 => {
            let c = *pick(
                rng,
                &['\t', '\r', '\u{1b}', '\u{0}', '\u{2028}', 'é', '"', '\''],
            );
            let at = lines[i]
                .char_indices()
                .map(|(k, _)| k)
                .nth(rng.random_range(0..=lines[i].chars().count()))
                .unwrap_or(lines[i].len());
            lines[i].insert(at, c);
        }
        // Swap a number for a huge or tiny one of the same sign.
        _ => {
            let huge = pick(
                rng,
                &["1e308", "1e-320", "99999999999999999999", "4e9", "2e9"],
            );
            if let Some(colon) = lines[i].find(": ") {
                lines[i] = format!("{}: {huge}", &lines[i][..colon]);
                return Some(i);
            }
        }
    }
    None
}

/// Why an error message breaks the rules, if it does. `replaced` is the line (0-based) of the
/// only edit when that edit replaced a value: a parse error must then point at that line, not
/// at the section around it.
fn violation(e: &ScenarioError, replaced: Option<usize>) -> Option<String> {
    let message = e.to_string();
    if message.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return Some(format!("spans lines: {message:?}"));
    }
    let named = match e {
        // Every validation error has a dotted path by construction.
        ScenarioError::Invalid { errors, .. } => errors.iter().all(|f| !f.path.is_empty()),
        ScenarioError::Parse { message, .. } => message
            .split("line ")
            .skip(1)
            .any(|rest| rest.starts_with(|c: char| c.is_ascii_digit())),
        ScenarioError::Io { .. } => false,
    };
    if let (ScenarioError::Parse { message, .. }, Some(i)) = (e, replaced)
        && !message.contains(&format!("line {} column", i + 1))
    {
        return Some(format!(
            "does not point at the edited line {}: {message}",
            i + 1
        ));
    }
    (!named).then(|| format!("names neither a field path nor a line: {message}"))
}

#[test]
fn mutated_scenarios_never_panic_and_errors_name_where() {
    let cases: usize = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let files = shipped();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (mut accepted, mut rejected) = (0usize, 0usize);
    let mut bad = Vec::new();
    for case in 0..cases {
        let (name, text) = pick(&mut rng, &files);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let edits = rng.random_range(1..4);
        let mut replaced = None;
        for _ in 0..edits {
            replaced = mutate(&mut rng, &mut lines).filter(|_| edits == 1);
        }
        let mutated = lines.join("\n") + "\n";
        let started = std::time::Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| scenario::parse(&mutated, name)));
        let took = started.elapsed();
        let problem = match &outcome {
            Err(_) => Some("panicked".to_string()),
            Ok(Ok(_)) => {
                accepted += 1;
                None
            }
            Ok(Err(e)) => {
                rejected += 1;
                violation(e, replaced)
            }
        };
        let problem = problem.or_else(|| {
            (took.as_secs_f64() > 0.5).then(|| format!("took {:.1} s", took.as_secs_f64()))
        });
        if let Some(p) = problem {
            bad.push(format!("case {case} ({name}): {p}\n--- input:\n{mutated}"));
        }
    }
    eprintln!(
        "{cases} cases: {accepted} accepted, {rejected} rejected, {} broke the rules",
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "{} of {cases} cases broke the rules; first:\n{}",
        bad.len(),
        bad[0]
    );
}
