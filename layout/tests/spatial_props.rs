//! Property tests: on random layouts every spatial query and every
//! footprint conflict set agrees with a brute-force scan.

use layout::conflicts::{ConflictSet, Footprint, FootprintConflicts};
use layout::geometry::{Aabb, Polygon, point_segment_distance2, segment_segment_distance2};
use layout::model::*;
use layout::spatial::{SpatialIndex, edge_geometry};
use nalgebra::Point2;
use proptest::prelude::*;

fn random_layout() -> impl Strategy<Value = Layout> {
    (1usize..40, 1usize..3).prop_flat_map(|(n, n_levels)| {
        (
            proptest::collection::vec((0u32..500, 0u32..500, 0..n_levels as u32), n),
            proptest::collection::vec((0..n, 0..n), 0..(3 * n)),
            Just(n_levels),
        )
            .prop_map(|(points, pairs, n_levels)| {
                let nodes: Vec<Node> = points
                    .iter()
                    .enumerate()
                    .map(|(i, &(x, y, level))| Node {
                        id: format!("n{i}"),
                        name: None,
                        description: None,
                        map_id: None,
                        level: LevelIdx(level),
                        // Tenths of a metre on a coarse lattice: ties happen.
                        position: Point2::new(f64::from(x) / 10.0, f64::from(y) / 10.0),
                        vehicle_types: vec![],
                    })
                    .collect();
                let edges: Vec<Edge> = pairs
                    .into_iter()
                    .filter(|(a, b)| a != b && nodes[*a].position != nodes[*b].position)
                    .enumerate()
                    .map(|(i, (a, b))| Edge {
                        id: format!("e{i}"),
                        name: None,
                        description: None,
                        level: nodes[a].level,
                        from: NodeIdx(a as u32),
                        to: NodeIdx(b as u32),
                        length: (nodes[b].position - nodes[a].position).norm(),
                        vehicle_types: vec![],
                    })
                    .collect();
                let levels =
                    (0..n_levels).map(|i| Level { id: format!("L{i}"), ..Level::default() }).collect();
                Layout::from_parts(LayoutParts { levels, nodes, edges, ..LayoutParts::default() })
            })
    })
}

fn point() -> impl Strategy<Value = Point2<f64>> {
    (-50i32..550, -50i32..550).prop_map(|(x, y)| Point2::new(f64::from(x) / 10.0, f64::from(y) / 10.0))
}

/// Liang–Barsky: does the segment meet the box? (independent of the crate's polygon code)
fn segment_meets_box(a: Point2<f64>, b: Point2<f64>, bx: &Aabb) -> bool {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    let d = b - a;
    for (p, q) in
        [(-d.x, a.x - bx.min.x), (d.x, bx.max.x - a.x), (-d.y, a.y - bx.min.y), (d.y, bx.max.y - a.y)]
    {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

fn planar_edges(site: &Layout, level: LevelIdx) -> impl Iterator<Item = (EdgeIdx, Vec<Point2<f64>>)> + '_ {
    (0..site.edges.len() as u32)
        .map(EdgeIdx)
        .filter(move |e| {
            let edge = site.edge(*e);
            site.node(edge.from).level == level && site.node(edge.to).level == level
        })
        .map(move |e| (e, edge_geometry(site, e)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn nearest_queries_agree_with_brute_force(site in random_layout(), p in point()) {
        let index = SpatialIndex::build(&site);
        for level in (0..site.levels.len() as u32).map(LevelIdx) {
            let brute_node = site.nodes.iter().filter(|n| n.level == level)
                .map(|n| (n.position - p).norm()).fold(f64::INFINITY, f64::min);
            match index.nearest_node(level, p) {
                Some((node, d)) => {
                    prop_assert!((d - brute_node).abs() < 1e-9);
                    prop_assert!(((site.node(node).position - p).norm() - d).abs() < 1e-9);
                    prop_assert_eq!(site.node(node).level, level);
                }
                None => prop_assert!(brute_node.is_infinite()),
            }
            let brute_edge = planar_edges(&site, level)
                .map(|(_, g)| point_segment_distance2(p, g[0], g[1]).sqrt()).fold(f64::INFINITY, f64::min);
            match index.nearest_edge(level, p) {
                Some((edge, d)) => {
                    prop_assert!((d - brute_edge).abs() < 1e-9, "{} vs {}", d, brute_edge);
                    let g = edge_geometry(&site, edge);
                    prop_assert!((point_segment_distance2(p, g[0], g[1]).sqrt() - d).abs() < 1e-9);
                }
                None => prop_assert!(brute_edge.is_infinite()),
            }
        }
    }

    #[test]
    fn zone_queries_agree_with_brute_force(site in random_layout(), a in point(), b in point(), c in point(), r in 0.0f64..20.0) {
        let index = SpatialIndex::build(&site);
        let zone = Aabb::from_corners(a, b);
        let triangle = Polygon::new(vec![a, b, c]);
        for level in (0..site.levels.len() as u32).map(LevelIdx) {
            let on_level = |n: &&Node| n.level == level;
            let ids = |f: &dyn Fn(&Node) -> bool| -> Vec<NodeIdx> {
                site.nodes.iter().enumerate().filter(|(_, n)| on_level(n) && f(n)).map(|(i, _)| NodeIdx(i as u32)).collect()
            };
            prop_assert_eq!(index.nodes_in_box(level, zone), ids(&|n| zone.contains(n.position)));
            prop_assert_eq!(index.nodes_in_polygon(level, &triangle), ids(&|n| triangle.contains(n.position)));
            prop_assert_eq!(index.nodes_within(level, a, r), ids(&|n| (n.position - a).norm() <= r));
            let brute_box: Vec<EdgeIdx> = planar_edges(&site, level)
                .filter(|(_, g)| segment_meets_box(g[0], g[1], &zone)).map(|(e, _)| e).collect();
            prop_assert_eq!(index.edges_in_box(level, zone), brute_box);
            let brute_poly: Vec<EdgeIdx> = planar_edges(&site, level)
                .filter(|(_, g)| triangle.intersects_segment(g[0], g[1])).map(|(e, _)| e).collect();
            prop_assert_eq!(index.edges_in_polygon(level, &triangle), brute_poly);
            let brute_near: Vec<EdgeIdx> = planar_edges(&site, level)
                .filter(|(_, g)| point_segment_distance2(a, g[0], g[1]) <= r * r).map(|(e, _)| e).collect();
            prop_assert_eq!(index.edges_within(level, a, r), brute_near);
        }
    }

    #[test]
    fn conflict_sets_agree_with_brute_force(site in random_layout(), length in 0.2f64..3.0, width in 0.2f64..2.0, clearance in 0.0f64..0.5) {
        let footprint = Footprint { length, width, clearance };
        let sep = footprint.separation();
        let index = SpatialIndex::build(&site);
        let sets = FootprintConflicts::compute(&site, &index, footprint);
        // What each place covers: points or segments, each on a level.
        #[derive(Clone, Copy)]
        enum Atom { Point(LevelIdx, Point2<f64>), Segment(LevelIdx, Point2<f64>, Point2<f64>) }
        let node_atoms = |i: usize| vec![Atom::Point(site.nodes[i].level, site.nodes[i].position)];
        let edge_atoms = |e: usize| {
            let edge = &site.edges[e];
            let (a, b) = (site.node(edge.from), site.node(edge.to));
            if a.level == b.level {
                edge_geometry(&site, EdgeIdx(e as u32)).windows(2).map(|w| Atom::Segment(a.level, w[0], w[1])).collect()
            } else {
                vec![Atom::Point(a.level, a.position), Atom::Point(b.level, b.position)]
            }
        };
        let d2 = |x: Atom, y: Atom| match (x, y) {
            (Atom::Point(l, p), Atom::Point(m, q)) => if l == m { (p - q).norm_squared() } else { f64::INFINITY },
            (Atom::Point(l, p), Atom::Segment(m, a, b)) | (Atom::Segment(m, a, b), Atom::Point(l, p)) =>
                if l == m { point_segment_distance2(p, a, b) } else { f64::INFINITY },
            (Atom::Segment(l, a, b), Atom::Segment(m, c, d)) =>
                if l == m { segment_segment_distance2(a, b, c, d) } else { f64::INFINITY },
        };
        let meet = |xs: &[Atom], ys: &[Atom]| xs.iter().any(|x| ys.iter().any(|y| d2(*x, *y) < sep * sep));
        let all_nodes: Vec<Vec<Atom>> = (0..site.nodes.len()).map(node_atoms).collect();
        let all_edges: Vec<Vec<Atom>> = (0..site.edges.len()).map(edge_atoms).collect();
        let expect = |mine: &[Atom], skip_node: Option<usize>, skip_edge: Option<usize>| ConflictSet {
            nodes: (0..site.nodes.len()).filter(|&j| Some(j) != skip_node && meet(mine, &all_nodes[j])).map(|j| NodeIdx(j as u32)).collect(),
            edges: (0..site.edges.len()).filter(|&f| Some(f) != skip_edge && meet(mine, &all_edges[f])).map(|f| EdgeIdx(f as u32)).collect(),
        };
        for (i, atoms) in all_nodes.iter().enumerate() {
            prop_assert_eq!(sets.of_node(NodeIdx(i as u32)), &expect(atoms, Some(i), None), "node {}", i);
        }
        for (e, atoms) in all_edges.iter().enumerate() {
            prop_assert_eq!(sets.of_edge(EdgeIdx(e as u32)), &expect(atoms, None, Some(e)), "edge {}", e);
            // An edge always conflicts with its own end nodes.
            prop_assert!(sets.of_edge(EdgeIdx(e as u32)).nodes.contains(&site.edges[e].from));
        }
        // Symmetry.
        for (i, set) in sets.nodes.iter().enumerate() {
            for m in &set.nodes { prop_assert!(sets.of_node(*m).nodes.contains(&NodeIdx(i as u32))); }
            for f in &set.edges { prop_assert!(sets.of_edge(*f).nodes.contains(&NodeIdx(i as u32))); }
        }
    }
}
