//! Guide paths that spread agents over the map (space-utilisation
//! optimisation, after Okumura's LaCAM3 "scatter").
//!
//! Before the search, every agent gets a path to its goal that is at most
//! `margin` steps longer than its shortest path and, among those, crosses
//! the fewest other agents' guide paths (same node at the same step, a swap
//! on an edge, or a node where another agent already rests). Agents are
//! replanned one by one in a random order, round after round while a round
//! still removes at least 5 % of the crossings. PIBT then prefers the next node of the guide
//! path while the agent is on it, so that the first solution does not send
//! every agent down the same shortest corridor; off its guide path, an
//! agent falls back to its distance table.
//!
//! Guide paths ignore the footprint conflict sets: they only steer, PIBT
//! and the validator keep every move legal.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use layout::plan_graph::{PlanGraph, PlanNodeIdx};

use super::distance::{DistanceTable, UNREACHABLE};
use super::rng::Rng;

const NONE: u32 = u32::MAX;

/// Each agent's guide: (node, next node) sorted by node.
pub struct Guides {
    next: Vec<Vec<(u32, u32)>>,
    /// Crossings left between the guide paths.
    pub crossings: u64,
    /// Replanning rounds over all agents.
    pub rounds: u32,
}

impl Guides {
    /// The node after `from` on `agent`'s guide path, if `from` is on it.
    pub fn next(&self, agent: usize, from: PlanNodeIdx) -> Option<PlanNodeIdx> {
        let list = self.next.get(agent)?;
        list.binary_search_by_key(&from.0, |&(v, _)| v).ok().map(|k| PlanNodeIdx(list[k].1))
    }

    /// Plans guide paths: at most `margin` steps longer than shortest,
    /// fewest crossings. Stops early (keeping what it has) when
    /// `should_stop` says so.
    pub fn build(
        graph: &PlanGraph,
        tables: &[&DistanceTable],
        starts: &[PlanNodeIdx],
        margin: u32,
        seed: u64,
        should_stop: &dyn Fn() -> bool,
    ) -> Guides {
        let n = starts.len();
        let mut rng = Rng::new(seed);
        let mut board = Board::new(graph.n_nodes());
        let mut search = Search::new(graph.n_nodes());
        let mut paths: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut best: Option<(u64, Vec<Vec<u32>>)> = None;
        let mut rounds = 0;
        let mut last = u64::MAX;
        'rounds: loop {
            rounds += 1;
            let mut order: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut order);
            for &i in &order {
                if should_stop() {
                    break 'rounds;
                }
                board.clear(i as u32, &paths[i]);
                if let Some(path) = search.run(graph, tables[i], starts[i].0, margin, &board) {
                    paths[i] = path;
                }
                board.enrol(i as u32, &paths[i]);
            }
            let crossings = board.crossings.max(0) as u64;
            if best.as_ref().is_none_or(|b| crossings < b.0) {
                best = Some((crossings, paths.clone()));
            }
            // Rounds until one gains less than 5 %: later rounds cost as
            // much and buy little.
            if crossings == 0 || (rounds >= 2 && crossings * 20 > last.saturating_mul(19)) {
                break;
            }
            last = crossings;
        }
        let (crossings, paths) = best.unwrap_or((0, paths));
        let next = paths
            .iter()
            .map(|p| {
                let mut steps: Vec<(u32, u32)> = p.windows(2).map(|w| (w[0], w[1])).collect();
                steps.sort_unstable();
                steps.dedup_by_key(|s| s.0);
                steps
            })
            .collect();
        Guides { next, crossings, rounds }
    }
}

/// Where the guide paths are: per node, `(step, agent)` sorted, and the
/// steps at which agents come to rest on it.
struct Board {
    visits: Vec<Vec<(u32, u32)>>,
    rests: Vec<Vec<u32>>,
    crossings: i64,
}

impl Board {
    fn new(n_nodes: usize) -> Board {
        Board { visits: vec![Vec::new(); n_nodes], rests: vec![Vec::new(); n_nodes], crossings: 0 }
    }

    fn at(&self, v: u32, t: u32) -> &[(u32, u32)] {
        let list = &self.visits[v as usize];
        let lo = list.partition_point(|&(s, _)| s < t);
        let hi = lo + list[lo..].partition_point(|&(s, _)| s == t);
        &list[lo..hi]
    }

    /// Crossings of a move `from` → `to` leaving at step `t`.
    fn cost(&self, from: u32, to: u32, t: u32) -> u32 {
        let there = self.at(to, t + 1);
        let mut c = there.len() as u32;
        let coming = self.at(from, t + 1);
        if !coming.is_empty() {
            for &(_, j) in self.at(to, t) {
                c += coming.iter().filter(|&&(_, k)| k == j).count() as u32;
            }
        }
        c + self.rests[to as usize].iter().filter(|&&end| t + 1 > end).count() as u32
    }

    /// Crossings of a whole path against the board (the agent not on it).
    fn path_cost(&self, path: &[u32]) -> i64 {
        let Some(&goal) = path.last() else { return 0 };
        let end = path.len() as u32 - 1;
        let moves: u32 = path.windows(2).enumerate().map(|(t, w)| self.cost(w[0], w[1], t as u32)).sum();
        let after = self.visits[goal as usize].iter().filter(|&&(s, _)| s > end).count();
        i64::from(moves) + after as i64
    }

    fn enrol(&mut self, agent: u32, path: &[u32]) {
        if path.is_empty() {
            return;
        }
        self.crossings += self.path_cost(path);
        for (t, &v) in path.iter().enumerate() {
            let list = &mut self.visits[v as usize];
            let at = list.partition_point(|&e| e < (t as u32, agent));
            list.insert(at, (t as u32, agent));
        }
        self.rests[path[path.len() - 1] as usize].push(path.len() as u32 - 1);
    }

    fn clear(&mut self, agent: u32, path: &[u32]) {
        if path.is_empty() {
            return;
        }
        for (t, &v) in path.iter().enumerate() {
            let list = &mut self.visits[v as usize];
            if let Ok(at) = list.binary_search(&(t as u32, agent)) {
                list.remove(at);
            }
        }
        let rests = &mut self.rests[path[path.len() - 1] as usize];
        if let Some(k) = rests.iter().position(|&e| e == path.len() as u32 - 1) {
            rests.swap_remove(k);
        }
        self.crossings -= self.path_cost(path);
    }
}

/// An open entry: fewest crossings first, then shortest `f`, then lowest
/// node id; with `g` and the parent.
type Open = (Reverse<u32>, Reverse<u32>, Reverse<u32>, u32, u32);

/// A* over nodes (each node once) ordered by crossings, then length.
struct Search {
    parent: Vec<u32>,
    used: Vec<u32>,
    open: BinaryHeap<Open>,
}

impl Search {
    fn new(n_nodes: usize) -> Search {
        Search { parent: vec![NONE; n_nodes], used: Vec::new(), open: BinaryHeap::new() }
    }

    fn run(
        &mut self,
        graph: &PlanGraph,
        table: &DistanceTable,
        start: u32,
        margin: u32,
        board: &Board,
    ) -> Option<Vec<u32>> {
        let d0 = table.raw(PlanNodeIdx(start));
        if d0 == UNREACHABLE {
            return None;
        }
        let bound = d0 + margin;
        self.open.clear();
        // (crossings, f, node, g, parent)
        self.open.push((Reverse(0), Reverse(d0), Reverse(start), 0, NONE));
        let mut found = None;
        while let Some((Reverse(c), _, Reverse(v), g, from)) = self.open.pop() {
            if self.parent[v as usize] != NONE || v == start && from != NONE {
                continue;
            }
            // The start's parent is itself, so that it counts as closed.
            self.parent[v as usize] = if from == NONE { v } else { from };
            self.used.push(v);
            if table.raw(PlanNodeIdx(v)) == 0 {
                found = Some(v);
                break;
            }
            for &u in graph.neighbours(PlanNodeIdx(v)) {
                let du = table.raw(u);
                if u.0 == start || du == UNREACHABLE || self.parent[u.index()] != NONE || g + 1 + du > bound {
                    continue;
                }
                let cu = c + board.cost(v, u.0, g);
                self.open.push((Reverse(cu), Reverse(g + 1 + du), Reverse(u.0), g + 1, v));
            }
        }
        let path = found.map(|goal| {
            let mut path = vec![goal];
            let mut v = goal;
            while self.parent[v as usize] != v {
                v = self.parent[v as usize];
                path.push(v);
            }
            path.reverse();
            path
        });
        for &v in &self.used {
            self.parent[v as usize] = NONE;
        }
        self.used.clear();
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapf::distance::DistanceCache;

    fn grid(text: &str) -> (layout::Layout, PlanGraph) {
        let layout = layout::load_str(text, "t.map", layout::LoadOptions::default()).unwrap().value;
        let graph = PlanGraph::build(&layout, &Default::default()).unwrap();
        (layout, graph)
    }

    #[test]
    fn head_on_agents_get_guides_on_different_rows() {
        // Two agents cross a 3-row field head-on along the middle row:
        // their shortest paths meet; the guides (2 steps of margin) put
        // one of them on another row, so that they never cross.
        let (layout, graph) = grid("type octile\nheight 3\nwidth 6\nmap\n......\n......\n......\n");
        let node =
            |x: u32, y: u32| graph.plan_node(layout.grid.as_ref().unwrap().node_at(&layout, x, y).unwrap());
        let starts = [node(0, 1), node(5, 1)];
        let goals = [node(5, 1), node(0, 1)];
        let mut cache = DistanceCache::new(&graph);
        for g in goals {
            cache.ensure(g);
        }
        let tables: Vec<&DistanceTable> = goals.iter().map(|&g| cache.table(g).unwrap()).collect();
        let guides = Guides::build(&graph, &tables, &starts, 2, 1, &|| false);
        // Follow each guide from its start.
        let follow = |i: usize| {
            let mut path = vec![starts[i]];
            while let Some(n) = guides.next(i, *path.last().unwrap()) {
                path.push(n);
            }
            path
        };
        for i in 0..2 {
            let path = follow(i);
            assert_eq!(*path.last().unwrap(), goals[i], "guide {i} ends at its goal");
            assert!(path.len() - 1 <= tables[i].raw(starts[i]) as usize + 2, "within the margin");
            for w in path.windows(2) {
                assert!(graph.neighbours(w[0]).contains(&w[1]), "guide {i} moves along edges");
            }
        }
        assert_eq!(guides.crossings, 0);
        let (a, b) = (follow(0), follow(1));
        for t in 0..a.len().max(b.len()) {
            let at = |p: &Vec<PlanNodeIdx>, t: usize| p[t.min(p.len() - 1)];
            assert_ne!(at(&a, t), at(&b, t), "the guides meet at step {t}");
        }
        // Without margin there is no way round: the crossing stays.
        let straight = Guides::build(&graph, &tables, &starts, 0, 1, &|| false);
        assert!(straight.crossings > 0);
    }
}
