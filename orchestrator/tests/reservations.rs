//! The reservation table on random layouts with random reserve / release
//! sequences: the invariant (no two vehicles hold conflicting places) holds
//! after every operation, a refused request changes nothing, and refusals
//! name a real holder.

use layout::conflicts::{Footprint, FootprintConflicts};
use layout::model::*;
use layout::spatial::SpatialIndex;
use nalgebra::Point2;
use orchestrator::traffic::bodies::Bodies;
use orchestrator::traffic::reservations::{Place, ReservationTable, VehicleIdx, check_invariant};
use proptest::prelude::*;

fn site(points: &[(u8, u8)], pairs: &[(usize, usize)]) -> Layout {
    let mut nodes: Vec<Node> = Vec::new();
    for &(x, y) in points {
        let p = Point2::new(f64::from(x), f64::from(y));
        if nodes.iter().all(|n| n.position != p) {
            nodes.push(Node::new(format!("n{}", nodes.len()), LevelIdx(0), p));
        }
    }
    let n = nodes.len();
    let edges = pairs
        .iter()
        .map(|&(a, b)| (a % n, b % n))
        .filter(|(a, b)| a != b)
        .enumerate()
        .map(|(i, (a, b))| Edge {
            id: format!("e{i}"),
            name: None,
            description: None,
            level: LevelIdx(0),
            from: NodeIdx(a as u32),
            to: NodeIdx(b as u32),
            length: (nodes[a].position - nodes[b].position).norm(),
            vehicle_types: vec![EdgeTypeProperties::unrestricted("t")],
        })
        .collect();
    Layout::from_parts(LayoutParts { levels: vec![Level::default()], nodes, edges, ..LayoutParts::default() })
}

#[derive(Clone, Debug)]
enum Op {
    Reserve { vehicle: u32, places: Vec<usize> },
    Release { vehicle: u32, places: Vec<usize> },
    ReleaseAllExcept { vehicle: u32, keep: Vec<usize> },
}

fn op() -> impl Strategy<Value = Op> {
    let places = proptest::collection::vec(0usize..200, 1..5);
    prop_oneof![
        3 => (0u32..4, places.clone()).prop_map(|(vehicle, places)| Op::Reserve { vehicle, places }),
        1 => (0u32..4, places.clone()).prop_map(|(vehicle, places)| Op::Release { vehicle, places }),
        1 => (0u32..4, places).prop_map(|(vehicle, keep)| Op::ReleaseAllExcept { vehicle, keep }),
    ]
}

fn place(site: &Layout, k: usize) -> Place {
    let n = site.nodes.len() + site.edges.len();
    let k = k % n;
    if k < site.nodes.len() {
        Place::Node(NodeIdx(k as u32))
    } else {
        Place::Edge(EdgeIdx((k - site.nodes.len()) as u32))
    }
}

fn snapshot(table: &ReservationTable, site: &Layout) -> Vec<Option<VehicleIdx>> {
    (0..site.nodes.len() + site.edges.len()).map(|k| table.holder(place(site, k))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_two_vehicles_ever_hold_conflicting_places(
        points in proptest::collection::vec((0u8..12, 0u8..12), 2..25),
        pairs in proptest::collection::vec((0usize..25, 0usize..25), 0..40),
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let site = site(&points, &pairs);
        let index = SpatialIndex::build(&site);
        // Two carriers and two long bodies: conflict sets per pair of bodies.
        let small = Footprint { length: 1.2, width: 0.8, clearance: 0.1 };
        let long = Footprint { length: 2.6, width: 1.2, clearance: 0.1 };
        let conflicts = Bodies::compute(&site, &index, &[small, small, long, long]);
        let (n_nodes, n_edges) = (site.nodes.len(), site.edges.len());
        let mut table = ReservationTable::new(n_nodes, n_edges, 4);
        for op in ops {
            match op {
                Op::Reserve { vehicle, places } => {
                    let v = VehicleIdx(vehicle);
                    let wanted: Vec<Place> = places.iter().map(|&k| place(&site, k)).collect();
                    let before = snapshot(&table, &site);
                    match table.try_reserve(&conflicts, v, &wanted) {
                        Ok(()) => {
                            for p in &wanted {
                                prop_assert_eq!(table.holder(*p), Some(v));
                            }
                        }
                        Err(blocked) => {
                            prop_assert_eq!(snapshot(&table, &site), before, "a refusal changed the table");
                            prop_assert!(blocked.by != v);
                            prop_assert_eq!(table.holder(blocked.held), Some(blocked.by), "the named holder holds it");
                        }
                    }
                }
                Op::Release { vehicle, places } => {
                    let wanted: Vec<Place> = places.iter().map(|&k| place(&site, k)).collect();
                    table.release(VehicleIdx(vehicle), &wanted);
                }
                Op::ReleaseAllExcept { vehicle, keep } => {
                    let v = VehicleIdx(vehicle);
                    let keep: Vec<Place> = keep.iter().map(|&k| place(&site, k)).collect();
                    table.release_all_except(v, &keep);
                    prop_assert!(table.held_by(v).all(|p| keep.contains(&p)));
                }
            }
            let check = check_invariant(&table, &conflicts, n_nodes, n_edges);
            prop_assert!(check.is_ok(), "{:?}", check);
        }
    }
}

#[test]
fn a_vehicle_on_a_node_keeps_its_neighbours_off_the_conflicting_edges() {
    // Two nodes 1 m apart joined both ways, a third 5 m away.
    let site = site(&[(0, 0), (1, 0), (6, 0)], &[(0, 1), (1, 0), (1, 2)]);
    let index = SpatialIndex::build(&site);
    let conflicts = Bodies::uniform(FootprintConflicts::compute(&site, &index, Footprint::FACTORY_AGV));
    let mut table = ReservationTable::new(site.nodes.len(), site.edges.len(), 2);
    let (a, b) = (VehicleIdx(0), VehicleIdx(1));
    table.try_reserve(&conflicts, a, &[Place::Node(NodeIdx(0))]).unwrap();
    // Node 1 is 1 m from node 0: closer than 1.64 m, so it conflicts.
    let blocked =
        table.try_reserve(&conflicts, b, &[Place::Node(NodeIdx(2)), Place::Node(NodeIdx(1))]).unwrap_err();
    assert_eq!(
        (blocked.wanted, blocked.held, blocked.by),
        (Place::Node(NodeIdx(1)), Place::Node(NodeIdx(0)), a)
    );
    assert_eq!(table.holder(Place::Node(NodeIdx(2))), None, "all or nothing");
    table.try_reserve(&conflicts, b, &[Place::Node(NodeIdx(2))]).unwrap();
    table.release_all_except(a, &[]);
    table.try_reserve(&conflicts, b, &[Place::Node(NodeIdx(1))]).unwrap();
}

mod cycles {
    use std::collections::BTreeMap;

    use layout::NodeIdx;
    use orchestrator::traffic::reservations::{Place, VehicleIdx};
    use orchestrator::traffic::waits::{WaitReason, wait_for_cycles};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn found_cycles_are_exactly_the_closed_walks(targets in proptest::collection::vec(proptest::option::of(0u32..12), 1..12)) {
            let waits: BTreeMap<VehicleIdx, WaitReason> = targets
                .iter()
                .enumerate()
                .filter_map(|(a, t)| t.map(|b| (VehicleIdx(a as u32), WaitReason::Reservation { place: Place::Node(NodeIdx(b)), holder: VehicleIdx(b) })))
                .collect();
            let cycles = wait_for_cycles(&waits);
            let next = |v: VehicleIdx| match waits.get(&v) { Some(WaitReason::Reservation { holder, .. }) => Some(*holder), _ => None };
            // Brute force: v is on a cycle iff following next from v returns to v.
            let on_cycle = |v: VehicleIdx| {
                let mut cur = next(v);
                for _ in 0..=waits.len() {
                    match cur { Some(c) if c == v => return true, Some(c) => cur = next(c), None => return false }
                }
                false
            };
            let mut in_found: Vec<VehicleIdx> = cycles.iter().flatten().copied().collect();
            in_found.sort();
            let mut expected: Vec<VehicleIdx> = waits.keys().copied().filter(|v| on_cycle(*v)).collect();
            expected.sort();
            prop_assert_eq!(in_found, expected);
            for c in &cycles {
                for (i, v) in c.iter().enumerate() {
                    prop_assert_eq!(next(*v), Some(c[(i + 1) % c.len()]));
                }
            }
        }
    }
}

#[test]
fn a_long_body_keeps_more_room_than_two_small_ones_need() {
    // Nodes 2 m apart in a row.
    let site = site(&[(0, 0), (2, 0), (4, 0)], &[(0, 1), (1, 2)]);
    let index = SpatialIndex::build(&site);
    let small = Footprint::FACTORY_AGV; // r = 0.82
    let long = Footprint { length: 3.0, width: 1.2, clearance: 0.1 }; // r ≈ 1.72
    let bodies = Bodies::compute(&site, &index, &[small, small, long]);
    let mut table = ReservationTable::new(site.nodes.len(), site.edges.len(), 3);
    let (a, b, t) = (VehicleIdx(0), VehicleIdx(1), VehicleIdx(2));
    // Two small bodies 2 m apart: 1.64 m < 2 m, they fit.
    table.try_reserve(&bodies, a, &[Place::Node(NodeIdx(0))]).unwrap();
    table.try_reserve(&bodies, b, &[Place::Node(NodeIdx(1))]).unwrap();
    table.release_all_except(b, &[]);
    // The long one next to a small one: 0.82 + 1.72 > 2 m, refused, and named.
    let blocked = table.try_reserve(&bodies, t, &[Place::Node(NodeIdx(1))]).unwrap_err();
    assert_eq!((blocked.held, blocked.by), (Place::Node(NodeIdx(0)), a));
    // 4 m away it fits.
    table.try_reserve(&bodies, t, &[Place::Node(NodeIdx(2))]).unwrap();
    // A small one between them fits next to the small one but would
    // touch the long one: refused, by the long one.
    assert_eq!(table.try_reserve(&bodies, b, &[Place::Node(NodeIdx(1))]).unwrap_err().by, t);
    assert!(check_invariant(&table, &bodies, 3, site.edges.len()).is_ok());
}
