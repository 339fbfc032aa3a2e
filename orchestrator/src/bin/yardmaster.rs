//! `yardmaster`: the orchestrator core as a live process on a Zenoh
//! network, and the command line that talks to it.
//!
//! ```text
//! yardmaster serve --layout maps/car-plant.lif.json --db orders.redb --listen tcp/127.0.0.1:7447 --vehicles 6
//! agv-agent --layout maps/car-plant.lif.json --count 6 --connect tcp/127.0.0.1:7447
//! yardmaster order add --from WH-PICK-A1 --to SM-L01 --connect tcp/127.0.0.1:7447
//! yardmaster order list --connect tcp/127.0.0.1:7447
//! yardmaster status --connect tcp/127.0.0.1:7447
//! ```
//!
//! `serve` wraps the sans-IO core in a loop with the wall clock: Zenoh in,
//! one `step` per tick, Zenoh out; every journal record is committed to
//! the order store (redb) before the order is acknowledged; on SIGINT or
//! SIGTERM it finishes the tick and exits with the store consistent. The
//! API lives under `yardmaster/{site}/`: queries `orders/add` (body: an
//! order request as JSON), `orders/cancel` (`{"id": N}`), `orders` (list)
//! and `status` (vehicles with their jobs and wait reasons); answers are
//! JSON, errors are error replies with `{"error": "..."}`.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use orchestrator::fleet::{FleetEntry, Orchestrator, VehicleSpec};
use orchestrator::orders::OrderRequest;
use orchestrator::replay::Entry;
use orchestrator::store::OrderStore;
use protocol::transport::wall_clock::WallClock;
use protocol::transport::zenoh::{ZenohConfig, ZenohOrchestratorLink};
use protocol::transport::{FromVehicle, OrchestratorEvent, OrchestratorLink as _};
use zenoh::Wait as _;

#[derive(Parser)]
#[command(name = "yardmaster", version, about = "Yardmaster fleet orchestrator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the Zenoh session goes.
#[derive(clap::Args, Clone)]
struct Net {
    /// A Zenoh JSON5 configuration file.
    #[arg(long)]
    zenoh_config: Option<PathBuf>,
    /// Endpoint to listen on, e.g. tcp/127.0.0.1:7447.
    #[arg(long)]
    listen: Vec<String>,
    /// Endpoint to connect to.
    #[arg(long)]
    connect: Vec<String>,
    /// Zenoh mode: peer, or client (of the router it connects to).
    #[arg(long, default_value = "peer")]
    mode: protocol::transport::zenoh::Mode,
    /// Site name in the API's keys.
    #[arg(long, default_value = "site")]
    site: String,
}

impl Net {
    fn config(&self) -> ZenohConfig {
        ZenohConfig {
            config_file: self.zenoh_config.clone(),
            listen: self.listen.clone(),
            connect: self.connect.clone(),
            mode: self.mode,
            ..ZenohConfig::default()
        }
    }

    fn key(&self, what: &str) -> String {
        format!("yardmaster/{}/{what}", self.site)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the orchestrator.
    Serve(ServeArgs),
    /// Transport orders.
    Order {
        #[command(subcommand)]
        command: OrderCommand,
    },
    /// The fleet's status.
    Status {
        #[command(flatten)]
        net: Net,
    },
}

#[derive(Subcommand)]
enum OrderCommand {
    /// Submit an order.
    Add {
        /// Pickup station.
        #[arg(long)]
        from: String,
        /// Drop station.
        #[arg(long)]
        to: String,
        /// Priority (higher first).
        #[arg(long, default_value_t = 0)]
        priority: i32,
        /// Only vehicles of this type.
        #[arg(long)]
        vehicle_type: Option<String>,
        #[command(flatten)]
        net: Net,
    },
    /// Cancel an order.
    Cancel {
        /// Its id.
        id: u64,
        #[command(flatten)]
        net: Net,
    },
    /// List every order.
    List {
        #[command(flatten)]
        net: Net,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The server logs what it does; the client commands only what goes wrong.
    let default = if matches!(cli.command, Command::Serve(_)) { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(&args),
        Command::Order { command } => match command {
            OrderCommand::Add { from, to, priority, vehicle_type, net } => {
                let mut r = OrderRequest::new(from, to);
                r.priority = priority;
                r.vehicle_type = vehicle_type;
                ask(&net, "orders/add", serde_json::to_vec(&r).unwrap_or_default())
            }
            OrderCommand::Cancel { id, net } => {
                ask(&net, "orders/cancel", serde_json::json!({ "id": id }).to_string().into_bytes())
            }
            OrderCommand::List { net } => ask(&net, "orders", Vec::new()),
        },
        Command::Status { net } => ask(&net, "status", Vec::new()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("yardmaster: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Sends one query and prints the answer.
#[expect(clippy::print_stdout, reason = "the CLI's output goes to stdout")]
fn ask(net: &Net, what: &str, body: Vec<u8>) -> anyhow::Result<()> {
    let session = net.config().open().context("opening the Zenoh session")?;
    let replies = session
        .get(net.key(what))
        .payload(body)
        .timeout(Duration::from_secs(5))
        .wait()
        .map_err(|e| anyhow::anyhow!("query {}: {e}", net.key(what)))?;
    let reply = replies
        .recv_timeout(Duration::from_secs(6))
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| {
            format!(
                "no orchestrator answered on {} (is `yardmaster serve` running for site {:?}?)",
                net.key(what),
                net.site
            )
        })?;
    match reply.into_result() {
        Ok(sample) => {
            println!("{}", String::from_utf8_lossy(&sample.payload().to_bytes()));
            Ok(())
        }
        Err(e) => bail!("{}", String::from_utf8_lossy(&e.payload().to_bytes())),
    }
}

/// `serve`'s options.
#[derive(clap::Args)]
struct ServeArgs {
    /// The layout (LIF JSON or MovingAI .map).
    #[arg(long)]
    layout: PathBuf,
    /// The order store (created if missing).
    #[arg(long)]
    db: PathBuf,
    /// Fleet size: vehicles PREFIX-01 … PREFIX-N.
    #[arg(long, default_value_t = 1)]
    vehicles: usize,
    /// Serial number prefix.
    #[arg(long, default_value = "AGV")]
    serial_prefix: String,
    /// The fleet's serial numbers, one by one (instead of --vehicles and --serial-prefix).
    #[arg(long = "vehicle")]
    serials: Vec<String>,
    /// Manufacturer in the vehicles' keys.
    #[arg(long, default_value = "yardmaster")]
    manufacturer: String,
    /// Vehicle type (default: the layout's first, or `default` on grids).
    #[arg(long)]
    vehicle_type: Option<String>,
    /// Tick period, ms.
    #[arg(long, default_value_t = 200)]
    tick_ms: u64,
    /// Stop after this many seconds (default: until SIGINT/SIGTERM).
    #[arg(long)]
    duration: Option<f64>,
    /// Record every input and a digest of every output here (see `yard-sim replay`).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// The fleet as a JSON file, vehicle by vehicle, for mixed fleets:
    /// `[{"serial": "agv-01", "vehicleType": "…", "loadTypes": ["…"]}, …]`
    /// (instead of --vehicles, --vehicle and --vehicle-type).
    #[arg(long)]
    fleet: Option<PathBuf>,
    /// Run this many times faster than real time (emulated fleets only; see `yard-sim live`).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Origin of the sped-up clock, Unix ms (processes that share it share the clock).
    #[arg(long)]
    time_origin_ms: Option<u64>,
    #[command(flatten)]
    net: Net,
}

/// Percentiles of a sample, ms.
fn percentiles(mut sample: Vec<f64>) -> (f64, f64, f64) {
    if sample.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    sample.sort_by(f64::total_cmp);
    let at = |p: f64| sample[((sample.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99), sample[sample.len() - 1])
}

/// The fleet: from `--fleet`, or `--vehicle`/`--vehicles` of one type.
fn fleet_of(args: &ServeArgs, layout: &layout::Layout) -> anyhow::Result<Vec<FleetEntry>> {
    if let Some(path) = &args.fleet {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let fleet: Vec<FleetEntry> = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: expected a JSON list of {{\"serial\", \"vehicleType\", \"loadTypes\"}}",
                path.display()
            )
        })?;
        anyhow::ensure!(!fleet.is_empty(), "{}: the fleet is empty", path.display());
        return Ok(fleet);
    }
    let vehicle_type = args.vehicle_type.clone().unwrap_or_else(|| {
        layout
            .vehicle_types()
            .into_iter()
            .next()
            .unwrap_or_else(|| layout::movingai::GRID_VEHICLE_TYPE.to_string())
    });
    let serials: Vec<String> = if args.serials.is_empty() {
        (1..=args.vehicles).map(|i| format!("{}-{i:02}", args.serial_prefix)).collect()
    } else {
        args.serials.clone()
    };
    Ok(serials
        .into_iter()
        .map(|serial| FleetEntry { serial, vehicle_type: vehicle_type.clone(), load_types: Vec::new() })
        .collect())
}

/// The recording of `--journal`: JSON lines, flushed every tick.
struct Recorder(Option<std::io::BufWriter<std::fs::File>>);

impl Recorder {
    fn write(&mut self, line: &impl serde::Serialize) -> anyhow::Result<()> {
        if let Some(out) = &mut self.0 {
            serde_json::to_writer(&mut *out, line)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(out) = &mut self.0 {
            out.flush()?;
        }
        Ok(())
    }
}

fn error_json(e: impl std::fmt::Display) -> Vec<u8> {
    serde_json::json!({ "error": e.to_string() }).to_string().into_bytes()
}

/// Answers one API request; `Err` is an error reply. Records are durable
/// before the answer (and journaled when recording).
fn answer(
    core: &mut Orchestrator,
    store: &OrderStore,
    recorder: &mut Recorder,
    now: u64,
    what: &str,
    body: &[u8],
) -> anyhow::Result<Result<Vec<u8>, Vec<u8>>> {
    Ok(match what {
        "orders/add" => match serde_json::from_slice::<OrderRequest>(body) {
            Err(e) => Err(error_json(format!("orders/add: the body is not an order request: {e}"))),
            Ok(request) => {
                recorder.write(&Entry::Submit { now, request: request.clone() })?;
                match core.submit(now, request) {
                    Ok(id) => {
                        store.apply(&core.drain_journal())?;
                        Ok(serde_json::json!({ "id": id }).to_string().into_bytes())
                    }
                    Err(e) => Err(error_json(e)),
                }
            }
        },
        "orders/cancel" => {
            match serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64))
            {
                None => Err(error_json("orders/cancel: expected a body {\"id\": N}")),
                Some(id) => {
                    recorder.write(&Entry::Cancel { now, id })?;
                    match core.cancel(now, id) {
                        Ok(()) => {
                            store.apply(&core.drain_journal())?;
                            Ok(serde_json::json!({ "cancelled": id }).to_string().into_bytes())
                        }
                        Err(e) => Err(error_json(e)),
                    }
                }
            }
        }
        "orders" => {
            let list: Vec<serde_json::Value> = core
                .orders()
                .map(|o| serde_json::json!({ "id": o.id, "from": o.request.from, "to": o.request.to, "status": o.status() }))
                .collect();
            Ok(serde_json::to_vec(&list)?)
        }
        "status" => Ok(serde_json::to_vec(&core.vehicles())?),
        other => Err(error_json(format!(
            "unknown request {other:?}; expected orders/add, orders/cancel, orders or status"
        ))),
    })
}

#[expect(clippy::disallowed_methods, reason = "the live process is the clock adapter")]
fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let layout = Arc::new(
        layout::load(&args.layout, layout::LoadOptions::default())
            .with_context(|| format!("loading {}", args.layout.display()))?
            .value,
    );
    let fleet = fleet_of(args, &layout)?;
    let serials: Vec<String> = fleet.iter().map(|e| e.serial.clone()).collect();
    let vehicle_type = fleet.first().map(|e| e.vehicle_type.clone()).unwrap_or_default();
    let mixed = fleet.iter().any(|e| e.vehicle_type != vehicle_type || !e.load_types.is_empty());
    let specs: Vec<VehicleSpec> = fleet.iter().map(|e| e.spec(&args.manufacturer)).collect();
    let config = orchestrator::replay::config_for(&layout);
    let store = OrderStore::open(&args.db)?;
    let stored = store.load()?;
    let n_stored = stored.len();
    let mut core = Orchestrator::new(layout, specs, config)?;
    let mut recorder = Recorder(match &args.journal {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => None,
    });
    let layout_path = std::fs::canonicalize(&args.layout).unwrap_or_else(|_| args.layout.clone());
    recorder.write(&orchestrator::replay::Header {
        journal: "yardmaster".into(),
        version: 1,
        layout: layout_path.display().to_string(),
        manufacturer: args.manufacturer.clone(),
        serials: serials.clone(),
        vehicle_type: vehicle_type.clone(),
        fleet: if mixed { fleet } else { Vec::new() },
    })?;
    let clock = WallClock::new(args.time_scale, args.time_origin_ms);
    let now = clock.now_ms();
    recorder.write(&Entry::Restore { now, orders: stored.clone() })?;
    core.restore(now, stored);
    store.apply(&core.drain_journal())?;
    tracing::info!(orders = n_stored, db = %args.db.display(), "order store opened");

    let session = args.net.config().open().context("opening the Zenoh session")?;
    let mut link = ZenohOrchestratorLink::with_session(session.clone())?;
    // Vehicles watch this token: they learn that a master control is up,
    // and that it went (clean shutdown below, or the process died).
    link.announce(&args.net.site)?;
    let api = session
        .declare_queryable(format!("yardmaster/{}/**", args.net.site))
        .wait()
        .map_err(|e| anyhow::anyhow!("declaring the API: {e}"))?;
    let events = session
        .declare_publisher(args.net.key("events"))
        .wait()
        .map_err(|e| anyhow::anyhow!("declaring the event publisher: {e}"))?;
    tracing::info!(site = %args.net.site, vehicles = serials.len(), vehicle_type = %vehicle_type, "serving");

    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("installing the signal handler")?;
    let started = Instant::now();
    let deadline = args.duration.map(|s| started + Duration::from_secs_f64(s));
    let tick = clock.real(args.tick_ms.max(1));
    let mut next = Instant::now();
    let mut inbound = Vec::new();
    let mut ticks: u64 = 0;
    let mut slow: Vec<f64> = Vec::new();
    // Message latency: a state's arrival here against its header's
    // timestamp (meaningful with synchronised clocks: same host, or NTP).
    let mut latency: Vec<f64> = Vec::new();
    let (mut all_ticks, mut all_latency) = (Vec::new(), Vec::new());
    while !stop.load(Ordering::SeqCst) && deadline.is_none_or(|d| Instant::now() < d) {
        let wait = next.saturating_duration_since(Instant::now());
        let arrived = link.poll_timeout(wait);
        let at = clock.now_ms() as f64;
        for e in &arrived {
            if let OrchestratorEvent::Message { message: FromVehicle::State(state), .. } = e {
                latency.push((at - state.header.timestamp.unix_millis() as f64) / clock.scale());
            }
        }
        inbound.extend(arrived);
        if Instant::now() < next {
            continue;
        }
        next += tick;
        let now = clock.now_ms();
        // API requests, answered after their records are durable.
        while let Ok(Some(query)) = api.try_recv() {
            let what = query
                .key_expr()
                .as_str()
                .rsplit_once(&format!("yardmaster/{}/", args.net.site))
                .map_or("", |p| p.1)
                .to_string();
            let body = query.payload().map(|p| p.to_bytes().to_vec()).unwrap_or_default();
            let answer = answer(&mut core, &store, &mut recorder, now, &what, &body)?;
            let key = query.key_expr().clone();
            let sent = match answer {
                Ok(body) => query.reply(key, body).wait(),
                Err(body) => query.reply_err(body).wait(),
            };
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not answer a request");
            }
        }
        let t0 = Instant::now();
        let recorded: Vec<orchestrator::replay::Inbound> = if recorder.0.is_some() {
            inbound.iter().map(orchestrator::replay::record).collect()
        } else {
            Vec::new()
        };
        let out = core.step(now, std::mem::take(&mut inbound));
        slow.push(t0.elapsed().as_secs_f64() * 1000.0);
        if recorder.0.is_some() {
            recorder.write(&Entry::Step {
                now,
                inbound: recorded,
                out: orchestrator::replay::digest(&out),
            })?;
            recorder.flush()?;
        }
        ticks += 1;
        store.apply(&out.journal)?;
        for e in &out.events {
            let json = serde_json::to_string(e).unwrap_or_default();
            tracing::info!(target: "yardmaster::events", "{json}");
            if let Err(err) = events.put(json).wait() {
                tracing::warn!(error = %err, "could not publish an event");
            }
        }
        for (vehicle, message) in &out.messages {
            if let Err(e) = link.send(vehicle, message) {
                tracing::warn!(vehicle = %vehicle, error = %e, "send failed");
            }
        }
        if ticks.is_multiple_of(300) {
            let (_, p99, _) = percentiles(slow.clone());
            let (_, latency_p99, _) = percentiles(latency.clone());
            tracing::info!(
                ticks,
                tick_p99_ms = format!("{p99:.2}"),
                states = latency.len(),
                state_latency_p99_ms = format!("{latency_p99:.2}"),
                "the last 300 ticks"
            );
            all_ticks.append(&mut slow);
            all_latency.append(&mut latency);
        }
    }
    all_ticks.append(&mut slow);
    all_latency.append(&mut latency);
    // Every accepted order is committed (each tick's journal was applied
    // before the next); now tell the vehicles that the master control goes.
    if let Err(e) = link.retire() {
        tracing::warn!(error = %e, "could not withdraw the master control's presence");
    }
    std::thread::sleep(protocol::transport::zenoh::GOODBYE_GRACE);
    let (tick_p50, tick_p99, tick_max) = percentiles(all_ticks);
    let states = all_latency.len();
    let (lat_p50, lat_p99, lat_max) = percentiles(all_latency);
    tracing::info!(
        ticks,
        tick_p50_ms = format!("{tick_p50:.2}"),
        tick_p99_ms = format!("{tick_p99:.2}"),
        tick_max_ms = format!("{tick_max:.2}"),
        states,
        state_latency_p50_ms = format!("{lat_p50:.2}"),
        state_latency_p99_ms = format!("{lat_p99:.2}"),
        state_latency_max_ms = format!("{lat_max:.2}"),
        "stopping: every accepted order is in the store"
    );
    std::io::stderr().flush().ok();
    Ok(())
}
