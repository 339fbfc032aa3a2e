//! Traffic control building blocks: the reservation table that keeps
//! vehicles apart ("safety by reservation"), and the reasons of waits with
//! the deadlocks among them.

pub mod reservations;
pub mod waits;
