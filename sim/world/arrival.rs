//! When a validator message arrives, drawn only where it matters. Most `inv`s of a flooded
//! block are left out of the queue (`futile`, or behind an earlier copy, see `copies`): for
//! them the world needs only whether the copy arrives before the end of the run, or before the
//! copy on record, and the latency's bounds usually settle that without its `powf` (the largest
//! cost of a send) and often without its draw. The draw is keyed by the sender's
//! message count, which advances all the same, so every other draw stays as it was.

use crate::engine::Time;
use crate::net::Network;

#[derive(Clone, Copy)]
pub enum Arrival {
    /// Known.
    At(Time),
    /// `rest` (transfer, processing and any fault delay, from now) plus the one-way latency
    /// of `from`'s `index`-th message to `to`.
    Drawn {
        rest: Time,
        from: u32,
        to: u32,
        index: u64,
    },
}

impl Arrival {
    /// The arrival time.
    #[inline]
    pub fn at(self, net: &Network) -> Time {
        match self {
            Arrival::At(t) => t,
            Arrival::Drawn {
                rest,
                from,
                to,
                index,
            } => rest + net.latency(from, to, index),
        }
    }

    /// Whether it arrives before `t`.
    #[inline]
    pub fn before(self, t: Time, net: &Network) -> bool {
        let Arrival::Drawn {
            rest,
            from,
            to,
            index,
        } = self
        else {
            return self.at(net) < t;
        };
        let b = net.latency_bounds(from, to);
        if rest.saturating_add(b.high) < t {
            return true;
        }
        if rest.saturating_add(b.low) >= t {
            return false;
        }
        let u = net.jitter_unit(from, index);
        (u >= b.cut && rest.saturating_add(b.typical) < t) || rest + net.latency_at(from, to, u) < t
    }

    /// A time it cannot arrive before.
    #[inline]
    pub fn earliest(self, net: &Network) -> Time {
        match self {
            Arrival::At(t) => t,
            Arrival::Drawn { rest, from, to, .. } => rest + net.latency_bounds(from, to).low,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::NS_PER_MS;
    use crate::scenario;

    #[test]
    fn bounds_answer_as_the_draw_does() {
        let yaml = "name: arrival
seed: 5
duration_s: 60
gateways: { count: 0 }
validators: { count: 200 }
network: { latency: { model: simblock2019 }, jitter: pareto }
consensus: { protocol: nakamoto }
";
        let net = Network::build(&scenario::parse(yaml, "test").expect("valid scenario"));
        for i in 0..40_000u64 {
            let (from, to) = ((i % 200) as u32, ((i * 7 + 3) % 200) as u32);
            let a = Arrival::Drawn {
                rest: 1_000 * NS_PER_MS,
                from,
                to,
                index: i,
            };
            let at = a.at(&net);
            assert!(a.earliest(&net) <= at);
            // Deadlines around the draw itself, where the bounds cannot settle it, and far off.
            for t in [
                at - 1,
                at,
                at + 1,
                a.earliest(&net),
                2_000 * NS_PER_MS,
                u64::MAX / 2,
            ] {
                assert_eq!(a.before(t, &net), at < t, "message {i}, deadline {t}");
            }
        }
    }
}
