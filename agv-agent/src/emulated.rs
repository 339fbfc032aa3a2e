//! An emulated vehicle: `nalgebra` kinematics (turn on the spot at a
//! limited rate, then drive with speed and acceleration limits), battery
//! drain per metre and per action, charging, timed actions and scheduled
//! breakdowns. The simulator and the `agv-agent` binary drive it.

use std::collections::BTreeMap;

use nalgebra::{Point2, Vector2};
use protocol::messages::*;

use crate::agent::{DriverCommand, DriverFeedback, Millis};
use crate::driver::VehicleDriver;
use crate::motion::MotionProfile;

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
}

impl EmulatedConfig {
    /// A factory load carrier: 1.5 m/s, 0.5 m/s², 90°/s turns, 0.02 %/m.
    pub fn factory_agv(map_id: impl Into<String>) -> EmulatedConfig {
        EmulatedConfig {
            profile: MotionProfile::FACTORY_AGV,
            turn_rate: std::f64::consts::FRAC_PI_2,
            drain_per_metre: 0.02,
            drain_per_action: 0.05,
            charge_per_second: 0.5,
            action_ms: BTreeMap::new(),
            default_action_ms: 5_000,
            map_id: map_id.into(),
            node_positions: BTreeMap::new(),
            faults: Vec::new(),
        }
    }
}

struct Leg {
    node_id: String,
    from: Point2<f64>,
    to: Point2<f64>,
    start: Millis,
    turn_ms: u64,
    length: f64,
    heading: f64,
}

struct RunningAction {
    action: Action,
    done_at: Millis,
}

/// The emulated vehicle.
pub struct EmulatedVehicle {
    config: EmulatedConfig,
    position: Point2<f64>,
    heading: f64,
    battery: f64,
    charging: bool,
    leg: Option<Leg>,
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
            position,
            heading,
            battery: 100.0,
            charging: false,
            leg: None,
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

    /// Position, m.
    pub fn position(&self) -> Point2<f64> {
        self.position
    }

    /// Heading, rad.
    pub fn heading(&self) -> f64 {
        self.heading
    }

    /// Sets the battery charge, %.
    pub fn set_battery(&mut self, charge: f64) {
        self.battery = charge.clamp(0.0, 100.0);
    }

    /// The configuration, to change at run time (faults, drain).
    pub fn config_mut(&mut self) -> &mut EmulatedConfig {
        &mut self.config
    }

    fn leg_progress(&self, leg: &Leg, now: Millis) -> (f64, bool) {
        let elapsed = now.saturating_sub(leg.start);
        if elapsed <= leg.turn_ms {
            return (0.0, false);
        }
        let t = (elapsed - leg.turn_ms) as f64 / 1000.0;
        let total = self.config.profile.travel_time(leg.length);
        (self.config.profile.position_at(leg.length, t), t >= total)
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
            DriverCommand::DriveEdge { to, .. } => {
                let target = to
                    .node_position
                    .as_ref()
                    .map(|p| Point2::new(p.x, p.y))
                    .or_else(|| self.config.node_positions.get(&to.node_id).copied())
                    .unwrap_or(self.position);
                let delta: Vector2<f64> = target - self.position;
                let length = delta.norm();
                let heading = if length > 1e-9 { delta.y.atan2(delta.x) } else { self.heading };
                let turn = ((heading - self.heading + std::f64::consts::PI)
                    .rem_euclid(std::f64::consts::TAU)
                    - std::f64::consts::PI)
                    .abs();
                let turn_ms = (turn / self.config.turn_rate * 1000.0).round() as u64;
                self.leg = Some(Leg {
                    node_id: to.node_id.clone(),
                    from: self.position,
                    to: target,
                    start: now,
                    turn_ms,
                    length,
                    heading,
                });
            }
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
            DriverCommand::Pause => self.paused_since = self.paused_since.or(Some(now)),
            DriverCommand::Resume => {
                if let Some(since) = self.paused_since.take()
                    && let Some(leg) = &mut self.leg
                {
                    leg.start += now.saturating_sub(since);
                }
            }
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
        if frozen && let Some(leg) = &mut self.leg {
            leg.start += (dt * 1000.0) as u64; // time stands still on the leg
        }
        let mut distance = 0.0;
        if let Some(leg) = &self.leg {
            let (along, done) = self.leg_progress(leg, now);
            let before = (self.position - leg.from).norm();
            let direction =
                if leg.length > 1e-9 { (leg.to - leg.from) / leg.length } else { Vector2::zeros() };
            self.position = leg.from + direction * along;
            self.heading = leg.heading;
            self.battery = (self.battery - (along - before).max(0.0) * self.config.drain_per_metre).max(0.0);
            distance = along;
            if done {
                self.position = leg.to;
                out.push(DriverFeedback::NodeReached { node_id: leg.node_id.clone() });
                self.leg = None;
                distance = 0.0;
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
        let moving = self.leg.is_some() && !frozen;
        out.push(DriverFeedback::Pose {
            position: AgvPosition::new(
                self.position.x,
                self.position.y,
                self.heading,
                self.config.map_id.clone(),
            ),
            velocity: Velocity {
                vx: Some(if moving { self.config.profile.max_speed() } else { 0.0 }),
                vy: Some(0.0),
                omega: Some(0.0),
            },
            distance_since_last_node: distance,
        });
        out.push(DriverFeedback::Battery { charge: self.battery, charging: self.charging });
        out
    }
}

/// The factsheet of an emulated vehicle: geometry, speeds and the actions
/// the agent and this driver support. It validates against the 2.1.0 schema.
pub fn factsheet(
    config: &EmulatedConfig,
    manufacturer: &str,
    serial_number: &str,
    length: f64,
    width: f64,
) -> Factsheet {
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
            series_name: "Yardmaster emulated carrier".into(),
            series_description: Some("emulated vehicle of the agv-agent crate".into()),
            agv_kinematic: AgvKinematic::Diff,
            agv_class: AgvClass::Carrier,
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
            envelopes2d: Some(vec![Envelope2d {
                set: "base".into(),
                polygon_points: [(0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5), (0.5, -0.5)]
                    .into_iter()
                    .map(|(fx, fy)| PolygonPoint { x: fx * length, y: fy * width })
                    .collect(),
                description: Some("outline of the body, centred on the kinematic centre".into()),
            }]),
            envelopes3d: None,
        },
        load_specification: LoadSpecification::default(),
        vehicle_config: None,
    }
}
