//! The sans-IO agent core: `Agent::step(now, inputs) -> (outbound
//! messages, driver commands)`, where every input is one [`AgentInput`]:
//! a message from master control, the vehicle's feedback, the master
//! control's presence, a placement, a connection to announce. Nothing else
//! changes the agent. No IO, no clock, no threads.
//!
//! The agent keeps the vehicle's VDA 5050 state: the current order's
//! remaining node and edge states, the last node reached, action states,
//! errors, battery, position. It accepts or rejects orders with the
//! protocol's acceptance flow (`protocol::order_rules`), tells the driver
//! to drive the released path — never past the decision point —
//! and to run actions, and publishes a state on every relevant change and
//! at least every `state_interval_ms`.

mod driving;
mod instant;

use std::collections::BTreeMap;

use protocol::messages::*;
use protocol::order_rules::{ActiveOrder, OrderVerdict, classify_order};
use protocol::transport::{FromVehicle, ToVehicle};

/// A point in injected time, ms: Unix-epoch milliseconds from the
/// wrapper's clock in live operation (headers carry it as ISO 8601 UTC),
/// any epoch in a simulation. See [`protocol::instant`].
pub use protocol::instant::Millis;

/// Who the vehicle is and how the agent behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentConfig {
    /// Manufacturer (key and header).
    pub manufacturer: String,
    /// Serial number (key and header).
    pub serial_number: String,
    /// The map the vehicle's positions refer to.
    pub map_id: String,
    /// Longest time between two states, ms (VDA 5050: at most 30 s).
    pub state_interval_ms: u64,
    /// The vehicle's factsheet, sent on request.
    pub factsheet: Option<Box<Factsheet>>,
    /// Node ids on the vehicle's map; an order naming another node is
    /// rejected with `noRouteError`. `None`: no map check.
    pub known_nodes: Option<std::collections::BTreeSet<String>>,
}

impl AgentConfig {
    /// A configuration with the standard 30 s state interval and no factsheet.
    pub fn new(
        manufacturer: impl Into<String>,
        serial_number: impl Into<String>,
        map_id: impl Into<String>,
    ) -> AgentConfig {
        AgentConfig {
            manufacturer: manufacturer.into(),
            serial_number: serial_number.into(),
            map_id: map_id.into(),
            state_interval_ms: 30_000,
            factsheet: None,
            known_nodes: None,
        }
    }
}

/// One leg of a path: an edge of the order and the node it ends at, as
/// the order gives them (`to.node_position` says where the node is, when
/// the order carries positions; `edge.max_speed`, `edge.trajectory` and
/// `edge.orientation` how to drive it).
#[derive(Clone, Debug, PartialEq)]
pub struct PathLeg {
    /// The edge.
    pub edge: Edge,
    /// Its end node.
    pub to: Node,
}

/// What the agent asks of the vehicle.
#[derive(Clone, Debug, PartialEq)]
pub enum DriverCommand {
    /// Drive this path and stop at its last node. The path starts where
    /// the vehicle is: its first leg is the edge the vehicle is on, or,
    /// standing on a node, the edge to take first. Each `Drive` replaces
    /// the path of the one before; the agent sends a new one when the
    /// master control releases more of the base (the same path, longer —
    /// keep driving, do not brake for the old end) or, on `cancelOrder`,
    /// a shorter one (stop at its end: the next node).
    ///
    /// The last node is always a place where the vehicle must stop: the
    /// decision point (the end of the released base), a node with a SOFT
    /// or HARD action, or the end of the order. Report
    /// [`DriverFeedback::NodeReached`] for every node of the path, in
    /// order, as the vehicle passes it; never drive past the last node.
    Drive {
        /// The legs, in order.
        path: Vec<PathLeg>,
    },
    /// Start an action; report its progress with [`DriverFeedback::Action`].
    StartAction(Action),
    /// Cancel a running action.
    CancelAction {
        /// Which.
        action_id: String,
    },
    /// Stop moving and hold (pause).
    Pause,
    /// Resume after a pause.
    Resume,
}

/// What the vehicle tells the agent.
#[derive(Clone, Debug, PartialEq)]
pub enum DriverFeedback {
    /// The vehicle reached (or is passing) the next node of its path.
    NodeReached {
        /// The node's id.
        node_id: String,
    },
    /// Where the vehicle is and how fast it goes.
    Pose {
        /// Position.
        position: AgvPosition,
        /// Velocity.
        velocity: Velocity,
        /// Metres since the last node.
        distance_since_last_node: f64,
    },
    /// An action's new status.
    Action {
        /// Which.
        action_id: String,
        /// New status.
        status: ActionStatus,
        /// Result text.
        result: Option<String>,
    },
    /// Battery.
    Battery {
        /// Charge, %.
        charge: f64,
        /// Charging now.
        charging: bool,
    },
    /// A vehicle error appeared (or, with `cleared`, went away).
    Error {
        /// The error.
        error: Error,
        /// Whether it is gone now.
        cleared: bool,
    },
}

/// Everything that can change the agent: the one door into the core.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentInput {
    /// A message from master control (order, instant actions).
    Message(ToVehicle),
    /// What the vehicle reported.
    Feedback(DriverFeedback),
    /// The master control came (`true`) or went (`false`), as the link
    /// tells (Zenoh liveliness, or the broker). While it is away the
    /// vehicle finishes its released base — the orchestrator reserved it —
    /// and waits there; its state carries a WARNING `masterControlOffline`
    /// until the master control is back.
    MasterControl {
        /// Whether a master control is present now.
        online: bool,
    },
    /// The vehicle stands on this node (start-up, or an operator's
    /// placement; `initPosition` arrives as a [`AgentInput::Message`]).
    Place {
        /// The node.
        node: Box<Node>,
        /// The position there.
        position: AgvPosition,
    },
    /// Announce the connection: the step publishes a `connection` message
    /// (ONLINE at start-up, OFFLINE before a clean shutdown).
    Connection(ConnectionState),
}

impl AgentInput {
    /// [`AgentInput::Place`] on `node` at `position`.
    pub fn place(node: Node, position: AgvPosition) -> AgentInput {
        AgentInput::Place { node: Box::new(node), position }
    }

    /// The inputs of a step that got `feedback` from the vehicle and
    /// `inbound` from master control (feedback first).
    pub fn batch(inbound: &[ToVehicle], feedback: &[DriverFeedback]) -> Vec<AgentInput> {
        feedback
            .iter()
            .cloned()
            .map(AgentInput::Feedback)
            .chain(inbound.iter().cloned().map(AgentInput::Message))
            .collect()
    }
}

/// What one step produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs {
    /// Messages to publish, in order.
    pub messages: Vec<FromVehicle>,
    /// Commands for the driver, in order.
    pub commands: Vec<DriverCommand>,
}

/// The on-vehicle agent core.
pub struct Agent {
    config: AgentConfig,
    header_ids: BTreeMap<&'static str, u32>,
    order_id: String,
    order_update_id: u32,
    /// Nodes still to traverse, in order.
    node_states: Vec<Node>,
    /// Edges still to traverse, in order.
    edge_states: Vec<Edge>,
    /// The last node reached (full, for update stitching once done).
    last_node: Option<Node>,
    /// Every action of the order and the instant actions, by id.
    actions: BTreeMap<String, (Action, ActionState)>,
    action_order: Vec<String>,
    /// Ids of instant actions (kept across orders).
    instant_ids: std::collections::BTreeSet<String>,
    errors: Vec<Error>,
    /// Legs of the base handed to the driver (the front of `edge_states`
    /// and `node_states`): the vehicle is on the first of them, if any.
    handed: usize,
    paused: bool,
    /// Set by cancelOrder: stop at the next node, then finish the cancel action.
    cancelling: Option<String>,
    battery: BatteryState,
    position: Option<AgvPosition>,
    velocity: Option<Velocity>,
    distance_since_last_node: Option<f64>,
    last_state_at: Option<Millis>,
    reported_driving: bool,
    dirty: bool,
}

/// The error type of the warning an agent reports while no master control is present.
pub const MASTER_OFFLINE: &str = "masterControlOffline";

/// At most this many errors in a state.
pub const MAX_ERRORS: usize = 16;

/// Finished instant actions whose states are kept (the latest ones).
pub const MAX_DONE_INSTANT: usize = 8;

impl Agent {
    /// A new agent, idle, with a full battery and no position.
    pub fn new(config: AgentConfig) -> Agent {
        Agent {
            config,
            header_ids: BTreeMap::new(),
            order_id: String::new(),
            order_update_id: 0,
            node_states: Vec::new(),
            edge_states: Vec::new(),
            last_node: None,
            actions: BTreeMap::new(),
            action_order: Vec::new(),
            instant_ids: std::collections::BTreeSet::new(),
            errors: Vec::new(),
            handed: 0,
            paused: false,
            cancelling: None,
            battery: BatteryState {
                battery_charge: 100.0,
                battery_voltage: None,
                battery_health: None,
                charging: false,
                reach: None,
            },
            position: None,
            velocity: None,
            distance_since_last_node: None,
            last_state_at: None,
            reported_driving: false,
            dirty: true,
        }
    }

    /// Puts the vehicle on a node (as `initPosition` does).
    fn init_position(&mut self, node: Node, position: AgvPosition) {
        self.position = Some(position);
        self.last_node = Some(node);
        self.distance_since_last_node = Some(0.0);
        self.dirty = true;
    }

    fn header(&mut self, topic: &'static str, now: Millis) -> Header {
        let id = self.header_ids.entry(topic).or_insert(0);
        let header = Header {
            header_id: *id,
            timestamp: Timestamp::at(now),
            version: PROTOCOL_VERSION.into(),
            manufacturer: self.config.manufacturer.clone(),
            serial_number: self.config.serial_number.clone(),
        };
        *id = id.wrapping_add(1);
        header
    }

    fn connection(&mut self, now: Millis, state: ConnectionState) -> Connection {
        Connection { header: self.header("connection", now), connection_state: state }
    }

    /// The last node reached ("" if none).
    pub fn last_node_id(&self) -> &str {
        self.last_node.as_ref().map_or("", |n| n.node_id.as_str())
    }

    /// The current (or last) order's id ("" if none yet).
    pub fn order_id(&self) -> &str {
        &self.order_id
    }

    /// Battery charge as last reported, %.
    pub fn battery_charge(&self) -> f64 {
        self.battery.battery_charge
    }

    /// The state as it would be published now (the header carries the
    /// next state header id; nothing is consumed).
    pub fn current_state(&self, now: impl Into<Millis>) -> State {
        let now = now.into();
        let header = Header {
            header_id: self.header_ids.get("state").copied().unwrap_or(0),
            timestamp: Timestamp::at(now),
            version: PROTOCOL_VERSION.into(),
            manufacturer: self.config.manufacturer.clone(),
            serial_number: self.config.serial_number.clone(),
        };
        self.state_with(header)
    }

    /// The state message to publish (advances the state header id).
    fn state(&mut self, now: Millis) -> State {
        let header = self.header("state", now);
        self.state_with(header)
    }

    fn state_with(&self, header: Header) -> State {
        let action_states =
            self.action_order.iter().filter_map(|id| self.actions.get(id).map(|(_, s)| s.clone())).collect();
        let released_left = self.node_states.iter().filter(|n| n.released).count();
        let horizon_left = self.node_states.iter().any(|n| !n.released);
        State {
            header,
            maps: None,
            order_id: self.order_id.clone(),
            order_update_id: self.order_update_id,
            zone_set_id: None,
            last_node_id: self.last_node.as_ref().map_or_else(String::new, |n| n.node_id.clone()),
            last_node_sequence_id: self.last_node.as_ref().map_or(0, |n| n.sequence_id),
            driving: self.is_driving(),
            paused: Some(self.paused),
            new_base_request: Some(horizon_left && released_left <= 1),
            distance_since_last_node: self.distance_since_last_node,
            operating_mode: OperatingMode::Automatic,
            node_states: self.node_states.iter().map(node_state).collect(),
            edge_states: self.edge_states.iter().map(edge_state).collect(),
            agv_position: self.position.clone(),
            velocity: self.velocity.clone(),
            loads: None,
            action_states,
            battery_state: self.battery.clone(),
            errors: self.errors.clone(),
            information: None,
            safety_state: SafetyState { e_stop: EStop::None, field_violation: false },
        }
    }

    /// On its path, not paused, and — if the vehicle reports a velocity —
    /// actually moving or turning (a broken-down vehicle is not).
    fn is_driving(&self) -> bool {
        self.handed > 0
            && !self.paused
            && self.velocity.as_ref().is_none_or(|v| {
                let (vx, omega) = (v.vx.unwrap_or(1.0), v.omega.unwrap_or(0.0));
                vx.abs() > 1e-6 || omega.abs() > 1e-6
            })
    }

    /// Whether the current order is done: nothing left to traverse and
    /// every action of the order over (instant actions do not count).
    pub fn order_finished(&self) -> bool {
        self.node_states.is_empty()
            && self.edge_states.is_empty()
            && self
                .actions
                .iter()
                .all(|(id, (_, s))| self.instant_ids.contains(id) || s.action_status.is_terminal())
    }

    /// One step: apply the inputs in order, then say what to publish and
    /// what the vehicle should do.
    pub fn step(&mut self, now: impl Into<Millis>, inputs: impl IntoIterator<Item = AgentInput>) -> Outputs {
        let now = now.into();
        let mut out = Outputs::default();
        for input in inputs {
            match input {
                AgentInput::Feedback(event) => self.on_feedback(&event, &mut out),
                AgentInput::Message(ToVehicle::Order(order)) => self.on_order(&order, &mut out),
                AgentInput::Message(ToVehicle::InstantActions(batch)) => {
                    self.on_instant_actions(now, &batch, &mut out);
                }
                AgentInput::MasterControl { online } => self.set_master_control(online),
                AgentInput::Place { node, position } => self.init_position(*node, position),
                AgentInput::Connection(state) => {
                    let connection = self.connection(now, state);
                    out.messages.push(FromVehicle::Connection(connection));
                }
            }
        }
        self.advance(&mut out);
        self.forget_finished_instant_actions();
        let driving = self.is_driving();
        if driving != self.reported_driving {
            self.reported_driving = driving;
            self.dirty = true;
        }
        let due = self.last_state_at.is_none_or(|t| now.saturating_sub(t) >= self.config.state_interval_ms);
        if self.dirty || due {
            let state = self.state(now);
            out.messages.push(FromVehicle::State(Box::new(state)));
            self.last_state_at = Some(now);
            self.dirty = false;
        }
        out
    }

    fn on_order(&mut self, order: &Order, out: &mut Outputs) {
        let stitch = self
            .node_states
            .iter()
            .take_while(|n| n.released)
            .last()
            .cloned()
            .or_else(|| self.last_node.clone());
        let current = stitch.as_ref().filter(|_| !self.order_id.is_empty()).map(|stitch_node| ActiveOrder {
            order_id: &self.order_id,
            order_update_id: self.order_update_id,
            stitch_node,
            finished: self.order_finished(),
        });
        if let Some(known) = &self.config.known_nodes
            && let Some(unknown) = order.nodes.iter().find(|n| !known.contains(&n.node_id))
        {
            self.push_error(Error {
                error_type: ErrorType::NoRouteError,
                error_references: Some(vec![
                    ErrorReference {
                        reference_key: "orderId".into(),
                        reference_value: order.order_id.clone(),
                    },
                    ErrorReference {
                        reference_key: "nodeId".into(),
                        reference_value: unknown.node_id.clone(),
                    },
                ]),
                error_description: Some(format!("node {} is not on this vehicle's map", unknown.node_id)),
                error_hint: None,
                error_level: ErrorLevel::Warning,
            });
            self.dirty = true;
            return;
        }
        let here = self.last_node.as_ref().map(|n| n.node_id.clone());
        let verdict =
            classify_order(current, order, |first| here.as_deref().is_none_or(|id| id == first.node_id));
        match verdict {
            Ok(OrderVerdict::Resend) => {}
            Ok(OrderVerdict::NewOrder) => self.take_new_order(order, out),
            Ok(OrderVerdict::Update) => self.take_update(order),
            Err(rejection) => {
                self.push_error(rejection.to_error());
                self.dirty = true;
            }
        }
    }

    /// See [`AgentInput::MasterControl`].
    fn set_master_control(&mut self, online: bool) {
        let flagged = self.errors.iter().any(|e| e.error_type.as_str() == MASTER_OFFLINE);
        if online && flagged {
            self.errors.retain(|e| e.error_type.as_str() != MASTER_OFFLINE);
            self.dirty = true;
        } else if !online && !flagged {
            self.push_error(Error {
                error_type: ErrorType::Other(MASTER_OFFLINE.into()),
                error_references: None,
                error_description: Some(
                    "no master control: finishing the released base, then waiting for it".into(),
                ),
                error_hint: Some("start the orchestrator (yardmaster serve) or check the network".into()),
                error_level: ErrorLevel::Warning,
            });
            self.dirty = true;
        }
    }

    /// Adds an error; the same error again (type and references) replaces
    /// the old one, and the list stays at most [`MAX_ERRORS`] long (the
    /// oldest warnings go first), so that a state's size stays bounded
    /// however often a master control repeats a bad request.
    fn push_error(&mut self, error: Error) {
        self.errors
            .retain(|e| !(e.error_type == error.error_type && e.error_references == error.error_references));
        self.errors.push(error);
        while self.errors.len() > MAX_ERRORS {
            let oldest = self.errors.iter().position(|e| e.error_level == ErrorLevel::Warning).unwrap_or(0);
            self.errors.remove(oldest);
        }
        self.dirty = true;
    }

    /// VDA 5050 keeps the action states of the current order and of
    /// instant actions; finished instant actions (and the errors that
    /// refer to them) are kept only for the [`MAX_DONE_INSTANT`] latest.
    fn forget_finished_instant_actions(&mut self) {
        let done: Vec<String> = self
            .action_order
            .iter()
            .filter(|id| {
                self.instant_ids.contains(*id)
                    && self.actions.get(*id).is_some_and(|(_, s)| s.action_status.is_terminal())
            })
            .cloned()
            .collect();
        let Some(excess) = done.len().checked_sub(MAX_DONE_INSTANT).filter(|&n| n > 0) else { return };
        for id in &done[..excess] {
            self.actions.remove(id);
            self.instant_ids.remove(id);
            self.errors.retain(|e| {
                !e.error_references.as_ref().is_some_and(|refs| {
                    refs.iter().any(|r| r.reference_key == "actionId" && r.reference_value == *id)
                })
            });
        }
        let actions = &self.actions;
        self.action_order.retain(|id| actions.contains_key(id));
        self.dirty = true;
    }

    fn clear_order_errors(&mut self) {
        self.errors.retain(|e| {
            !matches!(
                e.error_type,
                ErrorType::OrderUpdateError
                    | ErrorType::ValidationError
                    | ErrorType::NoRouteError
                    | ErrorType::OrderError
            )
        });
    }

    fn take_new_order(&mut self, order: &Order, out: &mut Outputs) {
        self.clear_order_errors();
        self.order_id = order.order_id.clone();
        self.order_update_id = order.order_update_id;
        // Keep instant actions' states; the old order's are dropped.
        let instant = &self.instant_ids;
        self.actions.retain(|id, _| instant.contains(id));
        self.action_order.retain(|id| self.actions.contains_key(id));
        let mut nodes = order.nodes.clone();
        let first = nodes.remove(0);
        self.node_states = nodes;
        self.edge_states = order.edges.clone();
        for action in
            order.nodes.iter().flat_map(|n| &n.actions).chain(order.edges.iter().flat_map(|e| &e.actions))
        {
            self.register_action(action.clone());
        }
        // The first node is where the vehicle stands: traversed at once.
        self.arrive_at(first, out);
        self.dirty = true;
    }

    fn take_update(&mut self, order: &Order) {
        self.clear_order_errors();
        self.order_update_id = order.order_update_id;
        // The new horizon replaces the old one; the base is extended.
        self.node_states.retain(|n| n.released);
        self.edge_states.retain(|e| e.released);
        self.node_states.extend(order.nodes.iter().skip(1).cloned());
        self.edge_states.extend(order.edges.iter().cloned());
        for action in order
            .nodes
            .iter()
            .skip(1)
            .flat_map(|n| &n.actions)
            .chain(order.edges.iter().flat_map(|e| &e.actions))
        {
            self.register_action(action.clone());
        }
        self.dirty = true;
    }

    fn register_action(&mut self, action: Action) {
        let state = ActionState {
            action_id: action.action_id.clone(),
            action_type: Some(action.action_type.clone()),
            action_description: action.action_description.clone(),
            action_status: ActionStatus::Waiting,
            result_description: None,
        };
        if !self.actions.contains_key(&action.action_id) {
            self.action_order.push(action.action_id.clone());
        }
        self.actions.insert(action.action_id.clone(), (action, state));
    }

    fn set_action_status(&mut self, action_id: &str, status: ActionStatus, result: Option<String>) {
        if let Some((_, state)) = self.actions.get_mut(action_id)
            && (state.action_status != status || result.is_some())
        {
            state.action_status = status;
            if result.is_some() {
                state.result_description = result;
            }
            self.dirty = true;
        }
    }

    fn on_feedback(&mut self, event: &DriverFeedback, out: &mut Outputs) {
        match event {
            DriverFeedback::NodeReached { node_id } => self.node_reached(node_id, out),
            DriverFeedback::Pose { position, velocity, distance_since_last_node } => {
                self.position = Some(position.clone());
                self.velocity = Some(velocity.clone());
                self.distance_since_last_node = Some(*distance_since_last_node);
            }
            DriverFeedback::Action { action_id, status, result } => {
                self.set_action_status(action_id, *status, result.clone());
            }
            DriverFeedback::Battery { charge, charging } => {
                if self.battery.charging != *charging || (self.battery.battery_charge - charge).abs() >= 1.0 {
                    self.dirty = true;
                }
                self.battery.battery_charge = *charge;
                self.battery.charging = *charging;
            }
            DriverFeedback::Error { error, cleared } => {
                self.errors.retain(|e| e.error_type != error.error_type);
                if !cleared {
                    self.push_error(error.clone());
                }
                self.dirty = true;
            }
        }
    }
}

fn node_state(n: &Node) -> NodeState {
    NodeState {
        node_id: n.node_id.clone(),
        sequence_id: n.sequence_id,
        node_description: n.node_description.clone(),
        released: n.released,
        node_position: n.node_position.as_ref().map(|p| StateNodePosition {
            x: p.x,
            y: p.y,
            theta: p.theta,
            map_id: p.map_id.clone(),
        }),
    }
}

fn edge_state(e: &Edge) -> EdgeState {
    EdgeState {
        edge_id: e.edge_id.clone(),
        sequence_id: e.sequence_id,
        edge_description: e.edge_description.clone(),
        released: e.released,
        trajectory: e.trajectory.clone(),
    }
}
