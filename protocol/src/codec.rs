//! Encoding our messages and decoding untrusted bytes from the network.
//!
//! Decoding never panics. It rejects, with the topic, the key, the JSON
//! path and the reason: payloads over a size limit, text that is not JSON,
//! arrays over a length limit, values of the wrong type or range (a
//! negative sequence id), and a header whose manufacturer or serial number
//! does not match the key the message arrived on.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::messages::{Connection, Factsheet, Header, InstantActions, Order, State, Visualization};
use crate::topic::{Topic, TopicKey};

/// A VDA 5050 message type: which topic it travels on and who sent it.
pub trait VdaMessage: Serialize + DeserializeOwned + Clone + std::fmt::Debug {
    /// Its topic.
    const TOPIC: Topic;
    /// Header manufacturer and serial number, where the message has them.
    fn sender(&self) -> (Option<&str>, Option<&str>);
    /// Whether the message embeds the required [`crate::messages::Header`]
    /// (checked first on decoding, for precise paths into its fields).
    const HAS_HEADER: bool = true;
}

macro_rules! with_header {
    ($($t:ty => $topic:expr),*) => {$(
        impl VdaMessage for $t {
            const TOPIC: Topic = $topic;
            fn sender(&self) -> (Option<&str>, Option<&str>) {
                (Some(&self.header.manufacturer), Some(&self.header.serial_number))
            }
        }
    )*};
}

with_header!(Order => Topic::Order, InstantActions => Topic::InstantActions, State => Topic::State, Connection => Topic::Connection);

impl VdaMessage for Factsheet {
    const TOPIC: Topic = Topic::Factsheet;
    const HAS_HEADER: bool = false;
    fn sender(&self) -> (Option<&str>, Option<&str>) {
        (Some(&self.manufacturer), Some(&self.serial_number))
    }
}

impl VdaMessage for Visualization {
    const TOPIC: Topic = Topic::Visualization;
    const HAS_HEADER: bool = false;
    fn sender(&self) -> (Option<&str>, Option<&str>) {
        (self.manufacturer.as_deref(), self.serial_number.as_deref())
    }
}

/// Limits applied to untrusted input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest payload accepted, bytes.
    pub max_bytes: usize,
    /// Longest array accepted anywhere in a message.
    pub max_array_len: usize,
}

impl Default for DecodeLimits {
    /// 1 MiB and 10,000 items: far above any real order or state, far below
    /// what would hurt the orchestrator.
    fn default() -> Self {
        DecodeLimits { max_bytes: 1 << 20, max_array_len: 10_000 }
    }
}

/// Why a payload was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// Bigger than [`DecodeLimits::max_bytes`].
    #[error("{bytes} bytes, more than the limit of {max}")]
    TooLarge {
        /// Payload size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Not well-formed UTF-8 JSON.
    #[error("not JSON: {message} (line {line}, column {column})")]
    Syntax {
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// An array longer than [`DecodeLimits::max_array_len`].
    #[error("at {path}: an array of {len} items, more than the limit of {max}")]
    ArrayTooLong {
        /// JSON path.
        path: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Well-formed JSON that is not a valid message of the topic.
    #[error("at {path}: {message}")]
    Invalid {
        /// JSON path.
        path: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The header names another vehicle than the key.
    #[error("header {field} is {found:?} but the key says {expected:?}")]
    HeaderMismatch {
        /// `manufacturer` or `serialNumber`.
        field: &'static str,
        /// Value in the header.
        found: String,
        /// Value in the key.
        expected: String,
    },
    /// The message arrived on a key of another topic.
    #[error("a {expected} message arrived on a {found} key")]
    WrongTopic {
        /// The key's topic.
        found: Topic,
        /// The message's topic.
        expected: Topic,
    },
}

/// A rejected payload: which key (and so topic and vehicle), and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("rejected {} message on {key}: {kind}", key.topic)]
pub struct DecodeError {
    /// Where it arrived.
    pub key: TopicKey,
    /// Why it was rejected.
    pub kind: DecodeErrorKind,
}

fn longest_array(value: &Value, path: &mut String, max: usize) -> Option<(String, usize)> {
    match value {
        Value::Array(items) => {
            if items.len() > max {
                return Some((path.clone(), items.len()));
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = longest_array(item, path, max);
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                let found = longest_array(item, path, max);
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        _ => None,
    }
}

/// The length of the longest JSON array in `bytes`, by a single scan that
/// tracks strings and nesting (about a microsecond for a typical state).
/// Only meaningful for well-formed JSON; malformed text is caught later.
fn longest_array_len(bytes: &[u8]) -> usize {
    // Per open bracket: (is_array, items seen so far, saw any token).
    let mut stack: Vec<(bool, usize, bool)> = Vec::new();
    let mut longest = 0;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                if let Some(top) = stack.last_mut() {
                    top.2 = true;
                }
            }
            b'[' | b'{' => {
                if let Some(top) = stack.last_mut() {
                    top.2 = true;
                }
                stack.push((b == b'[', 0, false));
            }
            b']' | b'}' => {
                if let Some((is_array, items, any)) = stack.pop()
                    && is_array
                {
                    longest = longest.max(items + usize::from(any));
                }
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
            }
            b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => {
                if let Some(top) = stack.last_mut() {
                    top.2 = true;
                }
            }
        }
    }
    longest
}

/// Decodes a message that arrived on `key`.
///
/// The common case — a well-formed message within limits — takes one byte
/// scan and one typed parse. Anything that fails is parsed again the slow
/// way (into a JSON value, then typed with path tracking) to say exactly
/// where and why.
pub fn decode<M: VdaMessage>(key: &TopicKey, bytes: &[u8], limits: &DecodeLimits) -> Result<M, DecodeError> {
    let fail = |kind| DecodeError { key: key.clone(), kind };
    if key.topic != M::TOPIC {
        return Err(fail(DecodeErrorKind::WrongTopic { found: key.topic, expected: M::TOPIC }));
    }
    if bytes.len() > limits.max_bytes {
        return Err(fail(DecodeErrorKind::TooLarge { bytes: bytes.len(), max: limits.max_bytes }));
    }
    let message = match serde_json::from_slice::<M>(bytes) {
        Ok(message) if longest_array_len(bytes) <= limits.max_array_len => message,
        _ => return Err(fail(diagnose::<M>(bytes, limits))),
    };
    check_sender(key, &message).map_err(fail)?;
    Ok(message)
}

fn check_sender<M: VdaMessage>(key: &TopicKey, message: &M) -> Result<(), DecodeErrorKind> {
    let (manufacturer, serial) = message.sender();
    for (field, found, expected) in
        [("manufacturer", manufacturer, &key.manufacturer), ("serialNumber", serial, &key.serial_number)]
    {
        if let Some(found) = found
            && found != expected
        {
            return Err(DecodeErrorKind::HeaderMismatch {
                field,
                found: found.to_string(),
                expected: expected.clone(),
            });
        }
    }
    Ok(())
}

/// The slow, precise path: why `bytes` is not a valid `M`.
fn diagnose<M: VdaMessage>(bytes: &[u8], limits: &DecodeLimits) -> DecodeErrorKind {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => {
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(cut) => message[..cut].to_string(),
                None => message,
            };
            return DecodeErrorKind::Syntax { line: e.line(), column: e.column(), message };
        }
    };
    let mut path = String::from("$");
    if let Some((path, len)) = longest_array(&value, &mut path, limits.max_array_len) {
        return DecodeErrorKind::ArrayTooLong { path, len, max: limits.max_array_len };
    }
    let invalid = |e: serde_path_to_error::Error<serde_json::Error>| {
        let inner = e.path().to_string();
        let path = if inner == "." { "$".to_string() } else { format!("$.{inner}") };
        DecodeErrorKind::Invalid { path, message: e.into_inner().to_string() }
    };
    if M::HAS_HEADER && value.is_object() {
        // The header is flattened into the message types, which hides the
        // paths of its fields; read it on its own first.
        if let Err(e) = serde_path_to_error::deserialize::<_, Header>(&value) {
            return invalid(e);
        }
    }
    match serde_path_to_error::deserialize::<_, M>(&value) {
        Err(e) => invalid(e),
        // Typed parsing from bytes and from a value disagree only in corner
        // cases of number representation; report what the parser said.
        Ok(_) => match serde_json::from_slice::<M>(bytes) {
            Err(e) => DecodeErrorKind::Invalid { path: "$".into(), message: e.to_string() },
            Ok(_) => DecodeErrorKind::Invalid { path: "$".into(), message: "message rejected".into() },
        },
    }
}

/// Could not encode (only possible for hand-built values such as action
/// parameters holding non-string map keys, which JSON cannot express).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode a {topic} message: {source}")]
pub struct EncodeError {
    /// Topic of the message.
    pub topic: Topic,
    /// Serializer error.
    #[source]
    pub source: serde_json::Error,
}

/// Encodes a message as JSON bytes.
pub fn encode<M: VdaMessage>(message: &M) -> Result<Vec<u8>, EncodeError> {
    serde_json::to_vec(message).map_err(|source| EncodeError { topic: M::TOPIC, source })
}

#[cfg(test)]
mod tests {
    use super::longest_array_len;

    #[test]
    fn the_byte_scan_counts_array_items_outside_strings() {
        let cases: &[(&str, usize)] = &[
            ("{}", 0),
            ("[]", 0),
            ("[1]", 1),
            ("[1, 2, 3]", 3),
            ("{\"a\": [1, [2, 3, 4, 5], \"x,y,z\"]}", 4),
            ("[\"a\\\",b\", \"c\"]", 2),
            ("[{\"k\": 1, \"l\": 2}, {}]", 2),
            ("[[], [], [], [], []]", 5),
        ];
        for (text, want) in cases {
            assert_eq!(longest_array_len(text.as_bytes()), *want, "{text}");
        }
    }
}
