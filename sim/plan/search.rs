//! Which configurations to evaluate next.
//!
//! The configurations are split into groups: those sharing every choice that is not declared
//! `monotone`, or, without any monotone choice, those sharing every categorical choice. A
//! group without a monotone choice is a grid: every configuration in it is evaluated.
//!
//! Along one monotone choice (a line), the search gallops then bisects over the list of
//! values from the smallest (the cheapest runs): indices 0, 1, 3, 7, … until the first value
//! on the far side of the boundary (feasible along an `increasing` choice, infeasible along a
//! `decreasing` one) or the end of the list, then halves the gap between the two sides. That
//! needs about 2·log2(n) evaluations where the grid needs n, and finds the smallest (largest)
//! feasible value exactly when feasibility is monotone. A load ramp is the decreasing case:
//! fleets double until one saturates.
//!
//! With several monotone choices the feasible configurations of a group form a staircase:
//! each choice is turned so that its favourable end is its last index (reversed for a
//! `decreasing` one), and then a configuration that is feasible makes every configuration at
//! least as favourable on every choice feasible, and one that is not makes every less
//! favourable one infeasible. The lines along the last monotone choice are searched one after
//! another, in grid order of the other monotone choices, and each line starts from what the
//! lines before imply: the boundary found on one line brackets the next, so most lines need
//! a few probes (a saddleback walk along the staircase) instead of a full gallop. Every
//! minimal feasible configuration (a step of the staircase: one less of any choice is
//! infeasible) is evaluated, never only implied, so the configuration with the smallest
//! objective among them is the answer whenever the objective grows with each choice (a cost,
//! a count). Lines run one after another to use what the previous line found; the other
//! groups still advance together, and every probe runs its seeds in parallel.
//!
//! The next probes are a function of the verdicts so far only, never of what ran first, so a
//! search resumed in the same folder, or run with another `--jobs`, probes the same points.

use std::collections::BTreeMap;

use super::judge::Verdict;
use super::spec::{Monotone, Plan};

pub struct Group {
    /// The configurations of the group, in grid order.
    pub points: Vec<u32>,
    pub monotone: bool,
    /// Per configuration (as `points`), its index along each monotone choice turned so that
    /// the favourable end is the largest; empty without monotone choices.
    pub favour: Vec<Vec<usize>>,
    /// The lines along the last monotone choice, in grid order of the other monotone
    /// choices; each holds positions in `points`, in the order of the choice's values.
    pub lines: Vec<Vec<usize>>,
    /// The last monotone choice is `decreasing`: feasible values form the head of a line
    /// (more of the choice never helps) instead of its tail; the search still starts at the
    /// smallest value, where runs are cheapest.
    pub decreasing: bool,
}

pub fn groups(plan: &Plan) -> Vec<Group> {
    let monotone: Vec<usize> = (0..plan.choices.len())
        .filter(|&i| plan.choices[i].monotone.is_some())
        .collect();
    let mut by_key: BTreeMap<Vec<usize>, Vec<u32>> = BTreeMap::new();
    for p in &plan.sweep.points {
        let key: Vec<usize> = p
            .coords
            .iter()
            .enumerate()
            .filter(|&(i, _)| match monotone.is_empty() {
                false => !monotone.contains(&i),
                true => plan.choices[i].integers.is_none(),
            })
            .map(|(_, &c)| c)
            .collect();
        by_key.entry(key).or_default().push(p.index);
    }
    let sizes: Vec<usize> = monotone
        .iter()
        .map(|&m| plan.sweep.dims[m].steps.len())
        .collect();
    let turned: Vec<bool> = monotone
        .iter()
        .map(|&m| plan.choices[m].monotone == Some(Monotone::Decreasing))
        .collect();
    by_key
        .into_values()
        .map(|points| {
            let coords = |p: u32| -> Vec<usize> {
                let c = &plan.sweep.points[p as usize].coords;
                monotone.iter().map(|&m| c[m]).collect()
            };
            Group::new(points, coords, &sizes, &turned)
        })
        .collect()
}

impl Group {
    /// The most favourable configuration evaluated: the largest along every monotone choice
    /// turned favourable-last (their sum, ties to grid order), or the last one in grid order.
    pub fn favourable<T>(&self, evaluated: &BTreeMap<u32, T>) -> Option<u32> {
        let done = (0..self.points.len()).filter(|&i| evaluated.contains_key(&self.points[i]));
        if !self.monotone {
            return done.max().map(|i| self.points[i]);
        }
        done.max_by_key(|&i| (self.favour[i].iter().sum::<usize>(), std::cmp::Reverse(i)))
            .map(|i| self.points[i])
    }

    /// The configurations with a verdict, as (position in `points`, feasible).
    fn known(&self, status: &BTreeMap<u32, Verdict>) -> Vec<(usize, bool)> {
        (0..self.points.len())
            .filter_map(|i| {
                status
                    .get(&self.points[i])
                    .map(|v| (i, *v == Verdict::Pass))
            })
            .collect()
    }

    /// A group of `points` whose coordinates along the monotone choices (sizes `sizes`, each
    /// `decreasing` or not) are `coords(point)`; no monotone choice makes it a grid.
    fn new(
        points: Vec<u32>,
        coords: impl Fn(u32) -> Vec<usize>,
        sizes: &[usize],
        decreasing: &[bool],
    ) -> Group {
        let Some(&last_decreasing) = decreasing.last() else {
            return Group {
                points,
                monotone: false,
                favour: Vec::new(),
                lines: Vec::new(),
                decreasing: false,
            };
        };
        let all: Vec<Vec<usize>> = points.iter().map(|&p| coords(p)).collect();
        let favour = all
            .iter()
            .map(|c| {
                c.iter()
                    .zip(sizes.iter().zip(decreasing))
                    .map(|(&x, (&n, &d))| if d { n - 1 - x } else { x })
                    .collect()
            })
            .collect();
        // Lines: positions sharing the other monotone choices, ordered by the last one's
        // value (its grid coordinate).
        let mut by_line: BTreeMap<&[usize], Vec<(usize, usize)>> = BTreeMap::new();
        for (pos, c) in all.iter().enumerate() {
            let (last, outer) = c.split_last().expect("a monotone choice");
            by_line.entry(outer).or_default().push((*last, pos));
        }
        let lines = by_line
            .into_values()
            .map(|mut l| {
                l.sort_unstable();
                l.into_iter().map(|(_, pos)| pos).collect()
            })
            .collect();
        Group {
            points,
            monotone: true,
            favour,
            lines,
            decreasing: last_decreasing,
        }
    }
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
    let known = group.known(status);
    for line in &group.lines {
        let (own, others): (Vec<_>, Vec<_>) =
            known.iter().copied().partition(|k| line.contains(&k.0));
        let elsewhere: Vec<Option<bool>> =
            line.iter().map(|&i| implied(group, &others, i)).collect();
        let feasible: Vec<Option<bool>> = line
            .iter()
            .zip(&elsewhere)
            .map(|(&i, e)| own.iter().find(|k| k.0 == i).map(|k| k.1).or(*e))
            .collect();
        let probe = Line {
            feasible: &feasible,
            elsewhere: &elsewhere,
            informed: !others.is_empty(),
            decreasing: group.decreasing,
        };
        if let Some(k) = probe.probe() {
            return vec![group.points[line[k]]];
        }
    }
    Vec::new()
}

/// One line of a staircase: where the last monotone choice first meets every requirement
/// (along an increasing choice; the last value that does along a decreasing one).
pub struct Step {
    /// The line's first configuration, which names the other choices' values.
    pub line: u32,
    /// The configuration at the step, `None` when no value of the line is feasible.
    pub at: Option<u32>,
    /// The step's feasibility is implied by its neighbours, not evaluated: a step that is
    /// not minimal (a neighbour with less of another choice is feasible too).
    pub implied: bool,
}

/// The staircase of a group with two or more monotone choices, one step per line, from the
/// verdicts of the search; empty for a group with fewer.
pub fn staircase(group: &Group, status: &BTreeMap<u32, Verdict>) -> Vec<Step> {
    if group.lines.len() < 2 {
        return Vec::new();
    }
    let known = group.known(status);
    group
        .lines
        .iter()
        .map(|line| {
            let feasible = |&&i: &&usize| implied(group, &known, i) == Some(true);
            let at = if group.decreasing {
                line.iter().rfind(feasible)
            } else {
                line.iter().find(feasible)
            };
            Step {
                line: group.points[line[0]],
                at: at.map(|&i| group.points[i]),
                implied: at.is_some_and(|&i| !known.iter().any(|k| k.0 == i)),
            }
        })
        .collect()
}

/// Whether configuration `i` of the group is feasible as implied by the evaluations `known`
/// through the staircase: a feasible configuration no more favourable on any choice, or an
/// infeasible one no less favourable on any. `None` when nothing implies it, or when
/// evaluations contradict each other there (feasibility is not monotone after all), so that
/// it is evaluated itself.
fn implied(group: &Group, known: &[(usize, bool)], i: usize) -> Option<bool> {
    let at = &group.favour[i];
    let below = |j: usize| group.favour[j].iter().zip(at).all(|(a, b)| a <= b);
    let above = |j: usize| group.favour[j].iter().zip(at).all(|(a, b)| a >= b);
    let yes = known.iter().any(|&(j, f)| f && below(j));
    let no = known.iter().any(|&(j, f)| !f && above(j));
    match (yes, no) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// One line of a group (values in their order) as the search sees it.
struct Line<'a> {
    /// Feasibility evaluated on the line, or implied by the rest of the group.
    feasible: &'a [Option<bool>],
    /// Feasibility implied by evaluations on other lines only.
    elsewhere: &'a [Option<bool>],
    /// Other lines of the group have been evaluated.
    informed: bool,
    decreasing: bool,
}

impl Line<'_> {
    /// The next index to probe, `None` when the boundary is pinned. The boundary lies
    /// between the head and the tail of the line: the first feasible value along an
    /// increasing choice, the first infeasible one along a decreasing one.
    ///
    /// A line that nothing else informs gallops from its smallest value (0, 1, 3, 7, …) and
    /// bisects. A line after others starts where they leave it: next to the boundary they
    /// imply, galloping away from it (one step, two, four, …), so that a staircase step of
    /// the same height as the last costs one probe; where they imply nothing, at its
    /// favourable end, which tells at once whether the line has a feasible value at all.
    fn probe(&self) -> Option<usize> {
        let n = self.feasible.len() as i64;
        let tail = |f: Option<bool>| f.map(|f| f != self.decreasing);
        let side = |v: &[Option<bool>], t: bool| {
            (0..v.len())
                .filter(|&i| tail(v[i]) == Some(t))
                .collect::<Vec<usize>>()
        };
        // Largest index known in the head and smallest known in the tail; -1 and n when none.
        let lo = side(self.feasible, false).last().map_or(-1, |&i| i as i64);
        let hi = side(self.feasible, true).first().map_or(n, |&i| i as i64);
        if hi - lo <= 1 {
            return None;
        }
        let probe = match (lo >= 0, hi < n) {
            (true, true) => lo + (hi - lo) / 2,
            (false, false) if self.informed => {
                if self.decreasing {
                    0
                } else {
                    n - 1
                }
            }
            (_, false) => {
                // Upwards from the head the other lines imply (none: from -1, which gives
                // the plain gallop 0, 1, 3, 7, …).
                let anchor = side(self.elsewhere, false).last().map_or(-1, |&i| i as i64);
                (anchor + (2 * (lo - anchor)).max(1)).min(n - 1)
            }
            (false, true) => {
                let anchor = side(self.elsewhere, true).first().map_or(n, |&i| i as i64);
                (anchor - (2 * (anchor - hi)).max(1)).max(0)
            }
        };
        Some(probe as usize)
    }
}

#[cfg(test)]
mod tests;
