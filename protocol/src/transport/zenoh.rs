//! The Zenoh implementation of both links (zenoh 1.x, TCP transport).
//!
//! Keys follow [`crate::topic`]; payloads are the JSON bytes with encoding
//! `application/json`. Presence: each agent declares a liveliness token
//! `vda5050/v2/{manufacturer}/{serialNumber}/alive`; the orchestrator
//! subscribes to them (with history, so it learns of vehicles that were
//! there before it) and reports token loss as `CONNECTIONBROKEN` — or
//! `OFFLINE` when the vehicle said goodbye first — the Zenoh counterpart of
//! MQTT's last will. The other way round, a running orchestrator declares
//! `yardmaster/{site}/alive` ([`ZenohOrchestratorLink::announce`]); agents
//! watch `yardmaster/*/alive` and get [`AgentEvent::MasterControl`] when a
//! master control comes or goes.
//!
//! Retained, as MQTT's brokers keep them: each agent answers queries on
//! its `connection` and `factsheet` keys with the last one it sent, and an
//! orchestrator that opens asks for every vehicle's, so that one starting
//! after the vehicles (or restarting) gets every vehicle's last connection
//! and factsheet at once instead of waiting for the next state.
//!
//! Subscriber callbacks run on Zenoh's threads: they decode and queue the
//! result; [`OrchestratorLink::poll`] and [`AgentLink::poll`] take the queue.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::zenoh::Wait;
use ::zenoh::bytes::Encoding;
use ::zenoh::key_expr::KeyExpr;
use ::zenoh::liveliness::LivelinessToken;
use ::zenoh::pubsub::{Publisher, Subscriber};
use ::zenoh::qos::{CongestionControl, Priority};
use ::zenoh::query::Queryable;
use ::zenoh::sample::SampleKind;

use super::*;
use crate::codec::DecodeLimits;

/// Whether the session is a peer or a client of a router.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Peer-to-peer (the default; what the tests use on loopback).
    #[default]
    Peer,
    /// Client of a router.
    Client,
    /// A router: forwards between the peers and clients connected to it
    /// (what `yard-sim live` runs, so that any client can observe the run).
    Router,
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "peer" => Ok(Mode::Peer),
            "client" => Ok(Mode::Client),
            "router" => Ok(Mode::Router),
            other => Err(format!("unknown Zenoh mode {other:?}: expected peer, client or router")),
        }
    }
}

/// How to open a Zenoh session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZenohConfig {
    /// A Zenoh JSON5 configuration file to start from.
    pub config_file: Option<PathBuf>,
    /// Peer, client or router. With a configuration file, the file's mode
    /// stands unless this is not the default ([`Mode::Peer`]).
    pub mode: Mode,
    /// Endpoints to listen on, e.g. `tcp/127.0.0.1:7447`.
    pub listen: Vec<String>,
    /// Endpoints to connect to.
    pub connect: Vec<String>,
    /// Multicast scouting (off unless asked for: a session should not join
    /// whatever mesh it finds on the LAN).
    pub multicast_scouting: bool,
}

fn zerr(e: impl std::fmt::Display) -> TransportError {
    TransportError::Zenoh(e.to_string())
}

fn json_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|e| format!("{e:?}")).collect();
    format!("[{}]", quoted.join(","))
}

impl ZenohConfig {
    /// A peer listening on `endpoint`.
    pub fn listening(endpoint: impl Into<String>) -> ZenohConfig {
        ZenohConfig { listen: vec![endpoint.into()], ..ZenohConfig::default() }
    }

    /// A peer connecting to `endpoint` and listening nowhere.
    pub fn connecting(endpoint: impl Into<String>) -> ZenohConfig {
        ZenohConfig { connect: vec![endpoint.into()], ..ZenohConfig::default() }
    }

    /// The Zenoh configuration.
    pub fn build(&self) -> Result<::zenoh::Config, TransportError> {
        let mut config = match &self.config_file {
            Some(path) => ::zenoh::Config::from_file(path)
                .map_err(|e| TransportError::Zenoh(format!("{}: {e}", path.display())))?,
            None => ::zenoh::Config::default(),
        };
        let mode = match self.mode {
            Mode::Peer => "\"peer\"",
            Mode::Client => "\"client\"",
            Mode::Router => "\"router\"",
        };
        if self.config_file.is_none() || self.mode != Mode::Peer {
            config.insert_json5("mode", mode).map_err(zerr)?;
        }
        config
            .insert_json5("scouting/multicast/enabled", &self.multicast_scouting.to_string())
            .map_err(zerr)?;
        if self.config_file.is_none() || !self.listen.is_empty() {
            config.insert_json5("listen/endpoints", &json_list(&self.listen)).map_err(zerr)?;
        }
        if self.config_file.is_none() || !self.connect.is_empty() {
            config.insert_json5("connect/endpoints", &json_list(&self.connect)).map_err(zerr)?;
        }
        Ok(config)
    }

    /// Opens a session (blocking until it is up).
    pub fn open(&self) -> Result<::zenoh::Session, TransportError> {
        ::zenoh::open(self.build()?).wait().map_err(zerr)
    }
}

struct Shared {
    stats: Mutex<LinkStats>,
    presence: Mutex<PresenceTracker>,
    limits: DecodeLimits,
}

impl Shared {
    fn count(&self, f: impl FnOnce(&mut LinkStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Decodes a vehicle's message (published, or a retained one answered to
/// a query) and queues it.
fn deliver(shared: &Shared, tx: &Sender<OrchestratorEvent>, key: &str, bytes: &[u8]) {
    let Ok(key) = TopicKey::parse(key) else { return };
    let event = match FromVehicle::decode(&key, bytes, &shared.limits) {
        Ok(message) => {
            shared.count(|s| s.received += 1);
            let vehicle = VehicleId::new(key.manufacturer, key.serial_number);
            shared.presence.lock().unwrap_or_else(|e| e.into_inner()).observe(&vehicle, &message);
            OrchestratorEvent::Message { vehicle, message }
        }
        Err(e) => {
            shared.count(|s| s.rejected += 1);
            tracing::warn!(error = %e, "rejected a message");
            OrchestratorEvent::Rejected(e)
        }
    };
    let _ = tx.send(event);
}

/// The orchestrator's end over Zenoh.
pub struct ZenohOrchestratorLink {
    session: ::zenoh::Session,
    presence: Option<LivelinessToken>,
    _subscribers: Vec<Subscriber<()>>,
    events: Receiver<OrchestratorEvent>,
    publishers: BTreeMap<String, Publisher<'static>>,
    /// Each known vehicle's inbound keys, declared so that Zenoh caches
    /// their routes (see [`ZenohOrchestratorLink::poll`]).
    declared: BTreeMap<VehicleId, Vec<KeyExpr<'static>>>,
    shared: Arc<Shared>,
}

impl ZenohOrchestratorLink {
    /// Opens a session and subscribes to every vehicle's topics and tokens.
    pub fn open(config: &ZenohConfig) -> Result<ZenohOrchestratorLink, TransportError> {
        ZenohOrchestratorLink::with_session(config.open()?)
    }

    /// Uses an open session.
    pub fn with_session(session: ::zenoh::Session) -> Result<ZenohOrchestratorLink, TransportError> {
        let (tx, events) = channel::<OrchestratorEvent>();
        let shared = Arc::new(Shared {
            stats: Mutex::default(),
            presence: Mutex::default(),
            limits: DecodeLimits::default(),
        });
        let mut subscribers = Vec::new();
        let tx_retained = tx.clone();
        for topic in [Topic::State, Topic::Connection, Topic::Factsheet, Topic::Visualization] {
            let (tx, shared) = (tx.clone(), shared.clone());
            let sub = session
                .declare_subscriber(TopicKey::all_vehicles(topic))
                .callback(move |sample| {
                    deliver(&shared, &tx, sample.key_expr().as_str(), &sample.payload().to_bytes());
                })
                .wait()
                .map_err(zerr)?;
            subscribers.push(sub);
        }
        let presence_shared = shared.clone();
        let liveliness = session
            .liveliness()
            .declare_subscriber(crate::topic::any_vehicle_presence())
            .history(true)
            .callback(move |sample| {
                let Some(vehicle) = VehicleId::from_liveliness_key(sample.key_expr().as_str()) else {
                    return;
                };
                let alive = sample.kind() == SampleKind::Put;
                let state =
                    presence_shared.presence.lock().unwrap_or_else(|e| e.into_inner()).token(&vehicle, alive);
                let _ = tx.send(OrchestratorEvent::Presence { vehicle, state });
            })
            .wait()
            .map_err(zerr)?;
        subscribers.push(liveliness);
        // What the vehicles retain: their last connection and factsheet.
        for topic in [Topic::Connection, Topic::Factsheet] {
            let (tx, shared) = (tx_retained.clone(), shared.clone());
            session
                .get(TopicKey::all_vehicles(topic))
                .callback(move |reply| {
                    if let Ok(sample) = reply.result() {
                        deliver(&shared, &tx, sample.key_expr().as_str(), &sample.payload().to_bytes());
                    }
                })
                .wait()
                .map_err(zerr)?;
        }
        Ok(ZenohOrchestratorLink {
            session,
            presence: None,
            _subscribers: subscribers,
            events,
            publishers: BTreeMap::new(),
            declared: BTreeMap::new(),
            shared,
        })
    }

    /// Like [`OrchestratorLink::poll`], but waits up to `timeout` for the first event.
    pub fn poll_timeout(&mut self, timeout: Duration) -> Vec<OrchestratorEvent> {
        let events = drain(&self.events, Some(timeout));
        self.track_vehicles(&events);
        events
    }

    /// Declares the inbound keys of vehicles that appear and forgets those
    /// that leave. Without a declared resource Zenoh matches every incoming
    /// sample's key against the whole resource tree — linear in the number
    /// of vehicles — instead of using a cached route (measured: 1,000
    /// vehicles capped the link at ~7,000 states/s).
    fn track_vehicles(&mut self, events: &[OrchestratorEvent]) {
        for event in events {
            let (vehicle, alive) = match event {
                OrchestratorEvent::Presence { vehicle, state } => {
                    (vehicle, *state == ConnectionState::Online)
                }
                OrchestratorEvent::Message { vehicle, .. } => (vehicle, true),
                OrchestratorEvent::Rejected(_) => continue,
            };
            if !alive {
                self.declared.remove(vehicle);
            } else if !self.declared.contains_key(vehicle) {
                let keys = [Topic::State, Topic::Connection, Topic::Factsheet, Topic::Visualization]
                    .into_iter()
                    .filter_map(|t| vehicle.key(t).ok())
                    .filter_map(|k| self.session.declare_keyexpr(k.to_string()).wait().ok())
                    .collect();
                self.declared.insert(vehicle.clone(), keys);
            }
        }
    }

    /// Tells the vehicles that the master control of `site` is up: a
    /// liveliness token on [`crate::topic::master_presence_key`]. Agents see it go when
    /// [`ZenohOrchestratorLink::retire`] withdraws it, or when the process
    /// dies (Zenoh's liveliness).
    pub fn announce(&mut self, site: &str) -> Result<(), TransportError> {
        let token = self
            .session
            .liveliness()
            .declare_token(crate::topic::master_presence_key(site))
            .wait()
            .map_err(zerr)?;
        self.presence = Some(token);
        Ok(())
    }

    /// Tells the vehicles that the master control is going (a clean
    /// shutdown): withdraws the token of [`ZenohOrchestratorLink::announce`].
    pub fn retire(&mut self) -> Result<(), TransportError> {
        if let Some(token) = self.presence.take() {
            token.undeclare().wait().map_err(zerr)?;
        }
        Ok(())
    }

    /// The underlying session (for extra declarations by the live binary).
    pub fn session(&self) -> &::zenoh::Session {
        &self.session
    }
}

impl OrchestratorLink for ZenohOrchestratorLink {
    fn send(&mut self, vehicle: &VehicleId, message: &ToVehicle) -> Result<(), TransportError> {
        let key = vehicle.key(message.topic())?.to_string();
        let bytes = message.encode()?;
        if !self.publishers.contains_key(&key) {
            // A declared key expression gets a numeric id on the wire and a
            // cached route on both ends; an undeclared one is matched
            // against every subscription for every message.
            let declared = self.session.declare_keyexpr(key.clone()).wait().map_err(zerr)?;
            let publisher = self
                .session
                .declare_publisher(declared)
                .encoding(Encoding::APPLICATION_JSON)
                .wait()
                .map_err(zerr)?;
            self.publishers.insert(key.clone(), publisher);
        }
        if let Some(publisher) = self.publishers.get(&key) {
            publisher.put(bytes).wait().map_err(zerr)?;
        }
        self.shared.count(|s| s.sent += 1);
        Ok(())
    }

    fn poll(&mut self) -> Vec<OrchestratorEvent> {
        let events = drain(&self.events, None);
        self.track_vehicles(&events);
        events
    }

    fn stats(&self) -> LinkStats {
        *self.shared.stats.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How long a clean shutdown waits between the OFFLINE message and the
/// withdrawal of the liveliness token.
pub const GOODBYE_GRACE: Duration = Duration::from_millis(250);

/// One vehicle's end over Zenoh. Dropping it closes the session (the
/// orchestrator sees `CONNECTIONBROKEN`); [`ZenohAgentLink::close`] says
/// OFFLINE first.
pub struct ZenohAgentLink {
    vehicle: VehicleId,
    /// Held so that the session lives as long as the link.
    _session: ::zenoh::Session,
    _subscribers: Vec<Subscriber<()>>,
    token: Option<LivelinessToken>,
    events: Receiver<AgentEvent>,
    publishers: BTreeMap<Topic, Publisher<'static>>,
    shared: Arc<Shared>,
    /// The last connection and factsheet sent, answered to queries.
    retained: Arc<Mutex<BTreeMap<Topic, Vec<u8>>>>,
    _queryables: Vec<Queryable<()>>,
}

impl ZenohAgentLink {
    /// Opens a session for `vehicle`, subscribes to its orders and instant
    /// actions, and declares its liveliness token.
    pub fn open(config: &ZenohConfig, vehicle: VehicleId) -> Result<ZenohAgentLink, TransportError> {
        ZenohAgentLink::with_session(config.open()?, vehicle)
    }

    /// Uses an open session (several vehicles may share one).
    pub fn with_session(
        session: ::zenoh::Session,
        vehicle: VehicleId,
    ) -> Result<ZenohAgentLink, TransportError> {
        let (tx, events): (Sender<AgentEvent>, _) = channel();
        let shared = Arc::new(Shared {
            stats: Mutex::default(),
            presence: Mutex::default(),
            limits: DecodeLimits::default(),
        });
        let mut subscribers = Vec::new();
        for topic in [Topic::Order, Topic::InstantActions] {
            let (tx, shared) = (tx.clone(), shared.clone());
            let sub = session
                .declare_subscriber(vehicle.key(topic)?.to_string())
                .callback(move |sample| {
                    let Ok(key) = TopicKey::parse(sample.key_expr().as_str()) else { return };
                    let bytes = sample.payload().to_bytes();
                    let event = match ToVehicle::decode(&key, &bytes, &shared.limits) {
                        Ok(message) => {
                            shared.count(|s| s.received += 1);
                            AgentEvent::Message(message)
                        }
                        Err(e) => {
                            shared.count(|s| s.rejected += 1);
                            AgentEvent::Rejected(e)
                        }
                    };
                    let _ = tx.send(event);
                })
                .wait()
                .map_err(zerr)?;
            subscribers.push(sub);
        }
        let mut publishers = BTreeMap::new();
        for topic in [Topic::State, Topic::Connection, Topic::Factsheet, Topic::Visualization] {
            let declared = session.declare_keyexpr(vehicle.key(topic)?.to_string()).wait().map_err(zerr)?;
            let mut builder = session.declare_publisher(declared).encoding(Encoding::APPLICATION_JSON);
            if topic == Topic::Connection {
                // Rare and decisive: never batched, never dropped, ahead of bulk data.
                builder = builder
                    .express(true)
                    .priority(Priority::RealTime)
                    .congestion_control(CongestionControl::Block);
            }
            let publisher = builder.wait().map_err(zerr)?;
            publishers.insert(topic, publisher);
        }
        let master_tx = tx;
        let masters = session
            .liveliness()
            .declare_subscriber(crate::topic::ANY_MASTER_PRESENCE)
            .history(true)
            .callback(move |sample| {
                let online = sample.kind() == SampleKind::Put;
                let _ = master_tx.send(AgentEvent::MasterControl { online });
            })
            .wait()
            .map_err(zerr)?;
        subscribers.push(masters);
        let retained: Arc<Mutex<BTreeMap<Topic, Vec<u8>>>> = Arc::default();
        let mut queryables = Vec::new();
        for topic in [Topic::Connection, Topic::Factsheet] {
            let (retained, key) = (retained.clone(), vehicle.key(topic)?.to_string());
            let queryable = session
                .declare_queryable(key.clone())
                .callback(move |query| {
                    let last = retained.lock().unwrap_or_else(|e| e.into_inner()).get(&topic).cloned();
                    if let Some(bytes) = last
                        && let Err(e) =
                            query.reply(key.clone(), bytes).encoding(Encoding::APPLICATION_JSON).wait()
                    {
                        tracing::warn!(error = %e, "could not answer for the retained {topic}");
                    }
                })
                .wait()
                .map_err(zerr)?;
            queryables.push(queryable);
        }
        let token = session.liveliness().declare_token(vehicle.liveliness_key()).wait().map_err(zerr)?;
        Ok(ZenohAgentLink {
            vehicle,
            _session: session,
            _subscribers: subscribers,
            token: Some(token),
            events,
            publishers,
            shared,
            retained,
            _queryables: queryables,
        })
    }

    /// Like [`AgentLink::poll`], but waits up to `timeout` for the first event.
    pub fn poll_timeout(&mut self, timeout: Duration) -> Vec<AgentEvent> {
        drain(&self.events, Some(timeout))
    }

    /// Clean shutdown: publishes the OFFLINE `connection` message, waits
    /// [`GOODBYE_GRACE`] for it to reach the orchestrator, then withdraws
    /// the liveliness token. (Zenoh sends the token's withdrawal at
    /// declaration priority, which could overtake the message and make a
    /// clean goodbye look like a lost connection.) The session itself closes
    /// when its last user drops it: other vehicles sharing it go on.
    pub fn close(mut self, offline: &Connection) -> Result<(), TransportError> {
        self.send(&FromVehicle::Connection(offline.clone()))?;
        std::thread::sleep(GOODBYE_GRACE);
        self.withdraw()
    }

    /// Withdraws the liveliness token and drops the link, without a
    /// message or a wait: for fleets that sent every OFFLINE first and
    /// waited [`GOODBYE_GRACE`] once.
    pub fn withdraw(mut self) -> Result<(), TransportError> {
        if let Some(token) = self.token.take() {
            token.undeclare().wait().map_err(zerr)?;
        }
        Ok(())
    }
}

impl AgentLink for ZenohAgentLink {
    fn vehicle(&self) -> &VehicleId {
        &self.vehicle
    }

    fn send(&mut self, message: &FromVehicle) -> Result<(), TransportError> {
        let bytes = message.encode()?;
        if matches!(message.topic(), Topic::Connection | Topic::Factsheet) {
            self.retained.lock().unwrap_or_else(|e| e.into_inner()).insert(message.topic(), bytes.clone());
        }
        let publisher = self.publishers.get(&message.topic()).ok_or(TransportError::Closed)?;
        publisher.put(bytes).wait().map_err(zerr)?;
        self.shared.count(|s| s.sent += 1);
        Ok(())
    }

    fn poll(&mut self) -> Vec<AgentEvent> {
        drain(&self.events, None)
    }

    fn stats(&self) -> LinkStats {
        *self.shared.stats.lock().unwrap_or_else(|e| e.into_inner())
    }
}
