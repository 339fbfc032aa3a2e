//! Layout and orchestrator together on the project's car plant: every
//! station can be reached from every other for the vehicle types that serve
//! it, and the one-way aisles make some trips longer one way than back.

use std::path::PathBuf;

use layout::plan_graph::{PlanGraph, PlanGraphConfig};
use layout::{LoadOptions, StationKind};
use orchestrator::mapf::distance::DistanceCache;

fn plant() -> layout::Layout {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maps/car-plant.lif.json");
    layout::load(&path, LoadOptions::default()).unwrap().value
}

#[test]
fn every_station_reaches_every_other_for_compact_agvs() {
    let site = plant();
    let config = PlanGraphConfig { vehicle_type: Some("yard.compact-agv".into()), ..Default::default() };
    let graph = PlanGraph::build(&site, &config).unwrap();
    let mut cache = DistanceCache::new(&graph);
    // Every station but the tugger trains' parking sidings.
    let spots: Vec<_> = site
        .stations
        .iter()
        .filter(|s| !s.id.starts_with("TUG-PARK"))
        .map(|s| graph.plan_node(s.interaction_nodes[0]))
        .collect();
    assert_eq!(spots.len(), site.stations.len() - 3);
    for &goal in &spots {
        let table = cache.get(goal).clone();
        for &from in &spots {
            assert!(table.to_goal(from).is_some());
        }
    }
}

#[test]
fn tuggers_reach_docks_supermarkets_chargers_and_their_sidings_but_no_aisle_pick() {
    let site = plant();
    let config = PlanGraphConfig { vehicle_type: Some("yard.tugger".into()), ..Default::default() };
    let graph = PlanGraph::build(&site, &config).unwrap();
    let mut cache = DistanceCache::new(&graph);
    let dock = site.station_by_id("WH-DOCK-1").unwrap();
    let dock_node = graph.plan_node(site.stations[dock.index()].interaction_nodes[0]);
    let table = cache.get(dock_node).clone();
    for station in &site.stations {
        let reachable = table.to_goal(graph.plan_node(station.interaction_nodes[0])).is_some();
        // Not the aisles, the rework loop or the compact AGVs' parking bays.
        let compact_only = ["WH-PICK", "REWORK", "PARK-"].iter().any(|p| station.id.starts_with(p));
        assert_eq!(reachable, !compact_only, "{}", station.id);
        if station.kind == StationKind::Charging || station.id.starts_with("TUG-PARK") {
            assert!(reachable, "{}", station.id);
        }
    }
}

#[test]
fn one_way_aisles_make_trips_asymmetric() {
    let site = plant();
    let graph = PlanGraph::build(&site, &PlanGraphConfig::default()).unwrap();
    let mut cache = DistanceCache::new(&graph);
    let a = graph
        .plan_node(site.stations[site.station_by_id("WH-PICK-A1").unwrap().index()].interaction_nodes[0]);
    let b = graph
        .plan_node(site.stations[site.station_by_id("WH-PICK-A2").unwrap().index()].interaction_nodes[0]);
    let there = cache.get(b).to_goal(a).unwrap();
    let back = cache.get(a).to_goal(b).unwrap();
    // Aisle A runs north: A1 → A2 stays in the aisle, A2 → A1 goes round.
    assert!(back > there, "there {there}, back {back}");
}

#[test]
fn vehicle_keys_are_built_for_plant_vehicles() {
    let key =
        protocol::topic::TopicKey::new("yardmaster", "tugger-01", protocol::topic::Topic::Order).unwrap();
    assert_eq!(key.to_string(), "vda5050/v2/yardmaster/tugger-01/order");
}
