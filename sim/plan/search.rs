//! Which configurations to evaluate next.
//!
//! The configurations are split into groups: those sharing every choice except the searched
//! one (the last choice declared `monotone`), or, without such a choice, those
//! sharing every categorical choice. Along a monotone choice, a group is searched by galloping
//! then bisection over its list of values: indices 0, 1, 3, 7, … until one is feasible (or the
//! last value fails), then halving the gap between the largest infeasible and the smallest
//! feasible index probed. That needs about 2·log2(n) evaluations where the grid needs n, and
//! finds the smallest feasible value exactly when feasibility is monotone. Any other group is
//! a grid: every configuration in it is evaluated.
//!
//! The next probes are a function of the verdicts so far only, never of what ran first, so a
//! search resumed in the same folder, or run with another `--jobs`, probes the same points.

use std::collections::BTreeMap;

use super::judge::Verdict;
use super::spec::{Monotone, Plan};

pub struct Group {
    /// The configurations of the group; along the searched choice, in its order.
    pub points: Vec<u32>,
    pub monotone: bool,
}

pub fn groups(plan: &Plan) -> Vec<Group> {
    let searched = plan.searched();
    let mut by_key: BTreeMap<Vec<usize>, Vec<u32>> = BTreeMap::new();
    for p in &plan.sweep.points {
        let key: Vec<usize> = p
            .coords
            .iter()
            .enumerate()
            .filter(|&(i, _)| match searched {
                Some(s) => i != s,
                None => plan.choices[i].integers.is_none(),
            })
            .map(|(_, &c)| c)
            .collect();
        by_key.entry(key).or_default().push(p.index);
    }
    // Along a decreasing choice the grid's order is reversed, so that the feasible values
    // form the list's tail, as along an increasing one, and the search finds the largest.
    let decreasing = searched.and_then(|s| plan.choices[s].monotone) == Some(Monotone::Decreasing);
    by_key
        .into_values()
        .map(|mut points| {
            if decreasing {
                points.reverse();
            }
            Group {
                points,
                monotone: searched.is_some(),
            }
        })
        .collect()
}

/// The group's next configurations to evaluate, given the status of those evaluated so far
/// (`Pass` is feasible; anything else is not).
pub fn next(group: &Group, status: &BTreeMap<u32, Verdict>) -> Vec<u32> {
    if !group.monotone {
        return group
            .points
            .iter()
            .copied()
            .filter(|p| !status.contains_key(p))
            .collect();
    }
    let n = group.points.len() as i64;
    let known: Vec<(i64, bool)> = group
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| status.get(p).map(|v| (i as i64, *v == Verdict::Pass)))
        .collect();
    // Largest infeasible and smallest feasible index probed; -1 and n when none.
    let lo = known
        .iter()
        .filter(|k| !k.1)
        .map(|k| k.0)
        .max()
        .unwrap_or(-1);
    let hi = known.iter().filter(|k| k.1).map(|k| k.0).min().unwrap_or(n);
    let probe = if hi == n {
        if lo == n - 1 {
            return Vec::new();
        }
        (2 * lo + 1).max(0).min(n - 1)
    } else if hi - lo <= 1 {
        return Vec::new();
    } else {
        lo + (hi - lo) / 2
    };
    vec![group.points[probe as usize]]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the search of one monotone group of `n` values whose smallest feasible index is
    /// `answer` (n: none); returns the probes in order.
    fn probes(n: u32, answer: u32) -> Vec<u32> {
        let g = Group {
            points: (0..n).collect(),
            monotone: true,
        };
        let mut status = BTreeMap::new();
        let mut order = Vec::new();
        loop {
            let next = next(&g, &status);
            if next.is_empty() {
                return order;
            }
            for p in next {
                let v = if p >= answer {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                };
                status.insert(p, v);
                order.push(p);
            }
        }
    }

    #[test]
    fn finds_every_threshold_exactly_in_few_probes() {
        for n in [1, 2, 3, 10, 64, 100] {
            for answer in 0..=n {
                let order = probes(n, answer);
                // The answer is pinned: it and its predecessor were both probed.
                if answer < n {
                    assert!(order.contains(&answer), "n={n} answer={answer} {order:?}");
                }
                if answer > 0 {
                    assert!(order.contains(&(answer - 1)), "n={n} answer={answer}");
                }
                let bound = 2 * (32 - n.leading_zeros()) + 1;
                assert!(order.len() as u32 <= bound, "n={n} {order:?}");
            }
        }
        assert_eq!(probes(100, 5), vec![0, 1, 3, 7, 5, 4]);
    }
}
