//! Zenoh key expressions for VDA 5050 topics, built and parsed in this one
//! place: `vda5050/v2/{manufacturer}/{serialNumber}/{topic}`.

use std::fmt;
use std::str::FromStr;

/// The interface name and major version that prefix every key.
pub const PREFIX: &str = "vda5050/v2";

/// A VDA 5050 topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    /// Master control → vehicle: driving orders.
    Order,
    /// Master control → vehicle: actions to run now.
    InstantActions,
    /// Vehicle → master control: the vehicle's state.
    State,
    /// Vehicle → master control: online / offline / connection broken.
    Connection,
    /// Vehicle → master control: capabilities.
    Factsheet,
    /// Vehicle → visualisation: position at a higher rate.
    Visualization,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 6] = [
        Topic::Order,
        Topic::InstantActions,
        Topic::State,
        Topic::Connection,
        Topic::Factsheet,
        Topic::Visualization,
    ];

    /// The topic's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Order => "order",
            Topic::InstantActions => "instantActions",
            Topic::State => "state",
            Topic::Connection => "connection",
            Topic::Factsheet => "factsheet",
            Topic::Visualization => "visualization",
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Topic {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Topic, KeyError> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| KeyError::UnknownTopic(s.to_string()))
    }
}

/// A key expression that is not a VDA 5050 topic key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key does not start with `vda5050/v2/`.
    #[error("key {0:?} does not start with {PREFIX}/")]
    WrongPrefix(String),
    /// The key does not have exactly manufacturer / serial / topic after the prefix.
    #[error("key {0:?}: expected {PREFIX}/{{manufacturer}}/{{serialNumber}}/{{topic}}")]
    WrongShape(String),
    /// The last segment is not a VDA 5050 topic.
    #[error(
        "unknown topic {0:?}: expected one of order, instantActions, state, connection, factsheet, visualization"
    )]
    UnknownTopic(String),
    /// A manufacturer or serial number that cannot be one key segment.
    #[error(
        "{what} {value:?} is not a valid key segment: it must be non-empty and contain none of / * $ # ? or spaces"
    )]
    BadSegment {
        /// "manufacturer" or "serial number".
        what: &'static str,
        /// The value.
        value: String,
    },
}

/// The key of one vehicle's topic.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicKey {
    /// Vehicle manufacturer.
    pub manufacturer: String,
    /// Vehicle serial number.
    pub serial_number: String,
    /// Topic.
    pub topic: Topic,
}

fn check_segment(what: &'static str, value: &str) -> Result<(), KeyError> {
    let bad = value.is_empty()
        || value
            .chars()
            .any(|c| matches!(c, '/' | '*' | '$' | '#' | '?' | '+') || c.is_whitespace() || c.is_control());
    if bad { Err(KeyError::BadSegment { what, value: value.to_string() }) } else { Ok(()) }
}

impl TopicKey {
    /// A key, checking that manufacturer and serial are valid segments.
    pub fn new(manufacturer: &str, serial_number: &str, topic: Topic) -> Result<TopicKey, KeyError> {
        check_segment("manufacturer", manufacturer)?;
        check_segment("serial number", serial_number)?;
        Ok(TopicKey {
            manufacturer: manufacturer.to_string(),
            serial_number: serial_number.to_string(),
            topic,
        })
    }

    /// Parses a key expression.
    pub fn parse(key: &str) -> Result<TopicKey, KeyError> {
        let rest = key
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| KeyError::WrongPrefix(key.to_string()))?;
        let parts: Vec<&str> = rest.split('/').collect();
        let [manufacturer, serial, topic] = parts[..] else {
            return Err(KeyError::WrongShape(key.to_string()));
        };
        TopicKey::new(manufacturer, serial, topic.parse()?)
    }

    /// The key expression selecting one topic of every vehicle.
    pub fn all_vehicles(topic: Topic) -> String {
        format!("{PREFIX}/*/*/{topic}")
    }
}

impl fmt::Display for TopicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}/{}/{}/{}", self.manufacturer, self.serial_number, self.topic)
    }
}

/// Every key of every vehicle (observers).
pub fn all_vehicle_keys() -> String {
    format!("{PREFIX}/**")
}

/// A vehicle's liveliness token key, `vda5050/v2/{manufacturer}/{serial}/alive`.
pub fn vehicle_presence_key(manufacturer: &str, serial_number: &str) -> String {
    format!("{PREFIX}/{manufacturer}/{serial_number}/alive")
}

/// Every vehicle's liveliness token.
pub fn any_vehicle_presence() -> String {
    format!("{PREFIX}/*/*/alive")
}

/// The manufacturer and serial number of a vehicle's liveliness token key.
pub fn parse_vehicle_presence(key: &str) -> Option<(String, String)> {
    let rest = key.strip_prefix(PREFIX)?.strip_prefix('/')?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts[..] {
        [m, s, "alive"] => TopicKey::new(m, s, Topic::State).ok().map(|k| (k.manufacturer, k.serial_number)),
        _ => None,
    }
}

/// The prefix of Yardmaster's own keys for a site (outside the VDA 5050
/// key space): `yardmaster/{site}`.
fn site_prefix(site: &str) -> String {
    format!("yardmaster/{site}")
}

/// The liveliness key a master control of `site` declares while it runs.
pub fn master_presence_key(site: &str) -> String {
    format!("{}/alive", site_prefix(site))
}

/// What agents watch: the master control of any site.
pub const ANY_MASTER_PRESENCE: &str = "yardmaster/*/alive";

/// The key of one request of a site's API (`orders/add`, `status`, …).
pub fn api_key(site: &str, request: &str) -> String {
    format!("{}/{request}", site_prefix(site))
}

/// What a site's API queryable declares.
pub fn api_keys(site: &str) -> String {
    format!("{}/**", site_prefix(site))
}

/// The request named by an API key of `site` (`orders/add`, …), if it is one.
pub fn parse_api_key<'k>(site: &str, key: &'k str) -> Option<&'k str> {
    key.strip_prefix(&site_prefix(site))?.strip_prefix('/')
}

/// Where a site's orchestrator publishes its events.
pub fn events_key(site: &str) -> String {
    api_key(site, "events")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_round_trips() {
        for topic in Topic::ALL {
            let key = TopicKey::new("yard", "V-1", topic).unwrap();
            assert_eq!(TopicKey::parse(&key.to_string()).unwrap(), key);
        }
    }

    #[test]
    fn malformed_keys_are_rejected_with_the_reason() {
        type Check = fn(&KeyError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("vda5050/v1/a/b/state", |e| matches!(e, KeyError::WrongPrefix(_))),
            ("vda5050/v2/a/state", |e| matches!(e, KeyError::WrongShape(_))),
            ("vda5050/v2/a/b/c/state", |e| matches!(e, KeyError::WrongShape(_))),
            ("vda5050/v2/a/b/status", |e| matches!(e, KeyError::UnknownTopic(_))),
            ("vda5050/v2//b/state", |e| matches!(e, KeyError::BadSegment { what: "manufacturer", .. })),
            ("vda5050/v2/a/*/state", |e| matches!(e, KeyError::BadSegment { what: "serial number", .. })),
            ("", |e| matches!(e, KeyError::WrongPrefix(_))),
        ];
        for (key, check) in cases {
            let err = TopicKey::parse(key).unwrap_err();
            assert!(check(&err), "{key}: {err:?}");
        }
        assert!(TopicKey::new("a b", "x", Topic::State).is_err());
    }

    #[test]
    fn yardmaster_keys_round_trip() {
        assert_eq!(parse_api_key("s1", &api_key("s1", "orders/add")), Some("orders/add"));
        assert_eq!(parse_api_key("s1", &api_key("s2", "orders/add")), None);
        assert_eq!(parse_api_key("s1", "yardmaster/s10/status"), None);
        assert_eq!(
            parse_vehicle_presence(&vehicle_presence_key("acme", "V-1")),
            Some(("acme".into(), "V-1".into()))
        );
        assert_eq!(parse_vehicle_presence("vda5050/v2/acme/V-1/state"), None);
        assert_eq!(master_presence_key("s1"), "yardmaster/s1/alive");
    }

    #[test]
    fn wildcard_selects_all_vehicles() {
        assert_eq!(TopicKey::all_vehicles(Topic::State), "vda5050/v2/*/*/state");
    }
}
