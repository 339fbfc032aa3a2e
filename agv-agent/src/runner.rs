//! One step of a vehicle: link in, driver feedback in, agent step, link
//! out, driver commands out. The same function drives emulated vehicles in
//! the binary and a vendor's real vehicle.

use protocol::messages::ConnectionState;
use protocol::transport::{AgentEvent, AgentLink, FromVehicle, TransportError};

use crate::agent::{Agent, AgentInput, Millis};
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
    let mut report = StepReport::default();
    let mut inputs: Vec<AgentInput> = driver.poll(now).into_iter().map(AgentInput::Feedback).collect();
    for event in link.poll() {
        match event {
            AgentEvent::Message(m) => inputs.push(AgentInput::Message(m)),
            AgentEvent::Rejected(_) => report.rejected += 1,
            AgentEvent::MasterControl { online } => {
                inputs.push(AgentInput::MasterControl { online });
                report.master_control = Some(online);
            }
        }
    }
    let out = agent.step(now, inputs);
    for command in &out.commands {
        driver.command(now, command);
    }
    for message in &out.messages {
        link.send(message)?;
        report.published += 1;
    }
    Ok(report)
}

/// Start-up: applies `first` (typically the vehicle's placement), then
/// publishes `connection` ONLINE and a first state.
pub fn start(
    now: Millis,
    agent: &mut Agent,
    link: &mut dyn AgentLink,
    first: impl IntoIterator<Item = AgentInput>,
) -> Result<(), TransportError> {
    let inputs = first.into_iter().chain([AgentInput::Connection(ConnectionState::Online)]);
    let out = agent.step(now, inputs);
    for message in &out.messages {
        link.send(message)?;
    }
    Ok(())
}

/// The messages of a clean shutdown: `connection` OFFLINE (and a last
/// state if one was due). Send them before withdrawing the vehicle's
/// presence.
pub fn goodbye(now: Millis, agent: &mut Agent) -> Vec<FromVehicle> {
    agent.step(now, [AgentInput::Connection(ConnectionState::Offline)]).messages
}
