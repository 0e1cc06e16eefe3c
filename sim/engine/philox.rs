//! Philox4x32-10 (Salmon, Moraes, Dror, Shaw, SC'11): a counter-based generator whose output
//! is a pure function of a 128-bit counter and a 64-bit key. About ten multiplications per
//! four 32-bit words, so drawing the `k`-th value of a stream out of order costs no more than
//! drawing it in order.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// The ten round keys of one key. Philox bumps its key by the Weyl constants each round; a
/// caller that draws many numbers under one seed (every jitter draw of a run) works them out
/// once, and each round then reads its key instead of computing it.
#[derive(Clone, Copy, Debug)]
pub struct RoundKeys([[u32; 2]; 10]);

impl RoundKeys {
    pub fn new(key: [u32; 2]) -> Self {
        let mut keys = [key; 10];
        for r in 1..10 {
            keys[r] = [
                keys[r - 1][0].wrapping_add(W0),
                keys[r - 1][1].wrapping_add(W1),
            ];
        }
        RoundKeys(keys)
    }
}

/// Ten rounds of Philox on `ctr` under `key`. Inlined, as its keyed form is: out of line,
/// its callers pay a call and the round keys' stores on every draw.
#[inline]
pub fn philox4x32(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    philox4x32_keyed(ctr, &RoundKeys::new(key))
}

/// [`philox4x32`] with its round keys worked out.
#[inline]
pub fn philox4x32_keyed(mut ctr: [u32; 4], keys: &RoundKeys) -> [u32; 4] {
    for key in &keys.0 {
        let (hi0, lo0) = mulhilo(M0, ctr[0]);
        let (hi1, lo1) = mulhilo(M1, ctr[2]);
        ctr = [hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0];
    }
    ctr
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known-answer vectors of the Random123 distribution (tests/kat_vectors, "philox4x32 10").
    #[test]
    fn random123_known_answers() {
        assert_eq!(
            philox4x32([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
        let keys = RoundKeys::new([0xa4093822, 0x299f31d0]);
        assert_eq!(
            philox4x32_keyed([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], &keys),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }
}
