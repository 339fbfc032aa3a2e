//! VDA 5050 2.1 over Zenoh: the wire contract between Yardmaster and its
//! vehicles. **This crate alone decides the wire format**; AGV vendors read
//! its types first.
//!
//! - [`messages`]: every topic's message as Rust types (serde, camelCase).
//! - [`codec`]: encoding, and decoding of untrusted bytes with limits and
//!   precise errors (topic, key, JSON path, reason).
//! - [`order_rules`]: order validation, the vehicle's acceptance flow and
//!   update stitching, with the standard rejection reasons.
//! - [`topic`]: key expressions `vda5050/v2/{manufacturer}/{serialNumber}/{topic}`.
//! - [`transport`]: the two sides' link traits, an in-memory bus and the
//!   Zenoh implementation.
//!
//! ```
//! use protocol::codec::{decode, DecodeLimits};
//! use protocol::messages::Connection;
//! use protocol::topic::{Topic, TopicKey};
//! let key = TopicKey::new("acme", "AGV-7", Topic::Connection).unwrap();
//! let bytes = br#"{"headerId": 1, "timestamp": "2026-11-24T10:40:03.12Z", "version": "2.1.0",
//!   "manufacturer": "acme", "serialNumber": "AGV-7", "connectionState": "ONLINE"}"#;
//! let msg: Connection = decode(&key, bytes, &DecodeLimits::default()).unwrap();
//! assert_eq!(msg.header.header_id, 1);
//! ```

pub mod codec;
pub mod instant;
pub mod messages;
pub mod order_rules;
pub mod topic;
pub mod transport;
