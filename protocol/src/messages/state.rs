//! `state`: vehicle → master control, everything the vehicle knows about
//! itself and its order.

use serde::{Deserialize, Serialize};

use super::{AgvPosition, BoundingBoxReference, Header, LoadDimensions, Trajectory, Velocity};

/// A state message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Common header.
    #[serde(flatten)]
    pub header: Header,
    /// Maps on the vehicle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maps: Option<Vec<MapInfo>>,
    /// Current (or last) order id; empty if none yet.
    pub order_id: String,
    /// Its update id.
    pub order_update_id: u32,
    /// Zone set in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_set_id: Option<String>,
    /// Last node reached; empty if none.
    pub last_node_id: String,
    /// Its sequence id (0 if none).
    pub last_node_sequence_id: u32,
    /// Whether the vehicle is moving.
    pub driving: bool,
    /// Whether paused by `startPause` or a button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// The vehicle nears its decision point and asks for more base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_base_request: Option<bool>,
    /// Metres since the last node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_since_last_node: Option<f64>,
    /// Who is in control.
    pub operating_mode: OperatingMode,
    /// Nodes still to traverse (base and horizon).
    pub node_states: Vec<NodeState>,
    /// Edges still to traverse.
    pub edge_states: Vec<EdgeState>,
    /// Position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agv_position: Option<AgvPosition>,
    /// Velocity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity: Option<Velocity>,
    /// Loads on board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loads: Option<Vec<Load>>,
    /// Status of every action of the order and of instant actions.
    pub action_states: Vec<ActionState>,
    /// Battery.
    pub battery_state: BatteryState,
    /// Errors.
    pub errors: Vec<Error>,
    /// Information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information: Option<Vec<Info>>,
    /// Safety.
    pub safety_state: SafetyState,
}

/// A map on the vehicle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapInfo {
    /// Map id.
    pub map_id: String,
    /// Map version.
    pub map_version: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_description: Option<String>,
    /// Whether in use.
    pub map_status: MapStatus,
}

/// Whether a map is in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MapStatus {
    /// In use.
    Enabled,
    /// Not in use.
    Disabled,
}

/// Who controls the vehicle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperatingMode {
    /// Master control, fully.
    Automatic,
    /// Master control, with a person driving.
    Semiautomatic,
    /// A person, by hand.
    Manual,
    /// Service personnel.
    Service,
    /// Being taught.
    Teachin,
}

/// A node still to traverse.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeState {
    /// Node id.
    pub node_id: String,
    /// Its sequence id.
    pub sequence_id: u32,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_description: Option<String>,
    /// Base or horizon.
    pub released: bool,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_position: Option<StateNodePosition>,
}

/// Position of a node in a state message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateNodePosition {
    /// X, m.
    pub x: f64,
    /// Y, m.
    pub y: f64,
    /// Heading, rad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    /// Map id.
    pub map_id: String,
}

/// An edge still to traverse.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeState {
    /// Edge id.
    pub edge_id: String,
    /// Its sequence id.
    pub sequence_id: u32,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_description: Option<String>,
    /// Base or horizon.
    pub released: bool,
    /// Curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectory: Option<Trajectory>,
}

/// A load on board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Load {
    /// Id (e.g. barcode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_id: Option<String>,
    /// Type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_type: Option<String>,
    /// Where on the vehicle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_position: Option<String>,
    /// Reference point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounding_box_reference: Option<BoundingBoxReference>,
    /// Size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_dimensions: Option<LoadDimensions>,
    /// Mass, kg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// Progress of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionStatus {
    /// Not started.
    Waiting,
    /// Preparing.
    Initializing,
    /// Running.
    Running,
    /// Done.
    Finished,
    /// Failed.
    Failed,
}

impl ActionStatus {
    /// Whether the action is over (finished or failed).
    pub fn is_terminal(self) -> bool {
        matches!(self, ActionStatus::Finished | ActionStatus::Failed)
    }
}

/// Status of one action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionState {
    /// The action's id.
    pub action_id: String,
    /// Its type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_type: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_description: Option<String>,
    /// Progress.
    pub action_status: ActionStatus,
    /// Result (e.g. a read barcode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_description: Option<String>,
}

/// Battery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatteryState {
    /// Charge, %.
    pub battery_charge: f64,
    /// Voltage, V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_voltage: Option<f64>,
    /// Health, % (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_health: Option<f64>,
    /// Whether charging.
    pub charging: bool,
    /// Remaining range, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach: Option<f64>,
}

/// Severity of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorLevel {
    /// The vehicle goes on.
    Warning,
    /// The vehicle needs help.
    Fatal,
}

/// The kind of an error: the standard ones by name, anything else as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ErrorType {
    /// An order update does not continue the current order.
    OrderUpdateError,
    /// A message is malformed.
    ValidationError,
    /// An order asks for something the vehicle cannot do.
    OrderError,
    /// A new order does not start where the vehicle is, or names an unknown node.
    NoRouteError,
    /// `cancelOrder` with no order to cancel.
    NoOrderToCancel,
    /// Any other (vendor-specific) error type.
    Other(String),
}

impl ErrorType {
    /// The name on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorType::OrderUpdateError => "orderUpdateError",
            ErrorType::ValidationError => "validationError",
            ErrorType::OrderError => "orderError",
            ErrorType::NoRouteError => "noRouteError",
            ErrorType::NoOrderToCancel => "noOrderToCancel",
            ErrorType::Other(s) => s,
        }
    }
}

impl From<String> for ErrorType {
    fn from(s: String) -> ErrorType {
        match s.as_str() {
            "orderUpdateError" => ErrorType::OrderUpdateError,
            "validationError" => ErrorType::ValidationError,
            "orderError" => ErrorType::OrderError,
            "noRouteError" => ErrorType::NoRouteError,
            "noOrderToCancel" => ErrorType::NoOrderToCancel,
            _ => ErrorType::Other(s),
        }
    }
}

impl From<ErrorType> for String {
    fn from(e: ErrorType) -> String {
        e.as_str().to_string()
    }
}

/// A key/value reference from an error to what caused it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorReference {
    /// E.g. `orderId`, `nodeId`, `actionId`.
    pub reference_key: String,
    /// The value.
    pub reference_value: String,
}

/// An error the vehicle reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    /// Kind.
    pub error_type: ErrorType,
    /// What caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_references: Option<Vec<ErrorReference>>,
    /// For people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_hint: Option<String>,
    /// Severity.
    pub error_level: ErrorLevel,
}

/// Level of an information entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InfoLevel {
    /// For operators.
    Info,
    /// For developers.
    Debug,
}

/// A reference from an information entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InfoReference {
    /// Key.
    pub reference_key: String,
    /// Value.
    pub reference_value: String,
}

/// Information the vehicle reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    /// Kind.
    pub info_type: String,
    /// What it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_references: Option<Vec<InfoReference>>,
    /// For people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_description: Option<String>,
    /// Level.
    pub info_level: InfoLevel,
}

/// Emergency stop state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EStop {
    /// Pressed, releases itself.
    Autoack,
    /// Pressed, needs a person.
    Manual,
    /// Triggered remotely.
    Remote,
    /// Not pressed.
    None,
}

/// Safety state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SafetyState {
    /// Emergency stop.
    pub e_stop: EStop,
    /// Protective field violated.
    pub field_violation: bool,
}
