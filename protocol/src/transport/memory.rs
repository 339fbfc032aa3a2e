//! An in-process bus: deterministic FIFO delivery through the same codec as
//! the network, for tests, examples and single-process runs.
//!
//! ```
//! use protocol::transport::memory::MemoryBus;
//! use protocol::transport::{OrchestratorLink, OrchestratorEvent, VehicleId};
//! let bus = MemoryBus::new();
//! let mut master = bus.orchestrator();
//! let agent = bus.agent(VehicleId::new("acme", "AGV-1"));
//! assert!(matches!(master.poll()[0], OrchestratorEvent::Presence { .. }));
//! drop(agent); // vanishes without OFFLINE
//! assert!(matches!(master.poll()[0], OrchestratorEvent::Presence { .. }));
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::*;
use crate::codec::DecodeLimits;

#[derive(Default)]
struct Inner {
    to_master: VecDeque<Raw>,
    to_vehicle: BTreeMap<VehicleId, VecDeque<Raw>>,
    master_stats: LinkStats,
}

enum Raw {
    Payload(String, Vec<u8>),
    Token(VehicleId, bool),
}

/// The shared bus; cheap to clone.
#[derive(Clone, Default)]
pub struct MemoryBus {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryBus {
    /// An empty bus.
    pub fn new() -> MemoryBus {
        MemoryBus::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means another test thread panicked; the
        // queues are still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The orchestrator's link.
    pub fn orchestrator(&self) -> MemoryOrchestratorLink {
        MemoryOrchestratorLink {
            bus: self.clone(),
            presence: PresenceTracker::default(),
            limits: DecodeLimits::default(),
        }
    }

    /// A vehicle's link; its liveliness token appears at once.
    pub fn agent(&self, vehicle: VehicleId) -> MemoryAgentLink {
        let mut inner = self.lock();
        inner.to_vehicle.entry(vehicle.clone()).or_default();
        inner.to_master.push_back(Raw::Token(vehicle.clone(), true));
        drop(inner);
        MemoryAgentLink {
            bus: self.clone(),
            vehicle,
            stats: LinkStats::default(),
            limits: DecodeLimits::default(),
        }
    }

    /// Publishes raw bytes on any key, as a misbehaving peer could.
    pub fn publish_raw(&self, key: &str, bytes: &[u8]) {
        let mut inner = self.lock();
        match TopicKey::parse(key) {
            Ok(k) if matches!(k.topic, Topic::Order | Topic::InstantActions) => {
                let vehicle = VehicleId::new(k.manufacturer, k.serial_number);
                inner
                    .to_vehicle
                    .entry(vehicle)
                    .or_default()
                    .push_back(Raw::Payload(key.to_string(), bytes.to_vec()));
            }
            _ => inner.to_master.push_back(Raw::Payload(key.to_string(), bytes.to_vec())),
        }
    }
}

/// The orchestrator's end of a [`MemoryBus`].
pub struct MemoryOrchestratorLink {
    bus: MemoryBus,
    presence: PresenceTracker,
    limits: DecodeLimits,
}

impl OrchestratorLink for MemoryOrchestratorLink {
    fn send(&mut self, vehicle: &VehicleId, message: &ToVehicle) -> Result<(), TransportError> {
        let key = vehicle.key(message.topic())?;
        let bytes = message.encode()?;
        let mut inner = self.bus.lock();
        inner.master_stats.sent += 1;
        // A vehicle that never connected simply does not hear it, as on a network.
        if let Some(queue) = inner.to_vehicle.get_mut(vehicle) {
            queue.push_back(Raw::Payload(key.to_string(), bytes));
        }
        Ok(())
    }

    fn poll(&mut self) -> Vec<OrchestratorEvent> {
        let raw: Vec<Raw> = self.bus.lock().to_master.drain(..).collect();
        let mut events = Vec::with_capacity(raw.len());
        let (mut received, mut rejected) = (0, 0);
        for item in raw {
            match item {
                Raw::Token(vehicle, alive) => {
                    let state = self.presence.token(&vehicle, alive);
                    events.push(OrchestratorEvent::Presence { vehicle, state });
                }
                Raw::Payload(key, bytes) => {
                    // Keys outside vda5050/v2/*/*/{topic} are not ours to hear.
                    let Ok(key) = TopicKey::parse(&key) else { continue };
                    match FromVehicle::decode(&key, &bytes, &self.limits) {
                        Ok(message) => {
                            received += 1;
                            let vehicle = VehicleId::new(key.manufacturer, key.serial_number);
                            self.presence.observe(&vehicle, &message);
                            events.push(OrchestratorEvent::Message { vehicle, message });
                        }
                        Err(e) => {
                            rejected += 1;
                            events.push(OrchestratorEvent::Rejected(e));
                        }
                    }
                }
            }
        }
        let mut inner = self.bus.lock();
        inner.master_stats.received += received;
        inner.master_stats.rejected += rejected;
        events
    }

    fn stats(&self) -> LinkStats {
        self.bus.lock().master_stats
    }
}

/// A vehicle's end of a [`MemoryBus`]. Dropping it is a connection loss;
/// [`MemoryAgentLink::close`] is a clean goodbye.
pub struct MemoryAgentLink {
    bus: MemoryBus,
    vehicle: VehicleId,
    stats: LinkStats,
    limits: DecodeLimits,
}

impl MemoryAgentLink {
    /// Sends the OFFLINE connection message, then withdraws the token.
    pub fn close(mut self, offline: &Connection) -> Result<(), TransportError> {
        self.send(&FromVehicle::Connection(offline.clone()))
        // Drop withdraws the token.
    }
}

impl Drop for MemoryAgentLink {
    fn drop(&mut self) {
        let mut inner = self.bus.lock();
        inner.to_vehicle.remove(&self.vehicle);
        inner.to_master.push_back(Raw::Token(self.vehicle.clone(), false));
    }
}

impl AgentLink for MemoryAgentLink {
    fn vehicle(&self) -> &VehicleId {
        &self.vehicle
    }

    fn send(&mut self, message: &FromVehicle) -> Result<(), TransportError> {
        let key = self.vehicle.key(message.topic())?;
        let bytes = message.encode()?;
        self.bus.lock().to_master.push_back(Raw::Payload(key.to_string(), bytes));
        self.stats.sent += 1;
        Ok(())
    }

    fn poll(&mut self) -> Vec<AgentEvent> {
        let raw: Vec<Raw> = match self.bus.lock().to_vehicle.get_mut(&self.vehicle) {
            Some(queue) => queue.drain(..).collect(),
            None => Vec::new(),
        };
        let mut events = Vec::with_capacity(raw.len());
        for item in raw {
            let Raw::Payload(key, bytes) = item else { continue };
            let Ok(key) = TopicKey::parse(&key) else { continue };
            match ToVehicle::decode(&key, &bytes, &self.limits) {
                Ok(message) => {
                    self.stats.received += 1;
                    events.push(AgentEvent::Message(message));
                }
                Err(e) => {
                    self.stats.rejected += 1;
                    events.push(AgentEvent::Rejected(e));
                }
            }
        }
        events
    }

    fn stats(&self) -> LinkStats {
        self.stats
    }
}
