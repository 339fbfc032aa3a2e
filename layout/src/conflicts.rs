//! Footprint conflict sets: which nodes and edges one vehicle's body cannot
//! share with another vehicle's at the same time.
//!
//! A vehicle is modelled, whatever its heading, by the disc that contains
//! its rectangular body plus clearance: radius `r = ½·√(length² + width²) +
//! clearance`. On a node the body covers the disc around the node; on an
//! edge it sweeps the disc along the edge's geometry. Two places conflict
//! when two such shapes overlap, that is when their centres' sets come
//! closer than `2r` (touching at exactly `2r` is allowed). The disc is
//! conservative for rotation on nodes, which LIF allows almost everywhere.
//!
//! Two vehicles of different bodies conflict when their discs overlap:
//! [`FootprintConflicts::compute_pair`] computes the sets for a pair of
//! footprints (separation `r₁ + r₂`), [`FootprintConflicts::compute`] for
//! two vehicles of one footprint.
//!
//! An edge between levels (a lift) has no geometry on either plane: it
//! occupies the discs around its two end points, each on its own level.

use crate::geometry::point_segment_distance2;
use crate::model::{EdgeIdx, Layout, NodeIdx};
use crate::spatial::{SpatialIndex, edge_geometry, is_planar};

/// A vehicle's body as seen by traffic control.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Footprint {
    /// Body length, m.
    pub length: f64,
    /// Body width, m.
    pub width: f64,
    /// Safety margin around the body, m.
    pub clearance: f64,
}

impl Footprint {
    /// A typical factory tugger / load carrier: 1.2 m × 0.8 m, 0.1 m clearance.
    pub const FACTORY_AGV: Footprint = Footprint { length: 1.2, width: 0.8, clearance: 0.1 };
    /// A body that fits one cell of a 1 m grid without touching its
    /// neighbours' (0.7 m square, no clearance): grid conflict sets are empty.
    pub const GRID_CELL: Footprint = Footprint { length: 0.7, width: 0.7, clearance: 0.0 };

    /// Radius of the disc that contains the body with its clearance.
    pub fn radius(&self) -> f64 {
        0.5 * self.length.hypot(self.width) + self.clearance
    }

    /// Distance below which two vehicles' discs overlap.
    pub fn separation(&self) -> f64 {
        2.0 * self.radius()
    }
}

/// The places one element conflicts with (itself excluded), sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConflictSet {
    /// Conflicting nodes.
    pub nodes: Vec<NodeIdx>,
    /// Conflicting edges.
    pub edges: Vec<EdgeIdx>,
}

/// Conflict sets for every node and edge of a layout, for one footprint
/// (or one pair of footprints).
#[derive(Clone, Debug, PartialEq)]
pub struct FootprintConflicts {
    /// The footprint the sets were computed for (the first of the pair).
    pub footprint: Footprint,
    /// Distance below which the two bodies' discs overlap, m.
    pub separation: f64,
    /// By node index.
    pub nodes: Vec<ConflictSet>,
    /// By edge index.
    pub edges: Vec<ConflictSet>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Node(u32),
    Edge(u32),
}

impl FootprintConflicts {
    /// Computes all sets with the spatial index; relations are symmetric.
    pub fn compute(layout: &Layout, index: &SpatialIndex, footprint: Footprint) -> FootprintConflicts {
        FootprintConflicts::compute_pair(layout, index, footprint, footprint)
    }

    /// The sets for a vehicle of footprint `a` against one of footprint
    /// `b`: place `p` conflicts with place `q` when `a`'s disc on `p` and
    /// `b`'s disc on `q` overlap. Symmetric in `a` and `b`.
    pub fn compute_pair(
        layout: &Layout,
        index: &SpatialIndex,
        a: Footprint,
        b: Footprint,
    ) -> FootprintConflicts {
        let sep = a.radius() + b.radius();
        let footprint = a;
        let mut pairs: Vec<(Place, Place)> = Vec::new();
        // Node–node.
        for (i, node) in layout.nodes.iter().enumerate() {
            for other in index.nodes_within(node.level, node.position, sep) {
                let d = (layout.node(other).position - node.position).norm();
                if other.0 != i as u32 && d < sep {
                    pairs.push((Place::Node(i as u32), Place::Node(other.0)));
                }
            }
        }
        // Edge–node and edge–edge for edges on one level.
        for i in 0..layout.edges.len() {
            let edge = EdgeIdx(i as u32);
            if !is_planar(layout, edge) {
                continue;
            }
            let level = layout.node(layout.edge(edge).from).level;
            let geometry = edge_geometry(layout, edge);
            for w in geometry.windows(2) {
                let (a, b) = (w[0], w[1]);
                for n in index.nodes_near_segment(level, a, b, sep) {
                    pairs.push((Place::Edge(edge.0), Place::Node(n.0)));
                }
                let min = nalgebra::Point2::new(a.x.min(b.x) - sep, a.y.min(b.y) - sep);
                let max = nalgebra::Point2::new(a.x.max(b.x) + sep, a.y.max(b.y) + sep);
                for (other, c, d) in index.edge_pieces_near(level, min, max) {
                    if other != edge && crate::geometry::segment_segment_distance2(a, b, c, d) < sep * sep {
                        pairs.push((Place::Edge(edge.0), Place::Edge(other.0)));
                    }
                }
            }
        }
        // Edges between levels occupy their two end points (one on each level).
        let lifts: Vec<EdgeIdx> =
            (0..layout.edges.len() as u32).map(EdgeIdx).filter(|e| !is_planar(layout, *e)).collect();
        let ends = |e: EdgeIdx| {
            let edge = layout.edge(e);
            [edge.from, edge.to].map(|n| (layout.node(n).level, layout.node(n).position))
        };
        for (k, &lift) in lifts.iter().enumerate() {
            for (level, p) in ends(lift) {
                for n in index.nodes_within(level, p, sep) {
                    if (layout.node(n).position - p).norm() < sep {
                        pairs.push((Place::Edge(lift.0), Place::Node(n.0)));
                    }
                }
                for other in index.edges_within(level, p, sep) {
                    let g = edge_geometry(layout, other);
                    let d2 = g
                        .windows(2)
                        .map(|w| point_segment_distance2(p, w[0], w[1]))
                        .fold(f64::INFINITY, f64::min);
                    if d2 < sep * sep {
                        pairs.push((Place::Edge(lift.0), Place::Edge(other.0)));
                    }
                }
                for &other in &lifts[k + 1..] {
                    if ends(other).iter().any(|(l, q)| *l == level && (q - p).norm() < sep) {
                        pairs.push((Place::Edge(lift.0), Place::Edge(other.0)));
                    }
                }
            }
        }
        let mut nodes = vec![ConflictSet::default(); layout.nodes.len()];
        let mut edges = vec![ConflictSet::default(); layout.edges.len()];
        for (a, b) in pairs {
            for (x, y) in [(a, b), (b, a)] {
                let set = match x {
                    Place::Node(n) => &mut nodes[n as usize],
                    Place::Edge(e) => &mut edges[e as usize],
                };
                match y {
                    Place::Node(n) => set.nodes.push(NodeIdx(n)),
                    Place::Edge(e) => set.edges.push(EdgeIdx(e)),
                }
            }
        }
        for set in nodes.iter_mut().chain(edges.iter_mut()) {
            set.nodes.sort_unstable();
            set.nodes.dedup();
            set.edges.sort_unstable();
            set.edges.dedup();
        }
        FootprintConflicts { footprint, separation: sep, nodes, edges }
    }

    /// The set of a node.
    pub fn of_node(&self, node: NodeIdx) -> &ConflictSet {
        &self.nodes[node.index()]
    }

    /// The set of an edge.
    pub fn of_edge(&self, edge: EdgeIdx) -> &ConflictSet {
        &self.edges[edge.index()]
    }
}
