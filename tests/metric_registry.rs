//! Every summary metric of every example scenario has an entry in the metric registry
//! (`sim/metrics/registry.rs`), which `compare` reads for units, kinds and directions. Each
//! example runs cut to 30 simulated seconds: the names do not depend on the run's length.

mod common;

use std::collections::BTreeMap;

use unchained::metrics::registry;

#[test]
fn every_summary_metric_of_every_example_has_a_registry_entry() {
    let examples = common::examples(30);
    assert!(examples.len() >= 10, "too few examples in scenarios/");
    // Metric → the examples that report it.
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, text) in &examples {
        let out = common::run(&common::scenario(text));
        for (metric, _) in out.summary_rows() {
            seen.entry(metric).or_default().push(name.clone());
        }
    }
    let unknown: Vec<String> = seen
        .iter()
        .filter(|(m, _)| registry::entry(m).is_none())
        .map(|(m, from)| format!("  {m} (in {})", from.join(", ")))
        .collect();
    assert!(
        unknown.is_empty(),
        "{} summary metrics have no entry in sim/metrics/registry.rs (add one: unit, kind, \
         better direction):\n{}",
        unknown.len(),
        unknown.join("\n")
    );
}
