//! Routing for traffic control: which layout edges a vehicle type may
//! use, how long each takes, and distance tables to goals that avoid
//! blocked nodes (fenced vehicles, closed nodes).
//!
//! Traffic control works on the layout graph itself rather than the
//! unit-time plan graph: vehicles move asynchronously, one released node
//! at a time, so what matters is the time-to-goal of each node (the
//! heuristic that orders a vehicle's candidate moves). Tables are exact
//! shortest travel times (Dijkstra over reversed edges; breadth-first
//! search when every edge takes the same time), computed on first use and
//! evicted least-recently-used above a memory budget.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::sync::Arc;

use layout::{EdgeIdx, Layout, NodeIdx};

use super::grain::{Grain, Lanes};

/// "Cannot reach the goal".
pub const UNREACHABLE: u32 = u32::MAX;

/// The edges one vehicle type may use, as compressed rows, with their
/// travel time in milliseconds.
#[derive(Clone, Debug)]
pub struct RoadGraph {
    out_start: Vec<u32>,
    out: Vec<(EdgeIdx, NodeIdx, u32)>,
    in_start: Vec<u32>,
    inc: Vec<(NodeIdx, EdgeIdx, u32)>,
    uniform: Option<u32>,
    /// The greatest common divisor of the edges' times: tables are kept
    /// as counts of it where they fit.
    unit: u32,
    /// The longest edge in `unit`s (Dial's bucket queue needs as many buckets).
    max_units: u32,
}

/// Whether `vehicle_type` may use `edge` (edges that name no type are open to all).
pub fn edge_allows(layout: &Layout, edge: EdgeIdx, vehicle_type: &str) -> bool {
    let e = layout.edge(edge);
    e.vehicle_types.is_empty() || e.properties_for(vehicle_type).is_some()
}

/// Travel time of `edge` for `vehicle_type` at most `speed` m/s, in whole
/// milliseconds (at least 1).
pub fn edge_ms(layout: &Layout, edge: EdgeIdx, vehicle_type: &str, speed: f64) -> u32 {
    let e = layout.edge(edge);
    let v = e.properties_for(vehicle_type).and_then(|p| p.max_speed).map_or(speed, |m| m.min(speed));
    let ms = (e.length / v.max(1e-3) * 1000.0).round();
    if ms.is_finite() { (ms as u32).max(1) } else { u32::MAX / 4 }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl RoadGraph {
    /// The roads of `vehicle_type` driving at most `speed` m/s.
    pub fn build(layout: &Layout, vehicle_type: &str, speed: f64) -> RoadGraph {
        RoadGraph::build_with_grain(layout, vehicle_type, speed, Grain::NONE)
    }

    /// The roads of `vehicle_type` driving at most `speed` m/s, with
    /// `grain` on a grid layout (other layouts carry their one-way rules
    /// in their edges and get none).
    pub fn build_with_grain(layout: &Layout, vehicle_type: &str, speed: f64, grain: Grain) -> RoadGraph {
        let n = layout.nodes.len();
        let lanes = layout.grid.as_ref().filter(|_| grain.factor > 1.0).map(Lanes::new);
        let weight = |e: EdgeIdx, from: NodeIdx, to: NodeIdx| {
            let ms = edge_ms(layout, e, vehicle_type, speed);
            if lanes.as_ref().is_some_and(|l| l.against(from, to)) {
                let scaled = (f64::from(ms) * grain.factor).round();
                if scaled < f64::from(u32::MAX / 4) { scaled as u32 } else { u32::MAX / 4 }
            } else {
                ms
            }
        };
        let mut out_start = Vec::with_capacity(n + 1);
        let mut out = Vec::new();
        let mut incoming: Vec<Vec<(NodeIdx, EdgeIdx, u32)>> = vec![Vec::new(); n];
        for i in 0..n {
            out_start.push(out.len() as u32);
            for &e in layout.out_edges(NodeIdx(i as u32)) {
                if edge_allows(layout, e, vehicle_type) {
                    let to = layout.edge(e).to;
                    let ms = weight(e, NodeIdx(i as u32), to);
                    out.push((e, to, ms));
                    incoming[to.index()].push((NodeIdx(i as u32), e, ms));
                }
            }
        }
        out_start.push(out.len() as u32);
        let mut in_start = Vec::with_capacity(n + 1);
        let mut inc = Vec::new();
        for list in incoming {
            in_start.push(inc.len() as u32);
            inc.extend(list);
        }
        in_start.push(inc.len() as u32);
        let first = out.first().map(|o| o.2);
        let uniform = first.filter(|&w| out.iter().all(|o| o.2 == w));
        let unit = out.iter().fold(0, |g, o| gcd(g, o.2));
        let max_units = out.iter().map(|o| o.2 / unit.max(1)).max().unwrap_or(0);
        RoadGraph { out_start, out, in_start, inc, uniform, unit, max_units }
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.out_start.len() - 1
    }

    /// The edges leaving `node`: `(edge, to, ms)`.
    pub fn out(&self, node: NodeIdx) -> &[(EdgeIdx, NodeIdx, u32)] {
        let i = node.index();
        match (self.out_start.get(i), self.out_start.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.out[a as usize..b as usize],
            _ => &[],
        }
    }

    fn incoming(&self, node: NodeIdx) -> &[(NodeIdx, EdgeIdx, u32)] {
        let i = node.index();
        &self.inc[self.in_start[i] as usize..self.in_start[i + 1] as usize]
    }

    /// Travel times from every node to `goal`, never entering a node
    /// marked in `blocked` (the goal itself may be blocked) nor driving an
    /// edge marked in `blocked_edges`.
    pub fn distances(&self, goal: NodeIdx, blocked: &[bool], blocked_edges: &[bool]) -> Vec<u32> {
        let mut dist = Vec::new();
        self.distances_into(goal, blocked, blocked_edges, &mut dist);
        dist
    }

    /// [`RoadGraph::distances`] into `dist`, reusing its memory (a table
    /// of a large map is megabytes: fresh memory for each costs the
    /// kernel's zeroing of every page).
    pub fn distances_into(
        &self,
        goal: NodeIdx,
        blocked: &[bool],
        blocked_edges: &[bool],
        dist: &mut Vec<u32>,
    ) {
        let n = self.n_nodes();
        dist.clear();
        dist.resize(n, UNREACHABLE);
        if goal.index() >= n {
            return;
        }
        dist[goal.index()] = 0;
        let is_blocked = |v: NodeIdx| blocked.get(v.index()).copied().unwrap_or(false);
        let edge_closed = |e: EdgeIdx| blocked_edges.get(e.index()).copied().unwrap_or(false);
        if let Some(w) = self.uniform {
            let mut queue = VecDeque::from([goal]);
            while let Some(v) = queue.pop_front() {
                let next = dist[v.index()] + w;
                for &(u, e, _) in self.incoming(v) {
                    if dist[u.index()] == UNREACHABLE && !is_blocked(u) && !edge_closed(e) {
                        dist[u.index()] = next;
                        queue.push_back(u);
                    }
                }
            }
            return;
        }
        if self.max_units <= MAX_BUCKETS {
            self.dial(goal, dist, is_blocked, edge_closed);
            return;
        }
        let mut heap = BinaryHeap::from([Reverse((0u32, goal.0))]);
        while let Some(Reverse((d, v))) = heap.pop() {
            let v = NodeIdx(v);
            if d > dist[v.index()] {
                continue;
            }
            for &(u, e, w) in self.incoming(v) {
                let nd = d.saturating_add(w);
                if nd < dist[u.index()] && !is_blocked(u) && !edge_closed(e) {
                    dist[u.index()] = nd;
                    heap.push(Reverse((nd, u.0)));
                }
            }
        }
    }

    /// Dijkstra with Dial's bucket queue, for edges of a few whole units
    /// (a grid with its grain): a ring of buckets, one per unit of
    /// distance, each node settled once. `dist` holds the goal's 0.
    fn dial(
        &self,
        goal: NodeIdx,
        dist: &mut [u32],
        is_blocked: impl Fn(NodeIdx) -> bool,
        edge_closed: impl Fn(EdgeIdx) -> bool,
    ) {
        let unit = self.unit.max(1);
        let ring = self.max_units as usize + 1;
        // Distances in units while searching, in place (`UNREACHABLE`
        // stays itself), times in ms once done.
        let units = dist;
        units[goal.index()] = 0;
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); ring];
        buckets[0].push(goal.0);
        let (mut at, mut pending) = (0u32, 1usize);
        while pending > 0 {
            let mut bucket = std::mem::take(&mut buckets[at as usize % ring]);
            pending -= bucket.len();
            for v in bucket.drain(..) {
                if units[v as usize] != at {
                    continue; // settled earlier at a shorter distance
                }
                for &(u, e, w) in self.incoming(NodeIdx(v)) {
                    let nd = at + w / unit;
                    if nd < units[u.index()] && !is_blocked(u) && !edge_closed(e) {
                        units[u.index()] = nd;
                        buckets[nd as usize % ring].push(u.0);
                        pending += 1;
                    }
                }
            }
            buckets[at as usize % ring] = bucket;
            at += 1;
        }
        for d in units.iter_mut().filter(|d| **d != UNREACHABLE) {
            *d = d.saturating_mul(unit);
        }
    }
}

/// Dial's bucket queue is used when the longest edge is at most this many units.
const MAX_BUCKETS: u32 = 1024;

/// Travel times to one goal from every node. Where every time is a whole
/// number of the road graph's unit (on a grid, with or without its grain)
/// and the counts fit, they are kept as counts in 16 bits — half the
/// memory — else as 32-bit times.
#[derive(Clone, Debug)]
pub enum Table {
    /// Counts (`u16::MAX`: unreachable) of `unit` ms each.
    Narrow {
        /// The counts, by node.
        counts: Arc<[u16]>,
        /// The road graph's unit of time, ms.
        unit: u32,
    },
    /// Times, ms, by node.
    Wide(Arc<[u32]>),
}

impl Table {
    /// Compacts a table of times (whole multiples of `unit` ms, if given).
    fn new(dist: &[u32], unit: Option<u32>) -> Table {
        let fits = |unit: u32| {
            unit > 0
                && dist.iter().all(|&d| d == UNREACHABLE || (d % unit == 0 && d / unit < u32::from(u16::MAX)))
        };
        match unit {
            Some(unit) if fits(unit) => Table::Narrow {
                counts: dist
                    .iter()
                    .map(|&d| if d == UNREACHABLE { u16::MAX } else { (d / unit) as u16 })
                    .collect(),
                unit,
            },
            _ => Table::Wide(Arc::from(dist)),
        }
    }

    /// The time from node `i` (`UNREACHABLE` if none, or out of range).
    pub fn get(&self, i: usize) -> u32 {
        match self {
            Table::Narrow { counts, unit } => match counts.get(i) {
                Some(&c) if c != u16::MAX => u32::from(c) * unit,
                _ => UNREACHABLE,
            },
            Table::Wide(d) => d.get(i).copied().unwrap_or(UNREACHABLE),
        }
    }

    /// Bytes it holds.
    fn bytes(&self) -> usize {
        match self {
            Table::Narrow { counts, .. } => counts.len() * size_of::<u16>(),
            Table::Wide(d) => d.len() * size_of::<u32>(),
        }
    }

    fn empty() -> Table {
        Table::Wide(Arc::from(Vec::new()))
    }
}

/// Distance tables of one road graph, cached per goal, recomputed when the
/// set of blocked nodes changes, least recently used evicted first.
#[derive(Clone, Debug)]
pub struct DistanceTables {
    roads: RoadGraph,
    blocked: Vec<bool>,
    blocked_edges: Vec<bool>,
    tables: BTreeMap<NodeIdx, (u64, Table)>,
    max_bytes: usize,
    bytes: usize,
    clock: u64,
    computed: u64,
    generation: u64,
    /// The table being computed (its memory reused from one to the next).
    scratch: Vec<u32>,
}

impl DistanceTables {
    /// Tables over `roads`, keeping at most `max_bytes` of them (at least 16 tables).
    pub fn new(roads: RoadGraph, max_bytes: usize) -> DistanceTables {
        let n = roads.n_nodes();
        DistanceTables {
            roads,
            blocked: vec![false; n],
            blocked_edges: Vec::new(),
            tables: BTreeMap::new(),
            max_bytes,
            bytes: 0,
            clock: 0,
            computed: 0,
            generation: 0,
            scratch: Vec::new(),
        }
    }

    /// The road graph.
    pub fn roads(&self) -> &RoadGraph {
        &self.roads
    }

    /// Sets the blocked nodes and edges; tables are dropped if they changed.
    pub fn set_blocked(&mut self, blocked: &[NodeIdx], blocked_edges: &[EdgeIdx]) {
        let mut mask = vec![false; self.roads.n_nodes()];
        for b in blocked {
            if let Some(m) = mask.get_mut(b.index()) {
                *m = true;
            }
        }
        let n_edges = blocked_edges.iter().map(|e| e.index() + 1).max().unwrap_or(0);
        let mut edge_mask = vec![false; n_edges];
        for e in blocked_edges {
            edge_mask[e.index()] = true;
        }
        if mask != self.blocked || edge_mask != self.blocked_edges {
            self.blocked = mask;
            self.blocked_edges = edge_mask;
            self.tables.clear();
            self.bytes = 0;
            self.generation += 1;
        }
    }

    /// The table for `goal` (a shared handle: it stays valid after
    /// eviction), computing it if needed.
    pub fn shared(&mut self, goal: NodeIdx) -> Table {
        self.touch(goal);
        self.tables.get(&goal).map_or_else(Table::empty, |(_, dist)| dist.clone())
    }

    fn touch(&mut self, goal: NodeIdx) {
        self.clock += 1;
        let clock = self.clock;
        match self.tables.get_mut(&goal) {
            Some((used, _)) => *used = clock,
            None => {
                self.roads.distances_into(goal, &self.blocked, &self.blocked_edges, &mut self.scratch);
                let dist = Table::new(&self.scratch, Some(self.roads.unit));
                // At least 16 tables, whatever the budget.
                if self.tables.len() >= 16 && self.bytes + dist.bytes() > self.max_bytes {
                    self.evict();
                }
                self.computed += 1;
                self.bytes += dist.bytes();
                self.tables.insert(goal, (clock, dist));
            }
        }
    }

    /// Travel time from `from` to `goal` (`UNREACHABLE` if none).
    pub fn distance(&mut self, from: NodeIdx, goal: NodeIdx) -> u32 {
        self.touch(goal);
        self.tables.get(&goal).map_or(UNREACHABLE, |(_, t)| t.get(from.index()))
    }

    /// Which set of blocked places the tables answer for: it changes
    /// whenever [`DistanceTables::set_blocked`] drops them, so that a
    /// figure derived from them can tell it is stale.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// How many tables have been computed so far.
    pub fn n_computed(&self) -> u64 {
        self.computed
    }

    fn evict(&mut self) {
        // Drop the least recently used half: amortised O(1) per insertion.
        let mut ages: Vec<(u64, NodeIdx)> = self.tables.iter().map(|(g, (used, _))| (*used, *g)).collect();
        ages.sort_unstable();
        for (_, g) in ages.iter().take(ages.len().div_ceil(2)) {
            if let Some((_, t)) = self.tables.remove(g) {
                self.bytes -= t.bytes();
            }
        }
    }

    /// The shortest path from `from` toward `goal`, at most `max_nodes`
    /// nodes after `from`, by steepest descent on the table (ties to the
    /// lower edge index).
    pub fn path(&mut self, from: NodeIdx, goal: NodeIdx, max_nodes: usize) -> Vec<(EdgeIdx, NodeIdx)> {
        let mut path = Vec::new();
        let mut at = from;
        let dist = self.shared(goal);
        while path.len() < max_nodes && at != goal {
            let here = dist.get(at.index());
            if here == UNREACHABLE {
                break;
            }
            let next = self
                .roads
                .out(at)
                .iter()
                .filter(|(_, to, ms)| {
                    let d = dist.get(to.index());
                    d != UNREACHABLE && d + ms == here
                })
                .min_by_key(|(e, _, _)| *e);
            match next {
                Some(&(e, to, _)) => {
                    path.push((e, to));
                    at = to;
                }
                None => break,
            }
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::{LoadOptions, load_str};

    fn grid(text: &str) -> Layout {
        load_str(text, "t.map", LoadOptions::default()).unwrap().value
    }

    #[test]
    fn grid_distances_are_manhattan_around_walls() {
        let map = grid("type octile\nheight 3\nwidth 3\nmap\n...\n.@.\n...\n");
        let roads = RoadGraph::build(&map, "default", 1.0);
        let mut tables = DistanceTables::new(roads, 1 << 20);
        let id = |s: &str| map.node_by_id(s).unwrap();
        assert_eq!(tables.distance(id("0,0"), id("2,2")), 4000);
        assert_eq!(tables.distance(id("2,2"), id("2,2")), 0);
        // Block one side: the other way round is still 4 steps.
        tables.set_blocked(&[id("1,0")], &[]);
        assert_eq!(tables.distance(id("0,0"), id("2,0")), 6000);
        assert_eq!(tables.path(id("0,0"), id("2,2"), 10).len(), 4);
    }

    #[test]
    fn the_grain_makes_moves_against_it_dearer_and_routes_round_them() {
        // Open space: row 0 runs east, row 1 west; column 0 south, column 2 north.
        let map = grid("type octile\nheight 2\nwidth 3\nmap\n...\n...\n");
        let id = |s: &str| map.node_by_id(s).unwrap();
        let grain = Grain { factor: 10.0 };
        let mut tables =
            DistanceTables::new(RoadGraph::build_with_grain(&map, "default", 1.0, grain), 1 << 20);
        // With the grain: two moves east along row 0.
        assert_eq!(tables.distance(id("0,0"), id("2,0")), 2000);
        // Against it, west along row 0 would take 2 × 10 s; round by row 1
        // (south along column 2, west along row 1, north against column 0)
        // takes 1 + 2 + 10 s.
        assert_eq!(tables.distance(id("2,0"), id("0,0")), 13_000);
        // Kept in 16 bits all the same (counts of the edges' common unit).
        assert!(matches!(tables.shared(id("0,0")), Table::Narrow { unit: 1000, .. }));
        // Without the grain both ways are alike, and layouts that are not grids never get one.
        let mut plain = DistanceTables::new(RoadGraph::build(&map, "default", 1.0), 1 << 20);
        assert_eq!(plain.distance(id("2,0"), id("0,0")), 2000);
    }

    /// Bellman–Ford over the layout's own edges, times from `edge_ms`
    /// and the grain's `Lanes`: knows nothing of the road graph's rows, BFS,
    /// buckets or heap.
    fn brute_force(map: &Layout, goal: NodeIdx, factor: f64, blocked: &[bool]) -> Vec<u32> {
        let lanes = Lanes::new(map.grid.as_ref().unwrap());
        let mut dist = vec![UNREACHABLE; map.nodes.len()];
        dist[goal.index()] = 0;
        loop {
            let mut changed = false;
            for (i, e) in map.edges.iter().enumerate() {
                let (a, b) = (e.from.index(), e.to.index());
                if dist[b] == UNREACHABLE || blocked[a] {
                    continue;
                }
                let ms = edge_ms(map, EdgeIdx(i as u32), "default", 1.0);
                let w = if factor > 1.0 && lanes.against(e.from, e.to) {
                    (f64::from(ms) * factor).round() as u32
                } else {
                    ms
                };
                if dist[b] + w < dist[a] {
                    dist[a] = dist[b] + w;
                    changed = true;
                }
            }
            if !changed {
                return dist;
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn tables_with_and_without_the_grain_are_exact(
            cells in proptest::collection::vec(proptest::bool::weighted(0.8), 48),
            factor in 1u32..=25,
            goal in 0usize..48,
            blocked in proptest::collection::vec(proptest::bool::weighted(0.1), 48),
        ) {
            // An 8 × 6 grid with random walls; the goal and blocked cells among the free ones.
            let rows: Vec<String> = cells
                .chunks(8)
                .map(|r| r.iter().map(|&free| if free { '.' } else { '@' }).collect())
                .collect();
            let map = grid(&format!("type octile\nheight 6\nwidth 8\nmap\n{}\n", rows.join("\n")));
            proptest::prop_assume!(!map.nodes.is_empty());
            let n = map.nodes.len();
            let goal = NodeIdx((goal % n) as u32);
            let blocked: Vec<bool> = (0..n).map(|i| blocked[i] && i != goal.index()).collect();
            let grain = Grain { factor: f64::from(factor) };
            let roads = RoadGraph::build_with_grain(&map, "default", 1.0, grain);
            let got = roads.distances(goal, &blocked, &[]);
            proptest::prop_assert_eq!(got, brute_force(&map, goal, grain.factor, &blocked));
        }
    }

    #[test]
    fn grid_tables_are_kept_in_16_bits_and_read_the_same() {
        let dist = vec![0, 1000, 3000, UNREACHABLE];
        let narrow = Table::new(&dist, Some(1000));
        assert!(matches!(narrow, Table::Narrow { .. }));
        assert_eq!(narrow.bytes(), 8);
        assert_eq!(
            (0..5).map(|i| narrow.get(i)).collect::<Vec<_>>(),
            [0, 1000, 3000, UNREACHABLE, UNREACHABLE]
        );
        // Times that are not whole edges, too far for 16 bits, or not uniform stay wide.
        assert!(matches!(Table::new(&[0, 1500], Some(1000)), Table::Wide(_)));
        assert!(matches!(Table::new(&[0, 1000 * 70_000], Some(1000)), Table::Wide(_)));
        let wide = Table::new(&dist, None);
        assert_eq!(wide.get(2), 3000);
        assert_eq!(wide.get(3), UNREACHABLE);
    }

    #[test]
    fn eviction_keeps_the_cache_bounded_and_answers_stay_right() {
        let map = grid("type octile\nheight 1\nwidth 40\nmap\n........................................\n");
        let roads = RoadGraph::build(&map, "default", 1.0);
        let mut tables = DistanceTables::new(roads, 0);
        for round in 0..3 {
            for g in 0..40u32 {
                assert_eq!(tables.distance(NodeIdx(0), NodeIdx(g)), 1000 * g, "round {round}");
            }
        }
        assert!(tables.tables.len() <= 16);
        assert!(tables.n_computed() > 40);
    }
}
