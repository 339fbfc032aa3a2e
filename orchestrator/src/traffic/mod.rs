//! Traffic control building blocks: the reservation table that keeps
//! vehicles apart ("safety by reservation"), routing tables per vehicle
//! type, one step of asynchronous PIBT, and the reasons of waits with the
//! deadlocks among them.

pub mod reservations;
pub mod routing;
pub mod step;
pub mod waits;
