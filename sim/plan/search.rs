//! Which configurations to evaluate next.
//!
//! The configurations are split into groups: those sharing every choice except the searched
//! one (the last choice declared `monotone`), or, without such a choice, those
//! sharing every categorical choice. Along a monotone choice, a group is searched by galloping
//! then bisection over its list of values from the smallest (the cheapest runs): indices 0,
//! 1, 3, 7, … until the first value on the far side of the boundary (feasible along an
//! `increasing` choice, infeasible along a `decreasing` one) or the end of the list, then
//! halving the gap between the two sides. That needs about 2·log2(n) evaluations where the
//! grid needs n, and finds the smallest (largest) feasible value exactly when feasibility is
//! monotone. A load ramp is the decreasing case: fleets double until one saturates. Any other
//! group is a grid: every configuration in it is evaluated.
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
    /// Feasible values form the list's head (more of the choice never helps) instead of its
    /// tail; the search still starts at the smallest value, where runs are cheapest.
    pub decreasing: bool,
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
    let decreasing = searched.and_then(|s| plan.choices[s].monotone) == Some(Monotone::Decreasing);
    by_key
        .into_values()
        .map(|points| Group {
            points,
            monotone: searched.is_some(),
            decreasing,
        })
        .collect()
}

/// The group's next configurations to evaluate, given the status of those evaluated so far
/// (`Pass` is feasible; anything else is not). The search looks for the boundary between the
/// head and the tail of the list: the first feasible value along an increasing choice, the
/// first infeasible one along a decreasing choice.
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
        .filter_map(|(i, p)| {
            status
                .get(p)
                .map(|v| (i as i64, (*v == Verdict::Pass) != group.decreasing))
        })
        .collect();
    // Largest index probed in the head and smallest probed in the tail; -1 and n when none.
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
            decreasing: false,
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

    /// Along a decreasing choice the same probes find the last feasible value, starting
    /// from the smallest: a fleet that saturates from index 5 on is bracketed by 4 and 5
    /// without running anything larger than index 7.
    #[test]
    fn a_decreasing_search_ramps_up_from_the_smallest_value() {
        let g = Group {
            points: (0..100).collect(),
            monotone: true,
            decreasing: true,
        };
        let mut status = BTreeMap::new();
        let mut order = Vec::new();
        while let Some(&p) = next(&g, &status).first() {
            let v = if p < 5 { Verdict::Pass } else { Verdict::Fail };
            status.insert(p, v);
            order.push(p);
        }
        assert_eq!(order, vec![0, 1, 3, 7, 5, 4]);
    }
}
