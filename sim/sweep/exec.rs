//! Running a sweep's runs: sharding, a memory bound on concurrency, temporary folders renamed
//! into place when complete, and skipping runs already complete.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use super::spec::Sweep;
use super::store;
use crate::metrics::RunOutput;
use crate::scenario::Scenario;
use crate::world::{self, Feedback, Progress};

/// Which share of the plan this process runs: run `r` (= point × seeds + seed index) belongs
/// to shard `r mod count`, so every shard gets points from all over the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// `I/N`, or `N` alone with the index from `SLURM_ARRAY_TASK_ID`. The count is never read
    /// from `SLURM_ARRAY_TASK_COUNT`, which is wrong when part of an array is resubmitted.
    pub fn parse(text: &str, slurm_task: Option<&str>) -> Result<Shard, String> {
        let bad = |why: &str| format!("--shard {text}: {why}");
        let (index, count) = match text.split_once('/') {
            Some((i, n)) => (i.trim().to_string(), n.trim().to_string()),
            None => (
                slurm_task
                    .ok_or_else(|| bad("no index given and SLURM_ARRAY_TASK_ID is not set"))?
                    .to_string(),
                text.trim().to_string(),
            ),
        };
        let count: u32 = count
            .parse()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| bad("the shard count must be an integer >= 1"))?;
        let index: u32 = index
            .parse()
            .map_err(|_| bad("the shard index must be an integer"))?;
        if index >= count {
            return Err(bad(&format!("index {index} must be < count {count}")));
        }
        Ok(Shard { index, count })
    }

    pub fn owns(&self, run: u64) -> bool {
        run % self.count as u64 == self.index as u64
    }
}

/// A run's peak memory, estimated before it starts: the same estimate `unchained run` checks
/// against the machine (see `world::estimate`).
pub fn memory_estimate(s: &Scenario) -> u64 {
    crate::world::estimate(s).total()
}

/// How many runs go at once: the thread count, lowered so that the largest run's estimate
/// times the concurrency fits in half of the available memory.
pub fn concurrency(sweep: &Sweep, threads: usize) -> usize {
    let largest = sweep
        .scenarios
        .iter()
        .map(memory_estimate)
        .max()
        .unwrap_or(1);
    bounded(largest, crate::world::available_bytes(), threads)
}

fn bounded(largest: u64, available: Option<u64>, threads: usize) -> usize {
    let by_memory = available.map_or(threads as u64, |m| m / 2 / largest.max(1));
    (by_memory as usize).clamp(1, threads.max(1))
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub ran: u64,
    pub skipped: u64,
    pub jobs: usize,
}

/// Runs this shard's runs that are not yet complete under `out`.
pub fn run(
    sweep: &Sweep,
    out: &Path,
    shard: Shard,
    jobs: Option<usize>,
    feedback: Feedback,
) -> Result<Outcome, String> {
    store::write_plan(sweep, out)?;
    let mine: Vec<(u32, u32)> = (0..sweep.runs())
        .filter(|&r| shard.owns(r))
        .map(|r| {
            (
                (r / sweep.seeds as u64) as u32,
                (r % sweep.seeds as u64) as u32,
            )
        })
        .collect();
    let header = format!("{}: shard {}/{}", sweep.name, shard.index, shard.count);
    run_list(sweep, out, &mine, jobs, feedback, &header)
}

/// Runs every seed of `points` not yet complete under `out`, whose plan is already written
/// (the planner's rounds: a few points of a larger grid at a time).
/// Runs seeds `0..n` of each `(point, n)` that the folder does not hold yet; a point may
/// take more seeds than the sweep's own count (the planner adds seeds where an interval
/// straddles a target), and each seed's value is the same as in any other run of the point.
pub fn run_points(
    sweep: &Sweep,
    out: &Path,
    points: &[(u32, u32)],
    jobs: Option<usize>,
    feedback: Feedback,
) -> Result<Outcome, String> {
    let mine: Vec<(u32, u32)> = points
        .iter()
        .flat_map(|&(p, n)| (0..n).map(move |k| (p, k)))
        .collect();
    run_list(sweep, out, &mine, jobs, feedback, &sweep.name)
}

fn run_list(
    sweep: &Sweep,
    out: &Path,
    mine: &[(u32, u32)],
    jobs: Option<usize>,
    feedback: Feedback,
    header: &str,
) -> Result<Outcome, String> {
    // Temporary folders of this shard's runs are leftovers of an interrupted process: no other
    // shard writes them.
    for &(p, k) in mine {
        store::clean_temp(out, p, k)?;
    }
    let todo: Vec<(u32, u32)> = mine
        .iter()
        .copied()
        .filter(|&(p, k)| !store::run_dir(out, p, k).is_dir())
        .collect();
    let skipped = (mine.len() - todo.len()) as u64;
    let threads = jobs.unwrap_or_else(rayon::current_num_threads);
    let jobs = concurrency(sweep, threads);
    match feedback {
        Feedback::Text => eprintln!(
            "{header}: {} runs, {} already complete, {} to run, {} at a time",
            mine.len(),
            skipped,
            todo.len(),
            jobs
        ),
        Feedback::Jsonl => eprintln!(
            r#"{{"event":"sweep","runs":{},"skipped":{skipped},"todo":{},"jobs":{jobs}}}"#,
            mine.len(),
            todo.len()
        ),
        Feedback::Quiet => {}
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| e.to_string())?;
    let done = std::sync::atomic::AtomicU64::new(0);
    let total = todo.len();
    pool.install(|| {
        todo.par_iter()
            .map(|&(p, k)| {
                let t = Instant::now();
                one(sweep, out, p, k)?;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let wall = t.elapsed().as_secs_f64();
                match feedback {
                    Feedback::Text => {
                        eprintln!("[{n}/{total}] point={p} seed={k} done in {wall:.2} s")
                    }
                    Feedback::Jsonl => eprintln!(
                        r#"{{"event":"run","done":{n},"todo":{total},"point":{p},"seed":{k},"wall_s":{wall:.3}}}"#
                    ),
                    Feedback::Quiet => {}
                }
                Ok(())
            })
            .collect::<Result<Vec<()>, String>>()
    })?;
    Ok(Outcome {
        ran: total as u64,
        skipped,
        jobs,
    })
}

/// One run, written into its temporary folder and moved into place. The folder exists from
/// the start, for the rows [`run_in`] writes as the run goes. A run that fails or is
/// interrupted leaves only the temporary folder, which nothing reads and the next start of
/// its shard removes (`clean_temp`).
fn one(sweep: &Sweep, out: &Path, p: u32, k: u32) -> Result<PathBuf, String> {
    let tmp = store::temp_dir(out, p, k);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    if let Err(e) = run_in(sweep, p, k, &tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    store::commit(&tmp, &store::run_dir(out, p, k))
}

/// Run `(p, k)` of `sweep` with its tables written into `dir`, an existing empty folder. Its
/// closed `blocks` rows go to a file in `dir` as the run goes (`world::run_rows_to`), so a
/// long run holds a chunk of them, not its history (a notary run otherwise grows about 300 B
/// a transaction); `write_tables` merges them into the table and removes the file. The
/// output comes back: its `blocks` are the rows still held at the end.
pub fn run_in(sweep: &Sweep, p: u32, k: u32, dir: &Path) -> Result<RunOutput, String> {
    let s = sweep.scenario(p, k);
    let output = world::run_rows_to(&s, &Progress::hidden(), Some(dir))
        .map_err(|e| format!("point {p} seed {k}: {e}"))?;
    crate::report::write_tables(&output, dir).map_err(|e| e.to_string())?;
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_syntax() {
        assert_eq!(
            Shard::parse("1/4", None).unwrap(),
            Shard { index: 1, count: 4 }
        );
        assert_eq!(
            Shard::parse("4", Some("3")).unwrap(),
            Shard { index: 3, count: 4 }
        );
        assert!(
            Shard::parse("4", None)
                .unwrap_err()
                .contains("SLURM_ARRAY_TASK_ID")
        );
        assert!(
            Shard::parse("4/4", None)
                .unwrap_err()
                .contains("must be < count 4")
        );
        assert!(Shard::parse("0/0", None).is_err());
    }

    #[test]
    fn memory_bounds_concurrency() {
        const MIB: u64 = 1 << 20;
        assert_eq!(bounded(300 * MIB, Some(1024 * MIB), 8), 1);
        assert_eq!(bounded(100 * MIB, Some(1024 * MIB), 8), 5);
        assert_eq!(bounded(MIB, Some(1024 * MIB), 8), 8);
        // Even a run larger than memory gets one slot; unknown memory leaves the threads.
        assert_eq!(bounded(4096 * MIB, Some(1024 * MIB), 8), 1);
        assert_eq!(bounded(MIB, None, 3), 3);
    }

    #[test]
    fn estimate_of_the_million_device_quickstart() {
        let text = std::fs::read_to_string("scenarios/quickstart.yaml")
            .unwrap()
            .replace("count: 100000", "count: 1000000");
        let s = crate::scenario::parse(&text, "quickstart x10").unwrap();
        let mib = memory_estimate(&s) as f64 / (1u64 << 20) as f64;
        // Measured peak: 264 MiB (scenarios/sweeps/README.md, Memory bound); the estimate must stay above it, within 2x.
        assert!((264.0..528.0).contains(&mib), "{mib}");
    }

    #[test]
    fn shards_partition_the_runs() {
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        for r in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.owns(r)).count(), 1);
        }
    }
}
