//! The MQTT transport against a real broker (Mosquitto, started here on a
//! free loopback port and stopped at the end): orders and states on the
//! standard's topics, every message valid against the official schemas,
//! the broker's last will reporting a vehicle that vanished, and retained
//! connection and factsheet for a master control that starts late — over
//! MQTT 3.1.1 and MQTT 5 alike (the observer speaks 3.1.1: the broker
//! carries messages between the versions).

mod common;

use std::time::{Duration, Instant};

use common::*;
use protocol::messages::*;
use protocol::transport::mqtt::{MqttAgentLink, MqttConfig, MqttOrchestratorLink, Version};
use protocol::transport::*;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use tests::Broker;

#[expect(clippy::disallowed_methods, reason = "a network test bounds its own waiting with the wall clock")]
fn now() -> Instant {
    Instant::now()
}

fn broker(what: &str) -> Option<Broker> {
    Broker::start(what)
}

fn broker_on(what: &str, port: u16) -> Option<Broker> {
    Broker::start_on(what, port)
}

fn config(broker: &Broker, client: &str) -> MqttConfig {
    config_v(broker, client, Version::V311)
}

fn config_v(broker: &Broker, client: &str, version: Version) -> MqttConfig {
    let mut c = MqttConfig::from_url(&format!("mqtt://127.0.0.1:{}", broker.port), "uagv", client).unwrap();
    c.keep_alive_s = 1;
    c.version = version;
    c
}

fn connection(state: ConnectionState, id: u32) -> Connection {
    Connection { header: header(id), connection_state: state }
}

fn vehicle() -> VehicleId {
    VehicleId::new("acme", "AGV-0042")
}

/// Every message on the broker under `uagv/#`: (topic, retained, payload).
fn observe(broker: &Broker) -> std::sync::mpsc::Receiver<(String, bool, Vec<u8>)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut o = MqttOptions::new("observer", "127.0.0.1", broker.port);
    o.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = Client::new(o, 64);
    std::thread::spawn(move || {
        let _keep = &client;
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.subscribe("uagv/#", QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if tx.send((p.topic.clone(), p.retain, p.payload.to_vec())).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    rx
}

fn orchestrator_until(
    link: &mut MqttOrchestratorLink,
    within: Duration,
    mut done: impl FnMut(&[OrchestratorEvent]) -> bool,
) -> Vec<OrchestratorEvent> {
    let deadline = now() + within;
    let mut seen = Vec::new();
    while now() < deadline && !done(&seen) {
        seen.extend(link.poll_timeout(Duration::from_millis(50)));
    }
    seen
}

fn connections(events: &[OrchestratorEvent]) -> Vec<ConnectionState> {
    events
        .iter()
        .filter_map(|e| match e {
            OrchestratorEvent::Message { message: FromVehicle::Connection(c), .. } => {
                Some(c.connection_state)
            }
            _ => None,
        })
        .collect()
}

fn orders_and_states_cross_a_real_broker_on_the_standards_topics_and_validate(version: Version) {
    let Some(broker) = broker(&format!("protocol ({version:?}): the MQTT transport through a real broker"))
    else {
        return;
    };
    let seen = observe(&broker);
    std::thread::sleep(Duration::from_millis(300));
    let mut master = MqttOrchestratorLink::open(config_v(&broker, "master", version)).unwrap();
    let mut agent = MqttAgentLink::open(
        config_v(&broker, "agent", version),
        vehicle(),
        &connection(ConnectionState::ConnectionBroken, 0),
    )
    .unwrap();
    agent.send(&FromVehicle::Connection(connection(ConnectionState::Online, 1))).unwrap();
    agent.send(&FromVehicle::Factsheet(Box::new(rich_factsheets().remove(0)))).unwrap();
    // The master control subscribes once connected: send states until one arrives.
    let mut state = rich_states().remove(0);
    let got = {
        let deadline = now() + Duration::from_secs(10);
        let mut got = Vec::new();
        while now() < deadline
            && !got
                .iter()
                .any(|e| matches!(e, OrchestratorEvent::Message { message: FromVehicle::State(_), .. }))
        {
            state.header.header_id += 1;
            agent.send(&FromVehicle::State(Box::new(state.clone()))).unwrap();
            got.extend(master.poll_timeout(Duration::from_millis(200)));
        }
        got
    };
    assert!(
        got.iter().any(|e| matches!(e, OrchestratorEvent::Message { vehicle: v, message: FromVehicle::State(_) } if *v == vehicle())),
        "no state arrived: {got:?}"
    );
    let order = rich_order();
    let deadline = now() + Duration::from_secs(10);
    let mut received = Vec::new();
    while now() < deadline && received.is_empty() {
        master.send(&vehicle(), &ToVehicle::Order(Box::new(order.clone()))).unwrap();
        received.extend(agent.poll_timeout(Duration::from_millis(200)));
    }
    assert!(
        matches!(received.first(), Some(AgentEvent::Message(ToVehicle::Order(o))) if **o == order),
        "{received:?}"
    );
    agent.close(&connection(ConnectionState::Offline, 2)).unwrap();
    std::thread::sleep(Duration::from_millis(300));

    // What the broker carried: the standard's topics, retained where it says, valid messages.
    let carried: Vec<_> = seen.try_iter().collect();
    let topics: std::collections::BTreeSet<&str> = carried.iter().map(|(t, _, _)| t.as_str()).collect();
    for t in ["state", "order", "connection", "factsheet"] {
        assert!(
            topics.contains(format!("uagv/v2/acme/AGV-0042/{t}").as_str()),
            "{t} missing from {topics:?}"
        );
    }
    let schemas = !without_shared("protocol: the schema check of what the broker carried");
    for (topic, retained, payload) in &carried {
        let name = topic.rsplit('/').next().unwrap();
        let expect_retained = matches!(name, "connection" | "factsheet");
        // A subscriber sees the retain flag only on messages that were retained when it subscribed.
        assert!(!*retained || expect_retained, "{topic} must not be retained");
        if schemas {
            assert_valid(name, &serde_json::from_slice(payload).unwrap());
        }
    }
    let last_connection = carried.iter().rev().find(|(t, _, _)| t.ends_with("/connection")).unwrap();
    assert!(
        String::from_utf8_lossy(&last_connection.2).contains("OFFLINE"),
        "a goodbye is no broken connection"
    );
    master.close();
}

fn a_vehicle_that_vanishes_is_reported_connectionbroken_by_the_broker(version: Version) {
    let Some(broker) =
        broker(&format!("protocol ({version:?}): the broker's last will for a vanished vehicle"))
    else {
        return;
    };
    let mut master = MqttOrchestratorLink::open(config_v(&broker, "master", version)).unwrap();
    let mut agent = MqttAgentLink::open(
        config_v(&broker, "agent", version),
        vehicle(),
        &connection(ConnectionState::ConnectionBroken, 0),
    )
    .unwrap();
    agent.send(&FromVehicle::Connection(connection(ConnectionState::Online, 1))).unwrap();
    let seen = orchestrator_until(&mut master, Duration::from_secs(10), |e| {
        connections(e).contains(&ConnectionState::Online)
    });
    assert!(connections(&seen).contains(&ConnectionState::Online), "{seen:?}");
    // Dropped without a goodbye: the connection is cut as a crash would cut it.
    drop(agent);
    let seen = orchestrator_until(&mut master, Duration::from_secs(10), |e| {
        connections(e).contains(&ConnectionState::ConnectionBroken)
    });
    assert_eq!(
        connections(&seen),
        vec![ConnectionState::ConnectionBroken],
        "the broker sent the last will: {seen:?}"
    );
    master.close();
}

fn a_master_control_that_starts_late_gets_every_retained_connection_and_factsheet_at_once(version: Version) {
    let Some(broker) =
        broker(&format!("protocol ({version:?}): retained connection and factsheet over MQTT"))
    else {
        return;
    };
    let mut agents = Vec::new();
    for i in 0..3 {
        let v = VehicleId::new("acme", format!("AGV-{i}"));
        let mut c = connection(ConnectionState::Online, 1);
        c.header.serial_number = v.serial_number.clone();
        let mut will = connection(ConnectionState::ConnectionBroken, 0);
        will.header.serial_number = v.serial_number.clone();
        let mut agent =
            MqttAgentLink::open(config_v(&broker, &format!("agent-{i}"), version), v.clone(), &will).unwrap();
        agent.send(&FromVehicle::Connection(c)).unwrap();
        let mut f = rich_factsheets().remove(0);
        f.serial_number = v.serial_number.clone();
        agent.send(&FromVehicle::Factsheet(Box::new(f))).unwrap();
        agents.push(agent);
    }
    std::thread::sleep(Duration::from_millis(800));
    let started = now();
    let mut master = MqttOrchestratorLink::open(config_v(&broker, "late-master", version)).unwrap();
    let count = |e: &[OrchestratorEvent], factsheets: bool| {
        e.iter()
            .filter(|e| match e {
                OrchestratorEvent::Message { message: FromVehicle::Factsheet(_), .. } => factsheets,
                OrchestratorEvent::Message { message: FromVehicle::Connection(_), .. } => !factsheets,
                _ => false,
            })
            .count()
    };
    let seen = orchestrator_until(&mut master, Duration::from_secs(10), |e| {
        count(e, true) == 3 && count(e, false) == 3
    });
    assert_eq!((count(&seen, false), count(&seen, true)), (3, 3), "{seen:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "at once, not at the next state: {:?}",
        started.elapsed()
    );
    master.close();
}

#[test]
fn orders_and_states_cross_a_real_broker_and_validate_mqtt_3_1_1() {
    orders_and_states_cross_a_real_broker_on_the_standards_topics_and_validate(Version::V311);
}

#[test]
fn orders_and_states_cross_a_real_broker_and_validate_mqtt_5() {
    orders_and_states_cross_a_real_broker_on_the_standards_topics_and_validate(Version::V5);
}

#[test]
fn a_vehicle_that_vanishes_is_reported_connectionbroken_by_the_broker_mqtt_3_1_1() {
    a_vehicle_that_vanishes_is_reported_connectionbroken_by_the_broker(Version::V311);
}

#[test]
fn a_vehicle_that_vanishes_is_reported_connectionbroken_by_the_broker_mqtt_5() {
    a_vehicle_that_vanishes_is_reported_connectionbroken_by_the_broker(Version::V5);
}

#[test]
fn a_late_master_gets_every_retained_connection_and_factsheet_mqtt_3_1_1() {
    a_master_control_that_starts_late_gets_every_retained_connection_and_factsheet_at_once(Version::V311);
}

#[test]
fn a_late_master_gets_every_retained_connection_and_factsheet_mqtt_5() {
    a_master_control_that_starts_late_gets_every_retained_connection_and_factsheet_at_once(Version::V5);
}

#[test]
fn a_vehicle_reconnects_after_the_broker_restarts_and_says_online_again() {
    let Some(broker) = broker("protocol: MQTT reconnection") else { return };
    let port = broker.port;
    let mut small = config(&broker, "agent");
    small.queue = 8;
    let mut agent =
        MqttAgentLink::open(small, vehicle(), &connection(ConnectionState::ConnectionBroken, 0)).unwrap();
    agent.send(&FromVehicle::Connection(connection(ConnectionState::Online, 1))).unwrap();
    let deadline = now() + Duration::from_secs(10);
    while agent.counters().connects.load(std::sync::atomic::Ordering::Relaxed) < 1 {
        assert!(now() < deadline, "never connected");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(broker);
    std::thread::sleep(Duration::from_millis(300));
    // While the broker is gone, states wait in the bounded queue; what does not fit is counted.
    let mut state = rich_states().remove(0);
    for k in 0..50 {
        state.header.header_id = 10 + k;
        agent.send(&FromVehicle::State(Box::new(state.clone()))).unwrap();
    }
    let dropped = agent.counters().dropped.load(std::sync::atomic::Ordering::Relaxed);
    assert!((30..=50).contains(&dropped), "a queue of 8 holds at most 8 of 50: {dropped} dropped");
    let broker = broker_on("protocol: MQTT reconnection", port).unwrap();
    let deadline = now() + Duration::from_secs(20);
    while agent.counters().connects.load(std::sync::atomic::Ordering::Relaxed) < 2 {
        assert!(now() < deadline, "did not reconnect (errors: {:?})", agent.counters());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(agent.counters().errors.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    // The new broker has no retained message of before: the agent said ONLINE again.
    let mut master = MqttOrchestratorLink::open(config(&broker, "master")).unwrap();
    let seen = orchestrator_until(&mut master, Duration::from_secs(10), |e| {
        connections(e).contains(&ConnectionState::Online)
    });
    assert_eq!(connections(&seen), vec![ConnectionState::Online], "{seen:?}");
    master.close();
    agent.close(&connection(ConnectionState::Offline, 2)).unwrap();
}
