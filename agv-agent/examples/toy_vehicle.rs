//! A minimal vendor integration. A toy vehicle implements
//! [`VehicleDriver`] in a few lines: it drives the path the agent hands it
//! (one node a second, through the nodes without stopping, to the path's
//! end), takes a longer path as it comes, and finishes every action in
//! half a second; the agent core turns it
//! into a VDA 5050 vehicle. A stand-in master control sends it an order
//! over the in-memory link; the example steps virtual time until the
//! vehicle reports the order done, prints what happened, and exits 0.
//!
//! `cargo run -p agv-agent --example toy_vehicle`

#![expect(clippy::print_stdout, reason = "an example narrates")]

use std::collections::VecDeque;

use agv_agent::agent::{Agent, AgentConfig, AgentInput, DriverCommand, DriverFeedback, Millis};
use agv_agent::driver::VehicleDriver;
use agv_agent::runner;
use protocol::messages::*;
use protocol::transport::memory::MemoryBus;
use protocol::transport::{FromVehicle, OrchestratorEvent, OrchestratorLink, ToVehicle, VehicleId};

/// The vendor's side: the nodes still to pass, when the toy reaches the
/// next one, and the actions it is running.
#[derive(Default)]
struct Toy {
    path: VecDeque<String>,
    next_at: Millis,
    actions: Vec<(String, Millis)>,
}

impl VehicleDriver for Toy {
    fn command(&mut self, now: Millis, command: &DriverCommand) {
        match command {
            DriverCommand::Drive { path } => {
                // A new path starts with the node the toy is heading to: a
                // moving toy keeps its time there, a standing one sets off.
                if self.path.is_empty() {
                    self.next_at = now + 1_000;
                }
                self.path = path.iter().map(|leg| leg.to.node_id.clone()).collect();
            }
            DriverCommand::StartAction(a) => self.actions.push((a.action_id.clone(), now + 500)),
            _ => {}
        }
    }

    fn poll(&mut self, now: Millis) -> Vec<DriverFeedback> {
        let mut feedback = Vec::new();
        while now >= self.next_at
            && let Some(node_id) = self.path.pop_front()
        {
            feedback.push(DriverFeedback::NodeReached { node_id });
            self.next_at += 1_000;
        }
        self.actions.retain(|(id, at)| {
            let done = now >= *at;
            if done {
                feedback.push(DriverFeedback::Action {
                    action_id: id.clone(),
                    status: ActionStatus::Finished,
                    result: None,
                });
            }
            !done
        });
        feedback
    }
}

fn node(id: &str, seq: u32, actions: Vec<Action>) -> Node {
    Node { actions, ..Node::new(id, seq, true) }
}

fn edge(from: &str, to: &str, seq: u32) -> Edge {
    Edge::new(format!("{from}-{to}"), seq, from, to, true)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bus = MemoryBus::new();
    let mut master = bus.orchestrator();
    let vehicle = VehicleId::new("toyco", "TOY-1");
    let mut link = bus.agent(vehicle.clone());
    let mut agent = Agent::new(AgentConfig::new("toyco", "TOY-1", "floor"));
    agent.step(0, [AgentInput::place(node("dock", 0, vec![]), AgvPosition::new(0.0, 0.0, 0.0, "floor"))]);
    let mut toy = Toy::default();

    let drop = Action {
        action_type: "drop".into(),
        action_id: "drop-1".into(),
        action_description: None,
        blocking_type: BlockingType::Hard,
        action_parameters: None,
    };
    let order = Order {
        header: Header {
            header_id: 0,
            timestamp: Timestamp::from_unix_millis(0),
            version: PROTOCOL_VERSION.into(),
            manufacturer: "toyco".into(),
            serial_number: "TOY-1".into(),
        },
        order_id: "deliver-1".into(),
        order_update_id: 0,
        zone_set_id: None,
        nodes: vec![node("dock", 0, vec![]), node("aisle", 2, vec![]), node("line", 4, vec![drop])],
        edges: vec![edge("dock", "aisle", 1), edge("aisle", "line", 3)],
    };
    master.send(&vehicle, &ToVehicle::Order(Box::new(order)))?;

    for tick in 0..600u64 {
        let now = Millis(tick * 100);
        runner::step(now, &mut agent, &mut toy, &mut link)?;
        for event in master.poll() {
            if let OrchestratorEvent::Message { message: FromVehicle::State(state), .. } = event {
                let done = state.order_id == "deliver-1"
                    && state.node_states.is_empty()
                    && state.action_states.iter().all(|a| a.action_status == ActionStatus::Finished);
                println!(
                    "t={:>5} ms  last node {:<6} driving {:<5} actions {:?}",
                    now,
                    state.last_node_id,
                    state.driving,
                    state
                        .action_states
                        .iter()
                        .map(|a| (a.action_id.as_str(), a.action_status))
                        .collect::<Vec<_>>()
                );
                if done {
                    println!("order deliver-1 done at t={now} ms");
                    return Ok(());
                }
            }
        }
    }
    Err("the toy vehicle did not finish its order within a minute of virtual time".into())
}
