//! What the HTTP API answers, as documented types: orders with their
//! history, vehicles, closed places, the layout, congestion. Built from
//! the core's and the store's own types; the OpenAPI document is generated
//! from these, so the document and the answers cannot drift apart.

use orchestrator::fleet::VehicleStatus;
use orchestrator::input::{Closure, PlaceId};
use orchestrator::orders::{OrderRequest, OrderStatus};
use orchestrator::records::StoredOrder;
use serde::Serialize;
use utoipa::ToSchema;

/// A transport order: its request, where it is, and its whole history.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    /// Its id.
    pub id: u64,
    /// Its latest status's name: `queued`, `assigned`, `to-pickup`,
    /// `loading`, `to-stop`, `to-drop`, `unloading`, `delivered`, `failed`
    /// or `cancelled`.
    pub state: String,
    /// Whether its life is over (delivered, failed or cancelled).
    pub finished: bool,
    /// The vehicle it was last assigned, if any.
    pub vehicle: Option<String>,
    /// When it was accepted, ms since the Unix epoch.
    pub accepted_at: u64,
    /// When its latest status began, ms since the Unix epoch.
    pub updated_at: u64,
    /// What was asked.
    pub request: OrderRequest,
    /// Every status with its time, first `queued`.
    pub history: Vec<HistoryEntry>,
}

/// One step of an order's life.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// When, ms since the Unix epoch.
    pub at: u64,
    /// The status it entered.
    #[serde(flatten)]
    pub status: OrderStatus,
}

impl From<&StoredOrder> for OrderView {
    fn from(o: &StoredOrder) -> OrderView {
        let last = o.history.last();
        OrderView {
            id: o.id,
            state: last.map_or("queued", |h| h.1.name()).to_string(),
            finished: last.is_some_and(|h| h.1.is_terminal()),
            vehicle: o.history.iter().rev().find_map(|h| match &h.1 {
                OrderStatus::Assigned { vehicle } => Some(vehicle.clone()),
                _ => None,
            }),
            accepted_at: o.history.first().map_or(0, |h| h.0.0),
            updated_at: last.map_or(0, |h| h.0.0),
            request: o.request.clone(),
            history: o
                .history
                .iter()
                .map(|(at, status)| HistoryEntry { at: at.0, status: status.clone() })
                .collect(),
        }
    }
}

/// A page of orders.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage {
    /// The orders, by id.
    pub orders: Vec<OrderView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<u64>,
}

/// What one order of a batch got.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchItem {
    /// 201 (accepted, durable) or 422 (refused).
    pub status: u16,
    /// The accepted order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderView>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<super::problem::Problem>,
}

/// A batch's outcome, item by item in the order of the request.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchAnswer {
    /// One per submitted order.
    pub items: Vec<BatchItem>,
}

/// A vehicle as the orchestrator sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VehicleView {
    /// Manufacturer.
    pub manufacturer: String,
    /// Serial number.
    pub serial: String,
    /// Its type.
    pub vehicle_type: String,
    /// `ok`, `fenced` or `unplaced`.
    pub health: String,
    /// Why it is fenced.
    pub fenced: Option<String>,
    /// Last node reached.
    pub node: Option<String>,
    /// Its pose, if it reports one.
    pub pose: Option<Pose>,
    /// Battery, %.
    pub battery: f64,
    /// Whether it is driving.
    pub driving: bool,
    /// The loads it carries.
    pub loads: Vec<String>,
    /// Who controls it, as it says (`AUTOMATIC`, `MANUAL`, …).
    pub operating_mode: Option<String>,
    /// The errors it reports.
    pub errors: Vec<String>,
    /// The transport order it works on.
    pub order: Option<u64>,
    /// Its job, in words.
    pub job: String,
    /// Why it does not move, in words (absent while it moves).
    pub waiting: Option<String>,
    /// Its released base: the last node reached, then the nodes released ahead.
    pub base: Vec<String>,
    /// Its horizon: planned nodes beyond the base, not released.
    pub horizon: Vec<String>,
}

/// Where a vehicle is.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pose {
    /// x, m.
    pub x: f64,
    /// y, m.
    pub y: f64,
    /// Heading, rad.
    pub theta: f64,
}

impl From<&VehicleStatus> for VehicleView {
    fn from(v: &VehicleStatus) -> VehicleView {
        VehicleView {
            manufacturer: v.manufacturer.clone(),
            serial: v.serial.clone(),
            vehicle_type: v.vehicle_type.clone(),
            health: v.health.clone(),
            fenced: v.fenced.clone(),
            node: v.node.clone(),
            pose: v.position.map(|(x, y, theta)| Pose { x, y, theta }),
            battery: v.battery,
            driving: v.driving,
            loads: v.loads.clone(),
            operating_mode: v.operating_mode.clone(),
            errors: v.errors.clone(),
            order: v.order,
            job: v.job.clone(),
            waiting: v.waiting.clone(),
            base: v.base.clone(),
            horizon: v.horizon.clone(),
        }
    }
}

/// A closed node or edge.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClosureView {
    /// `node` or `edge`.
    pub kind: String,
    /// Its id in the layout.
    pub id: String,
    /// Why.
    pub reason: String,
    /// Since when, ms since the Unix epoch.
    pub since: u64,
}

impl From<&Closure> for ClosureView {
    fn from(c: &Closure) -> ClosureView {
        let (kind, id) = match &c.place {
            PlaceId::Node(id) => ("node", id),
            PlaceId::Edge(id) => ("edge", id),
        };
        ClosureView { kind: kind.into(), id: id.clone(), reason: c.reason.clone(), since: c.since.0 }
    }
}

/// The answer to a command on a place or an order.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    /// What was done: `cancelled`, `closed` or `opened`.
    pub done: String,
    /// To what: `order 4`, `node N1`, `edge E7`.
    pub target: String,
}

/// How long vehicles waited where: the congestion heat map.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CongestionView {
    /// Tick period, ms: `waits` × this is the time waited.
    pub tick_ms: u64,
    /// By node: the ticks vehicles spent waiting there (most first).
    pub nodes: Vec<NodeWaits>,
}

/// Waits at one node.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeWaits {
    /// The node.
    pub node: String,
    /// Vehicle-ticks of waiting there.
    pub waits: u64,
}

/// The layout as the dashboard draws it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LayoutView {
    /// Levels (floors), in file order.
    pub levels: Vec<LevelView>,
    /// Nodes.
    pub nodes: Vec<NodeView>,
    /// Directed edges, by node index.
    pub edges: Vec<EdgeView>,
    /// Stations.
    pub stations: Vec<StationView>,
    /// Whether the layout is a grid map (cells, not roads).
    pub grid: bool,
}

/// A level.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LevelView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
}

/// A node.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeView {
    /// Its id.
    pub id: String,
    /// x, m.
    pub x: f64,
    /// y, m.
    pub y: f64,
    /// Its level's index.
    pub level: usize,
}

/// A directed edge.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EdgeView {
    /// Its id.
    pub id: String,
    /// Start node's index in `nodes`.
    pub from: usize,
    /// End node's index in `nodes`.
    pub to: usize,
}

/// A station.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StationView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// `pickup`, `drop`, `charging`, `parking`, `inspection` or `other`.
    pub kind: String,
    /// Its interaction nodes' indices in `nodes`.
    pub nodes: Vec<usize>,
}

impl LayoutView {
    /// The view of `layout`.
    pub fn of(layout: &layout::Layout) -> LayoutView {
        LayoutView {
            levels: layout
                .levels
                .iter()
                .map(|l| LevelView { id: l.id.clone(), name: l.name.clone() })
                .collect(),
            nodes: layout
                .nodes
                .iter()
                .map(|n| NodeView {
                    id: n.id.clone(),
                    x: n.position.x,
                    y: n.position.y,
                    level: n.level.index(),
                })
                .collect(),
            edges: layout
                .edges
                .iter()
                .map(|e| EdgeView { id: e.id.clone(), from: e.from.index(), to: e.to.index() })
                .collect(),
            stations: layout
                .stations
                .iter()
                .map(|s| StationView {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    kind: format!("{:?}", s.kind).to_lowercase(),
                    nodes: s.interaction_nodes.iter().map(|n| n.index()).collect(),
                })
                .collect(),
            grid: layout.grid.is_some(),
        }
    }
}
