//! Attackers and the closed forms they are checked against.
//!
//! [`analytic`] holds the published formulas; [`montecarlo`] samples the same abstract
//! models (no network) so the sampling machinery itself is checked; the attackers that act
//! inside a simulated network hook into the consensus protocols they attack.

pub mod analytic;
pub mod double_spend;
pub mod montecarlo;
pub mod selfish;

use crate::scenario;

/// An attacker running inside a Nakamoto network.
#[derive(Clone, Debug)]
pub enum Attack {
    Selfish(selfish::Selfish),
    DoubleSpend(double_spend::DoubleSpend),
}

impl Attack {
    /// The attacker a Nakamoto network runs, if `a` is one.
    pub fn new(a: &scenario::Adversary) -> Option<Self> {
        Some(match *a {
            scenario::Adversary::SelfishMining { node, gamma, .. } => {
                Attack::Selfish(selfish::Selfish::new(node, gamma))
            }
            scenario::Adversary::DoubleSpend {
                node,
                confirmations,
                give_up_behind,
                ..
            } => Attack::DoubleSpend(double_spend::DoubleSpend::new(
                node,
                confirmations,
                give_up_behind,
            )),
            scenario::Adversary::Byzantine { .. } | scenario::Adversary::Eclipse { .. } => {
                return None;
            }
        })
    }

    pub fn node(&self) -> u32 {
        match self {
            Attack::Selfish(s) => s.node,
            Attack::DoubleSpend(d) => d.node,
        }
    }

    /// Where the attacker mines.
    pub fn tip(&self) -> u32 {
        match self {
            Attack::Selfish(s) => s.tip(),
            Attack::DoubleSpend(d) => d.tip(),
        }
    }
}

/// The attacker's hash share, the honest miners keeping their proportions of the rest.
pub fn reshare(shares: &mut [f64], node: u32, share: f64) {
    let others: f64 = shares
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != node as usize)
        .map(|(_, s)| s)
        .sum();
    for (i, s) in shares.iter_mut().enumerate() {
        if i == node as usize {
            *s = share;
        } else if others > 0.0 {
            *s *= (1.0 - share) / others;
        }
    }
}

pub fn hash_share(a: &scenario::Adversary) -> Option<(u32, f64)> {
    match *a {
        scenario::Adversary::SelfishMining {
            node, hash_share, ..
        }
        | scenario::Adversary::DoubleSpend {
            node, hash_share, ..
        } => Some((node, hash_share)),
        scenario::Adversary::Byzantine { .. } | scenario::Adversary::Eclipse { .. } => None,
    }
}
