//! `visualization`: vehicle → displays, position at a higher rate. In the
//! 2.1.0 schema every field is optional, the header's included.

use serde::{Deserialize, Serialize};

use super::{AgvPosition, Timestamp, Velocity};

/// A visualization message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Visualization {
    /// Header id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_id: Option<u32>,
    /// When made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Protocol version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Manufacturer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agv_position: Option<AgvPosition>,
    /// Velocity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity: Option<Velocity>,
}
