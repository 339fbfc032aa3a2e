//! `agv-agent`: run emulated vehicles on a layout, each a VDA 5050 agent
//! talking to a master control over Zenoh.
//!
//! ```text
//! agv-agent --layout maps/car-plant.lif.json --count 5 --connect tcp/127.0.0.1:7447
//! ```
//!
//! Vehicles start on parking and charging stations (then other nodes),
//! say ONLINE, follow the orders they get, and say OFFLINE on Ctrl-C or
//! when `--duration` ends.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use agv_agent::agent::{Agent, AgentConfig, AgentInput, Millis};
use agv_agent::emulated::{self, EmulatedConfig, EmulatedVehicle};
use agv_agent::runner;
use anyhow::Context as _;
use clap::Parser;
use layout::StationKind;
use live::clock::WallClock;
use protocol::messages::{AgvPosition, Node};
use protocol::transport::mqtt::MqttAgentLink;
use protocol::transport::zenoh::{ZenohAgentLink, ZenohConfig};
use protocol::transport::{AgentLink, VehicleId};

#[derive(Parser)]
#[command(name = "agv-agent", version, about = "Emulated VDA 5050 vehicles over Zenoh or MQTT")]
struct Cli {
    /// The layout the vehicles drive on (LIF JSON or MovingAI .map).
    #[arg(long)]
    layout: PathBuf,
    /// How many vehicles.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Manufacturer in the vehicles' keys.
    #[arg(long, default_value = "yardmaster")]
    manufacturer: String,
    /// Serial numbers are PREFIX-01, PREFIX-02, ...
    #[arg(long, default_value = "AGV")]
    serial_prefix: String,
    /// The vehicles' serial numbers, one by one (instead of --count and
    /// --serial-prefix; on a secured network each vehicle runs its own
    /// agent with its own certificate).
    #[arg(long = "serial")]
    serials: Vec<String>,
    /// A Zenoh JSON5 configuration file.
    #[arg(long)]
    zenoh_config: Option<PathBuf>,
    /// Endpoint to connect to, e.g. tcp/127.0.0.1:7447.
    #[arg(long)]
    connect: Vec<String>,
    /// Endpoint to listen on.
    #[arg(long)]
    listen: Vec<String>,
    /// Zenoh mode: peer, or client (of the router it connects to).
    #[arg(long, default_value = "peer")]
    mode: protocol::transport::zenoh::Mode,
    /// Start nodes, in order (default: parking, then charging stations, then any node).
    #[arg(long = "start")]
    starts: Vec<String>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    duration: Option<f64>,
    /// Die when the parent process dies (Linux; launchers such as
    /// `yard-sim live` set it so that no child outlives them).
    #[arg(long)]
    die_with_parent: bool,
    /// Step length, ms.
    #[arg(long, default_value_t = 100)]
    step_ms: u64,
    /// Top speed of the emulated vehicles, m/s.
    #[arg(long, default_value_t = 1.5)]
    max_speed: f64,
    /// Acceleration (and braking) of the emulated vehicles, m/s².
    #[arg(long, default_value_t = 0.5)]
    acceleration: f64,
    /// Body length of the emulated vehicles (their factsheet's), m
    /// (default: 1.2, or 0.7 on a grid map, a body that fits its cell).
    #[arg(long)]
    length: Option<f64>,
    /// Body width of the emulated vehicles, m (default: 0.8, or 0.7 on a grid map).
    #[arg(long)]
    width: Option<f64>,
    /// Battery charge at start, %.
    #[arg(long, default_value_t = 100.0)]
    battery: f64,
    /// Publish a state at least this often (ms of vehicle time), besides on every change.
    #[arg(long, default_value_t = 30_000)]
    state_interval_ms: u64,
    /// Run this many times faster than real time (emulation only; see `yard-sim live`).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Origin of the sped-up clock, Unix ms (processes that share it share the clock).
    #[arg(long)]
    time_origin_ms: Option<u64>,
    /// Speak VDA 5050 over an MQTT broker instead of Zenoh.
    #[command(flatten)]
    mqtt: live::mqtt::MqttArgs,
}

struct Vehicle {
    serial: String,
    agent: Agent,
    driver: EmulatedVehicle,
    link: Link,
    last_node: String,
}

/// A vehicle's link: Zenoh, or a VDA 5050 MQTT broker.
enum Link {
    Zenoh(ZenohAgentLink),
    Mqtt(MqttAgentLink),
}

impl Link {
    fn as_dyn(&mut self) -> &mut dyn AgentLink {
        match self {
            Link::Zenoh(l) => l,
            Link::Mqtt(l) => l,
        }
    }

    /// After the goodbye: withdraw the Zenoh token, or disconnect from the broker cleanly.
    fn finish(self) -> Result<(), protocol::transport::TransportError> {
        match self {
            Link::Zenoh(l) => l.withdraw(),
            Link::Mqtt(l) => l.disconnect(),
        }
    }
}

#[expect(clippy::disallowed_methods, reason = "the binary is the clock adapter")]
fn main() -> anyhow::Result<()> {
    live::init_logging("info");
    let cli = Cli::parse();
    if cli.die_with_parent {
        live::die_with_parent().context("--die-with-parent")?;
    }
    let site = layout::load(&cli.layout, layout::LoadOptions::default())
        .with_context(|| format!("loading {}", cli.layout.display()))?
        .value;
    // Start spots: as given, then parking, then charging stations, then any node.
    let mut spots: Vec<layout::NodeIdx> = Vec::new();
    for id in &cli.starts {
        spots.push(site.node_by_id(id).with_context(|| format!("--start {id}: no such node in the layout"))?);
    }
    for kind in [StationKind::Parking, StationKind::Charging] {
        spots.extend(
            site.stations.iter().filter(|s| s.kind == kind).flat_map(|s| s.interaction_nodes.iter().copied()),
        );
    }
    spots.extend((0..site.nodes.len() as u32).map(layout::NodeIdx));
    spots.dedup();
    let mut seen = std::collections::BTreeSet::new();
    spots.retain(|n| seen.insert(*n));
    let serials: Vec<String> = if cli.serials.is_empty() {
        (1..=cli.count).map(|i| format!("{}-{i:02}", cli.serial_prefix)).collect()
    } else {
        cli.serials.clone()
    };
    anyhow::ensure!(
        spots.len() >= serials.len(),
        "{} has {} nodes for {} vehicles",
        cli.layout.display(),
        spots.len(),
        serials.len()
    );

    let zenoh = ZenohConfig {
        config_file: cli.zenoh_config.clone(),
        listen: cli.listen.clone(),
        connect: cli.connect.clone(),
        mode: cli.mode,
        ..ZenohConfig::default()
    };
    let session = match &cli.mqtt.mqtt {
        Some(_) => None,
        None => Some(zenoh.open().context("opening the Zenoh session")?),
    };
    let map_id = site.levels.first().map_or_else(|| "map".to_string(), |l| l.id.clone());
    let known: std::collections::BTreeSet<String> = site.nodes.iter().map(|n| n.id.clone()).collect();
    let mut emulated_config = EmulatedConfig::factory_agv(map_id.clone());
    emulated_config.profile = agv_agent::motion::MotionProfile::new(cli.max_speed, cli.acceleration)
        .context("--max-speed and --acceleration")?;
    let (length, width) = if site.grid.is_some() { (0.7, 0.7) } else { (1.2, 0.8) };
    let body = (cli.length.unwrap_or(length), cli.width.unwrap_or(width));
    anyhow::ensure!(
        [body.0, body.1].iter().all(|v| v.is_finite() && *v > 0.0),
        "--length and --width must be positive numbers of metres"
    );
    emulated_config.body = body;
    emulated_config.node_positions = site.nodes.iter().map(|n| (n.id.clone(), n.position)).collect();

    let clock = WallClock::new(cli.time_scale, cli.time_origin_ms);
    let started = Instant::now();
    let now = || Millis(clock.now_ms());
    let mut fleet = Vec::new();
    for (serial, spot) in serials.into_iter().zip(spots.iter()) {
        let here = site.node(*spot);
        let mut config = AgentConfig::new(&cli.manufacturer, &serial, &map_id);
        config.known_nodes = Some(known.clone());
        config.state_interval_ms = cli.state_interval_ms.max(100);
        config.factsheet = Some(Box::new(emulated::factsheet(&emulated_config, &cli.manufacturer, &serial)));
        let mut agent = Agent::new(config);
        let place = AgentInput::Place {
            node: Box::new(Node {
                node_id: here.id.clone(),
                sequence_id: 0,
                node_description: None,
                released: true,
                node_position: None,
                actions: vec![],
            }),
            position: AgvPosition::new(here.position.x, here.position.y, 0.0, map_id.clone()),
        };
        let mut driver = EmulatedVehicle::new(emulated_config.clone(), here.position, 0.0);
        driver.set_battery(cli.battery);
        let id = VehicleId::new(&cli.manufacturer, &serial);
        let client_id = format!("{}-{serial}", cli.manufacturer);
        let mut link = match (&session, cli.mqtt.config(&client_id).context("--mqtt")?) {
            (Some(session), _) => Link::Zenoh(
                ZenohAgentLink::with_session(session.clone(), id)
                    .with_context(|| format!("declaring {serial}"))?,
            ),
            (None, Some(config)) => {
                let will = MqttAgentLink::will(&id, clock.now_ms());
                Link::Mqtt(
                    MqttAgentLink::open(config, id, &will).with_context(|| format!("connecting {serial}"))?,
                )
            }
            (None, None) => anyhow::bail!("no transport"),
        };
        runner::start(now(), &mut agent, link.as_dyn(), [place])?;
        tracing::info!(vehicle = %serial, node = %here.id, "online");
        fleet.push(Vehicle { serial, agent, driver, link, last_node: here.id.clone() });
    }

    let stop = live::shutdown_flag().context("installing the signal handler")?;
    let deadline = cli.duration.map(|s| started + Duration::from_secs_f64(s));
    while !stop.load(Ordering::SeqCst) && deadline.is_none_or(|d| Instant::now() < d) {
        let t = now();
        for v in &mut fleet {
            let report = runner::step(t, &mut v.agent, &mut v.driver, v.link.as_dyn())?;
            match report.master_control {
                Some(true) => tracing::info!(vehicle = %v.serial, "master control present"),
                Some(false) => {
                    tracing::warn!(vehicle = %v.serial, "master control gone: finishing the released base");
                }
                None => {}
            }
            if report.rejected > 0 {
                tracing::warn!(vehicle = %v.serial, rejected = report.rejected, "rejected undecodable messages");
            }
            if v.agent.last_node_id() != v.last_node {
                v.last_node = v.agent.last_node_id().to_string();
                tracing::info!(
                    vehicle = %v.serial,
                    node = %v.last_node,
                    order = %v.agent.order_id(),
                    battery = format!("{:.1}%", v.agent.battery_charge()),
                    "reached"
                );
            }
        }
        std::thread::sleep(clock.real(cli.step_ms).max(Duration::from_millis(2)));
    }
    // Every vehicle says OFFLINE, the messages get a moment to arrive,
    // then the tokens go.
    let t = now();
    for v in &mut fleet {
        for message in runner::goodbye(t, &mut v.agent) {
            if let Err(e) = v.link.as_dyn().send(&message) {
                tracing::warn!(vehicle = %v.serial, error = %e, "could not say OFFLINE");
            }
        }
    }
    std::thread::sleep(protocol::transport::zenoh::GOODBYE_GRACE);
    for v in fleet {
        let serial = v.serial.clone();
        match v.link.finish() {
            Ok(()) => tracing::info!(vehicle = %serial, "offline"),
            Err(e) => tracing::warn!(vehicle = %serial, error = %e, "clean shutdown failed"),
        }
    }
    Ok(())
}
