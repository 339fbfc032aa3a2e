//! The unit-time plan graph: step counts, shared chains, vehicle-type
//! filtering and the carried-over conflict sets.

mod common;

use common::{repo, shared, without_shared};
use layout::conflicts::Footprint;
use layout::plan_graph::{PlanGraph, PlanGraphConfig, PlanGraphError, PlanNodeOrigin};
use layout::{EdgeIdx, LoadOptions};

fn plant() -> layout::Layout {
    layout::load(&repo("maps/car-plant.lif.json"), LoadOptions::default()).unwrap().value
}

#[test]
fn grid_maps_have_one_step_per_edge_and_no_extra_conflicts() {
    if without_shared("layout: grid_maps_have_one_step_per_edge_and_no_extra_conflicts") {
        return;
    }
    let grid =
        layout::load(&shared("bench/mapf/maps/room-32-32-4.map"), LoadOptions::default()).unwrap().value;
    let graph = PlanGraph::build(&grid, &PlanGraphConfig::default()).unwrap();
    assert_eq!(graph.n_nodes(), grid.nodes.len());
    assert_eq!(graph.n_edges(), grid.edges.len());
    assert_eq!(graph.conflict_counts(), (0, 0));
    for (i, edge) in grid.edges.iter().enumerate() {
        assert_eq!(graph.edge_steps(EdgeIdx(i as u32)), Some(1));
        assert!(graph.neighbours(graph.plan_node(edge.from)).contains(&graph.plan_node(edge.to)));
        assert!(graph.predecessors(graph.plan_node(edge.to)).contains(&graph.plan_node(edge.from)));
    }
    // A footprint wider than a cell makes neighbouring cells conflict.
    let wide = PlanGraphConfig {
        footprint: Some(Footprint { length: 1.0, width: 1.0, clearance: 0.0 }),
        ..Default::default()
    };
    let graph = PlanGraph::build(&grid, &wide).unwrap();
    assert!(graph.conflict_counts().0 > 0);
}

#[test]
fn plant_edges_take_ceil_length_over_speed_ticks() {
    let site = plant();
    let config = PlanGraphConfig { tick_seconds: 1.0, vehicle_speed: 1.5, ..Default::default() };
    let graph = PlanGraph::build(&site, &config).unwrap();
    for (i, edge) in site.edges.iter().enumerate() {
        let limit = edge.vehicle_types.iter().filter_map(|p| p.max_speed).fold(0.0, f64::max);
        let speed = limit.min(1.5);
        let want = ((edge.length / speed) - 1e-9).ceil().max(1.0) as u32;
        assert_eq!(graph.edge_steps(EdgeIdx(i as u32)), Some(want), "{}", edge.id);
        // The chain walks along plan edges from start to end.
        let mut prev = graph.plan_node(edge.from);
        for &next in graph.edge_chain(EdgeIdx(i as u32)).unwrap().iter().chain([&graph.plan_node(edge.to)]) {
            assert!(graph.edge_index(prev, next).is_some(), "{}", edge.id);
            prev = next;
        }
    }
    assert!(graph.n_nodes() > site.nodes.len());
}

#[test]
fn two_way_roads_share_their_intermediate_nodes() {
    let site = plant();
    let graph = PlanGraph::build(&site, &PlanGraphConfig::default()).unwrap();
    let mut shared_pairs = 0;
    for i in 0..site.edges.len() {
        let e = EdgeIdx(i as u32);
        if let Some(r) = site.reverse_edge(e) {
            let (mut a, b) = (graph.edge_chain(e).unwrap().to_vec(), graph.edge_chain(r).unwrap().to_vec());
            if graph.edge_steps(e) == graph.edge_steps(r) {
                a.reverse();
                assert_eq!(a, b, "{}", site.edge(e).id);
                shared_pairs += usize::from(!a.is_empty());
            }
        }
    }
    assert!(shared_pairs > 100, "{shared_pairs}");
    for v in site.nodes.len()..graph.n_nodes() {
        assert!(
            matches!(graph.origin(layout::plan_graph::PlanNodeIdx(v as u32)), PlanNodeOrigin::OnEdge { step, .. } if step >= 1)
        );
    }
}

#[test]
fn tuggers_are_kept_out_of_the_aisles() {
    let site = plant();
    let tugger = PlanGraphConfig { vehicle_type: Some("yard.tugger".into()), ..Default::default() };
    let compact = PlanGraphConfig { vehicle_type: Some("yard.compact-agv".into()), ..Default::default() };
    let (tg, cg) = (PlanGraph::build(&site, &tugger).unwrap(), PlanGraph::build(&site, &compact).unwrap());
    let aisle =
        site.edges.iter().position(|e| e.vehicle_types.len() == 1).map(|i| EdgeIdx(i as u32)).unwrap();
    assert_eq!(tg.edge_steps(aisle), None);
    assert!(cg.edge_steps(aisle).is_some());
    assert!(tg.n_edges() < cg.n_edges());
}

#[test]
fn plant_conflicts_are_symmetric_and_geometric() {
    let site = plant();
    let graph = PlanGraph::build(&site, &PlanGraphConfig::default()).unwrap();
    let sep = graph.footprint().separation();
    let (n_nodes, n_edges) = graph.conflict_counts();
    assert!(n_nodes > 0 && n_edges > 0, "{n_nodes} {n_edges}");
    for v in (0..graph.n_nodes() as u32).map(layout::plan_graph::PlanNodeIdx) {
        for &w in graph.node_conflicts(v) {
            assert!((graph.position(v) - graph.position(w)).norm() < sep);
            assert!(graph.node_conflicts(w).contains(&v));
        }
    }
    for e in 0..graph.n_edges() {
        let (u, v) = graph.edge_endpoints(e);
        assert_eq!(graph.edge_index(u, v), Some(e));
        for &f in graph.edge_conflicts(e) {
            let (x, y) = graph.edge_endpoints(f as usize);
            assert!(
                ![x, y].contains(&u) && ![x, y].contains(&v),
                "sharing an end point is the vertex rule's job"
            );
            assert!(graph.edge_conflicts(f as usize).contains(&(e as u32)));
        }
    }
}

#[test]
fn bad_configurations_are_rejected() {
    let site = plant();
    for config in [
        PlanGraphConfig { tick_seconds: 0.0, ..Default::default() },
        PlanGraphConfig { vehicle_speed: f64::NAN, ..Default::default() },
        PlanGraphConfig { vehicle_speed: -1.0, ..Default::default() },
    ] {
        assert!(matches!(PlanGraph::build(&site, &config), Err(PlanGraphError::BadConfig { .. })));
    }
}

#[test]
fn absurd_distances_are_refused_not_allocated() {
    // Regression: a fuzzed layout with a coordinate of 1e12 m asked for a
    // trillion intermediate plan nodes. The importer now refuses coordinates
    // past 1,000 km; one at the limit still asks for a million nodes.
    let text = r#"{"metaInformation": {"projectIdentification": "p", "creator": "c", "exportTimestamp": "t", "lifVersion": "0.11.0"},
      "layouts": [{"layoutId": "L", "layoutVersion": "1", "stations": [],
        "nodes": [{"nodeId": "A", "nodePosition": {"x": 0, "y": 0}, "vehicleTypeNodeProperties": [{"vehicleTypeId": "T"}]},
                  {"nodeId": "B", "nodePosition": {"x": 1e6, "y": 0}, "vehicleTypeNodeProperties": [{"vehicleTypeId": "T"}]}],
        "edges": [{"edgeId": "A-B", "startNodeId": "A", "endNodeId": "B",
          "vehicleTypeEdgeProperties": [{"vehicleTypeId": "T", "rotationAllowed": false}]}]}]}"#;
    let site = layout::load_str(text, "far.lif.json", LoadOptions::default()).unwrap().value;
    let config = PlanGraphConfig { max_nodes: 100_000, ..Default::default() };
    let err = PlanGraph::build(&site, &config).unwrap_err();
    assert!(matches!(err, PlanGraphError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("distances"), "{err}");
}
