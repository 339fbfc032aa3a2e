//! VDA 5050 over Zenoh: the wire contract between Yardmaster and vehicles.
//!
//! This crate alone decides the wire format. Today it holds the topic
//! addressing ([`topic`]); the message types, schema conformance and the
//! Zenoh transport build on it.
//!
//! ```
//! use protocol::topic::{Topic, TopicKey};
//! let key = TopicKey::new("acme", "AGV-0042", Topic::State).unwrap();
//! assert_eq!(key.to_string(), "vda5050/v2/acme/AGV-0042/state");
//! assert_eq!(TopicKey::parse("vda5050/v2/acme/AGV-0042/state").unwrap(), key);
//! ```

pub mod topic;
