//! The fleet model: the ECS components of a vehicle and the resources of
//! the orchestrator's `World`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use bevy_ecs::prelude::*;
use layout::spatial::SpatialIndex;
use layout::{EdgeIdx, Layout, NodeIdx, StationIdx};
use protocol::messages::{Action, ActionStatus, ConnectionState};
use protocol::transport::{OrchestratorEvent, ToVehicle, VehicleId};

use super::{Event, EventKind, FleetConfig};
use crate::orders::{Millis, TransportOrder};
use crate::records::StoreRecord;
use crate::traffic::bodies::Bodies;
use crate::traffic::reservations::{Place, ReservationTable, VehicleIdx};
use crate::traffic::routing::DistanceTables;
use crate::traffic::waits::WaitReason;

/// Who a vehicle is (never changes).
#[derive(Component, Clone, Debug)]
pub struct Vehicle {
    /// Dense index (reservations, wait-for graph).
    pub idx: VehicleIdx,
    /// Manufacturer and serial number.
    pub id: VehicleId,
    /// Vehicle type (which roads it may use).
    pub vehicle_type: String,
    /// Index of its road graph in [`Routes`].
    pub road: usize,
    /// Load types it carries (empty: any).
    pub load_types: Vec<String>,
    /// How far its trailers reach behind its body, m: the places it
    /// passed stay held until its tail has left them.
    pub tail_m: f64,
    /// Its body as the fleet file gives it, if it does.
    pub body: Option<super::Body>,
}

/// What the vehicle last told us.
#[derive(Component, Clone, Debug, Default)]
pub struct Report {
    /// When its last state arrived.
    pub seen: Option<Millis>,
    /// Its connection (`None` until it says).
    pub connection: Option<ConnectionState>,
    /// Last node reached.
    pub node: Option<NodeIdx>,
    /// Its sequence id.
    pub seq: u32,
    /// The order it runs (empty if none).
    pub order_id: String,
    /// Its update id.
    pub update_id: u32,
    /// The last released node it knows of `order_id` (its decision point).
    pub known_seq: u32,
    /// Released nodes of its order still ahead: node and sequence id.
    pub released: Vec<(NodeIdx, u32)>,
    /// Whether that order is finished (no node left, every action over).
    pub order_done: bool,
    /// Paused.
    pub paused: bool,
    /// Battery, %.
    pub battery: f64,
    /// Charging.
    pub charging: bool,
    /// The first FATAL error, if any.
    pub fatal: Option<String>,
    /// Every error it reports, in words (`LEVEL type: description`).
    pub errors: Vec<String>,
    /// Who controls it (`AUTOMATIC`, `MANUAL`, …), as it says.
    pub operating_mode: Option<String>,
    /// The loads it carries (their ids, else their types, else `load`).
    pub loads: Vec<String>,
    /// Whether it is driving.
    pub driving: bool,
    /// Position, if reported: x, y, θ.
    pub position: Option<(f64, f64, f64)>,
    /// Status of each action by id.
    pub actions: BTreeMap<String, ActionStatus>,
    /// The last state applied: its header id and timestamp (ms). Older or
    /// duplicate states are dropped; a new connection resets it.
    pub last_state: Option<(u32, i64)>,
    /// States dropped because they were older than the last applied, or
    /// duplicates of it.
    pub stale_dropped: u64,
}

/// Whether the orchestrator trusts the vehicle's whereabouts.
#[derive(Component, Clone, Debug, PartialEq)]
pub enum Health {
    /// Never placed on the layout yet.
    Unplaced,
    /// Placed, driving under our reservations.
    Ok,
    /// Fenced: holds what it held, gets nothing new, others route around it.
    Fenced {
        /// Why.
        reason: FenceReason,
        /// Since when.
        since: Millis,
    },
}

/// Why a vehicle is fenced. Decisions read the variant, never the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FenceReason {
    /// Its connection broke (last will, or its presence vanished).
    ConnectionBroken,
    /// It said OFFLINE.
    Offline,
    /// No state for this long, ms.
    Silent {
        /// How long.
        for_ms: u64,
    },
    /// It reports a FATAL error.
    Fatal {
        /// The error.
        error: String,
    },
    /// It reports being on a node that was not released to it.
    NotReleased {
        /// The node's id.
        node: String,
    },
    /// Placing it failed: what it reports cannot be held for it.
    Unplaceable {
        /// Why.
        why: String,
    },
    /// It did not confirm the cancellation of its old order.
    CancelUnconfirmed {
        /// How many `cancelOrder` were sent.
        attempts: u32,
    },
}

impl std::fmt::Display for FenceReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FenceReason::ConnectionBroken => write!(f, "connection broken"),
            FenceReason::Offline => write!(f, "went offline"),
            FenceReason::Silent { for_ms } => write!(f, "no state for {:.1} s", *for_ms as f64 / 1000.0),
            FenceReason::Fatal { error } => write!(f, "FATAL error: {error}"),
            FenceReason::NotReleased { node } => {
                write!(f, "reported node {node} which was not released to it")
            }
            FenceReason::Unplaceable { why } => write!(f, "{why}"),
            FenceReason::CancelUnconfirmed { attempts } => write!(
                f,
                "it did not confirm the cancellation of its old order after {attempts} cancelOrder requests; \
                 an operator must check it (it stays fenced)"
            ),
        }
    }
}

/// Which leg of a transport order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leg {
    /// To the pickup, then `pick`.
    Pick,
    /// On a milk run, to intermediate stop `k` (0-based into the order's
    /// `via`); no action: standing there is calling there.
    Via(u32),
    /// To the drop, then `drop`.
    Drop,
}

/// What a vehicle is doing.
#[derive(Clone, Debug, PartialEq)]
pub enum JobKind {
    /// Nothing; it may be pushed out of the way.
    Idle,
    /// A transport order.
    Transport {
        /// The order.
        order: u64,
        /// Which leg.
        leg: Leg,
    },
    /// Going to a charger (then charging until the battery is full enough).
    Charge {
        /// The charger.
        station: StationIdx,
        /// Charging has started.
        charging: bool,
    },
    /// Going to a parking spot, out of the traffic.
    Park {
        /// The spot.
        station: StationIdx,
    },
    /// Leaving a station it has no business at (it would block it).
    Vacate {
        /// The free node it goes to.
        node: NodeIdx,
    },
}

/// A vehicle's job.
#[derive(Component, Clone, Debug)]
pub struct Job {
    /// What.
    pub kind: JobKind,
    /// Since when.
    pub since: Millis,
    /// Where it leads and the action to run there (VDA action type).
    pub goal: Option<(NodeIdx, Option<&'static str>)>,
}

impl Job {
    /// No job since `now`.
    pub fn idle(now: Millis) -> Job {
        Job { kind: JobKind::Idle, since: now, goal: None }
    }
}

/// The VDA 5050 order a vehicle runs and what is released to it.
#[derive(Component, Clone, Debug, Default)]
pub struct Drive {
    /// The order id (as sent), if any was sent.
    pub order_id: Option<String>,
    /// Its latest update id.
    pub update_id: u32,
    /// Released nodes not yet passed with their sequence ids; the first
    /// is the last node the vehicle reached.
    pub base: VecDeque<(NodeIdx, u32)>,
    /// The edges between consecutive base nodes.
    pub edges: VecDeque<EdgeIdx>,
    /// Where and what the job's goal action is, once released: the goal
    /// node's sequence id and the action.
    pub goal_action: Option<(u32, Action)>,
    /// The goal is in the base: nothing more is released for this order.
    pub goal_released: bool,
    /// Moves decided this tick, to send.
    pub extend: Vec<(EdgeIdx, NodeIdx)>,
    /// The next order must be a new one (the job changed).
    pub start_new: bool,
    /// The order in flight carries a horizon that must be withdrawn.
    pub has_horizon: bool,
    /// The horizon last sent: planned nodes beyond the base (not released).
    pub horizon: Vec<NodeIdx>,
    /// Send an update without horizon.
    pub truncate: bool,
    /// When the latest order message was sent.
    pub sent_at: Millis,
    /// Header ids of the order and instantActions topics.
    pub headers: (u32, u32),
    /// Instant actions to send.
    pub instant: Vec<Action>,
    /// The job's goal is where the vehicle stands: send its action.
    pub arrive: bool,
    /// The order was opened this tick (send it as a new order).
    pub fresh: bool,
    /// When a `cancelOrder` was last sent.
    pub cancel_at: Option<Millis>,
    /// The id of the last `cancelOrder` sent, and how many were sent for
    /// this resynchronisation.
    pub cancel: Option<(String, u32)>,
    /// The transport order and leg the VDA order serves, if it serves one.
    pub serves: Option<(u64, Leg)>,
    /// Places passed but still under the vehicle's trailers, oldest
    /// first, with the metres each adds to the tail (an edge's length).
    pub tail: VecDeque<(Place, f64)>,
}

impl Drive {
    /// The decision point: the last released node.
    pub fn end(&self) -> Option<NodeIdx> {
        self.base.back().map(|b| b.0)
    }

    /// Released nodes ahead of the vehicle.
    pub fn ahead(&self) -> usize {
        self.base.len().saturating_sub(1)
    }
}

/// Why the vehicle is not moving (if it is not).
#[derive(Component, Clone, Debug, Default)]
pub struct Waiting {
    /// The reason, `None` while it moves.
    pub reason: Option<WaitReason>,
}

/// The site: layout, spatial index and footprint conflicts.
#[derive(Resource)]
pub struct Site {
    /// The layout.
    pub layout: Arc<Layout>,
    /// Its spatial index.
    pub spatial: SpatialIndex,
    /// Every vehicle's body and the conflict sets between them.
    pub bodies: Bodies,
    /// Map ids vehicles may report (levels and node map ids).
    pub map_ids: BTreeSet<String>,
}

/// Distance tables, one per vehicle type.
#[derive(Resource)]
pub struct Routes {
    /// Vehicle type names, by road index.
    pub types: Vec<String>,
    /// Tables by road index.
    pub tables: Vec<DistanceTables>,
    /// The loaded legs' time of queued orders (pickup, stops, drop), ms,
    /// by (order, road), with the tables' generation it was computed at:
    /// assignment prices every queued order every tick, and its legs do
    /// not change while the roads do not.
    pub loaded: BTreeMap<(u64, usize), (u64, Option<u64>)>,
}

/// Who holds which place.
#[derive(Resource)]
pub struct Reservations(pub ReservationTable);

/// The injected clock.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct Clock {
    /// Now.
    pub now: Millis,
    /// Ticks stepped.
    pub tick: u64,
    /// The first tick's time.
    pub started: Option<Millis>,
}

/// Configuration.
#[derive(Resource, Clone, Debug)]
pub struct Config(pub FleetConfig);

/// Messages received since the last tick.
#[derive(Resource, Default)]
pub struct Inbox(pub Vec<OrchestratorEvent>);

/// What the core produces.
#[derive(Resource, Default)]
pub struct Outbox {
    /// Messages to vehicles.
    pub messages: Vec<(VehicleId, ToVehicle)>,
    /// Events.
    pub events: Vec<Event>,
    /// Store records to make durable.
    pub records: Vec<StoreRecord>,
}

impl Outbox {
    /// Records an event.
    pub fn event(&mut self, at: Millis, kind: EventKind) {
        self.events.push(Event { at, kind });
    }
}

/// Transport orders.
#[derive(Resource, Default)]
pub struct OrderBook {
    /// Orders not yet finished, by id: what assignment and the systems scan.
    pub orders: BTreeMap<u64, TransportOrder>,
    /// The latest finished orders, by id (at most [`FleetConfig::finished_kept`];
    /// every finished order is in the store).
    pub finished: BTreeMap<u64, TransportOrder>,
    /// Finished ids, oldest first, for eviction.
    pub finished_order: VecDeque<u64>,
    /// The next id.
    pub next_id: u64,
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> OrderBook {
        OrderBook {
            orders: BTreeMap::new(),
            finished: BTreeMap::new(),
            finished_order: VecDeque::new(),
            next_id: 1,
        }
    }

    /// Moves an order that ended out of the live book, keeping the latest
    /// `keep` finished ones for queries.
    pub fn retire(&mut self, id: u64, keep: usize) {
        let Some(order) = self.orders.remove(&id) else { return };
        self.finished.insert(id, order);
        self.finished_order.push_back(id);
        while self.finished_order.len() > keep {
            if let Some(old) = self.finished_order.pop_front() {
                self.finished.remove(&old);
            }
        }
    }
}

/// The fleet's index: entities by vehicle index, indices by id.
#[derive(Resource, Default)]
pub struct Fleet {
    /// Entity of each vehicle index.
    pub entities: Vec<Entity>,
    /// Vehicle index by id.
    pub by_id: BTreeMap<VehicleId, VehicleIdx>,
    /// Vehicle index by serial number (names in order statuses).
    pub by_serial: BTreeMap<String, VehicleIdx>,
}

/// Chargers and parking spots: who has claimed which.
#[derive(Resource, Default)]
pub struct Claims {
    /// Claimed stations.
    pub by_station: BTreeMap<StationIdx, VehicleIdx>,
    /// Nodes claimed by vehicles vacating a station.
    pub by_node: BTreeMap<NodeIdx, VehicleIdx>,
}

/// Deadlock tracking.
#[derive(Resource, Default)]
pub struct Deadlocks {
    /// Current wait-for cycles and since when each has lasted.
    pub cycles: BTreeMap<Vec<VehicleIdx>, Millis>,
    /// Vehicles that must leave their node at the next step.
    pub must_move: BTreeSet<VehicleIdx>,
    /// Vehicles that gave way to break a cycle, and until when they plan
    /// after everyone else (so that they do not retake what they freed).
    pub yielding: BTreeMap<VehicleIdx, Millis>,
    /// Deadlocks (lasting cycles) found so far.
    pub detected: u64,
}

/// Places closed to traffic (by the operator or a fault) and nodes held by
/// fenced vehicles: routing avoids both.
#[derive(Resource, Default)]
pub struct Blocked {
    /// Closed nodes and edges, with what closed them.
    pub closed: BTreeMap<Place, crate::input::Closure>,
    /// The nodes and edges routing currently avoids.
    pub applied: (Vec<NodeIdx>, Vec<EdgeIdx>),
}
