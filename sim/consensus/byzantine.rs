//! Byzantine validators of the BFT protocols (`adversary: { kind: byzantine, … }`): which
//! replicas misbehave and how, consulted by the protocols at send time, and the count of
//! conflicting decisions among the honest ones.

use crate::metrics::Value;
use crate::scenario::{Adversary, Behaviour};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Byzantine {
    /// Per replica id: its behaviour, or `None` when honest.
    of: Vec<Option<Behaviour>>,
}

impl Byzantine {
    /// The Byzantine replicas `adversary` names among `n` (none for other adversaries).
    pub fn new(adversary: Option<&Adversary>, n: u32) -> Self {
        let mut of = vec![None; n as usize];
        if let Some(Adversary::Byzantine { nodes, behaviour }) = adversary {
            for &id in nodes {
                if let Some(slot) = of.get_mut(id as usize) {
                    *slot = Some(*behaviour);
                }
            }
        }
        Byzantine { of }
    }

    pub fn is_honest(&self, id: u32) -> bool {
        self.of.get(id as usize).is_none_or(|b| b.is_none())
    }

    pub fn count(&self) -> usize {
        self.of.iter().filter(|b| b.is_some()).count()
    }

    pub fn equivocates(&self, id: u32) -> bool {
        self.of.get(id as usize) == Some(&Some(Behaviour::Equivocate))
    }

    pub fn withholds(&self, id: u32) -> bool {
        self.of.get(id as usize) == Some(&Some(Behaviour::Withhold))
    }

    /// Which of an equivocating leader's two proposals replica `to` gets: the honest replicas
    /// in id order, the first half (rounded up) the first proposal, the rest the second.
    /// Byzantine replicas get both (`None`).
    pub fn half_of(&self, to: u32) -> Option<bool> {
        if !self.is_honest(to) {
            return None;
        }
        let honest = (0..self.of.len() as u32).filter(|&i| self.is_honest(i));
        let rank = honest.clone().take_while(|&i| i < to).count();
        Some(rank < honest.count().div_ceil(2))
    }

    /// The summary rows every family with Byzantine validators reports: how many there are,
    /// and the positions at which two honest replicas decided different values.
    pub fn rows<'a>(
        &self,
        logs: impl Iterator<Item = (u32, &'a BTreeMap<u64, u32>)>,
    ) -> [(String, Value); 2] {
        self.rows_of(self.conflicting_decisions(logs))
    }

    /// The same rows from the count of conflicting positions, where the family counted them
    /// as decisions were made.
    pub fn rows_of(&self, conflicting: u64) -> [(String, Value); 2] {
        [
            ("byzantine_validators".into(), self.count().into()),
            ("conflicting_decisions".into(), conflicting.into()),
        ]
    }

    /// Positions at which two honest replicas decided different values.
    pub fn conflicting_decisions<'a>(
        &self,
        logs: impl Iterator<Item = (u32, &'a BTreeMap<u64, u32>)>,
    ) -> u64 {
        let mut first: BTreeMap<u64, u32> = BTreeMap::new();
        let mut conflicting = std::collections::BTreeSet::new();
        for (id, log) in logs {
            if !self.is_honest(id) {
                continue;
            }
            for (&pos, &value) in log {
                if *first.entry(pos).or_insert(value) != value {
                    conflicting.insert(pos);
                }
            }
        }
        conflicting.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_split_the_honest_replicas() {
        let a = Adversary::Byzantine {
            nodes: vec![0, 3],
            behaviour: Behaviour::Equivocate,
        };
        let b = Byzantine::new(Some(&a), 7);
        let halves: Vec<_> = (0..7).map(|i| b.half_of(i)).collect();
        // Honest 1, 2, 4, 5, 6: the first three get the first proposal.
        assert_eq!(
            halves,
            [
                None,
                Some(true),
                Some(true),
                None,
                Some(true),
                Some(false),
                Some(false)
            ]
        );
        assert!(b.equivocates(3) && !b.withholds(3) && b.is_honest(6));
        let logs = [
            BTreeMap::from([(1, 5), (2, 6)]),
            BTreeMap::from([(1, 5), (2, 7)]),
            BTreeMap::from([(1, 9), (2, 8)]),
        ];
        // Replica 0 is Byzantine: only replicas 1 and 2 count, and they differ at 1 and 2.
        let c = b.conflicting_decisions(logs.iter().enumerate().map(|(i, l)| (i as u32, l)));
        assert_eq!(c, 2);
    }
}
