//! Test helpers: the official schemas, rich sample messages, and a
//! generator of random schema-valid JSON.
#![allow(dead_code, missing_docs)]

use std::path::PathBuf;

use protocol::messages::*;
use serde_json::{Map, Value, json};

pub fn shared(rel: &str) -> PathBuf {
    tests::shared_root().join(rel)
}

/// Whether the reference data is missing (then the test skips, saying so once).
pub fn without_shared(what: &str) -> bool {
    tests::reference("", what).is_none()
}

pub fn schema_value(topic: &str) -> Value {
    let path = shared(&format!("vda5050/schemas/2.1.0/{topic}.schema.json"));
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

pub fn validator(topic: &str) -> jsonschema::Validator {
    jsonschema::validator_for(&schema_value(topic)).unwrap()
}

pub fn assert_valid(topic: &str, value: &Value) {
    let v = validator(topic);
    let errors: Vec<String> =
        v.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{topic} does not validate: {errors:#?}\n{value:#}");
}

pub fn header(id: u32) -> Header {
    Header {
        header_id: id,
        timestamp: Timestamp::parse("2026-11-24T10:40:03.12Z").unwrap(),
        version: PROTOCOL_VERSION.into(),
        manufacturer: "acme".into(),
        serial_number: "AGV-0042".into(),
    }
}

pub fn action(id: &str, blocking: BlockingType) -> Action {
    Action {
        action_type: "pick".into(),
        action_id: id.into(),
        action_description: Some("pick a bin".into()),
        blocking_type: blocking,
        action_parameters: Some(vec![
            ActionParameter { key: "loadType".into(), value: json!("KLT") },
            ActionParameter { key: "height".into(), value: json!(0.8) },
            ActionParameter { key: "stack".into(), value: json!(true) },
            ActionParameter { key: "ids".into(), value: json!(["a", "b"]) },
            ActionParameter { key: "meta".into(), value: json!({"lane": 3}) },
        ]),
    }
}

pub fn trajectory() -> Trajectory {
    Trajectory {
        degree: 2,
        knot_vector: vec![0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0],
        control_points: vec![
            ControlPoint { x: 0.0, y: 0.0, weight: Some(1.0) },
            ControlPoint { x: 0.0, y: 1.8, weight: None },
            ControlPoint { x: 3.6, y: 1.8, weight: Some(2.0) },
            ControlPoint { x: 3.6, y: 0.0, weight: None },
        ],
    }
}

pub fn order_node(id: &str, seq: u32, released: bool, actions: Vec<Action>) -> Node {
    Node {
        node_id: id.into(),
        sequence_id: seq,
        node_description: Some(format!("node {id}")),
        released,
        node_position: Some(NodePosition {
            x: f64::from(seq),
            y: 2.5,
            theta: Some(1.5),
            allowed_deviation_xy: Some(0.1),
            allowed_deviation_theta: Some(0.05),
            map_id: "hall-1".into(),
            map_description: Some("ground floor".into()),
        }),
        actions,
    }
}

pub fn order_edge(id: &str, seq: u32, from: &str, to: &str, released: bool) -> Edge {
    Edge { max_speed: Some(1.5), length: Some(5.0), ..Edge::new(id, seq, from, to, released) }
}

/// A three-node order: base n0 → n1, horizon n2; every optional field somewhere.
pub fn rich_order() -> Order {
    let mut e0 = order_edge("e0", 1, "n0", "n1", true);
    e0.edge_description = Some("aisle".into());
    e0.max_height = Some(2.0);
    e0.min_height = Some(0.1);
    e0.orientation = Some(0.0);
    e0.orientation_type = Some(OrientationType::Tangential);
    e0.direction = Some("left".into());
    e0.rotation_allowed = Some(false);
    e0.max_rotation_speed = Some(0.5);
    e0.trajectory = Some(trajectory());
    e0.corridor = Some(Corridor {
        left_width: 0.5,
        right_width: 0.4,
        corridor_ref_point: Some(CorridorRefPoint::Contour),
    });
    e0.actions = vec![action("a-edge", BlockingType::None)];
    let mut e1 = order_edge("e1", 3, "n1", "n2", false);
    e1.orientation_type = Some(OrientationType::Global);
    e1.corridor = Some(Corridor {
        left_width: 0.0,
        right_width: 0.0,
        corridor_ref_point: Some(CorridorRefPoint::KinematicCenter),
    });
    Order {
        header: header(7),
        order_id: "order-1".into(),
        order_update_id: 0,
        zone_set_id: Some("zones-a".into()),
        nodes: vec![
            order_node("n0", 0, true, vec![]),
            order_node(
                "n1",
                2,
                true,
                vec![action("a-pick", BlockingType::Hard), action("a-soft", BlockingType::Soft)],
            ),
            order_node("n2", 4, false, vec![]),
        ],
        edges: vec![e0, e1],
    }
}

pub fn rich_instant_actions() -> InstantActions {
    InstantActions {
        header: header(3),
        actions: [
            action_types::START_PAUSE,
            action_types::STOP_PAUSE,
            action_types::CANCEL_ORDER,
            action_types::STATE_REQUEST,
            action_types::FACTSHEET_REQUEST,
            action_types::INIT_POSITION,
        ]
        .iter()
        .enumerate()
        .map(|(i, t)| Action {
            action_type: (*t).into(),
            action_id: format!("ia-{i}"),
            action_description: None,
            blocking_type: BlockingType::Hard,
            action_parameters: None,
        })
        .collect(),
    }
}

/// States covering every enum variant of the state topic.
pub fn rich_states() -> Vec<State> {
    let statuses = [
        ActionStatus::Waiting,
        ActionStatus::Initializing,
        ActionStatus::Running,
        ActionStatus::Finished,
        ActionStatus::Failed,
    ];
    let modes = [
        OperatingMode::Automatic,
        OperatingMode::Semiautomatic,
        OperatingMode::Manual,
        OperatingMode::Service,
        OperatingMode::Teachin,
    ];
    let estops = [EStop::Autoack, EStop::Manual, EStop::Remote, EStop::None];
    let error_types = [
        ErrorType::OrderUpdateError,
        ErrorType::ValidationError,
        ErrorType::OrderError,
        ErrorType::NoRouteError,
        ErrorType::NoOrderToCancel,
        ErrorType::Other("vendorMotorOverheat".into()),
    ];
    (0..5)
        .map(|i| State {
            header: header(100 + i as u32),
            maps: Some(vec![
                MapInfo {
                    map_id: "hall-1".into(),
                    map_version: "3".into(),
                    map_description: Some("x".into()),
                    map_status: MapStatus::Enabled,
                },
                MapInfo {
                    map_id: "hall-2".into(),
                    map_version: "1".into(),
                    map_description: None,
                    map_status: MapStatus::Disabled,
                },
            ]),
            order_id: "order-1".into(),
            order_update_id: 2,
            zone_set_id: Some("zones-a".into()),
            last_node_id: "n1".into(),
            last_node_sequence_id: 2,
            driving: i % 2 == 0,
            paused: Some(false),
            new_base_request: Some(true),
            distance_since_last_node: Some(1.25),
            operating_mode: modes[i],
            node_states: vec![NodeState {
                node_id: "n2".into(),
                sequence_id: 4,
                node_description: Some("drop".into()),
                released: true,
                node_position: Some(StateNodePosition {
                    x: 4.0,
                    y: 2.5,
                    theta: Some(0.0),
                    map_id: "hall-1".into(),
                }),
            }],
            edge_states: vec![EdgeState {
                edge_id: "e1".into(),
                sequence_id: 3,
                edge_description: Some("lane".into()),
                released: i != 3,
                trajectory: Some(trajectory()),
            }],
            agv_position: Some(AgvPosition {
                x: 3.1,
                y: 2.5,
                theta: -0.2,
                map_id: "hall-1".into(),
                map_description: Some("ground".into()),
                position_initialized: true,
                localization_score: Some(0.93),
                deviation_range: Some(0.05),
            }),
            velocity: Some(Velocity { vx: Some(1.0), vy: Some(0.0), omega: Some(0.1) }),
            loads: Some(vec![Load {
                load_id: Some("KLT-1".into()),
                load_type: Some("KLT".into()),
                load_position: Some("front".into()),
                bounding_box_reference: Some(BoundingBoxReference {
                    x: 0.0,
                    y: 0.0,
                    z: 0.3,
                    theta: Some(0.0),
                }),
                load_dimensions: Some(LoadDimensions { length: 0.6, width: 0.4, height: Some(0.3) }),
                weight: Some(12.5),
            }]),
            action_states: vec![ActionState {
                action_id: format!("a-{i}"),
                action_type: Some("pick".into()),
                action_description: Some("pick".into()),
                action_status: statuses[i],
                result_description: Some("ok".into()),
            }],
            battery_state: BatteryState {
                battery_charge: 81.5,
                battery_voltage: Some(48.2),
                battery_health: Some(97.0),
                charging: i == 4,
                reach: Some(12000.0),
            },
            errors: vec![
                Error {
                    error_type: error_types[i].clone(),
                    error_references: Some(vec![ErrorReference {
                        reference_key: "orderId".into(),
                        reference_value: "order-1".into(),
                    }]),
                    error_description: Some("something".into()),
                    error_hint: Some("do this".into()),
                    error_level: if i % 2 == 0 { ErrorLevel::Warning } else { ErrorLevel::Fatal },
                },
                Error {
                    error_type: error_types[5].clone(),
                    error_references: None,
                    error_description: None,
                    error_hint: None,
                    error_level: ErrorLevel::Warning,
                },
            ],
            information: Some(vec![Info {
                info_type: "battery".into(),
                info_references: Some(vec![InfoReference {
                    reference_key: "k".into(),
                    reference_value: "v".into(),
                }]),
                info_description: Some("fine".into()),
                info_level: if i % 2 == 0 { InfoLevel::Info } else { InfoLevel::Debug },
            }]),
            safety_state: SafetyState { e_stop: estops[i % 4], field_violation: i == 2 },
        })
        .collect()
}

pub fn rich_connections() -> Vec<Connection> {
    [ConnectionState::Online, ConnectionState::Offline, ConnectionState::ConnectionBroken]
        .into_iter()
        .enumerate()
        .map(|(i, s)| Connection { header: header(i as u32), connection_state: s })
        .collect()
}

pub fn rich_visualizations() -> Vec<Visualization> {
    let state = &rich_states()[0];
    vec![
        Visualization {
            header_id: Some(1),
            timestamp: Some(header(1).timestamp),
            version: Some(PROTOCOL_VERSION.into()),
            manufacturer: Some("acme".into()),
            serial_number: Some("AGV-0042".into()),
            agv_position: state.agv_position.clone(),
            velocity: state.velocity.clone(),
        },
        Visualization {
            header_id: None,
            timestamp: None,
            version: None,
            manufacturer: None,
            serial_number: None,
            agv_position: None,
            velocity: None,
        },
    ]
}

/// Factsheets covering every enum variant of the factsheet topic.
pub fn rich_factsheets() -> Vec<Factsheet> {
    let kinematics = [AgvKinematic::Diff, AgvKinematic::Omni, AgvKinematic::Threewheel, AgvKinematic::Diff];
    let classes = [AgvClass::Forklift, AgvClass::Conveyor, AgvClass::Tugger, AgvClass::Carrier];
    let wheels = [WheelType::Drive, WheelType::Caster, WheelType::Fixed, WheelType::Mecanum];
    (0..4)
        .map(|i| Factsheet {
            header_id: Some(1),
            timestamp: Some(header(1).timestamp),
            version: PROTOCOL_VERSION.into(),
            manufacturer: "acme".into(),
            serial_number: "AGV-0042".into(),
            type_specification: TypeSpecification {
                series_name: "Carrier 600".into(),
                series_description: Some("small load carrier".into()),
                agv_kinematic: kinematics[i],
                agv_class: classes[i],
                max_load_mass: 600.0,
                localization_types: vec![
                    LocalizationType::Natural,
                    LocalizationType::Reflector,
                    LocalizationType::Rfid,
                    LocalizationType::Dmc,
                    LocalizationType::Spot,
                    LocalizationType::Grid,
                ],
                navigation_types: vec![
                    NavigationType::PhysicalLineGuided,
                    NavigationType::VirtualLineGuided,
                    NavigationType::Autonomous,
                ],
            },
            physical_parameters: PhysicalParameters {
                speed_min: 0.01,
                speed_max: 2.0,
                acceleration_max: 0.5,
                deceleration_max: 0.8,
                height_min: Some(0.2),
                height_max: 0.4,
                width: 0.8,
                length: 1.2,
            },
            protocol_limits: ProtocolLimits {
                max_string_lens: MaxStringLens {
                    msg_len: Some(65536),
                    topic_serial_len: Some(64),
                    topic_elem_len: Some(64),
                    id_len: Some(64),
                    id_numerical_only: Some(false),
                    enum_len: Some(32),
                    load_id_len: Some(32),
                },
                max_array_lens: MaxArrayLens {
                    order_nodes: Some(100),
                    order_edges: Some(99),
                    node_actions: Some(8),
                    edge_actions: Some(8),
                    actions_parameters: Some(8),
                    instant_actions: Some(8),
                    trajectory_knot_vector: Some(32),
                    trajectory_control_points: Some(32),
                    state_node_states: Some(100),
                    state_edge_states: Some(99),
                    state_loads: Some(1),
                    state_action_states: Some(64),
                    state_errors: Some(16),
                    state_information: Some(16),
                    error_references: Some(8),
                    info_references: Some(8),
                },
                timing: Timing {
                    min_order_interval: 0.5,
                    min_state_interval: 0.1,
                    default_state_interval: Some(30.0),
                    visualization_interval: Some(0.2),
                },
            },
            protocol_features: ProtocolFeatures {
                optional_parameters: vec![
                    OptionalParameter {
                        parameter: "order.nodes.nodePosition".into(),
                        support: Support::Required,
                        description: None,
                    },
                    OptionalParameter {
                        parameter: "order.edges.trajectory".into(),
                        support: Support::Supported,
                        description: Some("x".into()),
                    },
                ],
                agv_actions: vec![AgvAction {
                    action_type: "pick".into(),
                    action_description: Some("pick".into()),
                    action_scopes: vec![ActionScope::Instant, ActionScope::Node, ActionScope::Edge],
                    action_parameters: Some(
                        [
                            ValueDataType::Bool,
                            ValueDataType::Number,
                            ValueDataType::Integer,
                            ValueDataType::Float,
                            ValueDataType::String,
                            ValueDataType::Object,
                            ValueDataType::Array,
                        ]
                        .into_iter()
                        .enumerate()
                        .map(|(k, t)| ActionParameterSpec {
                            key: format!("p{k}"),
                            value_data_type: t,
                            description: Some("d".into()),
                            is_optional: Some(k % 2 == 0),
                        })
                        .collect(),
                    ),
                    result_description: Some("r".into()),
                    // The official schema cannot be met with this field present.
                    blocking_types: None,
                }],
            },
            agv_geometry: AgvGeometry {
                wheel_definitions: Some(vec![WheelDefinition {
                    wheel_type: wheels[i],
                    is_active_driven: true,
                    is_active_steered: false,
                    position: WheelPosition { x: 0.3, y: 0.2, theta: Some(0.0) },
                    diameter: 0.2,
                    width: 0.05,
                    center_displacement: Some(0.0),
                    constraints: Some("none".into()),
                }]),
                envelopes2d: Some(vec![Envelope2d {
                    set: "default".into(),
                    polygon_points: vec![
                        PolygonPoint { x: 0.6, y: 0.4 },
                        PolygonPoint { x: -0.6, y: 0.4 },
                        PolygonPoint { x: -0.6, y: -0.4 },
                    ],
                    description: Some("outline".into()),
                }]),
                envelopes3d: Some(vec![Envelope3d {
                    set: "default".into(),
                    format: "DXF".into(),
                    data: Some(Map::new()),
                    url: Some("ftp://example.invalid/e.dxf".into()),
                    description: Some(1),
                }]),
            },
            load_specification: LoadSpecification {
                load_positions: Some(vec!["front".into()]),
                load_sets: Some(vec![LoadSet {
                    set_name: "KLT".into(),
                    load_type: "KLT".into(),
                    load_positions: Some(vec!["front".into()]),
                    bounding_box_reference: Some(BoundingBoxReference {
                        x: 0.0,
                        y: 0.0,
                        z: 0.3,
                        theta: None,
                    }),
                    load_dimensions: Some(LoadDimensions { length: 0.6, width: 0.4, height: None }),
                    max_weight: Some(20.0),
                    min_loadhandling_height: Some(0.1),
                    max_loadhandling_height: Some(1.5),
                    min_loadhandling_depth: Some(0.0),
                    max_loadhandling_depth: Some(0.6),
                    min_loadhandling_tilt: Some(0.0),
                    max_loadhandling_tilt: Some(0.1),
                    agv_speed_limit: Some(1.5),
                    agv_acceleration_limit: Some(0.4),
                    agv_deceleration_limit: Some(0.6),
                    pick_time: Some(8.0),
                    drop_time: Some(6.0),
                    description: Some("bins".into()),
                }]),
            },
            vehicle_config: Some(VehicleConfig {
                versions: Some(vec![VersionInfo { key: "softwareVersion".into(), value: "v1.03.2".into() }]),
                network: Some(NetworkConfig {
                    dns_servers: Some(vec!["127.0.0.53".into()]),
                    local_ip_address: Some("127.0.0.2".into()),
                    ntp_servers: Some(vec![]),
                    netmask: Some("255.0.0.0".into()),
                    default_gateway: Some("127.0.0.1".into()),
                }),
            }),
        })
        .collect()
}

/// A small deterministic RNG (SplitMix64) for the schema-driven generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// Generates a random instance of a JSON schema (the subset the VDA 5050
/// schemas use). With `extras`, objects get vendor fields of their own.
pub struct Generator<'s> {
    pub root: &'s Value,
    pub extras: bool,
}

impl Generator<'_> {
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let mut node = self.root;
                for part in r.trim_start_matches("#/").split('/') {
                    node = &node[part];
                }
                node
            }
            None => schema,
        }
    }

    pub fn generate(&self, schema: &Value, rng: &mut Rng, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            return options[rng.below(options.len() as u64) as usize].clone();
        }
        let ty = match schema.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => {
                ts[rng.below(ts.len() as u64) as usize].as_str().unwrap_or("string").to_string()
            }
            _ => {
                if schema.get("properties").is_some() {
                    "object".into()
                } else {
                    "string".into()
                }
            }
        };
        let min = schema.get("minimum").and_then(Value::as_f64);
        let max = schema.get("maximum").and_then(Value::as_f64);
        match ty.as_str() {
            "object" => {
                let mut out = Map::new();
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (key, sub) in props {
                        // An array constrained to a string enum can never be met
                        // (factsheet blockingTypes in 2.1.0): leave it out.
                        let sub_resolved = self.resolve(sub);
                        let unsatisfiable = sub_resolved.get("type") == Some(&json!("array"))
                            && sub_resolved.get("enum").is_some();
                        if unsatisfiable {
                            continue;
                        }
                        if required.contains(&key.as_str()) || (depth < 6 && rng.coin()) {
                            out.insert(key.clone(), self.generate(sub, rng, depth + 1));
                        }
                    }
                } else if depth < 6 {
                    out.insert("note".into(), Value::String("free".into()));
                }
                if self.extras && rng.coin() {
                    out.insert(format!("vendorField{}", rng.below(100)), json!({"any": [1, "two"]}));
                }
                Value::Object(out)
            }
            "array" => {
                let n = if depth < 5 { rng.below(3) } else { 0 };
                let items = schema.get("items").cloned().unwrap_or(json!({"type": "string"}));
                Value::Array((0..n).map(|_| self.generate(&items, rng, depth + 1)).collect())
            }
            "boolean" => Value::Bool(rng.coin()),
            "integer" => {
                let lo = min.unwrap_or(0.0).max(0.0) as u64;
                let hi = max.map_or(lo + 100_000, |m| m as u64);
                json!(lo + rng.below(hi - lo + 1))
            }
            "number" => {
                let lo = min.unwrap_or(-1000.0);
                let hi = max.unwrap_or(1000.0);
                let unit = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
                let x = match rng.below(4) {
                    0 => lo,
                    1 => hi,
                    _ => lo + (hi - lo) * unit,
                };
                json!(x)
            }
            _ => {
                if schema.get("format").and_then(Value::as_str) == Some("date-time") {
                    return Value::String(format!(
                        "2026-{:02}-{:02}T{:02}:{:02}:{:02}.{:02}Z",
                        1 + rng.below(12),
                        1 + rng.below(28),
                        rng.below(24),
                        rng.below(60),
                        rng.below(60),
                        rng.below(100)
                    ));
                }
                let len = rng.below(9) as usize;
                Value::String((0..len).map(|_| (b'a' + rng.below(26) as u8) as char).collect())
            }
        }
    }
}
