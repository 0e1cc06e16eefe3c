//! The plan folder's answer: `plan.parquet`/`plan.csv` (one row per evaluated configuration,
//! in configuration order) and `plan.md`, each written whole through a rename, then a manifest
//! over them and the sweep plan.

use std::path::Path;

use polars::prelude::*;

use super::{Outcome, Plan, Verdict};
use serde_yaml::Value;

use crate::sweep::scalar;

fn frame(plan: &Plan, o: &Outcome) -> PolarsResult<DataFrame> {
    let rows: Vec<&super::Evaluated> = o.evaluated.values().collect();
    let chosen = o.ranked.first().copied();
    let mut cols = vec![Column::new(
        "point".into(),
        rows.iter().map(|e| e.point).collect::<Vec<u32>>(),
    )];
    for (i, c) in plan.choices.iter().enumerate() {
        let at = |e: &super::Evaluated| plan.sweep.points[e.point as usize].coords[i];
        let col = match &c.integers {
            Some(v) => Column::new(
                c.path.as_str().into(),
                rows.iter().map(|e| v[at(e)]).collect::<Vec<i64>>(),
            ),
            None => Column::new(
                c.path.as_str().into(),
                rows.iter()
                    .map(|e| flow(&plan.sweep.dims[i].steps[at(e)][0]))
                    .collect::<Vec<String>>(),
            ),
        };
        cols.push(col);
    }
    let finite = |v: f64| v.is_finite().then_some(v);
    for (j, r) in plan.requirements.iter().enumerate() {
        let fig = |g: fn(&super::Figure) -> f64| -> Vec<Option<f64>> {
            rows.iter().map(|e| finite(g(&e.figures[j]))).collect()
        };
        let name = format!("r{j}_{}", r.metric);
        cols.push(Column::new(format!("{name}_mean").into(), fig(|f| f.mean)));
        cols.push(Column::new(
            format!("{name}_ci95_low").into(),
            fig(|f| f.ci95_low),
        ));
        cols.push(Column::new(
            format!("{name}_ci95_high").into(),
            fig(|f| f.ci95_high),
        ));
        cols.push(Column::new(
            format!("r{j}: {}", r.text()).into(),
            rows.iter()
                .map(|e| e.verdicts[j].text())
                .collect::<Vec<&str>>(),
        ));
    }
    cols.push(Column::new(
        "seeds".into(),
        rows.iter()
            .map(|e| i64::from(e.seeds))
            .collect::<Vec<i64>>(),
    ));
    cols.push(Column::new(
        "status".into(),
        rows.iter()
            .map(|e| match e.status {
                Verdict::Pass => "feasible",
                Verdict::Undecided => "undecided",
                Verdict::Fail => "infeasible",
            })
            .collect::<Vec<&str>>(),
    ));
    cols.push(Column::new(
        "objective".into(),
        rows.iter().map(|e| finite(e.objective)).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "chosen".into(),
        rows.iter()
            .map(|e| Some(e.point) == chosen)
            .collect::<Vec<bool>>(),
    ));
    DataFrame::new(rows.len(), cols)
}

/// A value in YAML flow style on one line: `{protocol: pbft, batch_max_tx: 50}`.
pub(super) fn flow(v: &Value) -> String {
    match v {
        Value::Mapping(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Sequence(l) => {
            let items: Vec<String> = l.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Tagged(t) => format!("{} {}", t.tag, flow(&t.value)),
        other => scalar(other),
    }
}

fn describe(plan: &Plan, p: u32) -> String {
    plan.sweep.points[p as usize]
        .values
        .iter()
        .map(|(path, v)| format!("{path}={}", flow(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn markdown(plan: &Plan, o: &Outcome) -> String {
    let mut md = format!("# Plan {}\n\n", plan.name);
    let objective = match &plan.objective {
        super::Objective::Choice(i) => plan.choices[*i].path.clone(),
        super::Objective::Metric(m) => format!("mean {m}"),
    };
    let best_word = match plan.goal {
        super::Goal::Minimise => "Smallest",
        super::Goal::Maximise => "Largest",
    };
    match o.ranked.first() {
        Some(&best) => md.push_str(&format!(
            "{best_word} configuration meeting all requirements (by {objective}): **{}** \
             ({objective} = {}).\n\n",
            describe(plan, best),
            o.evaluated[&best].objective
        )),
        None => md.push_str("No configuration meets all requirements.\n\n"),
    }
    match o.ranked.get(1) {
        Some(&next) => md.push_str(&format!(
            "Runner-up: {} ({objective} = {}).\n\n",
            describe(plan, next),
            o.evaluated[&next].objective
        )),
        None => md.push_str("Runner-up: none.\n\n"),
    }
    md.push_str(
        "Requirements (met when the whole 95 % interval of the mean over seeds meets them; an \
         interval across the target adds seeds, up to the cap, and is otherwise undecided):\n\n",
    );
    for r in &plan.requirements {
        md.push_str(&format!("- {}\n", r.text()));
    }
    let infeasible: Vec<&super::GroupAnswer> =
        o.groups.iter().filter(|g| g.best.is_none()).collect();
    if !infeasible.is_empty() {
        md.push_str(
            "\nInfeasible choices (binding requirement at the most favourable configuration \
             tried):\n\n",
        );
        for g in infeasible {
            if let Some(p) = g.favourable {
                let why: Vec<String> = g
                    .binding
                    .iter()
                    .map(|&j| {
                        format!(
                            "{} ({}, mean {})",
                            plan.requirements[j].text(),
                            o.evaluated[&p].verdicts[j].text(),
                            o.evaluated[&p].figures[j].mean
                        )
                    })
                    .collect();
                md.push_str(&format!("- {}: {}\n", describe(plan, p), why.join("; ")));
            }
        }
    }
    for g in o.groups.iter().filter(|g| !g.staircase.is_empty()) {
        md.push_str(&staircase(plan, g));
    }
    md.push_str(&format!(
        "\nEvaluated {} of {} configurations ({} runs: {} seeds each, up to {} where an interval \
         straddled a target).\n",
        o.evaluated.len(),
        o.grid,
        o.runs,
        plan.seeds,
        plan.max_seeds
    ));
    md
}

/// A staircase as a list: for each combination of the other monotone choices, the value of
/// the last one where the requirements start to hold (or stop, along a decreasing choice).
fn staircase(plan: &Plan, g: &super::GroupAnswer) -> String {
    let monotone: Vec<usize> = (0..plan.choices.len())
        .filter(|&i| plan.choices[i].monotone.is_some())
        .collect();
    let Some((&last, outer)) = monotone.split_last() else {
        return String::new();
    };
    let values = |p: u32| &plan.sweep.points[p as usize].values;
    let fixed: Vec<String> = (0..plan.choices.len())
        .filter(|i| !monotone.contains(i))
        .map(|i| {
            let (path, v) = &values(g.points[0])[i];
            format!("{path}={}", flow(v))
        })
        .collect();
    let fixed = if fixed.is_empty() {
        String::new()
    } else {
        format!(" at {}", fixed.join(", "))
    };
    let mut md = format!(
        "\nStaircase{fixed}: the {} value of {} that meets every requirement, for each value \
         of the other monotone choices (none: no value in its range; * implied by a \
         neighbour, not run):\n\n",
        if plan.choices[last].monotone == Some(super::Monotone::Decreasing) {
            "last"
        } else {
            "first"
        },
        plan.choices[last].path
    );
    for s in &g.staircase {
        let line: Vec<String> = outer
            .iter()
            .map(|&i| {
                let (path, v) = &values(s.line)[i];
                format!("{path}={}", flow(v))
            })
            .collect();
        let step = match s.at {
            Some(p) => format!(
                "{}{}",
                flow(&values(p)[last].1),
                if s.implied { " *" } else { "" }
            ),
            None => "none".to_string(),
        };
        md.push_str(&format!("- {}: {step}\n", line.join(", ")));
    }
    md
}

pub fn write(plan: &Plan, out: &Path, o: &Outcome) -> Result<(), String> {
    let mut df = frame(plan, o).map_err(|e| e.to_string())?;
    let parquet = crate::report::parquet(&mut df).map_err(|e| e.to_string())?;
    let csv = crate::report::csv(&mut df).map_err(|e| e.to_string())?;
    crate::atomic::write_file(&out.join("plan.csv"), &csv)?;
    crate::atomic::write_file(&out.join("plan.md"), markdown(plan, o).as_bytes())?;
    crate::atomic::write_file(&out.join("plan.parquet"), &parquet)?;
    let charts = super::frontier::write(plan, out, o)?;
    let mut sealed: Vec<_> = [
        "plan.yaml",
        "points.parquet",
        "plan.parquet",
        "plan.csv",
        "plan.md",
    ]
    .iter()
    .map(|f| out.join(f))
    .collect();
    sealed.extend(charts);
    crate::manifest::write(out, &sealed)?;
    Ok(())
}
