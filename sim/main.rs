//! The command line: a thin shell over the library.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use unchained::{report, scenario, world};

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
        file: PathBuf,
        /// Output folder (default: reports/<scenario name>). Replaced only when the run
        /// completes.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overrides the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Check a scenario file without running it.
    Validate { file: PathBuf },
    /// Sweeps over scenario parameters and seeds.
    #[command(subcommand)]
    Sweep(SweepCmd),
    /// Write one self-contained HTML report of a run folder or a merged sweep folder.
    Report {
        dir: PathBuf,
        /// Output file (default: DIR/report.html).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Compare a candidate run (or merged sweep) folder with a baseline; exits 1 when a
    /// metric is beyond its tolerance in the bad direction.
    Compare {
        baseline: PathBuf,
        candidate: PathBuf,
        /// YAML with per-metric tolerances (default: 5 % relative for every metric).
        #[arg(long)]
        tolerance: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SweepCmd {
    /// Print the points of a sweep file and the number of runs.
    Plan { file: PathBuf },
    /// Run a sweep's runs (or one shard's share of them) into DIR; complete runs are skipped.
    Run {
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// `I/N`: run shard I of N; `N` alone takes I from SLURM_ARRAY_TASK_ID.
        #[arg(long)]
        shard: Option<String>,
        /// Most runs at once (default: the thread count; lowered by the memory estimate).
        #[arg(long)]
        jobs: Option<usize>,
        /// Merge after running (only sensible without --shard).
        #[arg(long)]
        merge: bool,
        #[arg(long)]
        quiet: bool,
    },
    /// Build the combined table and charts of a sweep folder from its runs.
    Merge { dir: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Run {
            file,
            out,
            seed,
            quiet,
        } => run(&file, out, seed, quiet),
        Cmd::Validate { file } => scenario::load(&file)
            .map(|s| {
                println!(
                    "{}: valid ({} validators, {} device groups)",
                    file.display(),
                    s.validators.count,
                    s.devices.len()
                );
            })
            .map_err(|e| e.to_string()),
        Cmd::Sweep(cmd) => sweep(cmd),
        Cmd::Report { dir, out } => {
            report::html::write(&dir, out.as_deref()).map(|p| println!("{}", p.display()))
        }
        Cmd::Compare {
            baseline,
            candidate,
            tolerance,
        } => return compare(&baseline, &candidate, tolerance.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
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
        } => {
            let s = sweep::load(&file)?;
            let task = std::env::var("SLURM_ARRAY_TASK_ID").ok();
            let shard = match shard {
                Some(text) => sweep::Shard::parse(&text, task.as_deref())?,
                None => sweep::Shard::ALL,
            };
            let o = sweep::run(&s, &out, shard, jobs, quiet)?;
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

fn compare(baseline: &Path, candidate: &Path, tolerance: Option<&Path>) -> ExitCode {
    let result = tolerance
        .map(unchained::compare::Tolerances::load)
        .unwrap_or_else(|| Ok(Default::default()))
        .and_then(|t| unchained::compare::compare(baseline, candidate, &t));
    match result {
        Ok(c) => {
            print!("{}", c.table());
            if c.regressed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(file: &Path, out: Option<PathBuf>, seed: Option<u64>, quiet: bool) -> Result<(), String> {
    let mut s = scenario::load(file).map_err(|e| e.to_string())?;
    if let Some(seed) = seed {
        s.seed = seed;
    }
    let out = out.unwrap_or_else(|| Path::new("reports").join(&s.name));
    let progress = if quiet {
        world::Progress::hidden()
    } else {
        world::Progress::stderr()
    };
    let output = world::run(&s, &progress).map_err(|e| e.to_string())?;
    let events = output.metric("events").unwrap_or(0.0);
    let wall = progress.elapsed_s();
    write_atomically(&out, |tmp| {
        report::write_run(&output, tmp)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })?;
    eprintln!(
        "{}: {} events in {:.2} s ({:.2} M events/s); created {} settled {} → {}",
        s.name,
        events,
        wall,
        events / wall.max(1e-9) / 1e6,
        output.conservation.created,
        output.conservation.settled,
        out.display()
    );
    Ok(())
}

/// Writes into a temporary sibling folder and renames it into place only when complete, so
/// an interrupted run never leaves a folder that looks finished.
fn write_atomically(
    out: &Path,
    write: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let name = out
        .file_name()
        .ok_or_else(|| format!("--out {} names no folder", out.display()))?;
    let tmp = parent.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if out.exists() {
        std::fs::remove_dir_all(out)
            .map_err(|e| format!("cannot replace {}: {e}", out.display()))?;
    }
    std::fs::rename(&tmp, out)
        .map_err(|e| format!("cannot move output into {}: {e}", out.display()))
}
