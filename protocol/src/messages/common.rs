//! Types shared by several topics: header, timestamp, actions, positions,
//! trajectories.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant on the wire: ISO 8601 / RFC 3339 (`2026-11-24T10:40:03.12Z`).
///
/// The cores never read a clock: they make timestamps from the injected
/// time with [`Timestamp::at`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub OffsetDateTime);

impl Timestamp {
    /// The timestamp of an instant of the cores' clock (Unix-epoch
    /// milliseconds in live operation), as VDA 5050 wants it: ISO 8601 in
    /// UTC, `YYYY-MM-DDTHH:mm:ss.fffZ`.
    pub fn at(time: crate::instant::Millis) -> Timestamp {
        Timestamp::from_unix_millis(time.0)
    }

    /// The instant `millis` milliseconds after 1970-01-01T00:00:00Z.
    pub fn from_unix_millis(millis: u64) -> Timestamp {
        let nanos = i128::from(millis) * 1_000_000;
        Timestamp(OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH))
    }

    /// Milliseconds since 1970-01-01T00:00:00Z (negative before).
    pub fn unix_millis(&self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// Parses RFC 3339 text.
    pub fn parse(text: &str) -> Result<Timestamp, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(Timestamp)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(|e| {
            serde::de::Error::custom(format!("timestamp {text:?} is not ISO 8601 / RFC 3339 ({e})"))
        })
    }
}

/// The header every message starts with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// +1 per message sent on a topic by a sender.
    pub header_id: u32,
    /// When the message was made.
    pub timestamp: Timestamp,
    /// Protocol version, `2.1.0`.
    pub version: String,
    /// Vehicle manufacturer (must match the key).
    pub manufacturer: String,
    /// Vehicle serial number (must match the key).
    pub serial_number: String,
}

/// VDA 5050 blocking type of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BlockingType {
    /// Driving and other actions may continue.
    None,
    /// Other actions may run, driving may not.
    Soft,
    /// Nothing else may happen meanwhile.
    Hard,
}

/// One parameter of an action. Its value may be any JSON but `null`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionParameter {
    /// Parameter name, e.g. `loadType`.
    pub key: String,
    /// Parameter value: array, boolean, number, string or object.
    #[serde(deserialize_with = "non_null")]
    pub value: serde_json::Value,
}

fn non_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<serde_json::Value, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.is_null() {
        return Err(serde::de::Error::custom("an action parameter value may not be null"));
    }
    Ok(value)
}

/// An action on a node, an edge, or as an instant action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// What to do: `pick`, `drop`, `startCharging`, …, or vendor-specific.
    pub action_type: String,
    /// Unique id, referenced by action states.
    pub action_id: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_description: Option<String>,
    /// What else may happen while it runs.
    pub blocking_type: BlockingType,
    /// Parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_parameters: Option<Vec<ActionParameter>>,
}

/// A NURBS trajectory (order edges, edge states).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trajectory {
    /// Degree, at least 1.
    pub degree: u32,
    /// Knots in `[0, 1]`.
    pub knot_vector: Vec<f64>,
    /// Control points.
    pub control_points: Vec<ControlPoint>,
}

/// A NURBS control point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlPoint {
    /// X, m.
    pub x: f64,
    /// Y, m.
    pub y: f64,
    /// Weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// Where the vehicle is (state, visualization).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgvPosition {
    /// X, m.
    pub x: f64,
    /// Y, m.
    pub y: f64,
    /// Heading, rad.
    pub theta: f64,
    /// Map the position refers to.
    pub map_id: String,
    /// Map description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_description: Option<String>,
    /// Whether the vehicle knows where it is.
    pub position_initialized: bool,
    /// Localisation quality in `[0, 1]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localization_score: Option<f64>,
    /// Position uncertainty, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation_range: Option<f64>,
}

impl AgvPosition {
    /// An initialised position on `map_id`, with no score or deviation.
    pub fn new(x: f64, y: f64, theta: f64, map_id: impl Into<String>) -> AgvPosition {
        AgvPosition {
            x,
            y,
            theta,
            map_id: map_id.into(),
            map_description: None,
            position_initialized: true,
            localization_score: None,
            deviation_range: None,
        }
    }
}

/// The vehicle's velocity in its own frame.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Velocity {
    /// Forward, m/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vx: Option<f64>,
    /// Sideways, m/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vy: Option<f64>,
    /// Turn rate, rad/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omega: Option<f64>,
}

/// A load's bounding box reference point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoundingBoxReference {
    /// X, m.
    pub x: f64,
    /// Y, m.
    pub y: f64,
    /// Z, m.
    pub z: f64,
    /// Orientation, rad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
}

/// A load's dimensions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadDimensions {
    /// Length, m.
    pub length: f64,
    /// Width, m.
    pub width: f64,
    /// Height, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
}
