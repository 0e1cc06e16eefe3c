//! `unchained plan --capacity SCENARIO`: the largest value of a load axis (by default the
//! device count of the scenario's only device group) at which the scenario still meets its
//! requirements (by default: not saturated), with the smallest failing value above it.
//!
//! Two plans, each an ordinary plan folder inside the output folder:
//! - `ramp/`: the axis at 1, 2, …, 64 times the scenario's own value, searched as a
//!   decreasing choice from the smallest, so the probes double (1×, 2×, 4×, … 64×) until one
//!   fails, then bisect (a load ramp, as Caliper's). If 1× already fails, the ramp is redone
//!   on 1/64 of the value.
//! - `bisect/`: 32 equal steps between the last passing and the first failing value of the
//!   ramp, searched the same way, which pins the capacity to about 3 % of itself.
//!
//! `capacity.md` starts with the answer; `capacity.csv` has one row with the bracket, the
//! offered and settled load at both ends and the requirement figures at the capacity.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::{Outcome, Plan, Verdict};
use crate::plan::judge::Figure;

/// Multiples of the unit the ramp tries: 1× … 64×.
const RAMP: i64 = 64;
/// Steps of the bisection between the ramp's bracket.
const STEPS: i64 = 32;

pub struct Request<'a> {
    pub scenario: &'a Path,
    /// The integer field to scale; `None`: `devices[0].count` when there is one group.
    pub axis: Option<&'a str>,
    /// `metric op value`, e.g. `saturated == false`; empty: not saturated.
    pub requirements: &'a [String],
    pub seeds: u32,
}

pub struct Capacity {
    pub axis: String,
    /// Largest passing value, and the smallest failing value above it (if one was found).
    pub capacity: Option<i64>,
    pub bound: Option<i64>,
    pub runs: u64,
    pub configurations: usize,
    pub markdown: String,
}

/// A finished plan and its folder.
struct Searched {
    plan: Plan,
    o: Outcome,
    dir: PathBuf,
}

/// Finds the capacity, writing the two plan folders and `capacity.md`/`capacity.csv` into
/// `out`.
pub fn run(
    req: &Request,
    out: &Path,
    jobs: Option<usize>,
    quiet: bool,
) -> Result<Capacity, String> {
    let scenario = crate::scenario::load(req.scenario).map_err(|e| e.to_string())?;
    let axis = match req.axis {
        Some(a) => a.to_string(),
        None if scenario.devices.len() == 1 => "devices[0].count".into(),
        None => {
            return Err(format!(
                "--axis: {} has {} device groups; name the field to scale, e.g. \
                 devices[1].count",
                req.scenario.display(),
                scenario.devices.len()
            ));
        }
    };
    let resolved: Value =
        serde_yaml::from_str(&crate::scenario::to_yaml(&scenario)).map_err(|e| e.to_string())?;
    let start = crate::sweep::get_path(&resolved, &axis)
        .map_err(|e| format!("--axis: {e}"))?
        .and_then(Value::as_i64)
        .filter(|&v| v >= 1)
        .ok_or_else(|| {
            format!(
                "--axis = {axis}: not a positive integer field of {}; allowed: an integer \
                 field such as devices[0].count or validators.count",
                req.scenario.display()
            )
        })?;
    let base = std::fs::canonicalize(req.scenario)
        .map_err(|e| format!("{}: {e}", req.scenario.display()))?;
    let requirements = requirement_lines(req.requirements)?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut ctx = Ctx {
        out,
        base: &base,
        axis: &axis,
        requirements: &requirements,
        seeds: req.seeds,
        jobs,
        quiet,
        runs: 0,
        configurations: 0,
    };

    // The ramp: start × 1 … 64, or (if 1× fails) start / 64 × 1 … 64.
    let mut last = ctx.search("ramp", start, start * RAMP, start)?;
    let mut answer = bracket(&last);
    if answer.0.is_none() && start > 1 {
        let unit = (start / RAMP).max(1);
        last = ctx.search("ramp-low", unit, start, unit)?;
        answer = bracket(&last);
    }
    if let (Some(lo), Some(hi)) = answer
        && hi - lo > 1
    {
        let step = ((hi - lo) + STEPS - 1) / STEPS;
        let fine = ctx.search("bisect", lo, hi, step)?;
        let b = bracket(&fine);
        // Other seeds may judge the ramp's last passing value otherwise; the bisection's
        // verdicts stand where it found a passing value.
        if b.0.is_some() {
            answer = (b.0, b.1.or(Some(hi)));
            last = fine;
        }
    }
    let markdown = markdown(&axis, req.scenario, answer, &last, &ctx);
    let csv = csv(&axis, answer, &last, &ctx);
    crate::atomic::write_file(&out.join("capacity.csv"), csv.as_bytes())?;
    crate::atomic::write_file(&out.join("capacity.md"), markdown.as_bytes())?;
    crate::manifest::write(out, &[out.join("capacity.csv"), out.join("capacity.md")])?;
    Ok(Capacity {
        capacity: answer.0,
        bound: answer.1,
        runs: ctx.runs,
        configurations: ctx.configurations,
        markdown,
        axis,
    })
}

struct Ctx<'a> {
    out: &'a Path,
    base: &'a Path,
    axis: &'a str,
    requirements: &'a str,
    seeds: u32,
    jobs: Option<usize>,
    quiet: bool,
    runs: u64,
    configurations: usize,
}

impl Ctx<'_> {
    /// A plan over `min..=max` by `step`, searched from `min` for the last passing value;
    /// its file is kept beside its folder so that it can be rerun or edited.
    fn search(&mut self, name: &str, min: i64, max: i64, step: i64) -> Result<Searched, String> {
        let text = format!(
            "# Written by `unchained plan --capacity`.\nname: capacity-{name}\nbase: {}\n\
             seeds: {}\nrequirements:\n{}choices:\n  - {{ path: \"{}\", min: {min}, max: {max}, \
             step: {step}, monotone: decreasing }}\nobjective: \"{}\"\ngoal: maximise\n",
            yaml_string(&self.base.display().to_string()),
            self.seeds,
            self.requirements,
            self.axis,
            self.axis
        );
        let file: PathBuf = self.out.join(format!("{name}.yaml"));
        crate::atomic::write_file(&file, text.as_bytes())?;
        let plan = super::load(&file)?;
        let dir = self.out.join(name);
        let o = super::run(&plan, &dir, self.jobs, self.quiet)?;
        self.runs += o.runs;
        self.configurations += o.evaluated.len();
        Ok(Searched { plan, o, dir })
    }
}

fn yaml_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `metric op value` lines as the plan's YAML requirement list.
fn requirement_lines(reqs: &[String]) -> Result<String, String> {
    let default = ["saturated == false".to_string()];
    let reqs = if reqs.is_empty() { &default[..] } else { reqs };
    let mut s = String::new();
    for r in reqs {
        let parts: Vec<&str> = r.split_whitespace().collect();
        let ok = parts.len() == 3
            && matches!(parts[1], ">=" | "<=" | "==")
            && !parts[0].is_empty()
            && parts[0]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && (parts[2] == "true" || parts[2] == "false" || parts[2].parse::<f64>().is_ok());
        if !ok {
            return Err(format!(
                "--require = {r:?}: allowed: \"METRIC OP VALUE\" with OP one of >=, <=, == and \
                 VALUE a number or true/false, e.g. \"settled_within_30s_share >= 0.99\""
            ));
        }
        let _ = writeln!(
            s,
            "  - {{ metric: {}, op: \"{}\", value: {} }}",
            parts[0], parts[1], parts[2]
        );
    }
    Ok(s)
}

impl Searched {
    /// The axis value of configuration `p`.
    fn value(&self, p: u32) -> i64 {
        let c = self.plan.sweep.points[p as usize].coords[0];
        self.plan.choices[0].integers.as_ref().map_or(0, |v| v[c])
    }

    /// The evaluated configuration at axis value `v`.
    fn at(&self, v: Option<i64>) -> Option<&super::Evaluated> {
        let v = v?;
        self.o.evaluated.values().find(|e| self.value(e.point) == v)
    }

    /// Mean and interval of a summary metric over the seeds of `e`.
    fn figure(&self, e: &super::Evaluated, metric: &str) -> Option<Figure> {
        let values = crate::sweep::read_point(&self.dir, e.point, e.seeds).ok()?;
        values
            .iter()
            .find(|(m, _)| m == metric)
            .map(|(m, v)| Figure::of(m, v))
    }
}

/// The largest passing value, and the smallest value above it that did not pass (failed or
/// stayed undecided at the seed cap).
fn bracket(s: &Searched) -> (Option<i64>, Option<i64>) {
    let pass = s.o.ranked.first().map(|&p| s.value(p));
    let above =
        s.o.evaluated
            .values()
            .filter(|e| e.status != Verdict::Pass)
            .map(|e| s.value(e.point))
            .filter(|&v| pass.is_none_or(|lo| v > lo))
            .min();
    (pass, above)
}

/// The load columns reported at both ends of the bracket.
const LOAD: [(&str, &str); 2] = [
    ("created_tx_per_s", "offered (created) tx/s"),
    ("settled_tx_per_s", "settled tx/s"),
];

fn cell(f: Option<Figure>) -> String {
    match f {
        Some(f) if f.mean.is_finite() => {
            format!("{:.4} [{:.4}, {:.4}]", f.mean, f.ci95_low, f.ci95_high)
        }
        _ => "-".into(),
    }
}

fn markdown(
    axis: &str,
    scenario: &Path,
    (cap, bound): (Option<i64>, Option<i64>),
    s: &Searched,
    ctx: &Ctx,
) -> String {
    let mut md = format!("# Capacity of {}\n\n", scenario.display());
    let reqs: Vec<String> = s.plan.requirements.iter().map(|r| r.text()).collect();
    let reqs = reqs.join(", ");
    let _ = match (cap, bound) {
        (Some(c), Some(b)) => writeln!(
            md,
            "**{axis} = {c}** is the largest value that meets {reqs}; {b} does not. The \
             capacity lies in [{c}, {b})."
        ),
        (Some(c), None) => writeln!(
            md,
            "**{axis} ≥ {c}**: every value tried up to {c} meets {reqs}. Raise the scenario's \
             own value to search further."
        ),
        (None, _) => writeln!(
            md,
            "**No value meets {reqs}**: even {axis} = {} fails.",
            s.o.evaluated
                .values()
                .map(|e| s.value(e.point))
                .min()
                .unwrap_or(0)
        ),
    };
    md.push_str("\n| | ");
    md.push_str(axis);
    for (_, label) in LOAD {
        let _ = write!(md, " | {label}");
    }
    for r in &s.plan.requirements {
        let _ = write!(md, " | {} (verdict)", r.metric);
    }
    md.push_str(" | seeds |\n|---|---");
    for _ in 0..LOAD.len() + s.plan.requirements.len() + 1 {
        md.push_str("|---");
    }
    md.push_str("|\n");
    for (name, v) in [("capacity", cap), ("first failing", bound)] {
        let Some(e) = s.at(v) else { continue };
        let _ = write!(md, "| {name} | {}", s.value(e.point));
        for (metric, _) in LOAD {
            let _ = write!(md, " | {}", cell(s.figure(e, metric)));
        }
        for (j, f) in e.figures.iter().enumerate() {
            let _ = write!(md, " | {} ({})", cell(Some(*f)), e.verdicts[j].text());
        }
        let _ = writeln!(md, " | {} |", e.seeds);
    }
    let _ = writeln!(
        md,
        "\nMeans with 95 % intervals over the seeds. Searched by doubling {axis} from the \
         scenario's value, then bisecting between the last passing and the first failing \
         value: {} configurations, {} runs ({} seeds each, more where an interval straddled a \
         requirement). Each step is a plan folder beside this file (`ramp/`, `bisect/`) with \
         its table and frontier chart.",
        ctx.configurations, ctx.runs, ctx.seeds
    );
    md
}

fn csv(axis: &str, (cap, bound): (Option<i64>, Option<i64>), s: &Searched, ctx: &Ctx) -> String {
    let mut head = vec![
        "axis".to_string(),
        "capacity".into(),
        "first_failing".into(),
    ];
    let mut row = vec![
        format!("\"{axis}\""),
        cap.map_or(String::new(), |v| v.to_string()),
        bound.map_or(String::new(), |v| v.to_string()),
    ];
    for (end, v) in [("capacity", cap), ("first_failing", bound)] {
        for (metric, _) in LOAD {
            let f = s.at(v).and_then(|e| s.figure(e, metric));
            for (stat, x) in [
                ("mean", f.map(|f| f.mean)),
                ("ci95_low", f.map(|f| f.ci95_low)),
                ("ci95_high", f.map(|f| f.ci95_high)),
            ] {
                head.push(format!("{end}_{metric}_{stat}"));
                row.push(
                    x.filter(|x| x.is_finite())
                        .map_or(String::new(), |x| x.to_string()),
                );
            }
        }
    }
    head.extend(["configurations".into(), "runs".into()]);
    row.extend([ctx.configurations.to_string(), ctx.runs.to_string()]);
    format!("{}\n{}\n", head.join(","), row.join(","))
}
