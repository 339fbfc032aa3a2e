//! The on-vehicle agent AGV vendors embed (an API boundary: changes here
//! are changes for vendors).
//!
//! - [`agent`]: the sans-IO core, `Agent::step(now, inputs) -> Outputs {
//!   messages, commands }` with every input one `AgentInput`: VDA 5050
//!   order acceptance, driving the released base as one path, actions,
//!   instant actions, state.
//! - [`driver`]: the `VehicleDriver` trait vendors implement.
//! - [`emulated`]: the reference driver, an emulated vehicle.
//! - [`runner`]: one step of agent + driver + link.
//! - [`motion`]: the trapezoidal motion model of the emulated vehicle.
//!
//! ```
//! use agv_agent::agent::{Agent, AgentConfig, AgentInput};
//! use protocol::messages::ConnectionState;
//! let mut agent = Agent::new(AgentConfig::new("acme", "AGV-1", "hall-1"));
//! let out = agent.step(0, [AgentInput::Connection(ConnectionState::Online)]);
//! assert_eq!(out.messages.len(), 2); // connection ONLINE, then the first state
//! ```

pub mod agent;
pub mod driver;
pub mod emulated;
pub mod motion;
pub mod runner;
