//! Traffic control building blocks: the reservation table that keeps
//! vehicles apart ("safety by reservation") with every vehicle's own body
//! (conflict sets per pair of bodies), routing tables per vehicle
//! type (on grids with a one-way grain), one step of asynchronous PIBT,
//! and the reasons of waits with the deadlocks among them.

pub mod bodies;
pub mod grain;
pub mod reservations;
pub mod routing;
pub mod step;
pub mod waits;
