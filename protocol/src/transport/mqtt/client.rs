//! One client over both protocol versions: MQTT 3.1.1 (`rumqttc`) and
//! MQTT 5 (`rumqttc::v5`). The links above speak only to [`AnyClient`]
//! and [`Happening`]s; what differs between the versions stays here.

use std::time::Duration;

use rumqttc::v5 as five;
use rumqttc::{Event, Packet, QoS};

use super::{MqttConfig, TransportError};

/// The MQTT protocol version a link speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Version {
    /// MQTT 3.1.1 (the default, what every broker speaks).
    #[default]
    V311,
    /// MQTT 5.
    V5,
}

impl std::str::FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Version, String> {
        match s {
            "3.1.1" | "3" | "4" => Ok(Version::V311),
            "5" | "5.0" => Ok(Version::V5),
            other => Err(format!("MQTT version {other:?}: expected 3.1.1 or 5")),
        }
    }
}

/// A client handle of either version.
#[derive(Clone)]
pub(super) enum AnyClient {
    V311(rumqttc::Client),
    V5(five::Client),
}

/// The event loop of either version.
pub(super) enum AnyConnection {
    V311(Box<rumqttc::Connection>),
    V5(Box<five::Connection>),
}

/// What the event loop saw, whatever the version.
pub(super) enum Happening {
    /// The broker accepted the connection.
    Connected,
    /// A message arrived.
    Message { topic: String, payload: Vec<u8> },
    /// The link said goodbye, or its handles are gone: the loop ends.
    Done,
    /// The connection failed or broke (the loop backs off and goes on).
    Lost(String),
    /// Anything else (acknowledgements, pings).
    Other,
}

/// A full send queue (counted as a drop), or another failure.
pub(super) enum SendFailure {
    Full,
    Other(String),
}

fn five_qos(qos: QoS) -> five::mqttbytes::QoS {
    match qos {
        QoS::AtMostOnce => five::mqttbytes::QoS::AtMostOnce,
        QoS::AtLeastOnce => five::mqttbytes::QoS::AtLeastOnce,
        QoS::ExactlyOnce => five::mqttbytes::QoS::ExactlyOnce,
    }
}

impl AnyClient {
    /// A client and its event loop for `config`, with `will` (topic,
    /// payload: retained, QoS 1) as the last will if given.
    pub(super) fn new(
        config: &MqttConfig,
        will: Option<(String, Vec<u8>)>,
    ) -> Result<(AnyClient, AnyConnection), TransportError> {
        let transport = config.transport()?;
        let keep_alive = Duration::from_secs(config.keep_alive_s.max(1));
        let cap = config.queue.max(1);
        Ok(match config.version {
            Version::V311 => {
                let mut o = rumqttc::MqttOptions::new(&config.client_id, &config.host, config.port);
                o.set_keep_alive(keep_alive).set_clean_session(true).set_max_packet_size(1 << 20, 1 << 20);
                o.set_transport(transport);
                if let Some((name, password)) = &config.credentials {
                    o.set_credentials(name, password);
                }
                if let Some((topic, payload)) = will {
                    o.set_last_will(rumqttc::LastWill::new(topic, payload, QoS::AtLeastOnce, true));
                }
                let (client, connection) = rumqttc::Client::new(o, cap);
                (AnyClient::V311(client), AnyConnection::V311(Box::new(connection)))
            }
            Version::V5 => {
                let mut o = five::MqttOptions::new(&config.client_id, &config.host, config.port);
                // rumqttc's MQTT 5 client refuses (panics on) keep-alives under 5 s.
                o.set_keep_alive(keep_alive.max(Duration::from_secs(5)))
                    .set_clean_start(true)
                    .set_max_packet_size(Some(1 << 20));
                o.set_transport(transport);
                if let Some((name, password)) = &config.credentials {
                    o.set_credentials(name, password);
                }
                if let Some((topic, payload)) = will {
                    let qos = five_qos(QoS::AtLeastOnce);
                    o.set_last_will(five::mqttbytes::v5::LastWill::new(topic, payload, qos, true, None));
                }
                let (client, connection) = five::Client::new(o, cap);
                (AnyClient::V5(client), AnyConnection::V5(Box::new(connection)))
            }
        })
    }

    /// Queues a publish without blocking.
    pub(super) fn try_publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        payload: Vec<u8>,
    ) -> Result<(), SendFailure> {
        match self {
            AnyClient::V311(c) => c.try_publish(topic, qos, retain, payload).map_err(|e| match e {
                rumqttc::ClientError::TryRequest(_) => SendFailure::Full,
                e => SendFailure::Other(e.to_string()),
            }),
            AnyClient::V5(c) => c.try_publish(topic, five_qos(qos), retain, payload).map_err(|e| match e {
                five::ClientError::TryRequest(_) => SendFailure::Full,
                e => SendFailure::Other(e.to_string()),
            }),
        }
    }

    /// Queues a publish, waiting for room.
    pub(super) fn publish(
        &self,
        topic: String,
        qos: QoS,
        retain: bool,
        payload: Vec<u8>,
    ) -> Result<(), String> {
        match self {
            AnyClient::V311(c) => c.publish(topic, qos, retain, payload).map_err(|e| e.to_string()),
            AnyClient::V5(c) => c.publish(topic, five_qos(qos), retain, payload).map_err(|e| e.to_string()),
        }
    }

    /// Subscribes, waiting for room in the queue.
    pub(super) fn subscribe(&self, filter: String, qos: QoS) -> Result<(), String> {
        match self {
            AnyClient::V311(c) => c.subscribe(filter, qos).map_err(|e| e.to_string()),
            AnyClient::V5(c) => c.subscribe(filter, five_qos(qos)).map_err(|e| e.to_string()),
        }
    }

    /// Says goodbye (no last will).
    pub(super) fn disconnect(&self) -> Result<(), String> {
        match self {
            AnyClient::V311(c) => c.disconnect().map_err(|e| e.to_string()),
            AnyClient::V5(c) => c.disconnect().map_err(|e| e.to_string()),
        }
    }
}

impl AnyConnection {
    /// Runs the event loop, handing `f` every happening until it returns
    /// false or the loop is [`Happening::Done`].
    pub(super) fn each(self, mut f: impl FnMut(Happening) -> bool) {
        match self {
            AnyConnection::V311(mut c) => {
                for event in c.iter() {
                    let h = match event {
                        Ok(Event::Incoming(Packet::ConnAck(_))) => Happening::Connected,
                        Ok(Event::Incoming(Packet::Publish(p))) => {
                            Happening::Message { topic: p.topic, payload: p.payload.to_vec() }
                        }
                        Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => Happening::Done,
                        Ok(_) => Happening::Other,
                        Err(rumqttc::ConnectionError::RequestsDone) => Happening::Done,
                        Err(e) => Happening::Lost(e.to_string()),
                    };
                    if matches!(h, Happening::Done) || !f(h) {
                        return;
                    }
                }
            }
            AnyConnection::V5(mut c) => {
                for event in c.iter() {
                    let h = match event {
                        Ok(five::Event::Incoming(five::mqttbytes::v5::Packet::ConnAck(_))) => {
                            Happening::Connected
                        }
                        Ok(five::Event::Incoming(five::mqttbytes::v5::Packet::Publish(p))) => {
                            Happening::Message {
                                topic: String::from_utf8_lossy(&p.topic).into_owned(),
                                payload: p.payload.to_vec(),
                            }
                        }
                        Ok(five::Event::Outgoing(rumqttc::Outgoing::Disconnect)) => Happening::Done,
                        Ok(_) => Happening::Other,
                        Err(five::ConnectionError::RequestsDone) => Happening::Done,
                        Err(e) => Happening::Lost(e.to_string()),
                    };
                    if matches!(h, Happening::Done) || !f(h) {
                        return;
                    }
                }
            }
        }
    }
}
