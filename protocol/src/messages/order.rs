//! `order`: master control → vehicle, a path of nodes and edges with a
//! released base and an unreleased horizon.

use serde::{Deserialize, Serialize};

use super::{Action, Header, Trajectory};

/// A driving order or order update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Common header.
    #[serde(flatten)]
    pub header: Header,
    /// Order id; the same for all updates of one order.
    pub order_id: String,
    /// 0 for a new order, higher for each update.
    pub order_update_id: u32,
    /// Zone set the vehicle must use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_set_id: Option<String>,
    /// Nodes, in driving order.
    pub nodes: Vec<Node>,
    /// Edges: `edges[i]` joins `nodes[i]` and `nodes[i + 1]`.
    pub edges: Vec<Edge>,
}

/// A node of an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// Node id (from the layout).
    pub node_id: String,
    /// Even, unique in the order, never renumbered.
    pub sequence_id: u32,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_description: Option<String>,
    /// Base (`true`) or horizon (`false`).
    pub released: bool,
    /// Where the node is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_position: Option<NodePosition>,
    /// Actions to run on the node.
    pub actions: Vec<Action>,
}

/// Position of an order node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePosition {
    /// X, m.
    pub x: f64,
    /// Y, m.
    pub y: f64,
    /// Required heading, rad in `[-π, π]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    /// How far from the node counts as on it, m.
    #[serde(default, rename = "allowedDeviationXY", skip_serializing_if = "Option::is_none")]
    pub allowed_deviation_xy: Option<f64>,
    /// Heading tolerance, rad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_deviation_theta: Option<f64>,
    /// Map id.
    pub map_id: String,
    /// Map description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_description: Option<String>,
}

/// How an edge's orientation is meant. The 2.1.0 schema allows any string
/// here; the standard names two, anything else is kept as text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum OrientationType {
    /// Relative to the map (`GLOBAL`).
    Global,
    /// Relative to the edge tangent (`TANGENTIAL`, the default).
    Tangential,
    /// Any other value, as sent.
    Other(String),
}

impl From<String> for OrientationType {
    fn from(s: String) -> OrientationType {
        match s.as_str() {
            "GLOBAL" => OrientationType::Global,
            "TANGENTIAL" => OrientationType::Tangential,
            _ => OrientationType::Other(s),
        }
    }
}

impl From<OrientationType> for String {
    fn from(o: OrientationType) -> String {
        match o {
            OrientationType::Global => "GLOBAL".into(),
            OrientationType::Tangential => "TANGENTIAL".into(),
            OrientationType::Other(s) => s,
        }
    }
}

/// Reference point of a corridor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CorridorRefPoint {
    /// The vehicle's kinematic centre must stay inside.
    #[serde(rename = "KINEMATICCENTER")]
    KinematicCenter,
    /// The vehicle's contour must stay inside.
    #[serde(rename = "CONTOUR")]
    Contour,
}

/// Lateral freedom around an edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Corridor {
    /// To the left, m.
    pub left_width: f64,
    /// To the right, m.
    pub right_width: f64,
    /// What must stay inside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corridor_ref_point: Option<CorridorRefPoint>,
}

/// An edge of an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    /// Edge id (from the layout).
    pub edge_id: String,
    /// Odd, between its nodes' sequence ids.
    pub sequence_id: u32,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_description: Option<String>,
    /// Base (`true`) or horizon (`false`).
    pub released: bool,
    /// Start node id.
    pub start_node_id: String,
    /// End node id.
    pub end_node_id: String,
    /// Speed limit, m/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_speed: Option<f64>,
    /// Height limit, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_height: Option<f64>,
    /// Minimum load handling height, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_height: Option<f64>,
    /// Orientation on the edge, rad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<f64>,
    /// How `orientation` is meant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation_type: Option<OrientationType>,
    /// Direction at junctions (vehicle-specific text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Whether rotating on the edge is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_allowed: Option<bool>,
    /// Rotation speed limit, rad/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rotation_speed: Option<f64>,
    /// Length, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<f64>,
    /// Curve to follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectory: Option<Trajectory>,
    /// Lateral freedom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corridor: Option<Corridor>,
    /// Actions to run on the edge.
    pub actions: Vec<Action>,
}

impl Node {
    /// A node with no description, position or actions.
    pub fn new(node_id: impl Into<String>, sequence_id: u32, released: bool) -> Node {
        Node {
            node_id: node_id.into(),
            sequence_id,
            node_description: None,
            released,
            node_position: None,
            actions: Vec::new(),
        }
    }
}

impl Edge {
    /// An edge with no limits, geometry or actions.
    pub fn new(
        edge_id: impl Into<String>,
        sequence_id: u32,
        start_node_id: impl Into<String>,
        end_node_id: impl Into<String>,
        released: bool,
    ) -> Edge {
        Edge {
            edge_id: edge_id.into(),
            sequence_id,
            edge_description: None,
            released,
            start_node_id: start_node_id.into(),
            end_node_id: end_node_id.into(),
            max_speed: None,
            max_height: None,
            min_height: None,
            orientation: None,
            orientation_type: None,
            direction: None,
            rotation_allowed: None,
            max_rotation_speed: None,
            length: None,
            trajectory: None,
            corridor: None,
            actions: Vec::new(),
        }
    }
}
