//! VDA 5050 2.1 messages as Rust types (serde, camelCase on the wire).
//!
//! Every message embeds the common [`Header`]. Enumerations are Rust enums;
//! optional fields are `Option` and are left out of the JSON when `None`.
//! Unknown fields that vendors add are ignored on input. Integers the
//! standard defines as `uint32` (header ids, sequence ids, update ids) are
//! `u32`, so a negative one is rejected on decoding.

mod common;
mod connection;
mod factsheet;
mod instant_actions;
mod order;
mod state;
mod visualization;

pub use common::*;
pub use connection::*;
pub use factsheet::*;
pub use instant_actions::*;
pub use order::*;
pub use state::*;
pub use visualization::*;

/// The protocol version we speak.
pub const PROTOCOL_VERSION: &str = "2.1.0";
