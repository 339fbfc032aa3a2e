//! The layout model: levels, nodes, directed edges, stations and the
//! per-vehicle-type properties attached to them.
//!
//! The model is format-neutral: LIF import/export ([`crate::lif`]) and the
//! MovingAI grid importer ([`crate::movingai`]) both produce a [`Layout`].
//! Indices ([`NodeIdx`], [`EdgeIdx`], ...) are dense and stable for the life
//! of a `Layout`; string ids are what files and VDA 5050 messages use.

use std::collections::BTreeMap;

use nalgebra::Point2;

use crate::geometry::Trajectory;

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The index as a `usize`, for slice access.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index_type!(
    /// Dense index of a node in [`Layout::nodes`].
    NodeIdx
);
index_type!(
    /// Dense index of an edge in [`Layout::edges`].
    EdgeIdx
);
index_type!(
    /// Dense index of a station in [`Layout::stations`].
    StationIdx
);
index_type!(
    /// Dense index of a level (one LIF `layout`) in [`Layout::levels`].
    LevelIdx
);

/// A whole site: one or more levels with their nodes, edges and stations.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Who made the file and when (LIF `metaInformation`).
    pub meta: MetaInformation,
    /// Levels (LIF `layouts`), in file order.
    pub levels: Vec<Level>,
    /// All nodes of all levels.
    pub nodes: Vec<Node>,
    /// All directed edges of all levels.
    pub edges: Vec<Edge>,
    /// All stations of all levels.
    pub stations: Vec<Station>,
    /// Present when the layout was imported from a grid map.
    pub grid: Option<GridInfo>,
    node_by_id: BTreeMap<String, NodeIdx>,
    out_edges: Vec<Vec<EdgeIdx>>,
}

/// LIF `metaInformation`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MetaInformation {
    /// Human-readable project name.
    pub project_identification: String,
    /// Creator of the file.
    pub creator: String,
    /// ISO 8601 timestamp of the export, kept verbatim.
    pub export_timestamp: String,
    /// LIF version the file claims, e.g. `0.11.0`.
    pub lif_version: String,
}

/// One level (LIF `layout`): a plane with its own node positions.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Level {
    /// `layoutId`.
    pub id: String,
    /// `layoutName`.
    pub name: Option<String>,
    /// `layoutVersion`.
    pub version: String,
    /// `layoutLevelId` (floor), when given.
    pub level_id: Option<String>,
    /// `layoutDescription`.
    pub description: Option<String>,
}

/// A node of the track layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Unique id across the site (VDA 5050 `nodeId`).
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Display description.
    pub description: Option<String>,
    /// VDA 5050 `mapId` the position refers to.
    pub map_id: Option<String>,
    /// The level this node lies on.
    pub level: LevelIdx,
    /// Position in metres in the site frame.
    pub position: Point2<f64>,
    /// One entry per vehicle type that may use this node.
    pub vehicle_types: Vec<NodeTypeProperties>,
}

impl Node {
    /// A node with only an id, a level and a position (no names, map id or
    /// vehicle types).
    pub fn new(id: impl Into<String>, level: LevelIdx, position: Point2<f64>) -> Node {
        Node {
            id: id.into(),
            name: None,
            description: None,
            map_id: None,
            level,
            position,
            vehicle_types: Vec::new(),
        }
    }
}

/// Vehicle-type specific properties of a node (LIF `vehicleTypeNodeProperty`).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeTypeProperties {
    /// The vehicle type these properties apply to.
    pub vehicle_type: String,
    /// Required absolute orientation on the node, radians.
    pub theta: Option<f64>,
    /// Actions that may be sent on this node.
    pub actions: Vec<ActionTemplate>,
}

/// A directed edge between two nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// Unique id across the site (VDA 5050 `edgeId`).
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Display description.
    pub description: Option<String>,
    /// Level in whose LIF layout the edge was defined (its start node's).
    pub level: LevelIdx,
    /// Start node.
    pub from: NodeIdx,
    /// End node (possibly on another level: a lift or ramp).
    pub to: NodeIdx,
    /// Length in metres along the edge's geometry (its first trajectory if any,
    /// else the straight segment).
    pub length: f64,
    /// One entry per vehicle type allowed on this edge.
    pub vehicle_types: Vec<EdgeTypeProperties>,
}

/// Vehicle-type specific properties of an edge (LIF `vehicleTypeEdgeProperty`).
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeTypeProperties {
    /// The vehicle type these properties apply to.
    pub vehicle_type: String,
    /// Orientation of the vehicle on the edge, radians.
    pub vehicle_orientation: Option<f64>,
    /// How `vehicle_orientation` is meant; LIF's default is tangential.
    pub orientation_type: Option<OrientationType>,
    /// Whether the vehicle may rotate while on the edge.
    pub rotation_allowed: bool,
    /// Rotation allowed at the start node (LIF default: both).
    pub rotation_at_start: Option<RotationDirections>,
    /// Rotation allowed at the end node (LIF default: both).
    pub rotation_at_end: Option<RotationDirections>,
    /// Maximum speed, m/s; `None` is no limit.
    pub max_speed: Option<f64>,
    /// Maximum rotation speed, rad/s.
    pub max_rotation_speed: Option<f64>,
    /// Minimum height of the load handling device, m.
    pub min_height: Option<f64>,
    /// Maximum height of vehicle with load, m.
    pub max_height: Option<f64>,
    /// Whether loaded / unloaded vehicles may use the edge.
    pub load_restriction: Option<LoadRestriction>,
    /// Actions that may be sent on this edge.
    pub actions: Vec<ActionTemplate>,
    /// The curve the vehicle follows; straight line if `None`.
    pub trajectory: Option<Trajectory>,
    /// Whether a vehicle may be (re-)admitted while standing on this edge.
    pub reentry_allowed: Option<bool>,
}

impl EdgeTypeProperties {
    /// Properties that restrict nothing: rotation allowed, no speed,
    /// height or load limits, no actions, no trajectory.
    pub fn unrestricted(vehicle_type: impl Into<String>) -> EdgeTypeProperties {
        EdgeTypeProperties {
            vehicle_type: vehicle_type.into(),
            vehicle_orientation: None,
            orientation_type: None,
            rotation_allowed: true,
            rotation_at_start: None,
            rotation_at_end: None,
            max_speed: None,
            max_rotation_speed: None,
            min_height: None,
            max_height: None,
            load_restriction: None,
            actions: Vec::new(),
            trajectory: None,
            reentry_allowed: None,
        }
    }
}

/// LIF `orientationType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrientationType {
    /// Relative to the site frame.
    Global,
    /// Relative to the edge tangent (0 = forwards).
    Tangential,
}

/// Allowed rotation directions on a node (LIF `rotationAt*NodeAllowed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationDirections {
    /// No rotation.
    None,
    /// Counter-clockwise only.
    Ccw,
    /// Clockwise only.
    Cw,
    /// Either direction.
    Both,
}

/// Which load states may use an edge (LIF `loadRestriction`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadRestriction {
    /// An unloaded vehicle may use the edge.
    pub unloaded: bool,
    /// A loaded vehicle may use the edge.
    pub loaded: bool,
    /// Load sets allowed when loaded; empty means all.
    pub load_set_names: Vec<String>,
}

/// An action the master control may put into an order on a node or edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionTemplate {
    /// `actionType`, e.g. `pick`, `drop`, `startCharging`, or vendor-specific.
    pub action_type: String,
    /// Free text.
    pub description: Option<String>,
    /// Whether the action must, may or can be sent.
    pub requirement: Option<RequirementType>,
    /// VDA 5050 blocking type.
    pub blocking: BlockingType,
    /// Statically defined parameters.
    pub parameters: Vec<(String, String)>,
}

/// LIF `requirementType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequirementType {
    /// Always send the action.
    Required,
    /// Depends; agreed with the integrator.
    Conditional,
    /// At the master control's discretion.
    Optional,
}

/// VDA 5050 blocking type of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockingType {
    /// Driving and other actions may continue.
    None,
    /// Other actions may run, driving may not.
    Soft,
    /// Nothing else may happen meanwhile.
    Hard,
}

/// What a station is for, as the orchestrator and the planner see it.
///
/// LIF has no such field; [`StationKind::infer`] derives it from the
/// station's id, name and description, then from the actions offered on
/// its interaction nodes (see `docs/layouts.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StationKind {
    /// Where loads are picked up (warehouse racks, sources).
    Pickup,
    /// Where loads are dropped (line-side supermarkets, sinks, rework).
    Drop,
    /// Battery charger.
    Charging,
    /// Where idle vehicles wait out of the traffic.
    Parking,
    /// Quality / vision inspection.
    Inspection,
    /// Anything else.
    Other,
}

impl StationKind {
    /// Every kind, in display order.
    pub const ALL: [StationKind; 6] = [
        StationKind::Pickup,
        StationKind::Drop,
        StationKind::Charging,
        StationKind::Parking,
        StationKind::Inspection,
        StationKind::Other,
    ];

    /// Lower-case name used in reports and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            StationKind::Pickup => "pickup",
            StationKind::Drop => "drop",
            StationKind::Charging => "charging",
            StationKind::Parking => "parking",
            StationKind::Inspection => "inspection",
            StationKind::Other => "other",
        }
    }

    /// Infers a kind from the station's text and its interaction nodes' actions.
    ///
    /// Keywords win over actions (first match in this order): `charg` →
    /// charging, `park` → parking, `inspect`/`vision`/`quality` → inspection,
    /// `rework`/`repair`/`drop`/`sink`/`supermarket`/`lineside`/`line-side` →
    /// drop, `pick`/`source`/`warehouse`/`rack` → pickup. Otherwise the
    /// actions decide: `startCharging` → charging, only `pick` → pickup,
    /// only `drop` → drop; anything else is [`StationKind::Other`].
    pub fn infer<'a>(texts: &[&str], actions: impl IntoIterator<Item = &'a str>) -> StationKind {
        let text = texts.join(" ").to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
        if has(&["charg"]) {
            return StationKind::Charging;
        }
        if has(&["park"]) {
            return StationKind::Parking;
        }
        if has(&["inspect", "vision", "quality"]) {
            return StationKind::Inspection;
        }
        if has(&["rework", "repair", "drop", "sink", "supermarket", "lineside", "line-side"]) {
            return StationKind::Drop;
        }
        if has(&["pick", "source", "warehouse", "rack"]) {
            return StationKind::Pickup;
        }
        let (mut pick, mut drop, mut charge) = (false, false, false);
        for action in actions {
            match action {
                "pick" => pick = true,
                "drop" => drop = true,
                "startCharging" => charge = true,
                _ => {}
            }
        }
        match (charge, pick, drop) {
            (true, _, _) => StationKind::Charging,
            (false, true, false) => StationKind::Pickup,
            (false, false, true) => StationKind::Drop,
            _ => StationKind::Other,
        }
    }
}

impl std::fmt::Display for StationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A station: a place where vehicles interact, reached at one or more nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Station {
    /// Unique id (LIF `stationId`).
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Display description.
    pub description: Option<String>,
    /// The level whose LIF layout lists the station.
    pub level: LevelIdx,
    /// Nodes where a vehicle interacts with the station, never empty after import.
    pub interaction_nodes: Vec<NodeIdx>,
    /// Height of the station's load handling surface, m.
    pub height: Option<f64>,
    /// Where the station itself is (for display), with orientation.
    pub position: Option<StationPosition>,
    /// What the station is for (derived, see [`StationKind::infer`]).
    pub kind: StationKind,
}

/// LIF `stationPosition`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StationPosition {
    /// Position in the site frame, m.
    pub position: Point2<f64>,
    /// Orientation, radians.
    pub theta: Option<f64>,
}

/// Extra facts kept for layouts imported from a grid map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GridInfo {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Grid cell `(x, y)` of every node, by node index.
    pub cells: Vec<(u32, u32)>,
}

impl GridInfo {
    /// The node at grid cell `(x, y)`, if that cell is passable.
    pub fn node_at(&self, layout: &Layout, x: u32, y: u32) -> Option<NodeIdx> {
        if x >= self.width || y >= self.height {
            return None;
        }
        layout.node_by_id(&crate::movingai::grid_node_id(x, y))
    }
}

/// Parts of a [`Layout`] before its lookup tables are built.
#[derive(Clone, Debug, Default)]
pub struct LayoutParts {
    /// See [`Layout::meta`].
    pub meta: MetaInformation,
    /// See [`Layout::levels`].
    pub levels: Vec<Level>,
    /// See [`Layout::nodes`].
    pub nodes: Vec<Node>,
    /// See [`Layout::edges`].
    pub edges: Vec<Edge>,
    /// See [`Layout::stations`].
    pub stations: Vec<Station>,
    /// See [`Layout::grid`].
    pub grid: Option<GridInfo>,
}

impl Layout {
    /// Assembles a layout from validated parts and builds its lookup tables.
    ///
    /// The importers guarantee unique node ids and in-range indices; callers
    /// building layouts by hand must do the same (later ids shadow earlier
    /// ones in [`Layout::node_by_id`]).
    pub fn from_parts(parts: LayoutParts) -> Layout {
        let node_by_id =
            parts.nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), NodeIdx(i as u32))).collect();
        let mut out_edges = vec![Vec::new(); parts.nodes.len()];
        for (i, edge) in parts.edges.iter().enumerate() {
            if let Some(list) = out_edges.get_mut(edge.from.index()) {
                list.push(EdgeIdx(i as u32));
            }
        }
        Layout {
            meta: parts.meta,
            levels: parts.levels,
            nodes: parts.nodes,
            edges: parts.edges,
            stations: parts.stations,
            grid: parts.grid,
            node_by_id,
            out_edges,
        }
    }

    /// The node with this id.
    pub fn node_by_id(&self, id: &str) -> Option<NodeIdx> {
        self.node_by_id.get(id).copied()
    }

    /// The edge with this id, if any (a linear scan: for commands, not hot paths).
    pub fn edge_by_id(&self, id: &str) -> Option<EdgeIdx> {
        self.edges.iter().position(|e| e.id == id).map(|i| EdgeIdx(i as u32))
    }

    /// The node at an index.
    pub fn node(&self, idx: NodeIdx) -> &Node {
        &self.nodes[idx.index()]
    }

    /// The edge at an index.
    pub fn edge(&self, idx: EdgeIdx) -> &Edge {
        &self.edges[idx.index()]
    }

    /// Edges leaving a node.
    pub fn out_edges(&self, node: NodeIdx) -> &[EdgeIdx] {
        &self.out_edges[node.index()]
    }

    /// The station with this id.
    pub fn station_by_id(&self, id: &str) -> Option<StationIdx> {
        self.stations.iter().position(|s| s.id == id).map(|i| StationIdx(i as u32))
    }

    /// The reverse of an edge (same end points swapped), if the layout has one.
    pub fn reverse_edge(&self, edge: EdgeIdx) -> Option<EdgeIdx> {
        let e = self.edge(edge);
        self.out_edges(e.to).iter().copied().find(|&r| self.edge(r).to == e.from)
    }

    /// Every vehicle type named anywhere in the layout, sorted.
    pub fn vehicle_types(&self) -> Vec<String> {
        let mut types: Vec<String> = self
            .nodes
            .iter()
            .flat_map(|n| n.vehicle_types.iter().map(|p| p.vehicle_type.clone()))
            .chain(self.edges.iter().flat_map(|e| e.vehicle_types.iter().map(|p| p.vehicle_type.clone())))
            .collect();
        types.sort();
        types.dedup();
        types
    }

    /// Whether two nodes lie on the same level (so their positions compare).
    pub fn same_level(&self, a: NodeIdx, b: NodeIdx) -> bool {
        self.node(a).level == self.node(b).level
    }
}

impl Edge {
    /// The properties that apply to a vehicle type, if it may use the edge.
    pub fn properties_for(&self, vehicle_type: &str) -> Option<&EdgeTypeProperties> {
        self.vehicle_types.iter().find(|p| p.vehicle_type == vehicle_type)
    }

    /// The trajectory used for drawing and indexing: the first one given.
    pub fn trajectory(&self) -> Option<&Trajectory> {
        self.vehicle_types.iter().find_map(|p| p.trajectory.as_ref())
    }
}
