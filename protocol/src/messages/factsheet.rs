//! `factsheet`: vehicle → master control, what the vehicle is and can do.

use serde::{Deserialize, Serialize};

use super::{BlockingType, BoundingBoxReference, LoadDimensions, Timestamp};

/// A factsheet. Unlike the other topics, its header id and timestamp are optional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Factsheet {
    /// Header id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_id: Option<u32>,
    /// When made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Protocol version.
    pub version: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Serial number.
    pub serial_number: String,
    /// Series and kind of vehicle.
    pub type_specification: TypeSpecification,
    /// Speeds, accelerations, size.
    pub physical_parameters: PhysicalParameters,
    /// Limits of the vehicle's protocol implementation.
    pub protocol_limits: ProtocolLimits,
    /// Supported optional fields and actions.
    pub protocol_features: ProtocolFeatures,
    /// Wheels and envelopes.
    pub agv_geometry: AgvGeometry,
    /// Load handling.
    pub load_specification: LoadSpecification,
    /// Versions and network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_config: Option<VehicleConfig>,
}

/// Kinematics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgvKinematic {
    /// Differential drive.
    Diff,
    /// Omnidirectional.
    Omni,
    /// Three-wheel.
    Threewheel,
}

/// Class of vehicle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgvClass {
    /// Forklift.
    Forklift,
    /// Conveyor.
    Conveyor,
    /// Tugger train.
    Tugger,
    /// Load carrier.
    Carrier,
}

/// Localisation technique.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LocalizationType {
    /// Natural landmarks.
    Natural,
    /// Reflectors.
    Reflector,
    /// RFID tags.
    Rfid,
    /// Data matrix codes.
    Dmc,
    /// Spots.
    Spot,
    /// A grid.
    Grid,
}

/// Navigation technique.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NavigationType {
    /// Follows a physical line.
    PhysicalLineGuided,
    /// Follows a virtual line.
    VirtualLineGuided,
    /// Plans its own path.
    Autonomous,
}

/// Series and kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeSpecification {
    /// Series name.
    pub series_name: String,
    /// Series description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_description: Option<String>,
    /// Kinematics.
    pub agv_kinematic: AgvKinematic,
    /// Class.
    pub agv_class: AgvClass,
    /// Maximum load, kg.
    pub max_load_mass: f64,
    /// Localisation techniques.
    pub localization_types: Vec<LocalizationType>,
    /// Navigation techniques.
    pub navigation_types: Vec<NavigationType>,
}

/// Physical limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalParameters {
    /// Minimum controlled speed, m/s.
    pub speed_min: f64,
    /// Maximum speed, m/s.
    pub speed_max: f64,
    /// Maximum acceleration, m/s².
    pub acceleration_max: f64,
    /// Maximum deceleration, m/s².
    pub deceleration_max: f64,
    /// Minimum height, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_min: Option<f64>,
    /// Maximum height, m.
    pub height_max: f64,
    /// Width, m.
    pub width: f64,
    /// Length, m.
    pub length: f64,
}

/// Limits of the vehicle's protocol implementation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolLimits {
    /// String lengths.
    pub max_string_lens: MaxStringLens,
    /// Array lengths.
    pub max_array_lens: MaxArrayLens,
    /// Timing.
    pub timing: Timing,
}

/// Maximum string lengths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaxStringLens {
    /// Message length, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_len: Option<u32>,
    /// Serial number length in topics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_serial_len: Option<u32>,
    /// Topic element length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_elem_len: Option<u32>,
    /// Id length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_len: Option<u32>,
    /// Ids are numerical only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_numerical_only: Option<bool>,
    /// Enum length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_len: Option<u32>,
    /// Load id length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_id_len: Option<u32>,
}

/// Maximum array lengths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxArrayLens {
    /// Nodes per order.
    #[serde(rename = "order.nodes", default, skip_serializing_if = "Option::is_none")]
    pub order_nodes: Option<u32>,
    /// Edges per order.
    #[serde(rename = "order.edges", default, skip_serializing_if = "Option::is_none")]
    pub order_edges: Option<u32>,
    /// Actions per node.
    #[serde(rename = "node.actions", default, skip_serializing_if = "Option::is_none")]
    pub node_actions: Option<u32>,
    /// Actions per edge.
    #[serde(rename = "edge.actions", default, skip_serializing_if = "Option::is_none")]
    pub edge_actions: Option<u32>,
    /// Parameters per action.
    #[serde(rename = "actions.actionsParameters", default, skip_serializing_if = "Option::is_none")]
    pub actions_parameters: Option<u32>,
    /// Instant actions per message.
    #[serde(rename = "instantActions", default, skip_serializing_if = "Option::is_none")]
    pub instant_actions: Option<u32>,
    /// Knots per trajectory.
    #[serde(rename = "trajectory.knotVector", default, skip_serializing_if = "Option::is_none")]
    pub trajectory_knot_vector: Option<u32>,
    /// Control points per trajectory.
    #[serde(rename = "trajectory.controlPoints", default, skip_serializing_if = "Option::is_none")]
    pub trajectory_control_points: Option<u32>,
    /// Node states.
    #[serde(rename = "state.nodeStates", default, skip_serializing_if = "Option::is_none")]
    pub state_node_states: Option<u32>,
    /// Edge states.
    #[serde(rename = "state.edgeStates", default, skip_serializing_if = "Option::is_none")]
    pub state_edge_states: Option<u32>,
    /// Loads.
    #[serde(rename = "state.loads", default, skip_serializing_if = "Option::is_none")]
    pub state_loads: Option<u32>,
    /// Action states.
    #[serde(rename = "state.actionStates", default, skip_serializing_if = "Option::is_none")]
    pub state_action_states: Option<u32>,
    /// Errors.
    #[serde(rename = "state.errors", default, skip_serializing_if = "Option::is_none")]
    pub state_errors: Option<u32>,
    /// Information entries.
    #[serde(rename = "state.information", default, skip_serializing_if = "Option::is_none")]
    pub state_information: Option<u32>,
    /// References per error.
    #[serde(rename = "error.errorReferences", default, skip_serializing_if = "Option::is_none")]
    pub error_references: Option<u32>,
    /// References per information entry.
    #[serde(rename = "information.infoReferences", default, skip_serializing_if = "Option::is_none")]
    pub info_references: Option<u32>,
}

/// Timing limits, s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// Minimum time between orders.
    pub min_order_interval: f64,
    /// Minimum time between states.
    pub min_state_interval: f64,
    /// Default time between states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_state_interval: Option<f64>,
    /// Time between visualization messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visualization_interval: Option<f64>,
}

/// Supported features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolFeatures {
    /// Optional fields and their support.
    pub optional_parameters: Vec<OptionalParameter>,
    /// Actions the vehicle can run.
    pub agv_actions: Vec<AgvAction>,
}

/// Support level of an optional parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Support {
    /// Understood if sent.
    Supported,
    /// Must be sent.
    Required,
}

/// An optional parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionalParameter {
    /// Full name, e.g. `order.nodes.nodePosition.allowedDeviationTheta`.
    pub parameter: String,
    /// Support level.
    pub support: Support,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Where an action may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionScope {
    /// As an instant action.
    Instant,
    /// On a node.
    Node,
    /// On an edge.
    Edge,
}

/// Data type of an action parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValueDataType {
    /// Boolean.
    Bool,
    /// Number.
    Number,
    /// Integer.
    Integer,
    /// Float.
    Float,
    /// String.
    String,
    /// Object.
    Object,
    /// Array.
    Array,
}

/// A parameter of a supported action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionParameterSpec {
    /// Key.
    pub key: String,
    /// Type.
    pub value_data_type: ValueDataType,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it may be left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_optional: Option<bool>,
}

/// A supported action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgvAction {
    /// Action type.
    pub action_type: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_description: Option<String>,
    /// Where it may be used.
    pub action_scopes: Vec<ActionScope>,
    /// Its parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_parameters: Option<Vec<ActionParameterSpec>>,
    /// What the result description holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_description: Option<String>,
    /// Allowed blocking types. Note: the official 2.1.0 schema constrains
    /// this array to a single string of the enum, which no array can meet;
    /// Yardmaster reads it from vendors but never sends it (leave it `None`)
    /// so that its factsheets validate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocking_types: Option<Vec<BlockingType>>,
}

/// Geometry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgvGeometry {
    /// Wheels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheel_definitions: Option<Vec<WheelDefinition>>,
    /// 2D envelopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelopes2d: Option<Vec<Envelope2d>>,
    /// 3D envelopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelopes3d: Option<Vec<Envelope3d>>,
}

/// Kind of wheel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WheelType {
    /// Driven.
    Drive,
    /// Caster.
    Caster,
    /// Fixed.
    Fixed,
    /// Mecanum.
    Mecanum,
}

/// A wheel's position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WheelPosition {
    /// X, m.
    pub x: f64,
    /// Y, m.
    pub y: f64,
    /// Orientation, rad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
}

/// A wheel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WheelDefinition {
    /// Kind.
    #[serde(rename = "type")]
    pub wheel_type: WheelType,
    /// Driven.
    pub is_active_driven: bool,
    /// Steered.
    pub is_active_steered: bool,
    /// Where.
    pub position: WheelPosition,
    /// Diameter, m.
    pub diameter: f64,
    /// Width, m.
    pub width: f64,
    /// Caster offset, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub center_displacement: Option<f64>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraints: Option<String>,
}

/// A point of a 2D envelope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolygonPoint {
    /// X, m.
    pub x: f64,
    /// Y, m.
    pub y: f64,
}

/// A 2D envelope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope2d {
    /// Set name.
    pub set: String,
    /// Outline.
    pub polygon_points: Vec<PolygonPoint>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A 3D envelope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope3d {
    /// Set name.
    pub set: String,
    /// Data format, e.g. DXF.
    pub format: String,
    /// Data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Map<String, serde_json::Value>>,
    /// Where to download the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Description (an integer in the 2.1.0 schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<i64>,
}

/// Load handling.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadSpecification {
    /// Load positions / handling devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_positions: Option<Vec<String>>,
    /// Load sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_sets: Option<Vec<LoadSet>>,
}

/// A set of loads the vehicle handles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadSet {
    /// Name.
    pub set_name: String,
    /// Load type.
    pub load_type: String,
    /// Positions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_positions: Option<Vec<String>>,
    /// Reference point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounding_box_reference: Option<BoundingBoxReference>,
    /// Size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_dimensions: Option<LoadDimensions>,
    /// Maximum weight, kg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_weight: Option<f64>,
    /// Lowest handling height, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_loadhandling_height: Option<f64>,
    /// Highest handling height, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_loadhandling_height: Option<f64>,
    /// Shallowest handling depth, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_loadhandling_depth: Option<f64>,
    /// Deepest handling depth, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_loadhandling_depth: Option<f64>,
    /// Smallest tilt, rad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_loadhandling_tilt: Option<f64>,
    /// Largest tilt, rad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_loadhandling_tilt: Option<f64>,
    /// Speed limit when loaded, m/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agv_speed_limit: Option<f64>,
    /// Acceleration limit when loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agv_acceleration_limit: Option<f64>,
    /// Deceleration limit when loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agv_deceleration_limit: Option<f64>,
    /// Time to pick, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pick_time: Option<f64>,
    /// Time to drop, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_time: Option<f64>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A key/value version entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// E.g. `softwareVersion`.
    pub key: String,
    /// E.g. `v1.03.2`.
    pub value: String,
}

/// Network settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfig {
    /// DNS servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_servers: Option<Vec<String>>,
    /// The vehicle's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_ip_address: Option<String>,
    /// NTP servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntp_servers: Option<Vec<String>>,
    /// Subnet mask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netmask: Option<String>,
    /// Gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_gateway: Option<String>,
}

/// Versions and network.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VehicleConfig {
    /// Versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionInfo>>,
    /// Network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkConfig>,
}
