//! The plan file: a base scenario, requirements on summary metrics, choices to search and an
//! objective. Every configuration it can reach is a point of one sweep grid (choices in file
//! order, row-major), validated like a sweep's points before anything runs.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

use crate::scenario::{self, FieldError, limits, line_of};
use crate::sweep::{self, Dim, MAX_RUNS, Sweep};

/// A plan file: a base scenario, requirements on summary metrics, choices to search and an
/// objective.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Unchained plan")]
struct File {
    /// The plan's name (default: the file's stem).
    #[serde(default)]
    name: Option<String>,
    /// Base scenario, relative to the plan file.
    base: PathBuf,
    /// Seeds each configuration runs first.
    #[serde(default = "three")]
    #[schemars(range(min = 1))]
    seeds: u32,
    /// Seeds a configuration may grow to while its interval straddles a target (default 10).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    max_seeds: Option<u32>,
    /// Every requirement must hold for a configuration to be feasible.
    #[schemars(length(min = 1))]
    requirements: Vec<ReqFile>,
    /// The choices to search, in grid order.
    #[schemars(length(min = 1))]
    choices: Vec<ChoiceFile>,
    /// The path of an integer choice, or a summary metric (mean over seeds).
    objective: String,
    /// Whether the objective is made small or large.
    #[serde(default)]
    #[schemars(extend("enum" = ["minimise", "maximise", null]))]
    goal: Option<String>,
}

/// Three seeds: the fewest for which a 95 % interval is not wider than the metric's range
/// in most runs (t(0.975, 2) = 4.3).
fn three() -> u32 {
    3
}

/// Without `max_seeds`, a straddling configuration may grow to ten seeds: t(0.975, 9) = 2.26
/// against t(0.975, 2) = 4.30, so its interval is about a third as wide as at three seeds
/// (√(3/10) · 2.26/4.30 = 0.29).
const DEFAULT_MAX_SEEDS: u32 = 10;

/// A requirement on a summary metric: `metric op value`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReqFile {
    /// A summary metric such as `settled_within_30s_share`.
    metric: String,
    #[schemars(extend("enum" = [">=", "<=", "=="]))]
    op: String,
    /// A finite number, or true/false for a flag such as `saturated`.
    #[schemars(with = "NumberOrFlag")]
    value: Value,
}

/// The schema of a requirement's target.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum NumberOrFlag {
    Number(f64),
    Flag(bool),
}

/// A choice: an integer range (`min`, `max`, optional `step` and `monotone`) or a list of
/// `values`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ChoiceFile {
    /// A dotted scenario path (`devices[0].count`, `consensus`).
    path: String,
    #[serde(default)]
    min: Option<i64>,
    #[serde(default)]
    max: Option<i64>,
    #[serde(default)]
    #[schemars(range(min = 1))]
    step: Option<i64>,
    /// `increasing`: more of it never hurts; `decreasing`: more of it never helps.
    #[serde(default)]
    #[schemars(extend("enum" = ["increasing", "decreasing", null]))]
    monotone: Option<String>,
    /// The values to try, each any YAML value the path accepts.
    #[serde(default)]
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    values: Option<Vec<Value>>,
}

/// The plan file's JSON Schema (`unchained schema plan`).
pub fn json_schema() -> serde_json::Value {
    schemars::schema_for!(File).to_value()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    AtLeast,
    AtMost,
    Equal,
}

impl Op {
    pub fn text(self) -> &'static str {
        match self {
            Op::AtLeast => ">=",
            Op::AtMost => "<=",
            Op::Equal => "==",
        }
    }

    pub fn holds(self, x: f64, v: f64) -> bool {
        match self {
            Op::AtLeast => x >= v,
            Op::AtMost => x <= v,
            Op::Equal => x == v,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Requirement {
    pub metric: String,
    pub op: Op,
    pub value: f64,
    /// The target was written as true/false: a flag, judged as 1/0 but shown as written.
    pub flag: bool,
}

impl Requirement {
    pub fn text(&self) -> String {
        let value = if self.flag {
            (self.value != 0.0).to_string()
        } else {
            self.value.to_string()
        };
        format!("{} {} {value}", self.metric, self.op.text())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Objective {
    /// The value of the integer choice at this index of `Plan::choices`.
    Choice(usize),
    /// The mean over seeds of a summary metric.
    Metric(String),
}

/// How the requirements change along a monotone choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monotone {
    /// More of it never hurts: what holds at a value holds at every larger one (validators,
    /// gateways, batch sizes against a fixed load).
    Increasing,
    /// More of it never helps: what holds at a value holds at every smaller one (devices or
    /// reading rate against a fixed deployment, as in a capacity search).
    Decreasing,
}

#[derive(Clone, Debug)]
pub struct Choice {
    pub path: String,
    /// Integer choices list their values; categorical ones have `None`.
    pub integers: Option<Vec<i64>>,
    pub monotone: Option<Monotone>,
}

/// Whether the objective is to be made small (cost, validators) or large (capacity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    Minimise,
    Maximise,
}

pub struct Plan {
    pub name: String,
    pub seeds: u32,
    /// A configuration whose interval straddles a target is run again with twice its seeds,
    /// up to this many, before it is called undecided.
    pub max_seeds: u32,
    pub requirements: Vec<Requirement>,
    pub choices: Vec<Choice>,
    pub objective: Objective,
    pub goal: Goal,
    /// The grid of every configuration; dimension `i` is choice `i`.
    pub sweep: Sweep,
}

/// Most configurations one plan's grid may hold: each is validated before the search starts.
pub const MAX_POINTS: u64 = 20_000;

pub fn load(path: &Path) -> Result<Plan, String> {
    let origin = limits::origin(path);
    let text = limits::read(path).map_err(|e| format!("{origin}: {e}"))?;
    limits::check(&text).map_err(|e| format!("{origin}: {e}"))?;
    let file: File = serde_yaml::from_str(&text)
        .map_err(|e| format!("{origin}: invalid plan: {}", scenario::located(&e)))?;
    let field = |path: String, value: String, allowed: &str| {
        let line = line_of(&text, &path);
        let e = FieldError {
            path,
            value,
            allowed: allowed.to_string(),
            line,
        };
        format!("{origin}: invalid plan: {e}")
    };
    if file.seeds == 0 {
        return Err(field("seeds".into(), "0".into(), "must be >= 1"));
    }
    let max_seeds = file.max_seeds.unwrap_or(DEFAULT_MAX_SEEDS.max(file.seeds));
    if max_seeds < file.seeds || max_seeds > 1000 {
        return Err(field(
            "max_seeds".into(),
            max_seeds.to_string(),
            &format!("from seeds ({}) to 1000", file.seeds),
        ));
    }
    if file.requirements.is_empty() {
        return Err(field(
            "requirements".into(),
            "[]".into(),
            "list at least one requirement",
        ));
    }
    let mut requirements = Vec::new();
    for (i, r) in file.requirements.iter().enumerate() {
        let op = match r.op.as_str() {
            ">=" => Op::AtLeast,
            "<=" => Op::AtMost,
            "==" => Op::Equal,
            other => {
                return Err(field(
                    format!("requirements[{i}].op"),
                    other.into(),
                    "one of >=, <=, ==",
                ));
            }
        };
        let value = match &r.value {
            Value::Bool(b) => f64::from(u8::from(*b)),
            v => v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                field(
                    format!("requirements[{i}].value"),
                    sweep::scalar(v),
                    "a finite number, or true/false for a flag such as saturated",
                )
            })?,
        };
        if r.metric.trim().is_empty() {
            return Err(field(
                format!("requirements[{i}].metric"),
                "\"\"".into(),
                "a summary metric such as settled_within_30s_share",
            ));
        }
        requirements.push(Requirement {
            metric: r.metric.clone(),
            op,
            value,
            flag: matches!(r.value, Value::Bool(_)),
        });
    }
    if file.choices.is_empty() {
        return Err(field(
            "choices".into(),
            "[]".into(),
            "list at least one choice",
        ));
    }
    let mut choices = Vec::new();
    let mut dims = Vec::new();
    for (i, c) in file.choices.iter().enumerate() {
        let at = |f: &str| format!("choices[{i}].{f}");
        if choices.iter().any(|o: &Choice| o.path == c.path) {
            return Err(field(at("path"), c.path.clone(), "each path chosen once"));
        }
        let monotone = match c.monotone.as_deref() {
            None => None,
            Some("increasing") => Some(Monotone::Increasing),
            Some("decreasing") => Some(Monotone::Decreasing),
            Some(other) => {
                return Err(field(
                    at("monotone"),
                    other.into(),
                    "increasing (more of it never hurts), decreasing (more of it never helps), \
                     or leave it out",
                ));
            }
        };
        let (steps, integers) = match (&c.values, c.min, c.max) {
            (Some(values), None, None) if c.step.is_none() => {
                if values.is_empty() {
                    return Err(field(at("values"), "[]".into(), "at least one value"));
                }
                // A monotone list (e.g. a geometric grid) is searched like a range; any other
                // list is categorical, one group per value.
                let ints = match monotone {
                    None => None,
                    Some(_) => {
                        let ints: Option<Vec<i64>> = values.iter().map(Value::as_i64).collect();
                        match ints.filter(|v| v.windows(2).all(|w| w[0] < w[1])) {
                            Some(v) => Some(v),
                            None => {
                                return Err(field(
                                    at("values"),
                                    sweep::scalar(&Value::Sequence(values.clone())),
                                    "integers in increasing order for a monotone choice",
                                ));
                            }
                        }
                    }
                };
                (values.clone(), ints)
            }
            (None, Some(min), Some(max)) => {
                let step = c.step.unwrap_or(1);
                if step < 1 {
                    return Err(field(at("step"), step.to_string(), "an integer >= 1"));
                }
                if max < min {
                    return Err(field(
                        at("max"),
                        max.to_string(),
                        &format!("an integer >= min ({min})"),
                    ));
                }
                if (max - min) / step >= MAX_POINTS as i64 {
                    return Err(field(
                        at("step"),
                        step.to_string(),
                        &format!("at most {MAX_POINTS} values from min to max"),
                    ));
                }
                let ints: Vec<i64> = (min..=max).step_by(step as usize).collect();
                (ints.iter().map(|&v| Value::from(v)).collect(), Some(ints))
            }
            _ => {
                return Err(field(
                    format!("choices[{i}]"),
                    c.path.clone(),
                    "either min and max (integers, optional step and monotone) or values \
                     (a list, no step; monotone only for increasing integers)",
                ));
            }
        };
        dims.push(
            Dim::new(
                vec![c.path.clone()],
                steps.into_iter().map(|v| vec![v]).collect(),
            )
            .map_err(|e| field(format!("choices[{i}]"), c.path.clone(), &e))?,
        );
        choices.push(Choice {
            path: c.path.clone(),
            integers,
            monotone,
        });
    }
    let objective = match choices.iter().position(|c| c.path == file.objective) {
        Some(i) if choices[i].integers.is_some() => Objective::Choice(i),
        Some(_) => {
            return Err(field(
                "objective".into(),
                file.objective.clone(),
                "an integer choice or a summary metric (a categorical choice has no order)",
            ));
        }
        None if file.objective.contains('.') || file.objective.contains('[') => {
            return Err(field(
                "objective".into(),
                file.objective.clone(),
                "the path of an integer choice, or a summary metric",
            ));
        }
        None => Objective::Metric(file.objective.clone()),
    };
    let goal = match file.goal.as_deref() {
        None | Some("minimise") => Goal::Minimise,
        Some("maximise") => Goal::Maximise,
        Some(other) => {
            return Err(field(
                "goal".into(),
                other.into(),
                "minimise (the default) or maximise",
            ));
        }
    };
    let points: u64 = dims.iter().map(|d| d.steps.len() as u64).product();
    if points > MAX_POINTS || points * file.seeds as u64 > MAX_RUNS {
        return Err(field(
            "choices".into(),
            format!("{points} configurations × {} seeds", file.seeds),
            &format!("at most {MAX_POINTS} configurations and {MAX_RUNS} runs"),
        ));
    }
    let base_path = limits::folder_of(path).join(&file.base);
    let name = file.name.unwrap_or_else(|| {
        Some(path)
            .filter(|p| !limits::is_stdin(p))
            .and_then(Path::file_stem)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plan".into())
    });
    let field = format!("base = {}", file.base.display());
    let sweep = sweep::build(&origin, &field, &name, &base_path, file.seeds, dims)?;
    Ok(Plan {
        name,
        seeds: file.seeds,
        max_seeds,
        requirements,
        choices,
        objective,
        goal,
        sweep,
    })
}
