//! The corpus of malformed layouts in `tests/corpus/`: each must give a
//! clear error (the expected code, at the expected place), never a panic.

use std::path::PathBuf;

use layout::{IssueCode, LoadError, LoadOptions, Location};

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(name)
}

/// `(file, expected code, expected location: JSON path, "line N", "line N, column M" or "(whole file)")`.
const CASES: &[(&str, IssueCode, &str)] = &[
    ("empty.lif.json", IssueCode::EmptyFile, "(whole file)"),
    ("whitespace-only.lif.json", IssueCode::EmptyFile, "(whole file)"),
    ("truncated.lif.json", IssueCode::JsonSyntax, "line 16, column 13"),
    ("not-json.lif.json", IssueCode::JsonSyntax, "line 1, column 2"),
    ("root-is-array.lif.json", IssueCode::WrongType, "$"),
    ("no-layouts.lif.json", IssueCode::MissingField, "$.layouts"),
    ("layouts-empty.lif.json", IssueCode::EmptyList, "$.layouts"),
    ("edge-to-unknown-node.lif.json", IssueCode::UnknownNode, "$.layouts[0].edges[1].endNodeId"),
    ("duplicate-node-id.lif.json", IssueCode::DuplicateId, "$.layouts[0].nodes[1].nodeId"),
    ("duplicate-edge-id.lif.json", IssueCode::DuplicateId, "$.layouts[0].edges[1].edgeId"),
    ("duplicate-station-id.lif.json", IssueCode::DuplicateId, "$.layouts[0].stations[1].stationId"),
    ("coordinate-nan-string.lif.json", IssueCode::NonFiniteNumber, "$.layouts[0].nodes[0].nodePosition.x"),
    (
        "coordinate-infinite-string.lif.json",
        IssueCode::NonFiniteNumber,
        "$.layouts[0].nodes[0].nodePosition.y",
    ),
    ("coordinate-not-numeric.lif.json", IssueCode::NotANumber, "$.layouts[0].nodes[1].nodePosition.x"),
    ("coordinate-boolean.lif.json", IssueCode::WrongType, "$.layouts[0].nodes[2].nodePosition.y"),
    ("coordinate-too-far.lif.json", IssueCode::OutOfRange, "$.layouts[0].nodes[1].nodePosition.x"),
    ("coordinate-missing.lif.json", IssueCode::MissingField, "$.layouts[0].nodes[2].nodePosition.y"),
    ("node-id-missing.lif.json", IssueCode::MissingField, "$.layouts[0].nodes[1].nodeId"),
    ("zero-length-edge.lif.json", IssueCode::ZeroLengthEdge, "$.layouts[0].edges[0]"),
    ("self-loop.lif.json", IssueCode::SelfLoop, "$.layouts[0].edges[0].endNodeId"),
    (
        "station-unknown-node.lif.json",
        IssueCode::UnknownNode,
        "$.layouts[0].stations[0].interactionNodeIds[1]",
    ),
    ("station-without-nodes.lif.json", IssueCode::EmptyList, "$.layouts[0].stations[0].interactionNodeIds"),
    (
        "unknown-orientation-type.lif.json",
        IssueCode::UnknownEnumValue,
        "$.layouts[0].edges[0].vehicleTypeEdgeProperties[0].orientationType",
    ),
    (
        "trajectory-knot-count.lif.json",
        IssueCode::BadTrajectory,
        "$.layouts[0].edges[0].vehicleTypeEdgeProperties[0].trajectory",
    ),
    (
        "trajectory-knot-out-of-range.lif.json",
        IssueCode::OutOfRange,
        "$.layouts[0].edges[0].vehicleTypeEdgeProperties[0].trajectory.knotVector[3]",
    ),
    ("negative-station-height.lif.json", IssueCode::OutOfRange, "$.layouts[0].stations[0].stationHeight"),
    (
        "negative-max-speed.lif.json",
        IssueCode::OutOfRange,
        "$.layouts[0].edges[1].vehicleTypeEdgeProperties[0].maxSpeed",
    ),
    (
        "duplicate-vehicle-type.lif.json",
        IssueCode::DuplicateVehicleType,
        "$.layouts[0].edges[0].vehicleTypeEdgeProperties[1].vehicleTypeId",
    ),
    ("nodes-not-an-array.lif.json", IssueCode::WrongType, "$.layouts[0].nodes"),
    (
        "edge-starts-on-other-level.lif.json",
        IssueCode::StartNodeOnOtherLevel,
        "$.layouts[1].edges[0].startNodeId",
    ),
    ("huge-number.lif.json", IssueCode::JsonSyntax, "line 1, column 360"),
    ("not-utf8.lif.json", IssueCode::JsonSyntax, "line 1, column 34"),
    ("empty.map", IssueCode::EmptyFile, "line 1"),
    ("bad-height.map", IssueCode::BadHeader, "line 2"),
    ("zero-width.map", IssueCode::BadHeader, "line 3"),
    ("no-map-line.map", IssueCode::BadHeader, "line 4"),
    ("short-row.map", IssueCode::BadRowLength, "line 6"),
    ("long-row.map", IssueCode::BadRowLength, "line 6"),
    ("missing-rows.map", IssueCode::MissingRows, "line 7"),
    ("unknown-character.map", IssueCode::UnknownCharacter, "line 5, column 3"),
    ("extra-rows.map", IssueCode::BadRowLength, "line 6"),
    ("garbage-header.map", IssueCode::BadHeader, "line 1"),
];

#[test]
fn every_corpus_file_is_rejected_with_a_precise_error() {
    let mut failures = Vec::new();
    for &(name, code, location) in CASES {
        for strict in [false, true] {
            let result = layout::load(&corpus(name), LoadOptions { strict, ..LoadOptions::default() });
            let err = match result {
                Ok(_) => {
                    failures
                        .push(format!("{name} (strict={strict}): loaded, expected {code:?} at {location}"));
                    continue;
                }
                Err(err) => err,
            };
            let LoadError::Invalid { file, issues } = &err else {
                failures.push(format!("{name}: unexpected error kind {err}"));
                continue;
            };
            assert!(file.ends_with(name), "the error names the file: {}", file.display());
            let hit = issues.iter().any(|i| i.code == code && i.location.to_string() == location);
            if !hit {
                failures
                    .push(format!("{name} (strict={strict}): expected {code:?} at {location}, got:\n{err}"));
            }
            // The message names the file and says what was expected.
            let text = err.to_string();
            assert!(text.contains(name) && text.contains("expected"), "{text}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_corpus_covers_every_file_in_the_folder_and_is_large_enough() {
    let mut files: Vec<String> = std::fs::read_dir(corpus(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = CASES.iter().map(|(n, _, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "every corpus file has an expectation");
    assert!(CASES.len() >= 20);
}

#[test]
fn errors_name_the_offending_value() {
    let err = layout::load(&corpus("edge-to-unknown-node.lif.json"), LoadOptions::default()).unwrap_err();
    let issue = err.errors().next().unwrap();
    assert_eq!(issue.found, "\"N99\"");
    assert!(issue.expected.contains("nodeId"), "{}", issue.expected);
    let err = layout::load(&corpus("coordinate-not-numeric.lif.json"), LoadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("left of the door"), "{err}");
}

#[test]
fn all_errors_of_a_file_are_reported_not_just_the_first() {
    let text = r#"{"metaInformation": {"projectIdentification": "p", "creator": "c",
        "exportTimestamp": "t", "lifVersion": "0.11.0"},
      "layouts": [{"layoutId": "L", "layoutVersion": "1", "stations": [],
        "nodes": [{"nodeId": "A", "nodePosition": {"x": "a", "y": 0}, "vehicleTypeNodeProperties": []},
                  {"nodeId": "A", "nodePosition": {"x": 1, "y": 0}, "vehicleTypeNodeProperties": []}],
        "edges": [{"edgeId": "E", "startNodeId": "A", "endNodeId": "Z", "vehicleTypeEdgeProperties": []}]}]}"#;
    let err = layout::load_str(text, "multi.lif.json", LoadOptions::default()).unwrap_err();
    let codes: Vec<IssueCode> = err.errors().map(|i| i.code).collect();
    assert!(codes.contains(&IssueCode::NotANumber), "{codes:?}");
    assert!(codes.contains(&IssueCode::UnknownNode), "{codes:?}");
    assert!(matches!(err.errors().next().unwrap().location, Location::JsonPath(_)));
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_that_never_ends_is_refused_not_read_for_ever() {
    let err = layout::load(std::path::Path::new("/dev/zero"), LoadOptions::default()).unwrap_err();
    assert!(matches!(err, LoadError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("larger than"), "{err}");
}
