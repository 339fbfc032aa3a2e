//! The unit-time plan graph the planners search.
//!
//! Time is cut into ticks of [`PlanGraphConfig::tick_seconds`]. A layout
//! edge of length `l` driven at speed `v` (the lower of the vehicle's and
//! the edge's limit) takes `k = max(1, ⌈l / (v·tick)⌉)` ticks and becomes a
//! chain of `k` unit steps through `k − 1` intermediate plan nodes. An edge
//! and its reverse with the same step count and no trajectory share their
//! intermediate nodes, so that two vehicles meeting head-on on a two-way
//! road are a plain vertex or swap conflict.
//!
//! Plan nodes `0..n` are the layout's nodes `0..n` (same index); the
//! intermediate nodes follow. Adjacency is stored as compressed rows sorted
//! by target, so a plan edge has a dense index too.
//!
//! Conflict sets carried over are the *extra* conflicts beyond the vertex
//! and swap rules: plan nodes closer than the footprint's separation, and
//! plan edges whose segments come that close without sharing an end point.
//! On a 1 m grid with [`Footprint::GRID_CELL`] both are empty.

use std::collections::BTreeMap;

use nalgebra::Point2;
use rstar::primitives::{GeomWithData, Line};
use rstar::{AABB, RTree};

use crate::conflicts::Footprint;
use crate::geometry::{polyline_point_at, segment_segment_distance2};
use crate::model::{EdgeIdx, Layout, LevelIdx, NodeIdx};
use crate::spatial::edge_geometry;

/// Dense index of a plan-graph node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct PlanNodeIdx(pub u32);

impl PlanNodeIdx {
    /// The index as a `usize`.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Which vehicles the graph is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadState {
    /// Ignore load restrictions.
    #[default]
    Any,
    /// Only edges a loaded vehicle may use.
    Loaded,
    /// Only edges an unloaded vehicle may use.
    Unloaded,
}

/// How to build a plan graph.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanGraphConfig {
    /// Length of one tick, s. One second matches a 1 m grid at 1 m/s.
    pub tick_seconds: f64,
    /// The vehicle's top speed, m/s.
    pub vehicle_speed: f64,
    /// Only edges this vehicle type may use; `None`: every edge that some
    /// vehicle type may use, at the most permissive speed.
    pub vehicle_type: Option<String>,
    /// Load restrictions to honour.
    pub load: LoadState,
    /// Body for the extra conflict sets; `None`: [`Footprint::GRID_CELL`]
    /// on grid layouts, [`Footprint::FACTORY_AGV`] otherwise.
    pub footprint: Option<Footprint>,
    /// Refuse to build more plan nodes than this (a layout with absurd
    /// distances, say a coordinate of 1e12 m, would otherwise exhaust
    /// memory).
    pub max_nodes: usize,
}

impl Default for PlanGraphConfig {
    fn default() -> Self {
        PlanGraphConfig {
            tick_seconds: 1.0,
            vehicle_speed: 1.0,
            vehicle_type: None,
            load: LoadState::Any,
            footprint: None,
            max_nodes: 20_000_000,
        }
    }
}

/// A configuration the builder cannot use.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum PlanGraphError {
    /// A number in the configuration is out of range.
    #[error("plan graph: {field} = {value} is invalid; expected {expected}")]
    BadConfig {
        /// Which field.
        field: &'static str,
        /// Its value.
        value: f64,
        /// What would be accepted.
        expected: &'static str,
    },
    /// The graph would exceed [`PlanGraphConfig::max_nodes`] nodes or the
    /// `u32` index range.
    #[error(
        "plan graph: {what} would exceed the limit of {limit}; check the layout's distances and the tick length"
    )]
    TooLarge {
        /// Nodes or edges.
        what: &'static str,
        /// The limit hit.
        limit: u64,
    },
}

/// Where a plan node comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanNodeOrigin {
    /// A layout node.
    Node(NodeIdx),
    /// Step `step` (from 1) along a layout edge.
    OnEdge {
        /// The layout edge (the first of a shared pair).
        edge: EdgeIdx,
        /// Steps from the edge's start.
        step: u32,
    },
}

/// The unit-time graph. See the module docs.
#[derive(Clone, Debug)]
pub struct PlanGraph {
    n_layout_nodes: usize,
    positions: Vec<Point2<f64>>,
    levels: Vec<LevelIdx>,
    origins: Vec<PlanNodeOrigin>,
    out_offsets: Vec<u32>,
    out_targets: Vec<PlanNodeIdx>,
    out_layout_edge: Vec<EdgeIdx>,
    in_offsets: Vec<u32>,
    in_sources: Vec<PlanNodeIdx>,
    edge_chains: Vec<Option<Vec<PlanNodeIdx>>>,
    node_conflict_offsets: Vec<u32>,
    node_conflicts: Vec<PlanNodeIdx>,
    edge_conflict_offsets: Vec<u32>,
    edge_conflicts: Vec<u32>,
    footprint: Footprint,
    tick_seconds: f64,
}

fn csr<T: Copy>(n: usize, mut items: Vec<(u32, T)>) -> (Vec<u32>, Vec<T>) {
    items.sort_by_key(|(k, _)| *k);
    let mut offsets = vec![0u32; n + 1];
    for (k, _) in &items {
        offsets[*k as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    (offsets, items.into_iter().map(|(_, v)| v).collect())
}

fn arr(p: Point2<f64>) -> [f64; 2] {
    [p.x, p.y]
}

impl PlanGraph {
    /// Builds the plan graph of a layout.
    pub fn build(layout: &Layout, config: &PlanGraphConfig) -> Result<PlanGraph, PlanGraphError> {
        for (field, value) in [("tick_seconds", config.tick_seconds), ("vehicle_speed", config.vehicle_speed)]
        {
            if !(value.is_finite() && value > 0.0) {
                return Err(PlanGraphError::BadConfig { field, value, expected: "a positive finite number" });
            }
        }
        let footprint = config.footprint.unwrap_or(if layout.grid.is_some() {
            Footprint::GRID_CELL
        } else {
            Footprint::FACTORY_AGV
        });
        let n = layout.nodes.len();
        let mut positions: Vec<Point2<f64>> = layout.nodes.iter().map(|x| x.position).collect();
        let mut levels: Vec<LevelIdx> = layout.nodes.iter().map(|x| x.level).collect();
        let mut origins: Vec<PlanNodeOrigin> =
            (0..n).map(|i| PlanNodeOrigin::Node(NodeIdx(i as u32))).collect();
        let mut shared: BTreeMap<(u32, u32, u32), Vec<PlanNodeIdx>> = BTreeMap::new();
        let mut edge_chains = vec![None; layout.edges.len()];
        let mut arcs: Vec<(u32, u32, EdgeIdx)> = Vec::new();
        for (i, edge) in layout.edges.iter().enumerate() {
            let edge_idx = EdgeIdx(i as u32);
            let Some(speed_limit) = usable_speed(edge, config) else { continue };
            let speed = speed_limit.map_or(config.vehicle_speed, |s| s.min(config.vehicle_speed));
            let steps = (edge.length / (speed * config.tick_seconds) - 1e-9).ceil().max(1.0);
            let limit = config.max_nodes.min(u32::MAX as usize - 1);
            if steps - 1.0 + positions.len() as f64 > limit as f64 {
                return Err(PlanGraphError::TooLarge { what: "plan nodes", limit: limit as u64 });
            }
            let steps = steps as u32;
            let (a, b) = (edge.from.0, edge.to.0);
            let shareable = edge.trajectory().is_none();
            let key = (a.min(b), a.max(b), steps);
            let existing = if shareable { shared.get(&key).cloned() } else { None };
            let middle: Vec<PlanNodeIdx> = match existing {
                Some(chain) if a < b => chain,
                Some(mut chain) => {
                    chain.reverse();
                    chain
                }
                None => {
                    let geometry = edge_geometry(layout, edge_idx);
                    let mut chain = Vec::with_capacity(steps as usize - 1);
                    for step in 1..steps {
                        chain.push(PlanNodeIdx(positions.len() as u32));
                        positions.push(polyline_point_at(&geometry, f64::from(step) / f64::from(steps)));
                        levels.push(layout.node(edge.from).level);
                        origins.push(PlanNodeOrigin::OnEdge { edge: edge_idx, step });
                    }
                    if shareable {
                        let mut canonical = chain.clone();
                        if a > b {
                            canonical.reverse();
                        }
                        shared.insert(key, canonical);
                    }
                    chain
                }
            };
            let mut prev = a;
            for v in middle.iter().map(|p| p.0).chain([b]) {
                arcs.push((prev, v, edge_idx));
                prev = v;
            }
            edge_chains[i] = Some(middle);
        }
        arcs.sort();
        arcs.dedup_by_key(|(u, v, _)| (*u, *v));
        if arcs.len() >= u32::MAX as usize {
            return Err(PlanGraphError::TooLarge { what: "plan edges", limit: u64::from(u32::MAX) - 1 });
        }
        let n_plan = positions.len();
        let (out_offsets, out) =
            csr(n_plan, arcs.iter().map(|&(u, v, e)| (u, (PlanNodeIdx(v), e))).collect());
        let (out_targets, out_layout_edge) = out.into_iter().unzip();
        let (in_offsets, in_sources) =
            csr(n_plan, arcs.iter().map(|&(u, v, _)| (v, PlanNodeIdx(u))).collect());
        let mut graph = PlanGraph {
            n_layout_nodes: n,
            positions,
            levels,
            origins,
            out_offsets,
            out_targets,
            out_layout_edge,
            in_offsets,
            in_sources,
            edge_chains,
            node_conflict_offsets: Vec::new(),
            node_conflicts: Vec::new(),
            edge_conflict_offsets: Vec::new(),
            edge_conflicts: Vec::new(),
            footprint,
            tick_seconds: config.tick_seconds,
        };
        graph.compute_conflicts();
        Ok(graph)
    }

    fn compute_conflicts(&mut self) {
        let sep = self.footprint.separation();
        let n_levels = self.levels.iter().map(|l| l.index() + 1).max().unwrap_or(0);
        let mut node_trees: Vec<Vec<GeomWithData<[f64; 2], u32>>> = vec![Vec::new(); n_levels];
        for (i, p) in self.positions.iter().enumerate() {
            node_trees[self.levels[i].index()].push(GeomWithData::new(arr(*p), i as u32));
        }
        let node_trees: Vec<RTree<_>> = node_trees.into_iter().map(RTree::bulk_load).collect();
        let mut node_pairs = Vec::new();
        for (i, p) in self.positions.iter().enumerate() {
            for other in node_trees[self.levels[i].index()].locate_within_distance(arr(*p), sep * sep) {
                if other.data != i as u32 && (self.positions[other.data as usize] - p).norm() < sep {
                    node_pairs.push((i as u32, PlanNodeIdx(other.data)));
                }
            }
        }
        (self.node_conflict_offsets, self.node_conflicts) = csr(self.positions.len(), node_pairs);

        let mut seg_lists: Vec<Vec<GeomWithData<Line<[f64; 2]>, u32>>> = vec![Vec::new(); n_levels];
        for e in 0..self.n_edges() {
            let (u, v) = self.edge_endpoints(e);
            if self.levels[u.index()] == self.levels[v.index()] {
                let seg = Line::new(arr(self.position(u)), arr(self.position(v)));
                seg_lists[self.levels[u.index()].index()].push(GeomWithData::new(seg, e as u32));
            }
        }
        let seg_trees: Vec<RTree<_>> = seg_lists.into_iter().map(RTree::bulk_load).collect();
        let mut edge_pairs = Vec::new();
        for e in 0..self.n_edges() {
            let (u, v) = self.edge_endpoints(e);
            if self.levels[u.index()] != self.levels[v.index()] {
                continue;
            }
            let (a, b) = (self.position(u), self.position(v));
            let envelope = AABB::from_corners(
                [a.x.min(b.x) - sep, a.y.min(b.y) - sep],
                [a.x.max(b.x) + sep, a.y.max(b.y) + sep],
            );
            for other in seg_trees[self.levels[u.index()].index()].locate_in_envelope_intersecting(envelope) {
                let (x, y) = self.edge_endpoints(other.data as usize);
                if [x, y].contains(&u) || [x, y].contains(&v) {
                    continue;
                }
                if segment_segment_distance2(a, b, self.position(x), self.position(y)) < sep * sep {
                    edge_pairs.push((e as u32, other.data));
                }
            }
        }
        (self.edge_conflict_offsets, self.edge_conflicts) = csr(self.n_edges(), edge_pairs);
    }

    /// Number of plan nodes.
    pub fn n_nodes(&self) -> usize {
        self.positions.len()
    }

    /// Number of plan edges (unit steps; waits are implicit).
    pub fn n_edges(&self) -> usize {
        self.out_targets.len()
    }

    /// Number of plan nodes that are layout nodes (they come first).
    pub fn n_layout_nodes(&self) -> usize {
        self.n_layout_nodes
    }

    /// Tick length the graph was built with, s.
    pub fn tick_seconds(&self) -> f64 {
        self.tick_seconds
    }

    /// Footprint the conflict sets were computed with.
    pub fn footprint(&self) -> Footprint {
        self.footprint
    }

    /// The plan node of a layout node.
    pub fn plan_node(&self, node: NodeIdx) -> PlanNodeIdx {
        PlanNodeIdx(node.0)
    }

    /// The layout node of a plan node, if it is one.
    pub fn layout_node(&self, node: PlanNodeIdx) -> Option<NodeIdx> {
        (node.index() < self.n_layout_nodes).then_some(NodeIdx(node.0))
    }

    /// Where a plan node comes from.
    pub fn origin(&self, node: PlanNodeIdx) -> PlanNodeOrigin {
        self.origins[node.index()]
    }

    /// Position of a plan node, m.
    pub fn position(&self, node: PlanNodeIdx) -> Point2<f64> {
        self.positions[node.index()]
    }

    /// Level of a plan node.
    pub fn level(&self, node: PlanNodeIdx) -> LevelIdx {
        self.levels[node.index()]
    }

    /// Successors of a node, sorted.
    pub fn neighbours(&self, node: PlanNodeIdx) -> &[PlanNodeIdx] {
        let i = node.index();
        &self.out_targets[self.out_offsets[i] as usize..self.out_offsets[i + 1] as usize]
    }

    /// Predecessors of a node, sorted.
    pub fn predecessors(&self, node: PlanNodeIdx) -> &[PlanNodeIdx] {
        let i = node.index();
        &self.in_sources[self.in_offsets[i] as usize..self.in_offsets[i + 1] as usize]
    }

    /// Dense index of the plan edge `from → to`, if it exists.
    pub fn edge_index(&self, from: PlanNodeIdx, to: PlanNodeIdx) -> Option<usize> {
        let start = self.out_offsets[from.index()] as usize;
        self.neighbours(from).binary_search(&to).ok().map(|k| start + k)
    }

    /// End points of a plan edge.
    pub fn edge_endpoints(&self, edge: usize) -> (PlanNodeIdx, PlanNodeIdx) {
        let from = self.out_offsets.partition_point(|&o| o as usize <= edge) - 1;
        (PlanNodeIdx(from as u32), self.out_targets[edge])
    }

    /// The layout edge a plan edge belongs to.
    pub fn layout_edge_of(&self, edge: usize) -> EdgeIdx {
        self.out_layout_edge[edge]
    }

    /// The intermediate plan nodes of a layout edge, in driving order, or
    /// `None` if the edge is not usable for this graph's vehicle.
    pub fn edge_chain(&self, edge: EdgeIdx) -> Option<&[PlanNodeIdx]> {
        self.edge_chains.get(edge.index())?.as_deref()
    }

    /// Ticks to drive a layout edge, or `None` if not usable.
    pub fn edge_steps(&self, edge: EdgeIdx) -> Option<u32> {
        self.edge_chain(edge).map(|c| c.len() as u32 + 1)
    }

    /// Plan nodes another vehicle may not occupy while one is on `node`.
    pub fn node_conflicts(&self, node: PlanNodeIdx) -> &[PlanNodeIdx] {
        let i = node.index();
        &self.node_conflicts
            [self.node_conflict_offsets[i] as usize..self.node_conflict_offsets[i + 1] as usize]
    }

    /// Plan edges (dense indices) another vehicle may not traverse while one
    /// traverses `edge`, beyond those sharing an end point.
    pub fn edge_conflicts(&self, edge: usize) -> &[u32] {
        &self.edge_conflicts
            [self.edge_conflict_offsets[edge] as usize..self.edge_conflict_offsets[edge + 1] as usize]
    }

    /// Total number of entries in the conflict sets (nodes, edges).
    pub fn conflict_counts(&self) -> (usize, usize) {
        (self.node_conflicts.len(), self.edge_conflicts.len())
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.positions.len()
            * (size_of::<Point2<f64>>() + size_of::<LevelIdx>() + size_of::<PlanNodeOrigin>())
            + (self.out_offsets.len() + self.in_offsets.len()) * 4
            + self.out_targets.len() * (4 + 4 + 4)
            + self.node_conflicts.len() * 4
            + self.edge_conflicts.len() * 4
            + self.node_conflict_offsets.len() * 4
            + self.edge_conflict_offsets.len() * 4
    }
}

/// `None` if the edge is unusable; `Some(limit)` with its speed limit otherwise.
fn usable_speed(edge: &crate::model::Edge, config: &PlanGraphConfig) -> Option<Option<f64>> {
    let allowed = |p: &&crate::model::EdgeTypeProperties| match (&p.load_restriction, config.load) {
        (None, _) | (_, LoadState::Any) => true,
        (Some(r), LoadState::Loaded) => r.loaded,
        (Some(r), LoadState::Unloaded) => r.unloaded,
    };
    match &config.vehicle_type {
        Some(t) => edge.properties_for(t).filter(allowed).map(|p| p.max_speed),
        None => {
            let usable: Vec<_> = edge.vehicle_types.iter().filter(allowed).collect();
            if usable.is_empty() {
                return None;
            }
            if usable.iter().any(|p| p.max_speed.is_none()) {
                Some(None)
            } else {
                Some(usable.iter().filter_map(|p| p.max_speed).reduce(f64::max))
            }
        }
    }
}
