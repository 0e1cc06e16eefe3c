//! What the command line reads and what it reports to programs: scenario and sweep text on
//! standard input (`-`, file names in it relative to the current folder), file names a
//! scenario gives (a gateway CSV) relative to its own file whatever sets them (`--set`, a
//! sweep), and progress as JSON lines that change no output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value as Json;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("unchained-input-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// Runs `cmd` with `stdin` written to its standard input.
fn with_stdin(mut cmd: Command, stdin: &str) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// A LoRaWAN scenario whose two gateways stand where `gw.csv` says (or on a grid).
fn lorawan(placement: &str) -> String {
    format!(
        "duration_s: 120
devices:
  - count: 50
    workload: {{ model: periodic, interval_s: 60 }}
    tx_bytes: 20
    radio: {{ model: lorawan, sf: adr }}
gateways: {{ count: 2 }}
area: {{ shape: disc, size_m: 5000, {placement} }}
validators: {{ count: 4 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 1 }}
"
    )
}

const LISTED: &str = "gateways: listed, gateways_csv: gw.csv";

/// A folder holding `gw.csv` and the scenarios `listed.yaml` and `grid.yaml`; the tests run
/// from the crate root, where no `gw.csv` is.
fn folder(name: &str) -> PathBuf {
    let dir = temp(name);
    std::fs::write(dir.join("gw.csv"), "x_m,y_m\n-1000,0\n1000,0\n").unwrap();
    std::fs::write(dir.join("listed.yaml"), lorawan(LISTED)).unwrap();
    std::fs::write(dir.join("grid.yaml"), lorawan("gateways: grid")).unwrap();
    assert!(!Path::new("gw.csv").exists());
    dir
}

#[test]
fn set_resolves_a_gateway_csv_against_the_scenario_file() {
    let dir = folder("set");
    // A field set beside a CSV the file names, and a CSV named by --set itself.
    let a = bin()
        .args(["validate", "--set", "validators.count=5"])
        .arg(dir.join("listed.yaml"))
        .output()
        .unwrap();
    assert!(ok(&a).is_empty());
    let b = bin()
        .arg("validate")
        .arg(dir.join("grid.yaml"))
        .args([
            "--set",
            "area.gateways=listed",
            "--set",
            "area.gateways_csv=gw.csv",
        ])
        .output()
        .unwrap();
    ok(&b);
    // Without the file the message names the field and the file.
    std::fs::remove_file(dir.join("gw.csv")).unwrap();
    let c = bin()
        .args(["validate", "--set", "validators.count=5"])
        .arg(dir.join("listed.yaml"))
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&c.stderr);
    assert_eq!(c.status.code(), Some(2), "{e}");
    assert!(
        e.contains("area.gateways_csv = \"gw.csv\": cannot be read"),
        "{e}"
    );
    // A folder (or a FIFO, which would block) in its place is refused, not read.
    std::fs::create_dir(dir.join("gw.csv")).unwrap();
    let d = bin()
        .args(["validate", "--set", "validators.count=5"])
        .arg(dir.join("listed.yaml"))
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&d.stderr);
    assert_eq!(d.status.code(), Some(2), "{e}");
    assert!(
        e.contains("area.gateways_csv = \"gw.csv\": is not a regular file"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sweep_reads_its_base_scenarios_files_from_the_base_folder() {
    let dir = folder("sweep");
    let sweep = "scenario: listed.yaml\nseeds: 1\naxes: { validators.count: [4, 5] }\n";
    std::fs::write(dir.join("sweep.yaml"), sweep).unwrap();
    let out = bin()
        .args(["sweep", "plan"])
        .arg(dir.join("sweep.yaml"))
        .output()
        .unwrap();
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 runs"),
        "{out:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn text_on_stdin_resolves_names_against_the_current_folder() {
    let dir = folder("stdin");
    let mut cmd = bin();
    cmd.current_dir(&dir).args(["validate", "-"]);
    let out = with_stdin(cmd, &lorawan(LISTED));
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("stdin: valid"),
        "{out:?}"
    );
    // A sweep's relative `scenario:` is found from the current folder.
    let mut cmd = bin();
    cmd.current_dir(&dir).args(["sweep", "plan", "-"]);
    let out = with_stdin(
        cmd,
        "scenario: listed.yaml\nseeds: 2\naxes: { validators.count: [4] }\n",
    );
    ok(&out);
    // Errors name standard input as the source.
    let mut cmd = bin();
    cmd.current_dir(&dir).args(["validate", "-"]);
    let out = with_stdin(cmd, &lorawan(LISTED).replace("count: 4", "count: 0"));
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains("stdin") && e.contains("validators.count = 0"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The JSON objects among `stderr`'s lines; every line that looks like one must parse.
fn events(stderr: &str) -> Vec<Json> {
    stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn progress_as_json_lines_changes_no_output() {
    let dir = temp("progress");
    let scenario = "scenarios/sweeps/tiny-base.yaml";
    let run = |out: &str, how: &[&str]| {
        let o = bin()
            .args(["run", scenario, "--out"])
            .arg(dir.join(out))
            .args(how)
            .output()
            .unwrap();
        ok(&o)
    };
    let stderr = run("lines", &["--progress", "jsonl"]);
    run("quiet", &["--quiet"]);
    let ev = events(&stderr);
    let kinds: Vec<&str> = ev.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"start"), "{stderr}");
    assert_eq!(kinds.last(), Some(&"done"), "{stderr}");
    assert!(kinds[1..kinds.len() - 1].iter().all(|k| *k == "progress"));
    // tiny-base runs 900 simulated seconds.
    assert_eq!(ev[0]["end_s"], 900);
    let done = ev.last().unwrap();
    assert_eq!(done["sim_s"], 900);
    assert!(done["events"].as_u64().unwrap() > 0);
    let mut last = 0;
    for e in &ev[1..ev.len() - 1] {
        let t = e["sim_s"].as_u64().unwrap();
        assert!(t >= last && t <= 900, "{e}");
        last = t;
    }
    assert_eq!(files(&dir.join("lines")), files(&dir.join("quiet")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sweep_reports_each_finished_run_as_a_json_line() {
    let dir = temp("sweep-progress");
    let sweep = dir.join("two.yaml");
    let base = std::fs::canonicalize("scenarios/sweeps/tiny-base.yaml").unwrap();
    let text = format!(
        "scenario: {}\nseeds: 2\naxes: {{ duration_s: [120] }}\n",
        base.display()
    );
    std::fs::write(&sweep, text).unwrap();
    let out = bin()
        .args(["sweep", "run"])
        .arg(&sweep)
        .arg("--out")
        .arg(dir.join("out"))
        .args(["--jobs", "2", "--progress", "jsonl"])
        .output()
        .unwrap();
    let ev = events(&ok(&out));
    assert_eq!(ev[0]["event"], "sweep");
    assert_eq!(
        (ev[0]["runs"].as_u64(), ev[0]["todo"].as_u64()),
        (Some(2), Some(2))
    );
    let mut done: Vec<u64> = ev[1..]
        .iter()
        .map(|e| e["done"].as_u64().unwrap())
        .collect();
    done.sort();
    assert_eq!(done, [1, 2]);
    assert!(
        ev[1..]
            .iter()
            .all(|e| e["event"] == "run" && e["todo"] == 2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
