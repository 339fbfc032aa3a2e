//! The emulated vehicle under the agent: timing follows the motion model,
//! the battery drains with distance, and a scheduled breakdown stops the
//! vehicle with a FATAL error until it recovers.

use agv_agent::agent::{Agent, AgentConfig, AgentInput, Outputs};
use agv_agent::driver::VehicleDriver;
use agv_agent::emulated::{EmulatedConfig, EmulatedVehicle, Fault};
use agv_agent::motion::MotionProfile;
use nalgebra::Point2;
use protocol::messages::*;
use protocol::transport::{FromVehicle, ToVehicle};

fn node(id: &str, seq: u32, x: f64) -> Node {
    Node {
        node_id: id.into(),
        sequence_id: seq,
        node_description: None,
        released: true,
        node_position: Some(NodePosition {
            x,
            y: 0.0,
            theta: None,
            allowed_deviation_xy: None,
            allowed_deviation_theta: None,
            map_id: "hall".into(),
            map_description: None,
        }),
        actions: vec![],
    }
}

fn straight_order() -> Order {
    let edge = |a: &str, b: &str, seq| Edge::new(format!("{a}-{b}"), seq, a, b, true);
    Order {
        header: Header {
            header_id: 0,
            timestamp: Timestamp::from_unix_millis(0),
            version: PROTOCOL_VERSION.into(),
            manufacturer: "acme".into(),
            serial_number: "E-1".into(),
        },
        order_id: "o".into(),
        order_update_id: 0,
        zone_set_id: None,
        nodes: vec![node("a", 0, 0.0), node("b", 2, 10.0), node("c", 4, 20.0)],
        edges: vec![edge("a", "b", 1), edge("b", "c", 3)],
    }
}

/// Runs until the order is done; returns (finish time ms, last state).
fn run(config: EmulatedConfig, limit_ms: u64) -> (Option<u64>, State, Vec<State>) {
    let mut agent = Agent::new(AgentConfig::new("acme", "E-1", "hall"));
    agent.step(0, [AgentInput::place(node("a", 0, 0.0), AgvPosition::new(0.0, 0.0, 0.0, "hall"))]);
    let mut vehicle = EmulatedVehicle::new(config, Point2::origin(), 0.0);
    let mut inbound = vec![ToVehicle::Order(Box::new(straight_order()))];
    let mut states = Vec::new();
    let mut now = 0;
    while now <= limit_ms {
        let feedback = vehicle.poll(now.into());
        let Outputs { messages, commands } = agent.step(now, AgentInput::batch(&inbound, &feedback));
        inbound.clear();
        for c in &commands {
            vehicle.command(now.into(), c);
        }
        for m in messages {
            if let FromVehicle::State(s) = m {
                states.push(*s);
            }
        }
        if agent.order_finished() && agent.current_state(now).last_node_id == "c" {
            return (Some(now), agent.current_state(now), states);
        }
        now += 100;
    }
    (None, agent.current_state(now), states)
}

#[test]
fn driving_takes_the_motion_models_time_and_drains_the_battery() {
    let config = EmulatedConfig::factory_agv("hall");
    let per_edge = MotionProfile::FACTORY_AGV.travel_time(10.0);
    let (done, state, states) = run(config, 120_000);
    let done = done.expect("the order finishes") as f64 / 1000.0;
    // Two 10 m edges from standstill to standstill, polled every 100 ms.
    assert!((done - 2.0 * per_edge).abs() <= 0.5, "{done} s vs {}", 2.0 * per_edge);
    assert!(
        (state.battery_state.battery_charge - (100.0 - 20.0 * 0.02)).abs() < 1e-6,
        "{:?}",
        state.battery_state
    );
    let pos = state.agv_position.unwrap();
    assert!((pos.x - 20.0).abs() < 1e-9 && pos.y.abs() < 1e-9);
    assert!(states.iter().any(|s| s.driving), "some state says driving");
    assert!(states.iter().any(|s| s.last_node_id == "b"), "passing b is reported");
}

#[test]
fn a_breakdown_stops_the_vehicle_with_a_fatal_error_until_recovery() {
    let mut config = EmulatedConfig::factory_agv("hall");
    config.faults = vec![Fault::Breakdown { at: 3_000.into(), until: Some(13_000.into()) }];
    let healthy = 2.0 * MotionProfile::FACTORY_AGV.travel_time(10.0);
    let (done, _, states) = run(config, 120_000);
    let done = done.expect("recovers and finishes") as f64 / 1000.0;
    assert!(done >= healthy + 9.5, "the breakdown cost about 10 s: {done} vs {healthy}");
    let fatal = states
        .iter()
        .find(|s| s.errors.iter().any(|e| e.error_level == ErrorLevel::Fatal))
        .expect("a FATAL error was reported");
    assert!(!fatal.driving);
    assert!(states.last().unwrap().errors.is_empty(), "the error clears on recovery");
    // Never broke for good: a permanent breakdown never finishes.
    let mut config = EmulatedConfig::factory_agv("hall");
    config.faults = vec![Fault::Breakdown { at: 1_000.into(), until: None }];
    assert!(run(config, 60_000).0.is_none());
}
