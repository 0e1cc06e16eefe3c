//! Who proposes each slot and who attests in it: proposers drawn by stake per slot, committees
//! from a per-epoch shuffle of all validators (each attests once per epoch), both from their
//! own random streams so neither depends on the order nodes run in.

use crate::engine::{Purpose, draw_unit, stream};
use crate::scenario::HashPower;
use rand::RngExt;

/// Stake units per validator (shares scaled to integers so supermajority checks are exact);
/// the share models are those of proof-of-work hash power.
pub fn stakes(model: &HashPower, validators: u32, seed: u64) -> Vec<u64> {
    crate::consensus::nakamoto::hash_power::shares(model, validators, validators, seed)
        .iter()
        .map(|s| (s * 1e12).round() as u64)
        .collect()
}

/// Validators taken offline, from the highest id down, while their stake stays within
/// `share` of the total.
pub fn offline(stakes: &[u64], share: f64) -> Vec<bool> {
    let total: u64 = stakes.iter().sum();
    let budget = (share * total as f64).floor() as u64;
    let mut used = 0u64;
    let mut off = vec![false; stakes.len()];
    for v in (0..stakes.len()).rev() {
        if used + stakes[v] > budget {
            break;
        }
        used += stakes[v];
        off[v] = true;
    }
    off
}

/// The proposer of `slot`, drawn with probability proportional to stake.
pub fn proposer(seed: u64, slot: u64, stakes: &[u64], total: u64) -> u32 {
    let target = (draw_unit(seed, slot, Purpose::Proposer, 0) * total as f64) as u64;
    let mut acc = 0u64;
    for (v, &s) in stakes.iter().enumerate() {
        acc += s;
        if target < acc {
            return v as u32;
        }
    }
    stakes.len() as u32 - 1
}

/// Slot within `epoch` (0-based) in which each validator attests: a seeded Fisher–Yates
/// shuffle cut into `slots` committees of equal size (±1).
pub fn committees(seed: u64, epoch: u64, validators: u32, slots: u32) -> Vec<u32> {
    let mut order: Vec<u32> = (0..validators).collect();
    let mut rng = stream(seed, epoch, Purpose::Committee);
    for i in (1..order.len()).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let mut slot_of = vec![0u32; validators as usize];
    for (pos, &v) in order.iter().enumerate() {
        slot_of[v as usize] = (pos as u64 * slots as u64 / validators as u64) as u32;
    }
    slot_of
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposers_follow_stake() {
        let stakes = stakes(
            &HashPower::Shares {
                shares: vec![3.0, 1.0],
            },
            2,
            1,
        );
        let total = stakes.iter().sum();
        let first = (0..20_000)
            .filter(|&s| proposer(7, s, &stakes, total) == 0)
            .count();
        assert!((first as f64 / 20_000.0 - 0.75).abs() < 0.015, "{first}");
    }

    #[test]
    fn committees_cover_every_validator_once_in_equal_parts() {
        let slot_of = committees(3, 5, 100, 32);
        let mut sizes = [0u32; 32];
        for &s in &slot_of {
            sizes[s as usize] += 1;
        }
        assert!(sizes.iter().all(|&n| n == 3 || n == 4), "{sizes:?}");
        assert_ne!(slot_of, committees(3, 6, 100, 32));
    }

    #[test]
    fn offline_stake_never_exceeds_its_share() {
        let s = stakes(&HashPower::Equal, 10, 1);
        assert_eq!(offline(&s, 0.4).iter().filter(|&&o| o).count(), 4);
        assert_eq!(offline(&s, 0.39).iter().filter(|&&o| o).count(), 3);
        assert!(offline(&s, 0.0).iter().all(|&o| !o));
    }
}
