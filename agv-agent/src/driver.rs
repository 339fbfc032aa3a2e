//! The vendor's side: one trait to implement for the vehicle's hardware.

use crate::agent::{DriverCommand, DriverFeedback, Millis};

/// What a vehicle must do for the agent. Implement it for your hardware;
/// [`crate::emulated::EmulatedVehicle`] is the reference implementation.
///
/// The agent calls [`VehicleDriver::command`] for each command of a step,
/// and [`VehicleDriver::poll`] once per step for what happened since.
pub trait VehicleDriver {
    /// Takes one command: drive an edge to its end node, start or cancel
    /// an action, pause, resume.
    fn command(&mut self, now: Millis, command: &DriverCommand);
    /// Reports what happened up to `now`: nodes reached, action progress,
    /// pose, battery, errors.
    fn poll(&mut self, now: Millis) -> Vec<DriverFeedback>;
}
