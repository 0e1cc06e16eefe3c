//! The command line: exit codes, one-line errors, and no output folder left by a failed run.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("unchained-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    let mut n = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let out = bin().arg("validate").arg(&path).output().unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            n += 1;
        }
    }
    assert!(
        n >= 3,
        "expected the quickstart and at least two more examples"
    );
}

#[test]
fn bad_input_gives_one_line_naming_the_field_and_writes_nothing() {
    let out_dir = temp("bad");
    let out = bin()
        .args([
            "run",
            "tests/invalid_scenarios/on_s_exceeds_period.yaml",
            "--quiet",
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains("on_s"), "{err}");
    assert!(!out_dir.exists());
    let missing = bin()
        .args(["validate", "no/such/file.yaml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/file.yaml"));
}

/// A small scenario named `name`, written to a temporary file.
fn small_scenario(file: &str, name: &str) -> PathBuf {
    let scenario = temp(file);
    std::fs::write(
        &scenario,
        format!(
            "name: {name}
duration_s: 600
devices: [{{ count: 200, workload: {{ model: periodic, interval_s: 60 }} }}]
gateways: {{ count: 4 }}
validators: {{ count: 10 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 2 }}
"
        ),
    )
    .unwrap();
    scenario
}

/// Every entry under `dir` (hidden ones included) with its bytes; folders end in `/`.
fn tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            out.push((format!("{name}/"), vec![]));
            for (k, v) in tree(&e.path()) {
                out.push((format!("{name}/{k}"), v));
            }
        } else {
            out.push((name, std::fs::read(e.path()).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn run_refuses_to_replace_an_existing_folder_without_force() {
    let scenario = small_scenario("refuse.yaml", "tiny");
    let parent = temp("refuse");
    let out_dir = parent.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("notes.txt"), "mine").unwrap();
    let before = tree(&parent);
    let run = |force: bool| {
        let mut c = bin();
        c.arg("run").arg(&scenario).args(["--quiet", "--out"]);
        c.arg(&out_dir);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    let refused = run(false);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("--force") && err.contains("out"), "{err}");
    assert_eq!(tree(&parent), before, "nothing may change");

    let replaced = run(true);
    assert!(
        replaced.status.success(),
        "{}",
        String::from_utf8_lossy(&replaced.stderr)
    );
    let after = tree(&parent);
    assert!(after.iter().any(|(f, _)| f == "out/summary.parquet"));
    assert!(!after.iter().any(|(f, _)| f == "out/notes.txt"));
    // Neither the new folder's hidden sibling nor the old one set aside is left.
    assert!(
        after.iter().all(|(f, _)| f.starts_with("out/")),
        "{after:?}"
    );
    std::fs::remove_dir_all(&parent).unwrap();
    std::fs::remove_file(&scenario).unwrap();
}

#[test]
fn validate_literature_refuses_to_replace_an_existing_folder_without_force() {
    let out_dir = temp("literature");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("validation.md"), "mine").unwrap();
    let refused = bin()
        .args(["validate-literature", "--quick", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        tree(&out_dir),
        [("validation.md".to_string(), b"mine".to_vec())]
    );
    std::fs::remove_dir_all(&out_dir).unwrap();
}

/// `name: ../victim` once made `run` delete `victim` beside `reports/` and write there.
#[test]
fn a_scenario_name_never_leads_the_output_out_of_reports() {
    let cwd = temp("name");
    let victim = cwd.join("victim");
    std::fs::create_dir_all(&victim).unwrap();
    std::fs::write(victim.join("precious.txt"), "keep").unwrap();
    let before = tree(&cwd);
    for name in ["../victim", "reports/../../victim", "\".\"", "''"] {
        let scenario = small_scenario("bad-name.yaml", name);
        let out = bin()
            .current_dir(&cwd)
            .arg("run")
            .arg(&scenario)
            .arg("--quiet")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
        assert!(err.contains("name = "), "{name}: {err}");
        assert_eq!(tree(&cwd), before, "{name}");
        std::fs::remove_file(&scenario).unwrap();
    }
    std::fs::remove_dir_all(&cwd).unwrap();
}

#[test]
fn run_writes_a_complete_folder_with_the_resolved_scenario() {
    let scenario = small_scenario("scenario.yaml", "tiny");
    let out_dir = temp("out");
    let out = bin()
        .arg("run")
        .arg(&scenario)
        .args(["--quiet", "--seed", "77", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "summary.parquet",
        "timeseries.csv",
        "latency.csv",
        "blocks.parquet",
        "nodes.csv",
        "throughput.png",
        "settlement_cdf.svg",
        "block_propagation_cdf.png",
        "summary.txt",
    ] {
        assert!(out_dir.join(f).is_file(), "missing {f}");
    }
    let resolved = std::fs::read_to_string(out_dir.join("scenario.yaml")).unwrap();
    assert!(resolved.contains("seed: 77"), "{resolved}");
    // Defaults are written out, so the folder alone reproduces the run.
    assert!(resolved.contains("max_block_bytes"), "{resolved}");
    // Only this run's hidden folder counts: the parent is the shared temporary folder, where
    // the other tests (and other processes) stage their own folders at the same time.
    let parent = out_dir.parent().unwrap();
    let ours = format!(
        ".{}.partial-",
        out_dir.file_name().unwrap().to_string_lossy()
    );
    let leftovers = std::fs::read_dir(parent)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(&ours)
        })
        .count();
    assert_eq!(leftovers, 0);
    std::fs::remove_dir_all(&out_dir).unwrap();
    std::fs::remove_file(&scenario).unwrap();
}

#[test]
fn a_scenario_too_large_for_this_machine_is_refused_before_allocating() {
    let scenario = temp("huge.yaml");
    let groups: String = ["a", "b", "c", "d"]
        .iter()
        .map(|n| format!("  - {{ name: {n}, count: 1e9, workload: {{ model: periodic, interval_s: 600 }} }}\n"))
        .collect();
    std::fs::write(
        &scenario,
        format!(
            "name: huge
duration_s: 3600
devices:
{groups}gateways: {{ count: 1000 }}
validators: {{ count: 1000 }}
consensus: {{ protocol: nakamoto }}
"
        ),
    )
    .unwrap();
    let out_dir = temp("huge-out");
    let started = std::time::Instant::now();
    let out = bin()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("estimated") && err.contains("--ignore-memory"),
        "{err}"
    );
    assert!(!out_dir.exists());
    // Refused from the estimate, not after trying to allocate four billion devices.
    assert!(started.elapsed().as_secs() < 30);
    std::fs::remove_file(&scenario).unwrap();
}

#[test]
fn the_consensus_comparison_sweep_plans_every_family() {
    let out = bin()
        .args(["sweep", "plan", "scenarios/sweeps/compare-consensus.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(plan.contains("9 points"), "{plan}");
    for family in [
        "nakamoto",
        "pos",
        "pbft",
        "hotstuff",
        "tendermint",
        "xrpl",
        "notary",
        "tangle",
        "raft",
    ] {
        assert!(
            plan.contains(&format!("protocol: {family}")),
            "{family} missing: {plan}"
        );
    }
}

#[test]
fn validate_prints_offered_load_per_group_and_the_memory_estimate() {
    let dir = temp("validate");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("two-groups.yaml");
    std::fs::write(
        &file,
        "duration_s: 600\ndevices:\n  - name: meters\n    count: 100\n    \
         workload: { model: periodic, interval_s: 60 }\n  - name: trackers\n    count: 50\n    \
         workload: { model: poisson, rate_per_s: 0.1 }\nvalidators: { count: 4 }\n\
         consensus: { protocol: pbft }\n",
    )
    .unwrap();
    let out = bin().arg("validate").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("  group meters: 100 devices, offered load 1.667 tx/s\n"),
        "{text}"
    );
    assert!(
        text.contains("  group trackers: 50 devices, offered load 5 tx/s\n"),
        "{text}"
    );
    assert!(
        text.contains("  offered load in all: 6.667 tx/s\n"),
        "{text}"
    );
    let estimate = text
        .lines()
        .find(|l| l.starts_with("  estimated memory: "))
        .unwrap_or_else(|| panic!("no estimate in {text}"));
    // Every part carries its unit.
    for part in ["devices", "gateways", "transactions", "validators", "other"] {
        let at = estimate.find(&format!("{part} ")).unwrap();
        let rest = &estimate[at + part.len() + 1..];
        let number: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        assert!(
            !number.is_empty() && rest[number.len()..].starts_with(" MiB"),
            "{part}: {estimate}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A failing row still writes the report, marks the row, and exits 2. The copy of the
/// validation scenarios adds 50 ms of processing per message to the BFT network, so the
/// commit latencies counted in one-way delays (T13, T14, T16) can no longer match.
#[test]
fn validate_literature_exits_2_when_a_row_fails() {
    let dir = temp("literature-scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir("scenarios/validation").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = if path.ends_with("bft-constant-delay.yaml") {
            assert!(text.contains("processing_ms: 0\n"));
            text.replace("processing_ms: 0\n", "processing_ms: 50\n")
        } else {
            text
        };
        std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
    }
    let out_dir = temp("literature-failing");
    let run = bin()
        .args(["validate-literature", "--quick", "--scenarios"])
        .arg(&dir)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("T13 n=4: commit at every replica"), "{err}");
    let md = std::fs::read_to_string(out_dir.join("validation.md")).unwrap();
    let failed: Vec<&str> = md.lines().filter(|l| l.contains("**NO**")).collect();
    assert!(
        failed.iter().all(|l| ["| T13 ", "| T14 ", "| T16 "]
            .iter()
            .any(|t| l.starts_with(t))),
        "{failed:?}"
    );
    assert!(failed.len() >= 4, "{failed:?}");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&out_dir).unwrap();
}
