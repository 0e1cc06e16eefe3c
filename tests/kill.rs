//! `run` and `sweep merge` killed with SIGKILL at seeded moments across the whole command,
//! replacement of an existing output included: afterwards every output is the old complete
//! one, the new complete one, or absent with the old one intact aside — and the next command
//! puts that one back and leaves no hidden leftovers. Never partial, never lost.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

type Files = BTreeMap<String, Vec<u8>>;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("unchained-kill-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn ok(out: Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The tiny sweep base scenario cut to two simulated minutes, four miners and 30 meters: the
/// run is over in well under a second, most of it writing the outputs.
fn tiny_scenario(dir: &Path) -> PathBuf {
    let base = std::fs::read_to_string("scenarios/sweeps/tiny-base.yaml").unwrap();
    let mut text = base.clone();
    for (from, to) in [
        ("duration_s: 900", "duration_s: 120"),
        ("count: 300", "count: 30"),
        ("validators: { count: 20 }", "validators: { count: 4 }"),
    ] {
        assert!(text.contains(from), "tiny-base.yaml no longer holds {from}");
        text = text.replace(from, to);
    }
    let path = dir.join("tiny.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The files of a folder (recursively, as `sub/file`), or `None` when there is none.
fn files(dir: &Path) -> Option<Files> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut out = Files::new();
    for e in entries {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            for (k, v) in files(&e.path()).unwrap() {
                out.insert(format!("{name}/{k}"), v);
            }
        } else {
            out.insert(name, std::fs::read(e.path()).unwrap());
        }
    }
    Some(out)
}

fn plant(dir: &Path, files: &Files) {
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// Hidden entries of `dir` whose names start with `.{name}.`: our partial and aside copies.
fn hidden(dir: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// Seeded delays spread over `0..1.2 × whole`: before, during and after the writing.
fn delays(seed: u64, n: usize, whole: Duration) -> Vec<Duration> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            whole.mul_f64(1.2 * (x >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

fn kill_after(mut cmd: Command, delay: Duration) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    child.wait().unwrap();
}

/// What one output is after a kill: `old`, `new`, `aside` (absent, the old one intact in a
/// hidden sibling) or `absent` (only where there was no old one). Panics on anything else.
fn state(parent: &Path, name: &str, old: Option<&Files>, new: &Files, what: &str) -> &'static str {
    match files(&parent.join(name)) {
        Some(f) if Some(&f) == old => "old",
        Some(f) if &f == new => "new",
        Some(f) => panic!(
            "{what}: {name} is partial: {:?}",
            f.keys().collect::<Vec<_>>()
        ),
        None => {
            let Some(old) = old else { return "absent" };
            let intact = hidden(parent, name)
                .iter()
                .any(|h| files(h).as_ref() == Some(old));
            assert!(intact, "{what}: {name} is lost: neither in place nor aside");
            "aside"
        }
    }
}

fn tally(states: &[&str]) -> BTreeMap<String, usize> {
    let mut t = BTreeMap::new();
    for s in states {
        *t.entry(s.to_string()).or_insert(0) += 1;
    }
    t
}

#[test]
fn a_killed_run_leaves_the_old_or_the_new_output_never_a_partial_one() {
    let dir = temp("run");
    let scenario = tiny_scenario(&dir);
    let run = |out: &Path, seed: &str| {
        let mut c = bin();
        c.arg("run")
            .arg(&scenario)
            .args(["--quiet", "--seed", seed]);
        c.arg("--out").arg(out);
        c
    };
    ok(run(&dir.join("old"), "1").output().unwrap());
    let old = files(&dir.join("old")).unwrap();
    let started = Instant::now();
    ok(run(&dir.join("new"), "2").output().unwrap());
    let whole = started.elapsed();
    let new = files(&dir.join("new")).unwrap();
    assert_ne!(old, new);

    let mut states = Vec::new();
    for (i, delay) in delays(11, 12, whole).into_iter().enumerate() {
        let case = dir.join(format!("case{i}"));
        let out = case.join("out");
        // Every third kill hits a first write; the others the replacement of an old output.
        let before = (i % 3 != 2).then_some(&old);
        if let Some(old) = before {
            plant(&out, old);
        } else {
            std::fs::create_dir_all(&case).unwrap();
        }
        let mut cmd = run(&out, "2");
        cmd.arg("--force");
        kill_after(cmd, delay);
        let what = format!("kill {i} after {delay:?}");
        let s = state(&case, "out", before, &new, &what);
        states.push(s);
        // The next run puts an old output set aside back and refuses to replace it; with no
        // output at all it writes the new one. Either way nothing hidden is left.
        let next = run(&out, "2").output().unwrap();
        let after = files(&out).unwrap_or_else(|| panic!("{what}: nothing after the next run"));
        match s {
            "old" | "aside" => {
                assert_eq!(next.status.code(), Some(2), "{what}");
                assert!(after == old, "{what}: the old output was not put back");
            }
            "new" => {
                assert_eq!(next.status.code(), Some(2), "{what}");
                assert!(after == new, "{what}");
            }
            _ => {
                ok(next);
                assert!(after == new, "{what}");
            }
        }
        assert_eq!(hidden(&case, "out"), Vec::<PathBuf>::new(), "{what}");
    }
    eprintln!(
        "{} kills of `run` over {whole:?}: {:?}",
        states.len(),
        tally(&states)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_killed_merge_leaves_each_output_old_or_new_never_partial() {
    let dir = temp("merge");
    tiny_scenario(&dir);
    let sweep_file = dir.join("sweep.yaml");
    std::fs::write(
        &sweep_file,
        "name: killed\nscenario: tiny.yaml\nseeds: 1\naxes:\n  consensus.block_interval_s: [10, 30]\n",
    )
    .unwrap();
    let sweep = dir.join("sweep");
    ok(bin()
        .args(["sweep", "run", "--quiet", "--out"])
        .arg(&sweep)
        .arg(&sweep_file)
        .output()
        .unwrap());
    let merge = || {
        let mut c = bin();
        c.args(["sweep", "merge"]).arg(&sweep);
        c
    };
    let outputs = ["combined.parquet", "combined.csv", "charts"];
    let read = |name: &str| {
        let path = sweep.join(name);
        match path.is_dir() {
            true => files(&path),
            false => std::fs::read(&path)
                .ok()
                .map(|b| Files::from([(String::new(), b)])),
        }
    };
    let started = Instant::now();
    ok(merge().output().unwrap());
    let whole = started.elapsed();
    let new: Vec<Files> = outputs.iter().map(|n| read(n).unwrap()).collect();
    let old: Vec<Files> = outputs
        .iter()
        .map(|n| match *n {
            "charts" => Files::from([("old.svg".to_string(), b"<svg/>".to_vec())]),
            _ => Files::from([(String::new(), format!("old {n}").into_bytes())]),
        })
        .collect();

    let mut states = Vec::new();
    for (i, delay) in delays(23, 8, whole).into_iter().enumerate() {
        let first = i % 2 == 1;
        for (name, old) in outputs.iter().zip(&old) {
            let path = sweep.join(name);
            // Each kill starts clean, so an old output found aside was put there by this one.
            for p in hidden(&sweep, name).into_iter().chain([path.clone()]) {
                let _ = std::fs::remove_dir_all(&p);
                let _ = std::fs::remove_file(&p);
            }
            if !first {
                match *name {
                    "charts" => plant(&path, old),
                    _ => std::fs::write(&path, &old[""]).unwrap(),
                }
            }
        }
        kill_after(merge(), delay);
        let what = format!("kill {i} after {delay:?}");
        for ((name, old), new) in outputs.iter().zip(&old).zip(&new) {
            let s = match read(name) {
                Some(f) if !first && &f == old => "old",
                Some(f) if &f == new => "new",
                Some(f) => panic!(
                    "{what}: {name} is partial: {:?}",
                    f.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>()
                ),
                None if first => "absent",
                None => state(&sweep, name, Some(old), new, &what),
            };
            states.push(s);
        }
        // Readers take combined.parquet for a merged sweep: it never comes without the rest.
        let this = &states[states.len() - outputs.len()..];
        if first && this[0] == "new" {
            assert_eq!(this, ["new"; 3], "{what}: {outputs:?}");
        }
    }
    // One complete merge afterwards cleans up whatever the last killed one left.
    ok(merge().output().unwrap());
    for (name, new) in outputs.iter().zip(&new) {
        assert!(
            read(name).as_ref() == Some(new),
            "{name} after a full merge"
        );
        assert_eq!(hidden(&sweep, name), Vec::<PathBuf>::new(), "{name}");
    }
    eprintln!(
        "{} kills of `sweep merge` over {whole:?}, {} outputs checked: {:?}",
        states.len() / outputs.len(),
        states.len(),
        tally(&states)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
