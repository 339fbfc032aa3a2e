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

mod commands;
mod config;
mod emit;
mod events;
mod ingest;
pub mod model;
mod monitor;
mod motion;
mod queries;
mod tasks;

pub use commands::CancelError;
pub use config::{Body, FleetConfig, FleetEntry, HITCH_M, SetupError, Trailer, Transport, VehicleSpec};
pub use events::{Event, EventKind};
pub use queries::{VehicleStatus, describe_wait};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use layout::conflicts::Footprint;
use layout::spatial::SpatialIndex;
use layout::{Layout, NodeIdx};
use protocol::transport::{ToVehicle, VehicleId};

use crate::input::{CommandError, Input, Reply};
use crate::orders::Millis;
use crate::records::StoreRecord;
use crate::traffic::bodies::Bodies;
use crate::traffic::reservations::{ReservationTable, VehicleIdx};
use crate::traffic::routing::{DistanceTables, RoadGraph};
use model::*;

/// Where a job leads and the VDA action to run there.
type Goal = (NodeIdx, Option<&'static str>);

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
        for spec in &fleet {
            if let Some(why) = spec.body.as_ref().and_then(|b| b.check().err()) {
                return Err(SetupError::BadBody { vehicle: spec.id.to_string(), why });
            }
        }
        let footprints: Vec<Footprint> = fleet.iter().map(|v| v.footprint(&config)).collect();
        let bodies = Bodies::compute(&layout, &spatial, &footprints);
        let layout_types = layout.vehicle_types();
        let mut types: Vec<String> = fleet.iter().map(|v| v.vehicle_type.clone()).collect();
        types.sort();
        types.dedup();
        let per_type = config.distance_cache_bytes / types.len().max(1);
        let tables = types
            .iter()
            .map(|t| {
                DistanceTables::new(
                    RoadGraph::build_with_grain(&layout, t, config.speed, config.grain),
                    per_type,
                )
            })
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
                        tail_m: spec.body.as_ref().map_or(0.0, Body::reach_behind),
                        body: spec.body.clone(),
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
        world.insert_resource(Site { layout, spatial, bodies, map_ids });
        world.insert_resource(Routes { types, tables, loaded: BTreeMap::new() });
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
}
