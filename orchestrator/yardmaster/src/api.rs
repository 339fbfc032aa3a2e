//! The Zenoh query API of `yardmaster serve`, as pure functions: a
//! request (key suffix and body) parsed into what the process does with
//! it — one of the core's [`Input`]s, or a query — and the answer to a
//! command from the core's [`Reply`]. Malformed requests get a clear error
//! naming what was expected; nothing here panics on a body.

use orchestrator::input::{Input, PlaceId, Reply};
use orchestrator::orders::OrderRequest;

/// What a request asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// A command: goes through the core's one door.
    Command(Box<Input>),
    /// Live orders and the latest finished ones.
    Orders,
    /// One order, live or finished.
    Order(u64),
    /// The closed places.
    Places,
    /// The vehicles.
    Status,
}

/// The requests, for error messages.
pub const REQUESTS: &str =
    "orders/add, orders/cancel, orders/get, orders, places/close, places/open, places or status";

fn object(what: &str, body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("{what}: the body is {other}; expected a JSON object")),
        Err(e) => Err(format!("{what}: the body is not JSON: {e}")),
    }
}

fn id_of(what: &str, body: &[u8]) -> Result<u64, String> {
    let map = object(what, body)?;
    map.get("id")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| format!("{what}: expected a body {{\"id\": N}} with N a whole number"))
}

fn place_of(what: &str, map: &serde_json::Map<String, serde_json::Value>) -> Result<PlaceId, String> {
    match (map.get("node"), map.get("edge")) {
        (Some(serde_json::Value::String(id)), None) => Ok(PlaceId::Node(id.clone())),
        (None, Some(serde_json::Value::String(id))) => Ok(PlaceId::Edge(id.clone())),
        _ => Err(format!(
            "{what}: expected {{\"node\": \"ID\"}} or {{\"edge\": \"ID\"}} (one of them, a string)"
        )),
    }
}

/// Parses a request: `what` is the key after `yardmaster/{site}/`.
pub fn parse(what: &str, body: &[u8]) -> Result<Request, String> {
    Ok(match what {
        "orders/add" => {
            let request: OrderRequest = serde_json::from_slice(body)
                .map_err(|e| format!("orders/add: the body is not an order request: {e}"))?;
            Request::Command(Box::new(Input::Submit { request }))
        }
        "orders/cancel" => Request::Command(Box::new(Input::Cancel { order: id_of(what, body)? })),
        "orders/get" => Request::Order(id_of(what, body)?),
        "orders" => Request::Orders,
        "places/close" => {
            let map = object(what, body)?;
            let reason = match map.get("reason") {
                None => String::new(),
                Some(serde_json::Value::String(r)) => r.clone(),
                Some(other) => return Err(format!("places/close: reason is {other}; expected a string")),
            };
            Request::Command(Box::new(Input::Close { place: place_of(what, &map)?, reason }))
        }
        "places/open" => {
            Request::Command(Box::new(Input::Open { place: place_of(what, &object(what, body)?)? }))
        }
        "places" => Request::Places,
        "status" => Request::Status,
        other => return Err(format!("unknown request {other:?}; expected {REQUESTS}")),
    })
}

/// A JSON error body.
pub fn error_json(e: impl std::fmt::Display) -> Vec<u8> {
    serde_json::json!({ "error": e.to_string() }).to_string().into_bytes()
}

/// The answer to a command: `Ok` body, or `Err` error body.
pub fn answer(input: &Input, reply: &Reply) -> Result<Vec<u8>, Vec<u8>> {
    let ok = |v: serde_json::Value| Ok(v.to_string().into_bytes());
    match (reply, input) {
        (Reply::Refused(e), _) => Err(error_json(e)),
        (Reply::Submitted { order }, _) => ok(serde_json::json!({ "id": order })),
        (Reply::Done, Input::Cancel { order }) => ok(serde_json::json!({ "cancelled": order })),
        (Reply::Done, Input::Close { place, .. }) => ok(serde_json::json!({ "closed": place })),
        (Reply::Done, Input::Open { place }) => ok(serde_json::json!({ "opened": place })),
        (Reply::Done, _) => ok(serde_json::json!({ "done": true })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_into_inputs_and_bad_bodies_say_what_was_expected() {
        assert_eq!(
            parse("places/close", br#"{"node":"N1","reason":"spill"}"#).unwrap(),
            Request::Command(Box::new(Input::Close {
                place: PlaceId::Node("N1".into()),
                reason: "spill".into()
            }))
        );
        assert_eq!(
            parse("places/open", br#"{"edge":"E7"}"#).unwrap(),
            Request::Command(Box::new(Input::Open { place: PlaceId::Edge("E7".into()) }))
        );
        assert_eq!(
            parse("orders/cancel", br#"{"id":4}"#).unwrap(),
            Request::Command(Box::new(Input::Cancel { order: 4 }))
        );
        assert_eq!(parse("orders/get", br#"{"id":4}"#).unwrap(), Request::Order(4));
        let bad: &[(&str, &[u8], &str)] = &[
            ("places/close", br#"{"node":"N1","edge":"E1"}"#, "one of them"),
            ("places/close", br#"{"node":3}"#, "a string"),
            ("places/close", br#"{"node":"N1","reason":5}"#, "reason is 5"),
            ("places/open", b"[1]", "expected a JSON object"),
            ("orders/cancel", br#"{"id":-1}"#, "whole number"),
            ("orders/cancel", b"\xff", "not JSON"),
            ("orders/add", br#"{"from":"A"}"#, "not an order request"),
            ("nodes/close", b"", "unknown request"),
        ];
        for (what, body, expected) in bad {
            let err = parse(what, body).unwrap_err();
            assert!(err.contains(expected), "{what} {body:?}: {err}");
        }
    }
}
