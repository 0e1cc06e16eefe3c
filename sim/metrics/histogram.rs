//! A log-linear histogram of nanosecond durations: 256 sub-buckets per power of two, so a
//! bucket spans at most 0.39 % of its values. The 14,592 buckets (117 KiB) are held in chunks
//! of 64 allocated when a value first falls in one: a fleet shard's histogram of upload waits
//! touches a few powers of two, and every run keeps one per shard (up to 64). A quantile is
//! placed inside its bucket by rank, as if the bucket's values were spread evenly over it:
//! it stays within the bucket (error below 0.39 % of the value) and, unlike a bucket's
//! midpoint, moves with every sample, so two runs whose values fall in the same buckets in
//! different numbers do not report the same quantile.

use crate::engine::Time;

const SUB_BITS: u32 = 8;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;
const CHUNK: usize = 64;
const CHUNKS: usize = BUCKETS / CHUNK;

type Chunk = Box<[u64; CHUNK]>;

#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Counts by chunk of `CHUNK` buckets; a chunk is allocated with its first value (so
    /// every allocated chunk holds at least one), and the table with the first value at all.
    chunks: Vec<Option<Chunk>>,
    total: u64,
    sum: u128,
    min: Time,
    max: Time,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket_of(v: Time) -> usize {
    if v < SUB {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = exp - SUB_BITS;
    let mantissa = (v >> shift) - SUB; // 0..SUB
    ((shift as u64 + 1) * SUB + mantissa) as usize
}

/// Lowest and highest value that fall in bucket `b`.
fn bounds_of(b: usize) -> (Time, Time) {
    let b = b as u64;
    if b < SUB {
        return (b, b);
    }
    let shift = b / SUB - 1;
    let mantissa = b % SUB;
    let lo = (SUB + mantissa) << shift;
    (lo, lo + ((1u64 << shift) - 1))
}

/// The nearest rank of the `q`-quantile among `n` values (1-based; `n` itself for `q = 1`).
pub fn rank_of(q: f64, n: u64) -> u64 {
    ((q * n as f64).ceil() as u64).clamp(1, n.max(1))
}

impl Histogram {
    pub fn new() -> Self {
        Histogram {
            chunks: Vec::new(),
            total: 0,
            sum: 0,
            min: Time::MAX,
            max: 0,
        }
    }

    fn chunk(&mut self, c: usize) -> &mut [u64; CHUNK] {
        if self.chunks.is_empty() {
            self.chunks.resize_with(CHUNKS, || None);
        }
        self.chunks[c].get_or_insert_with(|| Box::new([0; CHUNK]))
    }

    /// `(bucket, count)` of every bucket holding a value, in increasing order.
    fn filled(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.chunks.iter().enumerate().flat_map(|(c, chunk)| {
            chunk.iter().flat_map(move |counts| {
                counts
                    .iter()
                    .enumerate()
                    .filter(|&(_, &n)| n > 0)
                    .map(move |(i, &n)| (c * CHUNK + i, n))
            })
        })
    }

    pub fn record(&mut self, v: Time) {
        let b = bucket_of(v);
        self.chunk(b / CHUNK)[b % CHUNK] += 1;
        self.total += 1;
        self.sum += v as u128;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Adds every value recorded in `other`, as if recorded here.
    pub fn absorb(&mut self, other: &Histogram) {
        if other.total == 0 {
            return;
        }
        for (c, theirs) in other.chunks.iter().enumerate() {
            if let Some(theirs) = theirs {
                let mine = self.chunk(c);
                for (a, b) in mine.iter_mut().zip(theirs.iter()) {
                    *a += b;
                }
            }
        }
        self.total += other.total;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn mean(&self) -> Option<f64> {
        (self.total > 0).then(|| self.sum as f64 / self.total as f64)
    }

    pub fn max(&self) -> Option<Time> {
        (self.total > 0).then_some(self.max)
    }

    /// The `q`-quantile (nearest rank), placed within its bucket by rank and clamped to the
    /// observed range.
    pub fn quantile(&self, q: f64) -> Option<Time> {
        if self.total == 0 {
            return None;
        }
        self.at_rank(rank_of(q, self.total))
    }

    /// The `rank`-th smallest value (1-based), or `None` beyond the values recorded.
    pub fn at_rank(&self, rank: u64) -> Option<Time> {
        if rank == 0 || rank > self.total {
            return None;
        }
        let mut seen = 0;
        for (b, c) in self.filled() {
            if seen + c >= rank {
                let (lo, hi) = bounds_of(b);
                // The k-th of the bucket's c values sits at (k − ½)/c of its width.
                let width = (hi - lo) as f64 + 1.0;
                let k = (rank - seen) as f64 - 0.5;
                let v = lo.saturating_add((width * k / c as f64) as Time);
                return Some(v.clamp(self.min, self.max));
            }
            seen += c;
        }
        unreachable!("rank never exceeds total")
    }

    /// Counts per bin of `edges` (increasing): `[0, e0)`, `[e0, e1)`, …, `[e_last, ∞)`, so
    /// `edges.len() + 1` of them. A bucket goes to the bin holding its lowest value, so a
    /// value lands at most one bucket width (0.39 %) from its own bin.
    pub fn binned(&self, edges: &[Time]) -> Vec<u64> {
        let mut out = vec![0; edges.len() + 1];
        for (b, c) in self.filled() {
            let (lo, _) = bounds_of(b);
            out[edges.partition_point(|&e| e <= lo)] += c;
        }
        out
    }

    /// `(value, cumulative fraction)` points of the empirical CDF, one per non-empty bucket.
    pub fn cdf(&self) -> Vec<(Time, f64)> {
        self.cdf_of(self.total)
    }

    /// The CDF as a share of `population` (at least the values recorded): values never
    /// recorded, such as transactions that never settled, keep it below one.
    pub fn cdf_of(&self, population: u64) -> Vec<(Time, f64)> {
        let population = population.max(self.total);
        let mut out = Vec::new();
        let mut seen = 0u64;
        for (b, c) in self.filled() {
            seen += c;
            let (_, hi) = bounds_of(b);
            out.push((hi.min(self.max), seen as f64 / population as f64));
        }
        out
    }
}

/// The nearest-rank `q`-quantile of `sorted` (ascending, not empty): exact on the samples,
/// for the distributions kept whole (battery lives) rather than binned.
pub fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut prev = 0;
        for v in (0..5000u64).chain([1 << 40, u64::MAX / 3, u64::MAX]) {
            let b = bucket_of(v);
            assert!(b >= prev || v > 4999);
            let (lo, hi) = bounds_of(b);
            assert!(lo <= v && v <= hi, "{v} not in bucket {b} = [{lo}, {hi}]");
            prev = b;
        }
        assert!(bucket_of(u64::MAX) < BUCKETS);
        assert_eq!(BUCKETS % CHUNK, 0);
    }

    #[test]
    fn quantiles_are_within_relative_precision() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1000);
        }
        for q in [0.01, 0.5, 0.9, 0.99] {
            let exact = (q * 100_000.0) * 1000.0;
            let got = h.quantile(q).unwrap() as f64;
            assert!(
                (got - exact).abs() / exact < 0.0039,
                "q{q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.mean().unwrap(), 50_000.5 * 1000.0);
        assert_eq!(h.cdf().last().unwrap().1, 1.0);
        assert_eq!(Histogram::new().quantile(0.5), None);
    }

    #[test]
    fn chunks_are_allocated_where_values_fall_and_absorbing_adds_them() {
        let (mut whole, mut odd, mut even) = (Histogram::new(), Histogram::new(), Histogram::new());
        // [2^30, 2^31) ns, about 1.1 to 2.1 s: one power of two, four chunks.
        for k in 0..4096u64 {
            let v = (1 << 30) + (k << 18);
            whole.record(v);
            if k % 2 == 1 {
                odd.record(v)
            } else {
                even.record(v)
            }
        }
        let allocated = |h: &Histogram| h.chunks.iter().flatten().count();
        assert_eq!(allocated(&whole), SUB as usize / CHUNK);
        assert!(allocated(&odd) <= SUB as usize / CHUNK);
        odd.absorb(&even);
        assert_eq!(odd, whole);
        assert_eq!(odd.at_rank(2048), whole.at_rank(2048));
        assert_eq!(Histogram::new().cdf(), vec![]);
    }

    #[test]
    fn bins_count_every_value_once_on_the_right_side_of_each_edge() {
        let mut h = Histogram::new();
        for v in [0, 5, 99, 100, 150, 1_000, 1 << 40] {
            h.record(v);
        }
        assert_eq!(h.binned(&[100, 1_000]), vec![3, 2, 2]);
        assert_eq!(Histogram::new().binned(&[100]), vec![0, 0]);
    }

    #[test]
    fn quantiles_move_with_samples_inside_one_bucket() {
        // 1,000 values in [240.0, 240.4] s, one bucket 0.5 s wide; one more near its top
        // moves the median.
        let mut a = Histogram::new();
        for k in 0..1000u64 {
            a.record(240_000_000_000 + k * 400_000);
        }
        let mut b = a.clone();
        b.record(240_400_000_000);
        let (qa, qb) = (a.quantile(0.5).unwrap(), b.quantile(0.5).unwrap());
        assert_ne!(qa, qb);
        // Exact median 240.2 s; within one bucket width.
        assert!((qa as f64 - 240.2e9).abs() < 240.2e9 * 0.0039, "{qa}");
        assert_eq!(a.at_rank(1001), None);
        assert_eq!(a.at_rank(1).unwrap(), 240_000_000_000);
    }
}
