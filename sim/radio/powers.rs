//! Received power of each link, in three bytes where its `f32` allows.

/// The `f32` power of each link, exactly: a power in [−256, −64) dBm is negative with one of
/// two exponents, so its sign and exponent take one bit beside the 23 of the mantissa, and it
/// is kept in three bytes; any other (a device within about 70 m of a gateway, or a positive
/// power) in a side list. Links are most of a LoRaWAN device's memory (about 19 a device in
/// the fleet benchmark, nearly all of them weaker than −64 dBm), and every interference sum
/// reads these powers, so they keep every bit.
#[derive(Clone, Debug, Default)]
pub struct Powers {
    codes: Vec<[u8; 3]>,
    /// Links whose power has no code, by ascending link index, with that power.
    other: Vec<(u32, f32)>,
}

/// The exponent field of powers in [−128, −64) dBm; [−256, −128) is the next.
const LOW_EXPONENT: u32 = 133;
const MANTISSA: u32 = (1 << 23) - 1;
/// The code of −255.99998 dBm, which marks a link kept in the side list instead.
const ELSEWHERE: u32 = (1 << 24) - 1;

fn encode(x: f32) -> Option<u32> {
    let bits = x.to_bits();
    let exponent = (bits >> 23) & 0xff;
    let code = (exponent.wrapping_sub(LOW_EXPONENT) << 23) | (bits & MANTISSA);
    (bits >> 31 == 1 && (exponent == LOW_EXPONENT || exponent == LOW_EXPONENT + 1))
        .then_some(code)
        .filter(|&c| c != ELSEWHERE)
}

impl Powers {
    pub fn with_capacity(links: usize) -> Self {
        Powers {
            codes: Vec::with_capacity(links),
            other: Vec::new(),
        }
    }

    pub fn push(&mut self, x: f32) {
        let k = u32::try_from(self.codes.len()).expect("link offsets are u32");
        let code = encode(x).unwrap_or_else(|| {
            self.other.push((k, x));
            ELSEWHERE
        });
        let [a, b, c, _] = code.to_le_bytes();
        self.codes.push([a, b, c]);
    }

    pub fn extend(&mut self, xs: impl IntoIterator<Item = f32>) {
        xs.into_iter().for_each(|x| self.push(x));
    }

    /// Appends `more`'s links after these, as [`Powers::push`] of each would.
    pub fn append(&mut self, more: Powers) {
        let base = u32::try_from(self.codes.len()).expect("link offsets are u32");
        self.codes.extend_from_slice(&more.codes);
        self.other
            .extend(more.other.iter().map(|&(k, x)| (base + k, x)));
    }

    /// Gives back the room that pushes left unused.
    pub fn shrink_to_fit(&mut self) {
        self.codes.shrink_to_fit();
        self.other.shrink_to_fit();
    }

    /// The received power of link `k`, dBm.
    pub fn get(&self, k: usize) -> f32 {
        let code = self.code(k);
        if code == ELSEWHERE {
            let i = self
                .other
                .binary_search_by_key(&(k as u32), |o| o.0)
                .expect("a link without a code is in the side list");
            return self.other[i].1;
        }
        f32::from_bits((1 << 31) | ((LOW_EXPONENT + (code >> 23)) << 23) | (code & MANTISSA))
    }

    fn code(&self, k: usize) -> u32 {
        let [a, b, c] = self.codes[k];
        u32::from_le_bytes([a, b, c, 0])
    }

    /// Link `k`'s stored code, 0 past the end: reading it brings the power's bytes into the
    /// cache.
    pub fn touch(&self, k: usize) -> u32 {
        self.codes
            .get(k)
            .map_or(0, |&[a, b, c]| u32::from_le_bytes([a, b, c, 0]))
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_power_comes_back_bit_for_bit_and_most_take_three_bytes() {
        let mut xs: Vec<f32> = vec![
            -64.0,
            -64.000_01,
            -63.999_996,
            -128.0,
            -127.999_99,
            -256.0,
            -255.999_98,
            -255.999_97,
            0.0,
            -0.0,
            3.5,
            -1e-30,
            -1e30,
            f32::NEG_INFINITY,
        ];
        // A spread of ordinary link powers, every mantissa pattern's low bits included.
        xs.extend((0..5000).map(|i| -150.0 + i as f32 * 0.017_3));
        let mut p = Powers::with_capacity(xs.len());
        p.extend(xs.iter().copied());
        for (k, x) in xs.iter().enumerate() {
            assert_eq!(p.get(k).to_bits(), x.to_bits(), "link {k}: {x}");
        }
        assert_eq!(p.len(), xs.len());
        // Outside [−256, −64): −63.999996, −256, the marker's own value, 0, −0, 3.5, −1e−30,
        // −1e30, −∞, and the spread's powers above −64 dBm.
        let above = xs[14..].iter().filter(|&&x| x > -64.0).count();
        assert_eq!(p.other.len(), 9 + above, "{:?}", p.other);
        assert!(above < 500);
        assert_eq!(std::mem::size_of_val(&p.codes[0]), 3);
    }
}
