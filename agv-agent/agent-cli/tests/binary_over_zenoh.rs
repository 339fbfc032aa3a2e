//! The `agv-agent` binary end to end on loopback: three emulated vehicles
//! on the car plant come ONLINE, one drives an order to its end, and all say
//! OFFLINE when the run ends. Bounded in time; the process stops itself.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use protocol::messages::*;
use protocol::transport::zenoh::{ZenohConfig, ZenohOrchestratorLink};
use protocol::transport::{FromVehicle, OrchestratorEvent, OrchestratorLink, ToVehicle, VehicleId};

#[expect(clippy::disallowed_methods, reason = "a process test bounds its own waiting")]
fn now() -> Instant {
    Instant::now()
}

fn position(site: &layout::Layout, id: &str) -> NodePosition {
    let p = site.node(site.node_by_id(id).unwrap()).position;
    NodePosition {
        x: p.x,
        y: p.y,
        theta: None,
        allowed_deviation_xy: None,
        allowed_deviation_theta: None,
        map_id: "hall-1".into(),
        map_description: None,
    }
}

#[test]
fn emulated_vehicles_follow_an_order_over_zenoh() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let plant = root.join("maps/car-plant.lif.json");
    let site = layout::load(&plant, layout::LoadOptions::default()).unwrap().value;
    // A Unix socket in the test's own folder: bound once, by the master.
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("unixsock-stream/{}", dir.path().join("master.sock").display());
    let mut master = ZenohOrchestratorLink::open(&ZenohConfig::listening(endpoint.clone())).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agv-agent"))
        .args([
            "--layout",
            plant.to_str().unwrap(),
            "--count",
            "3",
            "--manufacturer",
            "yard",
            "--connect",
            &endpoint,
            "--duration",
            "16",
            "--max-speed",
            "3",
            "--acceleration",
            "3",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait for AGV-01's first state: where is it?
    let deadline = now() + Duration::from_secs(10);
    let mut start_node = None;
    let mut online = 0;
    while now() < deadline && (start_node.is_none() || online < 3) {
        for e in master.poll_timeout(Duration::from_millis(50)) {
            match e {
                OrchestratorEvent::Presence { state: ConnectionState::Online, .. } => online += 1,
                OrchestratorEvent::Message { vehicle, message: FromVehicle::State(s) }
                    if vehicle.serial_number == "AGV-01" =>
                {
                    start_node = Some(s.last_node_id.clone());
                }
                _ => {}
            }
        }
    }
    let start_node = start_node.expect("AGV-01 reported a state");
    assert_eq!(online, 3);

    // An order from there along two edges.
    let a = site.node_by_id(&start_node).unwrap();
    let e1 = site.edge(site.out_edges(a)[0]);
    let b = e1.to;
    let e2 = site.out_edges(b).iter().map(|e| site.edge(*e)).find(|e| e.to != a).unwrap();
    let c = e2.to;
    let ids = [site.node(a).id.clone(), site.node(b).id.clone(), site.node(c).id.clone()];
    let order = Order {
        header: Header {
            header_id: 0,
            timestamp: Timestamp::from_unix_millis(0),
            version: PROTOCOL_VERSION.into(),
            manufacturer: "yard".into(),
            serial_number: "AGV-01".into(),
        },
        order_id: "test-order".into(),
        order_update_id: 0,
        zone_set_id: None,
        nodes: ids
            .iter()
            .enumerate()
            .map(|(i, id)| Node {
                node_position: Some(position(&site, id)),
                ..Node::new(id.clone(), 2 * i as u32, true)
            })
            .collect(),
        edges: [e1, e2]
            .iter()
            .enumerate()
            .map(|(i, e)| Edge::new(e.id.clone(), 2 * i as u32 + 1, ids[i].clone(), ids[i + 1].clone(), true))
            .collect(),
    };
    master.send(&VehicleId::new("yard", "AGV-01"), &ToVehicle::Order(Box::new(order))).unwrap();

    let deadline = now() + Duration::from_secs(20);
    let mut arrived = false;
    let mut offline = 0;
    while now() < deadline && offline < 3 {
        for e in master.poll_timeout(Duration::from_millis(50)) {
            match e {
                OrchestratorEvent::Message { vehicle, message: FromVehicle::State(s) }
                    if vehicle.serial_number == "AGV-01" =>
                {
                    assert!(s.errors.is_empty(), "{:?}", s.errors);
                    if s.order_id == "test-order" && s.last_node_id == ids[2] && s.node_states.is_empty() {
                        arrived = true;
                    }
                }
                OrchestratorEvent::Message { message: FromVehicle::Connection(c), .. }
                    if c.connection_state == ConnectionState::Offline =>
                {
                    offline += 1;
                }
                _ => {}
            }
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(arrived, "AGV-01 did not finish the order");
    assert_eq!(offline, 3, "every vehicle said OFFLINE");
}
