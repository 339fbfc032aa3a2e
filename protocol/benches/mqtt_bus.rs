//! The bus benchmark through a real broker: 1,000 vehicles, each its own
//! MQTT client (connection, last will), send `state` messages through a
//! Mosquitto started on loopback to one orchestrator client, which decodes
//! every one. Prints messages per second and end-to-end latency
//! percentiles (publish → decoded at the orchestrator), beside
//! `--bench bus` (the same over Zenoh).
//!
//! `cargo bench -p protocol --bench mqtt_bus [-- --vehicles N --rate MSGS_PER_S --seconds S]`

mod common;

use common::bus::{Bus, arg, run};
use protocol::messages::{Connection, ConnectionState};
use protocol::transport::mqtt::{MqttAgentLink, MqttConfig, MqttOrchestratorLink};
use protocol::transport::{AgentLink, FromVehicle, OrchestratorEvent};

fn main() {
    let bus = Bus {
        name: "bus benchmark (MQTT, Mosquitto on loopback)",
        vehicles: arg("--vehicles", 1000.0) as usize,
        rate: arg("--rate", 10_000.0),
        seconds: arg("--seconds", 6.0),
        threads: 4,
    };
    let Some(broker) = tests::Broker::start("the MQTT bus benchmark") else { return };
    let url = broker.url();
    let mut master =
        MqttOrchestratorLink::open(MqttConfig::from_url(&url, "uagv", "bench-master").expect("url"))
            .expect("orchestrator link");
    let open = move |ids: Vec<protocol::transport::VehicleId>| {
        ids.into_iter()
            .map(|v| {
                let mut config =
                    MqttConfig::from_url(&url, "uagv", &format!("bench-{}", v.serial_number)).expect("url");
                config.keep_alive_s = 30;
                let mut link =
                    MqttAgentLink::open(config, v.clone(), &MqttAgentLink::will(&v, 0)).expect("agent link");
                let mut online: Connection = MqttAgentLink::will(&v, 0);
                online.connection_state = ConnectionState::Online;
                link.send(&FromVehicle::Connection(online)).expect("online");
                Box::new(link) as Box<dyn AgentLink>
            })
            .collect()
    };
    let online = |e: &OrchestratorEvent| matches!(e, OrchestratorEvent::Message { message: FromVehicle::Connection(c), .. } if c.connection_state == ConnectionState::Online);
    run(&bus, open, |wait| master.poll_timeout(wait), online);
    drop(broker);
}
