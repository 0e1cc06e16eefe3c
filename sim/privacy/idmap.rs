//! Hash maps keyed by device ids and key epochs. SipHash, the standard library's default,
//! resists keys chosen to collide, which ids the simulator numbers itself never are; hashing
//! with it took about a tenth of the quickstart's time with two observers. One multiply per
//! word (the Fx hash of the Rust compiler) spreads sequential ids over the table's top bits.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Clone, Copy, Default)]
pub struct IdHasher(u64);

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
}

/// Iteration order is the table's: every reader sorts what it takes out.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
