//! The two sides' links, so that the cores never see Zenoh.
//!
//! - [`OrchestratorLink`]: receive every vehicle's states, connections,
//!   factsheets and visualizations (and their presence); send orders and
//!   instant actions to one vehicle.
//! - [`AgentLink`]: the mirror, for one vehicle.
//!
//! Both are non-blocking: `send` hands a message over, `poll` drains what
//! has arrived. Payloads that fail to decode arrive as
//! [`OrchestratorEvent::Rejected`] / [`AgentEvent::Rejected`] and are
//! counted in [`LinkStats`]; they never reach the cores as messages.
//!
//! Implementations: [`memory`] (in-process, deterministic, for tests and
//! examples), `zenoh` (the real network, behind the `zenoh` feature) and
//! `mqtt` (VDA 5050 over any MQTT broker, behind the `mqtt` feature).

pub mod memory;
#[cfg(feature = "mqtt")]
pub mod mqtt;
#[cfg(feature = "zenoh")]
pub mod zenoh;

use crate::codec::{DecodeError, DecodeLimits, EncodeError, VdaMessage, decode, encode};
use crate::messages::{Connection, ConnectionState, Factsheet, InstantActions, Order, State, Visualization};
use crate::topic::{Topic, TopicKey};

/// Who a vehicle is: the manufacturer and serial number of its keys.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VehicleId {
    /// Manufacturer.
    pub manufacturer: String,
    /// Serial number.
    pub serial_number: String,
}

impl VehicleId {
    /// A vehicle id.
    pub fn new(manufacturer: impl Into<String>, serial_number: impl Into<String>) -> VehicleId {
        VehicleId { manufacturer: manufacturer.into(), serial_number: serial_number.into() }
    }

    /// The key of one of this vehicle's topics.
    pub fn key(&self, topic: Topic) -> Result<TopicKey, crate::topic::KeyError> {
        TopicKey::new(&self.manufacturer, &self.serial_number, topic)
    }

    /// The key of this vehicle's liveliness token.
    pub fn liveliness_key(&self) -> String {
        crate::topic::vehicle_presence_key(&self.manufacturer, &self.serial_number)
    }

    /// Parses a liveliness token key.
    pub fn from_liveliness_key(key: &str) -> Option<VehicleId> {
        crate::topic::parse_vehicle_presence(key).map(|(m, s)| VehicleId::new(m, s))
    }
}

impl std::fmt::Display for VehicleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.manufacturer, self.serial_number)
    }
}

/// A message from a vehicle to master control.
#[derive(Clone, Debug, PartialEq)]
pub enum FromVehicle {
    /// `state`.
    State(Box<State>),
    /// `connection`.
    Connection(Connection),
    /// `factsheet`.
    Factsheet(Box<Factsheet>),
    /// `visualization`.
    Visualization(Visualization),
}

/// A message from master control to a vehicle.
#[derive(Clone, Debug, PartialEq)]
pub enum ToVehicle {
    /// `order`.
    Order(Box<Order>),
    /// `instantActions`.
    InstantActions(InstantActions),
}

impl FromVehicle {
    /// Its topic.
    pub fn topic(&self) -> Topic {
        match self {
            FromVehicle::State(_) => Topic::State,
            FromVehicle::Connection(_) => Topic::Connection,
            FromVehicle::Factsheet(_) => Topic::Factsheet,
            FromVehicle::Visualization(_) => Topic::Visualization,
        }
    }

    /// Encodes it.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        match self {
            FromVehicle::State(m) => encode(m.as_ref()),
            FromVehicle::Connection(m) => encode(m),
            FromVehicle::Factsheet(m) => encode(m.as_ref()),
            FromVehicle::Visualization(m) => encode(m),
        }
    }

    /// Decodes a payload that arrived on a vehicle-side key.
    pub fn decode(key: &TopicKey, bytes: &[u8], limits: &DecodeLimits) -> Result<FromVehicle, DecodeError> {
        Ok(match key.topic {
            Topic::State => FromVehicle::State(Box::new(decode(key, bytes, limits)?)),
            Topic::Connection => FromVehicle::Connection(decode(key, bytes, limits)?),
            Topic::Factsheet => FromVehicle::Factsheet(Box::new(decode(key, bytes, limits)?)),
            Topic::Visualization => FromVehicle::Visualization(decode(key, bytes, limits)?),
            Topic::Order => return Err(wrong_direction::<State>(key)),
            Topic::InstantActions => return Err(wrong_direction::<State>(key)),
        })
    }
}

impl ToVehicle {
    /// Its topic.
    pub fn topic(&self) -> Topic {
        match self {
            ToVehicle::Order(_) => Topic::Order,
            ToVehicle::InstantActions(_) => Topic::InstantActions,
        }
    }

    /// Encodes it.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        match self {
            ToVehicle::Order(m) => encode(m.as_ref()),
            ToVehicle::InstantActions(m) => encode(m),
        }
    }

    /// Decodes a payload that arrived on a master-control-side key.
    pub fn decode(key: &TopicKey, bytes: &[u8], limits: &DecodeLimits) -> Result<ToVehicle, DecodeError> {
        Ok(match key.topic {
            Topic::Order => ToVehicle::Order(Box::new(decode(key, bytes, limits)?)),
            Topic::InstantActions => ToVehicle::InstantActions(decode(key, bytes, limits)?),
            _ => return Err(wrong_direction::<Order>(key)),
        })
    }
}

fn wrong_direction<M: VdaMessage>(key: &TopicKey) -> DecodeError {
    DecodeError {
        key: key.clone(),
        kind: crate::codec::DecodeErrorKind::WrongTopic { found: key.topic, expected: M::TOPIC },
    }
}

/// What the orchestrator side receives.
#[derive(Clone, Debug, PartialEq)]
pub enum OrchestratorEvent {
    /// A decoded message.
    Message {
        /// From whom (checked against the header).
        vehicle: VehicleId,
        /// The message.
        message: FromVehicle,
    },
    /// A vehicle's presence changed (Zenoh liveliness): `Online` when its
    /// token appears, `ConnectionBroken` when it vanishes without a
    /// goodbye, `Offline` when it vanishes after sending OFFLINE.
    Presence {
        /// Whose.
        vehicle: VehicleId,
        /// New state.
        state: ConnectionState,
    },
    /// A payload that did not decode; the sender is unaffected otherwise.
    Rejected(DecodeError),
}

/// What the agent side receives.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentEvent {
    /// A decoded message.
    Message(ToVehicle),
    /// A payload that did not decode.
    Rejected(DecodeError),
    /// The master control came or went (links that can tell: Zenoh's
    /// liveliness of `yardmaster/*/alive`).
    MasterControl {
        /// Whether a master control is present now.
        online: bool,
    },
}

/// Counters of a link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Messages sent.
    pub sent: u64,
    /// Messages received and decoded.
    pub received: u64,
    /// Payloads rejected.
    pub rejected: u64,
}

/// A link could not send.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The message could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The vehicle id cannot form a key.
    #[error(transparent)]
    Key(#[from] crate::topic::KeyError),
    /// The network layer failed.
    #[error("zenoh: {0}")]
    Zenoh(String),
    /// The MQTT client failed, or its address is wrong.
    #[error("mqtt: {0}")]
    Mqtt(String),
    /// The link is closed.
    #[error("the link is closed")]
    Closed,
}

/// The orchestrator's side of the vehicle network.
pub trait OrchestratorLink {
    /// Sends an order or instant actions to one vehicle.
    fn send(&mut self, vehicle: &VehicleId, message: &ToVehicle) -> Result<(), TransportError>;
    /// Takes everything that has arrived, in arrival order.
    fn poll(&mut self) -> Vec<OrchestratorEvent>;
    /// Counters.
    fn stats(&self) -> LinkStats;
}

/// One vehicle's side.
pub trait AgentLink {
    /// The vehicle this link speaks for.
    fn vehicle(&self) -> &VehicleId;
    /// Sends a state, connection, factsheet or visualization.
    fn send(&mut self, message: &FromVehicle) -> Result<(), TransportError>;
    /// Takes everything that has arrived, in arrival order.
    fn poll(&mut self) -> Vec<AgentEvent>;
    /// Counters.
    fn stats(&self) -> LinkStats;
}

/// Tracks which vehicles said OFFLINE, so that their token loss afterwards
/// is reported as `Offline`, not `ConnectionBroken`.
#[derive(Debug, Default)]
pub(crate) struct PresenceTracker {
    said_offline: std::collections::BTreeSet<VehicleId>,
}

impl PresenceTracker {
    pub(crate) fn observe(&mut self, vehicle: &VehicleId, message: &FromVehicle) {
        if let FromVehicle::Connection(c) = message {
            if c.connection_state == ConnectionState::Offline {
                self.said_offline.insert(vehicle.clone());
            } else {
                self.said_offline.remove(vehicle);
            }
        }
    }

    pub(crate) fn token(&mut self, vehicle: &VehicleId, alive: bool) -> ConnectionState {
        if alive {
            self.said_offline.remove(vehicle);
            ConnectionState::Online
        } else if self.said_offline.remove(vehicle) {
            ConnectionState::Offline
        } else {
            ConnectionState::ConnectionBroken
        }
    }
}

/// What a link's event queue holds: waits up to `first_within` for the
/// first event (not at all if `None`), then takes every event queued.
#[cfg(any(feature = "zenoh", feature = "mqtt"))]
fn drain<T>(events: &std::sync::mpsc::Receiver<T>, first_within: Option<std::time::Duration>) -> Vec<T> {
    let mut out = Vec::new();
    if let Some(timeout) = first_within {
        match events.recv_timeout(timeout) {
            Ok(e) => out.push(e),
            Err(_) => return out,
        }
    }
    out.extend(events.try_iter());
    out
}
