//! Conformance rule 12: master control sees a vehicle's connection loss
//! (Zenoh liveliness) within 2 s — here for an agent started with
//! `runner::start` whose link vanishes without a goodbye.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use agv_agent::agent::{Agent, AgentConfig};
use agv_agent::runner;
use protocol::messages::ConnectionState;
use protocol::transport::zenoh::{ZenohAgentLink, ZenohConfig, ZenohOrchestratorLink};
use protocol::transport::{FromVehicle, OrchestratorEvent, VehicleId};

#[expect(clippy::disallowed_methods, reason = "a network test bounds its own waiting")]
fn now() -> Instant {
    Instant::now()
}

#[test]
fn rule_12_connection_loss_is_seen_within_two_seconds() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("tcp/127.0.0.1:{port}");
    let mut master = ZenohOrchestratorLink::open(&ZenohConfig::listening(endpoint.clone())).unwrap();
    let vehicle = VehicleId::new("acme", "AGV-12");
    let mut link = ZenohAgentLink::open(&ZenohConfig::connecting(endpoint), vehicle).unwrap();
    let mut agent = Agent::new(AgentConfig::new("acme", "AGV-12", "hall"));
    runner::start(0.into(), &mut agent, &mut link, []).unwrap();

    let deadline = now() + Duration::from_secs(10);
    let (mut online_message, mut presence) = (false, false);
    while now() < deadline && !(online_message && presence) {
        for e in master.poll_timeout(Duration::from_millis(50)) {
            match e {
                OrchestratorEvent::Message { message: FromVehicle::Connection(c), .. } => {
                    online_message |= c.connection_state == ConnectionState::Online;
                }
                OrchestratorEvent::Presence { state: ConnectionState::Online, .. } => presence = true,
                _ => {}
            }
        }
    }
    assert!(online_message && presence, "ONLINE message {online_message}, presence {presence}");

    let lost_at = now();
    drop(link);
    let mut broken = false;
    while now() < lost_at + Duration::from_secs(2) && !broken {
        broken = master.poll_timeout(Duration::from_millis(50)).iter().any(|e| {
            matches!(e, OrchestratorEvent::Presence { state: ConnectionState::ConnectionBroken, .. })
        });
    }
    assert!(broken, "CONNECTIONBROKEN not seen within 2 s");
}
