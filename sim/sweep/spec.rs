//! The sweep file and its plan: axes over dotted scenario paths, applied to the base
//! scenario's YAML tree before it is parsed, so every point is validated like a scenario file
//! and its errors name the field.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use super::charts::Scale;
use super::path::{parse_path, set};
use crate::scenario::{self, Scenario, limits};

/// A sweep file: a base scenario, axes over its dotted paths and seeds per point.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Unchained sweep")]
struct File {
    /// The sweep's name (default: the file's stem); enters every run's seed.
    #[serde(default)]
    name: Option<String>,
    /// Base scenario, relative to the sweep file.
    scenario: PathBuf,
    /// Seeds (runs) per point.
    #[serde(default = "one")]
    #[schemars(range(min = 1))]
    seeds: u32,
    /// `path: [values]`, each an independent dimension, in file order. A path is a dotted
    /// scenario path (`validators.count`, `devices[0].workload.interval_s`, `consensus`).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, Vec<serde_json::Value>>")]
    axes: Mapping,
    /// Groups of paths whose value lists advance together: one dimension per group.
    #[serde(default)]
    #[schemars(with = "Vec<std::collections::BTreeMap<String, Vec<serde_json::Value>>>")]
    zip: Vec<Mapping>,
    /// Charts `sweep merge` draws: a summary metric against an axis.
    #[serde(default)]
    charts: Vec<ChartSpec>,
}

fn one() -> u32 {
    1
}

/// Most runs (points × seeds) one sweep file plans. Planning validates every point's scenario
/// and keeps it in memory (a few kilobytes each), and `plan.yaml` numbers points with `u32`;
/// a grid of five axes × 100 values (10¹⁰ points) once aborted planning with a 560 GB
/// allocation. A larger study is several sweep files.
pub const MAX_RUNS: u64 = 100_000;

/// A chart of a merged sweep: `metric` against axis `x`, one series per value of axis `by`;
/// each axis linear, logarithmic, or (`auto`, the default) logarithmic when its values span
/// more than two decades.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    /// A summary metric (`settled_tx_per_s`).
    pub metric: String,
    /// The axis path on the horizontal axis.
    pub x: String,
    /// An axis path drawn as one line per value.
    #[serde(default)]
    pub by: Option<String>,
    /// Only for a numeric `x`; a categorical one is never scaled.
    #[serde(default, skip_serializing_if = "Scale::is_auto")]
    pub x_scale: Scale,
    #[serde(default, skip_serializing_if = "Scale::is_auto")]
    pub y_scale: Scale,
}

/// The sweep file's JSON Schema (`unchained schema sweep`).
pub fn json_schema() -> serde_json::Value {
    schemars::schema_for!(File).to_value()
}

/// One dimension of the grid: one or more paths (several for a zipped group) and, per step,
/// the value of each path and the step's short name for charts and reports.
#[derive(Clone, Debug)]
pub struct Dim {
    pub paths: Vec<String>,
    pub steps: Vec<Vec<Value>>,
    pub labels: Vec<String>,
}

impl Dim {
    /// A dimension over `steps`, each a value per path. A mapping value may carry a `label:`
    /// key, which names its step and is taken out before the value reaches the scenario;
    /// without one a step is named by its `protocol:` (a consensus section names its family)
    /// or by its values as they read in YAML.
    pub fn new(paths: Vec<String>, mut steps: Vec<Vec<Value>>) -> Result<Dim, String> {
        let mut labels = Vec::with_capacity(steps.len());
        for (i, step) in steps.iter_mut().enumerate() {
            let mut own = None;
            for (path, v) in paths.iter().zip(step.iter_mut()) {
                let Some(m) = v.as_mapping_mut() else {
                    continue;
                };
                if let Some(l) = m.remove("label") {
                    let text = l.as_str().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
                        format!(
                            "{path}[{i}].label = {}: must be a non-empty string",
                            scalar(&l)
                        )
                    })?;
                    own.get_or_insert_with(|| text.to_string());
                }
            }
            labels.push(own.unwrap_or_else(|| {
                step.iter()
                    .map(default_label)
                    .collect::<Vec<_>>()
                    .join(" / ")
            }));
        }
        Ok(Dim {
            paths,
            steps,
            labels,
        })
    }
}

fn default_label(v: &Value) -> String {
    match v.get("protocol").and_then(Value::as_str) {
        Some(family) => family.to_string(),
        None => scalar(v),
    }
}

#[derive(Clone, Debug)]
pub struct Point {
    pub index: u32,
    /// Step index along each dimension.
    pub coords: Vec<usize>,
    /// `(path, value)` for every axis, in dimension order.
    pub values: Vec<(String, Value)>,
}

#[derive(Clone, Debug)]
pub struct Sweep {
    pub name: String,
    pub seeds: u32,
    pub base_seed: u64,
    pub dims: Vec<Dim>,
    pub points: Vec<Point>,
    pub charts: Vec<ChartSpec>,
    /// The validated scenario of each point (seed still the base's).
    pub scenarios: Vec<Scenario>,
}

impl Sweep {
    pub fn runs(&self) -> u64 {
        self.points.len() as u64 * self.seeds as u64
    }

    /// Every axis path, in dimension order.
    pub fn axes(&self) -> Vec<String> {
        self.dims.iter().flat_map(|d| d.paths.clone()).collect()
    }

    /// The scenario of run `(point, k)`: the point's scenario with its derived seed.
    pub fn scenario(&self, point: u32, k: u32) -> Scenario {
        let mut s = self.scenarios[point as usize].clone();
        s.seed = run_seed(self.base_seed, &self.name, point, k);
        s
    }
}

/// A run's seed from `(base seed, sweep name, point, seed index)` only — never from the
/// worker or shard that runs it — so a dataset is the same however it was split. SplitMix64
/// finalisers chain the parts; the name enters through FNV-1a.
pub fn run_seed(base: u64, sweep: &str, point: u32, k: u32) -> u64 {
    let name = sweep.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    [name, point as u64, k as u64]
        .iter()
        .fold(mix(base), |h, &x| mix(h ^ mix(x.wrapping_add(1))))
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Reads a sweep file, builds its grid and validates the scenario of every point.
pub fn load(path: &Path) -> Result<Sweep, String> {
    let origin = limits::origin(path);
    let text = limits::read(path).map_err(|e| format!("{origin}: {e}"))?;
    limits::check(&text).map_err(|e| format!("{origin}: {e}"))?;
    let file: File =
        serde_yaml::from_str(&text).map_err(|e| format!("{origin}: invalid sweep: {e}"))?;
    if file.seeds == 0 {
        return Err(format!("{origin}: seeds = 0: must be >= 1"));
    }
    let mut dims = Vec::new();
    for (k, v) in &file.axes {
        dims.push(dim(&origin, &format!("axes.{}", key(k)?), &[(k, v)])?);
    }
    for (i, group) in file.zip.iter().enumerate() {
        let pairs: Vec<_> = group.iter().collect();
        if pairs.is_empty() {
            return Err(format!(
                "{origin}: zip[{i}] is empty: list at least one path"
            ));
        }
        dims.push(dim(&origin, &format!("zip[{i}]"), &pairs)?);
    }
    let mut seen = std::collections::BTreeSet::new();
    for p in dims.iter().flat_map(|d| &d.paths) {
        if !seen.insert(p.clone()) {
            return Err(format!("{origin}: axis {p} is listed twice"));
        }
    }
    let name = file.name.unwrap_or_else(|| {
        Some(path)
            .filter(|p| !limits::is_stdin(p))
            .and_then(Path::file_stem)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sweep".into())
    });
    let axes: Vec<String> = dims.iter().flat_map(|d| d.paths.clone()).collect();
    for (i, c) in file.charts.iter().enumerate() {
        // A misspelt metric would draw an empty chart; the registry knows every name a run's
        // summary can hold (by name or by family pattern).
        if crate::metrics::registry::entry(&c.metric).is_none() {
            return Err(format!(
                "{origin}: charts[{i}].metric = {}: not a summary metric (a name of a run's \
                 summary table, such as settlement_p50_s or settled_tx_per_s)",
                c.metric
            ));
        }
        for (field, axis) in [("x", Some(&c.x)), ("by", c.by.as_ref())] {
            if let Some(a) = axis
                && !axes.contains(a)
            {
                return Err(format!(
                    "{origin}: charts[{i}].{field} = {a}: not an axis (axes: {})",
                    axes.join(", ")
                ));
            }
        }
    }
    let sizes: Vec<u64> = dims.iter().map(|d| d.steps.len() as u64).collect();
    let points = sizes.iter().try_fold(1u64, |n, &k| n.checked_mul(k));
    let runs = points.and_then(|p| p.checked_mul(file.seeds as u64));
    if runs.is_none_or(|r| r > MAX_RUNS) {
        let sizes: Vec<String> = sizes.iter().map(u64::to_string).collect();
        return Err(format!(
            "{origin}: the grid has {} points ({}) × {} seeds: at most {MAX_RUNS} runs are \
             planned; split the sweep into several files",
            points.map_or("more than 2^64".into(), |p| p.to_string()),
            sizes.join(" × "),
            file.seeds
        ));
    }
    let base_path = limits::folder_of(path).join(&file.scenario);
    let field = format!("scenario = {}", file.scenario.display());
    let mut sweep = build(&origin, &field, &name, &base_path, file.seeds, dims)?;
    sweep.charts = file.charts;
    Ok(sweep)
}

/// The sweep of `dims` over the scenario at `base_path`: every point's scenario is the base's
/// YAML tree with the point's values set, validated like a scenario file. `field` names the
/// base in the file at `origin`, for an error reading it.
pub fn build(
    origin: &str,
    field: &str,
    name: &str,
    base_path: &Path,
    seeds: u32,
    dims: Vec<Dim>,
) -> Result<Sweep, String> {
    let base_text = limits::read(base_path)
        .map_err(|e| format!("{origin}: {field}: {}: {e}", base_path.display()))?;
    // Files the base names (a gateway CSV) are relative to its folder, at every point too.
    let folder = limits::folder_of(base_path);
    // Parsed as a scenario first, so the tree below comes from text known to be within bounds.
    let base_scenario = scenario::parse_at(&base_text, &base_path.display().to_string(), &folder)
        .map_err(|e| e.to_string())?;
    let base: Value =
        serde_yaml::from_str(&base_text).map_err(|e| format!("{}: {e}", base_path.display()))?;
    let points = grid(&dims);
    let mut scenarios = Vec::with_capacity(points.len());
    for p in &points {
        let mut tree = base.clone();
        for (path, value) in &p.values {
            set(&mut tree, path, value.clone())
                .map_err(|e| format!("{origin}: axis {path}: {e}"))?;
        }
        let text = serde_yaml::to_string(&tree).map_err(|e| e.to_string())?;
        let label = format!("{origin} point {} ({})", p.index, label(&p.values));
        scenarios.push(scenario::parse_at(&text, &label, &folder).map_err(|e| e.to_string())?);
    }
    Ok(Sweep {
        name: name.to_string(),
        seeds,
        base_seed: base_scenario.seed,
        dims,
        points,
        charts: Vec::new(),
        scenarios,
    })
}

/// `base_text` with each `(path, value)` set (sweep axis paths: `validators.count`,
/// `devices[0].count`), parsed and checked as a scenario named `origin` whose file names (a
/// gateway CSV, whether the text or an override gives it) are relative to `folder`.
pub fn with_overrides(
    base_text: &str,
    origin: &str,
    folder: &Path,
    overrides: &[(&str, Value)],
) -> Result<Scenario, String> {
    scenario::parse_at(base_text, origin, folder).map_err(|e| e.to_string())?;
    let mut tree: Value = serde_yaml::from_str(base_text).map_err(|e| format!("{origin}: {e}"))?;
    for (path, value) in overrides {
        set(&mut tree, path, value.clone()).map_err(|e| format!("{origin}: {path}: {e}"))?;
    }
    let text = serde_yaml::to_string(&tree).map_err(|e| e.to_string())?;
    scenario::parse_at(&text, origin, folder).map_err(|e| e.to_string())
}

fn key(k: &Value) -> Result<String, String> {
    k.as_str().map(str::to_string).ok_or_else(|| {
        format!("axis name {k:?} must be a dotted path such as consensus.block_interval_s")
    })
}

fn dim(origin: &str, at: &str, pairs: &[(&Value, &Value)]) -> Result<Dim, String> {
    let mut paths = Vec::new();
    let mut lists = Vec::new();
    for (k, v) in pairs {
        let path = key(k)?;
        parse_path(&path).map_err(|e| format!("{origin}: {at}: {e}"))?;
        let list = v
            .as_sequence()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| format!("{origin}: {at}: {path} must be a non-empty list of values"))?;
        paths.push(path);
        lists.push(list.clone());
    }
    let n = lists[0].len();
    if let Some((p, l)) = paths.iter().zip(&lists).find(|(_, l)| l.len() != n) {
        return Err(format!(
            "{origin}: {at}: {p} has {} values but {} has {n}: zipped lists must have equal length",
            l.len(),
            paths[0]
        ));
    }
    let steps = (0..n)
        .map(|i| lists.iter().map(|l| l[i].clone()).collect())
        .collect();
    Dim::new(paths, steps).map_err(|e| format!("{origin}: {at}: {e}"))
}

/// Row-major: the last dimension varies fastest.
fn grid(dims: &[Dim]) -> Vec<Point> {
    let total: usize = dims.iter().map(|d| d.steps.len()).product();
    (0..total)
        .map(|index| {
            let mut rest = index;
            let mut coords = vec![0; dims.len()];
            for (c, d) in coords.iter_mut().zip(dims).rev() {
                *c = rest % d.steps.len();
                rest /= d.steps.len();
            }
            let values = dims
                .iter()
                .zip(&coords)
                .flat_map(|(d, &c)| d.paths.iter().cloned().zip(d.steps[c].iter().cloned()))
                .collect();
            Point {
                index: index as u32,
                coords,
                values,
            }
        })
        .collect()
}

pub fn label(values: &[(String, Value)]) -> String {
    values
        .iter()
        .map(|(p, v)| format!("{p}={}", scalar(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A scalar as it reads in YAML; other values in flow style.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .replace('\n', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_by_every_part_and_only_by_them() {
        let s = run_seed(1, "a", 0, 0);
        assert_eq!(s, run_seed(1, "a", 0, 0));
        for other in [
            run_seed(2, "a", 0, 0),
            run_seed(1, "b", 0, 0),
            run_seed(1, "a", 1, 0),
            run_seed(1, "a", 0, 1),
        ] {
            assert_ne!(s, other);
        }
        // Point and seed index are not interchangeable.
        assert_ne!(run_seed(1, "a", 1, 0), run_seed(1, "a", 0, 1));
    }

    #[test]
    fn grid_is_row_major_with_zipped_dimensions() {
        let d = |paths: &[&str], steps: Vec<Vec<i64>>| {
            Dim::new(
                paths.iter().map(|s| s.to_string()).collect(),
                steps
                    .into_iter()
                    .map(|s| s.into_iter().map(Value::from).collect())
                    .collect(),
            )
            .unwrap()
        };
        let g = grid(&[
            d(&["a"], vec![vec![1], vec![2]]),
            d(
                &["b", "c"],
                vec![vec![10, 100], vec![20, 200], vec![30, 300]],
            ),
        ]);
        assert_eq!(g.len(), 6);
        assert_eq!(g[4].coords, vec![1, 1]);
        assert_eq!(label(&g[4].values), "a=2, b=20, c=200");
    }

    #[test]
    fn steps_are_named_by_their_label_or_family_and_the_label_never_reaches_the_scenario() {
        let steps: Vec<Vec<Value>> = serde_yaml::from_str(
            "- [{ label: PoW 60 s, protocol: nakamoto, block_interval_s: 60 }]\n\
             - [{ protocol: pbft }]\n\
             - [{ slot_s: 12 }]\n",
        )
        .unwrap();
        let d = Dim::new(vec!["consensus".into()], steps).unwrap();
        assert_eq!(d.labels, ["PoW 60 s", "pbft", "slot_s: 12"]);
        assert_eq!(d.steps[0][0].get("label"), None);
        assert_eq!(d.steps[0][0]["block_interval_s"], Value::from(60));
        let bad: Vec<Vec<Value>> =
            serde_yaml::from_str("- [{ label: 3, protocol: pbft }]\n").unwrap();
        let e = Dim::new(vec!["consensus".into()], bad).unwrap_err();
        assert!(
            e.contains("consensus[0].label = 3: must be a non-empty string"),
            "{e}"
        );
    }
}
