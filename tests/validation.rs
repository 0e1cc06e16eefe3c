//! The literature-validation suite (`unchained validate-literature`): every check must pass.
//! The quick version runs in CI; the full one (more blocks, seeds and points, tighter Markov
//! tolerance) with `cargo test --test validation -- --ignored`.

use std::path::Path;

use unchained::validation;

fn check(quick: bool) {
    let suite = validation::run(Path::new("scenarios/validation"), quick)
        .unwrap_or_else(|e| panic!("suite did not run: {e}"));
    let failed: Vec<String> = suite
        .rows
        .iter()
        .filter(|r| !r.pass)
        .map(|r| {
            format!(
                "{} {} ({}): expected {} measured {} tolerance {}",
                r.target, r.case, r.method, r.expected, r.measured, r.tolerance
            )
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    for target in validation::TARGETS.iter().chain(&["DS-exact"]) {
        assert!(
            suite.rows.iter().any(|r| r.target == *target),
            "no check of {target}"
        );
    }
    assert!(suite.selfish.len() >= 16 && suite.double_spend.len() >= 4);
}

#[test]
fn quick_suite_passes() {
    check(true);
}

#[test]
#[ignore = "full suite: several minutes"]
fn full_suite_passes() {
    check(false);
}
