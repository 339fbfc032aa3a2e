//! The VDA 5050 MQTT transport (MQTT 3.1.1 or 5, `rumqttc`), for both ends:
//! [`MqttOrchestratorLink`] drives vehicles through a broker, and
//! [`MqttAgentLink`] lets an agent work with any VDA 5050 master control.
//!
//! Topics are `interfaceName/majorVersion/manufacturer/serialNumber/topic`
//! as the standard says (`uagv/v2/…` by default). `connection` is
//! published with QoS 1, retained, and is the vehicle's last will
//! (`CONNECTIONBROKEN`), so the broker itself reports a vehicle that
//! vanished; `factsheet` is retained too, so a master control that starts
//! (or restarts) after the vehicles gets every vehicle's last connection
//! and factsheet at once. The other topics use QoS 0, not retained.
//!
//! Each link runs the client's event loop on a thread of its own: it
//! decodes what arrives and queues it for [`OrchestratorLink::poll`] or
//! [`AgentLink::poll`]; when the broker goes away it reconnects with
//! exponential back-off (100 ms doubling to 5 s) and subscribes again.
//! Messages sent while disconnected wait in a bounded queue
//! ([`MqttConfig::queue`]); what does not fit is dropped and counted
//! ([`MqttCounters`]).
//!
//! `mqtts://` connects with TLS ([`MqttTls`]: the broker's CA, and the
//! client's own certificate for brokers that identify clients by it);
//! `mqtt://user:password@host` sends credentials.

mod client;
mod tls;

pub use client::Version;
pub use tls::MqttTls;

use client::{AnyClient, AnyConnection, Happening, SendFailure};

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{QoS, TlsConfiguration, Transport};

use super::{
    AgentEvent, AgentLink, FromVehicle, LinkStats, OrchestratorEvent, OrchestratorLink, ToVehicle,
    TransportError, VehicleId,
};
use crate::codec::DecodeLimits;
use crate::messages::Connection as ConnectionMessage;
use crate::topic::{Topic, TopicKey};

/// The major version segment of VDA 5050 2.x topics.
pub const MAJOR_VERSION: &str = "v2";

/// The default `interfaceName`.
pub const DEFAULT_INTERFACE: &str = "uagv";

/// Where a link connects and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttConfig {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// The topics' `interfaceName`.
    pub interface: String,
    /// The MQTT client id (unique per broker).
    pub client_id: String,
    /// Messages that may wait to be sent (while disconnected, say); more are dropped and counted.
    pub queue: usize,
    /// Keep-alive, s: the broker sends the last will this long (×1.5) after a vehicle went silent
    /// (at least 5 s on MQTT 5).
    pub keep_alive_s: u64,
    /// TLS (`mqtts://`): the broker's CA, and this client's certificate if the broker asks for one.
    pub tls: Option<MqttTls>,
    /// User name and password (`mqtt://user:password@host`).
    pub credentials: Option<(String, String)>,
    /// MQTT 3.1.1 or 5.
    pub version: Version,
}

impl MqttConfig {
    /// A configuration from `mqtt://[user:password@]host[:port]` (port
    /// 1883 if absent) or `mqtts://…` (TLS, port 8883 if absent; give the
    /// broker's CA with [`MqttConfig::with_tls`] before opening).
    pub fn from_url(url: &str, interface: &str, client_id: &str) -> Result<MqttConfig, TransportError> {
        let bad = |why: &str| {
            TransportError::Mqtt(format!(
                "{url:?}: {why}; expected mqtt://[USER:PASSWORD@]HOST[:PORT] or mqtts://…"
            ))
        };
        let (rest, secure) = match (url.strip_prefix("mqtt://"), url.strip_prefix("mqtts://")) {
            (Some(rest), _) => (rest, false),
            (_, Some(rest)) => (rest, true),
            _ => return Err(bad("not an mqtt:// or mqtts:// address")),
        };
        let rest = rest.trim_end_matches('/');
        let (credentials, rest) = match rest.rsplit_once('@') {
            Some((user, rest)) => {
                let (name, password) = user.split_once(':').unwrap_or((user, ""));
                if name.is_empty() {
                    return Err(bad("an empty user name"));
                }
                (Some((name.to_string(), password.to_string())), rest)
            }
            None => (None, rest),
        };
        let default_port = if secure { 8883 } else { 1883 };
        // `[v6::address]:port`, `host:port` or `host`.
        let (host, port) = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
            Some((h, tail)) => (h, (!tail.is_empty()).then(|| tail.strip_prefix(':').unwrap_or(tail))),
            None => match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            },
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad("the port is not a number from 1 to 65535"))?,
            None => default_port,
        };
        if host.is_empty() || host.contains('/') {
            return Err(bad("no host"));
        }
        Ok(MqttConfig {
            host: host.to_string(),
            port,
            interface: interface.to_string(),
            client_id: client_id.to_string(),
            queue: 1024,
            keep_alive_s: 5,
            tls: secure.then(|| MqttTls { ca: PathBuf::new(), identity: None }),
            credentials,
            version: Version::V311,
        })
    }

    /// Connects with TLS using these files (whatever the address's scheme).
    pub fn with_tls(mut self, tls: MqttTls) -> MqttConfig {
        self.tls = Some(tls);
        self
    }

    /// The MQTT topic of one vehicle's VDA topic.
    pub fn topic(&self, vehicle: &VehicleId, topic: Topic) -> String {
        format!(
            "{}/{MAJOR_VERSION}/{}/{}/{topic}",
            self.interface, vehicle.manufacturer, vehicle.serial_number
        )
    }

    /// The filter of one topic of every vehicle.
    fn every(&self, topic: Topic) -> String {
        format!("{}/{MAJOR_VERSION}/+/+/{topic}", self.interface)
    }

    /// The VDA key of an MQTT topic of this interface.
    pub fn parse(&self, topic: &str) -> Option<TopicKey> {
        let rest = topic.strip_prefix(&self.interface)?.strip_prefix('/')?.strip_prefix(MAJOR_VERSION)?;
        let parts: Vec<&str> = rest.strip_prefix('/')?.split('/').collect();
        let [manufacturer, serial, topic] = parts[..] else { return None };
        TopicKey::new(manufacturer, serial, topic.parse().ok()?).ok()
    }

    /// The connection's transport: TCP, or TLS with the configured files.
    fn transport(&self) -> Result<Transport, TransportError> {
        let Some(tls) = &self.tls else { return Ok(Transport::tcp()) };
        if tls.ca.as_os_str().is_empty() {
            return Err(TransportError::Mqtt(format!(
                "{}:{}: TLS needs the broker's CA certificate (--mqtt-ca)",
                self.host, self.port
            )));
        }
        let config = tls.client_config()?;
        Ok(Transport::tls_with_config(TlsConfiguration::Rustls(Arc::new(config))))
    }
}

/// What a link counts besides messages.
#[derive(Debug, Default)]
pub struct MqttCounters {
    /// Connections made (the first and every reconnection).
    pub connects: AtomicU64,
    /// Connection errors (each followed by a back-off).
    pub errors: AtomicU64,
    /// Messages dropped because the send queue was full.
    pub dropped: AtomicU64,
}

/// What the event-loop thread does with a connection and a publish.
trait Handler: Send + 'static {
    fn connected(&mut self, client: &AnyClient);
    fn publish(&mut self, topic: &str, payload: &[u8]);
}

/// The event loop; it ends on a clean disconnect, or when `abort` is set
/// (the link was dropped without saying goodbye: the connection is cut as a
/// crash would cut it, and the broker sends the last will).
fn run(
    connection: AnyConnection,
    client: AnyClient,
    mut handler: impl Handler,
    counters: Arc<MqttCounters>,
    abort: Arc<AtomicBool>,
) {
    let mut backoff = Duration::from_millis(100);
    connection.each(|happening| {
        if abort.load(Ordering::Relaxed) {
            return false;
        }
        match happening {
            Happening::Connected => {
                counters.connects.fetch_add(1, Ordering::Relaxed);
                backoff = Duration::from_millis(100);
                handler.connected(&client);
            }
            Happening::Message { topic, payload } => handler.publish(&topic, &payload),
            Happening::Lost(e) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(error = %e, "mqtt: connection lost; reconnecting in {backoff:?}");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            Happening::Done | Happening::Other => {}
        }
        true
    });
}

fn send_err(e: impl std::fmt::Display) -> TransportError {
    TransportError::Mqtt(e.to_string())
}

/// Publishes, counting a full queue as a drop (not an error: the link goes on).
fn publish(
    client: &AnyClient,
    counters: &MqttCounters,
    topic: String,
    qos: QoS,
    retain: bool,
    payload: Vec<u8>,
) -> Result<(), TransportError> {
    match client.try_publish(topic, qos, retain, payload) {
        Ok(()) => Ok(()),
        Err(SendFailure::Full) => {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        Err(SendFailure::Other(e)) => Err(send_err(e)),
    }
}

struct OrchestratorHandler {
    config: MqttConfig,
    events: Sender<OrchestratorEvent>,
    limits: DecodeLimits,
    received: Arc<AtomicU64>,
}

/// What a (re)connection needs sent first, sent from a helper thread with
/// blocking calls: the event loop's thread must go on draining the queue,
/// which may be full of what waited while disconnected.
enum Request {
    Subscribe(String, QoS),
    Retain(String, Vec<u8>),
}

fn send_on_connect(client: &AnyClient, requests: Vec<Request>) {
    let client = client.clone();
    let spawned = std::thread::Builder::new().name("mqtt-connect".into()).spawn(move || {
        for r in requests {
            let sent = match r {
                Request::Subscribe(topic, qos) => client.subscribe(topic, qos),
                Request::Retain(topic, payload) => client.publish(topic, QoS::AtLeastOnce, true, payload),
            };
            if let Err(e) = sent {
                tracing::warn!(error = %e, "mqtt: a request after connecting failed");
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "mqtt: could not start the connect requests");
    }
}

impl Handler for OrchestratorHandler {
    fn connected(&mut self, client: &AnyClient) {
        let requests = [
            (Topic::State, QoS::AtMostOnce),
            (Topic::Connection, QoS::AtLeastOnce),
            (Topic::Factsheet, QoS::AtLeastOnce),
            (Topic::Visualization, QoS::AtMostOnce),
        ]
        .into_iter()
        .map(|(topic, qos)| Request::Subscribe(self.config.every(topic), qos))
        .collect();
        send_on_connect(client, requests);
    }

    fn publish(&mut self, topic: &str, payload: &[u8]) {
        let Some(key) = self.config.parse(topic) else { return };
        if payload.is_empty() {
            return; // A cleared retained message.
        }
        let vehicle = VehicleId::new(&key.manufacturer, &key.serial_number);
        let event = match FromVehicle::decode(&key, payload, &self.limits) {
            Ok(message) => {
                self.received.fetch_add(1, Ordering::Relaxed);
                OrchestratorEvent::Message { vehicle, message }
            }
            Err(e) => OrchestratorEvent::Rejected(e),
        };
        let _ = self.events.send(event);
    }
}

/// The orchestrator's side over a broker.
pub struct MqttOrchestratorLink {
    config: MqttConfig,
    client: AnyClient,
    events: Receiver<OrchestratorEvent>,
    stats: LinkStats,
    received: Arc<AtomicU64>,
    counters: Arc<MqttCounters>,
    abort: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MqttOrchestratorLink {
    /// Connects (in the background: the link reconnects until the broker answers).
    pub fn open(config: MqttConfig) -> Result<MqttOrchestratorLink, TransportError> {
        let (client, connection) = AnyClient::new(&config, None)?;
        let (tx, events) = channel();
        let received = Arc::new(AtomicU64::new(0));
        let counters = Arc::new(MqttCounters::default());
        let handler = OrchestratorHandler {
            config: config.clone(),
            events: tx,
            limits: DecodeLimits::default(),
            received: received.clone(),
        };
        let abort = Arc::new(AtomicBool::new(false));
        let (c, k, a) = (client.clone(), counters.clone(), abort.clone());
        let thread = std::thread::Builder::new()
            .name("mqtt-orchestrator".into())
            .spawn(move || run(connection, c, handler, k, a))
            .map_err(send_err)?;
        Ok(MqttOrchestratorLink {
            config,
            client,
            events,
            stats: LinkStats::default(),
            received,
            counters,
            abort,
            thread: Some(thread),
        })
    }

    /// Waits up to `timeout` for the first event, then takes every event queued.
    pub fn poll_timeout(&mut self, timeout: Duration) -> Vec<OrchestratorEvent> {
        let out = super::drain(&self.events, Some(timeout));
        self.count(&out);
        out
    }

    fn count(&mut self, events: &[OrchestratorEvent]) {
        self.stats.received = self.received.load(Ordering::Relaxed);
        self.stats.rejected +=
            events.iter().filter(|e| matches!(e, OrchestratorEvent::Rejected(_))).count() as u64;
    }

    /// Connections, errors and drops so far.
    pub fn counters(&self) -> &MqttCounters {
        &self.counters
    }

    /// Disconnects cleanly.
    pub fn close(mut self) {
        let _ = self.client.disconnect();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl OrchestratorLink for MqttOrchestratorLink {
    fn send(&mut self, vehicle: &VehicleId, message: &ToVehicle) -> Result<(), TransportError> {
        vehicle.key(message.topic())?;
        let payload = message.encode()?;
        publish(
            &self.client,
            &self.counters,
            self.config.topic(vehicle, message.topic()),
            QoS::AtMostOnce,
            false,
            payload,
        )?;
        self.stats.sent += 1;
        Ok(())
    }

    fn poll(&mut self) -> Vec<OrchestratorEvent> {
        let out: Vec<_> = self.events.try_iter().collect();
        self.count(&out);
        out
    }

    fn stats(&self) -> LinkStats {
        self.stats
    }
}

/// The retained messages an agent sent last (connection, factsheet), by topic.
type Retained = Arc<Mutex<Vec<(Topic, Vec<u8>)>>>;

struct AgentHandler {
    config: MqttConfig,
    vehicle: VehicleId,
    events: Sender<AgentEvent>,
    limits: DecodeLimits,
    received: Arc<AtomicU64>,
    /// What is published again on every reconnection: the ONLINE connection and the factsheet.
    retained: Retained,
    connected_before: bool,
}

impl Handler for AgentHandler {
    fn connected(&mut self, client: &AnyClient) {
        let mut requests: Vec<Request> = [Topic::Order, Topic::InstantActions]
            .into_iter()
            .map(|topic| Request::Subscribe(self.config.topic(&self.vehicle, topic), QoS::AtLeastOnce))
            .collect();
        // After a reconnection the broker holds the last will (CONNECTIONBROKEN):
        // say ONLINE again, and the factsheet. The first time, what was sent
        // is still queued and goes out by itself.
        if std::mem::replace(&mut self.connected_before, true) {
            let retained = self.retained.lock().map(|r| r.clone()).unwrap_or_default();
            requests.extend(
                retained.into_iter().map(|(t, p)| Request::Retain(self.config.topic(&self.vehicle, t), p)),
            );
        }
        send_on_connect(client, requests);
    }

    fn publish(&mut self, topic: &str, payload: &[u8]) {
        let Some(key) = self.config.parse(topic) else { return };
        let event = match ToVehicle::decode(&key, payload, &self.limits) {
            Ok(message) => {
                self.received.fetch_add(1, Ordering::Relaxed);
                AgentEvent::Message(message)
            }
            Err(e) => AgentEvent::Rejected(e),
        };
        let _ = self.events.send(event);
    }
}

/// One vehicle's side over a broker.
pub struct MqttAgentLink {
    config: MqttConfig,
    vehicle: VehicleId,
    client: AnyClient,
    events: Receiver<AgentEvent>,
    stats: LinkStats,
    received: Arc<AtomicU64>,
    counters: Arc<MqttCounters>,
    retained: Retained,
    abort: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MqttAgentLink {
    /// Connects with `will` (a `CONNECTIONBROKEN` connection message) as
    /// the last will, retained, QoS 1.
    pub fn open(
        config: MqttConfig,
        vehicle: VehicleId,
        will: &ConnectionMessage,
    ) -> Result<MqttAgentLink, TransportError> {
        vehicle.key(Topic::Connection)?;
        let payload = FromVehicle::Connection(will.clone()).encode()?;
        let (client, connection) =
            AnyClient::new(&config, Some((config.topic(&vehicle, Topic::Connection), payload)))?;
        let (tx, events) = channel();
        let received = Arc::new(AtomicU64::new(0));
        let counters = Arc::new(MqttCounters::default());
        let retained = Retained::default();
        let handler = AgentHandler {
            config: config.clone(),
            vehicle: vehicle.clone(),
            events: tx,
            limits: DecodeLimits::default(),
            received: received.clone(),
            retained: retained.clone(),
            connected_before: false,
        };
        let abort = Arc::new(AtomicBool::new(false));
        let (c, k, a) = (client.clone(), counters.clone(), abort.clone());
        let thread = std::thread::Builder::new()
            .name(format!("mqtt-{}", vehicle.serial_number))
            .spawn(move || run(connection, c, handler, k, a))
            .map_err(send_err)?;
        Ok(MqttAgentLink {
            config,
            vehicle,
            client,
            events,
            stats: LinkStats::default(),
            received,
            counters,
            retained,
            abort,
            thread: Some(thread),
        })
    }

    /// Waits up to `timeout` for the first event, then takes every event queued.
    pub fn poll_timeout(&mut self, timeout: Duration) -> Vec<AgentEvent> {
        let out = super::drain(&self.events, Some(timeout));
        self.stats.received = self.received.load(Ordering::Relaxed);
        out
    }

    /// Connections, errors and drops so far.
    pub fn counters(&self) -> &MqttCounters {
        &self.counters
    }

    /// Says goodbye: `offline` (an OFFLINE connection message) retained,
    /// then a clean disconnect (the broker does not send the last will).
    pub fn close(mut self, offline: &ConnectionMessage) -> Result<(), TransportError> {
        self.send(&FromVehicle::Connection(offline.clone()))?;
        self.disconnect()
    }

    /// Disconnects cleanly once what is queued is sent (the goodbye was
    /// sent already: the broker does not send the last will).
    pub fn disconnect(mut self) -> Result<(), TransportError> {
        self.client.disconnect().map_err(send_err)?;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        Ok(())
    }

    /// The last will for `vehicle`: a `CONNECTIONBROKEN` connection message stamped `now_ms`.
    pub fn will(vehicle: &VehicleId, now_ms: u64) -> ConnectionMessage {
        ConnectionMessage {
            header: crate::messages::Header {
                header_id: 0,
                timestamp: crate::messages::Timestamp::from_unix_millis(now_ms),
                version: crate::messages::PROTOCOL_VERSION.into(),
                manufacturer: vehicle.manufacturer.clone(),
                serial_number: vehicle.serial_number.clone(),
            },
            connection_state: crate::messages::ConnectionState::ConnectionBroken,
        }
    }
}

impl AgentLink for MqttAgentLink {
    fn vehicle(&self) -> &VehicleId {
        &self.vehicle
    }

    fn send(&mut self, message: &FromVehicle) -> Result<(), TransportError> {
        let topic = match message {
            FromVehicle::State(_) => Topic::State,
            FromVehicle::Connection(_) => Topic::Connection,
            FromVehicle::Factsheet(_) => Topic::Factsheet,
            FromVehicle::Visualization(_) => Topic::Visualization,
        };
        let payload = message.encode()?;
        let retain = matches!(topic, Topic::Connection | Topic::Factsheet);
        if retain && let Ok(mut r) = self.retained.lock() {
            // Published again on every reconnection (the broker keeps it too).
            r.retain(|(t, _)| *t != topic);
            r.push((topic, payload.clone()));
        }
        let qos = if topic == Topic::Connection { QoS::AtLeastOnce } else { QoS::AtMostOnce };
        publish(&self.client, &self.counters, self.config.topic(&self.vehicle, topic), qos, retain, payload)?;
        self.stats.sent += 1;
        Ok(())
    }

    fn poll(&mut self) -> Vec<AgentEvent> {
        let out: Vec<_> = self.events.try_iter().collect();
        self.stats.received = self.received.load(Ordering::Relaxed);
        out
    }

    fn stats(&self) -> LinkStats {
        self.stats
    }
}

impl Drop for MqttOrchestratorLink {
    fn drop(&mut self) {
        self.abort.store(true, Ordering::Relaxed);
    }
}

/// Dropped without [`MqttAgentLink::close`]: the connection is cut at the
/// next event (a keep-alive at the latest) and the broker sends the last will.
impl Drop for MqttAgentLink {
    fn drop(&mut self) {
        self.abort.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_topics_follow_the_standard_and_bad_ones_say_what_was_expected() {
        let c = MqttConfig::from_url("mqtt://127.0.0.1:1884", "uagv", "ym").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 1884));
        assert_eq!(MqttConfig::from_url("mqtt://broker", "uagv", "ym").unwrap().port, 1883);
        let v = VehicleId::new("acme", "agv-7");
        assert_eq!(c.topic(&v, Topic::Connection), "uagv/v2/acme/agv-7/connection");
        let key = c.parse("uagv/v2/acme/agv-7/state").unwrap();
        assert_eq!((key.serial_number.as_str(), key.topic), ("agv-7", Topic::State));
        for bad in [
            "uagv/v2/acme/state",
            "other/v2/acme/agv-7/state",
            "uagv/v1/acme/agv-7/state",
            "uagv/v2/a/b/nope",
        ] {
            assert!(c.parse(bad).is_none(), "{bad}");
        }
        for (url, expected) in
            [("tcp://h:1", "not an mqtt://"), ("mqtt://h:x", "port"), ("mqtt://:1883", "no host")]
        {
            let err = MqttConfig::from_url(url, "uagv", "ym").unwrap_err().to_string();
            assert!(err.contains(expected) && err.contains("expected mqtt://"), "{url}: {err}");
        }
    }

    #[test]
    fn mqtts_and_credentials_and_v6_addresses() {
        let c = MqttConfig::from_url("mqtts://agv:s3cret@broker.site", "uagv", "ym").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("broker.site", 8883));
        assert_eq!(c.credentials, Some(("agv".into(), "s3cret".into())));
        assert!(c.tls.is_some());
        let e = c.transport().err().expect("TLS without a CA is refused").to_string();
        assert!(e.contains("--mqtt-ca"), "{e}");
        let v6 = MqttConfig::from_url("mqtt://[::1]:1884", "uagv", "ym").unwrap();
        assert_eq!((v6.host.as_str(), v6.port, v6.tls.is_some()), ("::1", 1884, false));
        assert_eq!(MqttConfig::from_url("mqtt://[::1]", "uagv", "ym").unwrap().port, 1883);
        for (url, expected) in
            [("mqtt://@h", "empty user"), ("mqtts://h:0", "port"), ("mqtt://[::1]x", "port")]
        {
            let err = MqttConfig::from_url(url, "uagv", "ym").unwrap_err().to_string();
            assert!(err.contains(expected), "{url}: {err}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_address_and_any_topic_gets_an_answer_not_a_panic(url in ".{0,40}", topic in "[a-z0-9/+#-]{0,40}") {
            let _ = MqttConfig::from_url(&url, "uagv", "ym");
            let c = MqttConfig::from_url("mqtt://h", "uagv", "ym").unwrap();
            if let Some(key) = c.parse(&topic) {
                proptest::prop_assert_eq!(c.topic(&VehicleId::new(&key.manufacturer, &key.serial_number), key.topic), topic);
            }
        }
    }
}
