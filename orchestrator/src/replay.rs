//! Record and replay: every input of the core (each inbound message as it
//! arrived, each tick's time, each order command) and a digest of every
//! output, as JSON lines; and the replay that feeds a recording to a fresh
//! core and checks that every output is the same. Because the core is
//! sans-IO, an incident on the floor becomes a deterministic test case.
//!
//! Format (version 1), one JSON object per line: a header
//! `{"journal":"yardmaster","version":1,"layout":…,"manufacturer":…,"serials":[…],"vehicle_type":…}`,
//! then entries `{"restore":{…}}`, `{"submit":{…}}`, `{"cancel":{…}}` and
//! `{"step":{"now":…,"inbound":[…],"out":"<sha-256 of the outputs>"}}`.
//! Inbound messages are kept as their key and payload, so that replay
//! decodes them with the same codec (and rejects the same garbage).

use std::sync::Arc;

use layout::Layout;
use protocol::codec::{DecodeError, DecodeErrorKind, DecodeLimits};
use protocol::messages::ConnectionState;
use protocol::topic::TopicKey;
use protocol::transport::{FromVehicle, OrchestratorEvent, ToVehicle, VehicleId};
use serde::{Deserialize, Serialize};

use crate::fleet::{FleetConfig, Orchestrator, Outbound, SetupError, VehicleSpec};
use crate::journal::StoredOrder;
use crate::orders::{Millis, OrderRequest};

/// The first line of a recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always `yardmaster`.
    pub journal: String,
    /// Format version (1).
    pub version: u32,
    /// The layout file, as given to `serve`.
    pub layout: String,
    /// Manufacturer of the fleet.
    pub manufacturer: String,
    /// Serial numbers, in fleet order.
    pub serials: Vec<String>,
    /// Vehicle type of the fleet.
    pub vehicle_type: String,
    /// The fleet vehicle by vehicle, when it has several types or load
    /// types (then `serials` and `vehicle_type` are informative only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fleet: Vec<crate::fleet::FleetEntry>,
}

/// An inbound event as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Inbound {
    /// A message: its key and payload.
    Message {
        /// The key.
        key: String,
        /// The payload (JSON text).
        payload: String,
    },
    /// A presence change.
    Presence {
        /// Manufacturer.
        manufacturer: String,
        /// Serial number.
        serial: String,
        /// `ONLINE`, `OFFLINE` or `CONNECTIONBROKEN`.
        state: ConnectionState,
    },
    /// A payload the link rejected: its key and why.
    Rejected {
        /// The key.
        key: String,
        /// Why, in the codec's terms.
        why: Rejection,
    },
}

/// A decode error's kind, owned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Rejection {
    /// Too large.
    TooLarge {
        /// Bytes.
        bytes: usize,
        /// Limit.
        max: usize,
    },
    /// Not JSON.
    Syntax {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// Message.
        message: String,
    },
    /// Array too long.
    ArrayTooLong {
        /// Path.
        path: String,
        /// Length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Not a valid message.
    Invalid {
        /// Path.
        path: String,
        /// Message.
        message: String,
    },
    /// Header and key disagree.
    HeaderMismatch {
        /// Which field.
        field: String,
        /// Found.
        found: String,
        /// Expected.
        expected: String,
    },
    /// Anything else, as text (replayed as `Invalid` at `$`).
    Other {
        /// The text.
        text: String,
    },
}

/// One recorded entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Entry {
    /// Orders restored from the store at start.
    Restore {
        /// When.
        now: Millis,
        /// The orders.
        orders: Vec<StoredOrder>,
    },
    /// An order submitted.
    Submit {
        /// When.
        now: Millis,
        /// The request.
        request: OrderRequest,
    },
    /// An order cancelled.
    Cancel {
        /// When.
        now: Millis,
        /// Which.
        id: u64,
    },
    /// One tick.
    Step {
        /// When.
        now: Millis,
        /// What arrived since the last tick.
        inbound: Vec<Inbound>,
        /// SHA-256 of the outputs.
        out: String,
    },
}

/// Records an inbound event.
pub fn record(event: &OrchestratorEvent) -> Inbound {
    match event {
        OrchestratorEvent::Message { vehicle, message } => {
            let key = vehicle.key(message.topic()).map_or_else(|_| String::new(), |k| k.to_string());
            let payload =
                message.encode().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            Inbound::Message { key, payload }
        }
        OrchestratorEvent::Presence { vehicle, state } => Inbound::Presence {
            manufacturer: vehicle.manufacturer.clone(),
            serial: vehicle.serial_number.clone(),
            state: *state,
        },
        OrchestratorEvent::Rejected(e) => {
            let why = match &e.kind {
                DecodeErrorKind::TooLarge { bytes, max } => Rejection::TooLarge { bytes: *bytes, max: *max },
                DecodeErrorKind::Syntax { line, column, message } => {
                    Rejection::Syntax { line: *line, column: *column, message: message.clone() }
                }
                DecodeErrorKind::ArrayTooLong { path, len, max } => {
                    Rejection::ArrayTooLong { path: path.clone(), len: *len, max: *max }
                }
                DecodeErrorKind::Invalid { path, message } => {
                    Rejection::Invalid { path: path.clone(), message: message.clone() }
                }
                DecodeErrorKind::HeaderMismatch { field, found, expected } => Rejection::HeaderMismatch {
                    field: (*field).to_string(),
                    found: found.clone(),
                    expected: expected.clone(),
                },
                other => Rejection::Other { text: other.to_string() },
            };
            Inbound::Rejected { key: e.key.to_string(), why }
        }
    }
}

/// A recording that cannot be replayed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// A line that is not an entry.
    #[error("line {line}: {message}")]
    Format {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The fleet cannot be set up.
    #[error("the recorded fleet: {0}")]
    Setup(#[from] SetupError),
}

/// Rebuilds an inbound event from its record.
pub fn rebuild(inbound: &Inbound, line: usize) -> Result<OrchestratorEvent, ReplayError> {
    let bad = |message: String| ReplayError::Format { line, message };
    Ok(match inbound {
        Inbound::Message { key, payload } => {
            let key = TopicKey::parse(key).map_err(|e| bad(format!("key {key:?}: {e}")))?;
            match FromVehicle::decode(&key, payload.as_bytes(), &DecodeLimits::default()) {
                Ok(message) => OrchestratorEvent::Message {
                    vehicle: VehicleId::new(key.manufacturer.clone(), key.serial_number.clone()),
                    message,
                },
                Err(e) => OrchestratorEvent::Rejected(e),
            }
        }
        Inbound::Presence { manufacturer, serial, state } => {
            OrchestratorEvent::Presence { vehicle: VehicleId::new(manufacturer, serial), state: *state }
        }
        Inbound::Rejected { key, why } => {
            let key = TopicKey::parse(key).map_err(|e| bad(format!("key {key:?}: {e}")))?;
            let kind = match why.clone() {
                Rejection::TooLarge { bytes, max } => DecodeErrorKind::TooLarge { bytes, max },
                Rejection::Syntax { line, column, message } => {
                    DecodeErrorKind::Syntax { line, column, message }
                }
                Rejection::ArrayTooLong { path, len, max } => {
                    DecodeErrorKind::ArrayTooLong { path, len, max }
                }
                Rejection::Invalid { path, message } => DecodeErrorKind::Invalid { path, message },
                Rejection::HeaderMismatch { field, found, expected } => DecodeErrorKind::HeaderMismatch {
                    field: if field == "manufacturer" { "manufacturer" } else { "serialNumber" },
                    found,
                    expected,
                },
                Rejection::Other { text } => DecodeErrorKind::Invalid { path: "$".into(), message: text },
            };
            OrchestratorEvent::Rejected(DecodeError { key, kind })
        }
    })
}

/// The digest of one step's outputs.
pub fn digest(out: &Outbound) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for (vehicle, message) in &out.messages {
        h.update(vehicle.to_string().as_bytes());
        let bytes = match message {
            ToVehicle::Order(o) => serde_json::to_vec(o),
            ToVehicle::InstantActions(a) => serde_json::to_vec(a),
        };
        h.update(bytes.unwrap_or_default());
    }
    for e in &out.events {
        h.update(serde_json::to_vec(e).unwrap_or_default());
    }
    for j in &out.journal {
        h.update(serde_json::to_vec(j).unwrap_or_default());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The configuration `serve` uses for a layout.
pub fn config_for(layout: &Layout) -> FleetConfig {
    if layout.grid.is_some() { FleetConfig::grid() } else { FleetConfig::default() }
}

/// A fresh core for a recording's header.
pub fn core_for(header: &Header, layout: Arc<Layout>) -> Result<Orchestrator, SetupError> {
    let config = config_for(&layout);
    let specs = if header.fleet.is_empty() {
        header
            .serials
            .iter()
            .map(|s| VehicleSpec::new(VehicleId::new(&header.manufacturer, s), &header.vehicle_type))
            .collect()
    } else {
        header.fleet.iter().map(|e| e.spec(&header.manufacturer)).collect()
    };
    Orchestrator::new(layout, specs, config)
}

/// What a replay found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Steps replayed.
    pub steps: u64,
    /// Inbound events fed.
    pub inbound: u64,
    /// Steps whose outputs differed: (line, time).
    pub mismatches: Vec<(usize, Millis)>,
    /// The last line was cut short (the process was killed while writing it).
    pub truncated: bool,
}

/// Replays the entries (lines after the header, numbered from `first_line`)
/// on `core`.
pub fn replay(
    core: &mut Orchestrator,
    lines: impl Iterator<Item = String>,
    first_line: usize,
) -> Result<ReplayReport, ReplayError> {
    let mut report = ReplayReport::default();
    let mut lines = lines.enumerate().peekable();
    while let Some((i, text)) = lines.next() {
        let line = first_line + i;
        if text.trim().is_empty() {
            continue;
        }
        let entry: Entry = match serde_json::from_str(&text) {
            Ok(entry) => entry,
            Err(e) if e.is_eof() && lines.peek().is_none() => {
                report.truncated = true;
                break;
            }
            Err(e) => return Err(ReplayError::Format { line, message: e.to_string() }),
        };
        match entry {
            Entry::Restore { now, orders } => {
                core.restore(now, orders);
                core.drain_journal();
            }
            // As `serve` does: the command's records are made durable at once.
            Entry::Submit { now, request } => {
                let _ = core.submit(now, request);
                core.drain_journal();
            }
            Entry::Cancel { now, id } => {
                let _ = core.cancel(now, id);
                core.drain_journal();
            }
            Entry::Step { now, inbound, out } => {
                let events = inbound.iter().map(|r| rebuild(r, line)).collect::<Result<Vec<_>, _>>()?;
                report.inbound += events.len() as u64;
                let produced = core.step(now, events);
                report.steps += 1;
                if digest(&produced) != out {
                    report.mismatches.push((line, now));
                }
            }
        }
    }
    Ok(report)
}
