//! What the core answers between steps: orders, vehicles, waits,
//! reservations, closures. Queries read the world; they change nothing.

use std::collections::BTreeMap;

use crate::traffic::bodies::Bodies;
use layout::Layout;
use protocol::transport::VehicleId;
use serde::Serialize;

use super::Orchestrator;
use super::model::*;
use crate::input::Closure;
use crate::orders::TransportOrder;
use crate::traffic::reservations::{ReservationTable, VehicleIdx};
use crate::traffic::waits::WaitReason;

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
    /// Manufacturer (vehicles are identified by manufacturer and serial).
    #[serde(default)]
    pub manufacturer: String,
    /// The transport order it works on, if any.
    #[serde(default)]
    pub order: Option<u64>,
    /// Whether it is online, fenced or not placed yet: `ok`, `fenced`, `unplaced`.
    #[serde(default)]
    pub health: String,
    /// Who controls it, as it says (`AUTOMATIC`, `MANUAL`, …).
    #[serde(default)]
    pub operating_mode: Option<String>,
    /// The errors it reports, in words.
    #[serde(default)]
    pub errors: Vec<String>,
    /// The loads it carries.
    #[serde(default)]
    pub loads: Vec<String>,
    /// Whether it is driving.
    #[serde(default)]
    pub driving: bool,
    /// Its released base: the last node reached, then the nodes released ahead.
    #[serde(default)]
    pub base: Vec<String>,
    /// Its horizon: planned nodes beyond the base, not released.
    #[serde(default)]
    pub horizon: Vec<String>,
}

impl Orchestrator {
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

    /// Every vehicle's body and the conflict sets between them.
    pub fn bodies(&self) -> &Bodies {
        &self.world.resource::<Site>().bodies
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
                    manufacturer: v.id.manufacturer.clone(),
                    order: match job.kind {
                        JobKind::Transport { order, .. } => Some(order),
                        _ => None,
                    },
                    health: match health {
                        Health::Ok => "ok",
                        Health::Fenced { .. } => "fenced",
                        Health::Unplaced => "unplaced",
                    }
                    .into(),
                    operating_mode: report.operating_mode.clone(),
                    errors: report.errors.clone(),
                    loads: report.loads.clone(),
                    driving: report.driving,
                    base: drive.base.iter().map(|(n, _)| site.layout.node(*n).id.clone()).collect(),
                    horizon: drive.horizon.iter().map(|n| site.layout.node(*n).id.clone()).collect(),
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
        JobKind::Transport { order, leg: Leg::Via(k) } => format!("order {order}: to stop {}", k + 1),
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
