//! The in-memory bus: delivery by vehicle, presence, rejected garbage.

mod common;

use common::*;
use protocol::messages::*;
use protocol::transport::memory::MemoryBus;
use protocol::transport::*;

fn vehicle(i: usize) -> VehicleId {
    VehicleId::new("acme", format!("AGV-{i:02}"))
}

fn state_for(v: &VehicleId) -> FromVehicle {
    let mut s = rich_states().remove(0);
    s.header.manufacturer = v.manufacturer.clone();
    s.header.serial_number = v.serial_number.clone();
    FromVehicle::State(Box::new(s))
}

#[test]
fn messages_reach_exactly_their_addressee() {
    let bus = MemoryBus::new();
    let mut master = bus.orchestrator();
    let mut agents: Vec<_> = (0..5).map(|i| bus.agent(vehicle(i))).collect();
    let online = master.poll();
    assert_eq!(online.len(), 5);
    assert!(
        online
            .iter()
            .all(|e| matches!(e, OrchestratorEvent::Presence { state: ConnectionState::Online, .. }))
    );

    for a in &mut agents {
        let v = a.vehicle().clone();
        a.send(&state_for(&v)).unwrap();
    }
    let states = master.poll();
    let senders: Vec<String> = states
        .iter()
        .map(|e| match e {
            OrchestratorEvent::Message { vehicle, message: FromVehicle::State(s) } => {
                assert_eq!(s.header.serial_number, vehicle.serial_number);
                vehicle.serial_number.clone()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(senders, ["AGV-00", "AGV-01", "AGV-02", "AGV-03", "AGV-04"]);

    let mut order = rich_order();
    order.header.serial_number = "AGV-03".into();
    master.send(&vehicle(3), &ToVehicle::Order(Box::new(order.clone()))).unwrap();
    for (i, a) in agents.iter_mut().enumerate() {
        let got = a.poll();
        if i == 3 {
            assert_eq!(got, vec![AgentEvent::Message(ToVehicle::Order(Box::new(order.clone())))]);
        } else {
            assert!(got.is_empty());
        }
    }
    assert_eq!(master.stats().received, 5);
    assert_eq!(master.stats().sent, 1);
}

#[test]
fn garbage_and_impostors_are_rejected_and_counted_not_delivered() {
    let bus = MemoryBus::new();
    let mut master = bus.orchestrator();
    let mut a = bus.agent(vehicle(1));
    master.poll();
    bus.publish_raw("vda5050/v2/acme/AGV-01/state", b"\x00garbage");
    // A state claiming to be AGV-02, published on AGV-01's key.
    let impostor = state_for(&vehicle(2)).encode().unwrap();
    bus.publish_raw("vda5050/v2/acme/AGV-01/state", &impostor);
    a.send(&state_for(&vehicle(1))).unwrap();
    let events = master.poll();
    assert!(matches!(&events[0], OrchestratorEvent::Rejected(e) if e.to_string().contains("not JSON")));
    assert!(matches!(&events[1], OrchestratorEvent::Rejected(e) if e.to_string().contains("AGV-02")));
    assert!(matches!(&events[2], OrchestratorEvent::Message { .. }));
    assert_eq!(master.stats().rejected, 2);
    assert_eq!(master.stats().received, 1);
}

#[test]
fn a_vanished_vehicle_is_connection_broken_a_goodbye_is_offline() {
    let bus = MemoryBus::new();
    let mut master = bus.orchestrator();
    let lost = bus.agent(vehicle(1));
    let leaving = bus.agent(vehicle(2));
    master.poll();
    drop(lost);
    let mut goodbye = Connection { header: header(9), connection_state: ConnectionState::Offline };
    goodbye.header.serial_number = "AGV-02".into();
    leaving.close(&goodbye).unwrap();
    let events = master.poll();
    let presence: Vec<(String, ConnectionState)> = events
        .iter()
        .filter_map(|e| match e {
            OrchestratorEvent::Presence { vehicle, state } => Some((vehicle.serial_number.clone(), *state)),
            _ => None,
        })
        .collect();
    assert_eq!(
        presence,
        vec![
            ("AGV-01".into(), ConnectionState::ConnectionBroken),
            ("AGV-02".into(), ConnectionState::Offline)
        ]
    );
}
