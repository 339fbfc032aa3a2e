//! The agent core against the conformance checklist of
//! `../shared/vda5050/PROTOCOL.md` (the rules that concern a vehicle), one
//! test per rule, driven with crafted messages. Every message the agent
//! emits here is validated against the official 2.1.0 schemas.

use agv_agent::agent::{Agent, AgentConfig, AgentInput, DriverCommand, DriverFeedback, Outputs, PathLeg};
use protocol::messages::*;
use protocol::transport::{FromVehicle, ToVehicle};
use serde_json::json;

/// The official schema of a topic, if the reference data is there (else
/// the messages' schema check is skipped, saying so once).
fn schema(topic: &str) -> Option<jsonschema::Validator> {
    let path = tests::reference(
        &format!("vda5050/schemas/2.1.0/{topic}.schema.json"),
        "agv-agent conformance: the schema check of emitted messages",
    )?;
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Some(jsonschema::validator_for(&value).unwrap())
}

/// Checks every emitted message against its schema.
fn check(out: &Outputs) {
    for m in &out.messages {
        let (topic, value) = match m {
            FromVehicle::State(s) => ("state", serde_json::to_value(s).unwrap()),
            FromVehicle::Connection(c) => ("connection", serde_json::to_value(c).unwrap()),
            FromVehicle::Factsheet(f) => ("factsheet", serde_json::to_value(f).unwrap()),
            FromVehicle::Visualization(v) => ("visualization", serde_json::to_value(v).unwrap()),
        };
        let Some(schema) = schema(topic) else { continue };
        let errors: Vec<String> = schema.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{topic} invalid: {errors:?}");
    }
}

fn header(id: u32) -> Header {
    Header {
        header_id: id,
        timestamp: Timestamp::from_unix_millis(1_000),
        version: PROTOCOL_VERSION.into(),
        manufacturer: "acme".into(),
        serial_number: "AGV-1".into(),
    }
}

fn node(id: &str, seq: u32, released: bool) -> Node {
    Node::new(id, seq, released)
}

fn edge(from: &str, to: &str, seq: u32, released: bool) -> Edge {
    Edge::new(format!("{from}-{to}"), seq, from, to, released)
}

/// An order over `ids` starting at sequence `first_seq`, the first `released` nodes in the base.
fn order(order_id: &str, update: u32, first_seq: u32, ids: &[&str], released: usize) -> Order {
    Order {
        header: header(update),
        order_id: order_id.into(),
        order_update_id: update,
        zone_set_id: None,
        nodes: ids.iter().enumerate().map(|(i, n)| node(n, first_seq + 2 * i as u32, i < released)).collect(),
        edges: ids
            .windows(2)
            .enumerate()
            .map(|(i, w)| edge(w[0], w[1], first_seq + 2 * i as u32 + 1, i + 1 < released))
            .collect(),
    }
}

fn place_at(node_id: &str) -> AgentInput {
    AgentInput::place(node(node_id, 0, true), AgvPosition::new(0.0, 0.0, 0.0, "hall-1"))
}

/// An agent placed on `node_id` at time 0 (that step published its first state).
fn agent_at(node_id: &str) -> Agent {
    let mut agent = Agent::new(AgentConfig::new("acme", "AGV-1", "hall-1"));
    agent.step(0, [place_at(node_id)]);
    agent
}

fn send(agent: &mut Agent, now: u64, o: &Order) -> Outputs {
    let out = agent.step(now, AgentInput::batch(&[ToVehicle::Order(Box::new(o.clone()))], &[]));
    check(&out);
    out
}

fn last_state(out: &Outputs) -> &State {
    out.messages
        .iter()
        .rev()
        .find_map(|m| match m {
            FromVehicle::State(s) => Some(s.as_ref()),
            _ => None,
        })
        .expect("a state was published")
}

/// The edges of the path the agent handed the driver in `out` (its last
/// `Drive`), in order.
fn drives(out: &Outputs) -> Vec<String> {
    last_path(out).map(|p| p.into_iter().map(|l| l.edge.edge_id).collect()).unwrap_or_default()
}

fn last_path(out: &Outputs) -> Option<Vec<PathLeg>> {
    out.commands.iter().rev().find_map(|c| match c {
        DriverCommand::Drive { path } => Some(path.clone()),
        _ => None,
    })
}

/// Lets the (perfect) vehicle drive the path it is handed, one node a
/// second, taking each new path as it comes, until it stops.
fn drive_until_stopped(agent: &mut Agent, mut now: u64, mut out: Outputs) -> (u64, Vec<String>, Outputs) {
    let mut driven = Vec::new();
    let mut path = std::collections::VecDeque::new();
    loop {
        if let Some(p) = last_path(&out) {
            path = p.into();
        }
        let Some(leg) = path.pop_front() else { return (now, driven, out) };
        driven.push(leg.edge.edge_id.clone());
        now += 1_000;
        out = agent
            .step(now, AgentInput::batch(&[], &[DriverFeedback::NodeReached { node_id: leg.to.node_id }]));
        check(&out);
    }
}

fn connection_of(message: &FromVehicle) -> &Connection {
    match message {
        FromVehicle::Connection(c) => c,
        other => panic!("not a connection: {other:?}"),
    }
}

fn error_types(state: &State) -> Vec<ErrorType> {
    state.errors.iter().map(|e| e.error_type.clone()).collect()
}

#[test]
fn rule_1_every_emitted_message_validates() {
    let mut agent = agent_at("a");
    let out = agent.step(0, AgentInput::batch(&[], &[]));
    check(&out);
    let out = agent.step(0, [AgentInput::Connection(ConnectionState::Online)]);
    let connection = out.messages.iter().find(|m| matches!(m, FromVehicle::Connection(_))).unwrap();
    let value = serde_json::to_value(connection_of(connection)).unwrap();
    assert!(schema("connection").is_none_or(|s| s.is_valid(&value)));
    let out = send(&mut agent, 10, &order("o1", 0, 0, &["a", "b", "c"], 3));
    let (_, _, out) = drive_until_stopped(&mut agent, 10, out);
    check(&out);
}

#[test]
fn rule_2_header_ids_count_up_per_topic() {
    let mut agent = Agent::new(AgentConfig::new("acme", "AGV-1", "hall-1"));
    let mut ids = vec![last_state(&agent.step(0, [place_at("a")])).header.header_id];
    for t in 1..4 {
        let out = agent.step(t * 31_000, AgentInput::batch(&[], &[]));
        ids.push(last_state(&out).header.header_id);
    }
    assert_eq!(ids, vec![0, 1, 2, 3]);
    for (state, id) in [(ConnectionState::Online, 0), (ConnectionState::Offline, 1)] {
        let out = agent.step(0, [AgentInput::Connection(state)]);
        let connection = out.messages.iter().find_map(|m| match m {
            FromVehicle::Connection(c) => Some(c.clone()),
            _ => None,
        });
        assert_eq!(connection.map(|c| (c.connection_state, c.header.header_id)), Some((state, id)));
    }
}

#[test]
fn rules_3_and_4_reported_states_keep_sequence_ids_and_base_first() {
    let mut agent = agent_at("a");
    let out = send(&mut agent, 0, &order("o1", 0, 0, &["a", "b", "c", "d"], 2));
    let state = last_state(&out);
    assert_eq!(state.last_node_id, "a");
    let seqs: Vec<u32> = state.node_states.iter().map(|n| n.sequence_id).collect();
    assert_eq!(seqs, vec![2, 4, 6]);
    let edge_seqs: Vec<u32> = state.edge_states.iter().map(|e| e.sequence_id).collect();
    assert_eq!(edge_seqs, vec![1, 3, 5]);
    let released: Vec<bool> = state.node_states.iter().map(|n| n.released).collect();
    assert_eq!(released, vec![true, false, false]);
}

#[test]
fn rule_5_an_update_stitching_at_the_decision_point_extends_the_base() {
    let mut agent = agent_at("a");
    let out = send(&mut agent, 0, &order("o1", 0, 0, &["a", "b", "c"], 2));
    let (now, driven, _) = drive_until_stopped(&mut agent, 0, out);
    assert_eq!(driven, ["a-b"]);
    let out = send(&mut agent, now + 1, &order("o1", 1, 2, &["b", "c", "d"], 3));
    assert!(error_types(last_state(&out)).is_empty(), "{:?}", last_state(&out).errors);
    let (_, driven, out) = drive_until_stopped(&mut agent, now + 1, out);
    assert_eq!(driven, ["b-c", "c-d"]);
    let state = last_state(&out);
    assert_eq!((state.last_node_id.as_str(), state.last_node_sequence_id), ("d", 6));
    assert!(state.node_states.is_empty() && state.edge_states.is_empty());
    // An update that does not stitch: orderUpdateError, order kept.
    let out = send(&mut agent, now + 50_000, &order("o1", 2, 4, &["c", "e"], 2));
    assert_eq!(error_types(last_state(&out)), [ErrorType::OrderUpdateError]);
    assert_eq!(last_state(&out).order_update_id, 1);
}

#[test]
fn rule_6_a_lower_update_id_is_an_error_and_the_order_is_kept() {
    let mut agent = agent_at("a");
    send(&mut agent, 0, &order("o1", 3, 0, &["a", "b", "c"], 2));
    let out = send(&mut agent, 1, &order("o1", 2, 2, &["b", "c"], 2));
    let state = last_state(&out);
    assert_eq!(error_types(state), [ErrorType::OrderUpdateError]);
    assert_eq!((state.order_id.as_str(), state.order_update_id), ("o1", 3));
}

#[test]
fn rule_7_a_resend_is_ignored_without_error() {
    let mut agent = agent_at("a");
    let o = order("o1", 0, 0, &["a", "b", "c"], 2);
    send(&mut agent, 0, &o);
    let out = send(&mut agent, 1, &o);
    assert!(out.messages.is_empty(), "nothing changed, nothing to say");
    assert!(drives(&out).is_empty(), "a resend does not restart driving");
    let state = agent.current_state(2);
    assert!(state.errors.is_empty());
    assert_eq!(state.node_states.len(), 2);
}

#[test]
fn rule_8_busy_rejects_new_orders_and_new_orders_must_start_here() {
    let mut agent = agent_at("a");
    let out = send(&mut agent, 0, &order("o1", 0, 0, &["x", "b"], 2));
    assert_eq!(error_types(last_state(&out)), [ErrorType::NoRouteError]);
    assert_eq!(last_state(&out).order_id, "", "not taken");
    send(&mut agent, 1, &order("o1", 0, 0, &["a", "b", "c"], 3));
    let out = send(&mut agent, 2, &order("o2", 0, 0, &["a", "d"], 2));
    let state = last_state(&out);
    assert_eq!(error_types(state), [ErrorType::OrderUpdateError]);
    assert_eq!(state.order_id, "o1");
}

#[test]
fn rule_9_never_past_the_decision_point() {
    let mut agent = agent_at("a");
    let out = send(&mut agent, 0, &order("o1", 0, 0, &["a", "b", "c", "d", "e"], 3));
    let (now, driven, out) = drive_until_stopped(&mut agent, 0, out);
    assert_eq!(driven, ["a-b", "b-c"], "stops at c, the last released node");
    let state = last_state(&out);
    assert_eq!(state.last_node_id, "c");
    assert!(!state.driving);
    assert_eq!(state.new_base_request, Some(true));
    // Nothing more however long we wait.
    let out = agent.step(now + 60_000, AgentInput::batch(&[], &[]));
    assert!(drives(&out).is_empty());
}

#[test]
fn rule_10_cancel_without_an_order_fails_with_no_order_to_cancel() {
    let mut agent = agent_at("a");
    let cancel = InstantActions {
        header: header(1),
        actions: vec![Action {
            action_type: action_types::CANCEL_ORDER.into(),
            action_id: "cancel-1".into(),
            action_description: None,
            blocking_type: BlockingType::Hard,
            action_parameters: None,
        }],
    };
    let out = agent.step(0, AgentInput::batch(&[ToVehicle::InstantActions(cancel)], &[]));
    check(&out);
    let state = last_state(&out);
    let cancel_state = state.action_states.iter().find(|a| a.action_id == "cancel-1").unwrap();
    assert_eq!(cancel_state.action_status, ActionStatus::Failed);
    let error = state.errors.iter().find(|e| e.error_type == ErrorType::NoOrderToCancel).unwrap();
    assert_eq!(error.error_level, ErrorLevel::Warning);
    assert!(error.error_references.as_ref().unwrap().iter().any(|r| r.reference_value == "cancel-1"));
}

#[test]
fn cancel_with_an_order_stops_at_the_next_node_and_fails_waiting_actions() {
    let mut agent = agent_at("a");
    let mut o = order("o1", 0, 0, &["a", "b", "c", "d"], 4);
    o.nodes[3].actions = vec![Action {
        action_type: "drop".into(),
        action_id: "drop-d".into(),
        action_description: None,
        blocking_type: BlockingType::Hard,
        action_parameters: None,
    }];
    let out = send(&mut agent, 0, &o);
    assert_eq!(drives(&out), ["a-b", "b-c", "c-d"], "the whole released base, to the HARD drop");
    let cancel = InstantActions {
        header: header(2),
        actions: vec![Action {
            action_type: action_types::CANCEL_ORDER.into(),
            action_id: "cancel-2".into(),
            action_description: None,
            blocking_type: BlockingType::Hard,
            action_parameters: None,
        }],
    };
    let out = agent.step(100, AgentInput::batch(&[ToVehicle::InstantActions(cancel)], &[]));
    let running =
        last_state(&out).action_states.iter().find(|a| a.action_id == "cancel-2").unwrap().action_status;
    assert_eq!(running, ActionStatus::Running);
    assert_eq!(drives(&out), ["a-b"], "the path is cut back to the next node");
    let out =
        agent.step(1_000, AgentInput::batch(&[], &[DriverFeedback::NodeReached { node_id: "b".into() }]));
    check(&out);
    assert!(drives(&out).is_empty());
    let state = last_state(&out);
    assert_eq!(state.last_node_id, "b");
    assert!(state.node_states.is_empty());
    let status = |id: &str| state.action_states.iter().find(|a| a.action_id == id).unwrap().action_status;
    assert_eq!(status("cancel-2"), ActionStatus::Finished);
    assert_eq!(status("drop-d"), ActionStatus::Failed);
}

#[test]
fn rule_11_state_on_change_and_at_least_every_30_s() {
    let mut agent = Agent::new(AgentConfig::new("acme", "AGV-1", "hall-1"));
    assert_eq!(agent.step(0, [place_at("a")]).messages.len(), 1, "the first step publishes a state");
    assert!(agent.step(10_000, AgentInput::batch(&[], &[])).messages.is_empty(), "nothing changed");
    assert_eq!(agent.step(30_000, AgentInput::batch(&[], &[])).messages.len(), 1, "30 s passed");
    let out = send(&mut agent, 31_000, &order("o1", 0, 0, &["a", "b"], 2));
    assert_eq!(out.messages.len(), 1, "order accepted");
    let out =
        agent.step(32_000, AgentInput::batch(&[], &[DriverFeedback::NodeReached { node_id: "b".into() }]));
    assert_eq!(last_state(&out).last_node_id, "b", "node reached");
}

#[test]
fn blocking_actions_hold_the_vehicle_until_they_finish() {
    let mut agent = agent_at("a");
    let mut o = order("o1", 0, 0, &["a", "b", "c"], 3);
    o.nodes[1].actions = vec![Action {
        action_type: "pick".into(),
        action_id: "pick-b".into(),
        action_description: None,
        blocking_type: BlockingType::Hard,
        action_parameters: Some(vec![ActionParameter { key: "loadType".into(), value: json!("KLT") }]),
    }];
    send(&mut agent, 0, &o);
    let out =
        agent.step(1_000, AgentInput::batch(&[], &[DriverFeedback::NodeReached { node_id: "b".into() }]));
    assert!(
        out.commands.iter().any(|c| matches!(c, DriverCommand::StartAction(a) if a.action_id == "pick-b"))
    );
    assert!(drives(&out).is_empty(), "held by the HARD pick");
    let running =
        DriverFeedback::Action { action_id: "pick-b".into(), status: ActionStatus::Running, result: None };
    assert!(drives(&agent.step(2_000, AgentInput::batch(&[], &[running]))).is_empty());
    let done =
        DriverFeedback::Action { action_id: "pick-b".into(), status: ActionStatus::Finished, result: None };
    let out = agent.step(3_000, AgentInput::batch(&[], &[done]));
    check(&out);
    assert_eq!(drives(&out), ["b-c"]);
}

#[test]
fn hostile_orders_are_rejected_and_the_current_order_is_kept() {
    let mut agent = agent_at("a");
    send(&mut agent, 0, &order("o1", 0, 0, &["a", "b", "c"], 3));
    let mut duplicate = order("o1", 1, 2, &["b", "c", "d"], 3);
    duplicate.nodes[2].sequence_id = 6;
    duplicate.nodes[1].sequence_id = 6;
    let out = send(&mut agent, 1, &duplicate);
    assert_eq!(error_types(last_state(&out)), [ErrorType::ValidationError]);
    let huge_ids: Vec<String> = (0..100_000).map(|i| format!("n{i}")).collect();
    let refs: Vec<&str> = std::iter::once("b").chain(huge_ids.iter().map(String::as_str)).collect();
    let mut huge = order("o1", 2, 2, &refs, 3);
    huge.edges[5].start_node_id = "elsewhere".into();
    let out = send(&mut agent, 2, &huge);
    let state = last_state(&out);
    assert!(error_types(state).contains(&ErrorType::ValidationError));
    assert_eq!((state.order_id.as_str(), state.order_update_id), ("o1", 0));
    assert_eq!(state.node_states.len(), 2, "the current order is untouched");
}

#[test]
fn unknown_instant_actions_fail_with_an_error() {
    let mut agent = agent_at("a");
    let batch = InstantActions {
        header: header(1),
        actions: vec![Action {
            action_type: "selfDestruct".into(),
            action_id: "x".into(),
            action_description: None,
            blocking_type: BlockingType::Hard,
            action_parameters: None,
        }],
    };
    let out = agent.step(0, AgentInput::batch(&[ToVehicle::InstantActions(batch)], &[]));
    check(&out);
    let state = last_state(&out);
    assert_eq!(state.action_states[0].action_status, ActionStatus::Failed);
    assert!(!state.errors.is_empty());
}

#[test]
fn charging_as_an_instant_action_goes_to_the_driver() {
    // The orchestrator ends a charge with an instant stopCharging; before
    // this was forwarded, vehicles kept charging while they drove away.
    let mut agent = agent_at("a");
    let batch = InstantActions {
        header: header(1),
        actions: vec![Action {
            action_type: action_types::STOP_CHARGING.into(),
            action_id: "stop-1".into(),
            action_description: None,
            blocking_type: BlockingType::None,
            action_parameters: None,
        }],
    };
    let out = agent.step(0, AgentInput::batch(&[ToVehicle::InstantActions(batch)], &[]));
    check(&out);
    assert!(
        out.commands.iter().any(|c| matches!(c, DriverCommand::StartAction(a) if a.action_id == "stop-1")),
        "{:?}",
        out.commands
    );
    assert!(last_state(&out).errors.is_empty());
    let done =
        DriverFeedback::Action { action_id: "stop-1".into(), status: ActionStatus::Finished, result: None };
    let out = agent.step(100, AgentInput::batch(&[], &[done]));
    let state = last_state(&out);
    let status = state.action_states.iter().find(|a| a.action_id == "stop-1").map(|a| a.action_status);
    assert_eq!(status, Some(ActionStatus::Finished));
}

#[test]
fn nodes_not_on_the_vehicles_map_are_no_route_errors() {
    let mut config = AgentConfig::new("acme", "AGV-1", "hall-1");
    config.known_nodes = Some(["a", "b", "c"].iter().map(|s| s.to_string()).collect());
    let mut agent = Agent::new(config);
    agent.step(0, [AgentInput::place(node("a", 0, true), AgvPosition::new(0.0, 0.0, 0.0, "hall-1"))]);
    let out = send(&mut agent, 0, &order("o1", 0, 0, &["a", "b", "z"], 3));
    let state = last_state(&out);
    assert_eq!(error_types(state), [ErrorType::NoRouteError]);
    assert!(state.errors[0].error_references.as_ref().unwrap().iter().any(|r| r.reference_value == "z"));
    assert_eq!(state.order_id, "");
}

#[test]
fn the_emulated_factsheet_validates_and_is_sent_on_request() {
    let emulated = agv_agent::emulated::EmulatedConfig::factory_agv("hall-1");
    let sheet = agv_agent::emulated::factsheet(&emulated, "acme", "AGV-1");
    let mut config = AgentConfig::new("acme", "AGV-1", "hall-1");
    config.factsheet = Some(Box::new(sheet));
    let mut agent = Agent::new(config);
    let request = InstantActions {
        header: header(1),
        actions: vec![Action {
            action_type: action_types::FACTSHEET_REQUEST.into(),
            action_id: "fs-1".into(),
            action_description: None,
            blocking_type: BlockingType::None,
            action_parameters: None,
        }],
    };
    let out = agent.step(0, AgentInput::batch(&[ToVehicle::InstantActions(request)], &[]));
    check(&out);
    let sheet = out.messages.iter().find_map(|m| match m {
        FromVehicle::Factsheet(f) => Some(f),
        _ => None,
    });
    let sheet = sheet.expect("factsheet sent");
    assert_eq!(sheet.physical_parameters.speed_max, 1.5);
    let outline = &sheet.agv_geometry.envelopes2d.as_ref().unwrap()[0].polygon_points;
    assert_eq!((outline[0].x, outline[0].y), (0.6, 0.4));
    assert!(sheet.protocol_features.agv_actions.iter().any(|a| a.action_type == "cancelOrder"));
}

#[test]
fn a_tugger_trains_factsheet_validates_and_outlines_the_train() {
    let mut emulated = agv_agent::emulated::EmulatedConfig::factory_agv("hall-1");
    emulated.body = (2.4, 1.1);
    emulated.trailers = vec![(2.0, 1.0), (2.0, 1.2)];
    let sheet = agv_agent::emulated::factsheet(&emulated, "acme", "TUG-1");
    check(&Outputs { messages: vec![FromVehicle::Factsheet(Box::new(sheet.clone()))], commands: vec![] });
    assert_eq!(sheet.type_specification.agv_class, AgvClass::Tugger);
    assert_eq!((sheet.physical_parameters.length, sheet.physical_parameters.width), (2.4, 1.1));
    let envelopes = sheet.agv_geometry.envelopes2d.unwrap();
    let train = envelopes.iter().find(|e| e.set == "train").expect("a train outline");
    // From the tractor's front (1.2 m ahead) to 1.2 + 2 × (0.5 + 2.0) m behind its centre, as wide as the widest part.
    let xs: Vec<f64> = train.polygon_points.iter().map(|p| p.x).collect();
    assert_eq!(xs.iter().copied().fold(f64::MIN, f64::max), 1.2);
    assert!((xs.iter().copied().fold(f64::MAX, f64::min) + 6.2).abs() < 1e-9, "{xs:?}");
    assert!(train.polygon_points.iter().all(|p| (p.y.abs() - 0.6).abs() < 1e-9));
}

#[test]
fn a_message_for_another_serial_never_reaches_the_agent() {
    use protocol::transport::memory::MemoryBus;
    use protocol::transport::{AgentEvent, AgentLink, VehicleId};
    let bus = MemoryBus::new();
    let mut link = bus.agent(VehicleId::new("acme", "AGV-1"));
    let mut wrong = order("o1", 0, 0, &["a", "b"], 2);
    wrong.header.serial_number = "AGV-2".into();
    bus.publish_raw("vda5050/v2/acme/AGV-1/order", &serde_json::to_vec(&wrong).unwrap());
    let events = link.poll();
    assert!(matches!(&events[..], [AgentEvent::Rejected(e)] if e.to_string().contains("AGV-2")));
    assert_eq!(link.stats().rejected, 1);
}

#[test]
fn a_hard_action_runs_alone_and_node_actions_run_in_order() {
    let mut agent = agent_at("a");
    let mut o = order("o1", 0, 0, &["a", "b"], 2);
    let act = |id: &str, blocking| Action {
        action_type: "vendorThing".into(),
        action_id: id.into(),
        action_description: None,
        blocking_type: blocking,
        action_parameters: None,
    };
    o.nodes[1].actions =
        vec![act("n1", BlockingType::None), act("h", BlockingType::Hard), act("n2", BlockingType::Soft)];
    send(&mut agent, 0, &o);
    let started = |out: &Outputs| -> Vec<String> {
        out.commands
            .iter()
            .filter_map(|c| match c {
                DriverCommand::StartAction(a) => Some(a.action_id.clone()),
                _ => None,
            })
            .collect()
    };
    let out =
        agent.step(1_000, AgentInput::batch(&[], &[DriverFeedback::NodeReached { node_id: "b".into() }]));
    assert_eq!(started(&out), ["n1"], "the HARD action waits for n1");
    let finish = |id: &str| DriverFeedback::Action {
        action_id: id.into(),
        status: ActionStatus::Finished,
        result: None,
    };
    let out = agent.step(2_000, AgentInput::batch(&[], &[finish("n1")]));
    assert_eq!(started(&out), ["h"], "then runs alone");
    let out = agent.step(3_000, AgentInput::batch(&[], &[finish("h")]));
    assert_eq!(started(&out), ["n2"]);
    check(&out);
}

#[test]
fn without_master_control_the_vehicle_finishes_its_base_and_says_so() {
    let mut agent = agent_at("a");
    let out = send(&mut agent, 0, &order("o1", 0, 0, &["a", "b", "c", "d"], 3));
    // The master control goes while the vehicle is on its way.
    let mut out = out;
    out.messages.extend(agent.step(0, [AgentInput::MasterControl { online: false }]).messages);
    let (now, driven, out) = drive_until_stopped(&mut agent, 0, out);
    assert_eq!(driven, ["a-b", "b-c"], "the released base is finished, nothing beyond");
    let state = last_state(&out);
    assert_eq!(state.last_node_id, "c");
    let warning = state.errors.iter().find(|e| e.error_type.as_str() == "masterControlOffline");
    assert!(warning.is_some_and(|e| e.error_level == ErrorLevel::Warning), "{:?}", state.errors);
    // Back: the warning clears at once (a state is published), the order goes on.
    let out = agent.step(now + 1, [AgentInput::MasterControl { online: true }]);
    check(&out);
    assert!(last_state(&out).errors.is_empty(), "{:?}", last_state(&out).errors);
    let out = send(&mut agent, now + 2, &order("o1", 1, 4, &["c", "d"], 2));
    let (_, driven, _) = drive_until_stopped(&mut agent, now + 2, out);
    assert_eq!(driven, ["c-d"]);
}

#[test]
fn a_state_stays_small_however_often_a_master_control_repeats_a_bad_request() {
    // Regression: a master control that sent cancelOrder again and again
    // grew the state by an error and an action state each time (100 kB in
    // two minutes). Only the latest finished instant actions and their
    // errors stay, and a repeated error replaces itself.
    let mut agent = agent_at("a");
    let mut sizes = Vec::new();
    for i in 0..300u64 {
        let cancel = InstantActions {
            header: header(i as u32),
            actions: vec![Action {
                action_type: action_types::CANCEL_ORDER.into(),
                action_id: format!("cancel-{i}"),
                action_description: None,
                blocking_type: BlockingType::Hard,
                action_parameters: None,
            }],
        };
        let out = agent.step(i * 1_000, AgentInput::batch(&[ToVehicle::InstantActions(cancel)], &[]));
        check(&out);
        let state = last_state(&out);
        assert_eq!(error_types(state).last(), Some(&ErrorType::NoOrderToCancel));
        sizes.push(serde_json::to_vec(state).unwrap().len());
    }
    let state = agent.current_state(300_000);
    assert!(state.action_states.len() <= agv_agent::agent::MAX_DONE_INSTANT, "{}", state.action_states.len());
    assert!(state.errors.len() <= agv_agent::agent::MAX_ERRORS, "{}", state.errors.len());
    assert!(sizes[299] < sizes[20] + 64, "the state stops growing (ids grow a digit): {:?}", &sizes[..20]);
    // The same bad order over and over: one error, not one per attempt.
    for i in 0..50 {
        let bad = order("o9", 0, 0, &["x", "b"], 2);
        let _ = agent.step(400_000 + i, AgentInput::batch(&[ToVehicle::Order(Box::new(bad))], &[]));
    }
    let state = agent.current_state(500_000);
    let order_errors = state.errors.iter().filter(|e| e.error_type != ErrorType::NoOrderToCancel).count();
    assert_eq!(order_errors, 1, "{:?}", state.errors);
}

#[test]
fn header_timestamps_are_iso_8601_utc_of_the_unix_time_the_wrapper_passes_in() {
    // VDA 5050: `timestamp` is ISO 8601 in UTC (YYYY-MM-DDTHH:mm:ss.ssZ); the
    // agent reads no clock, it formats the Unix-epoch milliseconds it is given.
    let mut agent = Agent::new(AgentConfig::new("acme", "AGV-1", "hall-1"));
    let now = agv_agent::agent::Millis(1_764_633_600_123); // 2025-12-02 00:00:00.123 UTC
    let out = agent.step(now, [place_at("a"), AgentInput::Connection(ConnectionState::Online)]);
    check(&out);
    for message in &out.messages {
        let value = match message {
            FromVehicle::State(s) => serde_json::to_value(s).unwrap(),
            FromVehicle::Connection(c) => serde_json::to_value(c).unwrap(),
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(value["timestamp"], "2025-12-02T00:00:00.123Z", "{value}");
    }
    assert_eq!(agent.current_state(now + 1_000).header.timestamp.unix_millis(), 1_764_633_601_123);
}
