//! An `rstar` index over node points and edge segments, one tree pair per
//! level: snap a reported pose to the nearest node or edge, and find what
//! lies in a box or polygon zone.
//!
//! Edges are indexed by the pieces of their geometry (the straight segment,
//! or the sampled trajectory). Edges that join two levels (lifts) have no
//! geometry on either plane and are not in the edge trees; their end nodes
//! are.

use nalgebra::Point2;
use rstar::primitives::{GeomWithData, Line};
use rstar::{AABB, RTree};

use crate::geometry::{Aabb, Polygon, point_segment_distance2, trajectory_between};
use crate::model::{EdgeIdx, Layout, LevelIdx, NodeIdx};

type NodePoint = GeomWithData<[f64; 2], NodeIdx>;
type EdgePiece = GeomWithData<Line<[f64; 2]>, EdgeIdx>;

/// The geometry of an edge as a polyline from its start to its end node:
/// its first trajectory if that runs between the two nodes, else the
/// straight segment.
pub fn edge_geometry(layout: &Layout, edge: EdgeIdx) -> Vec<Point2<f64>> {
    let e = layout.edge(edge);
    let (a, b) = (layout.node(e.from).position, layout.node(e.to).position);
    match e.trajectory().and_then(|t| trajectory_between(t, a, b)) {
        Some(line) => line,
        None => vec![a, b],
    }
}

/// Whether an edge lies on one level (and so has geometry in the index).
pub fn is_planar(layout: &Layout, edge: EdgeIdx) -> bool {
    let e = layout.edge(edge);
    layout.same_level(e.from, e.to)
}

fn arr(p: Point2<f64>) -> [f64; 2] {
    [p.x, p.y]
}

fn pt(a: [f64; 2]) -> Point2<f64> {
    Point2::new(a[0], a[1])
}

struct LevelTrees {
    nodes: RTree<NodePoint>,
    edges: RTree<EdgePiece>,
}

/// Spatial index of one layout.
pub struct SpatialIndex {
    levels: Vec<LevelTrees>,
}

impl SpatialIndex {
    /// Builds the index (bulk-loaded).
    pub fn build(layout: &Layout) -> SpatialIndex {
        let mut node_lists: Vec<Vec<NodePoint>> =
            (0..layout.levels.len().max(1)).map(|_| Vec::new()).collect();
        let mut edge_lists: Vec<Vec<EdgePiece>> =
            (0..layout.levels.len().max(1)).map(|_| Vec::new()).collect();
        for (i, node) in layout.nodes.iter().enumerate() {
            if let Some(list) = node_lists.get_mut(node.level.index()) {
                list.push(GeomWithData::new(arr(node.position), NodeIdx(i as u32)));
            }
        }
        for i in 0..layout.edges.len() {
            let edge = EdgeIdx(i as u32);
            if !is_planar(layout, edge) {
                continue;
            }
            let level = layout.node(layout.edge(edge).from).level.index();
            let geometry = edge_geometry(layout, edge);
            if let Some(list) = edge_lists.get_mut(level) {
                for w in geometry.windows(2) {
                    list.push(GeomWithData::new(Line::new(arr(w[0]), arr(w[1])), edge));
                }
            }
        }
        let levels = node_lists
            .into_iter()
            .zip(edge_lists)
            .map(|(nodes, edges)| LevelTrees {
                nodes: RTree::bulk_load(nodes),
                edges: RTree::bulk_load(edges),
            })
            .collect();
        SpatialIndex { levels }
    }

    fn level(&self, level: LevelIdx) -> Option<&LevelTrees> {
        self.levels.get(level.index())
    }

    /// The node nearest to `point` on `level` and its distance; ties go to
    /// the lowest index.
    pub fn nearest_node(&self, level: LevelIdx, point: Point2<f64>) -> Option<(NodeIdx, f64)> {
        let tree = &self.level(level)?.nodes;
        let candidates = tree.nearest_neighbors(&arr(point));
        let best = candidates.into_iter().min_by_key(|n| n.data)?;
        Some((best.data, (pt(*best.geom()) - point).norm()))
    }

    /// The edge whose geometry passes nearest to `point` on `level`, and the
    /// distance; ties (an edge and its reverse) go to the lowest index.
    pub fn nearest_edge(&self, level: LevelIdx, point: Point2<f64>) -> Option<(EdgeIdx, f64)> {
        let tree = &self.level(level)?.edges;
        let mut iter = tree.nearest_neighbor_iter_with_distance_2(arr(point));
        let (first, d2) = iter.next()?;
        let mut best = first.data;
        for (piece, other) in iter {
            if other > d2 {
                break;
            }
            best = best.min(piece.data);
        }
        Some((best, d2.sqrt()))
    }

    /// Nodes on `level` within `radius` of `point` (inclusive), sorted.
    pub fn nodes_within(&self, level: LevelIdx, point: Point2<f64>, radius: f64) -> Vec<NodeIdx> {
        let Some(trees) = self.level(level) else { return Vec::new() };
        let mut out: Vec<NodeIdx> =
            trees.nodes.locate_within_distance(arr(point), radius * radius).map(|n| n.data).collect();
        out.sort_unstable();
        out
    }

    /// Edges on `level` whose geometry comes within `radius` of `point`, sorted.
    pub fn edges_within(&self, level: LevelIdx, point: Point2<f64>, radius: f64) -> Vec<EdgeIdx> {
        let Some(trees) = self.level(level) else { return Vec::new() };
        let mut out: Vec<EdgeIdx> =
            trees.edges.locate_within_distance(arr(point), radius * radius).map(|e| e.data).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Nodes on `level` inside the box (border included), sorted.
    pub fn nodes_in_box(&self, level: LevelIdx, zone: Aabb) -> Vec<NodeIdx> {
        let Some(trees) = self.level(level) else { return Vec::new() };
        let envelope = AABB::from_corners(arr(zone.min), arr(zone.max));
        let mut out: Vec<NodeIdx> = trees.nodes.locate_in_envelope(envelope).map(|n| n.data).collect();
        out.sort_unstable();
        out
    }

    /// Edges on `level` with some part inside the box, sorted.
    pub fn edges_in_box(&self, level: LevelIdx, zone: Aabb) -> Vec<EdgeIdx> {
        self.edges_in_polygon(level, &zone.to_polygon())
    }

    /// Nodes on `level` inside the polygon (border included), sorted.
    pub fn nodes_in_polygon(&self, level: LevelIdx, zone: &Polygon) -> Vec<NodeIdx> {
        let (Some(trees), Some(bbox)) = (self.level(level), zone.bounding_box()) else {
            return Vec::new();
        };
        let envelope = AABB::from_corners(arr(bbox.min), arr(bbox.max));
        let mut out: Vec<NodeIdx> = trees
            .nodes
            .locate_in_envelope(envelope)
            .filter(|n| zone.contains(pt(*n.geom())))
            .map(|n| n.data)
            .collect();
        out.sort_unstable();
        out
    }

    /// Edges on `level` with some part inside the polygon, sorted.
    pub fn edges_in_polygon(&self, level: LevelIdx, zone: &Polygon) -> Vec<EdgeIdx> {
        let (Some(trees), Some(bbox)) = (self.level(level), zone.bounding_box()) else {
            return Vec::new();
        };
        let envelope = AABB::from_corners(arr(bbox.min), arr(bbox.max));
        let mut out: Vec<EdgeIdx> = trees
            .edges
            .locate_in_envelope_intersecting(envelope)
            .filter(|e| zone.intersects_segment(pt(e.geom().from), pt(e.geom().to)))
            .map(|e| e.data)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Pieces of edge geometry on `level` whose box meets `envelope`:
    /// `(edge, from, to)`. Used by the conflict-set builder.
    pub(crate) fn edge_pieces_near(
        &self,
        level: LevelIdx,
        min: Point2<f64>,
        max: Point2<f64>,
    ) -> impl Iterator<Item = (EdgeIdx, Point2<f64>, Point2<f64>)> + '_ {
        self.level(level).into_iter().flat_map(move |trees| {
            trees
                .edges
                .locate_in_envelope_intersecting(AABB::from_corners(arr(min), arr(max)))
                .map(|e| (e.data, pt(e.geom().from), pt(e.geom().to)))
        })
    }

    /// Nodes on `level` within `radius` of segment `a`–`b`.
    pub(crate) fn nodes_near_segment(
        &self,
        level: LevelIdx,
        a: Point2<f64>,
        b: Point2<f64>,
        radius: f64,
    ) -> impl Iterator<Item = NodeIdx> + '_ {
        let min = Point2::new(a.x.min(b.x) - radius, a.y.min(b.y) - radius);
        let max = Point2::new(a.x.max(b.x) + radius, a.y.max(b.y) + radius);
        self.level(level).into_iter().flat_map(move |trees| {
            trees
                .nodes
                .locate_in_envelope(AABB::from_corners(arr(min), arr(max)))
                .filter(move |n| point_segment_distance2(pt(*n.geom()), a, b) < radius * radius)
                .map(|n| n.data)
        })
    }
}
