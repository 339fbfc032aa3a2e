//! `yardmaster`: the orchestrator core as a live process on a Zenoh
//! network, and the command line that talks to it.
//!
//! ```text
//! yardmaster serve --layout maps/car-plant.lif.json --db orders.redb --listen tcp/127.0.0.1:7447 --vehicles 6
//! agv-agent --layout maps/car-plant.lif.json --count 6 --connect tcp/127.0.0.1:7447
//! yardmaster order add --from WH-PICK-A1 --to SM-L01 --connect tcp/127.0.0.1:7447
//! yardmaster order list --connect tcp/127.0.0.1:7447
//! yardmaster status --connect tcp/127.0.0.1:7447
//! yardmaster node close N17 --reason "spill" --connect tcp/127.0.0.1:7447
//! ```
//!
//! `serve` wraps the sans-IO core in a loop with the wall clock: Zenoh in,
//! one `step` per tick with every input that arrived (vehicle messages,
//! then the API's commands, then the tick), Zenoh out; every store record
//! is committed to the order store (redb) before a command is answered;
//! on SIGINT or SIGTERM it finishes the tick and exits with the store
//! consistent. The API lives under `yardmaster/{site}/`: queries
//! `orders/add` (body: an order request as JSON), `orders/cancel`
//! (`{"id": N}`), `orders/get` (`{"id": N}`, live or finished), `orders`
//! (live orders and the latest finished ones), `places/close`
//! (`{"node": "N1", "reason": "…"}` or `{"edge": …}`), `places/open`,
//! `places` (closed places) and `status` (vehicles with their jobs and
//! wait reasons); answers are JSON, errors are error replies with
//! `{"error": "..."}`.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use live::clock::WallClock;
use orchestrator::fleet::Outbound;
use orchestrator::fleet::{FleetEntry, Orchestrator, VehicleSpec};
use orchestrator::input::Input;
use orchestrator::orders::{Millis, OrderRequest};
use orchestrator::replay::{Header, Step};
use protocol::transport::mqtt::MqttOrchestratorLink;
use protocol::transport::zenoh::{ZenohConfig, ZenohOrchestratorLink};
use protocol::transport::{FromVehicle, OrchestratorEvent, OrchestratorLink as _, ToVehicle, VehicleId};
use yardmaster::http::bridge::{Answers, Batch};
use yardmaster::journal::Journal;
use yardmaster::store::OrderStore;
use zenoh::Wait as _;

mod figures;
mod network;

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
        protocol::topic::api_key(&self.site, what)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the orchestrator.
    Serve(Box<ServeArgs>),
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
    /// Close or reopen a node to traffic.
    Node {
        #[command(subcommand)]
        command: PlaceCommand,
    },
    /// Close or reopen an edge to traffic.
    Edge {
        #[command(subcommand)]
        command: PlaceCommand,
    },
    /// Write a secured site network from the fleet file: a CA for trials and
    /// a certificate per identity, the Zenoh router's configuration (TLS,
    /// mutual authentication, access control) and every client's, and the
    /// Mosquitto broker's configuration and ACL.
    Secure(network::SecureArgs),
    /// Run a Zenoh router (the one `secure` configures).
    Router(network::RouterArgs),
}

#[derive(Subcommand)]
enum PlaceCommand {
    /// Close it: no new release enters it and routes avoid it; vehicles
    /// already released there finish. Durable: it stays closed across restarts.
    Close {
        /// Its id in the layout.
        id: String,
        /// Why (shown to operators).
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        net: Net,
    },
    /// Reopen it.
    Open {
        /// Its id in the layout.
        id: String,
        #[command(flatten)]
        net: Net,
    },
    /// List the closed nodes and edges.
    List {
        #[command(flatten)]
        net: Net,
    },
}

impl PlaceCommand {
    fn ask(self, kind: &str) -> anyhow::Result<()> {
        match self {
            PlaceCommand::Close { id, reason, net } => ask(
                &net,
                "places/close",
                serde_json::json!({ kind: id, "reason": reason }).to_string().into_bytes(),
            ),
            PlaceCommand::Open { id, net } => {
                ask(&net, "places/open", serde_json::json!({ kind: id }).to_string().into_bytes())
            }
            PlaceCommand::List { net } => ask(&net, "places", Vec::new()),
        }
    }
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
        /// Stops between pickup and drop, in order (a milk run); repeat or comma-separate.
        #[arg(long, value_delimiter = ',')]
        via: Vec<String>,
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
    live::init_logging(match cli.command {
        Command::Serve(_) | Command::Router(_) | Command::Secure(_) => "info",
        _ => "warn",
    });
    let result = match cli.command {
        Command::Serve(args) => serve(&args),
        Command::Order { command } => match command {
            OrderCommand::Add { from, to, via, priority, vehicle_type, net } => {
                let mut r = OrderRequest::new(from, to);
                r.via = via;
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
        Command::Node { command } => command.ask("node"),
        Command::Edge { command } => command.ask("edge"),
        Command::Secure(args) => network::secure(&args),
        Command::Router(args) => network::router(&args),
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
    /// Record every input and a digest of every output here (see
    /// `yard-sim replay`); appended to across restarts.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Rotate the journal when it reaches this size, MB.
    #[arg(long, default_value_t = 256)]
    journal_max_mb: u64,
    /// Rotated journal files kept (FILE.1 … FILE.N).
    #[arg(long, default_value_t = 8)]
    journal_keep: usize,
    /// Finished orders stay queryable in the store this long, hours.
    #[arg(long, default_value_t = 168.0)]
    retention_hours: f64,
    /// Die when the parent process dies (Linux; launchers such as
    /// `yard-sim live` set it so that no child outlives them).
    #[arg(long)]
    die_with_parent: bool,
    /// The fleet as a JSON file, vehicle by vehicle, for mixed fleets:
    /// `[{"serial": "agv-01", "vehicleType": "…", "loadTypes": ["…"], "transport": "mqtt"}, …]`
    /// (instead of --vehicles, --vehicle and --vehicle-type).
    #[arg(long)]
    fleet: Option<PathBuf>,
    /// Run this many times faster than real time (emulated fleets only; see `yard-sim live`).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Origin of the sped-up clock, Unix ms (processes that share it share the clock).
    #[arg(long)]
    time_origin_ms: Option<u64>,
    /// Drive the fleet file's `"transport": "mqtt"` vehicles through a
    /// VDA 5050 broker (the others stay on Zenoh).
    #[command(flatten)]
    mqtt: live::mqtt::MqttArgs,
    /// Serve the HTTP API and the dashboard here, e.g. 127.0.0.1:8080 (needs --tokens).
    #[arg(long)]
    http: Option<std::net::SocketAddr>,
    /// The HTTP API's bearer tokens: a JSON list of
    /// `{"token": "…", "role": "viewer"|"operator"|"admin"}`.
    #[arg(long)]
    tokens: Option<PathBuf>,
    #[command(flatten)]
    net: Net,
}

/// The fleet: from `--fleet`, or `--vehicle`/`--vehicles` of one type.
fn fleet_of(args: &ServeArgs, layout: &layout::Layout) -> anyhow::Result<Vec<FleetEntry>> {
    if let Some(path) = &args.fleet {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let fleet: Vec<FleetEntry> = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: expected a JSON list of {{\"serial\", \"vehicleType\", \"manufacturer\"?, \"loadTypes\"?, \"transport\"?: \"zenoh\"|\"mqtt\"}}",
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
    Ok(serials.into_iter().map(|serial| FleetEntry::new(serial, vehicle_type.clone())).collect())
}

/// A command from the API waiting for the core's reply.
struct Pending {
    query: zenoh::query::Query,
    /// Its index in the step's inputs.
    at: usize,
}

/// Answers a query that does not change the core.
fn query_answer(
    core: &Orchestrator,
    store: &OrderStore,
    request: &yardmaster::api::Request,
) -> anyhow::Result<Result<Vec<u8>, Vec<u8>>> {
    use yardmaster::api::Request;
    let order_json = |id: u64, request: &OrderRequest, status: &orchestrator::orders::OrderStatus| serde_json::json!({ "id": id, "from": request.from, "to": request.to, "status": status });
    Ok(match request {
        Request::Orders => {
            let mut list: Vec<serde_json::Value> =
                core.orders().map(|o| order_json(o.id, &o.request, o.status())).collect();
            let live: std::collections::BTreeSet<u64> = core.orders().map(|o| o.id).collect();
            for o in store.finished(0.., FINISHED_LISTED)? {
                if !live.contains(&o.id)
                    && let Some((_, status)) = o.history.last()
                {
                    list.push(order_json(o.id, &o.request, status));
                }
            }
            list.sort_by_key(|v| v["id"].as_u64());
            Ok(serde_json::to_vec(&list)?)
        }
        Request::Order(id) => match store.order(*id)? {
            Some(o) => Ok(serde_json::to_vec(&o)?),
            None => Err(yardmaster::api::error_json(format!("no order {id}"))),
        },
        Request::Places => Ok(serde_json::to_vec(&core.closed())?),
        Request::Status => Ok(serde_json::to_vec(&core.vehicles())?),
        Request::Command(_) => Err(yardmaster::api::error_json("a command is not a query")),
    })
}

/// Finished orders `orders` lists from the store (the oldest ids first).
const FINISHED_LISTED: usize = 10_000;

/// The store prunes finished orders past the retention this often, ms.
const PRUNE_EVERY_MS: u64 = 600_000;

#[expect(clippy::disallowed_methods, reason = "the live process is the clock adapter")]
fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    if args.die_with_parent {
        live::die_with_parent().context("--die-with-parent")?;
    }
    let layout_bytes =
        std::fs::read(&args.layout).with_context(|| format!("reading {}", args.layout.display()))?;
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
    let on_mqtt: std::collections::BTreeSet<VehicleId> = fleet
        .iter()
        .filter(|e| e.transport == orchestrator::fleet::Transport::Mqtt)
        .map(|e| VehicleId::new(e.manufacturer.as_deref().unwrap_or(&args.manufacturer), &e.serial))
        .collect();
    let config = orchestrator::replay::config_for(&layout);
    let store = Arc::new(OrderStore::open(&args.db)?);
    let stored = store.load()?;
    let (n_stored, n_closed) = (stored.orders.len(), stored.closed.len());
    let mut core = Orchestrator::new(layout, specs, config)?;
    let layout_path = std::fs::canonicalize(&args.layout).unwrap_or_else(|_| args.layout.clone());
    let header = Header {
        journal: "yardmaster".into(),
        version: orchestrator::replay::VERSION,
        layout: layout_path.display().to_string(),
        layout_sha256: orchestrator::replay::layout_digest(&layout_bytes),
        continues: false,
        manufacturer: args.manufacturer.clone(),
        serials: serials.clone(),
        vehicle_type: vehicle_type.clone(),
        fleet: if mixed { fleet } else { Vec::new() },
    };
    let mut journal = match &args.journal {
        Some(path) => Some(Journal::open(path, header, args.journal_max_mb.max(1) << 20, args.journal_keep)?),
        None => None,
    };
    let clock = WallClock::new(args.time_scale, args.time_origin_ms);
    // Steps the core and journals the step; the caller commits the
    // records before anything is answered or sent.
    let mut run = |core: &mut Orchestrator, now: u64, inputs: Vec<Input>| -> anyhow::Result<_> {
        let recorded = journal.as_ref().map(|_| inputs.clone());
        let now = Millis(now);
        let out = core.step(now, inputs);
        if let (Some(journal), Some(inputs)) = (journal.as_mut(), recorded) {
            journal.record(&Step { now, inputs, out: orchestrator::replay::digest(&out) })?;
        }
        Ok(out)
    };
    let restored = run(&mut core, clock.now_ms(), vec![stored.into_input()])?;
    store.apply(&restored.records)?;
    tracing::info!(orders = n_stored, closed = n_closed, db = %args.db.display(), "order store opened");

    let session = args.net.config().open().context("opening the Zenoh session")?;
    let zenoh = ZenohOrchestratorLink::with_session(session.clone())?;
    let client_id = format!("yardmaster-{}", args.net.site);
    let mqtt = match args.mqtt.config(&client_id).context("--mqtt")? {
        Some(config) => {
            let tls = config.tls.is_some();
            tracing::info!(broker = %format!("{}:{}", config.host, config.port), tls, vehicles = on_mqtt.len(), "VDA 5050 over MQTT");
            Some(MqttOrchestratorLink::open(config)?)
        }
        None if !on_mqtt.is_empty() => {
            bail!("the fleet puts {} vehicles on MQTT: give --mqtt mqtt://HOST:PORT", on_mqtt.len())
        }
        None => None,
    };
    let mut link = Links { zenoh, mqtt, on_mqtt };
    // Vehicles watch this token: they learn that a master control is up,
    // and that it went (clean shutdown below, or the process died).
    link.zenoh.announce(&args.net.site)?;
    let api = session
        .declare_queryable(protocol::topic::api_keys(&args.net.site))
        .wait()
        .map_err(|e| anyhow::anyhow!("declaring the API: {e}"))?;
    let events = session
        .declare_publisher(protocol::topic::events_key(&args.net.site))
        .wait()
        .map_err(|e| anyhow::anyhow!("declaring the event publisher: {e}"))?;
    tracing::info!(site = %args.net.site, vehicles = serials.len(), vehicle_type = %vehicle_type, "serving");
    let mut http = match args.http {
        Some(addr) => {
            let tokens = args.tokens.as_ref().context("--http needs --tokens FILE (who may use the API)")?;
            let tokens = yardmaster::http::auth::Tokens::load(tokens)?;
            Some(yardmaster::http::Server::start(yardmaster::http::Options {
                addr,
                tokens,
                store: store.clone(),
                layout: Arc::new(core.layout().clone()),
                tick_ms: args.tick_ms.max(1),
            })?)
        }
        None => None,
    };
    let mut board = Board::default();

    let stop = live::shutdown_flag().context("installing the signal handler")?;
    let started = Instant::now();
    let deadline = args.duration.map(|s| started + Duration::from_secs_f64(s));
    let tick = clock.real(args.tick_ms.max(1));
    let mut next = Instant::now();
    let mut inbound = Vec::new();
    let mut figures = figures::Figures::new();
    let retention_ms = (args.retention_hours.max(0.0) * 3_600_000.0) as u64;
    let mut pruned_at = clock.now_ms();
    while !stop.load(Ordering::SeqCst) && deadline.is_none_or(|d| Instant::now() < d) {
        let wait = next.saturating_duration_since(Instant::now());
        // With the HTTP API, look at its commands every HTTP_POLL: they are
        // stepped and committed at once, not at the next tick.
        let arrived = link.poll_timeout(if http.is_some() { wait.min(HTTP_POLL) } else { wait });
        let at = clock.now_ms() as f64;
        for e in &arrived {
            // State latency: arrival here against the header's timestamp
            // (meaningful with synchronised clocks: same host, or NTP).
            if let OrchestratorEvent::Message { message: FromVehicle::State(state), .. } = e {
                let ms = (at - state.header.timestamp.unix_millis() as f64) / clock.scale();
                figures.latency(ms);
                if let Some(server) = &http {
                    server.metrics().latency(ms);
                }
            }
        }
        inbound.extend(arrived);
        let mut batch = match &http {
            Some(server) => Batch::drain(server.inbox(), &store)?,
            None => Batch::default(),
        };
        if Instant::now() < next {
            if !batch.is_empty() {
                // Commands between ticks: one step of them alone, one commit.
                let now = clock.now_ms();
                let inputs = batch.inputs();
                let out = run(&mut core, now, inputs.clone())?;
                let answers = batch.answers(&inputs, &out.replies, Millis(now));
                commit(&store, &out, answers, || refresh_closed(http.as_ref(), &core))?;
                dispatch(&out, &mut link, &events, http.as_ref(), &mut board);
            }
            continue;
        }
        next += tick;
        let now = clock.now_ms();
        let mut inputs: Vec<Input> = std::mem::take(&mut inbound).into_iter().map(Input::Vehicle).collect();
        // API requests: queries answered at once; commands join this
        // tick's inputs and are answered once their records are durable.
        let mut pending = Vec::new();
        while let Ok(Some(query)) = api.try_recv() {
            let key = query.key_expr().as_str().to_string();
            let what = protocol::topic::parse_api_key(&args.net.site, &key).unwrap_or("");
            let body = query.payload().map(|p| p.to_bytes().to_vec()).unwrap_or_default();
            let answer = match yardmaster::api::parse(what, &body) {
                Err(e) => Err(yardmaster::api::error_json(e)),
                Ok(yardmaster::api::Request::Command(input)) => {
                    pending.push(Pending { query, at: inputs.len() });
                    inputs.push(*input);
                    continue;
                }
                Ok(request) => query_answer(&core, &store, &request)?,
            };
            reply(&query, answer);
        }
        let offset = inputs.len();
        inputs.extend(batch.inputs());
        let from_http: Vec<Input> = inputs[offset..].to_vec();
        inputs.push(Input::Tick);
        let t0 = Instant::now();
        let commands: Vec<Input> = pending.iter().map(|p| inputs[p.at].clone()).collect();
        let out = run(&mut core, now, inputs)?;
        let tick_ms = t0.elapsed().as_secs_f64() * 1000.0;
        // Durable before anything is answered or sent.
        let replies = out.replies.get(offset..offset + from_http.len()).unwrap_or_default();
        commit(&store, &out, batch.answers(&from_http, replies, Millis(now)), || {
            refresh_closed(http.as_ref(), &core);
        })?;
        if let Some((ticks, latency)) = figures.tick(tick_ms) {
            tracing::info!(
                ticks = figures.ticks(),
                tick_p99_ms = format!("{:.2}", ticks.p99),
                states = latency.count,
                state_latency_p99_ms = format!("{:.2}", latency.p99),
                "the last {} ticks",
                figures::Figures::WINDOW
            );
        }
        for (p, input) in pending.iter().zip(&commands) {
            let answer = match out.replies.get(p.at) {
                Some(r) => yardmaster::api::answer(input, r),
                None => Err(yardmaster::api::error_json("internal: no reply")),
            };
            reply(&p.query, answer);
        }
        dispatch(&out, &mut link, &events, http.as_ref(), &mut board);
        if let Some(server) = &http {
            server.metrics().tick(tick_ms);
            board.tick_ms = tick_ms;
            board.publish(server, &core, Millis(now));
        }
        if now >= pruned_at + PRUNE_EVERY_MS {
            pruned_at = now;
            let gone = store.prune(Millis(now.saturating_sub(retention_ms)))?;
            if gone > 0 {
                tracing::info!(orders = gone, "finished orders past the retention pruned from the store");
            }
        }
    }
    // Every accepted order is committed (each tick's records were applied
    // before the next); now tell the vehicles that the master control goes.
    if let Some(server) = http.as_mut() {
        server.stop();
    }
    if let Some(mqtt) = link.mqtt.take() {
        mqtt.close();
    }
    if let Err(e) = link.zenoh.retire() {
        tracing::warn!(error = %e, "could not withdraw the master control's presence");
    }
    std::thread::sleep(protocol::transport::zenoh::GOODBYE_GRACE);
    let (ticks, latency) = figures.total();
    tracing::info!(
        ticks = figures.ticks(),
        tick_p50_ms = format!("{:.2}", ticks.p50),
        tick_p99_ms = format!("{:.2}", ticks.p99),
        tick_max_ms = format!("{:.2}", ticks.max),
        states = latency.count,
        state_latency_p50_ms = format!("{:.2}", latency.p50),
        state_latency_p99_ms = format!("{:.2}", latency.p99),
        state_latency_max_ms = format!("{:.2}", latency.max),
        "stopping: every accepted order is in the store"
    );
    std::io::stderr().flush().ok();
    Ok(())
}

/// How often the loop looks for HTTP commands between ticks.
const HTTP_POLL: Duration = Duration::from_millis(2);

/// Commits a step's records and the idempotency keys its HTTP commands
/// used, then answers them (or tells them the commit failed).
fn commit(
    store: &OrderStore,
    out: &Outbound,
    answers: Answers,
    before_answering: impl FnOnce(),
) -> anyhow::Result<()> {
    match store.apply_remembering(&out.records, &answers.remember) {
        Ok(()) => {
            // What the answered commands changed is visible to the
            // requester's next read (read-your-writes).
            before_answering();
            answers.send();
            Ok(())
        }
        Err(e) => {
            answers.fail("the order store failed; nothing of this request was kept");
            Err(e.into())
        }
    }
}

/// The API's list of closed places, as the core has them now.
fn refresh_closed(http: Option<&yardmaster::http::Server>, core: &Orchestrator) {
    if let Some(server) = http {
        server.refresh_closed(core.closed());
    }
}

/// Sends a step's messages to the vehicles and its events to Zenoh, the
/// log and the HTTP event stream.
fn dispatch(
    out: &Outbound,
    link: &mut Links,
    events: &zenoh::pubsub::Publisher<'_>,
    http: Option<&yardmaster::http::Server>,
    board: &mut Board,
) {
    for e in &out.events {
        let json = serde_json::to_string(e).unwrap_or_default();
        tracing::info!(target: "yardmaster::events", "{json}");
        if let Err(err) = events.put(json.clone()).wait() {
            tracing::warn!(error = %err, "could not publish an event");
        }
        if let Some(server) = http {
            server.event(&json);
        }
    }
    for record in &out.records {
        if let orchestrator::records::StoreRecord::Status { status, .. } = record
            && status.is_terminal()
        {
            match status {
                orchestrator::orders::OrderStatus::Delivered => board.delivered += 1,
                orchestrator::orders::OrderStatus::Failed { .. } => board.failed += 1,
                _ => {}
            }
            if let Some(server) = http {
                server.metrics().finished(status.name());
            }
        }
    }
    for (vehicle, message) in &out.messages {
        if let Err(e) = link.send(vehicle, message) {
            tracing::warn!(vehicle = %vehicle, error = %e, "send failed");
        }
    }
}

/// What the loop keeps for the HTTP API between ticks: counts since the
/// start and where vehicles waited.
#[derive(Default)]
struct Board {
    delivered: u64,
    failed: u64,
    tick_ms: f64,
    congestion: std::collections::BTreeMap<String, u64>,
}

impl Board {
    /// The tick's picture to the HTTP side.
    fn publish(&mut self, server: &yardmaster::http::Server, core: &Orchestrator, now: Millis) {
        let vehicles = core.vehicles();
        for v in &vehicles {
            if v.waiting.is_some()
                && v.job != "idle"
                && let Some(node) = &v.node
            {
                *self.congestion.entry(node.clone()).or_default() += 1;
            }
        }
        let mut by_state = std::collections::BTreeMap::<&'static str, i64>::new();
        let mut live = 0;
        for o in core.orders() {
            if !o.status().is_terminal() {
                live += 1;
                *by_state.entry(o.status().name()).or_default() += 1;
            }
        }
        server.metrics().orders(&by_state);
        let stats = yardmaster::http::Stats {
            queued: by_state.get("queued").copied().unwrap_or(0) as usize,
            live,
            delivered: self.delivered,
            failed: self.failed,
            tick_ms: (self.tick_ms * 1000.0).round() / 1000.0,
        };
        let snapshot = yardmaster::http::Snapshot {
            at: now,
            vehicles,
            closed: core.closed(),
            congestion: self.congestion.clone(),
        };
        server.publish(snapshot, stats);
    }
}

/// The links to the vehicles: Zenoh, and MQTT for the fleet file's
/// `"transport": "mqtt"` vehicles. Each vehicle is heard only on its own
/// transport: a message in its name on the other one is dropped.
struct Links {
    zenoh: ZenohOrchestratorLink,
    mqtt: Option<MqttOrchestratorLink>,
    on_mqtt: std::collections::BTreeSet<VehicleId>,
}

impl Links {
    fn poll_timeout(&mut self, wait: Duration) -> Vec<OrchestratorEvent> {
        let on_mqtt = &self.on_mqtt;
        let vehicle_of = |e: &OrchestratorEvent| match e {
            OrchestratorEvent::Message { vehicle, .. } | OrchestratorEvent::Presence { vehicle, .. } => {
                Some(vehicle.clone())
            }
            OrchestratorEvent::Rejected(_) => None,
        };
        let mut arrived: Vec<OrchestratorEvent> = self
            .zenoh
            .poll_timeout(wait)
            .into_iter()
            .filter(|e| vehicle_of(e).is_none_or(|v| !on_mqtt.contains(&v)))
            .collect();
        if let Some(mqtt) = &mut self.mqtt {
            arrived.extend(
                mqtt.poll().into_iter().filter(|e| vehicle_of(e).is_none_or(|v| on_mqtt.contains(&v))),
            );
        }
        arrived
    }

    fn send(
        &mut self,
        vehicle: &VehicleId,
        message: &ToVehicle,
    ) -> Result<(), protocol::transport::TransportError> {
        match &mut self.mqtt {
            Some(mqtt) if self.on_mqtt.contains(vehicle) => mqtt.send(vehicle, message),
            _ => self.zenoh.send(vehicle, message),
        }
    }
}

fn reply(query: &zenoh::query::Query, answer: Result<Vec<u8>, Vec<u8>>) {
    let sent = match answer {
        Ok(body) => query.reply(query.key_expr().clone(), body).wait(),
        Err(body) => query.reply_err(body).wait(),
    };
    if let Err(e) = sent {
        tracing::warn!(error = %e, "could not answer a request");
    }
}
