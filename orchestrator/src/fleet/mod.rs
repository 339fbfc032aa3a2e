//! The orchestrator core: the fleet model in a `bevy_ecs` `World` and
//! the systems that run it, one fixed order per tick.
//!
//! [`Orchestrator::step`]`(now, inputs) -> `[`Outbound`] is the only way to
//! change the core: every input — a tick, a vehicle's message, an order
//! command, a closure, a restore — is an [`Input`]; the core reads no clock
//! and does no IO. Queries ([`Orchestrator::orders`],
//! [`Orchestrator::vehicles`], [`Orchestrator::closed`]) read the same
//! world between steps.
//!
//! One tick runs, in this order (a chained, single-threaded schedule):
//!
//! 1. **ingest** — vehicle messages and presence into the fleet model;
//!    bad input is rejected with an event; vehicles that stop reporting,
//!    report a FATAL error, leave the layout or drive where nothing was
//!    released to them are fenced;
//! 2. **update tasks** — action states advance transport orders
//!    (Loading, ToDrop, Unloading, Delivered); fenced vehicles' orders go
//!    back to the queue; charging ends;
//! 3. **assign** — queued orders to free vehicles by minimum-cost
//!    matching, per priority tier; low batteries to chargers, long-idle
//!    vehicles to parking;
//! 4. **plan** — one step of asynchronous PIBT for the vehicles whose
//!    released base runs short (see [`crate::traffic::step`]), reserving
//!    each move with its footprint conflict set;
//! 5. **reserve and release** — places vehicles have passed are released,
//!    decided moves join the base, routing learns which nodes are blocked;
//! 6. **emit** — VDA 5050 orders and updates (base = reserved places,
//!    horizon = the rest of the way), resends of lost messages, instant
//!    actions;
//! 7. **monitor** — every vehicle's wait reason, wait-for cycles, and
//!    deadlock breaking after [`FleetConfig::deadlock_after_ms`].
//!
//! ```
//! use std::sync::Arc;
//! use layout::{LoadOptions, load_str};
//! use orchestrator::fleet::{FleetConfig, Orchestrator, VehicleSpec};
//! use orchestrator::input::{Input, Reply};
//! use orchestrator::orders::OrderRequest;
//! use orchestrator::scripted::ScriptedVehicle;
//! use protocol::transport::VehicleId;
//!
//! let map = Arc::new(load_str("type octile\nheight 1\nwidth 6\nmap\n......\n", "row.map", LoadOptions::default()).unwrap().value);
//! let id = VehicleId::new("acme", "v1");
//! let mut core = Orchestrator::new(map.clone(), vec![VehicleSpec::new(id.clone(), "default")], FleetConfig::grid()).unwrap();
//! let mut vehicle = ScriptedVehicle::new(id, &map, "0,0", 1.0).unwrap();
//! let out = core.step(0, vec![Input::Submit { request: OrderRequest::new("2,0", "5,0") }]);
//! let Reply::Submitted { order } = out.replies[0] else { panic!("refused: {:?}", out.replies) };
//! let mut inbound = Vec::new();
//! for tick in 0..30u64 {
//!     let out = core.step(tick * 1000, Input::tick_with(std::mem::take(&mut inbound)));
//!     for (_, message) in out.messages { vehicle.receive(message); }
//!     inbound.extend(vehicle.step(tick * 1000 + 1000));
//! }
//! assert_eq!(core.order(order).unwrap().status().name(), "delivered");
//! ```

mod emit;
mod ingest;
pub mod model;
mod monitor;
mod motion;
mod tasks;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use layout::conflicts::{Footprint, FootprintConflicts};
use layout::spatial::SpatialIndex;
use layout::{Layout, NodeIdx};
use protocol::transport::{ToVehicle, VehicleId};
use serde::Serialize;

use crate::assign::AssignConfig;
use crate::input::{Closure, CommandError, Input, PlaceId, Reply};
use crate::orders::{Millis, OrderRequest, OrderStatus, RequestError, TransportOrder, accept};
use crate::records::{StoreRecord, StoredOrder};
use crate::traffic::reservations::Place;
use crate::traffic::reservations::{ReservationTable, VehicleIdx};
use crate::traffic::routing::{DistanceTables, RoadGraph};
use crate::traffic::waits::WaitReason;
use model::*;

/// Where a job leads and the VDA action to run there.
type Goal = (NodeIdx, Option<&'static str>);

/// How the orchestrator behaves.
#[derive(Clone, Debug)]
pub struct FleetConfig {
    /// Nodes released ahead of a vehicle (the base beyond where it is).
    pub release_ahead: usize,
    /// Nodes of the unreleased horizon sent with each order.
    pub horizon_nodes: usize,
    /// Top speed assumed where the layout gives none, m/s.
    pub speed: f64,
    /// The vehicles' footprint (conflict sets).
    pub footprint: Footprint,
    /// A vehicle silent this long is fenced, ms. VDA 5050 vehicles send a
    /// state at least every 30 s, so the default waits 45 s; a vanished
    /// process is caught at once by its presence (liveliness) instead.
    pub stale_after_ms: u64,
    /// After start (or restart), releases wait until every vehicle has
    /// reported or this long has passed, ms.
    pub startup_grace_ms: u64,
    /// An order message not acknowledged this long is sent again, ms.
    pub resend_after_ms: u64,
    /// Below this charge (%) an idle vehicle goes to charge and takes no orders.
    pub battery_low: f64,
    /// Charging stops at this charge (%).
    pub battery_resume: f64,
    /// An idle vehicle goes to park after this long, ms (`None`: never).
    pub park_after_ms: Option<u64>,
    /// A wait-for cycle lasting this long is a deadlock, and is broken, ms.
    pub deadlock_after_ms: u64,
    /// The vehicle that breaks a cycle gives way for this long, ms.
    pub yield_ms: u64,
    /// A reported position farther than this from every node and edge is off the layout, m.
    pub max_offset_m: f64,
    /// An order whose load sits on a fenced vehicle fails after this long, ms.
    pub load_fault_timeout_ms: u64,
    /// Assignment.
    pub assign: AssignConfig,
    /// Memory for distance tables, bytes.
    pub distance_cache_bytes: usize,
    /// Finished orders kept in the core for queries (the latest ones; the
    /// store keeps them all until its retention). The live book holds only
    /// orders in progress, so a process running for months scans no more
    /// each tick than the work at hand.
    pub finished_kept: usize,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            release_ahead: 2,
            horizon_nodes: 8,
            speed: 1.0,
            footprint: Footprint::FACTORY_AGV,
            stale_after_ms: 45_000,
            startup_grace_ms: 5_000,
            resend_after_ms: 2_000,
            battery_low: 25.0,
            battery_resume: 90.0,
            park_after_ms: Some(20_000),
            deadlock_after_ms: 20_000,
            yield_ms: 20_000,
            max_offset_m: 1.5,
            load_fault_timeout_ms: 600_000,
            assign: AssignConfig::default(),
            distance_cache_bytes: 256 << 20,
            finished_kept: 1_000,
        }
    }
}

impl FleetConfig {
    /// Settings for 1 m grid maps (cell-sized footprint).
    pub fn grid() -> FleetConfig {
        FleetConfig { footprint: Footprint::GRID_CELL, ..FleetConfig::default() }
    }
}

/// A vehicle of the fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VehicleSpec {
    /// Its id.
    pub id: VehicleId,
    /// Its type, as the layout names it.
    pub vehicle_type: String,
    /// Load types it can carry (empty: any).
    pub load_types: Vec<String>,
}

impl VehicleSpec {
    /// A vehicle of a type, carrying any load.
    pub fn new(id: VehicleId, vehicle_type: impl Into<String>) -> VehicleSpec {
        VehicleSpec { id, vehicle_type: vehicle_type.into(), load_types: Vec::new() }
    }
}

/// A vehicle as a site's fleet file lists it (`yardmaster serve --fleet`):
/// `{"serial": "agv-01", "vehicleType": "yard.compact-agv", "loadTypes": ["KLT"]}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetEntry {
    /// Serial number.
    pub serial: String,
    /// Its type, as the layout names it.
    pub vehicle_type: String,
    /// Load types it can carry (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_types: Vec<String>,
}

impl FleetEntry {
    /// The vehicle of this manufacturer.
    pub fn spec(&self, manufacturer: &str) -> VehicleSpec {
        VehicleSpec {
            id: VehicleId::new(manufacturer, &self.serial),
            vehicle_type: self.vehicle_type.clone(),
            load_types: self.load_types.clone(),
        }
    }
}

/// The fleet cannot be set up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// Two vehicles with one id.
    #[error("vehicle {0} is listed twice")]
    DuplicateVehicle(String),
    /// A vehicle type no edge allows (on a layout that names types).
    #[error("vehicle {vehicle}: type {vehicle_type:?} may use no edge of the layout (types: {known})")]
    UnknownType {
        /// The vehicle.
        vehicle: String,
        /// Its type.
        vehicle_type: String,
        /// The layout's types.
        known: String,
    },
}

/// A refused cancellation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CancelError {
    /// No such order.
    #[error("no order {0}")]
    Unknown(u64),
    /// The order is past the point where it can be cancelled.
    #[error("order {id} is {status}: only queued orders and orders not yet loaded can be cancelled")]
    TooLate {
        /// The order.
        id: u64,
        /// Its status.
        status: &'static str,
    },
}

/// Something that happened, for logs, reports and operators.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Event {
    /// When (injected time, ms).
    pub at: Millis,
    /// What.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The kinds of [`Event`].
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    /// An order was accepted.
    OrderAccepted {
        /// Its id.
        order: u64,
    },
    /// An order changed status.
    OrderStatus {
        /// Its id.
        order: u64,
        /// The new status.
        status: OrderStatus,
    },
    /// A vehicle was fenced.
    VehicleFenced {
        /// Its serial number.
        vehicle: String,
        /// Why.
        reason: String,
    },
    /// A fenced vehicle is back in service.
    VehicleRecovered {
        /// Its serial number.
        vehicle: String,
    },
    /// The core failed at something of its own making (a bug, not the
    /// vehicle's fault); the vehicle is not blamed.
    InternalError {
        /// The vehicle concerned, if any.
        vehicle: Option<String>,
        /// What failed.
        what: String,
    },
    /// An input was refused.
    InputRejected {
        /// From whom, if known.
        vehicle: Option<String>,
        /// Why.
        reason: String,
    },
    /// A node or edge was closed to traffic.
    PlaceClosed {
        /// Which (`node ID` or `edge ID`).
        place: String,
        /// Why.
        reason: String,
    },
    /// A closed node or edge was reopened.
    PlaceOpened {
        /// Which.
        place: String,
        /// Why, when the core reopened it itself (the place left the layout).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
    },
    /// A wait-for cycle that lasted: a deadlock (it is being broken).
    Deadlock {
        /// Its vehicles.
        vehicles: Vec<String>,
    },
    /// A vehicle in a lasting cycle was told to make way.
    DeadlockBreak {
        /// The vehicle.
        vehicle: String,
    },
}

/// What one step produces.
#[derive(Clone, Debug, Default)]
pub struct Outbound {
    /// Messages to send, in order.
    pub messages: Vec<(VehicleId, ToVehicle)>,
    /// Events.
    pub events: Vec<Event>,
    /// Store records (make them durable before acknowledging anything).
    pub records: Vec<StoreRecord>,
    /// One reply per input, in order.
    pub replies: Vec<Reply>,
}

/// What a vehicle is doing, for `status`.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct VehicleStatus {
    /// Serial number.
    pub serial: String,
    /// Type.
    pub vehicle_type: String,
    /// Last node reached.
    pub node: Option<String>,
    /// Position, if reported.
    pub position: Option<(f64, f64, f64)>,
    /// Battery, %.
    pub battery: f64,
    /// Its job, in words.
    pub job: String,
    /// Fenced, and why.
    pub fenced: Option<String>,
    /// Why it is not moving, in words (`None` while it moves).
    pub waiting: Option<String>,
    /// Released nodes ahead of it.
    pub released_ahead: usize,
    /// States dropped as older than the last applied, or duplicates.
    #[serde(default)]
    pub stale_dropped: u64,
}

/// The orchestrator core.
pub struct Orchestrator {
    world: World,
    schedule: Schedule,
}

impl std::fmt::Debug for Orchestrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orchestrator")
            .field("vehicles", &self.world.resource::<Fleet>().entities.len())
            .finish()
    }
}

impl Orchestrator {
    /// A core for `fleet` on `layout`.
    pub fn new(
        layout: Arc<Layout>,
        fleet: Vec<VehicleSpec>,
        config: FleetConfig,
    ) -> Result<Orchestrator, SetupError> {
        let spatial = SpatialIndex::build(&layout);
        let conflicts = FootprintConflicts::compute(&layout, &spatial, config.footprint);
        let layout_types = layout.vehicle_types();
        let mut types: Vec<String> = fleet.iter().map(|v| v.vehicle_type.clone()).collect();
        types.sort();
        types.dedup();
        let per_type = config.distance_cache_bytes / types.len().max(1);
        let tables = types
            .iter()
            .map(|t| DistanceTables::new(RoadGraph::build(&layout, t, config.speed), per_type))
            .collect();
        let mut map_ids: BTreeSet<String> = layout.levels.iter().map(|l| l.id.clone()).collect();
        map_ids.extend(layout.nodes.iter().filter_map(|n| n.map_id.clone()));
        let mut world = World::new();
        let mut index = Fleet::default();
        for (i, spec) in fleet.iter().enumerate() {
            let idx = VehicleIdx(i as u32);
            if index.by_id.insert(spec.id.clone(), idx).is_some()
                || index.by_serial.insert(spec.id.serial_number.clone(), idx).is_some()
            {
                return Err(SetupError::DuplicateVehicle(spec.id.to_string()));
            }
            if !layout_types.is_empty() && !layout_types.contains(&spec.vehicle_type) {
                return Err(SetupError::UnknownType {
                    vehicle: spec.id.to_string(),
                    vehicle_type: spec.vehicle_type.clone(),
                    known: layout_types.join(", "),
                });
            }
            let road = types.iter().position(|t| *t == spec.vehicle_type).unwrap_or(0);
            let entity = world
                .spawn((
                    Vehicle {
                        idx,
                        id: spec.id.clone(),
                        vehicle_type: spec.vehicle_type.clone(),
                        road,
                        load_types: spec.load_types.clone(),
                    },
                    Report::default(),
                    Health::Unplaced,
                    Job::idle(Millis::ZERO),
                    Drive::default(),
                    Waiting::default(),
                ))
                .id();
            index.entities.push(entity);
        }
        // One more holder than vehicles: the site itself holds closed nodes.
        world.insert_resource(Reservations(ReservationTable::new(
            layout.nodes.len(),
            layout.edges.len(),
            fleet.len() + 1,
        )));
        world.insert_resource(Site { layout, spatial, conflicts, map_ids });
        world.insert_resource(Routes { types, tables });
        world.insert_resource(Clock::default());
        world.insert_resource(Config(config));
        world.insert_resource(Inbox::default());
        world.insert_resource(Outbox::default());
        world.insert_resource(OrderBook::new());
        world.insert_resource(index);
        world.insert_resource(Claims::default());
        world.insert_resource(Deadlocks::default());
        world.insert_resource(Blocked::default());
        let mut schedule = Schedule::default();
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.add_systems(
            (
                ingest::ingest,
                tasks::update_tasks,
                tasks::assign,
                motion::plan,
                motion::reserve_and_release,
                emit::emit,
                monitor::monitor,
            )
                .chain(),
        );
        Ok(Orchestrator { world, schedule })
    }

    /// Applies `inputs` in order at `now` and returns what they produced:
    /// one [`Reply`] per input, and the messages, events and store records
    /// of the whole batch. This is the only way to change the core.
    pub fn step(&mut self, now: impl Into<Millis>, inputs: Vec<Input>) -> Outbound {
        let now = now.into();
        {
            let mut clock = self.world.resource_mut::<Clock>();
            clock.now = now.max(clock.now);
        }
        let replies = inputs.into_iter().map(|input| self.apply(now, input)).collect();
        let mut out = self.world.resource_mut::<Outbox>();
        Outbound {
            messages: std::mem::take(&mut out.messages),
            events: std::mem::take(&mut out.events),
            records: std::mem::take(&mut out.records),
            replies,
        }
    }

    fn apply(&mut self, now: Millis, input: Input) -> Reply {
        let refused = |e: CommandError| Reply::Refused(e);
        match input {
            Input::Tick => {
                self.tick(now);
                Reply::Done
            }
            Input::Vehicle(event) => {
                self.world.resource_mut::<Inbox>().0.push(event);
                Reply::Done
            }
            Input::Submit { request } => match self.submit(now, request) {
                Ok(order) => Reply::Submitted { order },
                Err(e) => refused(e.into()),
            },
            Input::Cancel { order } => {
                self.cancel(now, order).map_or_else(|e| refused(e.into()), |()| Reply::Done)
            }
            Input::Close { place, reason } => {
                self.set_closed(now, place, Some(reason)).map_or_else(refused, |()| Reply::Done)
            }
            Input::Open { place } => self.set_closed(now, place, None).map_or_else(refused, |()| Reply::Done),
            Input::Restore { orders, closed, next_order } => {
                self.restore(now, orders);
                let mut book = self.world.resource_mut::<OrderBook>();
                book.next_id = book.next_id.max(next_order);
                for closure in closed {
                    let place = closure.place.clone();
                    if let Err(e) = self.set_closed(closure.since, place.clone(), Some(closure.reason)) {
                        // The place left the layout: forget the closure.
                        let mut out = self.world.resource_mut::<Outbox>();
                        out.records.push(StoreRecord::Opened { place: place.clone(), at: now });
                        out.event(
                            now,
                            EventKind::PlaceOpened { place: place.to_string(), why: Some(e.to_string()) },
                        );
                    }
                }
                Reply::Done
            }
        }
    }

    fn tick(&mut self, now: Millis) {
        {
            let mut clock = self.world.resource_mut::<Clock>();
            clock.tick += 1;
            clock.started.get_or_insert(now);
        }
        self.schedule.run(&mut self.world);
    }

    /// Rebuilds the order book from the store after a restart.
    fn restore(&mut self, now: Millis, stored: Vec<StoredOrder>) {
        let layout = self.world.resource::<Site>().layout.clone();
        let mut assigned: Vec<(VehicleIdx, u64, Leg, Goal)> = Vec::new();
        let by_serial = self.world.resource::<Fleet>().by_serial.clone();
        let keep = self.world.resource::<Config>().0.finished_kept;
        let mut book = self.world.resource_mut::<OrderBook>();
        let mut journal = Vec::new();
        for s in stored {
            book.next_id = book.next_id.max(s.id + 1);
            let mut order = match accept(&layout, s.id, s.request.clone(), Millis::ZERO) {
                Ok(mut order) => {
                    order.history = s.history;
                    order
                }
                Err(e) => {
                    let mut order = TransportOrder {
                        id: s.id,
                        pickup: NodeIdx(0),
                        drop: NodeIdx(0),
                        request: s.request,
                        history: s.history,
                    };
                    let status = OrderStatus::Failed { reason: format!("after restart: {e}") };
                    if order.transition(now, status.clone()).is_ok() {
                        journal.push(StoreRecord::Status { id: order.id, at: now, status });
                    }
                    order
                }
            };
            let vehicle = order.history.iter().rev().find_map(|(_, s)| match s {
                OrderStatus::Assigned { vehicle } => Some(vehicle.clone()),
                _ => None,
            });
            let leg = match order.status() {
                OrderStatus::Assigned { .. } | OrderStatus::ToPickup | OrderStatus::Loading => {
                    Some(Leg::Pick)
                }
                OrderStatus::ToDrop | OrderStatus::Unloading => Some(Leg::Drop),
                _ => None,
            };
            if let Some(leg) = leg {
                match vehicle.and_then(|v| by_serial.get(&v).copied()) {
                    Some(v) => assigned.push((v, order.id, leg, tasks::leg_goal(&order, leg))),
                    None => {
                        let status = if leg == Leg::Pick {
                            OrderStatus::Queued
                        } else {
                            OrderStatus::Failed { reason: "its vehicle is no longer in the fleet".into() }
                        };
                        if order.transition(now, status.clone()).is_ok() {
                            journal.push(StoreRecord::Status { id: order.id, at: now, status });
                        }
                    }
                }
            }
            let (id, ended) = (order.id, order.status().is_terminal());
            book.orders.insert(id, order);
            if ended {
                book.retire(id, keep);
            }
        }
        for (v, order, leg, goal) in assigned {
            let entity = self.world.resource::<Fleet>().entities[v.0 as usize];
            if let Some(mut job) = self.world.get_mut::<Job>(entity) {
                *job = Job { kind: JobKind::Transport { order, leg }, since: now, goal: Some(goal) };
            }
            if let Some(mut drive) = self.world.get_mut::<Drive>(entity) {
                drive.start_new = true;
            }
        }
        self.world.resource_mut::<Outbox>().records.extend(journal);
    }

    /// Accepts a transport order.
    fn submit(&mut self, now: Millis, request: OrderRequest) -> Result<u64, RequestError> {
        let layout = self.world.resource::<Site>().layout.clone();
        let mut book = self.world.resource_mut::<OrderBook>();
        let id = book.next_id;
        let order = accept(&layout, id, request.clone(), now)?;
        book.next_id += 1;
        book.orders.insert(id, order);
        let mut out = self.world.resource_mut::<Outbox>();
        out.records.push(StoreRecord::Accepted { id, at: now, request });
        out.event(now, EventKind::OrderAccepted { order: id });
        Ok(id)
    }

    /// Cancels an order that is queued or not yet loaded.
    fn cancel(&mut self, now: Millis, id: u64) -> Result<(), CancelError> {
        let mut book = self.world.resource_mut::<OrderBook>();
        let order = book.orders.get_mut(&id).ok_or(CancelError::Unknown(id))?;
        order
            .transition(now, OrderStatus::Cancelled)
            .map_err(|_| CancelError::TooLate { id, status: order.status().name() })?;
        let keep = self.world.resource::<Config>().0.finished_kept;
        self.world.resource_mut::<OrderBook>().retire(id, keep);
        let mut out = self.world.resource_mut::<Outbox>();
        out.records.push(StoreRecord::Status { id, at: now, status: OrderStatus::Cancelled });
        out.event(now, EventKind::OrderStatus { order: id, status: OrderStatus::Cancelled });
        // The vehicle, if any, lets go at the next tick (update tasks).
        Ok(())
    }

    /// Closes (`Some(reason)`) or reopens (`None`) a node or edge.
    fn set_closed(
        &mut self,
        now: Millis,
        place: PlaceId,
        reason: Option<String>,
    ) -> Result<(), CommandError> {
        let layout = self.world.resource::<Site>().layout.clone();
        let found = match &place {
            PlaceId::Node(id) => layout.node_by_id(id).map(Place::Node),
            PlaceId::Edge(id) => layout.edge_by_id(id).map(Place::Edge),
        };
        let kind = if matches!(place, PlaceId::Node(_)) { "node" } else { "edge" };
        let Some(found) = found else {
            return Err(CommandError::UnknownPlace { place, kind });
        };
        let mut blocked = self.world.resource_mut::<Blocked>();
        let (record, event) = match reason {
            Some(reason) => {
                let closure = Closure { place: place.clone(), reason: reason.clone(), since: now };
                blocked.closed.insert(found, closure.clone());
                (StoreRecord::Closed { closure }, EventKind::PlaceClosed { place: place.to_string(), reason })
            }
            None => {
                if blocked.closed.remove(&found).is_none() {
                    return Err(CommandError::NotClosed(place));
                }
                (
                    StoreRecord::Opened { place: place.clone(), at: now },
                    EventKind::PlaceOpened { place: place.to_string(), why: None },
                )
            }
        };
        let mut out = self.world.resource_mut::<Outbox>();
        out.records.push(record);
        out.event(now, event);
        Ok(())
    }

    /// The closed nodes and edges.
    pub fn closed(&self) -> Vec<Closure> {
        self.world.resource::<Blocked>().closed.values().cloned().collect()
    }

    /// One order: live, or among the latest finished.
    pub fn order(&self, id: u64) -> Option<&TransportOrder> {
        let book = self.world.resource::<OrderBook>();
        book.orders.get(&id).or_else(|| book.finished.get(&id))
    }

    /// The live orders by id, then the latest finished ones by id (at most
    /// [`FleetConfig::finished_kept`]; the store has the rest).
    pub fn orders(&self) -> impl Iterator<Item = &TransportOrder> {
        let book = self.world.resource::<OrderBook>();
        book.orders.values().chain(book.finished.values())
    }

    /// How many orders are live (not finished).
    pub fn live_orders(&self) -> usize {
        self.world.resource::<OrderBook>().orders.len()
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.world.resource::<Site>().layout
    }

    /// The footprint conflict sets in use.
    pub fn conflicts(&self) -> &FootprintConflicts {
        &self.world.resource::<Site>().conflicts
    }

    /// The reservation table.
    pub fn reservations(&self) -> &ReservationTable {
        &self.world.resource::<Reservations>().0
    }

    /// Vehicle ids by index (the reservation table's vehicle numbers).
    pub fn vehicle_ids(&self) -> Vec<VehicleId> {
        let fleet = self.world.resource::<Fleet>();
        fleet.entities.iter().filter_map(|e| self.world.get::<Vehicle>(*e).map(|v| v.id.clone())).collect()
    }

    /// Every vehicle's wait reason (vehicles that move are absent).
    pub fn waits(&self) -> BTreeMap<VehicleIdx, WaitReason> {
        let fleet = self.world.resource::<Fleet>();
        fleet
            .entities
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                self.world.get::<Waiting>(*e)?.reason.clone().map(|r| (VehicleIdx(i as u32), r))
            })
            .collect()
    }

    /// Deadlocks (wait-for cycles that lasted) found so far.
    pub fn deadlocks_detected(&self) -> u64 {
        self.world.resource::<Deadlocks>().detected
    }

    /// Whether each vehicle (by index) has a job.
    pub fn busy(&self) -> Vec<bool> {
        let fleet = self.world.resource::<Fleet>();
        fleet
            .entities
            .iter()
            .map(|e| self.world.get::<Job>(*e).is_some_and(|j| !matches!(j.kind, JobKind::Idle)))
            .collect()
    }

    /// Every vehicle's status, by index.
    pub fn vehicles(&self) -> Vec<VehicleStatus> {
        let fleet = self.world.resource::<Fleet>();
        let site = self.world.resource::<Site>();
        let names: Vec<String> = fleet
            .entities
            .iter()
            .map(|e| self.world.get::<Vehicle>(*e).map_or_else(String::new, |v| v.id.serial_number.clone()))
            .collect();
        fleet
            .entities
            .iter()
            .filter_map(|&e| {
                let v = self.world.get::<Vehicle>(e)?;
                let report = self.world.get::<Report>(e)?;
                let job = self.world.get::<Job>(e)?;
                let drive = self.world.get::<Drive>(e)?;
                let health = self.world.get::<Health>(e)?;
                let waiting = self.world.get::<Waiting>(e)?;
                Some(VehicleStatus {
                    serial: v.id.serial_number.clone(),
                    vehicle_type: v.vehicle_type.clone(),
                    node: report.node.map(|n| site.layout.node(n).id.clone()),
                    position: report.position,
                    battery: report.battery,
                    job: describe_job(&job.kind, &site.layout),
                    fenced: match health {
                        Health::Fenced { reason, .. } => Some(reason.to_string()),
                        _ => None,
                    },
                    waiting: waiting.reason.as_ref().map(|r| describe_wait(r, &site.layout, &names)),
                    released_ahead: drive.ahead(),
                    stale_dropped: report.stale_dropped,
                })
            })
            .collect()
    }
}

fn describe_job(job: &JobKind, layout: &Layout) -> String {
    let station =
        |s: layout::StationIdx| layout.stations.get(s.index()).map_or("?", |s| s.id.as_str()).to_string();
    match job {
        JobKind::Idle => "idle".into(),
        JobKind::Transport { order, leg: Leg::Pick } => format!("order {order}: to pickup"),
        JobKind::Transport { order, leg: Leg::Drop } => format!("order {order}: to drop"),
        JobKind::Charge { station: s, charging: false } => format!("to charger {}", station(*s)),
        JobKind::Charge { station: s, charging: true } => format!("charging at {}", station(*s)),
        JobKind::Park { station: s } => format!("to parking {}", station(*s)),
        JobKind::Vacate { node } => format!("clearing the station for node {}", layout.node(*node).id),
    }
}

/// A wait reason in words, naming places and vehicles.
pub fn describe_wait(reason: &WaitReason, layout: &Layout, names: &[String]) -> String {
    use crate::traffic::reservations::Place;
    let place = |p: &Place| match p {
        Place::Node(n) => format!("node {}", layout.node(*n).id),
        Place::Edge(e) => format!("edge {}", layout.edge(*e).id),
    };
    match reason {
        WaitReason::Reservation { place: p, holder } => {
            format!("waiting for {} held by {}", place(p), names.get(holder.0 as usize).map_or("?", |s| s))
        }
        WaitReason::Fault { description } => format!("fault: {description}"),
        WaitReason::Action { action_id } => format!("running action {action_id}"),
        WaitReason::NoOrder => "no order".into(),
        WaitReason::Paused => "paused".into(),
        WaitReason::NoRoute { goal } => format!("no route to node {} now", layout.node(*goal).id),
        WaitReason::Acknowledgement => "waiting for the vehicle to take its order".into(),
        WaitReason::Starting => "not placed yet".into(),
    }
}
