//! The study commands: `sweep`, `plan` and `compare`, thin glue over the library's sweep,
//! planner and compare modules.

use crate::{ProgressForm, feedback};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use unchained::{atomic, scenario, world};

#[derive(Subcommand)]
pub enum SweepCmd {
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

pub fn sweep(cmd: SweepCmd) -> Result<(), String> {
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
pub fn plan(file: &Path, out: &Path, jobs: Option<usize>, quiet: bool) -> Result<bool, String> {
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
pub fn plan_shard(
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

pub fn plan_capacity(
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

pub fn compare(
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
