//! Record and replay: the journal of `yardmaster serve --journal` holds
//! every batch of [`Input`]s the core was stepped with — exactly the
//! enum, nothing rebuilt beside it — with a digest of what each batch
//! produced; the replay feeds the same batches to a fresh core and checks
//! that every output is the same. Because the core is sans-IO, an incident
//! on the floor becomes a deterministic test case.
//!
//! Format (version 2), one JSON object per line: a [`Header`]
//! `{"journal":"yardmaster","version":2,"layout":…,"layout_sha256":…,…}`,
//! then [`Step`]s `{"now":…,"inputs":[…],"out":"<sha-256 of the outputs>"}`.
//! A process that restarts appends a new header (a fresh core, restored
//! from the store by its first step's `restore` input); a journal rotated
//! by size goes on in the next file with a header marked `continues`.
//! Vehicle messages are kept as their key and payload ([`wire`]), so that
//! replay decodes them with the same codec and rejects the same garbage.

use std::sync::Arc;

use layout::Layout;
use protocol::codec::{DecodeError, DecodeErrorKind, DecodeLimits};
use protocol::messages::ConnectionState;
use protocol::topic::TopicKey;
use protocol::transport::{FromVehicle, OrchestratorEvent, ToVehicle, VehicleId};
use serde::{Deserialize, Serialize};

use crate::fleet::{FleetConfig, Orchestrator, Outbound, SetupError, VehicleSpec};
use crate::input::Input;
use crate::orders::Millis;

/// The journal format's version.
pub const VERSION: u32 = 2;

/// The first line of a recording (and of every restart within it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always `yardmaster`.
    pub journal: String,
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// The layout file, as given to `serve`.
    pub layout: String,
    /// SHA-256 of the layout file's bytes: replay refuses another layout.
    #[serde(default)]
    pub layout_sha256: String,
    /// This file goes on from the previous one of the same run (rotation):
    /// the core is not started afresh.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continues: bool,
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

/// One recorded step: the batch of inputs the core was stepped with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// When.
    pub now: Millis,
    /// The inputs, in order.
    pub inputs: Vec<Input>,
    /// SHA-256 of the outputs.
    pub out: String,
}

/// Serde for [`Input::Vehicle`]: a vehicle's event as its key and payload
/// (the [`Inbound`] record), decoded again on the way back in.
pub mod wire {
    use protocol::transport::OrchestratorEvent;
    use serde::{Deserialize as _, Deserializer, Serialize as _, Serializer};

    /// Writes the event as its record.
    pub fn serialize<S: Serializer>(event: &OrchestratorEvent, serializer: S) -> Result<S::Ok, S::Error> {
        super::record(event).serialize(serializer)
    }

    /// Reads a record and decodes it.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OrchestratorEvent, D::Error> {
        let inbound = super::Inbound::deserialize(deserializer)?;
        super::rebuild(&inbound).map_err(serde::de::Error::custom)
    }
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
    /// A line that is not a header or step.
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
    /// The layout is not the one recorded.
    #[error(
        "line {line}: the journal was recorded on a layout with SHA-256 {recorded}, but {path} has {found}; \
         replay needs the very layout the process ran on"
    )]
    LayoutDiffers {
        /// The header's line.
        line: usize,
        /// The layout file given.
        path: String,
        /// Its digest.
        found: String,
        /// The recorded digest.
        recorded: String,
    },
    /// The layout cannot be loaded.
    #[error("line {line}: {message}")]
    Layout {
        /// The header's line.
        line: usize,
        /// What failed.
        message: String,
    },
}

/// Rebuilds an inbound event from its record.
pub fn rebuild(inbound: &Inbound) -> Result<OrchestratorEvent, String> {
    let bad = |message: String| message;
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

/// The digest of one step's outputs, part by part, so that a replay can
/// say what differs: `messages:… events:… records:… replies:…` (each the
/// first 16 hex digits of that part's SHA-256).
pub fn digest(out: &Outbound) -> String {
    use sha2::Digest as _;
    fn part(name: &str, items: impl Iterator<Item = Vec<u8>>) -> String {
        let mut h = sha2::Sha256::new();
        for item in items {
            h.update(&item);
        }
        let hex: String = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("{name}:{hex}")
    }
    let messages = out.messages.iter().map(|(vehicle, message)| {
        let body = match message {
            ToVehicle::Order(o) => serde_json::to_vec(o),
            ToVehicle::InstantActions(a) => serde_json::to_vec(a),
        };
        [vehicle.to_string().into_bytes(), body.unwrap_or_default()].concat()
    });
    [
        part("messages", messages),
        part("events", out.events.iter().map(|e| serde_json::to_vec(e).unwrap_or_default())),
        part("records", out.records.iter().map(|r| serde_json::to_vec(r).unwrap_or_default())),
        part("replies", out.replies.iter().map(|r| format!("{r:?}").into_bytes())),
    ]
    .join(" ")
}

/// The parts of two digests that differ (`events`, …).
pub fn differing_parts(recorded: &str, replayed: &str) -> Vec<String> {
    let name = |p: &str| p.split(':').next().unwrap_or("").to_string();
    let a: Vec<&str> = recorded.split(' ').collect();
    let b: Vec<&str> = replayed.split(' ').collect();
    if a.len() != b.len() {
        return vec!["outputs".into()];
    }
    a.iter().zip(&b).filter(|(x, y)| x != y).map(|(x, _)| name(x)).collect()
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

/// SHA-256 of a layout file's bytes, as the header records it.
pub fn layout_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What a replay found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Processes (headers that start a fresh core) replayed.
    pub runs: u64,
    /// Steps replayed.
    pub steps: u64,
    /// Inputs fed.
    pub inputs: u64,
    /// Steps whose outputs differed.
    pub mismatches: Vec<Mismatch>,
    /// A run's last line was cut short (the process was killed while
    /// writing it); it is skipped.
    pub truncated: bool,
}

/// A step whose outputs differ from the recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The journal line.
    pub line: usize,
    /// The step's time.
    pub now: Millis,
    /// Which outputs differ (`messages`, `events`, `records`, `replies`).
    pub parts: Vec<String>,
    /// The events the replay produced there, as JSON (to set beside the
    /// live process's log).
    pub replayed_events: Vec<String>,
}

/// A layout for a header: its bytes (to check the digest) and the layout.
pub type LoadLayout<'a> = dyn FnMut(&Header) -> Result<(Vec<u8>, Arc<Layout>), String> + 'a;

/// Replays a whole journal (its lines, numbered from 1, of one file or of
/// rotated files in order): each header starts a fresh core on the layout
/// `load` gives for it — refused if its digest is not the recorded one —,
/// and each step is fed to it and its outputs compared.
pub fn replay(
    lines: impl Iterator<Item = String>,
    load: &mut LoadLayout<'_>,
) -> Result<ReplayReport, ReplayError> {
    let mut report = ReplayReport::default();
    let mut core: Option<Orchestrator> = None;
    let mut lines = lines.enumerate().peekable();
    while let Some((i, text)) = lines.next() {
        let line = i + 1;
        if text.trim().is_empty() {
            continue;
        }
        // The line before a restart's header may be cut short too (SIGKILL).
        let last = lines.peek().is_none_or(|(_, next)| next.starts_with("{\"journal\""));
        if text.starts_with("{\"journal\"") {
            let header: Header = serde_json::from_str(&text)
                .map_err(|e| ReplayError::Format { line, message: format!("not a journal header: {e}") })?;
            if header.journal != "yardmaster" || header.version != VERSION {
                return Err(ReplayError::Format {
                    line,
                    message: format!(
                        "a {:?} journal of version {}; expected a yardmaster journal of version {VERSION}",
                        header.journal, header.version
                    ),
                });
            }
            if header.continues && core.is_some() {
                continue;
            }
            let (bytes, layout) = load(&header).map_err(|message| ReplayError::Layout { line, message })?;
            let found = layout_digest(&bytes);
            if !header.layout_sha256.is_empty() && found != header.layout_sha256 {
                return Err(ReplayError::LayoutDiffers {
                    line,
                    path: header.layout.clone(),
                    found,
                    recorded: header.layout_sha256.clone(),
                });
            }
            core = Some(core_for(&header, layout)?);
            report.runs += 1;
            continue;
        }
        let step: Step = match serde_json::from_str(&text) {
            Ok(step) => step,
            Err(e) if e.is_eof() && last => {
                report.truncated = true;
                continue;
            }
            Err(e) => return Err(ReplayError::Format { line, message: e.to_string() }),
        };
        let Some(core) = core.as_mut() else {
            return Err(ReplayError::Format { line, message: "a step before the first header".into() });
        };
        report.inputs += step.inputs.len() as u64;
        let produced = core.step(step.now, step.inputs);
        report.steps += 1;
        let replayed = digest(&produced);
        if replayed != step.out {
            report.mismatches.push(Mismatch {
                line,
                now: step.now,
                parts: differing_parts(&step.out, &replayed),
                replayed_events: produced
                    .events
                    .iter()
                    .filter_map(|e| serde_json::to_string(e).ok())
                    .collect(),
            });
        }
    }
    Ok(report)
}
