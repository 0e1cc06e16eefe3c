//! Helpers shared by the integration tests.
#![allow(dead_code)]

use unchained::metrics::RunOutput;
use unchained::scenario::{self, Scenario};
use unchained::world::{self, Progress};

pub fn scenario(yaml: &str) -> Scenario {
    scenario::parse(yaml, "test").unwrap_or_else(|e| panic!("test scenario invalid: {e}"))
}

pub fn run(s: &Scenario) -> RunOutput {
    world::run(s, &Progress::hidden()).unwrap_or_else(|e| panic!("run failed: {e}"))
}

pub fn metric(out: &RunOutput, name: &str) -> f64 {
    out.metric(name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}
