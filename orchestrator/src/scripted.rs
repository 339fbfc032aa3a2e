//! A scripted vehicle for tests and benchmarks: it follows its released
//! base perfectly, at a fixed speed, runs node actions for a fixed time,
//! and reports a VDA 5050 state at every step. It speaks just enough of the
//! protocol (orders, stitched updates, `cancelOrder`, charging) to drive
//! the orchestrator core without the full agent; faults are switches.
//!
//! With [`ScriptedVehicle::with_turns`] it moves as the MAPF_T action
//! model says (the League of Robot Runners'): it faces along the edge it
//! drives and turns in place, a quarter turn at a time, before it leaves a
//! node in another direction; [`ScriptedVehicle::hold`] delays it (it
//! stands still, whatever it was doing resumes after) without the
//! orchestrator knowing in advance, and [`ScriptedVehicle::activity`] says
//! what it did.
//!
//! The full on-vehicle agent is the `agv-agent` crate; the simulator uses
//! that one.

use std::sync::Arc;

use layout::{Layout, NodeIdx};
use protocol::messages::EdgeState;
use protocol::messages::{
    Action, ActionState, ActionStatus, AgvPosition, BatteryState, EStop, Error as VdaError, ErrorLevel,
    ErrorType, Header, NodeState, OperatingMode, Order, PROTOCOL_VERSION, SafetyState, State, Timestamp,
    action_types,
};
use protocol::transport::{FromVehicle, OrchestratorEvent, ToVehicle, VehicleId};

use crate::orders::Millis;

/// A node (or edge) still to traverse: layout index, sequence id, released, actions.
#[derive(Clone, Debug)]
struct Step {
    node: NodeIdx,
    node_id: String,
    seq: u32,
    released: bool,
    actions: Vec<Action>,
    edge_id: String,
    edge_released: bool,
}

/// What a scripted vehicle did at the start of its last step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// Stood (no work, an action, or waiting for a release).
    Idle,
    /// Drove along an edge.
    Forward,
    /// Turned clockwise in place.
    TurnClockwise,
    /// Turned counter-clockwise in place.
    TurnCounterClockwise,
    /// Held still by a delay ([`ScriptedVehicle::hold`]).
    Held,
}

/// A motion in progress: from, until, which.
#[derive(Clone, Copy, Debug)]
struct Motion {
    begin: Millis,
    end: Millis,
    kind: Activity,
}

/// A vehicle that does exactly what it is told.
#[derive(Clone, Debug)]
pub struct ScriptedVehicle {
    id: VehicleId,
    layout: Arc<Layout>,
    speed: f64,
    /// How long each node action takes, ms.
    pub action_ms: u64,
    /// Battery drain per metre, %.
    pub drain_per_m: f64,
    /// Charge per second while charging, %.
    pub charge_per_s: f64,
    /// A FATAL error to report (a breakdown): it stops moving while set.
    pub fault: Option<String>,
    node: NodeIdx,
    seq: u32,
    order_id: String,
    update_id: u32,
    todo: Vec<Step>,
    leg: Option<(usize, Millis)>,
    running: Option<(String, Millis)>,
    actions: Vec<ActionState>,
    errors: Vec<VdaError>,
    refused: usize,
    battery: f64,
    charging: bool,
    free_at: Millis,
    last_step: Millis,
    header_id: u32,
    /// Facing, radians (0 along +x, counter-clockwise positive).
    heading: f64,
    /// A quarter turn's time, ms, if it turns in place (MAPF_T).
    quarter_ms: Option<u64>,
    /// The quarter turn in progress: its motion and its sign (+1 counter-clockwise).
    turning: Option<(Motion, f64)>,
    /// The leg in progress began then.
    leg_begin: Millis,
    /// Held still until then.
    held_until: Millis,
    activity: Activity,
}

/// The vehicle cannot start there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no node {0:?} in the layout")]
pub struct UnknownStart(pub String);

impl ScriptedVehicle {
    /// A vehicle standing on `start`, driving at `speed` m/s.
    pub fn new(
        id: VehicleId,
        layout: &Arc<Layout>,
        start: &str,
        speed: f64,
    ) -> Result<ScriptedVehicle, UnknownStart> {
        let node = layout.node_by_id(start).ok_or_else(|| UnknownStart(start.to_string()))?;
        Ok(ScriptedVehicle {
            id,
            layout: layout.clone(),
            speed,
            action_ms: 1_000,
            drain_per_m: 0.0,
            charge_per_s: 1.0,
            fault: None,
            node,
            seq: 0,
            order_id: String::new(),
            update_id: 0,
            todo: Vec::new(),
            leg: None,
            running: None,
            actions: Vec::new(),
            errors: Vec::new(),
            refused: 0,
            battery: 100.0,
            charging: false,
            free_at: Millis::ZERO,
            last_step: Millis::ZERO,
            header_id: 0,
            heading: 0.0,
            quarter_ms: None,
            turning: None,
            leg_begin: Millis::ZERO,
            held_until: Millis::ZERO,
            activity: Activity::Idle,
        })
    }

    /// It turns in place before leaving a node in another direction, a
    /// quarter turn (90°) taking `quarter_ms`, and starts facing `heading`
    /// (radians, 0 along +x: east on a grid map).
    pub fn with_turns(mut self, quarter_ms: u64, heading: f64) -> ScriptedVehicle {
        self.quarter_ms = Some(quarter_ms.max(1));
        self.heading = heading;
        self
    }

    /// Facing, radians (0 along +x, counter-clockwise positive).
    pub fn heading(&self) -> f64 {
        self.heading
    }

    /// Holds it still from `from` until `until` (a delay it suffers): a
    /// move, turn or action in progress pauses and resumes after; nothing
    /// new starts before `until`.
    pub fn hold(&mut self, from: Millis, until: Millis) {
        let start = from.max(self.held_until);
        if until <= start {
            return;
        }
        let pause = until - start;
        if let Some((_, arrive)) = &mut self.leg
            && *arrive > start
        {
            *arrive += pause;
        }
        if let Some((motion, _)) = &mut self.turning
            && motion.end > start
        {
            motion.end += pause;
        }
        if let Some((_, end)) = &mut self.running
            && *end > start
        {
            *end += pause;
        }
        self.held_until = until;
    }

    /// What it did at the start of its last step (with steps one tick
    /// long: what it did in that tick).
    pub fn activity(&self) -> Activity {
        self.activity
    }

    /// Its id.
    pub fn id(&self) -> &VehicleId {
        &self.id
    }

    /// The node it last reached.
    pub fn node(&self) -> NodeIdx {
        self.node
    }

    /// The node it is driving to, if it is on an edge.
    pub fn heading_to(&self) -> Option<NodeIdx> {
        self.leg.and_then(|(i, _)| self.todo.get(i)).map(|s| s.node)
    }

    /// Battery, %.
    pub fn battery(&self) -> f64 {
        self.battery
    }

    /// Sets the battery, %.
    pub fn set_battery(&mut self, charge: f64) {
        self.battery = charge;
    }

    fn finished(&self) -> bool {
        self.todo.is_empty() && self.actions.iter().all(|a| a.action_status.is_terminal())
    }

    /// Takes a message from the orchestrator.
    pub fn receive(&mut self, message: ToVehicle) {
        match message {
            ToVehicle::Order(order) => self.on_order(&order),
            ToVehicle::InstantActions(batch) => {
                for action in batch.actions {
                    match action.action_type.as_str() {
                        action_types::CANCEL_ORDER => {
                            // Stop at the node it drives to (or where it is).
                            let keep = self.leg.map_or(0, |(i, _)| i + 1);
                            self.todo.truncate(keep);
                            for a in &mut self.actions {
                                if !a.action_status.is_terminal()
                                    && self.running.as_ref().is_none_or(|r| r.0 != a.action_id)
                                {
                                    a.action_status = ActionStatus::Failed;
                                }
                            }
                        }
                        action_types::STOP_CHARGING => self.charging = false,
                        action_types::START_CHARGING => self.charging = true,
                        _ => {}
                    }
                    self.actions.push(state_of(&action, ActionStatus::Finished));
                }
            }
        }
    }

    fn on_order(&mut self, order: &Order) {
        let Some(first) = order.nodes.first() else { return };
        if order.order_id == self.order_id {
            if order.order_update_id <= self.update_id {
                return;
            }
            // Stitch: the first node must be the last released node known (or where it is).
            let known = self.todo.iter().rev().find(|s| s.released).map_or(self.seq, |s| s.seq);
            if first.sequence_id != known {
                self.error(ErrorType::OrderUpdateError, "update does not stitch at the decision point");
                return;
            }
            // The stitching node stays as known (with its edge); what follows is replaced.
            self.todo.retain(|s| s.seq <= first.sequence_id && s.released);
        } else {
            if !self.finished() || first.node_id != self.layout.node(self.node).id {
                self.error(ErrorType::OrderError, "new order while busy or not starting here");
                return;
            }
            self.todo.clear();
            self.actions.clear();
            self.order_id.clone_from(&order.order_id);
            self.seq = first.sequence_id;
        }
        self.update_id = order.order_update_id;
        self.errors.clear();
        for (i, node) in order.nodes.iter().enumerate() {
            let Some(idx) = self.layout.node_by_id(&node.node_id) else { continue };
            for a in &node.actions {
                if !self.actions.iter().any(|s| s.action_id == a.action_id) {
                    self.actions.push(state_of(a, ActionStatus::Waiting));
                }
            }
            if node.sequence_id == self.seq && i == 0 {
                // Actions on the node where it stands run now.
                self.todo.insert(
                    0,
                    Step {
                        node: idx,
                        node_id: node.node_id.clone(),
                        seq: node.sequence_id,
                        released: node.released,
                        actions: node.actions.clone(),
                        edge_id: String::new(),
                        edge_released: true,
                    },
                );
                continue;
            }
            if node.sequence_id <= self.seq || self.todo.iter().any(|s| s.seq == node.sequence_id) {
                continue;
            }
            let edge = order.edges.iter().find(|e| e.sequence_id + 1 == node.sequence_id);
            self.todo.push(Step {
                node: idx,
                node_id: node.node_id.clone(),
                seq: node.sequence_id,
                released: node.released,
                actions: node.actions.clone(),
                edge_id: edge.map_or_else(String::new, |e| e.edge_id.clone()),
                edge_released: edge.is_some_and(|e| e.released),
            });
        }
        // A step for the current node with no actions is nothing to do.
        if self.todo.first().is_some_and(|s| s.seq == self.seq && s.actions.is_empty()) {
            self.todo.remove(0);
        }
    }

    /// How many orders or updates it refused.
    pub fn refused(&self) -> usize {
        self.refused
    }

    fn error(&mut self, error_type: ErrorType, text: &str) {
        self.refused += 1;
        self.errors.push(VdaError {
            error_type,
            error_references: None,
            error_description: Some(text.into()),
            error_hint: None,
            error_level: ErrorLevel::Warning,
        });
    }

    /// Advances to `now` and returns its state message (none while it is
    /// `silent`).
    pub fn step(&mut self, now: impl Into<Millis>) -> Vec<OrchestratorEvent> {
        let now = now.into();
        let start_floor = self.last_step;
        self.last_step = now;
        // The motion under way at the start of the step, whenever it began.
        let mut at_start: Option<Activity> = None;
        let mut saw = |m: Motion| {
            if m.begin <= start_floor && m.end > start_floor {
                at_start = Some(m.kind);
            }
        };
        loop {
            if let Some((id, until)) = self.running.clone() {
                if until > now {
                    break;
                }
                self.free_at = until;
                self.running = None;
                if let Some(a) = self.actions.iter_mut().find(|a| a.action_id == id) {
                    a.action_status = ActionStatus::Finished;
                    if a.action_type.as_deref() == Some(action_types::START_CHARGING) {
                        self.charging = true;
                    }
                }
                continue;
            }
            if self.fault.is_some() {
                break;
            }
            // Actions of the node it stands on.
            if let Some(step) = self.todo.first().filter(|s| s.seq == self.seq && self.leg.is_none()) {
                let pending = step.actions.iter().find(|a| {
                    self.actions
                        .iter()
                        .any(|s| s.action_id == a.action_id && s.action_status == ActionStatus::Waiting)
                });
                match pending {
                    Some(a) => {
                        let id = a.action_id.clone();
                        let begin = self.free_at.max(start_floor).max(self.held_until);
                        self.running = Some((id.clone(), begin + self.action_ms));
                        if let Some(s) = self.actions.iter_mut().find(|s| s.action_id == id) {
                            s.action_status = ActionStatus::Running;
                        }
                        continue;
                    }
                    None => {
                        self.todo.remove(0);
                        continue;
                    }
                }
            }
            if let Some((turn, sign)) = self.turning {
                saw(turn);
                if turn.end > now {
                    break;
                }
                self.heading = wrap(self.heading + sign * std::f64::consts::FRAC_PI_2);
                self.free_at = turn.end;
                self.turning = None;
                continue;
            }
            if let Some((i, arrive)) = self.leg {
                saw(Motion { begin: self.leg_begin, end: arrive, kind: Activity::Forward });
                if arrive > now {
                    break;
                }
                let step = self.todo[i].clone();
                let from = self.layout.node(self.node).position;
                let to = self.layout.node(step.node).position;
                self.battery = (self.battery - self.drain_per_m * (to - from).norm()).max(0.0);
                self.node = step.node;
                self.seq = step.seq;
                self.free_at = arrive;
                self.leg = None;
                self.todo.remove(i);
                if !step.actions.is_empty() {
                    self.todo.insert(0, Step { edge_id: String::new(), ..step });
                }
                continue;
            }
            match self.todo.first() {
                Some(next) if next.released && next.edge_released && next.seq > self.seq => {
                    let from = self.layout.node(self.node).position;
                    let to = self.layout.node(next.node).position;
                    let begin = self.free_at.max(start_floor).max(self.held_until);
                    if let Some(quarter_ms) = self.quarter_ms {
                        let towards = (to.y - from.y).atan2(to.x - from.x);
                        let off = wrap(towards - self.heading);
                        if off.abs() > std::f64::consts::FRAC_PI_4 {
                            let sign = if off > 0.0 { 1.0 } else { -1.0 };
                            let kind = if sign > 0.0 {
                                Activity::TurnCounterClockwise
                            } else {
                                Activity::TurnClockwise
                            };
                            self.turning = Some((Motion { begin, end: begin + quarter_ms, kind }, sign));
                            continue;
                        }
                    }
                    let ms = ((to - from).norm() / self.speed * 1000.0).round().max(1.0) as u64;
                    self.leg = Some((0, begin + ms));
                    self.leg_begin = begin;
                }
                _ => break,
            }
        }
        self.activity =
            if self.held_until > start_floor { Activity::Held } else { at_start.unwrap_or(Activity::Idle) };
        if self.charging {
            let dt = now.saturating_sub(start_floor) as f64 / 1000.0;
            self.battery = (self.battery + self.charge_per_s * dt).min(100.0);
        }
        vec![OrchestratorEvent::Message {
            vehicle: self.id.clone(),
            message: FromVehicle::State(Box::new(self.state(now))),
        }]
    }

    /// Its state now.
    pub fn state(&mut self, now: Millis) -> State {
        self.header_id += 1;
        let here = self.layout.node(self.node);
        let map_id = self.layout.levels.get(here.level.index()).map_or_else(String::new, |l| l.id.clone());
        let mut errors = self.errors.clone();
        if let Some(fault) = &self.fault {
            errors.push(VdaError {
                error_type: ErrorType::Other("breakdown".into()),
                error_references: None,
                error_description: Some(fault.clone()),
                error_hint: None,
                error_level: ErrorLevel::Fatal,
            });
        }
        let remaining: Vec<&Step> = self.todo.iter().filter(|s| s.seq > self.seq).collect();
        State {
            header: Header {
                header_id: self.header_id,
                timestamp: Timestamp::at(now),
                version: PROTOCOL_VERSION.into(),
                manufacturer: self.id.manufacturer.clone(),
                serial_number: self.id.serial_number.clone(),
            },
            maps: None,
            order_id: self.order_id.clone(),
            order_update_id: self.update_id,
            zone_set_id: None,
            last_node_id: here.id.clone(),
            last_node_sequence_id: self.seq,
            // Held (a delay), it stands still: not driving.
            driving: self.leg.is_some() && self.held_until <= now,
            paused: Some(false),
            new_base_request: None,
            distance_since_last_node: None,
            operating_mode: OperatingMode::Automatic,
            node_states: remaining
                .iter()
                .map(|s| NodeState {
                    node_id: s.node_id.clone(),
                    sequence_id: s.seq,
                    node_description: None,
                    released: s.released,
                    node_position: None,
                })
                .collect(),
            edge_states: remaining
                .iter()
                .map(|s| EdgeState {
                    edge_id: s.edge_id.clone(),
                    sequence_id: s.seq - 1,
                    edge_description: None,
                    released: s.edge_released,
                    trajectory: None,
                })
                .collect(),
            agv_position: Some(AgvPosition::new(here.position.x, here.position.y, self.heading, map_id)),
            velocity: None,
            loads: None,
            action_states: self.actions.clone(),
            battery_state: BatteryState {
                battery_charge: self.battery,
                battery_voltage: None,
                battery_health: None,
                charging: self.charging,
                reach: None,
            },
            errors,
            information: None,
            safety_state: SafetyState { e_stop: EStop::None, field_violation: false },
        }
    }
}

/// An angle in (-π, π].
fn wrap(a: f64) -> f64 {
    let a = a.rem_euclid(std::f64::consts::TAU);
    if a > std::f64::consts::PI { a - std::f64::consts::TAU } else { a }
}

fn state_of(action: &Action, status: ActionStatus) -> ActionState {
    ActionState {
        action_id: action.action_id.clone(),
        action_type: Some(action.action_type.clone()),
        action_description: None,
        action_status: status,
        result_description: None,
    }
}
