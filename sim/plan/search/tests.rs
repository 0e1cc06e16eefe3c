//! The search against feasibility functions known in advance: thresholds found exactly in few
//! probes, decreasing ramps, and staircases whose every step is evaluated.

use super::*;

/// A group over the full grid of `sizes` (row-major, the last size innermost), every
/// choice monotone, `decreasing` per choice.
fn grid(sizes: &[usize], decreasing: &[bool]) -> Group {
    let total: usize = sizes.iter().product();
    let coords = |p: u32| {
        let mut rest = p as usize;
        let mut c = vec![0; sizes.len()];
        for d in (0..sizes.len()).rev() {
            c[d] = rest % sizes[d];
            rest /= sizes[d];
        }
        c
    };
    Group::new((0..total as u32).collect(), coords, sizes, decreasing)
}

/// Runs the search on `g` with `feasible(point)` as the truth; returns the probes in
/// order.
fn search(g: &Group, feasible: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut status = BTreeMap::new();
    let mut order = Vec::new();
    loop {
        let next = next(g, &status);
        if next.is_empty() {
            return order;
        }
        for p in next {
            assert!(!status.contains_key(&p), "{p} probed twice");
            let v = if feasible(p) {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            status.insert(p, v);
            order.push(p);
        }
    }
}

/// The probes of one increasing line of `n` values whose smallest feasible index is
/// `answer` (n: none).
fn probes(n: u32, answer: u32) -> Vec<u32> {
    search(&grid(&[n as usize], &[false]), |p| p >= answer)
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
    let order = search(&grid(&[100], &[true]), |p| p < 5);
    assert_eq!(order, vec![0, 1, 3, 7, 5, 4]);
}

/// The minimal feasible configurations of a monotone truth over a grid, by brute force.
fn minimal(g: &Group, feasible: &dyn Fn(u32) -> bool) -> Vec<u32> {
    (0..g.points.len())
        .filter(|&i| feasible(g.points[i]))
        .filter(|&i| {
            // No other feasible configuration is at most as favourable on every choice.
            !(0..g.points.len()).any(|j| {
                j != i
                    && feasible(g.points[j])
                    && g.favour[j].iter().zip(&g.favour[i]).all(|(a, b)| a <= b)
            })
        })
        .map(|i| g.points[i])
        .collect()
}

/// Staircases over two and three monotone choices (validators × gateways, with a
/// decreasing fleet size): every minimal feasible configuration is evaluated, never only
/// implied, so the cheapest feasible configuration of the grid, by any cost that grows
/// with each choice, is among those evaluated; and the search evaluates far fewer than
/// the grid. A search that stopped at the first step of the staircase, or trusted an
/// implication for a step, fails here.
#[test]
fn staircases_evaluate_every_step_and_find_the_cheapest() {
    type Truth = Box<dyn Fn(&[usize]) -> bool>;
    let truths: Vec<(Vec<usize>, Vec<bool>, Truth)> = vec![
        (
            vec![20, 30],
            vec![false, false],
            Box::new(|c| c[0] + 2 * c[1] >= 37),
        ),
        (
            vec![20, 30],
            vec![false, false],
            Box::new(|c| c[0] * c[1] >= 120),
        ),
        (
            vec![20, 30],
            vec![false, false],
            Box::new(|c| c[0] >= 7 && c[1] >= 11),
        ),
        (vec![20, 30], vec![false, false], Box::new(|_| false)),
        (vec![20, 30], vec![false, false], Box::new(|_| true)),
        (
            vec![16, 40],
            vec![false, true],
            Box::new(|c| 3 * c[0] >= c[1] + 5),
        ),
        (
            vec![8, 10, 12],
            vec![false, false, false],
            Box::new(|c| c[0] * 3 + c[1] * 2 + c[2] >= 25),
        ),
    ];
    for (sizes, decreasing, truth) in truths {
        let g = grid(&sizes, &decreasing);
        let coords = |p: u32| -> Vec<usize> {
            let mut rest = p as usize;
            let mut c = vec![0; sizes.len()];
            for d in (0..sizes.len()).rev() {
                c[d] = rest % sizes[d];
                rest /= sizes[d];
            }
            c
        };
        let feasible = |p: u32| truth(&coords(p));
        let order = search(&g, feasible);
        let steps = minimal(&g, &feasible);
        for s in &steps {
            assert!(
                order.contains(s),
                "{sizes:?}: step {:?} not evaluated",
                coords(*s)
            );
        }
        // A cost growing with each choice, in favourable order: its cheapest feasible
        // configuration over the whole grid is one the search evaluated.
        let cost = |p: u32| -> usize {
            let i = g.points.iter().position(|&q| q == p).unwrap();
            g.favour[i]
                .iter()
                .enumerate()
                .map(|(d, x)| (d + 2) * x)
                .sum()
        };
        let best_grid = g
            .points
            .iter()
            .copied()
            .filter(|&p| feasible(p))
            .min_by_key(|&p| cost(p));
        let best_search = order
            .iter()
            .copied()
            .filter(|&p| feasible(p))
            .min_by_key(|&p| cost(p));
        assert_eq!(best_grid.map(cost), best_search.map(cost), "{sizes:?}");
        assert!(
            order.len() * 3 < g.points.len(),
            "{sizes:?}: {} probes of {}",
            order.len(),
            g.points.len()
        );
    }
}

/// The favourable configuration of an infeasible group is its corner: the largest of
/// every increasing choice, the smallest of a decreasing one.
#[test]
fn an_infeasible_staircase_reports_its_corner() {
    let g = grid(&[5, 6], &[false, true]);
    let order = search(&g, |_| false);
    let evaluated: BTreeMap<u32, ()> = order.iter().map(|&p| (p, ())).collect();
    // Corner: first choice at index 4, second (decreasing) at index 0: point 4·6 + 0.
    assert_eq!(g.favourable(&evaluated), Some(24));
}
