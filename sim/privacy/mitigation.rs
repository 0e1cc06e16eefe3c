//! What devices and gateways do against observers; the cost shows in the run's own metrics
//! (the delay in `upload_wait` and settlement latency, padding in every byte count and, for
//! radio groups, in airtime and energy).

use crate::consensus::TxIn;
use crate::engine::{Purpose, Time, draw_u64, draw_unit, from_secs};
use crate::scenario::Delay;

/// The random wait of `device`'s upload at its wake `at`: a pure function of the seed, the
/// device and the wake, so it does not depend on what ran before.
pub fn delay(d: &Delay, seed: u64, device: u32, at: Time) -> Time {
    let u = draw_unit(seed, u64::from(device), Purpose::PrivacyDelay, at);
    match *d {
        Delay::Uniform { max_s } => from_secs(u * max_s),
        Delay::Exponential { mean_s } => from_secs(-mean_s * u.ln()),
    }
}

/// Shuffles gateway `gateway`'s batch number `batch` (Fisher–Yates, one draw per swap from
/// the gateway's own stream).
pub fn mix(list: &mut [TxIn], seed: u64, gateway: u32, batch: u64) {
    for i in (1..list.len()).rev() {
        let index = (batch << 32) | i as u64;
        let r = draw_u64(seed, u64::from(gateway), Purpose::Mixing, index);
        list.swap(i, (r % (i as u64 + 1)) as usize);
    }
}
