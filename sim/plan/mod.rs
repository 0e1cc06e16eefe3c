//! `unchained plan`: the smallest configuration of a scenario that meets requirements on its
//! summary metrics. Every configuration evaluated is a point of one sweep whose runs live in
//! the plan folder like a sweep's (`runs/point=P/seed=K`), so they are cached, resumable and
//! independent of `--jobs`; see `search` for which points are evaluated and `judge` for when
//! a requirement holds.

pub mod capacity;
mod frontier;
mod judge;
mod output;
mod search;
mod spec;

pub use frontier::names as frontier_charts;
pub use judge::{Figure, Verdict, judge};
pub use search::Step;
pub use spec::{
    Choice, Goal, MAX_POINTS, Monotone, Objective, Op, Plan, Requirement, json_schema, load,
};

use std::collections::BTreeMap;
use std::path::Path;

/// One evaluated configuration.
pub struct Evaluated {
    pub point: u32,
    /// Seeds behind the figures: the plan's count, or more where an interval straddled.
    pub seeds: u32,
    /// Per requirement, in file order.
    pub figures: Vec<Figure>,
    pub verdicts: Vec<Verdict>,
    /// The worst verdict: `Pass` is feasible.
    pub status: Verdict,
    /// Lower is better; NaN (a metric without samples) ranks last.
    pub objective: f64,
}

/// A group's best feasible configuration, or the requirements that fail at its most
/// favourable evaluated configuration.
pub struct GroupAnswer {
    pub points: Vec<u32>,
    pub best: Option<u32>,
    /// The most favourable configuration evaluated: the largest along every increasing
    /// monotone choice and the smallest along every decreasing one (see `search::Group`).
    pub favourable: Option<u32>,
    pub binding: Vec<usize>,
    /// With two or more monotone choices: the step of each line of the staircase.
    pub staircase: Vec<Step>,
}

pub struct Outcome {
    pub evaluated: BTreeMap<u32, Evaluated>,
    pub groups: Vec<GroupAnswer>,
    /// Feasible group answers, best first.
    pub ranked: Vec<u32>,
    pub grid: usize,
    pub runs: u64,
}

/// Searches the plan, running what the folder does not hold yet, and writes `plan.parquet`,
/// `plan.csv` and `plan.md` into `out`.
pub fn run(plan: &Plan, out: &Path, jobs: Option<usize>, quiet: bool) -> Result<Outcome, String> {
    crate::sweep::write_plan(&plan.sweep, out)?;
    let groups = search::groups(plan);
    let mut evaluated: BTreeMap<u32, Evaluated> = BTreeMap::new();
    // Verdicts the search may act on: a configuration still gaining seeds is not in it yet.
    let mut status: BTreeMap<u32, Verdict> = BTreeMap::new();
    let mut growing: Vec<(u32, u32)> = Vec::new();
    loop {
        let probes: Vec<(u32, u32)> = if growing.is_empty() {
            let mut fresh: Vec<u32> = groups
                .iter()
                .flat_map(|g| search::next(g, &status))
                .collect();
            fresh.sort_unstable();
            fresh.dedup();
            fresh.into_iter().map(|p| (p, plan.seeds)).collect()
        } else {
            std::mem::take(&mut growing)
        };
        if probes.is_empty() {
            break;
        }
        crate::sweep::run_points(
            &plan.sweep,
            out,
            &probes,
            jobs,
            crate::world::Feedback::text_unless(quiet),
        )?;
        let round = probes
            .iter()
            .map(|&(p, n)| evaluate(plan, out, p, n))
            .collect::<Result<Vec<_>, _>>()?;
        // Seeds go only where they can change the answer: a configuration no better than
        // one already feasible (this round's included, so the order within a round does not
        // matter) stays undecided at the seeds it has.
        let best = evaluated
            .values()
            .chain(&round)
            .filter(|e| e.status == Verdict::Pass)
            .min_by(|a, b| rank(plan.goal, a, b))
            .map(|e| (e.objective, e.point));
        for e in round {
            let p = e.point;
            let contender = best.is_none_or(|b| order(plan.goal, (e.objective, p), b).is_lt());
            match more_seeds(plan, &e).filter(|_| contender) {
                Some(more) => growing.push((p, more)),
                None => {
                    status.insert(p, e.status);
                }
            }
            evaluated.insert(p, e);
        }
    }
    let answers: Vec<GroupAnswer> = groups
        .iter()
        .map(|g| answer(plan.goal, g, &evaluated))
        .collect();
    let mut ranked: Vec<u32> = answers.iter().filter_map(|a| a.best).collect();
    ranked.sort_by(|a, b| rank(plan.goal, &evaluated[a], &evaluated[b]));
    let outcome = Outcome {
        runs: evaluated.values().map(|e| e.seeds as u64).sum(),
        grid: plan.sweep.points.len(),
        evaluated,
        groups: answers,
        ranked,
    };
    output::write(plan, out, &outcome)?;
    Ok(outcome)
}

/// Twice the seeds, up to the cap, for a configuration whose interval straddles a target;
/// a run of seeds is a function of the point and seed index only, so what ran before is
/// reused and the verdicts do not depend on the order of the search.
fn more_seeds(plan: &Plan, e: &Evaluated) -> Option<u32> {
    (e.status == Verdict::Undecided && e.seeds < plan.max_seeds)
        .then(|| (e.seeds * 2).min(plan.max_seeds))
}

/// Best first: the smallest objective, or the largest when maximising; NaN last either way.
fn rank(goal: Goal, a: &Evaluated, b: &Evaluated) -> std::cmp::Ordering {
    order(goal, (a.objective, a.point), (b.objective, b.point))
}

/// `rank` on (objective, point) pairs; ties go to the first point in grid order.
fn order(goal: Goal, a: (f64, u32), b: (f64, u32)) -> std::cmp::Ordering {
    let key = |objective: f64| match (objective.is_nan(), goal) {
        (true, _) => f64::INFINITY,
        (false, Goal::Minimise) => objective,
        (false, Goal::Maximise) => -objective,
    };
    key(a.0).total_cmp(&key(b.0)).then(a.1.cmp(&b.1))
}

fn answer(goal: Goal, g: &search::Group, evaluated: &BTreeMap<u32, Evaluated>) -> GroupAnswer {
    let done: Vec<&Evaluated> = g.points.iter().filter_map(|p| evaluated.get(p)).collect();
    let best = done
        .iter()
        .filter(|e| e.status == Verdict::Pass)
        .min_by(|a, b| rank(goal, a, b))
        .map(|e| e.point);
    let favourable = g.favourable(evaluated).map(|p| &evaluated[&p]);
    let binding = match (best, favourable) {
        (None, Some(last)) => (0..last.verdicts.len())
            .filter(|&i| last.verdicts[i] != Verdict::Pass)
            .collect(),
        _ => Vec::new(),
    };
    let status: BTreeMap<u32, Verdict> = evaluated
        .iter()
        .filter(|(p, _)| g.points.contains(p))
        .map(|(&p, e)| (p, e.status))
        .collect();
    GroupAnswer {
        points: g.points.clone(),
        best,
        favourable: favourable.map(|e| e.point),
        binding,
        staircase: search::staircase(g, &status),
    }
}

fn evaluate(plan: &Plan, out: &Path, p: u32, n: u32) -> Result<Evaluated, String> {
    let seeds = crate::sweep::read_point(out, p, n)?;
    let values = |metric: &str| -> Result<&Vec<f64>, String> {
        seeds
            .iter()
            .find(|(m, _)| m == metric)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                format!(
                    "{metric}: not a summary metric of configuration {p} ({}); see summary.csv \
                     of {}",
                    crate::sweep::label(&plan.sweep.points[p as usize].values),
                    crate::sweep::run_dir(out, p, 0).display()
                )
            })
    };
    let mut figures = Vec::new();
    let mut verdicts = Vec::new();
    for r in &plan.requirements {
        let f = Figure::of(&r.metric, values(&r.metric)?);
        verdicts.push(judge(r, &f));
        figures.push(f);
    }
    let objective = match &plan.objective {
        Objective::Choice(i) => {
            let c = plan.sweep.points[p as usize].coords[*i];
            plan.choices[*i]
                .integers
                .as_ref()
                .map_or(f64::NAN, |v| v[c] as f64)
        }
        Objective::Metric(m) => Figure::of(m, values(m)?).mean,
    };
    Ok(Evaluated {
        point: p,
        seeds: n,
        status: verdicts.iter().copied().max().unwrap_or(Verdict::Pass),
        figures,
        verdicts,
        objective,
    })
}
