//! `yard-sim live`: a scenario on real processes over a real Zenoh network.
//!
//! The launcher opens a Zenoh **router** on loopback (and on `--listen`
//! endpoints, for outside observers), starts `yardmaster serve` and one
//! `agv-agent` process per fleet group (the binaries next to `yard-sim`),
//! all connected to it and sharing one sped-up clock, then feeds the
//! scenario's orders through the orchestrator's Zenoh API at their times.
//! It observes the run from the outside only: every vehicle's `state` on
//! `vda5050/**` (positions, distances, the footprint check) and the
//! orchestrator's events on `yardmaster/{site}/events` (deliveries,
//! fencing, deadlocks), and at the end it asks for every order's status
//! and the fleet's status. The report has the same form as `yard-sim run`'s
//! but is not byte-deterministic: the network and the scheduler are real.
//!
//! The same starts and the same order stream as `yard-sim run` are drawn
//! from the scenario's seed. Faults and the simulated network's settings
//! do not apply (the report's notes say so).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use live::clock::WallClock;
use orchestrator::fleet::{Event, FleetEntry, VehicleStatus};
use orchestrator::mapf::rng::Rng;
use orchestrator::orders::{Millis, OrderRequest, OrderStatus};

use crate::Ms;
use protocol::codec::DecodeLimits;
use protocol::messages::State;
use protocol::topic::{Topic, TopicKey};
use protocol::transport::mqtt::{DEFAULT_INTERFACE, MqttConfig, MqttOrchestratorLink};
use protocol::transport::zenoh::{Mode, ZenohConfig};
use protocol::transport::{FromVehicle, OrchestratorEvent, OrchestratorLink as _};
use zenoh::Wait as _;

use crate::engine::{MANUFACTURER, Outcome, arrivals, starts};
use crate::report::{Frame, Metrics, TracePoint, Travel, overlaps, sha256_hex};
use crate::run_cmd::RunResult;
use crate::scenario::{self, Start};

/// The API's site name in live runs.
const SITE: &str = "live";

/// How to run live.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Speed-up over real time.
    pub speed: f64,
    /// Extra endpoints the router listens on, for outside observers.
    pub listen: Vec<String>,
    /// Scale the scenario's duration.
    pub duration_scale: f64,
    /// Where `yardmaster` and `agv-agent` are.
    pub bin_dir: PathBuf,
    /// Where the processes' logs go (a temporary folder if `None`).
    pub log_dir: Option<PathBuf>,
    /// Show a progress bar.
    pub progress: bool,
}

/// The started processes (name, log file, process) and the launcher's
/// stop flag. Kills them when dropped (the run's own end, or a signal,
/// stops them sooner).
struct Children(Vec<(String, PathBuf, Child)>, std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for Children {
    fn drop(&mut self) {
        for (_, _, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Children {
    /// Starts `command` as `name`, its stderr into `log`. The child dies
    /// with the launcher (`--die-with-parent`, the kernel's parent-death
    /// signal) even if the launcher is killed with SIGKILL; it runs in its
    /// own process group, so that a terminal's Ctrl-C reaches the launcher,
    /// which then stops its children in order.
    fn spawn(&mut self, name: &str, mut command: Command, log: PathBuf) -> anyhow::Result<()> {
        use std::os::unix::process::CommandExt as _;
        let file = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        command.arg("--die-with-parent").process_group(0);
        let child =
            command.stdout(Stdio::null()).stderr(file).spawn().with_context(|| format!("starting {name}"))?;
        self.0.push((name.to_string(), log, child));
        Ok(())
    }

    /// Fails if a process has died, with the last line of its log, or if
    /// the launcher was asked to stop (SIGTERM, SIGINT).
    fn check(&mut self) -> anyhow::Result<()> {
        if self.1.load(std::sync::atomic::Ordering::SeqCst) {
            self.stop();
            bail!("stopped by a signal: the processes were stopped");
        }
        for (name, log, child) in &mut self.0 {
            if let Some(status) = child.try_wait()? {
                let text = std::fs::read_to_string(&*log).unwrap_or_default();
                let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
                bail!("{name} exited early ({status}): {last} (log: {})", log.display());
            }
        }
        Ok(())
    }

    /// Polls `done` every 250 ms for up to `seconds`, failing early if a
    /// process dies.
    fn wait_until(
        &mut self,
        logs: &Path,
        seconds: u64,
        what: &str,
        mut done: impl FnMut() -> bool,
    ) -> anyhow::Result<()> {
        for _ in 0..seconds * 4 {
            self.check()?;
            if done() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        bail!("waited {seconds} s for {what}; the logs are in {}", logs.display())
    }

    /// Asks every process to stop (SIGTERM: agents say OFFLINE, the
    /// orchestrator flushes its store) and waits for them.
    fn stop(&mut self) {
        for (_, _, child) in &mut self.0 {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        }
        for (_, _, child) in &mut self.0 {
            for _ in 0..100 {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// The binary `name` in `dir`.
fn binary(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        bail!(
            "{} is missing: `yard-sim live` runs the binaries built next to it (cargo build --bins)",
            path.display()
        );
    }
    Ok(path)
}

/// One query to the orchestrator's API, waiting for its answer.
fn ask(session: &zenoh::Session, what: &str, body: Vec<u8>) -> anyhow::Result<serde_json::Value> {
    let key = protocol::topic::api_key(SITE, what);
    let replies = session
        .get(&key)
        .payload(body)
        .timeout(Duration::from_secs(10))
        .wait()
        .map_err(|e| anyhow::anyhow!("query {key}: {e}"))?;
    let reply = replies
        .recv_timeout(Duration::from_secs(11))
        .map_err(|e| anyhow::anyhow!("query {key}: {e}"))?
        .with_context(|| format!("no orchestrator answered on {key}"))?;
    match reply.into_result() {
        Ok(sample) => Ok(serde_json::from_slice(&sample.payload().to_bytes())?),
        Err(e) => bail!("{key}: {}", String::from_utf8_lossy(&e.payload().to_bytes())),
    }
}

/// A subscription whose samples queue without bound until drained: the
/// router runs in this process, and a subscriber that blocked when full
/// would stall the whole network under test.
struct Feed {
    _subscriber: zenoh::pubsub::Subscriber<()>,
    samples: std::sync::mpsc::Receiver<(String, Vec<u8>)>,
}

impl Feed {
    fn new(session: &zenoh::Session, key: &str) -> anyhow::Result<Feed> {
        let (tx, samples) = std::sync::mpsc::channel();
        let subscriber = session
            .declare_subscriber(key)
            .callback(move |sample| {
                let _ = tx.send((sample.key_expr().to_string(), sample.payload().to_bytes().to_vec()));
            })
            .wait()
            .map_err(|e| anyhow::anyhow!("subscribing to {key}: {e}"))?;
        Ok(Feed { _subscriber: subscriber, samples })
    }

    /// Everything that arrived since the last call: (key, payload).
    fn drain(&self) -> std::sync::mpsc::TryIter<'_, (String, Vec<u8>)> {
        self.samples.try_iter()
    }
}

/// The last reported pose of a vehicle (and when, simulated ms) and how
/// far and how long it reported driving.
#[derive(Clone, Copy, Default)]
struct Pose {
    x: f64,
    y: f64,
    theta: f64,
    at: Ms,
    known: bool,
    travel: Travel,
}

/// Runs a scenario file live. When it fails without a log folder of its
/// own, the working folder (processes' logs, journal) is kept and named.
pub fn run_live(path: &Path, options: &LiveOptions) -> anyhow::Result<RunResult> {
    let work = tempfile::tempdir().context("creating a working folder")?;
    match run_in(path, options, work.path()) {
        Ok(result) => Ok(result),
        Err(e)
            if options.log_dir.is_none()
                && std::fs::read_dir(work.path()).is_ok_and(|mut d| d.next().is_some()) =>
        {
            let kept = work.keep();
            Err(e.context(format!("the processes' logs are kept in {}", kept.display())))
        }
        Err(e) => Err(e),
    }
}

/// Starts a Mosquitto (Debian's `mosquitto`, on `PATH` or in `/usr/sbin`)
/// on a free loopback port for the run's MQTT fleet groups; its address.
fn start_broker(children: &mut Children, work: &Path, logs: &Path) -> anyhow::Result<String> {
    use std::os::unix::process::CommandExt as _;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mosquitto = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join("mosquitto"))
        .find(|p| p.is_file())
        .context("a fleet group has transport = \"mqtt\": install the broker (apt-get install mosquitto)")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let conf = work.join("mosquitto.conf");
    std::fs::write(&conf, format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"))?;
    let log = logs.join("mosquitto.log");
    let file = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let child = Command::new(mosquitto)
        .args(["-c", &conf.display().to_string()])
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .context("starting mosquitto")?;
    children.0.push(("mosquitto".into(), log, child));
    children.wait_until(logs, 10, "mosquitto to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })?;
    Ok(format!("mqtt://127.0.0.1:{port}"))
}

fn run_in(path: &Path, options: &LiveOptions, work: &Path) -> anyhow::Result<RunResult> {
    let loaded = scenario::load(path)?;
    let sc = &loaded.scenario;
    let layout = layout::load(&loaded.layout_path, layout::LoadOptions::default())
        .with_context(|| format!("{}: loading layout {}", path.display(), loaded.layout_path.display()))?
        .value;
    let duration: Ms = ((sc.duration_s * options.duration_scale).max(1.0) * 1000.0) as Ms;
    anyhow::ensure!(options.speed > 0.0 && options.speed.is_finite(), "--speed must be a positive number");
    // The same draws as `yard-sim run`: starts, then the order stream.
    let mut rng = Rng::new(sc.seed);
    let groups: Vec<(usize, Start)> = sc.fleet.iter().map(|g| (g.count, g.start.clone())).collect();
    let start_nodes = starts(&layout, &groups, &mut rng)?;
    let mut pending = arrivals(sc, &layout, duration, &mut rng)?.into_iter().peekable();

    let grid = layout.grid.is_some();
    let fleet: Vec<FleetEntry> = sc
        .fleet
        .iter()
        .flat_map(|g| {
            let body = crate::vehicles::model(g, grid).body;
            (1..=g.count).map(move |j| FleetEntry {
                manufacturer: Some(g.manufacturer.clone()),
                load_types: g.load_types.clone(),
                length: Some(body.length),
                width: Some(body.width),
                trailers: body.trailers.clone(),
                transport: g.transport,
                ..FleetEntry::new(format!("{}-{j:02}", g.prefix), g.vehicle_type.clone())
            })
        })
        .collect();
    let names: Vec<String> = fleet.iter().map(|e| e.serial.clone()).collect();
    // Live positions come from the vehicles' states: the footprint check
    // sees each vehicle's own body (trailers are not reported over VDA 5050).
    let bodies: Vec<(f64, f64)> =
        fleet.iter().map(|e| (e.length.unwrap_or(1.2), e.width.unwrap_or(0.8))).collect();
    let index: BTreeMap<String, usize> = names.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
    let mut metrics = Metrics::new(sc, &names);
    for f in &sc.faults {
        metrics.note(0, format!("not injected in a live run: {f:?}"));
    }
    for node in &sc.closed_nodes {
        metrics.note(0, format!("not closed in a live run: node {node}"));
    }
    if sc.network != scenario::Network::default() {
        metrics.note(0, "the simulated network's latency and loss do not apply: the network is real".into());
    }

    let logs = options.log_dir.clone().unwrap_or_else(|| work.to_path_buf());
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let fleet_file = work.join("fleet.json");
    std::fs::write(&fleet_file, serde_json::to_vec_pretty(&fleet)?)?;

    // The router everything connects to, on a Unix socket in the working
    // folder: a unique path that only the router binds (no TCP port probed,
    // freed, and bound again).
    let inner = format!("unixsock-stream/{}", work.join("router.sock").display());
    let router = ZenohConfig {
        mode: Mode::Router,
        listen: std::iter::once(inner.clone()).chain(options.listen.iter().cloned()).collect(),
        ..ZenohConfig::default()
    }
    .open()
    .context("opening the Zenoh router")?;
    let event_feed = Feed::new(&router, &protocol::topic::events_key(SITE))?;
    let traffic = Feed::new(&router, &protocol::topic::all_vehicle_keys())?;

    // Fleet groups on MQTT: a broker of the run's own, on loopback.
    let on_mqtt = |g: &scenario::FleetGroup| g.transport == orchestrator::fleet::Transport::Mqtt;
    let mut children = Children(Vec::new(), live::shutdown_flag().context("installing the signal handler")?);
    let broker =
        if sc.fleet.iter().any(on_mqtt) { Some(start_broker(&mut children, work, &logs)?) } else { None };
    let clock = WallClock::new(options.speed, None);
    let origin = clock.origin_ms().to_string();
    let speed = options.speed.to_string();
    let layout_arg = loaded.layout_path.display().to_string();
    let mut serve = Command::new(binary(&options.bin_dir, "yardmaster")?);
    serve
        .args(["serve", "--layout", &layout_arg, "--fleet", &fleet_file.display().to_string()])
        .args(["--db", &work.join("orders.redb").display().to_string()])
        .args(["--manufacturer", MANUFACTURER, "--site", SITE, "--connect", &inner, "--mode", "client"])
        .args([
            "--tick-ms",
            &sc.orchestrator_ms.to_string(),
            "--time-scale",
            &speed,
            "--time-origin-ms",
            &origin,
        ])
        .args(["--journal", &logs.join("yardmaster.journal").display().to_string()]);
    if let Some(url) = &broker {
        serve.args(["--mqtt", url]);
    }
    children.spawn("yardmaster", serve, logs.join("yardmaster.log"))?;
    // The orchestrator's API answers before the vehicles come.
    children.wait_until(&logs, 15, "yardmaster to answer", || ask(&router, "status", Vec::new()).is_ok())?;
    let mut k = 0;
    for g in &sc.fleet {
        let mut cmd = Command::new(binary(&options.bin_dir, "agv-agent")?);
        cmd.args(["--layout", &layout_arg, "--count", &g.count.to_string(), "--serial-prefix", &g.prefix])
            .args(["--manufacturer", &g.manufacturer, "--battery", &g.battery.to_string()]);
        match &broker {
            Some(url) if on_mqtt(g) => cmd.args(["--mqtt", url]),
            _ => cmd.args(["--connect", &inner, "--mode", "peer"]),
        };
        let model = crate::vehicles::model(g, layout.grid.is_some());
        let profile = model.kinematics.profile;
        cmd.args(["--max-speed", &profile.max_speed().to_string()])
            .args(["--acceleration", &profile.acceleration().to_string()])
            .args(["--length", &model.body.length.to_string(), "--width", &model.body.width.to_string()])
            .args(["--state-interval-ms", "1000", "--time-scale", &speed, "--time-origin-ms", &origin]);
        for node in &start_nodes[k..k + g.count] {
            cmd.args(["--start", &layout.node(*node).id]);
        }
        k += g.count;
        children.spawn(
            &format!("agv-agent {}", g.prefix),
            cmd,
            logs.join(format!("agv-agent-{}.log", g.prefix)),
        )?;
    }
    children.wait_until(&logs, 60, "the orchestrator to place every vehicle", || {
        ask(&router, "status", Vec::new())
            .and_then(|v| Ok(serde_json::from_value::<Vec<VehicleStatus>>(v)?))
            .is_ok_and(|list| {
                list.len() == names.len() && list.iter().all(|v| v.node.is_some() && v.fenced.is_none())
            })
    })?;

    // Time zero of the run, on the shared clock.
    let zero = clock.since_origin_ms();
    let sim_now = || clock.since_origin_ms().saturating_sub(zero);
    let origin_ms = clock.origin_ms();
    let bar = if options.progress { ProgressBar::new(duration.max(1)) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{prefix} {bar:30} {msg}")?);
    bar.set_prefix(format!("{} (live)", sc.name));

    let limits = DecodeLimits::default();
    let mut poses = vec![Pose::default(); names.len()];
    // The MQTT vehicles' states, seen on the broker as the orchestrator sees them.
    let mut mqtt_feed = match &broker {
        Some(url) => Some(MqttOrchestratorLink::open(MqttConfig::from_url(
            url,
            DEFAULT_INTERFACE,
            "yard-sim-observer",
        )?)?),
        None => None,
    };
    let mut events: Vec<String> = Vec::new();
    let mut trace = Vec::new();
    let mut accepted_at: BTreeMap<u64, Ms> = BTreeMap::new();
    let mut busy = vec![false; names.len()];
    let mut last_frame: Ms = 0;
    let mut observed = 0u64;
    let mut undecodable = 0u64;
    let mut next_frame: Ms = 0;
    let mut next_status: Ms = 0;
    loop {
        let now = sim_now();
        if now > duration {
            break;
        }
        // Orders that are due: all asked at once, then the answers.
        let mut due = Vec::new();
        while pending.peek().is_some_and(|a| a.0 <= now) {
            let Some((_, _, request)) = pending.next() else { break };
            due.push(request);
        }
        for (request, answer) in submit(&router, due)? {
            match answer {
                Ok(id) => {
                    accepted_at.insert(id, now);
                    metrics.submitted += 1;
                }
                Err(why) => {
                    metrics.refused += 1;
                    metrics.note(now, format!("order {} → {} refused: {why}", request.from, request.to));
                }
            }
        }
        // Every VDA 5050 message; the vehicles' states give their positions.
        let mut states: Vec<State> = Vec::new();
        for (key, payload) in traffic.drain() {
            observed += 1;
            let Ok(key) = TopicKey::parse(&key) else { continue };
            if key.topic != Topic::State {
                continue;
            }
            match protocol::codec::decode::<State>(&key, &payload, &limits) {
                Ok(state) => states.push(state),
                Err(_) => undecodable += 1,
            }
        }
        for event in mqtt_feed.as_mut().map(|f| f.poll()).unwrap_or_default() {
            observed += 1;
            match event {
                OrchestratorEvent::Message { message: FromVehicle::State(state), .. } => states.push(*state),
                OrchestratorEvent::Rejected(_) => undecodable += 1,
                _ => {}
            }
        }
        for state in states {
            let Some(&i) = index.get(&state.header.serial_number) else { continue };
            if let Some(p) = state.agv_position {
                let pose = &mut poses[i];
                if pose.known {
                    pose.travel.add((p.x - pose.x).hypot(p.y - pose.y), now.saturating_sub(pose.at));
                }
                *pose = Pose { x: p.x, y: p.y, theta: p.theta, at: now, known: true, travel: pose.travel };
            }
        }
        // What the orchestrator said.
        for (_, payload) in event_feed.drain() {
            let Ok(mut event) = serde_json::from_slice::<Event>(&payload) else {
                continue;
            };
            event.at = Millis(event.at.as_ms().saturating_sub(origin_ms + zero));
            events.push(serde_json::to_string(&event)?);
            metrics.on_event(&event, &accepted_at);
        }
        if now >= next_status {
            next_status = now / 1000 * 1000 + 1000;
            if let Ok(list) = ask(&router, "status", Vec::new())
                .and_then(|v| Ok(serde_json::from_value::<Vec<VehicleStatus>>(v)?))
            {
                for s in &list {
                    if let Some(&i) = index.get(&s.serial) {
                        busy[i] = s.job != "idle";
                    }
                }
            }
        }
        // A frame every orchestrator tick: the footprint check on reported positions.
        if now >= next_frame {
            let t = now / sc.orchestrator_ms * sc.orchestrator_ms;
            next_frame = t + sc.orchestrator_ms;
            let points: Vec<TracePoint> = names
                .iter()
                .zip(&poses)
                .zip(&bodies)
                .filter(|((_, p), _)| p.known)
                .map(|((n, p), &(length, width))| TracePoint {
                    id: n.as_str().into(),
                    x: p.x,
                    y: p.y,
                    theta: p.theta,
                    length,
                    width,
                    boxes: Vec::new(),
                })
                .collect();
            let frame = Frame { t, vehicles: points };
            metrics.collisions += overlaps(&frame).len() as u64;
            trace.push(frame);
            // The first frame of every ten seconds carries the queue length.
            let sample_at = if t / 10_000 > last_frame / 10_000 || t == 0 { t / 10_000 * 10_000 } else { t };
            last_frame = t;
            let mut queue = Ok(0);
            metrics.sample_fleet(sample_at, &busy, || {
                queue = order_statuses(&router)
                    .map(|all| all.values().filter(|s| **s == OrderStatus::Queued).count() as u64);
                *queue.as_ref().unwrap_or(&0)
            });
            queue?;
            bar.set_position(now);
            bar.set_message(format!("{:.0} s, {} delivered", now as f64 / 1000.0, metrics.delivered));
        }
        children.check()?;
        std::thread::sleep(clock.real(sc.orchestrator_ms / 4).max(Duration::from_millis(1)));
    }
    bar.finish_and_clear();

    // The end: every order's status and the fleet's, then stop the processes.
    let known = order_statuses(&router)?;
    let final_status: Vec<VehicleStatus> = serde_json::from_value(ask(&router, "status", Vec::new())?)?;
    children.stop();
    let travel: Vec<Travel> = poses.iter().map(|p| p.travel).collect();
    metrics.finish_with(duration, final_status, &known, &travel, &accepted_at);
    metrics.messages_sent = observed;
    if undecodable > 0 {
        metrics.note(duration, format!("{undecodable} states did not decode"));
    }
    metrics.evaluate(&sc.expect);
    metrics.seal(&events);
    let report = serde_json::to_string_pretty(&metrics)?;
    let sha256 = sha256_hex(report.as_bytes());
    Ok(RunResult { outcome: Outcome { metrics, events, trace, process: Default::default() }, report, sha256 })
}

/// Submits orders through the API, all queries out before the first
/// answer is awaited: each order with its id, or the orchestrator's
/// refusal. No answer at all is an error (the orchestrator is gone).
fn submit(
    session: &zenoh::Session,
    requests: Vec<OrderRequest>,
) -> anyhow::Result<Vec<(OrderRequest, Result<u64, String>)>> {
    let mut asked = Vec::new();
    for request in requests {
        let replies = session
            .get(protocol::topic::api_key(SITE, "orders/add"))
            .payload(serde_json::to_vec(&request)?)
            .timeout(Duration::from_secs(10))
            .wait()
            .map_err(|e| anyhow::anyhow!("submitting an order: {e}"))?;
        asked.push((request, replies));
    }
    let mut out = Vec::new();
    for (request, replies) in asked {
        let reply = replies
            .recv_timeout(Duration::from_secs(11))
            .ok()
            .flatten()
            .context("the orchestrator did not answer an order submission")?;
        let answer = match reply.into_result() {
            Ok(sample) => {
                let body: serde_json::Value = serde_json::from_slice(&sample.payload().to_bytes())?;
                Ok(body.get("id").and_then(serde_json::Value::as_u64).context("orders/add: no id")?)
            }
            Err(e) => Err(String::from_utf8_lossy(&e.payload().to_bytes()).to_string()),
        };
        out.push((request, answer));
    }
    Ok(out)
}

/// Every order's status, from the orchestrator's `orders` API.
fn order_statuses(session: &zenoh::Session) -> anyhow::Result<BTreeMap<u64, OrderStatus>> {
    #[derive(serde::Deserialize)]
    struct Listed {
        id: u64,
        status: OrderStatus,
    }
    let list: Vec<Listed> = serde_json::from_value(ask(session, "orders", Vec::new())?)?;
    Ok(list.into_iter().map(|o| (o.id, o.status)).collect())
}
