//! The command line: a thin shell over the library.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use unchained::{atomic, report, scenario, validation, world};

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

#[derive(Subcommand)]
enum Bench {
    /// PHOLD, the standard synthetic benchmark of discrete-event engines: committed events
    /// per second of the event engine.
    Phold {
        /// Logical processes, each holding one event at a time.
        #[arg(long, default_value_t = 1_000_000)]
        lps: u32,
        /// Share of events sent to another, uniformly chosen, logical process (0 to 1).
        #[arg(long, default_value_t = 0.1)]
        remote: f64,
        /// End time in units of the mean increment.
        #[arg(long, default_value_t = 20.0)]
        end: f64,
        /// Minimum time increment in units of the mean (0 to below 1); also the width of the
        /// partitions' time windows.
        #[arg(long, default_value_t = 0.1)]
        lookahead: f64,
        /// Master seed of the random streams.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Contiguous LP ranges, each with its own queue, run in time windows of width
        /// `lookahead`. 0 runs the sequential engine (one queue).
        #[arg(long, default_value_t = 16)]
        partitions: u32,
        /// Worker threads for the partitions (results do not depend on it).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Runs; prints each and, for more than one, the median.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
    /// BFT validators' scale table: each size runs in a fresh process; prints events, wall and
    /// CPU time, events per second, peak RSS and the peak of the vote bookkeeping.
    Validators {
        /// Protocols, comma-separated: pbft, hotstuff, tendermint.
        #[arg(long, default_value = "pbft")]
        protocols: String,
        /// Validator counts, comma-separated.
        #[arg(long, default_value = "100,300,1000")]
        validators: String,
        /// Simulated time of each run, seconds.
        #[arg(long, default_value_t = 20.0)]
        duration_s: f64,
        /// Worker threads (the validators' side runs on one).
        #[arg(long, default_value_t = 1)]
        threads: u64,
        /// Run one protocol and size in this process and print its row (used by the table).
        #[arg(long)]
        one: bool,
    },
    /// Device-fleet scale table: each size runs in a fresh process; prints wall time, events
    /// per second, transactions, peak RSS and bytes per device.
    Fleet {
        /// Fleet sizes, comma-separated (e.g. 1e6,1e7,1e8).
        #[arg(long, default_value = "1e6,1e7")]
        devices: String,
        /// Validators of the fleet's Nakamoto network.
        #[arg(long, default_value_t = 1000)]
        validators: u64,
        /// Simulated time of each run, seconds.
        #[arg(long, default_value_t = 3600.0)]
        duration_s: f64,
        /// Worker threads, comma-separated; every size runs at each (e.g. 1,2).
        #[arg(long, default_value = "2")]
        threads: String,
        /// Run one size in this process and print its row (used by the table).
        #[arg(long, hide = true)]
        one: bool,
        /// A LoRaWAN fleet (radio, gateways with collisions and duty cycle) instead.
        #[arg(long)]
        lorawan: bool,
        /// An NB-IoT fleet (PSM, cells with a connection limit, settlement receipts) instead.
        #[arg(long, conflicts_with = "lorawan")]
        nbiot: bool,
    },
}

#[derive(Subcommand)]
enum SweepCmd {
    /// Print the points of a sweep file and the number of runs.
    Plan {
        /// The sweep file (YAML: base scenario, axes, seeds, charts).
        file: PathBuf,
    },
    /// Run a sweep's runs (or one shard's share of them) into DIR; complete runs are skipped.
    Run {
        /// The sweep file (YAML: base scenario, axes, seeds, charts). `-` reads standard
        /// input; its `scenario:` path is then relative to the current folder.
        file: PathBuf,
        /// The sweep folder: runs go to DIR/runs/point=P/seed=S; complete ones are kept.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// `I/N`: run shard I of N; `N` alone takes I from SLURM_ARRAY_TASK_ID.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Most runs at once (default: the thread count; lowered by the memory estimate).
        #[arg(long)]
        jobs: Option<usize>,
        /// Merge after running (only sensible without --shard).
        #[arg(long)]
        merge: bool,
        /// No progress on stderr.
        #[arg(long)]
        quiet: bool,
        /// How progress is shown on stderr: `bar` (a line per finished run) or `jsonl`, one
        /// JSON object per line (a `sweep` event, then a `run` event per finished run).
        #[arg(long, value_enum, conflicts_with = "quiet", value_name = "FORM")]
        progress: Option<ProgressForm>,
    },
    /// Build the combined table and charts of a sweep folder from its runs.
    Merge {
        /// The sweep folder given to `sweep run --out`.
        dir: PathBuf,
    },
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
        Cmd::Bench(Bench::Phold {
            lps,
            remote,
            end,
            lookahead,
            seed,
            partitions,
            threads,
            repeat,
        }) => bench_phold(
            unchained::phold::Phold {
                lps,
                start_events: 1,
                remote,
                mean: 1.0,
                lookahead,
                end,
                seed,
            },
            partitions,
            threads,
            repeat,
        ),
        Cmd::Bench(Bench::Validators {
            protocols,
            validators,
            duration_s,
            threads,
            one,
        }) => bench_validators(&protocols, &validators, duration_s, threads, one),
        Cmd::Bench(Bench::Fleet {
            devices,
            validators,
            duration_s,
            threads,
            one,
            lorawan,
            nbiot,
        }) => {
            let kind = if nbiot {
                FleetKind::Nbiot
            } else if lorawan {
                FleetKind::Lorawan
            } else {
                FleetKind::Plain
            };
            bench_fleet(&devices, validators, duration_s, &threads, one, kind)
        }
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

fn sweep(cmd: SweepCmd) -> Result<(), String> {
    use unchained::sweep;
    match cmd {
        SweepCmd::Plan { file } => {
            print!("{}", sweep::describe(&sweep::load(&file)?));
            Ok(())
        }
        SweepCmd::Run {
            file,
            out,
            shard,
            jobs,
            merge,
            quiet,
            progress,
        } => {
            let s = sweep::load(&file)?;
            let task = std::env::var("SLURM_ARRAY_TASK_ID").ok();
            let shard = match shard {
                Some(text) => sweep::Shard::parse(&text, task.as_deref())?,
                None => sweep::Shard::ALL,
            };
            let o = sweep::run(&s, &out, shard, jobs, feedback(quiet, progress))?;
            eprintln!(
                "{}: ran {}, skipped {} already complete → {}",
                s.name,
                o.ran,
                o.skipped,
                out.display()
            );
            if merge {
                merge_dir(&out)?;
            }
            Ok(())
        }
        SweepCmd::Merge { dir } => merge_dir(&dir),
    }
}

/// Whether a feasible configuration exists.
fn plan(file: &Path, out: &Path, jobs: Option<usize>, quiet: bool) -> Result<bool, String> {
    let p = unchained::plan::load(file)?;
    let o = unchained::plan::run(&p, out, jobs, quiet)?;
    print!(
        "{}",
        std::fs::read_to_string(out.join("plan.md")).unwrap_or_default()
    );
    eprintln!(
        "{}: evaluated {} of {} configurations ({} runs) → {}",
        p.name,
        o.evaluated.len(),
        o.grid,
        o.runs,
        out.display()
    );
    Ok(!o.ranked.is_empty())
}

/// One shard of a plan's grid, run as a sweep shard; `Ok(true)`: nothing to judge yet.
fn plan_shard(
    file: &Path,
    shard: &str,
    out: &Path,
    jobs: Option<usize>,
    quiet: bool,
) -> Result<bool, String> {
    let p = unchained::plan::load(file)?;
    let task = std::env::var("SLURM_ARRAY_TASK_ID").ok();
    let shard = unchained::sweep::Shard::parse(shard, task.as_deref())?;
    let feedback = world::Feedback::text_unless(quiet);
    let o = unchained::sweep::run(&p.sweep, out, shard, jobs, feedback)?;
    eprintln!(
        "{}: ran {}, skipped {} already complete → {}; run `unchained plan {} --out {}` to \
         search over them",
        p.name,
        o.ran,
        o.skipped,
        out.display(),
        file.display(),
        out.display()
    );
    Ok(true)
}

fn plan_capacity(
    req: &unchained::plan::capacity::Request,
    out: &Path,
    jobs: Option<usize>,
    quiet: bool,
) -> Result<bool, String> {
    let c = unchained::plan::capacity::run(req, out, jobs, quiet)?;
    print!("{}", c.markdown);
    eprintln!(
        "{}: {} configurations ({} runs) → {}",
        c.axis,
        c.configurations,
        c.runs,
        out.display()
    );
    Ok(c.capacity.is_some())
}

fn merge_dir(dir: &Path) -> Result<(), String> {
    let (c, charts) = unchained::sweep::merge(dir)?;
    eprintln!(
        "{}: {} points × {} seeds → {} ({} rows), {} chart files",
        c.plan.name,
        c.plan.points,
        c.plan.seeds,
        dir.join("combined.parquet").display(),
        c.point.len(),
        charts.len()
    );
    Ok(())
}

fn compare(
    baseline: &Path,
    candidate: &Path,
    tolerance: Option<&Path>,
    allow_changed_inputs: bool,
    format: unchained::compare::Format,
    junit: Option<(&Path, bool)>,
) -> ExitCode {
    let result = junit
        .map_or(Ok(()), |(file, force)| {
            atomic::refuse_file("--junit", file, force)
        })
        .and_then(|()| {
            tolerance
                .map(unchained::compare::Tolerances::load)
                .unwrap_or_else(|| Ok(Default::default()))
        })
        .and_then(|t| unchained::compare::compare(baseline, candidate, &t, allow_changed_inputs))
        .and_then(|c| match junit {
            Some((file, _)) => atomic::write_file(file, c.junit().as_bytes()).map(|()| c),
            None => Ok(c),
        });
    match result {
        Ok(c) => {
            print!("{}", c.render(format));
            if c.regressed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            // Errors echo names and values from files; they stay on one line.
            eprintln!("error: {}", scenario::one_line(&e));
            ExitCode::from(2)
        }
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
    let output = world::run(&s, &progress).map_err(|e| e.to_string())?;
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

fn bench_phold(
    model: unchained::phold::Phold,
    partitions: u32,
    threads: usize,
    repeat: u32,
) -> Result<(), String> {
    let unchained::phold::Phold {
        lps,
        remote,
        end,
        lookahead,
        ..
    } = model;
    if lps == 0
        || !(0.0..=1.0).contains(&remote)
        || !(0.0..1.0).contains(&lookahead)
        || end.is_nan()
        || end <= 0.0
        || threads == 0
        || repeat == 0
    {
        return Err(format!(
            "bench phold: --lps {lps} must be >= 1, --remote {remote} in [0, 1], --lookahead {lookahead} in [0, 1), --end {end} > 0, --threads {threads} >= 1, --repeat {repeat} >= 1"
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("bench phold: --threads {threads}: {e}"))?;
    let engine = if partitions == 0 {
        "sequential".to_string()
    } else {
        format!("windows/{partitions}")
    };
    println!(
        "engine\tthreads\tlps\tremote\tend\tcommitted\texpected\tremote_fraction\twall_s\tevents_per_s\tcpu_s\tevents_per_cpu_s"
    );
    let mut rates = Vec::new();
    for _ in 0..repeat {
        let started = std::time::Instant::now();
        let cpu0 = unchained::bench::cpu_seconds().unwrap_or(0.0);
        let r = if partitions == 0 {
            model.run()
        } else {
            pool.install(|| model.run_windows(partitions))?
        };
        let wall = started.elapsed().as_secs_f64();
        let cpu = unchained::bench::cpu_seconds().unwrap_or(0.0) - cpu0;
        let rate = r.committed as f64 / wall;
        rates.push(rate);
        println!(
            "{engine}\t{threads}\t{lps}\t{remote}\t{end}\t{}\t{:.0}\t{:.4}\t{wall:.3}\t{rate:.0}\t{cpu:.2}\t{:.0}",
            r.committed,
            lps as f64 * end,
            r.remote as f64 / r.committed.max(1) as f64,
            r.committed as f64 / cpu.max(0.01),
        );
    }
    if repeat > 1 {
        rates.sort_by(f64::total_cmp);
        println!("median events_per_s\t{:.0}", rates[rates.len() / 2]);
    }
    Ok(())
}

/// Parses a comma-separated list of whole numbers in `1..=max` for option `--{name}`.
fn whole_list(name: &str, text: &str, max: f64) -> Result<Vec<u64>, String> {
    text.split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| *v >= 1.0 && v.fract() == 0.0 && *v <= max)
                .map(|v| v as u64)
                .ok_or_else(|| {
                    format!("bench: --{name} entry '{x}' must be a whole number in 1..={max}")
                })
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum FleetKind {
    Plain,
    Lorawan,
    Nbiot,
}

fn bench_fleet(
    sizes: &str,
    validators: u64,
    duration_s: f64,
    threads: &str,
    one: bool,
    kind: FleetKind,
) -> Result<(), String> {
    let sizes = whole_list("devices", sizes, 4e9)?;
    let threads = whole_list("threads", threads, 1024.0)?;
    if one {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads[0] as usize)
            .build()
            .map_err(|e| e.to_string())?;
        let s = match kind {
            FleetKind::Lorawan => {
                unchained::bench::lorawan_fleet_scenario(sizes[0], validators, duration_s)
            }
            FleetKind::Nbiot => {
                unchained::bench::nbiot_fleet_scenario(sizes[0], validators, duration_s)
            }
            FleetKind::Plain => unchained::bench::fleet_scenario(sizes[0], validators, duration_s),
        };
        let started = std::time::Instant::now();
        let out = pool
            .install(|| world::run(&s, &world::Progress::hidden()))
            .map_err(|e| e.to_string())?;
        let wall = started.elapsed().as_secs_f64();
        let events = out.metric("events").unwrap_or(0.0);
        let device_events = out.metric("events_devices").unwrap_or(0.0);
        let naive = unchained::bench::fleet_naive_device_events(
            sizes[0],
            duration_s,
            out.conservation.created,
        );
        let rss = unchained::bench::peak_rss_bytes().unwrap_or(0) as f64;
        println!(
            "{}\t{}\t{:.0}\t{}\t{wall:.2}\t{:.0}\t{:.0}\t{:.0}\t{:.1}",
            sizes[0],
            threads[0],
            events,
            out.conservation.created,
            events / wall,
            naive - device_events,
            rss / 1048576.0,
            rss / sizes[0] as f64
        );
        return Ok(());
    }
    println!(
        "devices\tthreads\tevents\ttx_created\twall_s\tevents_per_s\tevents_avoided\tpeak_rss_mib\tbytes_per_device"
    );
    let flag = match kind {
        FleetKind::Lorawan => Some("--lorawan"),
        FleetKind::Nbiot => Some("--nbiot"),
        FleetKind::Plain => None,
    };
    for n in sizes {
        for &t in &threads {
            let (n, t) = (n.to_string(), t.to_string());
            let (v, d) = (validators.to_string(), duration_s.to_string());
            let args = ["fleet", "--one", "--devices", &n, "--threads", &t];
            let more = ["--validators", &v, "--duration-s", &d];
            let more: Vec<&str> = more.iter().copied().chain(flag).collect();
            rerun(
                &args,
                &more,
                &format!("bench fleet: the run with {n} devices at {t} threads"),
            )?;
        }
    }
    Ok(())
}

fn bench_validators(
    protocols: &str,
    sizes: &str,
    duration_s: f64,
    threads: u64,
    one: bool,
) -> Result<(), String> {
    let sizes = whole_list("validators", sizes, 1e6)?;
    if !(duration_s > 0.0 && duration_s.is_finite()) || threads == 0 {
        return Err(format!(
            "bench validators: --duration-s {duration_s} must be > 0, --threads {threads} >= 1"
        ));
    }
    if one {
        let s = unchained::bench::validators_scenario(protocols, sizes[0], duration_s)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads as usize)
            .build()
            .map_err(|e| e.to_string())?;
        let cpu0 = unchained::bench::cpu_seconds().unwrap_or(0.0);
        let started = std::time::Instant::now();
        let (out, votes) = pool.install(|| unchained::bench::run_counting_votes(&s))?;
        let wall = started.elapsed().as_secs_f64();
        let cpu = unchained::bench::cpu_seconds().unwrap_or(0.0) - cpu0;
        let events = out.metric("events").unwrap_or(0.0);
        let rss = unchained::bench::peak_rss_bytes().unwrap_or(0) as f64;
        println!(
            "{protocols}\t{}\t{events:.0}\t{wall:.2}\t{cpu:.2}\t{:.0}\t{:.0}\t{:.0}\t{:.0}",
            sizes[0],
            events / wall,
            events / cpu.max(0.01),
            rss / 1048576.0,
            votes.peak_bytes as f64 / 1024.0,
        );
        return Ok(());
    }
    println!(
        "protocol\tvalidators\tevents\twall_s\tcpu_s\tevents_per_s\tevents_per_cpu_s\tpeak_rss_mib\tvote_state_peak_kib"
    );
    for protocol in protocols.split(',').map(str::trim) {
        unchained::bench::validators_scenario(protocol, 4, duration_s)?;
        for &n in &sizes {
            let (n, d, t) = (n.to_string(), duration_s.to_string(), threads.to_string());
            let args = [
                "validators",
                "--one",
                "--protocols",
                protocol,
                "--validators",
                &n,
            ];
            rerun(
                &args,
                &["--duration-s", &d, "--threads", &t],
                &format!("bench validators: the {protocol} run with {n} validators"),
            )?;
        }
    }
    Ok(())
}

/// Runs `unchained bench` again in a fresh process, so that each row of a scale table has its
/// own peak RSS.
fn rerun(args: &[&str], more: &[&str], what: &str) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let status = std::process::Command::new(&exe)
        .arg("bench")
        .args(args)
        .args(more)
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
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
