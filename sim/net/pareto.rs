//! The Pareto latency of a jitter draw in nanoseconds by tables, where `powf` took a ninth of
//! SimBlock's Bitcoin run (about 33 ns a call; the table form takes a few).
//!
//! With `u = 2^−k · m`, `m` in [1, 2), split `m = m₀ · (1 + r)` where `m₀` keeps the top 8
//! bits of `m`'s fraction; then `scale · 10⁶ / u^e = A[k] · B[m₀] · (1 + r)^−e`, the last
//! factor a Taylor polynomial of degree 5 (the series alternates, so what it leaves out is at
//! most its next term, under `0.65 · r⁶ < 2.3 · 10⁻¹⁵` for every mean of 6 ms and more: `r <
//! 2^−8`, `e ≤ 5/6`). Its relative error is so bounded plus a few units in the last place, as is
//! that of `powf` and the divisions behind
//! [`millis`](super::millis); the result is whole nanoseconds, so wherever the value lies
//! farther than [`MARGIN`] (relative) from a half nanosecond both round to the same integer,
//! and nearer (about one draw in 10⁵) the `powf` form is computed instead. The times are
//! therefore those of the `powf` form, exactly.

use super::jitter::pareto_around;
use super::millis;
use crate::engine::Time;

/// Bits of `m`'s fraction that index `B`.
const FRACTION_BITS: u32 = 8;
/// Exponents `k` covered; smaller uniforms (and any value above [`LARGEST`]) use `powf`.
const EXPONENTS: usize = 64;
/// Relative distance from a half nanosecond below which `powf` decides: over thirty times the
/// error bound of either form (3 · 10⁻¹⁵ at most, that of the tables).
const MARGIN: f64 = 1e-13;
/// Values from here on (about 18 minutes) use `powf`: whole nanoseconds stay far from the
/// 53 bits of a double's significand.
const LARGEST: f64 = (1u64 << 40) as f64;
/// Means at most this many distinct ones get tables (about 2.6 kB each); a region table with
/// more uses `powf` for the rest.
const TABLES: usize = 64;

/// The tables of one mean latency.
struct Table {
    mean_ms: f64,
    /// `scale · 10⁶ / (2^−k)^e`, ns.
    by_exponent: [f64; EXPONENTS],
    /// `1 / m₀^e`.
    by_fraction: [f64; 1 << FRACTION_BITS],
    /// Taylor coefficients of `(1 + r)^−e`, of `r¹ … r⁵`.
    taylor: [f64; 5],
}

impl Table {
    fn new(mean_ms: f64) -> Self {
        // The exponent exactly as `pareto_around` computes it.
        let shape = 0.2 * mean_ms;
        let e = 1.0 / shape;
        let scale_ns = (mean_ms - 5.0) * 1e6;
        let mut taylor = [0.0; 5];
        let mut c = 1.0;
        for (j, t) in taylor.iter_mut().enumerate() {
            // binom(−e, j + 1) from binom(−e, j).
            c *= (-e - j as f64) / (j as f64 + 1.0);
            *t = c;
        }
        Table {
            mean_ms,
            by_exponent: std::array::from_fn(|k| scale_ns / (0.5f64).powi(k as i32).powf(e)),
            by_fraction: std::array::from_fn(|i| 1.0 / fraction_base(i).powf(e)),
            taylor,
        }
    }

    /// The value in ns, or `None` where it is too near a half nanosecond to round by it.
    #[inline]
    fn ns(&self, u: f64) -> Option<Time> {
        let bits = u.to_bits();
        let k = 1023u64.wrapping_sub(bits >> 52) as usize;
        if k >= EXPONENTS {
            return None;
        }
        let i = ((bits >> (52 - FRACTION_BITS)) & ((1 << FRACTION_BITS) - 1)) as usize;
        const ONE: u64 = 1023 << 52;
        let m = f64::from_bits((bits & ((1 << 52) - 1)) | ONE);
        let m0 = f64::from_bits((bits & ((1 << 52) - (1 << (52 - FRACTION_BITS)))) | ONE);
        let r = (m - m0) * INVERSE[i];
        // In pairs (Estrin's scheme): half the chain of dependent multiply-adds of Horner's.
        let t = &self.taylor;
        let r2 = r * r;
        let low = r * (t[0] + t[1] * r);
        let high = r * r2 * (t[2] + t[3] * r + r2 * t[4]);
        let scale = self.by_exponent[k] * self.by_fraction[i];
        let y = scale * (1.0 + (low + high));
        if y >= LARGEST {
            return None;
        }
        // Below 2^40 a signed conversion is exact, and one instruction each way.
        let whole = y as i64;
        let fraction = y - whole as f64;
        if (fraction - 0.5).abs() <= y * MARGIN {
            return None;
        }
        Some(whole as Time + u64::from(fraction > 0.5))
    }
}

/// `m₀` of index `i`: 1 + i / 256, exact.
fn fraction_base(i: usize) -> f64 {
    1.0 + i as f64 / (1u64 << FRACTION_BITS) as f64
}

/// `1 / m₀` of each index (rounded; `r` needs no more).
static INVERSE: [f64; 1 << FRACTION_BITS] = {
    let mut a = [0.0; 1 << FRACTION_BITS];
    let mut i = 0;
    while i < a.len() {
        a[i] = 1.0 / (1.0 + i as f64 / (1u64 << FRACTION_BITS) as f64);
        i += 1;
    }
    a
};

/// Tables for each distinct mean latency of a region table.
pub struct Pareto {
    tables: Vec<Table>,
    /// Index into `tables` of each pair of regions, `from · regions + to`; `NO_TABLE` where
    /// the mean has none or no jitter (below 6 ms the draw is the mean).
    by_pair: Vec<u8>,
}

const NO_TABLE: u8 = u8::MAX;

impl Pareto {
    /// Tables for the pairs' means, `from · regions + to` as in `latency_ms` flattened.
    pub fn new(means: impl Iterator<Item = f64>) -> Self {
        let mut tables: Vec<Table> = Vec::new();
        let by_pair = means
            .map(|mean| {
                if 0.2 * mean <= 1.0 + 1e-9 {
                    return NO_TABLE;
                }
                if let Some(i) = tables
                    .iter()
                    .position(|t| t.mean_ms.to_bits() == mean.to_bits())
                {
                    return i as u8;
                }
                if tables.len() == TABLES {
                    return NO_TABLE;
                }
                tables.push(Table::new(mean));
                (tables.len() - 1) as u8
            })
            .collect();
        Pareto { tables, by_pair }
    }

    /// `millis(pareto_around(mean_ms, u))` of pair `pair`, whose mean is `mean_ms`.
    #[inline]
    pub fn latency(&self, pair: usize, mean_ms: f64, u: f64) -> Time {
        let t = self.by_pair[pair];
        if t != NO_TABLE
            && let Some(ns) = self.tables[t as usize].ns(u)
        {
            return ns;
        }
        millis(pareto_around(mean_ms, u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Purpose, draw_unit};
    use crate::net::regions;

    fn means() -> Vec<f64> {
        let mut m: Vec<f64> = [regions::simblock_2019(), regions::simblock_2015()]
            .iter()
            .flat_map(|t| t.latency_ms.iter().flatten().copied().collect::<Vec<_>>())
            .collect();
        m.extend([5.0, 6.0, 6.5, 7.3, 1000.0, 2500.0]);
        m
    }

    /// Every draw equals the `powf` form's, at the uniforms the runs draw and at the edges:
    /// the least and greatest uniforms, powers of two, and their neighbours.
    #[test]
    fn tables_give_the_powf_form_exactly() {
        let means = means();
        let p = Pareto::new(means.iter().copied());
        let mut edges = vec![crate::engine::UNIT_MIN, 1.0, 1.0 - f64::EPSILON / 2.0];
        for k in 1..60 {
            let x = 0.5f64.powi(k);
            edges.extend([
                x,
                f64::from_bits(x.to_bits() + 1),
                f64::from_bits(x.to_bits() - 1),
            ]);
            edges.push(x * (1.0 + 255.0 / 256.0));
        }
        let (mut checked, mut by_table) = (0u64, 0u64);
        for (pair, &mean) in means.iter().enumerate() {
            let draws = (0..200_000).map(|i| draw_unit(7, pair as u64, Purpose::Jitter, i));
            for u in draws.chain(edges.iter().copied()) {
                let want = millis(pareto_around(mean, u));
                assert_eq!(p.latency(pair, mean, u), want, "mean {mean}, u {u:e}");
                checked += 1;
                let t = p.by_pair[pair];
                by_table += u64::from(t != NO_TABLE && p.tables[t as usize].ns(u).is_some());
            }
        }
        // The tables answer nearly every draw; the rest fall back (tiny uniforms, short links).
        assert!(by_table * 10 > checked * 9, "{by_table} of {checked}");
    }

    #[test]
    fn means_share_tables_and_short_links_have_none() {
        let p = Pareto::new([124.0, 3.0, 124.0, 11.0].into_iter());
        assert_eq!(p.tables.len(), 2);
        assert_eq!(p.by_pair, [0, NO_TABLE, 0, 1]);
        let many = Pareto::new((0..100).map(|i| 10.0 + f64::from(i)));
        assert_eq!(many.tables.len(), TABLES);
        assert_eq!(many.by_pair[TABLES], NO_TABLE);
        assert_eq!(
            many.latency(99, 109.0, 0.3),
            millis(pareto_around(109.0, 0.3))
        );
    }
}
