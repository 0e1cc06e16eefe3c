//! The command line: a thin shell over the library.

use clap::{Parser, Subcommand};
use cli::bench::Bench;
use cli::studies::{SweepCmd, compare, plan, plan_capacity, plan_shard, sweep};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use unchained::{atomic, report, scenario, validation, world};

mod cli;

#[derive(Parser)]
#[command(
    name = "unchained",
    version,
    about = "Discrete-event simulator for IoT blockchain networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario and write its tables, charts and summary.
    Run {
        /// The scenario file (YAML; see scenarios/ for examples). `-` reads standard input;
        /// file names in it are then relative to the current folder.
        file: PathBuf,
        /// Output folder (default: reports/<scenario name>). Written beside it and moved in
        /// only when complete.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder when it already exists.
        #[arg(long)]
        force: bool,
        /// Overrides the scenario's seed.
        #[arg(long, value_name = "SEED")]
        seed: Option<u64>,
        /// No progress bar and no memory estimate on stderr.
        #[arg(long)]
        quiet: bool,
        /// How progress is shown on stderr: `bar` (on a terminal only) or `jsonl`, one JSON
        /// object per line (`start`, `progress`, `done` events) for programs, in place of the
        /// bar and the memory estimate.
        #[arg(long, value_enum, conflicts_with = "quiet", value_name = "FORM")]
        progress: Option<ProgressForm>,
        /// Run even when the memory estimate exceeds the memory available now.
        #[arg(long)]
        ignore_memory: bool,
        /// Set a field before validation: a dotted path as in sweep axes
        /// (`validators.count=16`, `devices[0].workload.interval_s=60`); VALUE is YAML.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// Check a scenario file without running it; prints the offered load of each device
    /// group and the memory estimate.
    Validate {
        /// The scenario file (YAML; `-`: standard input).
        file: PathBuf,
        /// Set a field before validation, as `run --set`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// Engine benchmarks that print their figures.
    #[command(subcommand)]
    Bench(Bench),
    /// Sweeps over scenario parameters and seeds.
    #[command(subcommand)]
    Sweep(SweepCmd),
    /// Find the smallest configuration meeting a plan file's requirements, or (--capacity)
    /// the largest load a scenario sustains; exits 0 when one exists, 1 when none does, 2 on
    /// bad input. Runs are kept in DIR and reused.
    Plan {
        /// The plan file (YAML: base scenario, choices, requirements, costs).
        #[arg(required_unless_present = "capacity", conflicts_with = "capacity")]
        file: Option<PathBuf>,
        /// Instead of a plan file: the largest value of --axis at which this scenario meets
        /// the --require conditions (default: not saturated), by doubling then bisecting.
        #[arg(long, value_name = "SCENARIO")]
        capacity: Option<PathBuf>,
        /// With --capacity: the integer field to scale (default: devices[0].count when the
        /// scenario has one device group).
        #[arg(long, requires = "capacity")]
        axis: Option<String>,
        /// With --capacity: a condition "METRIC OP VALUE" (OP: >=, <=, ==), repeatable;
        /// default "saturated == false".
        #[arg(long, requires = "capacity", value_name = "CONDITION")]
        require: Vec<String>,
        /// With --capacity: seeds per value (more where an interval straddles a condition).
        #[arg(long, requires = "capacity", default_value_t = 3)]
        seeds: u32,
        /// `I/N`: run shard I of N of the plan's whole grid (every configuration, the plan's
        /// seeds) and stop, for Slurm arrays (`N` alone takes I from SLURM_ARRAY_TASK_ID); a
        /// later `plan FILE --out DIR` without it searches over those runs.
        #[arg(long, value_name = "I/N", conflicts_with = "capacity")]
        shard: Option<String>,
        /// Folder for the plan's runs and its plan.csv/.parquet/.md; runs already there are
        /// reused.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Most runs at once (default: the thread count; lowered by the memory estimate).
        #[arg(long)]
        jobs: Option<usize>,
        /// No progress on stderr.
        #[arg(long)]
        quiet: bool,
    },
    /// Write one self-contained HTML report of a run folder or a merged sweep folder.
    Report {
        /// A run folder (from `run`) or a merged sweep folder (from `sweep merge`).
        dir: PathBuf,
        /// Output file (default: DIR/report.html, which is replaced).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing file given with --out.
        #[arg(long)]
        force: bool,
    },
    /// Compare a candidate run (or merged sweep) folder with a baseline; exits 1 when a
    /// metric is beyond its tolerance in the bad direction or the scenarios differ, 2 on bad
    /// input.
    Compare {
        /// The reference run folder (or merged sweep folder).
        baseline: PathBuf,
        /// The run folder (or merged sweep folder) judged against it.
        candidate: PathBuf,
        /// YAML with per-metric tolerances (default: 5 % relative, the registry's floors and
        /// directions).
        #[arg(long)]
        tolerance: Option<PathBuf>,
        /// Judge the metrics even when the scenarios' inputs differ (they are still listed).
        #[arg(long)]
        allow_changed_inputs: bool,
        /// Output on stdout: text, markdown or json.
        #[arg(long, default_value = "text")]
        format: unchained::compare::Format,
        /// Also write the verdicts as JUnit XML to FILE, for CI systems.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Replace an existing --junit file.
        #[arg(long)]
        force: bool,
    },
    /// Print the JSON Schema of scenario, sweep or plan files (editors and checkers read it;
    /// committed copies: scenarios/unchained*.schema.json).
    Schema {
        /// Which file kind.
        #[arg(value_enum, default_value = "scenario")]
        kind: SchemaKind,
    },
    /// Reproduce the published results (targets.yaml) and write a table and charts.
    ValidateLiterature {
        /// Output folder.
        #[arg(long, default_value = "reports/validation")]
        out: PathBuf,
        /// Folder of the validation scenarios.
        #[arg(long, default_value = "scenarios/validation")]
        scenarios: PathBuf,
        /// Fewer blocks, seeds and points (about a minute).
        #[arg(long)]
        quick: bool,
        /// Replace the output folder when it already exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ProgressForm {
    Bar,
    Jsonl,
}

/// What `--quiet` and `--progress` ask for together.
fn feedback(quiet: bool, form: Option<ProgressForm>) -> world::Feedback {
    match (quiet, form) {
        (true, _) => world::Feedback::Quiet,
        (false, Some(ProgressForm::Jsonl)) => world::Feedback::Jsonl,
        (false, _) => world::Feedback::Text,
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SchemaKind {
    Scenario,
    Sweep,
    Plan,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Run {
            file,
            out,
            force,
            seed,
            quiet,
            progress,
            ignore_memory,
            set,
        } => load(&file, &set).and_then(|s| {
            let feedback = feedback(quiet, progress);
            run(s, out, force, seed, feedback, ignore_memory)
        }),
        Cmd::Bench(b) => cli::bench::run(b),
        Cmd::Validate { file, set } => {
            load(&file, &set).map(|s| print!("{}", validate_text(&file, &s)))
        }
        Cmd::Sweep(cmd) => sweep(cmd),
        Cmd::Plan {
            file,
            capacity,
            axis,
            require,
            seeds,
            shard,
            out,
            jobs,
            quiet,
        } => match match (&file, &capacity) {
            (Some(file), None) if shard.is_some() => plan_shard(
                file,
                shard.as_deref().unwrap_or_default(),
                &out,
                jobs,
                quiet,
            ),
            (_, Some(scenario)) => {
                let req = unchained::plan::capacity::Request {
                    scenario,
                    axis: axis.as_deref(),
                    requirements: &require,
                    seeds,
                };
                plan_capacity(&req, &out, jobs, quiet)
            }
            (Some(file), None) => plan(file, &out, jobs, quiet),
            (None, None) => Err("plan: give a plan file or --capacity SCENARIO".into()),
        } {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Cmd::Report { dir, out, force } => {
            report::html::write(&dir, out.as_deref(), force).map(|p| println!("{}", p.display()))
        }
        Cmd::Compare {
            baseline,
            candidate,
            tolerance,
            allow_changed_inputs,
            format,
            junit,
            force,
        } => {
            return compare(
                &baseline,
                &candidate,
                tolerance.as_deref(),
                allow_changed_inputs,
                format,
                junit.as_deref().map(|j| (j, force)),
            );
        }
        Cmd::Schema { kind } => {
            let schema = match kind {
                SchemaKind::Scenario => scenario::json_schema::scenario(),
                SchemaKind::Sweep => unchained::sweep::json_schema(),
                SchemaKind::Plan => unchained::plan::json_schema(),
            };
            print!("{}", scenario::json_schema::to_text(&schema));
            Ok(())
        }
        Cmd::ValidateLiterature {
            out,
            scenarios,
            quick,
            force,
        } => validate_literature(&out, &scenarios, quick, force),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors echo names and values from files; they stay on one line.
            eprintln!("error: {}", scenario::one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// What `validate` prints of a valid scenario: its size, the load each device group offers
/// and the memory estimate `run` would check.
fn validate_text(file: &Path, s: &scenario::Scenario) -> String {
    let mut out = format!(
        "{}: valid ({} validators, {} device groups)\n",
        scenario::limits::origin(file),
        s.validators.count,
        s.devices.len()
    );
    let mut total = 0.0;
    for g in &s.devices {
        let offered = world::offered_tx_per_s(g);
        total += offered;
        out.push_str(&format!(
            "  group {}: {} devices, offered load {} tx/s\n",
            g.name,
            g.count,
            rate(offered)
        ));
    }
    out.push_str(&format!("  offered load in all: {} tx/s\n", rate(total)));
    out.push_str(&format!("  estimated memory: {}\n", world::estimate(s)));
    out
}

/// A rate with four significant digits, without trailing zeros.
fn rate(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Reads a scenario file with `--set PATH=VALUE` overrides applied to its YAML tree (the
/// sweep's dotted paths) before it is validated.
fn load(file: &Path, sets: &[String]) -> Result<scenario::Scenario, String> {
    if sets.is_empty() {
        return scenario::load(file).map_err(|e| e.to_string());
    }
    let origin = scenario::limits::origin(file);
    let text = scenario::limits::read(file).map_err(|e| format!("{origin}: {e}"))?;
    let mut pairs = Vec::new();
    for set in sets {
        let Some((path, value)) = set.split_once('=') else {
            return Err(format!("--set {set}: expected PATH=VALUE"));
        };
        let value: serde_yaml::Value =
            serde_yaml::from_str(value).map_err(|e| format!("--set {path}: {e}"))?;
        pairs.push((path.trim(), value));
    }
    // Names in the file and in the overrides are both relative to the file's folder.
    let folder = scenario::limits::folder_of(file);
    unchained::sweep::with_overrides(&text, &origin, &folder, &pairs)
}

fn run(
    mut s: scenario::Scenario,
    out: Option<PathBuf>,
    force: bool,
    seed: Option<u64>,
    feedback: world::Feedback,
    ignore_memory: bool,
) -> Result<(), String> {
    if let Some(seed) = seed {
        s.seed = seed;
    }
    let need = world::estimate(&s);
    if feedback == world::Feedback::Text {
        eprintln!("{}: estimated memory {need}", s.name);
    }
    if let Some(available) = world::available_bytes()
        && need.total() > available
        && !ignore_memory
    {
        return Err(format!(
            "{}: needs an estimated {need}, but only {} MiB are available; reduce the scenario or pass --ignore-memory",
            s.name,
            available / (1024 * 1024)
        ));
    }
    let out = match out {
        Some(out) => out,
        None => default_out(&s.name)?,
    };
    let staged = atomic::Staged::begin(&out, force)?;
    let progress = world::Progress::for_feedback(feedback);
    // Closed `blocks` rows go to the staging folder as the run goes, so a long run does not
    // hold them all; `write_run` merges them into the table and removes their file.
    let output =
        world::run_rows_to(&s, &progress, Some(staged.path())).map_err(|e| e.to_string())?;
    let events = output.metric("events").unwrap_or(0.0);
    let wall = progress.elapsed_s();
    report::write_run(&output, staged.path()).map_err(|e| e.to_string())?;
    staged.commit()?;
    let mib = |b: f64| b / (1024.0 * 1024.0);
    let peak = unchained::bench::peak_rss_bytes()
        .map_or("unknown".into(), |b| format!("{:.0} MiB", mib(b as f64)));
    eprintln!(
        "{}: {} events in {:.2} s ({:.2} M events/s); created {} settled {} → {}; peak memory \
         {peak} (estimated {:.0} MiB)",
        s.name,
        events,
        wall,
        events / wall.max(1e-9) / 1e6,
        output.conservation.created,
        output.conservation.settled,
        out.display(),
        mib(need.total() as f64)
    );
    for w in output.warnings() {
        eprintln!("{}: {w}", s.name);
    }
    Ok(())
}

/// `reports/<name>`; validation already holds the name to one plain folder name, checked
/// again here because a wrong name would write, or replace, a folder anywhere.
fn default_out(name: &str) -> Result<PathBuf, String> {
    if let Some(problem) = scenario::name_problem(name) {
        return Err(format!("name = {name:?}: {problem}"));
    }
    let out = Path::new("reports").join(name);
    match out.components().nth(1) {
        Some(std::path::Component::Normal(n)) if n == name => Ok(out),
        _ => Err(format!(
            "name = {name:?} does not name a folder inside reports/"
        )),
    }
}

fn validate_literature(
    out: &Path,
    scenarios: &Path,
    quick: bool,
    force: bool,
) -> Result<(), String> {
    let staged = atomic::Staged::begin(out, force)?;
    let suite = validation::run(scenarios, quick)?;
    validation::write(&suite, staged.path())?;
    staged.commit()?;
    let failed: Vec<String> = suite
        .rows
        .iter()
        .filter(|r| !r.pass)
        .map(|r| format!("{} {}", r.target, r.case))
        .collect();
    eprintln!(
        "{} of {} checks pass → {}",
        suite.rows.len() - failed.len(),
        suite.rows.len(),
        out.display()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failed.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every argument of every subcommand says what it is in `--help`.
    #[test]
    fn every_argument_has_help() {
        fn walk(c: &clap::Command, at: &str, missing: &mut Vec<String>) {
            for a in c.get_arguments() {
                let builtin = matches!(a.get_id().as_str(), "help" | "version");
                if !builtin && a.get_help().is_none() && !a.is_hide_set() {
                    missing.push(format!("{at} {}", a.get_id()));
                }
            }
            for sub in c.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{at} {} (the subcommand)", sub.get_name()));
                }
                walk(sub, &format!("{at} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        let cli = Cli::command();
        cli.clone().debug_assert();
        walk(&cli, "unchained", &mut missing);
        assert!(missing.is_empty(), "no help text: {}", missing.join(", "));
    }

    #[test]
    fn rates_keep_four_significant_digits() {
        assert_eq!(rate(8.333333), "8.333");
        assert_eq!(rate(1666.6667), "1667");
        assert_eq!(rate(0.0016667), "0.001667");
        assert_eq!(rate(2.5), "2.5");
        assert_eq!(rate(0.0), "0");
    }
}
