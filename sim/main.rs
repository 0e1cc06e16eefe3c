//! The command line: a thin shell over the library.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use unchained::{report, scenario, validation, world};

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
    },
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
        Cmd::ValidateLiterature {
            out,
            scenarios,
            quick,
        } => validate_literature(&out, &scenarios, quick),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
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

fn validate_literature(out: &Path, scenarios: &Path, quick: bool) -> Result<(), String> {
    let suite = validation::run(scenarios, quick)?;
    write_atomically(out, |tmp| validation::write(&suite, tmp))?;
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
