//! Exact distance tables: for a goal, the number of unit steps from every
//! plan node to it (a breadth-first search over reversed edges). They are
//! the planners' admissible — indeed perfect, for one agent alone —
//! heuristic, and the assignment's cost.
//!
//! Our own BFS over the plan graph's compressed rows rather than the
//! `pathfinding` crate's: its all-pairs helpers return hash maps, which
//! are slower here and have no order we could rely on.

use std::collections::VecDeque;

use layout::plan_graph::{PlanGraph, PlanNodeIdx};

/// "Cannot reach the goal".
pub const UNREACHABLE: u32 = u32::MAX;

/// Steps from every node to one goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistanceTable {
    goal: PlanNodeIdx,
    steps: Vec<u32>,
}

impl DistanceTable {
    /// Computes the table for `goal`.
    pub fn compute(graph: &PlanGraph, goal: PlanNodeIdx) -> DistanceTable {
        let mut steps = vec![UNREACHABLE; graph.n_nodes()];
        let mut queue = VecDeque::new();
        steps[goal.index()] = 0;
        queue.push_back(goal);
        while let Some(v) = queue.pop_front() {
            let next = steps[v.index()] + 1;
            for &u in graph.predecessors(v) {
                if steps[u.index()] == UNREACHABLE {
                    steps[u.index()] = next;
                    queue.push_back(u);
                }
            }
        }
        DistanceTable { goal, steps }
    }

    /// The goal.
    pub fn goal(&self) -> PlanNodeIdx {
        self.goal
    }

    /// Steps from `node` to the goal, `None` if it cannot get there.
    pub fn to_goal(&self, node: PlanNodeIdx) -> Option<u32> {
        self.steps.get(node.index()).copied().filter(|&d| d != UNREACHABLE)
    }

    /// Raw steps (`UNREACHABLE` where unreachable), for hot loops.
    #[inline]
    pub fn raw(&self, node: PlanNodeIdx) -> u32 {
        self.steps[node.index()]
    }
}

/// Distance tables computed on first use and kept, one per goal.
pub struct DistanceCache<'g> {
    graph: &'g PlanGraph,
    tables: Vec<Option<DistanceTable>>,
    n_computed: usize,
}

impl<'g> DistanceCache<'g> {
    /// An empty cache over a graph.
    pub fn new(graph: &'g PlanGraph) -> DistanceCache<'g> {
        DistanceCache { graph, tables: vec![None; graph.n_nodes()], n_computed: 0 }
    }

    /// The table for `goal`, computing it if needed.
    pub fn get(&mut self, goal: PlanNodeIdx) -> &DistanceTable {
        let slot = &mut self.tables[goal.index()];
        if slot.is_none() {
            self.n_computed += 1;
        }
        slot.get_or_insert_with(|| DistanceTable::compute(self.graph, goal))
    }

    /// Computes the table for `goal` if needed.
    pub fn ensure(&mut self, goal: PlanNodeIdx) {
        self.get(goal);
    }

    /// The table for `goal`, if computed.
    pub fn table(&self, goal: PlanNodeIdx) -> Option<&DistanceTable> {
        self.tables.get(goal.index())?.as_ref()
    }

    /// Approximate heap bytes held by the computed tables.
    pub fn heap_bytes(&self) -> usize {
        self.n_computed * self.graph.n_nodes() * size_of::<u32>()
    }

    /// How many tables have been computed.
    pub fn n_computed(&self) -> usize {
        self.n_computed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::{LoadOptions, load_str};

    fn grid(text: &str) -> (layout::Layout, PlanGraph) {
        let map = load_str(text, "t.map", LoadOptions::default()).unwrap().value;
        let graph = PlanGraph::build(&map, &Default::default()).unwrap();
        (map, graph)
    }

    #[test]
    fn distances_go_around_obstacles_and_respect_direction() {
        let (map, graph) = grid("type octile\nheight 3\nwidth 3\nmap\n...\n.@.\n...\n");
        let at = |id: &str| graph.plan_node(map.node_by_id(id).unwrap());
        let table = DistanceTable::compute(&graph, at("2,2"));
        assert_eq!(table.to_goal(at("0,0")), Some(4));
        assert_eq!(table.to_goal(at("2,2")), Some(0));
        assert_eq!(table.to_goal(at("1,0")), Some(3));
    }

    #[test]
    fn unreachable_nodes_have_no_distance() {
        let (map, graph) = grid("type octile\nheight 1\nwidth 3\nmap\n.@.\n");
        let at = |id: &str| graph.plan_node(map.node_by_id(id).unwrap());
        assert_eq!(DistanceTable::compute(&graph, at("2,0")).to_goal(at("0,0")), None);
    }

    #[test]
    fn cache_computes_each_goal_once() {
        let (_, graph) = grid("type octile\nheight 2\nwidth 2\nmap\n..\n..\n");
        let mut cache = DistanceCache::new(&graph);
        for _ in 0..3 {
            cache.get(PlanNodeIdx(0));
            cache.get(PlanNodeIdx(3));
        }
        assert_eq!(cache.n_computed(), 2);
    }
}
