//! Whether a configuration meets a requirement, from its seeds.
//!
//! A requirement holds when the whole 95 % interval of the mean over seeds meets it (its lower
//! end for `>=`, its upper end for `<=`; for `==`, every seed must equal the value, which is
//! what an interval of zero width says), and fails when the whole interval misses it. The mean
//! alone would accept a configuration that meets the target in half of the worlds it could
//! meet, and reject one that misses it by chance in three seeds; every seed alone would turn
//! stricter with each seed added. An interval that straddles the target is `undecided`: the
//! planner adds seeds, and a configuration still undecided at the cap is never chosen. With one
//! seed there is no interval and the seed's value is both ends.

use crate::sweep::{Domain, stats};

use super::spec::{Op, Requirement};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Pass,
    Undecided,
    Fail,
}

impl Verdict {
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Undecided => "undecided",
            Verdict::Fail => "fail",
        }
    }
}

/// The figures of one metric at one configuration.
#[derive(Clone, Copy, Debug)]
pub struct Figure {
    pub mean: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub min: f64,
    pub max: f64,
}

impl Figure {
    /// NaN values are seeds without samples; a metric no seed reports is all NaN.
    pub fn of(metric: &str, seeds: &[f64]) -> Figure {
        let s = stats(seeds, Domain::of(metric));
        let xs = seeds.iter().copied().filter(|v| !v.is_nan());
        let (min, max) = xs.fold((f64::NAN, f64::NAN), |(lo, hi), x| (x.min(lo), x.max(hi)));
        let one = s.n == 1;
        Figure {
            mean: s.mean,
            ci95_low: if one { s.mean } else { s.ci95_low },
            ci95_high: if one { s.mean } else { s.ci95_high },
            min,
            max,
        }
    }

    /// The interval's worse and better end for `op`; a mean beyond the run (`+∞`) has no
    /// interval, and both ends are the mean itself.
    fn bound(&self, op: Op) -> (f64, f64) {
        let pick = |b: f64| {
            if self.mean.is_infinite() {
                self.mean
            } else {
                b
            }
        };
        match op {
            Op::AtLeast => (pick(self.ci95_low), pick(self.ci95_high)),
            Op::AtMost => (pick(self.ci95_high), pick(self.ci95_low)),
            Op::Equal => (self.min, self.max),
        }
    }
}

/// NaN (no seed had a sample) fails every comparison, so it fails the requirement. A flag
/// (`==`) that differs in any seed fails: more seeds cannot undo a seed that saturated.
pub fn judge(r: &Requirement, f: &Figure) -> Verdict {
    let (worse, better) = f.bound(r.op);
    if f.mean.is_nan() || !r.op.holds(better, r.value) {
        return Verdict::Fail;
    }
    match r.op {
        Op::Equal if !r.op.holds(worse, r.value) => Verdict::Fail,
        _ if r.op.holds(worse, r.value) => Verdict::Pass,
        _ => Verdict::Undecided,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(metric: &str, op: Op, value: f64) -> Requirement {
        Requirement {
            metric: metric.into(),
            op,
            value,
            flag: false,
        }
    }

    #[test]
    fn a_flag_target_reads_as_written() {
        let flag = Requirement {
            flag: true,
            ..req("saturated", Op::Equal, 0.0)
        };
        assert_eq!(flag.text(), "saturated == false");
        assert_eq!(
            req("settled_share", Op::AtLeast, 0.99).text(),
            "settled_share >= 0.99"
        );
    }

    #[test]
    fn the_whole_interval_decides() {
        let r = req("settled_tx_per_s", Op::AtLeast, 10.0);
        // Mean 11, but a wide spread: t(0.975, 2) · s / √3 is far more than 1.
        assert_eq!(
            judge(&r, &Figure::of("settled_tx_per_s", &[8.0, 11.0, 14.0])),
            Verdict::Undecided
        );
        assert_eq!(
            judge(&r, &Figure::of("settled_tx_per_s", &[10.9, 11.0, 11.1])),
            Verdict::Pass
        );
        // A mean below the target whose interval reaches it: more seeds could tell.
        assert_eq!(
            judge(&r, &Figure::of("settled_tx_per_s", &[9.0, 9.5, 9.9])),
            Verdict::Undecided
        );
        assert_eq!(
            judge(&r, &Figure::of("settled_tx_per_s", &[9.0, 9.1, 9.2])),
            Verdict::Fail
        );
        let p99 = req("settlement_p99_s", Op::AtMost, 30.0);
        assert_eq!(
            judge(&p99, &Figure::of("settlement_p99_s", &[1.0, f64::INFINITY])),
            Verdict::Fail
        );
        assert_eq!(
            judge(&p99, &Figure::of("settlement_p99_s", &[f64::NAN])),
            Verdict::Fail
        );
    }

    #[test]
    fn a_flag_must_hold_in_every_seed() {
        let r = req("saturated", Op::Equal, 0.0);
        assert_eq!(
            judge(&r, &Figure::of("saturated", &[0.0, 0.0, 0.0])),
            Verdict::Pass
        );
        assert_eq!(
            judge(&r, &Figure::of("saturated", &[0.0, 1.0, 0.0])),
            Verdict::Fail
        );
    }
}
