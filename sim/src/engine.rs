//! The deterministic simulator: the real orchestrator core and one real
//! agent core per vehicle (with an emulated driver), over an in-memory bus
//! with seeded latency, jitter and loss, on a virtual clock with a fixed
//! time step. No wall clock and no threads: the same scenario and seed give
//! the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use agv_agent::agent::{Agent, AgentConfig, AgentInput};
use agv_agent::driver::VehicleDriver;
use agv_agent::emulated::{EmulatedConfig, EmulatedVehicle, Fault};
use anyhow::{Context as _, bail};
use layout::conflicts::Footprint;
use layout::{Layout, NodeIdx, StationKind};
use orchestrator::fleet::{FleetConfig, Orchestrator, VehicleSpec};
use orchestrator::input::{Input, PlaceId, Reply};
use orchestrator::mapf::rng::Rng;
use orchestrator::orders::{Millis, OrderRequest};
use orchestrator::traffic::grain::Grain;

use crate::Ms;
use protocol::messages::{AgvPosition, ConnectionState, Node};
use protocol::transport::{FromVehicle, OrchestratorEvent, ToVehicle, VehicleId};
use yardmaster::store::OrderStore;

use crate::ocel::ProcessLog;
use crate::report::{Frame, Metrics, TraceBox, TracePoint, Travel};
use crate::scenario::{FaultSpec, Loaded, Scenario, Start, matches};

/// The manufacturer of a fleet group that names none.
pub const MANUFACTURER: &str = "yardsim";

/// A message in flight.
enum Envelope {
    ToCore(OrchestratorEvent),
    ToVehicle(usize, ToVehicle),
}

/// The in-memory network: messages delivered in (time, sequence) order.
struct Bus {
    queue: BTreeMap<(Ms, u64), Envelope>,
    seq: u64,
    rng: Rng,
    latency: u64,
    jitter: u64,
    loss: f64,
    sent: u64,
    lost: u64,
}

impl Bus {
    fn send(&mut self, now: Ms, envelope: Envelope, extra_loss: f64, extra_latency: u64) {
        self.sent += 1;
        if self.rng.unit() < self.loss.max(extra_loss) {
            self.lost += 1;
            return;
        }
        let jitter = if self.jitter > 0 { self.rng.below(self.jitter as usize + 1) as u64 } else { 0 };
        self.seq += 1;
        self.queue.insert((now + self.latency + jitter + extra_latency, self.seq), envelope);
    }

    fn due(&mut self, now: Ms) -> Vec<Envelope> {
        let later = self.queue.split_off(&(now + 1, 0));
        std::mem::replace(&mut self.queue, later).into_values().collect()
    }
}

struct SimVehicle {
    id: VehicleId,
    name: Arc<str>,
    config: AgentConfig,
    agent: Agent,
    driver: EmulatedVehicle,
    inbox: Vec<ToVehicle>,
    travel: Travel,
    last: (f64, f64),
    /// Since when it charges, and from what charge (%).
    charging_since: Option<(Ms, f64)>,
}

/// Everything a run produced.
pub struct Outcome {
    /// Metrics and expectations.
    pub metrics: Metrics,
    /// The event log, one JSON object per line.
    pub events: Vec<String>,
    /// Positions at every orchestrator tick.
    pub trace: Vec<Frame>,
    /// The run as a process log (orders, vehicles, stations, loads), for `--ocel`.
    pub process: ProcessLog,
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Scale the scenario's duration (CI runs long scenarios shortened).
    pub duration_scale: f64,
    /// Called with (simulated ms, delivered) now and then, for progress.
    pub progress_every_ms: Ms,
    /// Keep the positions of every orchestrator tick (for `--trace` and
    /// `replay.html`); the safety check runs either way.
    pub keep_trace: bool,
    /// Run the scenario's `[ci]` variant (its own duration and expectations).
    pub ci: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { duration_scale: 1.0, progress_every_ms: 60_000, keep_trace: true, ci: false }
    }
}

pub(crate) fn starts(
    layout: &Layout,
    groups: &[(usize, Start)],
    rng: &mut Rng,
) -> anyhow::Result<Vec<NodeIdx>> {
    let mut taken = vec![false; layout.nodes.len()];
    let mut out = Vec::new();
    let of_kind = |k: StationKind| -> Vec<NodeIdx> {
        layout
            .stations
            .iter()
            .filter(|s| s.kind == k)
            .filter_map(|s| s.interaction_nodes.first().copied())
            .collect()
    };
    let mut any: Vec<usize> = (0..layout.nodes.len()).collect();
    rng.shuffle(&mut any);
    let station_nodes: Vec<bool> = {
        let mut m = vec![false; layout.nodes.len()];
        for s in &layout.stations {
            for n in &s.interaction_nodes {
                m[n.index()] = true;
            }
        }
        m
    };
    for (count, start) in groups {
        let preferred: Vec<NodeIdx> = match start {
            Start::Named(n) if n == "parking" => of_kind(StationKind::Parking),
            Start::Named(n) if n == "charging" => of_kind(StationKind::Charging),
            Start::Named(_) => Vec::new(),
            Start::Nodes(ids) => ids
                .iter()
                .map(|id| {
                    layout
                        .node_by_id(id)
                        .with_context(|| format!("fleet start: no node {id:?} in the layout"))
                })
                .collect::<anyhow::Result<_>>()?,
        };
        let mut placed = 0;
        let fallback = any.iter().map(|&i| NodeIdx(i as u32)).filter(|n| !station_nodes[n.index()]);
        for n in preferred.into_iter().chain(fallback) {
            if placed == *count {
                break;
            }
            // Keep starts apart: not on a node next to another start.
            let near = layout.out_edges(n).iter().any(|e| taken[layout.edge(*e).to.index()]);
            if taken[n.index()] || near {
                continue;
            }
            taken[n.index()] = true;
            out.push(n);
            placed += 1;
        }
        if placed < *count {
            bail!("the layout has room for {placed} of {count} vehicles at their starts");
        }
    }
    Ok(out)
}

/// The order stream of a scenario: its explicit orders and Poisson
/// arrivals, all drawn now from the seeded generator, sorted by time (ms).
/// Flows name stations; on layouts without stations (grid maps) they name
/// nodes.
pub(crate) fn arrivals(
    sc: &Scenario,
    layout: &Layout,
    duration: Ms,
    rng: &mut Rng,
) -> anyhow::Result<Vec<(Ms, u64, OrderRequest)>> {
    let station_ids: Vec<String> = if layout.stations.is_empty() {
        layout.nodes.iter().map(|n| n.id.clone()).collect()
    } else {
        layout.stations.iter().map(|s| s.id.clone()).collect()
    };
    let mut arrivals: Vec<(Ms, u64, OrderRequest)> = Vec::new();
    for (i, o) in sc.orders.iter().enumerate() {
        for c in 0..o.count {
            let mut r = OrderRequest::new(&o.from, &o.to);
            r.via.clone_from(&o.via);
            r.priority = o.priority;
            r.vehicle_type.clone_from(&o.vehicle_type);
            arrivals.push(((o.at_s * 1000.0) as Ms, (i * 1000 + c) as u64, r));
        }
    }
    for (i, f) in sc.flows.iter().enumerate() {
        let from: Vec<&String> =
            station_ids.iter().filter(|s| f.from.iter().any(|p| matches(p, s))).collect();
        let to: Vec<&String> = station_ids.iter().filter(|s| f.to.iter().any(|p| matches(p, s))).collect();
        if from.is_empty() || to.is_empty() {
            bail!("flows[{i}]: no station matches {:?} → {:?}", f.from, f.to);
        }
        let via: Vec<Vec<&String>> =
            (f.via.iter()).map(|p| station_ids.iter().filter(|s| matches(p, s)).collect()).collect();
        if let Some(k) = via.iter().position(Vec::is_empty) {
            bail!("flows[{i}].via[{k}]: no station matches {:?}", f.via[k]);
        }
        let end = f.end_s.map_or(duration, |e| ((e * 1000.0) as Ms).min(duration));
        let mut t = f.start_s * 1000.0;
        let mut n = 0u64;
        while f.per_hour > 0.0 && t < end as f64 {
            t += -(1.0 - rng.unit()).ln() * 3_600_000.0 / f.per_hour;
            if t >= end as f64 {
                break;
            }
            let a = from[rng.below(from.len())];
            let mut b = to[rng.below(to.len())];
            if a == b && to.len() > 1 {
                let at = to.iter().position(|x| *x == b).unwrap_or(0);
                b = to[(at + 1 + rng.below(to.len() - 1)) % to.len()];
            }
            if a == b {
                continue;
            }
            let mut r = OrderRequest::new(a.as_str(), b.as_str());
            r.via = via.iter().map(|c| c[rng.below(c.len())].clone()).collect();
            let stops: Vec<&String> = std::iter::once(a).chain(&r.via).chain([b]).collect();
            if stops.windows(2).any(|w| w[0] == w[1]) {
                continue;
            }
            r.vehicle_type.clone_from(&f.vehicle_type);
            arrivals.push((t as Ms, 1_000_000 + (i as u64) * 100_000 + n, r));
            n += 1;
        }
    }
    arrivals.sort_by_key(|a| (a.0, a.1));
    Ok(arrivals)
}

pub(crate) fn map_id(layout: &Layout, node: NodeIdx) -> String {
    let n = layout.node(node);
    n.map_id
        .clone()
        .unwrap_or_else(|| layout.levels.get(n.level.index()).map_or_else(String::new, |l| l.id.clone()))
}

/// A fresh agent at `node`, and the messages of its start-up at `now`
/// (placed there, `connection` ONLINE, a first state).
fn new_agent(
    config: &AgentConfig,
    layout: &Layout,
    node: NodeIdx,
    heading: f64,
    now: Ms,
) -> (Agent, Vec<FromVehicle>) {
    let mut agent = Agent::new(config.clone());
    let p = layout.node(node).position;
    let place = AgentInput::Place {
        node: Box::new(Node::new(layout.node(node).id.clone(), 0, true)),
        position: AgvPosition::new(p.x, p.y, heading, map_id(layout, node)),
    };
    let out = agent.step(Millis(now), [place, AgentInput::Connection(ConnectionState::Online)]);
    (agent, out.messages)
}

/// Steps the core with `inputs` and makes its records durable (before
/// anything is acknowledged or sent).
fn step_core(
    core: &mut Orchestrator,
    store: &OrderStore,
    now: Ms,
    inputs: Vec<Input>,
) -> anyhow::Result<orchestrator::fleet::Outbound> {
    let out = core.step(Millis(now), inputs);
    store.apply(&out.records)?;
    Ok(out)
}

pub(crate) fn footprint_for(layout: &Layout) -> Footprint {
    if layout.grid.is_some() { Footprint::GRID_CELL } else { Footprint::FACTORY_AGV }
}

/// Runs a loaded scenario: set up, then the fixed-step loop, each step in
/// the same order — faults, arrivals, deliveries, the orchestrator's tick,
/// the vehicles, the safety check.
pub fn run(
    loaded: &Loaded,
    options: &RunOptions,
    mut progress: impl FnMut(Ms, u64),
) -> anyhow::Result<Outcome> {
    let scenario = if options.ci { loaded.scenario.ci_variant() } else { loaded.scenario.clone() };
    let mut sim = Sim::new(loaded, &scenario, options)?;
    let (duration, tick_ms) = (sim.duration, scenario.tick_ms);
    let mut now: Ms = 0;
    let mut last_progress = 0;
    while now <= duration {
        let network = sim.faults(now)?;
        sim.arrivals(now)?;
        sim.deliver(now);
        if now.is_multiple_of(scenario.orchestrator_ms) {
            sim.orchestrator_tick(now, network)?;
        }
        sim.vehicles_step(now, network);
        if now.is_multiple_of(scenario.orchestrator_ms) {
            sim.safety_check(now, options.keep_trace);
        }
        if now >= last_progress + options.progress_every_ms {
            last_progress = now;
            progress(now, sim.metrics.delivered);
        }
        now += tick_ms;
    }
    Ok(sim.finish())
}

/// Extra loss (share) and latency (ms) the faults put on the network now.
#[derive(Clone, Copy, Debug, Default)]
struct NetworkFault {
    loss: f64,
    latency: u64,
}

/// One simulation run's state.
struct Sim<'s> {
    sc: &'s Scenario,
    layout: Arc<Layout>,
    duration: Ms,
    specs: Vec<VehicleSpec>,
    fleet_config: FleetConfig,
    core: Orchestrator,
    /// The order store and the folder it lives in (removed with the run).
    store: OrderStore,
    _store_dir: tempfile::TempDir,
    vehicles: Vec<SimVehicle>,
    bus: Bus,
    arrivals: std::iter::Peekable<std::vec::IntoIter<(Ms, u64, OrderRequest)>>,
    core_inbox: Vec<Input>,
    metrics: Metrics,
    events: Vec<String>,
    trace: Vec<Frame>,
    process: ProcessLog,
    accepted_at: BTreeMap<u64, Ms>,
    refused: u64,
}

impl<'s> Sim<'s> {
    /// The fleet on its starts, the core, the store, the bus, the order
    /// stream; every agent's start-up messages on the bus.
    fn new(loaded: &Loaded, sc: &'s Scenario, options: &RunOptions) -> anyhow::Result<Sim<'s>> {
        let layout = Arc::new(
            layout::load(&loaded.layout_path, layout::LoadOptions::default())
                .with_context(|| {
                    format!("{}: loading layout {}", loaded.path.display(), loaded.layout_path.display())
                })?
                .value,
        );
        let duration: Ms = ((sc.duration_s * options.duration_scale).max(1.0) * 1000.0) as Ms;
        let mut rng = Rng::new(sc.seed);
        let groups: Vec<(usize, Start)> = sc.fleet.iter().map(|g| (g.count, g.start.clone())).collect();
        let start_nodes = starts(&layout, &groups, &mut rng)?;
        let footprint = footprint_for(&layout);
        let (specs, mut vehicles, startup) = fleet(sc, &layout, &start_nodes)?;
        let fleet_config = fleet_config(sc, footprint, layout.grid.is_some());
        let store_dir = tempfile::tempdir().context("creating the order store's directory")?;
        let store = OrderStore::open(&store_dir.path().join("orders.redb"))?;
        let core = Orchestrator::new(layout.clone(), specs.clone(), fleet_config.clone())?;
        breakdowns(sc, &mut vehicles)?;
        let arrivals = arrivals(sc, &layout, duration, &mut rng)?.into_iter().peekable();
        let mut bus = Bus {
            queue: BTreeMap::new(),
            seq: 0,
            rng: Rng::new(sc.seed ^ 0x05EE_DB05),
            latency: sc.network.latency_ms,
            jitter: sc.network.jitter_ms,
            loss: sc.network.loss,
            sent: 0,
            lost: 0,
        };
        let metrics =
            Metrics::new(sc, &vehicles.iter().map(|v| v.id.serial_number.clone()).collect::<Vec<_>>());
        // Start-up: every agent says it is online and where it is.
        for (id, hello) in startup {
            for m in hello {
                bus.send(
                    0,
                    Envelope::ToCore(OrchestratorEvent::Message { vehicle: id.clone(), message: m }),
                    0.0,
                    0,
                );
            }
        }
        let mut core_inbox = Vec::new();
        for node in &sc.closed_nodes {
            layout.node_by_id(node).with_context(|| {
                format!("{}: closed_nodes: no node {node:?} in the layout", loaded.path.display())
            })?;
            core_inbox.push(Input::Close {
                place: PlaceId::Node(node.clone()),
                reason: "closed in the scenario".into(),
            });
        }
        let process = process_log(&layout, &specs);
        Ok(Sim {
            sc,
            layout,
            duration,
            specs,
            fleet_config,
            core,
            store,
            _store_dir: store_dir,
            vehicles,
            bus,
            arrivals,
            core_inbox,
            metrics,
            events: Vec::new(),
            trace: Vec::new(),
            process,
            accepted_at: BTreeMap::new(),
            refused: 0,
        })
    }

    /// The core's events into the event log and the metrics.
    fn record(&mut self, events: &[orchestrator::fleet::Event]) -> anyhow::Result<()> {
        for e in events {
            self.events.push(serde_json::to_string(e)?);
            self.metrics.on_event(e, &self.accepted_at);
            self.process.on_event(e);
        }
        Ok(())
    }

    /// Faults that start or end now; the network's extra loss and latency.
    fn faults(&mut self, now: Ms) -> anyhow::Result<NetworkFault> {
        let sc = self.sc;
        let at_tick = |s: f64| (s * 1000.0) as Ms / sc.tick_ms * sc.tick_ms;
        let mut network = NetworkFault::default();
        for f in &sc.faults {
            let at_ms = |s: f64| (s * 1000.0) as Ms;
            match f {
                FaultSpec::MessageLoss { at_s, duration_s, loss }
                    if (at_ms(*at_s)..at_ms(at_s + duration_s)).contains(&now) =>
                {
                    network.loss = network.loss.max(*loss);
                }
                FaultSpec::LatencySpike { at_s, duration_s, latency_ms }
                    if (at_ms(*at_s)..at_ms(at_s + duration_s)).contains(&now) =>
                {
                    network.latency = network.latency.max(*latency_ms);
                }
                FaultSpec::BlockNode { node, at_s, duration_s } => {
                    self.layout.node_by_id(node).with_context(|| format!("faults: no node {node:?}"))?;
                    let place = PlaceId::Node(node.clone());
                    if now == at_tick(*at_s) {
                        self.core_inbox
                            .push(Input::Close { place: place.clone(), reason: "scenario fault".into() });
                        self.metrics.note(now, format!("node {node} closed"));
                    }
                    if now == at_tick(at_s + duration_s) {
                        self.core_inbox.push(Input::Open { place });
                        self.metrics.note(now, format!("node {node} reopened"));
                    }
                }
                FaultSpec::AgentRestart { vehicle, at_s } if now == at_tick(*at_s) => {
                    self.restart_agent(now, vehicle)?;
                }
                FaultSpec::OrchestratorRestart { at_s } if now == at_tick(*at_s) => {
                    self.core = Orchestrator::new(
                        self.layout.clone(),
                        self.specs.clone(),
                        self.fleet_config.clone(),
                    )?;
                    // What was queued for the old core is lost with it, as in a crash.
                    self.core_inbox.clear();
                    let restore = vec![self.store.load()?.into_input()];
                    let out = step_core(&mut self.core, &self.store, now, restore)?;
                    self.record(&out.events)?;
                    self.metrics.note(now, "orchestrator restarted from its database".into());
                }
                FaultSpec::BatteryDrain { vehicle, at_s, factor } if now == at_tick(*at_s) => {
                    self.vehicle(vehicle)?.driver.config_mut().drain_per_metre *= factor;
                    self.metrics.note(now, format!("battery of {vehicle} drains {factor}× faster"));
                }
                _ => {}
            }
        }
        Ok(network)
    }

    fn vehicle(&mut self, serial: &str) -> anyhow::Result<&mut SimVehicle> {
        self.vehicles
            .iter_mut()
            .find(|v| v.id.serial_number == serial)
            .with_context(|| format!("faults: no vehicle {serial:?}"))
    }

    /// A fresh agent at the vehicle's node (its process restarted).
    fn restart_agent(&mut self, now: Ms, serial: &str) -> anyhow::Result<()> {
        let layout = self.layout.clone();
        let v = self.vehicle(serial)?;
        let node = layout.node_by_id(v.agent.last_node_id()).unwrap_or(NodeIdx(0));
        let hello;
        (v.agent, hello) = new_agent(&v.config, &layout, node, v.driver.heading(), now);
        v.inbox.clear();
        let id = v.id.clone();
        for message in hello {
            let msg = OrchestratorEvent::Message { vehicle: id.clone(), message };
            self.bus.send(now, Envelope::ToCore(msg), 0.0, 0);
        }
        self.metrics.note(now, format!("agent of {serial} restarted"));
        Ok(())
    }

    /// Orders that arrive now, submitted at once (durable before acknowledged).
    fn arrivals(&mut self, now: Ms) -> anyhow::Result<()> {
        while self.arrivals.peek().is_some_and(|a| a.0 <= now) {
            let Some((_, _, request)) = self.arrivals.next() else { break };
            let out = step_core(
                &mut self.core,
                &self.store,
                now,
                vec![Input::Submit { request: request.clone() }],
            )?;
            match out.replies.first() {
                Some(Reply::Submitted { order }) => {
                    self.accepted_at.insert(*order, now);
                    self.process.accepted(*order, &request);
                    self.metrics.submitted += 1;
                }
                Some(Reply::Refused(e)) => {
                    self.refused += 1;
                    self.metrics.note(now, format!("order {} → {} refused: {e}", request.from, request.to));
                }
                _ => {}
            }
            self.record(&out.events)?;
        }
        Ok(())
    }

    /// Messages due now, to their inboxes.
    fn deliver(&mut self, now: Ms) {
        for envelope in self.bus.due(now) {
            match envelope {
                Envelope::ToVehicle(i, m) => self.vehicles[i].inbox.push(m),
                Envelope::ToCore(e) => self.core_inbox.push(Input::Vehicle(e)),
            }
        }
    }

    /// The orchestrator's tick: its inputs, then its messages onto the bus.
    fn orchestrator_tick(&mut self, now: Ms, network: NetworkFault) -> anyhow::Result<()> {
        let mut inputs = std::mem::take(&mut self.core_inbox);
        inputs.push(Input::Tick);
        let out = step_core(&mut self.core, &self.store, now, inputs)?;
        self.record(&out.events)?;
        for (id, message) in out.messages {
            if let ToVehicle::Order(o) = &message
                && o.order_update_id > 0
            {
                self.metrics.updates += 1;
            }
            if let Some(i) = self.vehicles.iter().position(|v| v.id == id) {
                self.bus.send(now, Envelope::ToVehicle(i, message), network.loss, network.latency);
            }
        }
        self.metrics.sample(now, &self.core);
        Ok(())
    }

    /// Every vehicle: its driver's feedback and its inbox into its agent,
    /// the agent's commands to the driver, its messages onto the bus.
    fn vehicles_step(&mut self, now: Ms, network: NetworkFault) {
        for v in &mut self.vehicles {
            let mut inputs: Vec<AgentInput> =
                v.driver.poll(Millis(now)).into_iter().map(AgentInput::Feedback).collect();
            inputs.extend(v.inbox.drain(..).map(AgentInput::Message));
            let out = v.agent.step(Millis(now), inputs);
            for c in &out.commands {
                v.driver.command(Millis(now), c);
            }
            for m in out.messages {
                let msg = OrchestratorEvent::Message { vehicle: v.id.clone(), message: m };
                self.bus.send(now, Envelope::ToCore(msg), network.loss, network.latency);
            }
            let p = v.driver.position();
            v.travel.add((p.x - v.last.0).hypot(p.y - v.last.1), self.sc.tick_ms);
            v.last = (p.x, p.y);
            match (v.driver.charging(), v.charging_since) {
                (true, None) => v.charging_since = Some((now, v.driver.battery())),
                (false, Some((since, from))) => {
                    v.charging_since = None;
                    let node = self.layout.node_by_id(v.agent.last_node_id());
                    let station = self
                        .layout
                        .stations
                        .iter()
                        .find(|s| node.is_some_and(|n| s.interaction_nodes.contains(&n)));
                    let station = station.map(|s| s.id.as_str());
                    self.process.charged(now, &v.id.serial_number, station, from, v.driver.battery(), since);
                }
                _ => {}
            }
        }
    }

    /// The trace frame and the independent safety check on it: every
    /// vehicle's own oriented body and trailers.
    fn safety_check(&mut self, now: Ms, keep_trace: bool) {
        let points: Vec<TracePoint> =
            self.vehicles.iter().map(|v| trace_point(v.name.clone(), &v.driver)).collect();
        let frame = Frame { t: now, vehicles: points };
        self.metrics.collisions += crate::report::overlaps(&frame).len() as u64;
        if keep_trace {
            self.trace.push(frame);
        }
    }

    /// The final figures and the verdicts.
    fn finish(mut self) -> Outcome {
        let travel: Vec<Travel> = self.vehicles.iter().map(|v| v.travel).collect();
        self.metrics.finish(self.duration, &self.core, &travel, &self.accepted_at);
        self.metrics.refused = self.refused;
        self.metrics.messages_sent = self.bus.sent;
        self.metrics.messages_lost = self.bus.lost;
        self.metrics.evaluate(&self.sc.expect);
        self.metrics.seal(&self.events);
        Outcome { metrics: self.metrics, events: self.events, trace: self.trace, process: self.process }
    }
}

/// An empty process log that knows the fleet and the stations.
fn process_log(layout: &Layout, specs: &[VehicleSpec]) -> ProcessLog {
    let vehicles =
        specs.iter().map(|s| (s.id.serial_number.clone(), s.id.manufacturer.clone(), s.vehicle_type.clone()));
    let stations = layout.stations.iter().map(|s| (s.id.clone(), format!("{:?}", s.kind).to_lowercase()));
    ProcessLog::new(vehicles, stations)
}

/// A vehicle's trace point: where it is, its body, its trailers.
fn trace_point(name: Arc<str>, driver: &EmulatedVehicle) -> TracePoint {
    let boxes = driver.boxes();
    let b = boxes[0];
    let trailers = boxes[1..]
        .iter()
        .map(|t| TraceBox { x: t.x, y: t.y, theta: t.theta, length: t.length, width: t.width })
        .collect();
    TracePoint { id: name, x: b.x, y: b.y, theta: b.theta, length: b.length, width: b.width, boxes: trailers }
}

/// The scenario's fleet on its start nodes: the core's specs, the
/// simulated vehicles (agent + emulated driver), and each agent's start-up
/// messages.
#[expect(clippy::type_complexity, reason = "three parallel lists of one fleet")]
fn fleet(
    sc: &Scenario,
    layout: &Layout,
    start_nodes: &[NodeIdx],
) -> anyhow::Result<(Vec<VehicleSpec>, Vec<SimVehicle>, Vec<(VehicleId, Vec<FromVehicle>)>)> {
    let mut specs = Vec::new();
    let mut vehicles = Vec::new();
    let mut startup = Vec::new();
    let mut k = 0;
    for g in &sc.fleet {
        for j in 0..g.count {
            let id = VehicleId::new(&g.manufacturer, format!("{}-{:02}", g.prefix, j + 1));
            let node = start_nodes[k];
            k += 1;
            let model = crate::vehicles::model(g, layout.grid.is_some());
            specs.push(VehicleSpec {
                id: id.clone(),
                vehicle_type: g.vehicle_type.clone(),
                load_types: g.load_types.clone(),
                body: Some(model.body.clone()),
            });
            let mut config =
                AgentConfig::new(&g.manufacturer, id.serial_number.clone(), map_id(layout, node));
            config.state_interval_ms = 1_000;
            let mut emulated = EmulatedConfig::factory_agv(map_id(layout, node));
            model.apply(&mut emulated);
            emulated.node_positions = layout.nodes.iter().map(|n| (n.id.clone(), n.position)).collect();
            config.factsheet =
                Some(Box::new(agv_agent::emulated::factsheet(&emulated, &g.manufacturer, &id.serial_number)));
            let p = layout.node(node).position;
            let mut driver = EmulatedVehicle::new(emulated, p, 0.0);
            driver.set_battery(g.battery);
            let (agent, hello) = new_agent(&config, layout, node, 0.0, 0);
            startup.push((id.clone(), hello));
            vehicles.push(SimVehicle {
                name: Arc::from(id.serial_number.as_str()),
                id,
                config,
                agent,
                driver,
                inbox: Vec::new(),
                travel: Travel::default(),
                last: (p.x, p.y),
                charging_since: None,
            });
        }
    }
    Ok((specs, vehicles, startup))
}

/// The core's configuration for a scenario.
fn fleet_config(sc: &Scenario, footprint: Footprint, grid: bool) -> FleetConfig {
    let defaults = if grid { FleetConfig::grid() } else { FleetConfig::default() };
    FleetConfig {
        footprint,
        battery_low: sc.orchestrator.battery_low.unwrap_or(defaults.battery_low),
        battery_resume: sc.orchestrator.battery_resume.unwrap_or(defaults.battery_resume),
        park_after_ms: sc
            .orchestrator
            .park_after_s
            .map_or(defaults.park_after_ms, |s| Some((s * 1000.0) as u64)),
        release_ahead: sc.orchestrator.release_ahead.unwrap_or(defaults.release_ahead),
        quarter_turn_ms: sc
            .orchestrator
            .quarter_turn_s
            .map_or(defaults.quarter_turn_ms, |s| (s.max(0.0) * 1000.0) as u64),
        grain: Grain::factor_or(sc.orchestrator.grain, defaults.grain),
        ..defaults
    }
}

/// Breakdowns are the emulated drivers' own faults.
fn breakdowns(sc: &Scenario, vehicles: &mut [SimVehicle]) -> anyhow::Result<()> {
    for f in &sc.faults {
        if let FaultSpec::Breakdown { vehicle, at_s, duration_s } = f {
            let v = vehicles
                .iter_mut()
                .find(|v| v.id.serial_number == *vehicle)
                .with_context(|| format!("faults: no vehicle {vehicle:?} in the fleet"))?;
            let at = (at_s * 1000.0) as Ms;
            v.driver.config_mut().faults.push(Fault::Breakdown {
                at: Millis(at),
                until: duration_s.map(|d| Millis(at + (d * 1000.0) as Ms)),
            });
        }
    }
    Ok(())
}
