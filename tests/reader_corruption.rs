//! Readers of our own outputs treat them as untrusted: seeded random corruption (single-byte
//! flips, truncations, appended garbage) of a real run folder never makes `compare` or
//! `report` panic or abort, and is always detected (exit 2 naming the file) rather than read
//! as if it were a result. A second pass forges the manifest after corrupting, as an attacker
//! would, so the Parquet, YAML and SVG readers themselves are exercised: still no panic.
//!
//! `UNCHAINED_FUZZ_CASES=N` runs N cases per pass instead of the default (the figures in the
//! tests/README.md used 3,000).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The files `compare` or `report` read, with summary.parquet (the file whose silent misread
/// turns into a false regression) drawn most often.
const TARGETS: [(&str, u32); 7] = [
    ("summary.parquet", 6),
    ("latency.parquet", 2),
    ("scenario.yaml", 1),
    ("throughput.svg", 1),
    ("settlement_cdf.svg", 1),
    ("summary.csv", 1),
    ("MANIFEST.sha256", 1),
];

fn cases() -> usize {
    std::env::var("UNCHAINED_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

fn unchained(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
        .args(args)
        .output()
        .unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn pick(rng: &mut ChaCha8Rng, dir: &Path) -> &'static str {
    let present: Vec<(&str, u32)> = TARGETS
        .iter()
        .copied()
        .filter(|(f, _)| dir.join(f).is_file())
        .collect();
    let total: u32 = present.iter().map(|p| p.1).sum();
    let mut r = rng.random_range(0..total);
    for (f, w) in present {
        if r < w {
            return f;
        }
        r -= w;
    }
    unreachable!()
}

/// One seeded mutation of `bytes`; never the identity.
fn mutate(rng: &mut ChaCha8Rng, bytes: &mut Vec<u8>) -> String {
    match rng.random_range(0..4u32) {
        0 | 1 => {
            let at = rng.random_range(0..bytes.len());
            let x = rng.random_range(1..=255u8);
            bytes[at] ^= x;
            format!("flip byte {at} ^ {x:#04x}")
        }
        2 => {
            let keep = rng.random_range(0..bytes.len());
            bytes.truncate(keep);
            format!("truncate to {keep}")
        }
        _ => {
            let n = rng.random_range(1..64);
            bytes.extend((0..n).map(|_| rng.random::<u8>()));
            format!("append {n} bytes")
        }
    }
}

#[derive(Default, Debug)]
struct Tally {
    cases: usize,
    panics: Vec<String>,
    /// Exit 0 or 1 although a file the command reads was damaged.
    silent: Vec<String>,
}

fn crashed(o: &Output) -> bool {
    // 101: a Rust panic; no code: killed by a signal (abort on a failed allocation).
    o.status.code().is_none() || o.status.code() == Some(101)
}

/// Corrupts one file per case in a copy of `pristine`; `forge` rewrites the manifest after
/// corrupting, so the damage can only be caught by the readers' own checks.
fn fuzz(pristine: &Path, work: &Path, seed: u64, forge: bool) -> Tally {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut t = Tally::default();
    let report_out = work.with_extension("html");
    for case in 0..cases() {
        copy_dir(pristine, work);
        let file = pick(&mut rng, work);
        if forge && file == "MANIFEST.sha256" {
            continue;
        }
        let path = work.join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        let how = mutate(&mut rng, &mut bytes);
        std::fs::write(&path, &bytes).unwrap();
        if forge {
            forge_manifest(work);
        }
        let what = format!("case {case}: {file}: {how}");
        t.cases += 1;
        let cmp = unchained(&[Path::new("compare"), pristine, work]);
        let rep = unchained(&[Path::new("report"), work, Path::new("--out"), &report_out]);
        for (name, o) in [("compare", &cmp), ("report", &rep)] {
            if crashed(o) {
                t.panics.push(format!(
                    "{name} {what}: {:?}\n{}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr)
                ));
            }
        }
        if forge {
            continue;
        }
        let compare_reads = matches!(file, "summary.parquet" | "MANIFEST.sha256");
        if compare_reads && cmp.status.code() != Some(2) && !crashed(&cmp) {
            t.silent
                .push(format!("compare {what}: exit {:?}", cmp.status));
        }
        let report_reads = file != "summary.csv";
        if report_reads && rep.status.code() != Some(2) && !crashed(&rep) {
            t.silent
                .push(format!("report {what}: exit {:?}", rep.status));
        }
        for (name, o) in [("compare", &cmp), ("report", &rep)] {
            let err = String::from_utf8_lossy(&o.stderr);
            if o.status.code() == Some(2) && !err.contains(file) {
                t.silent
                    .push(format!("{name} {what}: error does not name {file}: {err}"));
            }
        }
    }
    let _ = std::fs::remove_file(&report_out);
    t
}

/// Rewrites `MANIFEST.sha256` over the folder's current bytes, as someone editing the folder
/// on purpose would.
fn forge_manifest(dir: &Path) {
    unchained::manifest::write(dir, &files(dir)).unwrap();
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "MANIFEST.sha256"))
        .collect();
    v.sort();
    v
}

#[test]
fn corrupted_outputs_are_detected_and_never_crash_a_reader() {
    let root = std::env::temp_dir().join(format!("unchained-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let pristine = root.join("pristine");
    std::fs::create_dir_all(&pristine).unwrap();
    let yaml = std::fs::read_to_string("scenarios/sweeps/tiny-base.yaml").unwrap();
    let out = common::run(&common::scenario(&yaml));
    unchained::report::write_run(&out, &pristine).unwrap();
    let same = unchained(&[Path::new("compare"), &pristine, &pristine]);
    assert_eq!(same.status.code(), Some(0), "the pristine folder must pass");

    let plain = fuzz(&pristine, &root.join("plain"), 11, false);
    eprintln!(
        "plain corruption: {} cases, {} crashes, {} silent misreads",
        plain.cases,
        plain.panics.len(),
        plain.silent.len()
    );
    let forged = fuzz(&pristine, &root.join("forged"), 12, true);
    eprintln!(
        "corruption with a forged manifest: {} cases, {} crashes",
        forged.cases,
        forged.panics.len()
    );
    std::fs::remove_dir_all(&root).unwrap();
    let failures: Vec<&String> = plain
        .panics
        .iter()
        .chain(&plain.silent)
        .chain(&forged.panics)
        .collect();
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A `summary.parquet` with one flipped byte that makes a data page claim about 2^61 values
/// (found by the corruption pass above; polars' decoder aborted the process allocating for
/// them), with a manifest that matches it: refused with exit 2, the file named.
#[test]
fn a_page_claiming_more_values_than_rows_is_refused_not_aborted() {
    let dir = std::env::temp_dir().join(format!("unchained-fuzz-page-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("summary.parquet");
    std::fs::copy("tests/corrupt/page_claims_2e61_values.parquet", &file).unwrap();
    std::fs::write(dir.join("scenario.yaml"), "name: page\n").unwrap();
    unchained::manifest::write(&dir, &[file, dir.join("scenario.yaml")]).unwrap();
    // `report` refuses a device as its --out before reading anything: a new file instead.
    let html = dir.join("out.html");
    let compare: &[&Path] = &[Path::new("compare"), &dir, &dir];
    let report: &[&Path] = &[Path::new("report"), &dir, Path::new("--out"), &html];
    for args in [compare, report] {
        let o = unchained(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {:?} {err}", o.status);
        assert!(
            err.contains("summary.parquet") && err.contains("claims"),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
