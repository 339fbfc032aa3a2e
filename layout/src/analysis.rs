//! Structure figures of a layout, as `yard-sim map info` prints them:
//! size, extent, stations by kind, connectivity, dead ends, one-way edges.

use std::collections::BTreeMap;

use crate::geometry::Aabb;
use crate::model::{EdgeIdx, Layout, NodeIdx, StationKind};

/// What `map info` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct LayoutSummary {
    /// Number of levels.
    pub levels: usize,
    /// Number of nodes.
    pub nodes: usize,
    /// Number of directed edges.
    pub edges: usize,
    /// Sum of edge lengths, m.
    pub total_edge_length: f64,
    /// Bounding box of all node positions, `None` for an empty layout.
    pub bounding_box: Option<Aabb>,
    /// Station count per kind (every kind listed, zeros included).
    pub stations_by_kind: BTreeMap<StationKind, usize>,
    /// Vehicle types named in the layout.
    pub vehicle_types: Vec<String>,
    /// Weakly connected components (edge direction ignored).
    pub weak_components: usize,
    /// Strongly connected components (a vehicle can get from any node of
    /// one to any other and back).
    pub strong_components: usize,
    /// Size of the largest strongly connected component.
    pub largest_strong_component: usize,
    /// Nodes with no outgoing edge: a vehicle that gets there cannot leave.
    pub dead_ends: Vec<NodeIdx>,
    /// Nodes with no incoming edge: no vehicle can get there.
    pub unreachable: Vec<NodeIdx>,
    /// Edges without a reverse edge.
    pub one_way_edges: Vec<EdgeIdx>,
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        parent[x as usize] = parent[parent[x as usize] as usize];
        x = parent[x as usize];
    }
    x
}

/// Computes the summary.
pub fn summarize(layout: &Layout) -> LayoutSummary {
    let n = layout.nodes.len();
    let bounding_box = layout.nodes.first().map(|first| {
        layout.nodes.iter().fold(Aabb { min: first.position, max: first.position }, |b, node| {
            let p = node.position;
            Aabb {
                min: nalgebra::Point2::new(b.min.x.min(p.x), b.min.y.min(p.y)),
                max: nalgebra::Point2::new(b.max.x.max(p.x), b.max.y.max(p.y)),
            }
        })
    });
    let mut stations_by_kind: BTreeMap<StationKind, usize> =
        StationKind::ALL.iter().map(|k| (*k, 0)).collect();
    for s in &layout.stations {
        *stations_by_kind.entry(s.kind).or_default() += 1;
    }

    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut indegree = vec![0usize; n];
    for e in &layout.edges {
        let (a, b) = (find(&mut parent, e.from.0), find(&mut parent, e.to.0));
        if a != b {
            parent[a.max(b) as usize] = a.min(b);
        }
        indegree[e.to.index()] += 1;
    }
    let weak_components = (0..n as u32).filter(|&i| find(&mut parent, i) == i).count();

    let nodes: Vec<NodeIdx> = (0..n as u32).map(NodeIdx).collect();
    let sccs = pathfinding::directed::strongly_connected_components::strongly_connected_components(
        &nodes,
        |v: &NodeIdx| layout.out_edges(*v).iter().map(|e| layout.edge(*e).to).collect::<Vec<_>>(),
    );
    let largest_strong_component = sccs.iter().map(Vec::len).max().unwrap_or(0);

    LayoutSummary {
        levels: layout.levels.len(),
        nodes: n,
        edges: layout.edges.len(),
        total_edge_length: layout.edges.iter().map(|e| e.length).sum(),
        bounding_box,
        stations_by_kind,
        vehicle_types: layout.vehicle_types(),
        weak_components,
        strong_components: sccs.len(),
        largest_strong_component,
        dead_ends: nodes.iter().copied().filter(|v| layout.out_edges(*v).is_empty()).collect(),
        unreachable: nodes.iter().copied().filter(|v| indegree[v.index()] == 0).collect(),
        one_way_edges: (0..layout.edges.len() as u32)
            .map(EdgeIdx)
            .filter(|e| layout.reverse_edge(*e).is_none())
            .collect(),
    }
}
