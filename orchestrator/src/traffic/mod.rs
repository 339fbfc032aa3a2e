//! Traffic control building blocks: the reservation table that keeps
//! vehicles apart ("safety by reservation").

pub mod reservations;
