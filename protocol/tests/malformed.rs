//! Untrusted bytes: a corpus of malformed messages, each rejected with the
//! topic, the key, the JSON path and the reason; and arbitrary bytes never
//! panic the decoder.

mod common;

use common::*;
use proptest::prelude::*;
use protocol::codec::{DecodeErrorKind, DecodeLimits, decode};
use protocol::messages::*;
use protocol::topic::{Topic, TopicKey};
use serde_json::{Value, json};

fn state_key() -> TopicKey {
    TopicKey::new("acme", "AGV-0042", Topic::State).unwrap()
}

fn state_value() -> Value {
    serde_json::to_value(&rich_states()[0]).unwrap()
}

fn reject_state(bytes: &[u8]) -> DecodeErrorKind {
    match decode::<State>(&state_key(), bytes, &DecodeLimits::default()) {
        Ok(_) => panic!("accepted: {}", String::from_utf8_lossy(bytes)),
        Err(e) => {
            assert_eq!(e.key, state_key());
            let text = e.to_string();
            assert!(text.contains("state message on vda5050/v2/acme/AGV-0042/state"), "{text}");
            e.kind
        }
    }
}

fn mutated(f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = state_value();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn invalid_at(kind: &DecodeErrorKind) -> (&str, &str) {
    match kind {
        DecodeErrorKind::Invalid { path, message } => (path, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn wrong_types_name_their_path() {
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (mutated(|v| v["driving"] = json!("yes")), "$.driving", "expected a boolean"),
        (
            mutated(|v| v["batteryState"]["batteryCharge"] = json!("full")),
            "$.batteryState.batteryCharge",
            "expected f64",
        ),
        (
            mutated(|v| v["nodeStates"][0]["sequenceId"] = json!(-4)),
            "$.nodeStates[0].sequenceId",
            "expected u32",
        ),
        (mutated(|v| v["lastNodeSequenceId"] = json!(-1)), "$.lastNodeSequenceId", "expected u32"),
        (mutated(|v| v["operatingMode"] = json!("AUTOPILOT")), "$.operatingMode", "unknown variant"),
        (
            mutated(|v| v["actionStates"][0]["actionStatus"] = json!(3)),
            "$.actionStates[0].actionStatus",
            "expected",
        ),
        (mutated(|v| v["timestamp"] = json!("yesterday")), "$.timestamp", "not ISO 8601"),
        (mutated(|v| v["safetyState"] = json!([])), "$.safetyState", "expected"),
    ];
    for (bytes, want_path, want_message) in cases {
        let kind = reject_state(&bytes);
        let (path, message) = invalid_at(&kind);
        assert_eq!(path, want_path, "{kind}");
        assert!(message.contains(want_message), "{path}: {message}");
    }
}

#[test]
fn missing_required_fields_are_named() {
    for field in
        ["orderId", "lastNodeId", "nodeStates", "batteryState", "safetyState", "headerId", "timestamp"]
    {
        let kind = reject_state(&mutated(|v| {
            v.as_object_mut().unwrap().remove(field);
        }));
        let (_, message) = invalid_at(&kind);
        assert!(message.contains(&format!("missing field `{field}`")), "{field}: {message}");
    }
    let kind = reject_state(&mutated(|v| {
        v["batteryState"].as_object_mut().unwrap().remove("charging");
    }));
    assert_eq!(invalid_at(&kind).0, "$.batteryState");
}

#[test]
fn a_header_for_another_vehicle_is_rejected() {
    let kind = reject_state(&mutated(|v| v["serialNumber"] = json!("AGV-0043")));
    assert_eq!(
        kind,
        DecodeErrorKind::HeaderMismatch {
            field: "serialNumber",
            found: "AGV-0043".into(),
            expected: "AGV-0042".into()
        }
    );
    let kind = reject_state(&mutated(|v| v["manufacturer"] = json!("other")));
    assert!(matches!(kind, DecodeErrorKind::HeaderMismatch { field: "manufacturer", .. }));
}

#[test]
fn huge_inputs_are_refused_before_they_cost_anything() {
    let limits = DecodeLimits::default();
    let big = mutated(|v| v["nodeStates"] = Value::Array(vec![json!(0); limits.max_array_len + 1]));
    assert!(big.len() < limits.max_bytes, "this one is about the array, not the bytes");
    match reject_state(&big) {
        DecodeErrorKind::ArrayTooLong { path, len, max } => {
            assert_eq!(path, "$.nodeStates");
            assert_eq!((len, max), (10_001, 10_000));
        }
        other => panic!("{other:?}"),
    }
    let huge = vec![b' '; limits.max_bytes + 1];
    assert!(matches!(reject_state(&huge), DecodeErrorKind::TooLarge { .. }));
}

#[test]
fn garbage_is_a_syntax_error_with_a_place() {
    for bytes in [&b""[..], b"garbage", b"{\"headerId\": 1,", b"\xff\xfe\x00", b"[1, 2]", b"null"] {
        let kind = reject_state(bytes);
        assert!(matches!(kind, DecodeErrorKind::Syntax { .. } | DecodeErrorKind::Invalid { .. }), "{kind:?}");
    }
    match reject_state(b"{\"headerId\": 1,") {
        DecodeErrorKind::Syntax { line, column, .. } => assert_eq!((line, column), (1, 15)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_message_on_the_wrong_topic_key_is_rejected() {
    let key = TopicKey::new("acme", "AGV-0042", Topic::Connection).unwrap();
    let bytes = serde_json::to_vec(&state_value()).unwrap();
    let err = decode::<State>(&key, &bytes, &DecodeLimits::default()).unwrap_err();
    assert!(matches!(
        err.kind,
        DecodeErrorKind::WrongTopic { found: Topic::Connection, expected: Topic::State }
    ));
}

#[test]
fn action_parameter_values_may_not_be_null() {
    let mut v = serde_json::to_value(rich_order()).unwrap();
    v["nodes"][1]["actions"][0]["actionParameters"][0]["value"] = Value::Null;
    let key = TopicKey::new("acme", "AGV-0042", Topic::Order).unwrap();
    let err = decode::<Order>(&key, &serde_json::to_vec(&v).unwrap(), &DecodeLimits::default()).unwrap_err();
    assert!(err.to_string().contains("$.nodes[1].actions[0].actionParameters[0].value"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn arbitrary_bytes_never_panic_any_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let limits = DecodeLimits::default();
        let key = |t| TopicKey::new("acme", "AGV-0042", t).unwrap();
        let _ = decode::<State>(&key(Topic::State), &bytes, &limits);
        let _ = decode::<Order>(&key(Topic::Order), &bytes, &limits);
        let _ = decode::<InstantActions>(&key(Topic::InstantActions), &bytes, &limits);
        let _ = decode::<Connection>(&key(Topic::Connection), &bytes, &limits);
        let _ = decode::<Factsheet>(&key(Topic::Factsheet), &bytes, &limits);
        let _ = decode::<Visualization>(&key(Topic::Visualization), &bytes, &limits);
    }

    #[test]
    fn mutated_states_never_panic(path_pick in 0usize..64, replacement in prop_oneof![
        Just(Value::Null), Just(json!(-1)), Just(json!(1e308)), Just(json!("x")), Just(json!([])), Just(json!({})),
        Just(json!(u64::MAX)), Just(json!(true))
    ]) {
        let mut v = state_value();
        let mut k = path_pick;
        replace_nth(&mut v, &mut k, &replacement);
        let _ = decode::<State>(&state_key(), &serde_json::to_vec(&v).unwrap(), &DecodeLimits::default());
    }
}

fn replace_nth(doc: &mut Value, k: &mut usize, new: &Value) -> bool {
    if *k == 0 {
        *doc = new.clone();
        return true;
    }
    *k -= 1;
    match doc {
        Value::Array(items) => items.iter_mut().any(|v| replace_nth(v, k, new)),
        Value::Object(map) => map.values_mut().any(|v| replace_nth(v, k, new)),
        _ => false,
    }
}
