//! One orchestrator session and 50 agent sessions in one process, peers on
//! 127.0.0.1 with multicast scouting off: orders and states flow to the
//! right vehicle; a dropped agent is CONNECTIONBROKEN within 2 s; garbage
//! and impostor states are counted and reported, never crash the receiver.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use ::zenoh::Wait;
use common::*;
use protocol::messages::*;
use protocol::transport::zenoh::{ZenohAgentLink, ZenohConfig, ZenohOrchestratorLink};
use protocol::transport::*;

const N_AGENTS: usize = 50;

fn free_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("tcp/127.0.0.1:{}", listener.local_addr().unwrap().port())
}

#[expect(clippy::disallowed_methods, reason = "a network test bounds its own waiting with the wall clock")]
fn now() -> Instant {
    Instant::now()
}

fn vehicle(i: usize) -> VehicleId {
    VehicleId::new("acme", format!("AGV-{i:02}"))
}

fn state_for(v: &VehicleId, header_id: u32) -> FromVehicle {
    let mut s = rich_states().remove(0);
    s.header.header_id = header_id;
    s.header.manufacturer = v.manufacturer.clone();
    s.header.serial_number = v.serial_number.clone();
    FromVehicle::State(Box::new(s))
}

/// Polls until `done` says so or the deadline passes; returns everything seen.
fn collect(
    master: &mut ZenohOrchestratorLink,
    within: Duration,
    mut done: impl FnMut(&[OrchestratorEvent]) -> bool,
) -> Vec<OrchestratorEvent> {
    let deadline = now() + within;
    let mut seen = Vec::new();
    while now() < deadline && !done(&seen) {
        seen.extend(master.poll_timeout(Duration::from_millis(50)));
    }
    seen
}

fn count_presence(events: &[OrchestratorEvent], want: ConnectionState) -> usize {
    events.iter().filter(|e| matches!(e, OrchestratorEvent::Presence { state, .. } if *state == want)).count()
}

#[test]
fn fifty_agents_over_loopback() {
    let endpoint = free_endpoint();
    let mut master = ZenohOrchestratorLink::open(&ZenohConfig::listening(endpoint.clone())).unwrap();
    // Sessions open in parallel: each takes a moment to connect.
    let mut agents: Vec<Option<ZenohAgentLink>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..N_AGENTS)
            .map(|i| {
                let endpoint = endpoint.clone();
                scope.spawn(move || {
                    ZenohAgentLink::open(&ZenohConfig::connecting(endpoint), vehicle(i)).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| Some(h.join().unwrap())).collect()
    });

    // Every vehicle's token is seen.
    let seen = collect(&mut master, Duration::from_secs(20), |e| {
        count_presence(e, ConnectionState::Online) >= N_AGENTS
    });
    assert_eq!(count_presence(&seen, ConnectionState::Online), N_AGENTS, "not every agent came online");

    // States flow in, each attributed to its sender.
    for (i, a) in agents.iter_mut().enumerate() {
        let a = a.as_mut().unwrap();
        let v = a.vehicle().clone();
        a.send(&state_for(&v, i as u32)).unwrap();
    }
    let states = collect(&mut master, Duration::from_secs(10), |e| e.len() >= N_AGENTS);
    let mut serials: Vec<String> = states
        .iter()
        .filter_map(|e| match e {
            OrchestratorEvent::Message { vehicle, message: FromVehicle::State(s) } => {
                assert_eq!(vehicle.serial_number, s.header.serial_number);
                Some(vehicle.serial_number.clone())
            }
            _ => None,
        })
        .collect();
    serials.sort();
    assert_eq!(serials, (0..N_AGENTS).map(|i| vehicle(i).serial_number).collect::<Vec<_>>());

    // Orders reach exactly their vehicle.
    for i in 0..N_AGENTS {
        let mut order = rich_order();
        order.order_id = format!("order-for-{i:02}");
        order.header.serial_number = vehicle(i).serial_number;
        master.send(&vehicle(i), &ToVehicle::Order(Box::new(order))).unwrap();
    }
    for (i, a) in agents.iter_mut().enumerate() {
        let a = a.as_mut().unwrap();
        let deadline = now() + Duration::from_secs(10);
        let mut got = Vec::new();
        while got.is_empty() && now() < deadline {
            got = a.poll_timeout(Duration::from_millis(50));
        }
        match &got[..] {
            [AgentEvent::Message(ToVehicle::Order(o))] => assert_eq!(o.order_id, format!("order-for-{i:02}")),
            other => panic!("agent {i} got {other:?}"),
        }
    }

    // Garbage and an impostor on AGV-00's state key: rejected, counted, reported.
    let raw = ZenohConfig::connecting(endpoint).open().unwrap();
    let impostor = state_for(&vehicle(1), 99).encode().unwrap();
    // Give the raw session's route a moment to form by retrying until seen.
    let events = {
        let deadline = now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        while now() < deadline
            && seen.iter().filter(|e| matches!(e, OrchestratorEvent::Rejected(_))).count() < 2
        {
            raw.put("vda5050/v2/acme/AGV-00/state", &b"{\"headerId\": \xff garbage"[..]).wait().unwrap();
            raw.put("vda5050/v2/acme/AGV-00/state", impostor.clone()).wait().unwrap();
            seen.extend(master.poll_timeout(Duration::from_millis(100)));
        }
        seen
    };
    assert!(
        events
            .iter()
            .any(|e| matches!(e, OrchestratorEvent::Rejected(r) if r.to_string().contains("not JSON")))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, OrchestratorEvent::Rejected(r) if r.to_string().contains("AGV-01")))
    );
    assert!(master.stats().rejected >= 2);
    // The fleet is unaffected: a good state still arrives.
    agents[5].as_mut().unwrap().send(&state_for(&vehicle(5), 1000)).unwrap();
    let after = collect(&mut master, Duration::from_secs(5), |e| {
        e.iter().any(
            |x| matches!(x, OrchestratorEvent::Message { vehicle, .. } if vehicle.serial_number == "AGV-05"),
        )
    });
    assert!(after.iter().any(
        |x| matches!(x, OrchestratorEvent::Message { vehicle, .. } if vehicle.serial_number == "AGV-05")
    ));

    // Dropping an agent's session: CONNECTIONBROKEN within 2 s.
    let dropped_at = now();
    drop(agents[7].take());
    let lost = collect(&mut master, Duration::from_secs(2), |e| {
        count_presence(e, ConnectionState::ConnectionBroken) >= 1
    });
    assert!(
        lost.iter().any(|e| matches!(e, OrchestratorEvent::Presence { vehicle, state: ConnectionState::ConnectionBroken } if vehicle.serial_number == "AGV-07")),
        "no CONNECTIONBROKEN for AGV-07 within 2 s: {lost:?}"
    );
    assert!(now() - dropped_at < Duration::from_secs(2));

    // A clean goodbye: OFFLINE, then the token goes as Offline.
    let leaving = agents[8].take().unwrap();
    let mut goodbye = Connection { header: header(1), connection_state: ConnectionState::Offline };
    goodbye.header.serial_number = "AGV-08".into();
    leaving.close(&goodbye).unwrap();
    let bye =
        collect(&mut master, Duration::from_secs(5), |e| count_presence(e, ConnectionState::Offline) >= 1);
    assert!(bye.iter().any(|e| matches!(e, OrchestratorEvent::Message { message: FromVehicle::Connection(c), .. } if c.connection_state == ConnectionState::Offline)));
    assert!(bye.iter().any(|e| matches!(e, OrchestratorEvent::Presence { vehicle, state: ConnectionState::Offline } if vehicle.serial_number == "AGV-08")));
}

#[test]
fn agents_see_the_master_control_come_and_go() {
    let endpoint = free_endpoint();
    let mut master = ZenohOrchestratorLink::open(&ZenohConfig::listening(&endpoint)).unwrap();
    let mut agent = ZenohAgentLink::open(&ZenohConfig::connecting(&endpoint), vehicle(1)).unwrap();
    let watch = |agent: &mut ZenohAgentLink, want: bool| {
        let deadline = now() + Duration::from_secs(5);
        while now() < deadline {
            for e in agent.poll_timeout(Duration::from_millis(50)) {
                if let AgentEvent::MasterControl { online } = e
                    && online == want
                {
                    return true;
                }
            }
        }
        false
    };
    // Announced after the agent subscribed, and (history) before.
    master.announce("plant-1").unwrap();
    assert!(watch(&mut agent, true), "the agent did not see the master control come");
    let mut late = ZenohAgentLink::open(&ZenohConfig::connecting(&endpoint), vehicle(2)).unwrap();
    assert!(watch(&mut late, true), "a later agent did not learn of the running master control");
    master.retire().unwrap();
    assert!(watch(&mut agent, false), "the agent did not see the master control go");
    master.announce("plant-1").unwrap();
    assert!(watch(&mut agent, true), "the agent did not see the master control come back");
    // A killed master control (its session gone) goes too.
    drop(master);
    assert!(watch(&mut agent, false), "the agent did not see the dropped master control go");
}

#[test]
fn a_master_control_that_starts_late_gets_every_retained_connection_and_factsheet_at_once() {
    let endpoint = free_endpoint();
    // The vehicles are up first, on a session that listens.
    let session = ZenohConfig::listening(&endpoint).open().unwrap();
    let mut agents = Vec::new();
    for i in 0..3 {
        let v = vehicle(i);
        let mut agent = ZenohAgentLink::with_session(session.clone(), v.clone()).unwrap();
        let mut online = rich_connections().remove(0);
        online.header.manufacturer = v.manufacturer.clone();
        online.header.serial_number = v.serial_number.clone();
        agent.send(&FromVehicle::Connection(online)).unwrap();
        let mut factsheet = rich_factsheets().remove(0);
        factsheet.manufacturer = v.manufacturer.clone();
        factsheet.serial_number = v.serial_number.clone();
        agent.send(&FromVehicle::Factsheet(Box::new(factsheet))).unwrap();
        agents.push(agent);
    }
    // Nothing is sent after this: what arrives is what the agents retained.
    let started = now();
    let mut master = ZenohOrchestratorLink::open(&ZenohConfig::connecting(&endpoint)).unwrap();
    let count = |e: &[OrchestratorEvent], factsheets: bool| {
        e.iter()
            .filter(|e| match e {
                OrchestratorEvent::Message { message: FromVehicle::Factsheet(_), .. } => factsheets,
                OrchestratorEvent::Message { message: FromVehicle::Connection(c), .. } => {
                    !factsheets && c.connection_state == ConnectionState::Online
                }
                _ => false,
            })
            .count()
    };
    let seen = collect(&mut master, Duration::from_secs(10), |e| count(e, false) == 3 && count(e, true) == 3);
    assert_eq!((count(&seen, false), count(&seen, true)), (3, 3), "{seen:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "at once: {:?}", started.elapsed());
}
