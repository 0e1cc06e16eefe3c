//! `unchained bench`: the scale tables (PHOLD, BFT validators, device fleets), each size in a
//! fresh process so that every row has its own peak RSS.

use crate::world;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum Bench {
    /// PHOLD, the standard synthetic benchmark of discrete-event engines: committed events
    /// per second of the event engine.
    Phold {
        /// Logical processes, each holding one event at a time.
        #[arg(long, default_value_t = 1_000_000)]
        lps: u32,
        /// Share of events sent to another, uniformly chosen, logical process (0 to 1).
        #[arg(long, default_value_t = 0.1)]
        remote: f64,
        /// End time in units of the mean increment.
        #[arg(long, default_value_t = 20.0)]
        end: f64,
        /// Minimum time increment in units of the mean (0 to below 1); also the width of the
        /// partitions' time windows.
        #[arg(long, default_value_t = 0.1)]
        lookahead: f64,
        /// Master seed of the random streams.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Contiguous LP ranges, each with its own queue, run in time windows of width
        /// `lookahead`. 0 runs the sequential engine (one queue).
        #[arg(long, default_value_t = 16)]
        partitions: u32,
        /// Worker threads for the partitions (results do not depend on it).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Runs; prints each and, for more than one, the median.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
    /// BFT validators' scale table: each size runs in a fresh process; prints events, wall and
    /// CPU time, events per second, peak RSS and the peak of the vote bookkeeping.
    Validators {
        /// Protocols, comma-separated: pbft, hotstuff, tendermint.
        #[arg(long, default_value = "pbft")]
        protocols: String,
        /// Validator counts, comma-separated.
        #[arg(long, default_value = "100,300,1000")]
        validators: String,
        /// Simulated time of each run, seconds.
        #[arg(long, default_value_t = 20.0)]
        duration_s: f64,
        /// Worker threads (the validators' side runs on one).
        #[arg(long, default_value_t = 1)]
        threads: u64,
        /// Run one protocol and size in this process and print its row (used by the table).
        #[arg(long)]
        one: bool,
    },
    /// Device-fleet scale table: each size runs in a fresh process; prints wall time, events
    /// per second, transactions, peak RSS and bytes per device.
    Fleet {
        /// Fleet sizes, comma-separated (e.g. 1e6,1e7,1e8).
        #[arg(long, default_value = "1e6,1e7")]
        devices: String,
        /// Validators of the fleet's Nakamoto network.
        #[arg(long, default_value_t = 1000)]
        validators: u64,
        /// Simulated time of each run, seconds.
        #[arg(long, default_value_t = 3600.0)]
        duration_s: f64,
        /// Worker threads, comma-separated; every size runs at each (e.g. 1,2).
        #[arg(long, default_value = "2")]
        threads: String,
        /// Run one size in this process and print its row (used by the table).
        #[arg(long, hide = true)]
        one: bool,
        /// A LoRaWAN fleet (radio, gateways with collisions and duty cycle) instead.
        #[arg(long)]
        lorawan: bool,
        /// An NB-IoT fleet (PSM, cells with a connection limit, settlement receipts) instead.
        #[arg(long, conflicts_with = "lorawan")]
        nbiot: bool,
        /// With --lorawan: seconds between blocks [default: 60]
        #[arg(long, requires = "lorawan", value_name = "S")]
        block_interval_s: Option<f64>,
        /// With --lorawan: block size limit [default: twice a block interval's readings]
        #[arg(long, requires = "lorawan", value_name = "BYTES")]
        max_block_bytes: Option<u64>,
        /// With --lorawan: confirmations to settle [default: 1; before: 600 s, 1 MB, 6]
        #[arg(long, requires = "lorawan", value_name = "N")]
        confirmations: Option<u32>,
    },
}

/// Runs one `unchained bench` subcommand.
pub fn run(b: Bench) -> Result<(), String> {
    match b {
        Bench::Phold {
            lps,
            remote,
            end,
            lookahead,
            seed,
            partitions,
            threads,
            repeat,
        } => bench_phold(
            unchained::phold::Phold {
                lps,
                start_events: 1,
                remote,
                mean: 1.0,
                lookahead,
                end,
                seed,
            },
            partitions,
            threads,
            repeat,
        ),
        Bench::Validators {
            protocols,
            validators,
            duration_s,
            threads,
            one,
        } => bench_validators(&protocols, &validators, duration_s, threads, one),
        Bench::Fleet {
            devices,
            validators,
            duration_s,
            threads,
            one,
            lorawan,
            nbiot,
            block_interval_s,
            max_block_bytes,
            confirmations,
        } => {
            let kind = if nbiot {
                FleetKind::Nbiot
            } else if lorawan {
                FleetKind::Lorawan(ChainFlags {
                    block_interval_s,
                    max_block_bytes,
                    confirmations,
                })
            } else {
                FleetKind::Plain
            };
            bench_fleet(&devices, validators, duration_s, &threads, one, kind)
        }
    }
}

fn bench_phold(
    model: unchained::phold::Phold,
    partitions: u32,
    threads: usize,
    repeat: u32,
) -> Result<(), String> {
    let unchained::phold::Phold {
        lps,
        remote,
        end,
        lookahead,
        ..
    } = model;
    if lps == 0
        || !(0.0..=1.0).contains(&remote)
        || !(0.0..1.0).contains(&lookahead)
        || end.is_nan()
        || end <= 0.0
        || threads == 0
        || repeat == 0
    {
        return Err(format!(
            "bench phold: --lps {lps} must be >= 1, --remote {remote} in [0, 1], --lookahead {lookahead} in [0, 1), --end {end} > 0, --threads {threads} >= 1, --repeat {repeat} >= 1"
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("bench phold: --threads {threads}: {e}"))?;
    let engine = if partitions == 0 {
        "sequential".to_string()
    } else {
        format!("windows/{partitions}")
    };
    println!(
        "engine\tthreads\tlps\tremote\tend\tcommitted\texpected\tremote_fraction\twall_s\tevents_per_s\tcpu_s\tevents_per_cpu_s"
    );
    let mut rates = Vec::new();
    for _ in 0..repeat {
        let started = std::time::Instant::now();
        let cpu0 = unchained::bench::cpu_seconds().unwrap_or(0.0);
        let r = if partitions == 0 {
            model.run()
        } else {
            pool.install(|| model.run_windows(partitions))?
        };
        let wall = started.elapsed().as_secs_f64();
        let cpu = unchained::bench::cpu_seconds().unwrap_or(0.0) - cpu0;
        let rate = r.committed as f64 / wall;
        rates.push(rate);
        println!(
            "{engine}\t{threads}\t{lps}\t{remote}\t{end}\t{}\t{:.0}\t{:.4}\t{wall:.3}\t{rate:.0}\t{cpu:.2}\t{:.0}",
            r.committed,
            lps as f64 * end,
            r.remote as f64 / r.committed.max(1) as f64,
            r.committed as f64 / cpu.max(0.01),
        );
    }
    if repeat > 1 {
        rates.sort_by(f64::total_cmp);
        println!("median events_per_s\t{:.0}", rates[rates.len() / 2]);
    }
    Ok(())
}

/// Parses a comma-separated list of whole numbers in `1..=max` for option `--{name}`.
fn whole_list(name: &str, text: &str, max: f64) -> Result<Vec<u64>, String> {
    text.split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| *v >= 1.0 && v.fract() == 0.0 && *v <= max)
                .map(|v| v as u64)
                .ok_or_else(|| {
                    format!("bench: --{name} entry '{x}' must be a whole number in 1..={max}")
                })
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum FleetKind {
    Plain,
    Lorawan(ChainFlags),
    Nbiot,
}

/// The LoRaWAN fleet's chain as given on the command line; what is not given comes from
/// [`unchained::bench::FleetChain::carrying_at`].
#[derive(Clone, Copy, PartialEq)]
struct ChainFlags {
    block_interval_s: Option<f64>,
    max_block_bytes: Option<u64>,
    confirmations: Option<u32>,
}

impl ChainFlags {
    fn chain(self, devices: u64) -> Result<unchained::bench::FleetChain, String> {
        use unchained::bench::{FleetChain, LORAWAN_FLEET_INTERVAL_S, LORAWAN_FLEET_TX_BYTES};
        let interval = self.block_interval_s.unwrap_or(60.0);
        if !(interval > 0.0 && interval.is_finite()) || self.max_block_bytes == Some(0) {
            return Err(format!(
                "bench fleet: --block-interval-s {interval} must be > 0, --max-block-bytes >= 1"
            ));
        }
        let carrying = FleetChain::carrying_at(
            interval,
            devices,
            LORAWAN_FLEET_TX_BYTES,
            LORAWAN_FLEET_INTERVAL_S,
        );
        Ok(FleetChain {
            max_block_bytes: self.max_block_bytes.unwrap_or(carrying.max_block_bytes),
            confirmations: self.confirmations.unwrap_or(carrying.confirmations),
            ..carrying
        })
    }

    /// The flags to pass on to the process that runs one size.
    fn args(self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(v) = self.block_interval_s {
            out.extend(["--block-interval-s".to_string(), v.to_string()]);
        }
        if let Some(v) = self.max_block_bytes {
            out.extend(["--max-block-bytes".to_string(), v.to_string()]);
        }
        if let Some(v) = self.confirmations {
            out.extend(["--confirmations".to_string(), v.to_string()]);
        }
        out
    }
}

fn bench_fleet(
    sizes: &str,
    validators: u64,
    duration_s: f64,
    threads: &str,
    one: bool,
    kind: FleetKind,
) -> Result<(), String> {
    let sizes = whole_list("devices", sizes, 4e9)?;
    let threads = whole_list("threads", threads, 1024.0)?;
    if one {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads[0] as usize)
            .build()
            .map_err(|e| e.to_string())?;
        let s = match kind {
            FleetKind::Lorawan(flags) => unchained::bench::lorawan_fleet_scenario(
                sizes[0],
                validators,
                duration_s,
                Some(flags.chain(sizes[0])?),
            ),
            FleetKind::Nbiot => {
                unchained::bench::nbiot_fleet_scenario(sizes[0], validators, duration_s)
            }
            FleetKind::Plain => unchained::bench::fleet_scenario(sizes[0], validators, duration_s),
        };
        let started = std::time::Instant::now();
        let out = pool
            .install(|| world::run(&s, &world::Progress::hidden()))
            .map_err(|e| e.to_string())?;
        let wall = started.elapsed().as_secs_f64();
        let events = out.metric("events").unwrap_or(0.0);
        let device_events = out.metric("events_devices").unwrap_or(0.0);
        let naive = unchained::bench::fleet_naive_device_events(
            sizes[0],
            duration_s,
            out.conservation.created,
        );
        let rss = unchained::bench::peak_rss_bytes().unwrap_or(0) as f64;
        println!(
            "{}\t{}\t{:.0}\t{}\t{wall:.2}\t{:.0}\t{:.0}\t{:.0}\t{:.1}",
            sizes[0],
            threads[0],
            events,
            out.conservation.created,
            events / wall,
            naive - device_events,
            rss / 1048576.0,
            rss / sizes[0] as f64
        );
        stages_line(&out);
        // Transactions lost on the way (collisions, a full mempool) cost the run less than
        // those carried to the end: the figures describe a lighter load than offered, so
        // say how many and why beside them (on stderr, to keep the table's line intact).
        let dropped: u64 = out.conservation.dropped.iter().map(|(_, n)| n).sum();
        if dropped > 0 {
            let reasons: Vec<String> = out
                .conservation
                .dropped
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(r, n)| format!("{r}: {n}"))
                .collect();
            eprintln!(
                "bench fleet: {dropped} of {} transactions created were dropped ({})",
                out.conservation.created,
                reasons.join(", ")
            );
        }
        return Ok(());
    }
    println!(
        "devices\tthreads\tevents\ttx_created\twall_s\tevents_per_s\tevents_avoided\tpeak_rss_mib\tbytes_per_device"
    );
    let flags: Vec<String> = match kind {
        FleetKind::Lorawan(chain) => std::iter::once("--lorawan".to_string())
            .chain(chain.args())
            .collect(),
        FleetKind::Nbiot => vec!["--nbiot".to_string()],
        FleetKind::Plain => Vec::new(),
    };
    for n in sizes {
        for &t in &threads {
            let (n, t) = (n.to_string(), t.to_string());
            let (v, d) = (validators.to_string(), duration_s.to_string());
            let args = ["fleet", "--one", "--devices", &n, "--threads", &t];
            let more = ["--validators", &v, "--duration-s", &d];
            let more: Vec<&str> = more
                .iter()
                .copied()
                .chain(flags.iter().map(String::as_str))
                .collect();
            rerun(
                &args,
                &more,
                &format!("bench fleet: the run with {n} devices at {t} threads"),
            )?;
        }
    }
    Ok(())
}

fn bench_validators(
    protocols: &str,
    sizes: &str,
    duration_s: f64,
    threads: u64,
    one: bool,
) -> Result<(), String> {
    let sizes = whole_list("validators", sizes, 1e6)?;
    if !(duration_s > 0.0 && duration_s.is_finite()) || threads == 0 {
        return Err(format!(
            "bench validators: --duration-s {duration_s} must be > 0, --threads {threads} >= 1"
        ));
    }
    if one {
        let s = unchained::bench::validators_scenario(protocols, sizes[0], duration_s)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads as usize)
            .build()
            .map_err(|e| e.to_string())?;
        let cpu0 = unchained::bench::cpu_seconds().unwrap_or(0.0);
        let started = std::time::Instant::now();
        let (out, votes) = pool.install(|| unchained::bench::run_counting_votes(&s))?;
        let wall = started.elapsed().as_secs_f64();
        let cpu = unchained::bench::cpu_seconds().unwrap_or(0.0) - cpu0;
        let events = out.metric("events").unwrap_or(0.0);
        let rss = unchained::bench::peak_rss_bytes().unwrap_or(0) as f64;
        println!(
            "{protocols}\t{}\t{events:.0}\t{wall:.2}\t{cpu:.2}\t{:.0}\t{:.0}\t{:.0}\t{:.0}",
            sizes[0],
            events / wall,
            events / cpu.max(0.01),
            rss / 1048576.0,
            votes.peak_bytes as f64 / 1024.0,
        );
        return Ok(());
    }
    println!(
        "protocol\tvalidators\tevents\twall_s\tcpu_s\tevents_per_s\tevents_per_cpu_s\tpeak_rss_mib\tvote_state_peak_kib"
    );
    for protocol in protocols.split(',').map(str::trim) {
        unchained::bench::validators_scenario(protocol, 4, duration_s)?;
        for &n in &sizes {
            let (n, d, t) = (n.to_string(), duration_s.to_string(), threads.to_string());
            let args = [
                "validators",
                "--one",
                "--protocols",
                protocol,
                "--validators",
                &n,
            ];
            rerun(
                &args,
                &["--duration-s", &d, "--threads", &t],
                &format!("bench validators: the {protocol} run with {n} validators"),
            )?;
        }
    }
    Ok(())
}

/// Runs `unchained bench` again in a fresh process, so that each row of a scale table has its
/// own peak RSS.
fn rerun(args: &[&str], more: &[&str], what: &str) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let status = std::process::Command::new(&exe)
        .arg("bench")
        .args(args)
        .args(more)
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Where the run's transactions stood at its end, and the validators' backlog over the run
/// (transactions waiting in the mempool and all not yet settled, at the end of each ten
/// windows), on stderr beside the table's line: a backlog that grows with simulated time
/// holds memory that grows with it.
fn stages_line(out: &unchained::metrics::RunOutput) {
    let c = &out.conservation;
    let every = out.timeseries.len().div_ceil(10).max(1);
    let backlog: Vec<String> = out
        .timeseries
        .iter()
        .enumerate()
        .filter(|(i, _)| (i + 1) % every == 0 || i + 1 == out.timeseries.len())
        .map(|(_, r)| format!("{:.0} s {}/{}", r.window_end_s, r.mempool_tx, r.pending_tx))
        .collect();
    let stale = out.blocks.iter().filter(|b| b.stale).count();
    eprintln!(
        "bench fleet: settled {}, pending on device {}, in transit {}, in mempool {}, in block {}; \
         blocks {} ({stale} stale), transactions still listed in blocks {:.0}; \
         mempool/pending at window ends: {}",
        c.settled,
        c.pending_on_device,
        c.pending_in_transit,
        c.pending_in_mempool,
        c.pending_in_block,
        out.blocks.len(),
        out.metric("retained_block_tx").unwrap_or(0.0),
        backlog.join(", ")
    );
}
