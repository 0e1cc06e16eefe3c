//! Region tables shipped as the default network.
//!
//! Figures transcribed (as facts, with attribution) from SimBlock's `NetworkConfiguration`
//! (dsg-titech/simblock, Apache-2.0, © 2019 Distributed Systems Group): mean one-way latency
//! between six regions, per-region upload and download bandwidth, and the share of Bitcoin
//! nodes per region. Regions, in index order: North America, Europe, South America,
//! Asia-Pacific, Japan, Australia.

pub const REGION_NAMES: [&str; 6] = [
    "north_america",
    "europe",
    "south_america",
    "asia_pacific",
    "japan",
    "australia",
];

/// A set of regions with one-way latency (symmetric in the built-in tables) and per-region
/// bandwidth.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionTable {
    pub names: Vec<String>,
    /// Mean one-way latency, milliseconds, `latency_ms[from][to]`.
    pub latency_ms: Vec<Vec<f64>>,
    pub upload_bps: Vec<f64>,
    pub download_bps: Vec<f64>,
    /// Share of validators placed in each region (sums to one).
    pub node_share: Vec<f64>,
}

fn table(lat: [[f64; 6]; 6], up: [f64; 6], down: [f64; 6], share: [f64; 6]) -> RegionTable {
    RegionTable {
        names: REGION_NAMES.iter().map(|s| s.to_string()).collect(),
        latency_ms: lat.iter().map(|r| r.to_vec()).collect(),
        upload_bps: up.to_vec(),
        download_bps: down.to_vec(),
        node_share: share.to_vec(),
    }
}

/// SimBlock LATENCY_2019, UPLOAD/DOWNLOAD_2019 and Bitcoin 2019 node shares.
pub fn simblock_2019() -> RegionTable {
    table(
        [
            [32.0, 124.0, 184.0, 198.0, 151.0, 189.0],
            [124.0, 11.0, 227.0, 237.0, 252.0, 294.0],
            [184.0, 227.0, 88.0, 325.0, 301.0, 322.0],
            [198.0, 237.0, 325.0, 85.0, 58.0, 198.0],
            [151.0, 252.0, 301.0, 58.0, 12.0, 126.0],
            [189.0, 294.0, 322.0, 198.0, 126.0, 16.0],
        ],
        [19.2e6, 20.7e6, 5.8e6, 15.7e6, 10.2e6, 11.3e6],
        [52.0e6, 40.0e6, 18.0e6, 22.8e6, 22.8e6, 29.9e6],
        [0.3316, 0.4998, 0.0090, 0.1177, 0.0224, 0.0195],
    )
}

/// SimBlock LATENCY_2015, UPLOAD/DOWNLOAD_2015 and Bitcoin 2015 node shares.
pub fn simblock_2015() -> RegionTable {
    table(
        [
            [36.0, 119.0, 255.0, 310.0, 154.0, 208.0],
            [119.0, 12.0, 221.0, 242.0, 266.0, 350.0],
            [255.0, 221.0, 137.0, 347.0, 256.0, 269.0],
            [310.0, 242.0, 347.0, 99.0, 172.0, 278.0],
            [154.0, 266.0, 256.0, 172.0, 9.0, 163.0],
            [208.0, 350.0, 269.0, 278.0, 163.0, 22.0],
        ],
        [4.7e6, 8.1e6, 1.8e6, 5.3e6, 3.4e6, 5.2e6],
        [25.0e6, 24.0e6, 6.5e6, 10.0e6, 17.5e6, 14.0e6],
        [0.3869, 0.5159, 0.0113, 0.0574, 0.0119, 0.0166],
    )
}

/// One region where every pair is `one_way_ms` apart.
pub fn constant(one_way_ms: f64, bandwidth_bps: f64) -> RegionTable {
    RegionTable {
        names: vec!["uniform".into()],
        latency_ms: vec![vec![one_way_ms]],
        upload_bps: vec![bandwidth_bps],
        download_bps: vec![bandwidth_bps],
        node_share: vec![1.0],
    }
}

/// A table listed in the scenario (or read from a file into it), validated.
pub fn from_rows(rows: &[crate::scenario::RegionRow]) -> RegionTable {
    RegionTable {
        names: rows.iter().map(|r| r.name.clone()).collect(),
        latency_ms: rows.iter().map(|r| r.latency_ms.clone()).collect(),
        upload_bps: rows.iter().map(|r| r.upload_bps).collect(),
        download_bps: rows.iter().map(|r| r.download_bps).collect(),
        node_share: rows.iter().map(|r| r.share).collect(),
    }
}

/// Splits `n` items over regions by share with the largest-remainder method, so counts sum
/// to `n` exactly and do not depend on floating-point summation order.
pub fn apportion(n: u64, shares: &[f64]) -> Vec<u64> {
    let total: f64 = shares.iter().sum();
    let quotas: Vec<f64> = shares.iter().map(|s| s / total * n as f64).collect();
    let mut counts: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let mut left = n - counts.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    // Largest remainder first; ties go to the lower index so the result is fully determined.
    order.sort_by(|&a, &b| {
        let (ra, rb) = (quotas[a] - quotas[a].floor(), quotas[b] - quotas[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_symmetric_and_shares_sum_to_one() {
        for t in [simblock_2019(), simblock_2015()] {
            for i in 0..6 {
                for j in 0..6 {
                    assert_eq!(t.latency_ms[i][j], t.latency_ms[j][i]);
                }
            }
            assert!((t.node_share.iter().sum::<f64>() - 1.0).abs() < 1e-3);
        }
    }

    #[test]
    fn apportion_is_exact() {
        let s = simblock_2019().node_share;
        for n in [0, 1, 7, 200, 1000, 10_001] {
            let c = apportion(n, &s);
            assert_eq!(c.iter().sum::<u64>(), n);
            for (ci, si) in c.iter().zip(&s) {
                assert!((*ci as f64 - si * n as f64).abs() <= 1.0 + 1e-9);
            }
        }
    }
}
