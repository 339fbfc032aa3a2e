//! Conformance with the official VDA 5050 2.1.0 schemas: rich samples of
//! every message validate; random schema-valid messages decode, round-trip
//! and validate again; vendor extra fields are tolerated.

mod common;

use common::*;
use common::{Generator, Rng};
use proptest::prelude::*;
use protocol::codec::{DecodeLimits, VdaMessage, decode, encode};
use protocol::messages::*;
use protocol::topic::TopicKey;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn check_sample<M: VdaMessage + PartialEq>(msg: &M) {
    let bytes = encode(msg).unwrap();
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    if !without_shared("protocol: the schema check of the rich samples (the round trip runs)") {
        assert_valid(M::TOPIC.as_str(), &value);
    }
    let key = TopicKey::new("acme", "AGV-0042", M::TOPIC).unwrap();
    let back: M = decode(&key, &bytes, &DecodeLimits::default()).unwrap();
    assert_eq!(&back, msg);
}

#[test]
fn rich_samples_of_every_topic_validate_and_round_trip() {
    check_sample(&rich_order());
    check_sample(&rich_instant_actions());
    rich_states().iter().for_each(check_sample);
    rich_connections().iter().for_each(check_sample);
    rich_visualizations().iter().for_each(check_sample);
    rich_factsheets().iter().for_each(check_sample);
}

#[test]
fn samples_cover_every_enum_variant_on_the_wire() {
    if without_shared("protocol: samples_cover_every_enum_variant_on_the_wire") {
        return;
    }
    let text: String = [
        serde_json::to_string(&rich_order()).unwrap(),
        serde_json::to_string(&rich_states()).unwrap(),
        serde_json::to_string(&rich_connections()).unwrap(),
        serde_json::to_string(&rich_factsheets()).unwrap(),
    ]
    .concat();
    // Every enum value the schemas list appears in the samples.
    for topic in ["order", "state", "connection", "factsheet", "instantActions"] {
        let schema = schema_value(topic);
        let mut enums = Vec::new();
        collect_enums(&schema, &mut enums);
        for value in enums {
            assert!(text.contains(&format!("\"{value}\"")), "{topic}: enum value {value} not covered");
        }
    }
}

fn collect_enums(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get("enum") {
                out.extend(values.iter().filter_map(Value::as_str).map(String::from));
            }
            map.values().for_each(|x| collect_enums(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_enums(x, out)),
        _ => {}
    }
}

fn round_trip_generated<M: VdaMessage + PartialEq>(seed: u64, extras: bool) -> Result<(), TestCaseError> {
    let schema = schema_value(M::TOPIC.as_str());
    let generator = Generator { root: &schema, extras };
    let mut rng = Rng::new(seed);
    let mut value = generator.generate(&schema, &mut rng, 0);
    // Our key decides manufacturer / serial; make the header agree.
    if let Some(obj) = value.as_object_mut() {
        obj.insert("manufacturer".into(), Value::String("acme".into()));
        obj.insert("serialNumber".into(), Value::String("AGV-0042".into()));
    }
    prop_assert!(validator(M::TOPIC.as_str()).is_valid(&value), "generator made an invalid {}", M::TOPIC);
    let key = TopicKey::new("acme", "AGV-0042", M::TOPIC).unwrap();
    let bytes = serde_json::to_vec(&value).unwrap();
    let first: M = decode(&key, &bytes, &DecodeLimits::default())
        .map_err(|e| TestCaseError::fail(format!("{e}\n{value:#}")))?;
    let again = encode(&first).unwrap();
    let again_value: Value = serde_json::from_slice(&again).unwrap();
    prop_assert!(
        validator(M::TOPIC.as_str()).is_valid(&again_value),
        "re-encoded {} does not validate: {again_value:#}",
        M::TOPIC
    );
    let second: M = decode(&key, &again, &DecodeLimits::default()).unwrap();
    prop_assert_eq!(first, second);
    Ok(())
}

fn parse_plain<M: DeserializeOwned>(v: &Value) -> M {
    serde_json::from_value(v.clone()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_orders_round_trip_and_validate(seed in any::<u64>(), extras in any::<bool>()) {
        if without_shared("protocol: arbitrary_orders_round_trip_and_validate") {
            return Ok(());
        }
        round_trip_generated::<Order>(seed, extras)?;
    }

    #[test]
    fn arbitrary_instant_actions_round_trip_and_validate(seed in any::<u64>(), extras in any::<bool>()) {
        if without_shared("protocol: arbitrary_instant_actions_round_trip_and_validate") {
            return Ok(());
        }
        round_trip_generated::<InstantActions>(seed, extras)?;
    }

    #[test]
    fn arbitrary_states_round_trip_and_validate(seed in any::<u64>(), extras in any::<bool>()) {
        if without_shared("protocol: arbitrary_states_round_trip_and_validate") {
            return Ok(());
        }
        round_trip_generated::<State>(seed, extras)?;
    }

    #[test]
    fn arbitrary_connections_round_trip_and_validate(seed in any::<u64>(), extras in any::<bool>()) {
        if without_shared("protocol: arbitrary_connections_round_trip_and_validate") {
            return Ok(());
        }
        round_trip_generated::<Connection>(seed, extras)?;
    }

    #[test]
    fn arbitrary_factsheets_round_trip_and_validate(seed in any::<u64>(), extras in any::<bool>()) {
        if without_shared("protocol: arbitrary_factsheets_round_trip_and_validate") {
            return Ok(());
        }
        round_trip_generated::<Factsheet>(seed, extras)?;
    }

    #[test]
    fn arbitrary_visualizations_round_trip_and_validate(seed in any::<u64>(), extras in any::<bool>()) {
        if without_shared("protocol: arbitrary_visualizations_round_trip_and_validate") {
            return Ok(());
        }
        round_trip_generated::<Visualization>(seed, extras)?;
    }
}

#[test]
fn vendor_fields_of_their_own_still_parse() {
    let mut value = serde_json::to_value(&rich_states()[0]).unwrap();
    value["acmeDiagnostics"] = serde_json::json!({"motorTemp": 61.5});
    value["batteryState"]["acmeCellCount"] = serde_json::json!(14);
    value["nodeStates"][0]["acmeTag"] = serde_json::json!("x");
    let parsed: State = parse_plain(&value);
    assert_eq!(parsed, rich_states()[0]);
}

#[test]
fn timestamps_keep_their_instant() {
    let t = Timestamp::parse("2026-11-24T10:40:03.12Z").unwrap();
    assert_eq!(t.unix_millis(), 1_795_516_803_120);
    assert_eq!(Timestamp::from_unix_millis(1_795_516_803_120), t);
    assert_eq!(t.to_string(), "2026-11-24T10:40:03.12Z");
    assert!(Timestamp::parse("24.11.2026 10:40").is_err());
}

#[test]
fn factsheet_blocking_types_from_vendors_are_read_despite_the_schema_bug() {
    if without_shared("protocol: factsheet_blocking_types_from_vendors_are_read_despite_the_schema_bug") {
        return;
    }
    // The 2.1.0 schema says `blockingTypes` is an array whose value must be
    // one of "NONE", "SOFT", "HARD": unsatisfiable. Vendors send arrays.
    let mut value = serde_json::to_value(&rich_factsheets()[0]).unwrap();
    value["protocolFeatures"]["agvActions"][0]["blockingTypes"] = serde_json::json!(["NONE", "HARD"]);
    assert!(!validator("factsheet").is_valid(&value), "the schema bug is still there");
    let parsed: Factsheet = parse_plain(&value);
    assert_eq!(
        parsed.protocol_features.agv_actions[0].blocking_types,
        Some(vec![BlockingType::None, BlockingType::Hard])
    );
}

#[test]
fn orientation_types_outside_the_standard_pair_are_kept() {
    let mut value = serde_json::to_value(rich_order()).unwrap();
    value["edges"][1]["orientationType"] = serde_json::json!("VENDOR_SPECIAL");
    let parsed: Order = parse_plain(&value);
    assert_eq!(parsed.edges[1].orientation_type, Some(OrientationType::Other("VENDOR_SPECIAL".into())));
    assert_eq!(serde_json::to_value(&parsed).unwrap()["edges"][1]["orientationType"], "VENDOR_SPECIAL");
}
