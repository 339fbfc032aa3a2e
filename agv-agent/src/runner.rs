//! One step of a vehicle: link in, driver feedback in, agent step, link
//! out, driver commands out. The same function drives emulated vehicles in
//! the binary and a vendor's real vehicle.

use protocol::transport::{AgentEvent, AgentLink, TransportError};

use crate::agent::{Agent, Millis};
use crate::driver::VehicleDriver;

/// Counts of what one step did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Messages published.
    pub published: usize,
    /// Payloads that arrived but did not decode.
    pub rejected: usize,
    /// The master control came (`Some(true)`) or went (`Some(false)`).
    pub master_control: Option<bool>,
}

/// Runs one step at `now`.
pub fn step(
    now: Millis,
    agent: &mut Agent,
    driver: &mut dyn VehicleDriver,
    link: &mut dyn AgentLink,
) -> Result<StepReport, TransportError> {
    let mut inbound = Vec::new();
    let mut report = StepReport::default();
    for event in link.poll() {
        match event {
            AgentEvent::Message(m) => inbound.push(m),
            AgentEvent::Rejected(_) => report.rejected += 1,
            AgentEvent::MasterControl { online } => {
                agent.set_master_control(online);
                report.master_control = Some(online);
            }
        }
    }
    let feedback = driver.poll(now);
    let out = agent.step(now, &inbound, &feedback);
    for command in &out.commands {
        driver.command(now, command);
    }
    for message in &out.messages {
        link.send(message)?;
        report.published += 1;
    }
    Ok(report)
}

/// Start-up: publishes `connection` ONLINE and a first state.
pub fn start(now: Millis, agent: &mut Agent, link: &mut dyn AgentLink) -> Result<(), TransportError> {
    let online = agent.connection(now, protocol::messages::ConnectionState::Online);
    link.send(&protocol::transport::FromVehicle::Connection(online))?;
    let state = agent.state(now);
    link.send(&protocol::transport::FromVehicle::State(Box::new(state)))
}

/// The OFFLINE `connection` message for a clean shutdown (hand it to the
/// link's `close`, which sends it before withdrawing the vehicle's presence).
pub fn goodbye(now: Millis, agent: &mut Agent) -> protocol::messages::Connection {
    agent.connection(now, protocol::messages::ConnectionState::Offline)
}
