//! Checks of the `faults:` section.

use super::{Checker, NonNeg, Num};
use crate::scenario::{Crash, Faults, Partition};

impl Checker<'_> {
    /// `validators` is the validator count when that count is itself valid.
    pub(super) fn faults(&mut self, faults: &Faults, validators: Option<u64>) {
        for (i, crash) in faults.crashes.iter().enumerate() {
            self.crash(&format!("faults.crashes[{i}]"), crash, validators);
        }
        for (i, partition) in faults.partitions.iter().enumerate() {
            self.partition(&format!("faults.partitions[{i}]"), partition, validators);
        }
        let loss = faults.links.loss;
        if self.finite("faults.links.loss", loss) && !(0.0..1.0).contains(&loss) {
            self.report(
                "faults.links.loss",
                Num(loss),
                "must be >= 0 and < 1 (a probability; 1 would lose every message)",
            );
        }
        self.time_ms("faults.links.extra_delay_ms", faults.links.extra_delay_ms);
    }

    pub(super) fn node_ids(
        &mut self,
        path: &str,
        ids: &[u64],
        validators: Option<u64>,
        seen: &mut Vec<u64>,
    ) {
        for (k, &id) in ids.iter().enumerate() {
            let p = format!("{path}[{k}]");
            if let Some(n) = validators
                && id >= n
            {
                self.report(
                    &p,
                    id,
                    format!("must be a validator id >= 0 and < validators.count ({n})"),
                );
            } else if seen.contains(&id) {
                self.report(&p, id, "must be listed only once in this fault");
            } else {
                seen.push(id);
            }
        }
    }

    /// `adversary: { kind: eclipse, nodes, attackers, from_s, until_s }`: distinct ids, the
    /// attackers not among the eclipsed, someone left outside, and a window of positive length.
    pub(super) fn eclipse(
        &mut self,
        nodes: &[u64],
        attackers: &[u64],
        (from_s, until_s): (f64, f64),
        validators: Option<u64>,
    ) {
        if nodes.is_empty() {
            self.report(
                "adversary.nodes",
                "[]",
                "must list at least one validator id to eclipse",
            );
        }
        let mut seen = Vec::new();
        self.node_ids("adversary.nodes", nodes, validators, &mut seen);
        let mut attacking: Vec<u64> = Vec::new();
        for (k, &id) in attackers.iter().enumerate() {
            let p = format!("adversary.attackers[{k}]");
            if seen.contains(&id) {
                self.report(
                    &p,
                    id,
                    "must not be an eclipsed node (listed in adversary.nodes)",
                );
            } else if attacking.contains(&id) {
                self.report(&p, id, "must be listed only once");
            } else if let Some(n) = validators
                && id >= n
            {
                self.report(
                    &p,
                    id,
                    format!("must be a validator id >= 0 and < validators.count ({n})"),
                );
            } else {
                attacking.push(id);
            }
        }
        if let Some(n) = validators
            && (seen.len() + attacking.len()) as u64 >= n
        {
            self.report(
                "adversary.nodes",
                format!("{} ids with {} attackers", seen.len(), attacking.len()),
                format!(
                    "must leave at least one validator outside the eclipse (< validators.count, \
                     {n}, with the attackers)"
                ),
            );
        }
        let from_ok = self.time("adversary.from_s", from_s, NonNeg);
        if self.time("adversary.until_s", until_s, NonNeg) && from_ok && until_s <= from_s {
            self.report(
                "adversary.until_s",
                Num(until_s),
                format!("must be > from_s ({})", Num(from_s)),
            );
        }
    }

    fn crash(&mut self, p: &str, crash: &Crash, validators: Option<u64>) {
        match (&crash.nodes, crash.random) {
            (Some(_), Some(_)) | (None, None) => self.report(
                p,
                "{ ... }",
                "must give exactly one of `nodes` (a list of validator ids) or `random` (a count)",
            ),
            (Some(nodes), None) => {
                if nodes.is_empty() {
                    self.report(&format!("{p}.nodes"), "[]", "must list at least one id");
                }
                self.node_ids(&format!("{p}.nodes"), nodes, validators, &mut Vec::new());
            }
            (None, Some(count)) => {
                let max = validators.unwrap_or(u64::MAX);
                if !(1..=max).contains(&count) {
                    let allowed = match validators {
                        Some(n) => format!("must be >= 1 and <= validators.count ({n})"),
                        None => "must be >= 1".to_string(),
                    };
                    self.report(&format!("{p}.random"), count, allowed);
                }
            }
        }
        let at_ok = self.time(&format!("{p}.at_s"), crash.at_s, NonNeg);
        if let Some(recover) = crash.recover_s {
            let path = format!("{p}.recover_s");
            if self.time(&path, recover, NonNeg) && at_ok && recover <= crash.at_s {
                self.report(
                    &path,
                    Num(recover),
                    format!("must be > at_s ({})", Num(crash.at_s)),
                );
            }
        }
    }

    fn partition(&mut self, p: &str, partition: &Partition, validators: Option<u64>) {
        match (&partition.groups, partition.split) {
            (Some(_), Some(_)) | (None, None) => self.report(
                p,
                "{ ... }",
                "must give exactly one of `groups` (lists of validator ids) or `split` (a fraction)",
            ),
            (Some(groups), None) => {
                let mut seen = Vec::new();
                for (g, ids) in groups.iter().enumerate() {
                    self.node_ids(&format!("{p}.groups[{g}]"), ids, validators, &mut seen);
                }
                if seen.is_empty() {
                    self.report(
                        &format!("{p}.groups"),
                        "[]",
                        "must list at least one validator id",
                    );
                }
            }
            (None, Some(split)) => {
                let path = format!("{p}.split");
                if self.finite(&path, split) && !(split > 0.0 && split < 1.0) {
                    self.report(&path, Num(split), "must be > 0 and < 1 (strictly between)");
                }
            }
        }
        let from_ok = self.time(&format!("{p}.from_s"), partition.from_s, NonNeg);
        let path = format!("{p}.to_s");
        if self.time(&path, partition.to_s, NonNeg) && from_ok && partition.to_s <= partition.from_s
        {
            self.report(
                &path,
                Num(partition.to_s),
                format!("must be > from_s ({})", Num(partition.from_s)),
            );
        }
    }
}
