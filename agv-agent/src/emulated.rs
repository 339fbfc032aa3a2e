//! An emulated vehicle: it drives the path the agent hands it with one
//! speed profile ([`crate::motion::PathMotion`]: accelerate, cruise, slow
//! for curves, turn on the spot where it must, brake only where it must
//! stop), drains its battery per metre and per action, charges, runs timed
//! actions and suffers scheduled breakdowns. The simulator and the
//! `agv-agent` binary drive it.

use std::collections::BTreeMap;

use nalgebra::Point2;
use protocol::messages::*;

use crate::agent::{DriverCommand, DriverFeedback, Millis, PathLeg};
use crate::driver::VehicleDriver;
use crate::motion::{Kinematics, MotionProfile, PathMotion, Waypoint};

/// A scheduled fault.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The vehicle stops with a FATAL error at `at`, and recovers at `until` (or never).
    Breakdown {
        /// When.
        at: Millis,
        /// Recovery, if any.
        until: Option<Millis>,
    },
}

/// How the emulated vehicle behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct EmulatedConfig {
    /// Speed and acceleration limits.
    pub profile: MotionProfile,
    /// Turning rate on the spot, rad/s.
    pub turn_rate: f64,
    /// Turns at a node up to this (rad) are driven as a curve; sharper
    /// ones are made standing, on the spot.
    pub max_curve_angle: f64,
    /// Lateral acceleration allowed in a curve, m/s².
    pub lateral_acceleration: f64,
    /// Battery used per metre driven, %.
    pub drain_per_metre: f64,
    /// Battery used per action, %.
    pub drain_per_action: f64,
    /// Charging speed, % per second.
    pub charge_per_second: f64,
    /// Duration of an action by type, ms (others: `default_action_ms`).
    pub action_ms: BTreeMap<String, u64>,
    /// Duration of actions not listed.
    pub default_action_ms: u64,
    /// The map positions refer to.
    pub map_id: String,
    /// Node positions, for orders that carry none.
    pub node_positions: BTreeMap<String, Point2<f64>>,
    /// Scheduled faults.
    pub faults: Vec<Fault>,
    /// Body length and width, m (centred on the reported position).
    pub body: (f64, f64),
    /// Trailers of a tugger train, (length, width) in m, the first one
    /// `hitch_m` behind the body, each next one `hitch_m` behind the one before.
    pub trailers: Vec<(f64, f64)>,
    /// Gap between the bodies of a train, m.
    pub hitch_m: f64,
}

/// A box of a vehicle's body in the plane: centre, heading, size (m, rad).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BodyBox {
    /// Centre x, m.
    pub x: f64,
    /// Centre y, m.
    pub y: f64,
    /// Heading, rad.
    pub theta: f64,
    /// Length along the heading, m.
    pub length: f64,
    /// Width across it, m.
    pub width: f64,
}

impl EmulatedConfig {
    /// A factory load carrier ([`Kinematics::FACTORY_AGV`]: 1.5 m/s,
    /// 0.5 m/s², curves up to 95°, 90°/s turns on the spot), 0.02 %/m.
    pub fn factory_agv(map_id: impl Into<String>) -> EmulatedConfig {
        let k = Kinematics::FACTORY_AGV;
        EmulatedConfig {
            profile: k.profile,
            turn_rate: k.turn_rate,
            max_curve_angle: k.max_curve_angle,
            lateral_acceleration: k.lateral_acceleration,
            drain_per_metre: 0.02,
            drain_per_action: 0.05,
            charge_per_second: 0.5,
            action_ms: BTreeMap::new(),
            default_action_ms: 5_000,
            map_id: map_id.into(),
            node_positions: BTreeMap::new(),
            faults: Vec::new(),
            body: (1.2, 0.8),
            trailers: Vec::new(),
            hitch_m: 0.5,
        }
    }

    /// How far the train reaches behind the body's centre, m.
    fn train_length(&self) -> f64 {
        self.body.0 / 2.0 + self.trailers.iter().map(|t| self.hitch_m + t.0).sum::<f64>()
    }

    /// How the vehicle moves.
    pub fn kinematics(&self) -> Kinematics {
        Kinematics {
            profile: self.profile,
            turn_rate: self.turn_rate,
            max_curve_angle: self.max_curve_angle,
            lateral_acceleration: self.lateral_acceleration,
        }
    }
}

struct RunningAction {
    action: Action,
    done_at: Millis,
}

/// The emulated vehicle.
pub struct EmulatedVehicle {
    config: EmulatedConfig,
    motion: PathMotion,
    /// The nodes of the path still to reach, in order.
    path_nodes: std::collections::VecDeque<String>,
    /// Where the body's centre has been, newest first, as long as the
    /// train (its trailers follow this trail).
    trail: std::collections::VecDeque<Point2<f64>>,
    battery: f64,
    charging: bool,
    actions: Vec<RunningAction>,
    paused_since: Option<Millis>,
    broken: bool,
    last_poll: Millis,
    pending: Vec<DriverFeedback>,
}

impl EmulatedVehicle {
    /// A vehicle at `position` facing `heading`, with a full battery.
    pub fn new(config: EmulatedConfig, position: Point2<f64>, heading: f64) -> EmulatedVehicle {
        EmulatedVehicle {
            config,
            motion: PathMotion::new(position, heading),
            path_nodes: std::collections::VecDeque::new(),
            trail: std::collections::VecDeque::from([position]),
            battery: 100.0,
            charging: false,
            actions: Vec::new(),
            paused_since: None,
            broken: false,
            last_poll: Millis::ZERO,
            pending: Vec::new(),
        }
    }

    /// Battery charge, %.
    pub fn battery(&self) -> f64 {
        self.battery
    }

    /// Whether it is charging.
    pub fn charging(&self) -> bool {
        self.charging
    }

    /// Position, m.
    pub fn position(&self) -> Point2<f64> {
        self.motion.position()
    }

    /// Heading, rad.
    pub fn heading(&self) -> f64 {
        self.motion.heading()
    }

    /// Speed along the path, m/s.
    pub fn speed(&self) -> f64 {
        self.motion.speed()
    }

    /// The body's box, then each trailer's. Trailers follow the trail of
    /// the body's centre; where the trail is shorter than the train (just
    /// after start-up) they stand gathered at its oldest point.
    pub fn boxes(&self) -> Vec<BodyBox> {
        let p = self.motion.position();
        let (length, width) = self.config.body;
        let mut out = vec![BodyBox { x: p.x, y: p.y, theta: self.motion.heading(), length, width }];
        let mut behind = length / 2.0;
        for &(t_length, t_width) in &self.config.trailers {
            behind += self.config.hitch_m;
            let front = self.point_behind(behind);
            let back = self.point_behind(behind + t_length);
            let centre = self.point_behind(behind + t_length / 2.0);
            let d = front - back;
            let theta = if d.norm() > 1e-6 { d.y.atan2(d.x) } else { out[out.len() - 1].theta };
            out.push(BodyBox { x: centre.x, y: centre.y, theta, length: t_length, width: t_width });
            behind += t_length;
        }
        out
    }

    /// The point of the trail `distance` m behind the body's centre.
    fn point_behind(&self, distance: f64) -> Point2<f64> {
        let mut left = distance;
        let mut at = self.motion.position();
        for &crumb in &self.trail {
            let step = (at - crumb).norm();
            if step >= left && step > 1e-12 {
                return at + (crumb - at) * (left / step);
            }
            left -= step;
            at = crumb;
        }
        at
    }

    /// Lays the trail behind the body as it moves (trains only).
    fn lay_trail(&mut self) {
        if self.config.trailers.is_empty() {
            return;
        }
        let p = self.motion.position();
        if self.trail.front().is_none_or(|c| (c - p).norm() >= 0.05) {
            self.trail.push_front(p);
        }
        let keep = self.config.train_length() + 1.0;
        let mut total = 0.0;
        let mut last = p;
        let mut n = 0;
        for c in &self.trail {
            total += (c - last).norm();
            last = *c;
            n += 1;
            if total > keep {
                break;
            }
        }
        self.trail.truncate(n.max(1));
    }

    /// Sets the battery charge, %.
    pub fn set_battery(&mut self, charge: f64) {
        self.battery = charge.clamp(0.0, 100.0);
    }

    /// The configuration, to change at run time (faults, drain).
    pub fn config_mut(&mut self) -> &mut EmulatedConfig {
        &mut self.config
    }

    /// Where a node of an order is: its position in the order, or on the
    /// map; `None` if neither says.
    fn node_position(&self, node: &Node) -> Option<Point2<f64>> {
        node.node_position
            .as_ref()
            .map(|p| Point2::new(p.x, p.y))
            .or_else(|| self.config.node_positions.get(&node.node_id).copied())
    }

    fn drive(&mut self, path: &[PathLeg]) {
        let top = self.config.profile.max_speed();
        let mut waypoints = Vec::with_capacity(path.len());
        let mut last = self.motion.position();
        for leg in path {
            let at = self.node_position(&leg.to).unwrap_or(last);
            waypoints.push(Waypoint { at, max_speed: leg.edge.max_speed.unwrap_or(top) });
            last = at;
        }
        self.path_nodes = path.iter().map(|l| l.to.node_id.clone()).collect();
        self.motion.set_path(&waypoints, &self.config.kinematics());
    }

    fn breakdown_state(&self, now: Millis) -> bool {
        self.config.faults.iter().any(|f| match f {
            Fault::Breakdown { at, until } => now >= *at && until.is_none_or(|u| now < u),
        })
    }
}

fn breakdown_error() -> Error {
    Error {
        error_type: ErrorType::Other("breakdown".into()),
        error_references: None,
        error_description: Some("emulated breakdown: the vehicle cannot move".into()),
        error_hint: Some("wait for recovery or remove the vehicle".into()),
        error_level: ErrorLevel::Fatal,
    }
}

impl VehicleDriver for EmulatedVehicle {
    fn command(&mut self, now: Millis, command: &DriverCommand) {
        match command {
            DriverCommand::Drive { path } => self.drive(path),
            DriverCommand::StartAction(action) => {
                let ms = self
                    .config
                    .action_ms
                    .get(&action.action_type)
                    .copied()
                    .unwrap_or(self.config.default_action_ms);
                self.battery = (self.battery - self.config.drain_per_action).max(0.0);
                match action.action_type.as_str() {
                    action_types::START_CHARGING => self.charging = true,
                    action_types::STOP_CHARGING => self.charging = false,
                    _ => {}
                }
                self.pending.push(DriverFeedback::Action {
                    action_id: action.action_id.clone(),
                    status: ActionStatus::Running,
                    result: None,
                });
                self.actions.push(RunningAction { action: action.clone(), done_at: now + ms });
            }
            DriverCommand::CancelAction { action_id } => {
                self.actions.retain(|a| a.action.action_id != *action_id);
                self.pending.push(DriverFeedback::Action {
                    action_id: action_id.clone(),
                    status: ActionStatus::Failed,
                    result: Some("cancelled".into()),
                });
            }
            DriverCommand::Pause => {
                self.paused_since = self.paused_since.or(Some(now));
                self.motion.halt();
            }
            DriverCommand::Resume => self.paused_since = None,
        }
    }

    fn poll(&mut self, now: Millis) -> Vec<DriverFeedback> {
        let mut out = std::mem::take(&mut self.pending);
        let dt = now.saturating_sub(self.last_poll) as f64 / 1000.0;
        self.last_poll = now;
        let broken = self.breakdown_state(now);
        if broken != self.broken {
            self.broken = broken;
            out.push(DriverFeedback::Error { error: breakdown_error(), cleared: !broken });
        }
        let frozen = self.broken || self.paused_since.is_some();
        if frozen {
            self.motion.halt(); // stands still until it may go on
        } else {
            let before = self.motion.position();
            let reached = self.motion.advance(dt, &self.config.kinematics());
            let driven = (self.motion.position() - before).norm();
            self.battery = (self.battery - driven * self.config.drain_per_metre).max(0.0);
            self.lay_trail();
            for _ in 0..reached {
                if let Some(node_id) = self.path_nodes.pop_front() {
                    out.push(DriverFeedback::NodeReached { node_id });
                }
            }
        }
        let mut finished = Vec::new();
        self.actions.retain(|a| {
            if now >= a.done_at && !frozen {
                finished.push(a.action.action_id.clone());
                false
            } else {
                true
            }
        });
        for action_id in finished {
            out.push(DriverFeedback::Action { action_id, status: ActionStatus::Finished, result: None });
        }
        if self.charging {
            self.battery = (self.battery + self.config.charge_per_second * dt).min(100.0);
        }
        let p = self.motion.position();
        out.push(DriverFeedback::Pose {
            position: AgvPosition::new(p.x, p.y, self.motion.heading(), self.config.map_id.clone()),
            velocity: Velocity {
                vx: Some(self.motion.speed()),
                vy: Some(0.0),
                omega: Some(self.motion.omega()),
            },
            distance_since_last_node: self.motion.since_waypoint(),
        });
        out.push(DriverFeedback::Battery { charge: self.battery, charging: self.charging });
        out
    }
}

/// The factsheet of an emulated vehicle: geometry, speeds and the actions
/// the agent and this driver support. It validates against the 2.1.0 schema.
///
/// Its body is `config.body`; a train (with trailers) is a tugger with a
/// second 2D envelope, `train`, that covers the trailers in line behind it.
pub fn factsheet(config: &EmulatedConfig, manufacturer: &str, serial_number: &str) -> Factsheet {
    let (length, width) = config.body;
    let train = !config.trailers.is_empty();
    let action = |action_type: &str, scopes: Vec<ActionScope>, description: &str| AgvAction {
        action_type: action_type.into(),
        action_description: Some(description.into()),
        action_scopes: scopes,
        action_parameters: None,
        result_description: None,
        blocking_types: None,
    };
    let on_route = || vec![ActionScope::Node, ActionScope::Edge, ActionScope::Instant];
    let instant = || vec![ActionScope::Instant];
    Factsheet {
        header_id: None,
        timestamp: None,
        version: PROTOCOL_VERSION.into(),
        manufacturer: manufacturer.into(),
        serial_number: serial_number.into(),
        type_specification: TypeSpecification {
            series_name: if train {
                "Yardmaster emulated tugger train"
            } else {
                "Yardmaster emulated carrier"
            }
            .into(),
            series_description: Some("emulated vehicle of the agv-agent crate".into()),
            agv_kinematic: if train { AgvKinematic::Threewheel } else { AgvKinematic::Diff },
            agv_class: if train { AgvClass::Tugger } else { AgvClass::Carrier },
            max_load_mass: 600.0,
            localization_types: vec![LocalizationType::Natural],
            navigation_types: vec![NavigationType::VirtualLineGuided],
        },
        physical_parameters: PhysicalParameters {
            speed_min: 0.0,
            speed_max: config.profile.max_speed(),
            acceleration_max: config.profile.acceleration(),
            deceleration_max: config.profile.acceleration(),
            height_min: None,
            height_max: 0.4,
            width,
            length,
        },
        protocol_limits: ProtocolLimits {
            max_string_lens: MaxStringLens::default(),
            max_array_lens: MaxArrayLens::default(),
            timing: Timing {
                min_order_interval: 0.1,
                min_state_interval: 0.1,
                default_state_interval: Some(30.0),
                visualization_interval: None,
            },
        },
        protocol_features: ProtocolFeatures {
            optional_parameters: vec![],
            agv_actions: vec![
                action(action_types::PICK, on_route(), "pick a load"),
                action(action_types::DROP, on_route(), "drop a load"),
                action(action_types::START_CHARGING, on_route(), "start charging"),
                action(action_types::STOP_CHARGING, on_route(), "stop charging"),
                action(action_types::START_PAUSE, instant(), "pause"),
                action(action_types::STOP_PAUSE, instant(), "resume"),
                action(action_types::CANCEL_ORDER, instant(), "cancel the order, stop at the next node"),
                action(action_types::STATE_REQUEST, instant(), "send a state now"),
                action(action_types::FACTSHEET_REQUEST, instant(), "send this factsheet"),
                action(
                    action_types::INIT_POSITION,
                    instant(),
                    "set the position (x, y, theta, mapId, lastNodeId)",
                ),
            ],
        },
        agv_geometry: AgvGeometry {
            wheel_definitions: None,
            envelopes2d: Some(envelopes(config)),
            envelopes3d: None,
        },
        load_specification: LoadSpecification::default(),
        vehicle_config: None,
    }
}

/// The body's outline and, for a train, the outline of the whole train in line.
fn envelopes(config: &EmulatedConfig) -> Vec<Envelope2d> {
    let rectangle = |front: f64, back: f64, half_width: f64| {
        [(front, half_width), (back, half_width), (back, -half_width), (front, -half_width)]
            .into_iter()
            .map(|(x, y)| PolygonPoint { x, y })
            .collect()
    };
    let (length, width) = config.body;
    let mut out = vec![Envelope2d {
        set: "base".into(),
        polygon_points: rectangle(length / 2.0, -length / 2.0, width / 2.0),
        description: Some("outline of the body, centred on the kinematic centre".into()),
    }];
    if !config.trailers.is_empty() {
        let widest = config.trailers.iter().map(|t| t.1).fold(width, f64::max);
        out.push(Envelope2d {
            set: "train".into(),
            polygon_points: rectangle(length / 2.0, -config.train_length(), widest / 2.0),
            description: Some(format!("the train in line: the body and {} trailers", config.trailers.len())),
        });
    }
    out
}
