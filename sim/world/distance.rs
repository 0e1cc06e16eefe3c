//! Delivery by distance to the nearest gateway: each LoRaWAN device falls in one of at most
//! `BINS` equal distance bins, fixed when the links are built; every frame a device sends, and
//! every one delivered, is counted in its group's bin. One byte per device and two counters
//! per bin, never a list per device.

use crate::metrics::RadioDistanceRow;

/// Bins per radio group.
pub const BINS: usize = 20;

/// The bins of one run: their width, each device's bin, and the devices in each.
pub struct DistanceBins {
    pub width_m: f64,
    /// Each device's bin (0 for devices without a radio, which never send a frame).
    bin: Vec<u8>,
    /// Devices per `group · BINS + bin`.
    devices: Vec<u64>,
}

/// The smallest of 1, 2, 2.5 and 5 times a power of ten at or above `x` (> 0), so that bin
/// edges read as round numbers.
fn round_up(x: f64) -> f64 {
    let decade = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&w| w >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * decade)
}

impl DistanceBins {
    /// Bins over `[0, farthest]`, where `farthest` is the largest distance in `nearest_m`
    /// among devices `group_of` places in a group (distances that are not finite, of devices
    /// in no gateway's world, go to the last bin).
    pub fn new(nearest_m: &[f32], groups: usize, group_of: impl Fn(u32) -> Option<usize>) -> Self {
        let farthest = (0..nearest_m.len())
            .filter(|&d| group_of(d as u32).is_some())
            .map(|d| nearest_m[d] as f64)
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max);
        let width_m = if farthest > 0.0 {
            round_up(farthest / BINS as f64)
        } else {
            1.0
        };
        let mut devices = vec![0; groups * BINS];
        let bin = nearest_m
            .iter()
            .enumerate()
            .map(|(d, &m)| {
                let Some(g) = group_of(d as u32) else {
                    return 0;
                };
                let b = ((m as f64 / width_m) as usize).min(BINS - 1);
                devices[g * BINS + b] += 1;
                b as u8
            })
            .collect();
        DistanceBins {
            width_m,
            bin,
            devices,
        }
    }

    /// The counter index of device `d` of group `g`.
    pub fn index(&self, g: usize, d: u32) -> usize {
        g * BINS + self.bin[d as usize] as usize
    }

    pub fn counters(&self) -> Vec<[u64; 2]> {
        vec![[0; 2]; self.devices.len()]
    }

    /// One row per bin that holds a device, per group named by `name`, from `counts`
    /// (frames, delivered) indexed like [`DistanceBins::index`].
    pub fn rows(
        &self,
        counts: &[[u64; 2]],
        name: impl Fn(usize) -> String,
    ) -> Vec<RadioDistanceRow> {
        let mut rows = Vec::new();
        for (k, &devices) in self.devices.iter().enumerate() {
            if devices == 0 {
                continue;
            }
            let (g, b) = (k / BINS, k % BINS);
            let [frames, delivered] = counts[k];
            rows.push(RadioDistanceRow {
                group: name(g),
                nearest_gateway_from_m: b as f64 * self.width_m,
                nearest_gateway_to_m: (b + 1) as f64 * self.width_m,
                devices,
                frames,
                delivered,
                delivery_ratio: if frames == 0 {
                    f64::NAN
                } else {
                    delivered as f64 / frames as f64
                },
            });
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_round_and_cover_the_farthest_device() {
        assert_eq!(round_up(0.7), 1.0);
        assert_eq!(round_up(1.0), 1.0);
        assert_eq!(round_up(23.0), 25.0);
        assert_eq!(round_up(260.0), 500.0);
        assert_eq!(round_up(501.0), 1000.0);
        // 3,000 devices, every tenth without a radio, at 0 … 2,999 m: 150 m a bin would do,
        // rounded up to 200 m, so 15 bins of 180 radio devices each.
        let nearest: Vec<f32> = (0..3000).map(|d| d as f32).collect();
        let b = DistanceBins::new(&nearest, 1, |d| (d % 10 != 0).then_some(0));
        assert_eq!(b.width_m, 200.0);
        let rows = b.rows(&b.counters(), |_| "g".into());
        assert_eq!(rows.len(), 15);
        assert_eq!(rows.iter().map(|r| r.devices).sum::<u64>(), 2700);
        assert!(rows.iter().all(|r| r.devices == 180));
        assert_eq!(rows[14].nearest_gateway_to_m, 3000.0);
        // A device beyond every bin (no gateway at all) lands in the last.
        let far = DistanceBins::new(&[10.0, f32::INFINITY], 1, |_| Some(0));
        assert_eq!(far.index(0, 1), BINS - 1);
    }
}
