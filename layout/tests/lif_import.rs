//! LIF import against the specification's own examples and the schema:
//! every example loads; strict mode agrees with the schema; export is
//! schema-valid and import ∘ export ∘ import is the identity on the model.

mod common;

use common::{files, lif_schema, repo, shared, without_shared};
use layout::lif::{self, LifOptions};
use layout::model::StationKind;
use layout::{IssueCode, LoadOptions, Severity};

#[test]
fn every_specification_example_loads_leniently() {
    if without_shared("layout: every_specification_example_loads_leniently") {
        return;
    }
    for path in files(shared("lif/examples"), ".json") {
        let loaded = lif::load(&path, LifOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!loaded.value.nodes.is_empty(), "{}", path.display());
        assert!(loaded.warnings.iter().all(|w| w.severity == Severity::Warning));
    }
}

#[test]
fn strict_mode_accepts_exactly_what_the_schema_accepts() {
    if without_shared("layout: strict_mode_accepts_exactly_what_the_schema_accepts") {
        return;
    }
    let schema = lif_schema();
    let mut n_rejected = 0;
    for path in files(shared("lif/examples"), ".json") {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let schema_ok = schema.is_valid(&value);
        let strict = lif::load(&path, LifOptions { strict: true });
        assert_eq!(
            strict.is_ok(),
            schema_ok,
            "{}: strict={:?} schema_ok={schema_ok}",
            path.display(),
            strict.err().map(|e| e.to_string())
        );
        if !schema_ok {
            n_rejected += 1;
        }
    }
    // The README of ../shared/lif says most examples fail the schema.
    assert!(n_rejected >= 5, "{n_rejected}");
}

#[test]
fn leniencies_are_warnings_with_json_paths() {
    if without_shared("layout: leniencies_are_warnings_with_json_paths") {
        return;
    }
    let path = shared("lif/examples/06-station-with-one-node.json");
    let loaded = lif::load(&path, LifOptions::default()).unwrap();
    let w =
        loaded.warnings.iter().find(|w| w.code == IssueCode::NumberAsString).expect("numeric string warning");
    assert_eq!(w.location.to_string(), "$.layouts[0].stations[0].stationHeight");
    assert_eq!(loaded.value.stations[0].height, Some(0.55));

    let path = shared("lif/examples/01-forward-edge.json");
    let loaded = lif::load(&path, LifOptions::default()).unwrap();
    let w =
        loaded.warnings.iter().find(|w| w.code == IssueCode::MissingField).expect("missing stations warning");
    assert_eq!(w.location.to_string(), "$.layouts[0].stations");
    let err = lif::load(&path, LifOptions { strict: true }).unwrap_err();
    assert!(err.has(IssueCode::MissingField), "{err}");
}

#[test]
fn export_validates_and_round_trips_for_every_example_and_our_maps() {
    if without_shared("layout: export_validates_and_round_trips_for_every_example_and_our_maps") {
        return;
    }
    let schema = lif_schema();
    let mut paths = files(shared("lif/examples"), ".json");
    paths.push(repo("maps/car-plant.lif.json"));
    for path in paths {
        let first = lif::load(&path, LifOptions::default()).unwrap().value;
        let text = lif::to_string(&first);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = schema.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: export is not schema-valid: {errors:?}", path.display());
        let second = lif::parse(&text, &path, LifOptions { strict: true }).unwrap();
        // Strict import succeeded: no leniency was needed for our own output.
        assert!(
            second
                .warnings
                .iter()
                .all(|w| w.code == IssueCode::TrajectoryOffEnds || w.code == IssueCode::EmptyList)
        );
        assert_eq!(first, second.value, "{}: import ∘ export ∘ import differs", path.display());
    }
}

#[test]
fn the_car_plant_passes_the_schema_strictly_and_has_what_a_plant_has() {
    if without_shared("layout: the_car_plant_passes_the_schema_strictly_and_has_what_a_plant_has") {
        return;
    }
    let path = repo("maps/car-plant.lif.json");
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(lif_schema().is_valid(&value));
    let loaded = layout::load(&path, LoadOptions { strict: true, ..Default::default() }).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let plant = loaded.value;
    assert!((300..=1000).contains(&plant.nodes.len()), "{}", plant.nodes.len());
    let count = |kind| plant.stations.iter().filter(|s| s.kind == kind).count();
    assert!(count(StationKind::Pickup) >= 10);
    assert!(count(StationKind::Drop) >= 10);
    assert!(count(StationKind::Charging) >= 4);
    assert!(count(StationKind::Parking) >= 4);
    assert_eq!(count(StationKind::Inspection), 1);
    assert!(plant.stations.iter().any(|s| s.id.starts_with("REWORK")));
    let summary = layout::analysis::summarize(&plant);
    assert_eq!(summary.strong_components, 1, "every node reachable from every other");
    assert!(!summary.one_way_edges.is_empty(), "one-way aisles");
    assert!(summary.one_way_edges.len() < plant.edges.len() / 2, "mostly two-way roads");
    assert_eq!(summary.vehicle_types.len(), 2);
}

#[test]
fn multi_level_example_keeps_levels_and_the_lift_edges() {
    if without_shared("layout: multi_level_example_keeps_levels_and_the_lift_edges") {
        return;
    }
    let loaded = lif::load(
        &shared("lif/examples/14-two-levels-of-a-facility-in-one-lif-file.json"),
        LifOptions::default(),
    )
    .unwrap();
    let site = loaded.value;
    assert_eq!(site.levels.len(), 2);
    let n2 = site.node_by_id("N2").unwrap();
    let n102 = site.node_by_id("N102").unwrap();
    assert_ne!(site.node(n2).level, site.node(n102).level);
    assert!(site.out_edges(n2).iter().any(|e| site.edge(*e).to == n102));
}

#[test]
fn trajectories_between_their_nodes_give_curve_lengths() {
    let text = r#"{"metaInformation": {"projectIdentification": "p", "creator": "c", "exportTimestamp": "t", "lifVersion": "0.11.0"},
      "layouts": [{"layoutId": "L", "layoutVersion": "1", "stations": [],
        "nodes": [{"nodeId": "A", "nodePosition": {"x": 0, "y": 0}, "vehicleTypeNodeProperties": [{"vehicleTypeId": "T"}]},
                  {"nodeId": "B", "nodePosition": {"x": 3.6, "y": 0}, "vehicleTypeNodeProperties": [{"vehicleTypeId": "T"}]}],
        "edges": [{"edgeId": "A-B", "startNodeId": "A", "endNodeId": "B", "vehicleTypeEdgeProperties": [{"vehicleTypeId": "T",
          "rotationAllowed": false, "trajectory": {"degree": 2, "knotVector": [0, 0, 0, 0.5, 1, 1, 1],
          "controlPoints": [{"x": 0, "y": 0}, {"x": 0, "y": 1.8}, {"x": 3.6, "y": 1.8}, {"x": 3.6, "y": 0}]}}]}]}]}"#;
    let site = layout::load_str(text, "curve.lif.json", LoadOptions { strict: true, ..Default::default() })
        .unwrap()
        .value;
    let length = site.edges[0].length;
    assert!(length > 3.6 * 1.3 && length < 7.2, "{length}");
    assert_eq!(
        layout::spatial::edge_geometry(&site, layout::EdgeIdx(0)).len(),
        layout::geometry::Trajectory::SAMPLES + 1
    );
}

#[test]
fn trajectories_off_their_nodes_are_reported_and_ignored_for_geometry() {
    if without_shared("layout: trajectories_off_their_nodes_are_reported_and_ignored_for_geometry") {
        return;
    }
    // Example 17's curves run from (0,0) to (3.6,0), its nodes sit at x=5 and x=15.
    let loaded =
        lif::load(&shared("lif/examples/17-edge-with-trajectory-definition.json"), LifOptions::default())
            .unwrap();
    let offs: Vec<_> = loaded.warnings.iter().filter(|w| w.code == IssueCode::TrajectoryOffEnds).collect();
    assert_eq!(offs.len(), 2, "{:?}", loaded.warnings);
    assert!(offs[0].location.to_string().ends_with("vehicleTypeEdgeProperties[0].trajectory"));
    for edge in &loaded.value.edges {
        assert!((edge.length - 10.0).abs() < 1e-9, "{}", edge.length);
        assert!(edge.trajectory().is_some(), "kept in the model for export");
    }
}

#[test]
fn rotation_stations_may_have_zero_length_rotation_edges() {
    if without_shared("layout: rotation_stations_may_have_zero_length_rotation_edges") {
        return;
    }
    // Example 09 models turning in place as an edge between two nodes at one spot.
    let site =
        lif::load(&shared("lif/examples/09-rotation-station.json"), LifOptions::default()).unwrap().value;
    let rotation = site.edges.iter().find(|e| e.id == "N11-N21").unwrap();
    assert_eq!(rotation.length, 0.0);
}

#[test]
fn station_kinds_are_inferred_from_the_examples() {
    if without_shared("layout: station_kinds_are_inferred_from_the_examples") {
        return;
    }
    let site = lif::load(&shared("lif/examples/13-battery-charging-station.json"), LifOptions::default())
        .unwrap()
        .value;
    assert_eq!(site.stations[0].kind, StationKind::Charging);
}
