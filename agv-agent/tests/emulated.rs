//! The emulated vehicle under the agent: it drives the released path with
//! one speed profile (through nodes on a straight line, slowing for curves,
//! stopping to turn on the spot where it must, never past the decision
//! point), the battery drains with distance, and a scheduled breakdown
//! stops the vehicle with a FATAL error until it recovers.

use agv_agent::agent::{Agent, AgentConfig, AgentInput, Outputs};
use agv_agent::driver::VehicleDriver;
use agv_agent::emulated::{EmulatedConfig, EmulatedVehicle, Fault};
use agv_agent::motion::MotionProfile;
use nalgebra::Point2;
use protocol::messages::*;
use protocol::transport::{FromVehicle, ToVehicle};

fn node_at(id: &str, seq: u32, x: f64, y: f64) -> Node {
    Node {
        node_id: id.into(),
        sequence_id: seq,
        node_description: None,
        released: true,
        node_position: Some(NodePosition {
            x,
            y,
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
    order_through(&[("a", 0.0, 0.0), ("b", 10.0, 0.0), ("c", 20.0, 0.0)], 3)
}

/// An order through `points` (id, x, y), the first `released` of them released.
fn order_through(points: &[(&str, f64, f64)], released: usize) -> Order {
    let nodes: Vec<Node> = points
        .iter()
        .enumerate()
        .map(|(i, (id, x, y))| Node { released: i < released, ..node_at(id, 2 * i as u32, *x, *y) })
        .collect();
    let edges = points
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            Edge::new(format!("{}-{}", w[0].0, w[1].0), 2 * i as u32 + 1, w[0].0, w[1].0, i + 1 < released)
        })
        .collect();
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
        nodes,
        edges,
    }
}

/// Runs until the order is done; returns (finish time ms, last state).
fn run(config: EmulatedConfig, limit_ms: u64) -> (Option<u64>, State, Vec<State>) {
    run_order(config, straight_order(), "c", limit_ms, |_, _| None)
}

/// Runs `order` until it is done at `last`; `update(now, state)` may send
/// an order update. Returns (finish time ms, last state, every state).
fn run_order(
    config: EmulatedConfig,
    order: Order,
    last: &str,
    limit_ms: u64,
    mut update: impl FnMut(u64, &State) -> Option<Order>,
) -> (Option<u64>, State, Vec<State>) {
    let mut agent = Agent::new(AgentConfig::new("acme", "E-1", "hall"));
    let first = order.nodes[0].clone();
    let p = first.node_position.clone().unwrap();
    agent.step(0, [AgentInput::place(first, AgvPosition::new(p.x, p.y, 0.0, "hall"))]);
    let mut vehicle = EmulatedVehicle::new(config, Point2::new(p.x, p.y), 0.0);
    let mut inbound = vec![ToVehicle::Order(Box::new(order))];
    let mut states = Vec::new();
    let mut now = 0;
    while now <= limit_ms {
        if let Some(o) = update(now, &agent.current_state(now)) {
            inbound.push(ToVehicle::Order(Box::new(o)));
        }
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
        if agent.order_finished() && agent.current_state(now).last_node_id == last {
            return (Some(now), agent.current_state(now), states);
        }
        now += 100;
    }
    (None, agent.current_state(now), states)
}

#[test]
fn driving_takes_the_motion_models_time_and_drains_the_battery() {
    let config = EmulatedConfig::factory_agv("hall");
    let through = MotionProfile::FACTORY_AGV.travel_time(20.0);
    let (done, state, states) = run(config, 120_000);
    let done = done.expect("the order finishes") as f64 / 1000.0;
    // Two 10 m edges in line: one trip of 20 m from standstill to
    // standstill, through b without braking, polled every 100 ms.
    assert!((done - through).abs() <= 0.3, "{done} s vs {through}");
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
    let healthy = MotionProfile::FACTORY_AGV.travel_time(20.0);
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

/// The highest speed any state reported near `(x, y)` (within 0.3 m).
fn speed_near(states: &[State], x: f64, y: f64) -> f64 {
    states
        .iter()
        .filter_map(|s| Some((s.agv_position.clone()?, s.velocity.clone()?.vx?)))
        .filter(|(p, _)| (p.x - x).hypot(p.y - y) < 0.3)
        .map(|(_, v)| v)
        .fold(0.0, f64::max)
}

#[test]
fn a_sharp_corner_is_turned_on_the_spot_and_a_right_angle_driven_as_a_curve() {
    let config = EmulatedConfig::factory_agv("hall");
    let k = config.kinematics();
    let straight = MotionProfile::FACTORY_AGV.travel_time(10.0);
    // 135° at b (back to the north-west): stop, turn on the spot, go on.
    let (c, s) = (135f64.to_radians().cos(), 135f64.to_radians().sin());
    let sharp = order_through(&[("a", 0.0, 0.0), ("b", 10.0, 0.0), ("c", 10.0 + 10.0 * c, 10.0 * s)], 3);
    let (done, state, _) = run_order(config.clone(), sharp, "c", 120_000, |_, _| None);
    let done = done.expect("done") as f64 / 1000.0;
    let expected = 2.0 * straight + k.turn_time(135f64.to_radians());
    assert!((done - expected).abs() <= 0.3, "{done} s vs {expected} s");
    let p = state.agv_position.unwrap();
    assert!((p.theta - 135f64.to_radians()).abs() < 1e-6, "{p:?}");
    // 90° and 20° at b: curves at the speed the lateral acceleration
    // allows, no stop; the sharper, the slower.
    let mut at_b = Vec::new();
    for degrees in [90.0f64, 20.0] {
        let turn = degrees.to_radians();
        let gentle = order_through(
            &[("a", 0.0, 0.0), ("b", 10.0, 0.0), ("c", 10.0 + 10.0 * turn.cos(), 10.0 * turn.sin())],
            3,
        );
        let (done, _, states) = run_order(config.clone(), gentle, "c", 120_000, |_, _| None);
        let done = done.expect("done") as f64 / 1000.0;
        assert!(
            done < 2.0 * straight - 1.0,
            "{degrees}°: no stop at b: {done} s vs {} s stopping",
            2.0 * straight
        );
        let speed = speed_near(&states, 10.0, 0.0);
        let corner = k.corner_speed(turn);
        assert!(
            corner < 1.5 && speed <= corner + 0.05 && speed > 0.5 * corner,
            "{speed} m/s at b, corner {corner}"
        );
        at_b.push(speed);
    }
    assert!(at_b[0] < at_b[1], "{at_b:?}");
}

#[test]
fn the_vehicle_brakes_for_the_decision_point_and_drives_on_when_the_base_grows() {
    let config = EmulatedConfig::factory_agv("hall");
    let points = [("a", 0.0, 0.0), ("b", 10.0, 0.0), ("c", 20.0, 0.0), ("d", 30.0, 0.0)];
    // Released to b only, never extended: it stops at b and stays there.
    let (done, state, _) = run_order(config.clone(), order_through(&points, 2), "d", 60_000, |_, _| None);
    assert!(done.is_none());
    let p = state.agv_position.unwrap();
    assert_eq!(state.last_node_id, "b");
    assert!((p.x - 10.0).abs() < 1e-6, "never past the decision point: x = {}", p.x);
    // Extended 2 s after the start, while it drives to b: it never stops at b.
    let mut sent = false;
    let (done, _, states) = run_order(config, order_through(&points, 2), "d", 60_000, |now, _| {
        (now >= 2_000 && !std::mem::replace(&mut sent, true)).then(|| {
            let mut o = order_through(&points[1..], 3);
            o.order_update_id = 1;
            for n in &mut o.nodes {
                n.sequence_id += 2;
            }
            for e in &mut o.edges {
                e.sequence_id += 2;
            }
            o
        })
    });
    let done = done.expect("done") as f64 / 1000.0;
    let through = MotionProfile::FACTORY_AGV.travel_time(30.0);
    assert!((done - through).abs() <= 0.3, "{done} s vs {through} s in one go");
    assert!(speed_near(&states, 10.0, 0.0) > 1.4, "at full speed through b");
}

#[test]
fn a_trains_trailers_follow_the_trail_of_its_body() {
    let mut config = EmulatedConfig::factory_agv("hall");
    config.body = (2.4, 1.1);
    config.trailers = vec![(2.0, 1.0), (2.0, 1.0)];
    let mut vehicle = EmulatedVehicle::new(config, Point2::origin(), 0.0);
    // Standing at start: the trailers are gathered at the body's centre.
    assert!(vehicle.boxes()[1..].iter().all(|b| b.x.abs() < 1e-9 && b.y.abs() < 1e-9));
    // Along x, then a 90° turn north at (20, 0): after 10 m north, the first
    // trailer (centre 1.2 + 0.5 + 1.0 = 2.7 m behind) is on the northbound
    // leg, the second (5.2 m behind) too, both facing north.
    let order = order_through(&[("a", 0.0, 0.0), ("b", 20.0, 0.0), ("c", 20.0, 10.0)], 3);
    let mut agent = Agent::new(AgentConfig::new("acme", "T-1", "hall"));
    agent.step(0, [AgentInput::place(order.nodes[0].clone(), AgvPosition::new(0.0, 0.0, 0.0, "hall"))]);
    let mut inbound = vec![ToVehicle::Order(Box::new(order))];
    let mut midway = None;
    for now in (0..120_000u64).step_by(100) {
        let feedback = vehicle.poll(now.into());
        let out = agent.step(now, AgentInput::batch(&inbound, &feedback));
        inbound.clear();
        for c in &out.commands {
            vehicle.command(now.into(), c);
        }
        let p = vehicle.position();
        if midway.is_none() && p.x > 14.0 {
            midway = Some(vehicle.boxes());
        }
    }
    let midway = midway.expect("passed x = 14");
    let x = midway[0].x;
    assert!((midway[1].x - (x - 2.7)).abs() < 0.1 && midway[1].y.abs() < 1e-9, "{midway:?}");
    assert!((midway[2].x - (x - 5.2)).abs() < 0.1 && midway[2].theta.abs() < 1e-6, "{midway:?}");
    let end = vehicle.boxes();
    assert!((end[0].x - 20.0).abs() < 1e-6 && (end[0].y - 10.0).abs() < 1e-6);
    for (b, behind) in end[1..].iter().zip([2.7, 5.2]) {
        assert!((b.x - 20.0).abs() < 0.1 && (b.y - (10.0 - behind)).abs() < 0.1, "{b:?}");
        assert!((b.theta - std::f64::consts::FRAC_PI_2).abs() < 0.05, "{b:?}");
    }
}
