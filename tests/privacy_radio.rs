//! Privacy delays on radio devices: a LoRaWAN or cellular reading becomes ready to send only
//! after its delay, and the cost shows in the run's latency and energy.

mod common;

use unchained::metrics::RunOutput;

/// `count` strictly periodic LoRaWAN meters (every 600 s, SF7, 10-byte readings, unconfirmed)
/// in one hour, rotating keys every 2 readings; `extra` goes into the device group.
fn lorawan(extra: &str) -> String {
    format!(
        "
seed: 11
duration_s: 3600
devices:
  - name: meters
    count: 50
    workload: {{ model: periodic, interval_s: 600, jitter_s: 0 }}
    tx_bytes: 10
    radio: {{ model: lorawan, sf: 7 }}
    energy: {{ voltage_v: 3.3 }}
    identity: {{ rotate_every_tx: 2 }}
{extra}
gateways: {{ count: 1 }}
area: {{ shape: disc, size_m: 2000, gateways: grid }}
validators: {{ count: 4 }}
consensus: {{ protocol: nakamoto, block_interval_s: 30, confirmations: 1 }}
metrics: {{ window_s: 60 }}
observers:
  - {{ kind: validator, node: 0 }}
"
    )
}

/// `count` NB-IoT trackers in PSM reporting every 300 s without jitter, through two cells
/// that never make anyone wait, for 900 s.
fn cellular(extra: &str) -> String {
    format!(
        "
seed: 7
duration_s: 900
devices:
  - name: trackers
    count: 100
    workload: {{ model: periodic, interval_s: 300, jitter_s: 0 }}
    tx_bytes: 100
    radio: {{ model: nbiot, psm: {{ t3324_s: 20, t3412_s: 3600 }} }}
{extra}
gateways: {{ count: 2, kind: cell }}
validators: {{ count: 4 }}
consensus: {{ protocol: raft }}
metrics: {{ window_s: 60 }}
"
    )
}

/// A delay uniform on [0, 60 s): 30 s on average.
const DELAY: &str = "    mitigation: { delay: { dist: uniform, max_s: 60 } }";

fn run(text: &str) -> RunOutput {
    common::run(&common::scenario(text))
}

fn wait(o: &RunOutput) -> f64 {
    common::metric(o, "upload_wait_mean_s")
}

/// Seconds the group's devices spent in `state`.
fn state_s(o: &RunOutput, state: &str) -> f64 {
    let r = o.energy.states.iter().find(|r| r.state == state);
    r.unwrap_or_else(|| panic!("no state {state}")).time_s
}

fn frames(o: &RunOutput) -> f64 {
    o.radio.iter().map(|r| r.frames).sum::<u64>() as f64
}

#[test]
fn a_lorawan_reading_leaves_after_its_delay_and_the_device_wakes_once_more() {
    let plain = run(&lorawan(""));
    let delayed = run(&lorawan(DELAY));
    for o in [&plain, &delayed] {
        assert!(o.conservation.holds());
    }
    // Sent when read: no wait (the duty cycle of SF7 frames is over long before the next
    // reading). Delayed: the uniform's mean, within five standard errors (17.3 s / √300).
    assert!(wait(&plain) < 1e-6, "{}", wait(&plain));
    let extra = wait(&delayed) - wait(&plain);
    assert!((extra - 30.0).abs() < 5.0, "{extra}");
    assert!(
        common::metric(&delayed, "settlement_mean_s")
            > common::metric(&plain, "settlement_mean_s") + 25.0
    );
    // The privacy delay is not a duty-cycle wait.
    assert_eq!(common::metric(&delayed, "radio_duty_cycle_wait_s"), 0.0);
    // One reading a frame either way, but a delayed frame costs two wake-ups of Casals et
    // al.'s 168.2 ms (taking the reading, then sending it) against one.
    assert!(frames(&delayed) > 0.0);
    let wake = 0.1682;
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b;
    assert!(close(state_s(&plain, "wake"), wake * frames(&plain)));
    assert!(close(
        state_s(&delayed, "wake"),
        2.0 * wake * frames(&delayed)
    ));
    assert!(
        common::metric(&delayed, "energy_per_reading_mj")
            > common::metric(&plain, "energy_per_reading_mj")
    );
    // Fifty devices 12 s apart on average within the period, each shifted by up to a
    // minute: the validator's dates no longer name the next key.
    let precision = |o: &RunOutput| o.privacy[0].link_precision;
    assert!(precision(&plain) >= 0.9, "{:?}", plain.privacy[0]);
    assert!(precision(&delayed) < 0.7, "{:?}", delayed.privacy[0]);
}

#[test]
fn a_cellular_reading_waits_in_psm_and_opens_its_session_after_its_delay() {
    let plain = run(&cellular(""));
    let delayed = run(&cellular(DELAY));
    for o in [&plain, &delayed] {
        assert!(o.conservation.holds());
    }
    // Both wait for the connection's setup; the delayed ones 30 s more on average.
    let extra = wait(&delayed) - wait(&plain);
    assert!((extra - 30.0).abs() < 5.0, "{extra}");
    // Readings 300 s apart stay in sessions of their own (a session lingers 40 s), so a delay
    // changes the number of sessions only by those it pushes past the end of the run, one per
    // device at most.
    let sessions = |o: &RunOutput| common::metric(o, "cell_connections");
    assert_eq!(sessions(&plain), 300.0);
    assert!(sessions(&delayed) >= 200.0 && sessions(&delayed) <= 300.0);
    // The readings held past the end stay on their devices.
    let on_device = |o: &RunOutput| o.conservation.pending_on_device as f64;
    assert!(on_device(&delayed) > on_device(&plain));
    assert_eq!(
        on_device(&delayed) - on_device(&plain),
        sessions(&plain) - sessions(&delayed)
    );
}

#[test]
fn delayed_radio_runs_are_identical_at_1_and_4_threads() {
    let delay = "    mitigation: { delay: { dist: exponential, mean_s: 200 } }";
    let lora = lorawan(delay).replace("gateways: { count: 1 }", "gateways: { count: 6 }");
    let cells = cellular(delay).replace("count: 2, kind: cell", "count: 6, kind: cell");
    for (text, tag) in [(lora, "lora"), (cells, "cell")] {
        let one = common::files_at(1, &text, &format!("delay-{tag}-1"));
        let four = common::files_at(4, &text, &format!("delay-{tag}-4"));
        assert_eq!(
            one.keys().collect::<Vec<_>>(),
            four.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &one {
            assert!(bytes == &four[name], "{tag}: {name} differs at 4 threads");
        }
    }
}
