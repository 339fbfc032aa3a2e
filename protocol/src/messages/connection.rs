//! `connection`: vehicle → master control, the link's state.

use serde::{Deserialize, Serialize};

use super::Header;

/// Whether a vehicle is reachable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConnectionState {
    /// Connected.
    #[serde(rename = "ONLINE")]
    Online,
    /// Disconnected on purpose.
    #[serde(rename = "OFFLINE")]
    Offline,
    /// Lost without a goodbye (MQTT last will; Zenoh liveliness).
    #[serde(rename = "CONNECTIONBROKEN")]
    ConnectionBroken,
}

/// A connection message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// Common header.
    #[serde(flatten)]
    pub header: Header,
    /// The state.
    pub connection_state: ConnectionState,
}
