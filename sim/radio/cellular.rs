//! Cellular IoT access (NB-IoT, LTE-M): power saving mode, paging, the RRC connection a device
//! opens to send, and when the network can reach it again. Pure functions of a device's
//! timers and of the moments it chose to send: a device's radio states are known from its
//! wakes alone, with no event per state change.
//!
//! One uplink, as a timeline:
//! ```text
//! ask ─ wait for a slot ─ granted ─ RA + RRC setup ─ connected ─ send ─ sent
//!     ─ linger (RRC inactivity timer) ─ released ─ idle, paged every DRX/eDRX (T3324)
//!     ─ idle_until ─ PSM until the next uplink or periodic TAU (T3412)
//! ```
//! Without PSM the device stays idle (paged) until its next uplink.

use crate::engine::{NS_PER_MS, Time, from_secs};

/// The two LPWA flavours of LTE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rat {
    NbIot,
    LteM,
}

/// Units of the GPRS Timer 2 IE (TS 24.008 §10.5.7.4; also the GPRS Timer of §10.5.7.3):
/// 2 s, 1 min, 1 decihour, each times a 5-bit value. T3324 and the ordinary T3412 use it.
pub const GPRS_TIMER2_UNITS_S: [u64; 3] = [2, 60, 360];
/// Units of the GPRS Timer 3 IE (TS 24.008 §10.5.7.4a): 2 s, 30 s, 1 min, 10 min, 1 h, 10 h,
/// 320 h, each times a 5-bit value. The extended T3412 uses it.
pub const GPRS_TIMER3_UNITS_S: [u64; 7] = [2, 30, 60, 600, 3_600, 36_000, 1_152_000];
/// The 5-bit timer value.
pub const TIMER_VALUE_MAX: u64 = 31;

/// Whether `secs` is `n × unit` for one of `units` and `n` in 0..=31: a value the network can
/// signal to the device.
pub fn encodable(secs: f64, units: &[u64]) -> bool {
    if !(secs.is_finite() && secs >= 0.0 && secs.fract() == 0.0) {
        return false;
    }
    let s = secs as u64;
    units
        .iter()
        .any(|&u| s.is_multiple_of(u) && s / u <= TIMER_VALUE_MAX)
}

/// Idle-mode eDRX cycles, ms (TS 24.008 Table 10.5.5.32, "Extended DRX parameters"; the
/// paging hyperframes of TS 36.304 §7.3). WB-S1 mode, LTE-M.
pub const EDRX_LTEM_MS: [u64; 14] = [
    5_120, 10_240, 20_480, 40_960, 61_440, 81_920, 102_400, 122_880, 143_360, 163_840, 327_680,
    655_360, 1_310_720, 2_621_440,
];
/// NB-S1 mode, NB-IoT (same table).
pub const EDRX_NBIOT_MS: [u64; 10] = [
    20_480, 40_960, 81_920, 163_840, 327_680, 655_360, 1_310_720, 2_621_440, 5_242_880, 10_485_760,
];
/// Paging time window step, ms, and the most steps (same table: PTW = step × (1..=16)).
pub const PTW_STEP_LTEM_MS: u64 = 1_280;
pub const PTW_STEP_NBIOT_MS: u64 = 2_560;
pub const PTW_STEPS: u64 = 16;
/// Idle-mode paging cycles (defaultPagingCycle), ms: TS 36.331 PCCH-Config rf32..rf256 for
/// LTE-M, PCCH-Config-NB-r13 rf128..rf1024 for NB-IoT.
pub const DRX_LTEM_MS: [u64; 4] = [320, 640, 1_280, 2_560];
pub const DRX_NBIOT_MS: [u64; 4] = [1_280, 2_560, 5_120, 10_240];

impl Rat {
    pub fn name(self) -> &'static str {
        match self {
            Rat::NbIot => "nbiot",
            Rat::LteM => "ltem",
        }
    }

    pub fn edrx_cycles_ms(self) -> &'static [u64] {
        match self {
            Rat::NbIot => &EDRX_NBIOT_MS,
            Rat::LteM => &EDRX_LTEM_MS,
        }
    }

    pub fn ptw_step_ms(self) -> u64 {
        match self {
            Rat::NbIot => PTW_STEP_NBIOT_MS,
            Rat::LteM => PTW_STEP_LTEM_MS,
        }
    }

    pub fn drx_cycles_ms(self) -> &'static [u64] {
        match self {
            Rat::NbIot => &DRX_NBIOT_MS,
            Rat::LteM => &DRX_LTEM_MS,
        }
    }

    /// Random access + RRC connection setup, ms. NB-IoT: about 1 s from wake to connected
    /// in normal coverage (TR 45.820 §7.3.6 latency evaluation; far longer at 164 dB MCL).
    /// LTE-M: 100 ms, the LTE idle→connected control-plane target (TR 25.913 §7.1).
    pub fn default_setup_ms(self) -> f64 {
        match self {
            Rat::NbIot => 1_000.0,
            Rat::LteM => 100.0,
        }
    }

    /// Device peak rates, bit/s, from the UE categories of TS 36.306: NB1 (Rel-13 NB-IoT)
    /// about 62.5 kbit/s up (multi-tone) and 26 kbit/s down; M1 (Rel-13 LTE-M) 1 Mbit/s
    /// each way.
    pub fn default_uplink_bps(self) -> f64 {
        match self {
            Rat::NbIot => 62_500.0,
            Rat::LteM => 1_000_000.0,
        }
    }

    pub fn default_downlink_bps(self) -> f64 {
        match self {
            Rat::NbIot => 26_000.0,
            Rat::LteM => 1_000_000.0,
        }
    }
}

/// The default periodic TAU timer T3412: 54 min (TS 24.301 §10.2, Table 10.2.1).
pub const DEFAULT_T3412_S: f64 = 3_240.0;
/// The default idle-mode paging cycle: 2.56 s (rf256), allowed for both RATs (TS 36.331).
pub const DEFAULT_DRX_S: f64 = 2.56;
/// RRC inactivity timer: not standardised, an eNodeB setting; 20 s lies in the 10–20 s
/// range operators commonly configure. Set the operator's value where known.
pub const DEFAULT_INACTIVITY_S: f64 = 20.0;

/// Whether `secs` is one of `allowed_ms` (to the millisecond).
pub fn one_of_ms(secs: f64, allowed_ms: &[u64]) -> bool {
    let ms = secs * 1e3;
    secs.is_finite() && ms >= 0.0 && (ms - ms.round()).abs() < 1e-6 && {
        let ms = ms.round() as u64;
        allowed_ms.contains(&ms)
    }
}

/// A group's compiled cellular parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Cellular {
    pub rat: Rat,
    pub setup: Time,
    pub inactivity: Time,
    pub drx: Time,
    /// (T3324, T3412) when PSM is on.
    pub psm: Option<(Time, Time)>,
    /// (cycle, paging time window) when eDRX is on.
    pub edrx: Option<(Time, Time)>,
    pub uplink_bps: f64,
    pub downlink_bps: f64,
}

/// One connection the device opened to send: the moments of the timeline above.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Session {
    pub ask: Time,
    pub granted: Time,
    pub connected: Time,
    pub sent: Time,
    pub released: Time,
    /// End of the paged idle period (T3324 expiry); `Time::MAX` without PSM.
    pub idle_until: Time,
}

/// When a device can be reached: connected in `[connected, released)`, then paged until
/// `idle_until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contact {
    pub connected: Time,
    pub released: Time,
    pub idle_until: Time,
}

impl Session {
    pub fn contact(&self) -> Contact {
        Contact {
            connected: self.connected,
            released: self.released,
            idle_until: self.idle_until,
        }
    }
}

/// Time a cellular device spends in each radio state: what its energy is computed from
/// (current × duration per state). The states partition the device's time in the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CellStates {
    /// Awake, waiting for a connection slot of its cell.
    pub waiting: Time,
    /// Random access and RRC connection setup (uplinks, periodic TAUs, paged receipts).
    pub connecting: Time,
    /// Sending uplink data.
    pub sending: Time,
    /// Receiving downlink data (receipts).
    pub receiving: Time,
    /// Connected, lingering until the RRC inactivity timer releases it (connected-mode DRX).
    pub connected: Time,
    /// Idle, monitoring paging: during T3324 with PSM, else until the next uplink.
    pub idle: Time,
    /// Power saving mode: the rest of the run.
    pub psm: Time,
    /// Uplink sessions and periodic tracking-area updates: counts, for per-event energy.
    pub uplinks: u32,
    pub taus: u32,
    /// Readings sent, each signed on the device (energy per operation).
    pub readings: u32,
}

impl CellStates {
    pub const NAMES: [&'static str; 7] = [
        "waiting",
        "connecting",
        "sending",
        "receiving",
        "connected",
        "idle",
        "psm",
    ];

    /// Durations in the order of [`Self::NAMES`].
    pub fn durations(&self) -> [Time; 7] {
        [
            self.waiting,
            self.connecting,
            self.sending,
            self.receiving,
            self.connected,
            self.idle,
            self.psm,
        ]
    }

    pub fn add(&mut self, o: &CellStates) {
        self.waiting += o.waiting;
        self.connecting += o.connecting;
        self.sending += o.sending;
        self.receiving += o.receiving;
        self.connected += o.connected;
        self.idle += o.idle;
        self.psm += o.psm;
        self.uplinks += o.uplinks;
        self.taus += o.taus;
        self.readings += o.readings;
    }
}

impl Cellular {
    /// A connection asked for at `ask`, given a slot at `granted`, whose data may start no
    /// earlier than `data_from` (the cell's uplink) and lasts `bits` at the device's rate.
    pub fn session(&self, ask: Time, granted: Time, data_after: Time, bits: u64) -> Session {
        let connected = granted + self.setup;
        let start = connected.max(data_after);
        let sent = start + transfer(bits, self.uplink_bps);
        let released = sent + self.inactivity;
        Session {
            ask,
            granted,
            connected,
            sent,
            released,
            idle_until: self.idle_end(released),
        }
    }

    /// When the paged idle period that starts at `released` ends.
    pub fn idle_end(&self, released: Time) -> Time {
        match self.psm {
            Some((t3324, _)) => released.saturating_add(t3324),
            None => Time::MAX,
        }
    }

    /// The periodic TAUs of a device released at `released` whose next uplink is asked at
    /// `next` (or the run ends then): each TAU connects, lingers and re-arms T3324, and
    /// T3412 restarts at its release. Without PSM none are modelled (a device paged every
    /// DRX cycle is known to the network).
    pub fn taus(&self, released: Time, next: Time) -> impl Iterator<Item = Contact> + '_ {
        let t3412 = self.psm.map(|(_, t)| t);
        let mut rel = released;
        std::iter::from_fn(move || {
            let t = rel.checked_add(t3412?.max(1))?;
            if t >= next {
                return None;
            }
            let connected = t + self.setup;
            let released = connected + self.inactivity;
            rel = released;
            Some(Contact {
                connected,
                released,
                idle_until: self.idle_end(released),
            })
        })
    }

    /// The first paging occasion at or after `t` of a device whose paging phase is `phase`
    /// (a fraction of the cycle drawn once per device, in parts of 2^32).
    pub fn next_paging(&self, t: Time, phase: u32) -> Time {
        let frac = |period: Time| ((period as u128 * phase as u128) >> 32) as Time;
        match self.edrx {
            None => next_multiple(t, frac(self.drx), self.drx),
            Some((cycle, ptw)) => {
                let first = frac(cycle);
                if t <= first {
                    return first;
                }
                let start = first + (t - first) / cycle * cycle;
                let off = t - start;
                let j = off.div_ceil(self.drx);
                if j * self.drx < ptw {
                    start + j * self.drx
                } else {
                    start + cycle
                }
            }
        }
    }

    /// When a downlink ready at the network at `ready` can start reaching the device in
    /// `c`: at once while connected; at the next paging occasion plus a connection setup
    /// while idle; `None` when `c` ends first (with PSM the device sleeps out of reach).
    pub fn reach(&self, c: &Contact, ready: Time, phase: u32) -> Option<Time> {
        if ready < c.released {
            return Some(ready.max(c.connected));
        }
        let page = self.next_paging(ready, phase);
        (page < c.idle_until).then(|| page + self.setup)
    }
}

/// The first `phase + k·period` at or after `t`.
fn next_multiple(t: Time, phase: Time, period: Time) -> Time {
    if t <= phase || period == 0 {
        return phase.max(t);
    }
    phase + (t - phase).div_ceil(period) * period
}

/// Time to send `bits` at `bps`.
pub fn transfer(bits: u64, bps: f64) -> Time {
    if bps.is_infinite() {
        return 0;
    }
    from_secs(bits as f64 / bps)
}

/// Milliseconds to time.
pub fn ms(v: u64) -> Time {
    v * NS_PER_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::NS_PER_S;

    fn psm(t3324_s: u64, t3412_s: u64) -> Cellular {
        Cellular {
            rat: Rat::NbIot,
            setup: NS_PER_S,
            inactivity: 20 * NS_PER_S,
            drx: ms(2_560),
            psm: Some((t3324_s * NS_PER_S, t3412_s * NS_PER_S)),
            edrx: None,
            uplink_bps: 62_500.0,
            downlink_bps: 26_000.0,
        }
    }

    #[test]
    fn timers_the_network_can_signal() {
        // T3324 = 20 s is 10 × 2 s; 62 s is 31 × 2 s; 63 s fits no unit.
        assert!(encodable(20.0, &GPRS_TIMER2_UNITS_S));
        assert!(encodable(62.0, &GPRS_TIMER2_UNITS_S));
        assert!(!encodable(63.0, &GPRS_TIMER2_UNITS_S));
        // 186 min (31 decihours) is the longest GPRS Timer 2 value.
        assert!(encodable(11_160.0, &GPRS_TIMER2_UNITS_S));
        assert!(!encodable(11_520.0, &GPRS_TIMER2_UNITS_S));
        // The extended T3412: 1 h, 24 h (not 31 × 1 h, but 24 × 1 h), 413 days (31 × 320 h).
        assert!(encodable(3_600.0, &GPRS_TIMER3_UNITS_S));
        assert!(encodable(86_400.0, &GPRS_TIMER3_UNITS_S));
        assert!(encodable(31.0 * 1_152_000.0, &GPRS_TIMER3_UNITS_S));
        assert!(!encodable(1.5, &GPRS_TIMER3_UNITS_S));
        assert!(!encodable(-2.0, &GPRS_TIMER3_UNITS_S));
    }

    #[test]
    fn standard_edrx_and_drx_values() {
        assert!(one_of_ms(20.48, Rat::NbIot.edrx_cycles_ms()));
        assert!(!one_of_ms(5.12, Rat::NbIot.edrx_cycles_ms()));
        assert!(one_of_ms(5.12, Rat::LteM.edrx_cycles_ms()));
        assert!(!one_of_ms(20.0, Rat::LteM.edrx_cycles_ms()));
        assert!(one_of_ms(DEFAULT_DRX_S, Rat::NbIot.drx_cycles_ms()));
        assert!(one_of_ms(DEFAULT_DRX_S, Rat::LteM.drx_cycles_ms()));
    }

    #[test]
    fn a_session_follows_its_timeline() {
        let c = psm(20, 3_600);
        // 125 bytes = 1,000 bits at 62.5 kbit/s: 16 ms.
        let s = c.session(10 * NS_PER_S, 12 * NS_PER_S, 0, 1_000);
        assert_eq!(s.connected, 13 * NS_PER_S);
        assert_eq!(s.sent, 13 * NS_PER_S + 16 * NS_PER_MS);
        assert_eq!(s.released, s.sent + 20 * NS_PER_S);
        assert_eq!(s.idle_until, s.released + 20 * NS_PER_S);
        // The cell's uplink busy until 14 s pushes the data back.
        let s = c.session(10 * NS_PER_S, 12 * NS_PER_S, 14 * NS_PER_S, 1_000);
        assert_eq!(s.sent, 14 * NS_PER_S + 16 * NS_PER_MS);
    }

    #[test]
    fn psm_device_is_out_of_reach_between_its_windows() {
        let c = psm(20, 3_600);
        let s = c.session(0, 0, 0, 0);
        let contact = s.contact();
        // Connected: at once.
        assert_eq!(c.reach(&contact, 5 * NS_PER_S, 0), Some(5 * NS_PER_S));
        // Idle in T3324: next paging occasion (phase 0: multiples of 2.56 s) + setup.
        let r = 22 * NS_PER_S;
        assert_eq!(c.reach(&contact, r, 0), Some(ms(23_040) + NS_PER_S));
        // In PSM: unreachable.
        assert_eq!(c.reach(&contact, s.idle_until, 0), None);
        assert_eq!(c.reach(&contact, 100 * NS_PER_S, 0), None);
    }

    #[test]
    fn periodic_taus_until_the_next_uplink() {
        let c = psm(20, 600);
        let taus: Vec<Contact> = c.taus(0, 1_900 * NS_PER_S).collect();
        // 600 s after each release: 600, 600+21+600 = 1221, 1842.
        let asks: Vec<Time> = taus.iter().map(|t| t.connected - c.setup).collect();
        assert_eq!(asks, [600 * NS_PER_S, 1_221 * NS_PER_S, 1_842 * NS_PER_S]);
        let mut no_psm = c.clone();
        no_psm.psm = None;
        assert_eq!(no_psm.taus(0, Time::MAX).count(), 0);
    }

    #[test]
    fn edrx_pages_only_inside_its_window() {
        let mut c = psm(20, 3_600);
        c.psm = None;
        c.edrx = Some((ms(20_480), ms(2_560)));
        // Phase half a cycle: windows open at 10.24 s + k·20.48 s, 2.56 s long, one paging
        // occasion per 2.56 s DRX: only their starts.
        let half = 1 << 31;
        assert_eq!(c.next_paging(0, half), ms(10_240));
        assert_eq!(c.next_paging(ms(10_240), half), ms(10_240));
        assert_eq!(c.next_paging(ms(10_241), half), ms(30_720));
        c.drx = ms(1_280);
        assert_eq!(c.next_paging(ms(10_241), half), ms(11_520));
        assert_eq!(c.next_paging(ms(11_521), half), ms(30_720));
    }
}
