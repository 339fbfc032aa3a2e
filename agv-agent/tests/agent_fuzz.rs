//! Random sequences of orders (valid, malformed, hostile), instant actions
//! and driver feedback: the agent never panics, every state it emits is
//! schema-valid, and what it reports stays consistent (released before
//! unreleased, sequence ids increasing, never driving past the base).

use agv_agent::agent::{Agent, AgentConfig, AgentInput, DriverCommand, DriverFeedback};
use proptest::prelude::*;
use protocol::messages::*;
use protocol::transport::{FromVehicle, ToVehicle};

/// The official state schema, if the reference data is there (else the
/// schema check is skipped, saying so once; the fuzzing itself runs).
fn state_schema() -> Option<&'static jsonschema::Validator> {
    static SCHEMA: std::sync::OnceLock<Option<jsonschema::Validator>> = std::sync::OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let path = tests::reference(
                "vda5050/schemas/2.1.0/state.schema.json",
                "agv-agent fuzz: the schema check of states",
            )?;
            let value: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            Some(jsonschema::validator_for(&value).unwrap())
        })
        .as_ref()
}

const NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];

#[derive(Clone, Debug)]
enum Input {
    Order { id: u8, update: u32, first_seq: u32, nodes: Vec<(u8, bool)>, break_seq: bool },
    Instant { kind: u8 },
    Reach { node: u8 },
    ActionDone { which: u8, failed: bool },
    Wait { ms: u16 },
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        (
            0u8..3,
            0u32..4,
            0u32..6,
            proptest::collection::vec((0u8..5, any::<bool>()), 0..6),
            prop::bool::weighted(0.1)
        )
            .prop_map(|(id, update, first_seq, nodes, break_seq)| Input::Order {
                id,
                update,
                first_seq: first_seq * 2,
                nodes,
                break_seq
            }),
        (0u8..8).prop_map(|kind| Input::Instant { kind }),
        (0u8..5).prop_map(|node| Input::Reach { node }),
        (0u8..4, any::<bool>()).prop_map(|(which, failed)| Input::ActionDone { which, failed }),
        (0u16..40_000).prop_map(|ms| Input::Wait { ms }),
    ]
}

fn build_order(id: u8, update: u32, first_seq: u32, nodes: &[(u8, bool)], break_seq: bool) -> Order {
    let mut released_so_far = true;
    let node_list: Vec<Node> = nodes
        .iter()
        .enumerate()
        .map(|(i, &(n, released))| {
            released_so_far &= released || i == 0;
            let mut node = Node::new(NAMES[n as usize], first_seq + 2 * i as u32, released_so_far);
            if i % 2 == 1 {
                node.actions = vec![Action {
                    action_type: "pick".into(),
                    action_id: format!("act-{id}-{update}-{i}"),
                    action_description: None,
                    blocking_type: if i % 4 == 1 { BlockingType::Hard } else { BlockingType::None },
                    action_parameters: None,
                }];
            }
            node
        })
        .collect();
    let mut edges: Vec<Edge> = node_list
        .windows(2)
        .map(|w| {
            Edge::new(
                format!("{}-{}", w[0].node_id, w[1].node_id),
                w[0].sequence_id + 1,
                w[0].node_id.clone(),
                w[1].node_id.clone(),
                w[1].released,
            )
        })
        .collect();
    if break_seq && !edges.is_empty() {
        edges[0].sequence_id += 2;
    }
    Order {
        header: Header {
            header_id: update,
            timestamp: Timestamp::from_unix_millis(0),
            version: PROTOCOL_VERSION.into(),
            manufacturer: "acme".into(),
            serial_number: "F-1".into(),
        },
        order_id: format!("o{id}"),
        order_update_id: update,
        zone_set_id: None,
        nodes: node_list,
        edges,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_agent_survives_anything_and_reports_consistently(inputs in proptest::collection::vec(input(), 1..40)) {
        let mut agent = Agent::new(AgentConfig::new("acme", "F-1", "hall"));
        agent.step(0, [AgentInput::place(Node::new("a", 0, true), AgvPosition::new(0.0, 0.0, 0.0, "hall"))]);
        let mut now = 0u64;
        let mut path: std::collections::VecDeque<String> = std::collections::VecDeque::new();
        let mut started: Vec<String> = Vec::new();
        for inp in inputs {
            let (inbound, feedback) = match inp {
                Input::Order { id, update, first_seq, nodes, break_seq } => {
                    (vec![ToVehicle::Order(Box::new(build_order(id, update, first_seq, &nodes, break_seq)))], vec![])
                }
                Input::Instant { kind } => {
                    let action_type = ["startPause", "stopPause", "cancelOrder", "stateRequest", "factsheetRequest", "initPosition", "bogus", "cancelOrder"][kind as usize];
                    let batch = InstantActions {
                        header: Header { header_id: 0, timestamp: Timestamp::from_unix_millis(0), version: PROTOCOL_VERSION.into(), manufacturer: "acme".into(), serial_number: "F-1".into() },
                        actions: vec![Action { action_type: action_type.into(), action_id: format!("ia-{now}-{kind}"), action_description: None, blocking_type: BlockingType::Hard, action_parameters: None }],
                    };
                    (vec![ToVehicle::InstantActions(batch)], vec![])
                }
                Input::Reach { node } => {
                    // Usually where it was sent; sometimes a lie.
                    let next = if node != 4 { path.pop_front() } else { None };
                    let id = next.unwrap_or_else(|| NAMES[node as usize].to_string());
                    (vec![], vec![DriverFeedback::NodeReached { node_id: id }])
                }
                Input::ActionDone { which, failed } => match started.get(which as usize) {
                    Some(id) => (vec![], vec![DriverFeedback::Action { action_id: id.clone(), status: if failed { ActionStatus::Failed } else { ActionStatus::Finished }, result: None }]),
                    None => (vec![], vec![]),
                },
                Input::Wait { ms } => {
                    now += u64::from(ms);
                    (vec![], vec![])
                }
            };
            now += 100;
            let out = agent.step(now, AgentInput::batch(&inbound, &feedback));
            for c in &out.commands {
                match c {
                    DriverCommand::Drive { path: legs } => {
                        prop_assert!(!legs.is_empty(), "an empty path");
                        prop_assert!(legs.iter().all(|l| l.edge.released && l.to.released), "drove beyond the base");
                        prop_assert!(
                            legs.iter().rev().skip(1).all(|l| l.to.actions.iter().all(|a| a.blocking_type == BlockingType::None)),
                            "a path through a node where a blocking action makes the vehicle stop"
                        );
                        path = legs.iter().map(|l| l.to.node_id.clone()).collect();
                    }
                    DriverCommand::StartAction(a) => started.push(a.action_id.clone()),
                    _ => {}
                }
            }
            for m in &out.messages {
                if let FromVehicle::State(s) = m {
                    let value = serde_json::to_value(s.as_ref()).unwrap();
                    prop_assert!(state_schema().is_none_or(|s| s.is_valid(&value)), "invalid state {value:#}");
                    let released: Vec<bool> = s.node_states.iter().map(|n| n.released).collect();
                    prop_assert!(released.windows(2).all(|w| w[0] || !w[1]), "released after unreleased: {released:?}");
                    let seqs: Vec<u32> = s.node_states.iter().map(|n| n.sequence_id).collect();
                    prop_assert!(seqs.windows(2).all(|w| w[0] < w[1]), "node sequence ids not increasing: {seqs:?}");
                }
            }
        }
    }
}
