//! Layout → route → VDA 5050 order → agent → emulated vehicle, across the
//! crates: a route on the car plant goes out with a three-node base; the
//! vehicle stops at the decision point; an update that stitches there takes
//! it to the goal. Both orders pass the protocol's own rules.

use std::path::PathBuf;

use agv_agent::agent::{Agent, AgentConfig, AgentInput, DriverCommand};
use agv_agent::driver::VehicleDriver;
use agv_agent::emulated::{EmulatedConfig, EmulatedVehicle};
use layout::{LoadOptions, NodeIdx};
use orchestrator::vda::{OrderTarget, order_for_route};
use protocol::messages::{AgvPosition, Node, Order};
use protocol::order_rules::{check_continuation, validate_order};
use protocol::transport::ToVehicle;

fn plant() -> layout::Layout {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maps/car-plant.lif.json");
    layout::load(&path, LoadOptions::default()).unwrap().value
}

/// Drives until the vehicle stops; returns the time.
fn run(agent: &mut Agent, vehicle: &mut EmulatedVehicle, mut now: u64, mut inbound: Vec<ToVehicle>) -> u64 {
    let mut idle_steps = 0;
    while idle_steps < 50 {
        let feedback = vehicle.poll(now.into());
        let out = agent.step(now, AgentInput::batch(&inbound, &feedback));
        inbound.clear();
        for c in &out.commands {
            vehicle.command(now.into(), c);
        }
        let moving = out.commands.iter().any(|c| matches!(c, DriverCommand::Drive { .. }))
            || !feedback.is_empty() && agent.current_state(now).driving;
        idle_steps = if moving { 0 } else { idle_steps + 1 };
        now += 100;
        assert!(now < 3_600_000, "an hour of simulated time without stopping");
    }
    now
}

#[test]
fn a_planned_route_is_driven_base_first_then_by_update() {
    let site = plant();
    let start = site.stations[site.station_by_id("PARK-01").unwrap().index()].interaction_nodes[0];
    let goal = site.stations[site.station_by_id("WH-PICK-A1").unwrap().index()].interaction_nodes[0];
    let route: Vec<NodeIdx> = pathfinding::directed::bfs::bfs(
        &start,
        |n| site.out_edges(*n).iter().map(|e| site.edge(*e).to).collect::<Vec<_>>(),
        |n| *n == goal,
    )
    .expect("the plant is strongly connected");
    assert!(route.len() > 6);

    let target = OrderTarget {
        manufacturer: "yard",
        serial_number: "AGV-01",
        order_id: "t-1",
        order_update_id: 0,
        header_id: 0,
        first_sequence_id: 0,
    };
    let first = order_for_route(&site, &route, 3, &target, 0.into()).unwrap();
    validate_order(&first).unwrap();

    let mut agent = Agent::new(AgentConfig::new("yard", "AGV-01", "hall-1"));
    let p = site.node(start).position;
    agent.step(
        0,
        [AgentInput::place(
            Node::new(site.node(start).id.clone(), 0, true),
            AgvPosition::new(p.x, p.y, 0.0, "hall-1"),
        )],
    );
    let mut vehicle = EmulatedVehicle::new(EmulatedConfig::factory_agv("hall-1"), p, 0.0);

    let now = run(&mut agent, &mut vehicle, 0, vec![ToVehicle::Order(Box::new(first.clone()))]);
    let state = agent.current_state(now);
    assert_eq!(state.last_node_id, site.node(route[2]).id, "stopped at the decision point");
    assert!(state.errors.is_empty(), "{:?}", state.errors);
    assert_eq!(state.new_base_request, Some(true));

    let update_target = OrderTarget { order_update_id: 1, header_id: 1, first_sequence_id: 4, ..target };
    let update: Order =
        order_for_route(&site, &route[2..], route.len() - 2, &update_target, now.into()).unwrap();
    check_continuation(&first, &update).unwrap();
    let now = run(&mut agent, &mut vehicle, now, vec![ToVehicle::Order(Box::new(update))]);
    let state = agent.current_state(now);
    assert!(state.errors.is_empty(), "{:?}", state.errors);
    assert_eq!(state.last_node_id, site.node(goal).id);
    assert_eq!(state.last_node_sequence_id, 2 * (route.len() as u32 - 1));
    assert!(state.node_states.is_empty());
    let g = site.node(goal).position;
    assert!((vehicle.position() - g).norm() < 1e-9, "the emulated vehicle is on the goal node");
}
