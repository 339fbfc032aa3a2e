//! Anytime refinement by large neighbourhood search (after Li et al.,
//! MAPF-LNS): repeatedly pick a handful of agents, take their paths out,
//! replan them one by one with space-time A* around everyone else's, and
//! keep the result if the sum of loss did not grow.
//!
//! Neighbourhoods come from three generators, chosen with adaptive weights
//! (a generator that finds improvements is chosen more often):
//! - *blocked agent*: the most delayed of a few random agents, plus the
//!   agents that occupy its shortest path;
//! - *intersection*: the agents passing through a random junction;
//! - *random*: random agents.
//!
//! The space-time A* minimises the agent's loss (every step but waiting on
//! its goal), with the distance table as heuristic; it may only rest on its
//! goal once no other agent will pass there.

use std::collections::BinaryHeap;
use std::hash::BuildHasherDefault;

use layout::plan_graph::{PlanGraph, PlanNodeIdx};

use super::distance::{DistanceTable, UNREACHABLE};
use super::instance::{path_loss, trim_path};
use super::rng::Rng;

/// A cheap, fixed (so deterministic) hasher for `(node, time)` keys.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        let z = (x ^ (x >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = z ^ (z >> 29);
    }
}

#[expect(clippy::disallowed_types, reason = "a visited map: looked up, never iterated, fixed hasher")]
type Visited = std::collections::HashMap<u64, u32, BuildHasherDefault<KeyHasher>>;

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    f: std::cmp::Reverse<u32>,
    t: u32,
    g: std::cmp::Reverse<u32>,
    node: u32,
    index: u32,
}

/// Buffers reused by every search.
#[derive(Default)]
struct Scratch {
    open: BinaryHeap<Entry>,
    states: Vec<(u32, u32, u32, u32)>,
    best: Visited,
}

const NONE: u32 = u32::MAX;

/// Heuristic weights the refinement chooses among.
pub const WEIGHTS: [u32; 4] = [1, 2, 3, 5];

/// Where each agent is over time, by node: `(t, agent)` sorted by t, plus
/// the agent resting on the node for good and since when.
struct SpaceTime {
    visits: Vec<Vec<(u32, u32)>>,
    rest: Vec<(u32, u32)>,
}

impl SpaceTime {
    fn new(n_nodes: usize) -> SpaceTime {
        SpaceTime { visits: vec![Vec::new(); n_nodes], rest: vec![(u32::MAX, NONE); n_nodes] }
    }

    fn insert(&mut self, agent: u32, path: &[PlanNodeIdx]) {
        let last = path.len() - 1;
        for (t, v) in path[..last].iter().enumerate() {
            let list = &mut self.visits[v.index()];
            let at = list.partition_point(|&(s, _)| s < t as u32);
            list.insert(at, (t as u32, agent));
        }
        self.rest[path[last].index()] = (last as u32, agent);
    }

    fn remove(&mut self, agent: u32, path: &[PlanNodeIdx]) {
        let last = path.len() - 1;
        for (t, v) in path[..last].iter().enumerate() {
            let list = &mut self.visits[v.index()];
            if let Ok(at) = list.binary_search(&(t as u32, agent)) {
                list.remove(at);
            }
        }
        self.rest[path[last].index()] = (u32::MAX, NONE);
    }

    /// The agent on `v` at `t`, if any.
    fn occupant(&self, v: PlanNodeIdx, t: u32) -> u32 {
        let (since, who) = self.rest[v.index()];
        if who != NONE && t >= since {
            return who;
        }
        let list = &self.visits[v.index()];
        match list.binary_search_by(|&(s, _)| s.cmp(&t)) {
            Ok(k) => list[k].1,
            Err(_) => NONE,
        }
    }

    /// The last time anyone visits `v` (resting there counts as forever).
    fn last_visit(&self, v: PlanNodeIdx) -> Option<u32> {
        if self.rest[v.index()].1 != NONE {
            return Some(u32::MAX);
        }
        self.visits[v.index()].last().map(|&(t, _)| t)
    }
}

/// The refinement state: current paths and their reservations.
pub struct Lns<'a> {
    graph: &'a PlanGraph,
    tables: &'a [&'a DistanceTable],
    goals: &'a [PlanNodeIdx],
    paths: Vec<Vec<PlanNodeIdx>>,
    space_time: SpaceTime,
    rng: Rng,
    loss: Vec<u64>,
    total_loss: u64,
    weights: [f64; 3],
    neighbourhood_size: usize,
    junctions: Vec<PlanNodeIdx>,
    scratch: std::cell::RefCell<Scratch>,
    has_node_conflicts: bool,
    has_edge_conflicts: bool,
    /// A* expansions allowed per agent replanned.
    pub expansion_limit: usize,
    /// Weight of the heuristic in the current iteration (1 = exact A*;
    /// more dives toward the goal and expands far fewer states in
    /// congested solutions). Chosen per iteration from [`WEIGHTS`] by how
    /// well each has done.
    heuristic_weight: u32,
    weight_scores: [f64; WEIGHTS.len()],

    /// Iterations run.
    pub iterations: u64,
    /// Iterations whose result was kept.
    pub accepted: u64,
    /// Searches that found no path (within the expansion limit).
    pub failed_searches: u64,
    /// A* expansions, all searches.
    pub expansions: u64,
}

impl<'a> Lns<'a> {
    /// Starts from a valid solution.
    pub fn new(
        graph: &'a PlanGraph,
        tables: &'a [&'a DistanceTable],
        goals: &'a [PlanNodeIdx],
        paths: Vec<Vec<PlanNodeIdx>>,
        seed: u64,
    ) -> Lns<'a> {
        let mut space_time = SpaceTime::new(graph.n_nodes());
        for (i, p) in paths.iter().enumerate() {
            space_time.insert(i as u32, p);
        }
        let loss: Vec<u64> = paths.iter().zip(goals).map(|(p, g)| path_loss(p, *g)).collect();
        let total_loss = loss.iter().sum();
        let junctions = (0..graph.n_nodes() as u32)
            .map(PlanNodeIdx)
            .filter(|v| graph.neighbours(*v).len() >= 3)
            .collect();
        Lns {
            graph,
            tables,
            goals,
            paths,
            space_time,
            rng: Rng::new(seed),
            loss,
            total_loss,
            weights: [1.0, 1.0, 1.0],
            neighbourhood_size: 8,
            junctions,
            scratch: std::cell::RefCell::default(),
            has_node_conflicts: graph.conflict_counts().0 > 0,
            has_edge_conflicts: graph.conflict_counts().1 > 0,
            expansion_limit: 10_000,
            heuristic_weight: 1,
            weight_scores: [1.0; WEIGHTS.len()],

            iterations: 0,
            accepted: 0,
            failed_searches: 0,
            expansions: 0,
        }
    }

    /// Current sum of loss.
    pub fn sum_of_loss(&self) -> u64 {
        self.total_loss
    }

    /// Current paths.
    pub fn paths(&self) -> &[Vec<PlanNodeIdx>] {
        &self.paths
    }

    /// Consumes the state, returning its paths.
    pub fn into_paths(self) -> Vec<Vec<PlanNodeIdx>> {
        self.paths
    }

    fn delay(&self, i: usize) -> u64 {
        let ideal = u64::from(self.tables[i].raw(self.paths[i][0]));
        self.loss[i].saturating_sub(ideal)
    }

    fn pick_generator(&mut self) -> usize {
        pick_weighted(&mut self.rng, &self.weights)
    }

    fn neighbourhood(&mut self, generator: usize) -> Vec<u32> {
        let n = self.paths.len();
        let k = self.neighbourhood_size.min(n);
        let mut chosen: Vec<u32> = Vec::with_capacity(k);
        let add = |chosen: &mut Vec<u32>, a: u32| {
            if chosen.len() < k && a != NONE && !chosen.contains(&a) {
                chosen.push(a);
            }
        };
        match generator {
            0 => {
                // The most delayed of a few random agents, and who is in its way.
                let mut worst = self.rng.below(n);
                for _ in 0..4 {
                    let c = self.rng.below(n);
                    if self.delay(c) > self.delay(worst) {
                        worst = c;
                    }
                }
                add(&mut chosen, worst as u32);
                let table = self.tables[worst];
                let mut v = self.paths[worst][0];
                let mut t = 0u32;
                while table.raw(v) > 0 && chosen.len() < k && t < 10_000 {
                    let next = self
                        .graph
                        .neighbours(v)
                        .iter()
                        .copied()
                        .filter(|w| table.raw(*w) < table.raw(v))
                        .min_by_key(|w| {
                            // Prefer the step another agent blocks: that is the congestion to break.
                            u32::from(self.space_time.occupant(*w, t + 1) == NONE)
                        });
                    let Some(next) = next else { break };
                    t += 1;
                    for dt in [0i64, -1, 1, -2, 2] {
                        let when = i64::from(t) + dt;
                        if when >= 0 {
                            add(&mut chosen, self.space_time.occupant(next, when as u32));
                        }
                    }
                    v = next;
                }
            }
            1 if !self.junctions.is_empty() => {
                let start = self.junctions[self.rng.below(self.junctions.len())];
                let mut frontier = vec![start];
                let mut seen = vec![start];
                while chosen.len() < k && !frontier.is_empty() {
                    let mut next_frontier = Vec::new();
                    for v in frontier {
                        for &(_, a) in &self.space_time.visits[v.index()] {
                            add(&mut chosen, a);
                        }
                        for &w in self.graph.neighbours(v) {
                            if !seen.contains(&w) && seen.len() < 64 {
                                seen.push(w);
                                next_frontier.push(w);
                            }
                        }
                    }
                    frontier = next_frontier;
                }
            }
            _ => {}
        }
        while chosen.len() < k {
            add(&mut chosen, self.rng.below(n) as u32);
        }
        chosen
    }

    /// One LNS iteration. Returns whether the sum of loss went down.
    pub fn step(&mut self) -> bool {
        self.iterations += 1;
        let generator = self.pick_generator();
        let weight_choice = pick_weighted(&mut self.rng, &self.weight_scores);
        self.heuristic_weight = WEIGHTS[weight_choice];

        let mut group = self.neighbourhood(generator);
        let old_loss: u64 = group.iter().map(|&a| self.loss[a as usize]).sum();
        let old_paths: Vec<(u32, Vec<PlanNodeIdx>)> =
            group.iter().map(|&a| (a, self.paths[a as usize].clone())).collect();
        for &a in &group {
            self.space_time.remove(a, &self.paths[a as usize]);
        }
        self.rng.shuffle(&mut group);
        let mut replanned: Vec<u32> = Vec::with_capacity(group.len());
        let mut new_loss = 0;
        let mut failed = false;
        for &a in &group {
            let (found, expanded) = self.plan_one(a as usize);
            self.expansions += expanded as u64;
            let path = match found {
                Some(path) => path,
                None => {
                    self.failed_searches += 1;
                    // Keep the old path if the new ones left it free.
                    let old =
                        &old_paths.iter().find(|(b, _)| *b == a).map(|(_, p)| p.clone()).unwrap_or_default();
                    if old.is_empty() || !self.path_free(a as usize, old) {
                        failed = true;
                        break;
                    }
                    old.clone()
                }
            };
            new_loss += path_loss(&path, self.goals[a as usize]);
            self.space_time.insert(a, &path);
            // Installed at once: later searches read it for swap checks.
            self.paths[a as usize] = path;
            replanned.push(a);
            if new_loss > old_loss {
                failed = true;
                break;
            }
        }
        let keep = !failed && new_loss <= old_loss;
        let improved = keep && new_loss < old_loss;
        // Adaptive weights: reward the generator by what it gained.
        let gain = if improved { (old_loss - new_loss) as f64 } else { 0.0 };
        self.weights[generator] = 0.9 * self.weights[generator] + 0.1 * gain.max(0.05);
        self.weight_scores[weight_choice] = 0.9 * self.weight_scores[weight_choice] + 0.1 * gain.max(0.05);
        if keep {
            self.accepted += 1;
            for &a in &group {
                self.loss[a as usize] = path_loss(&self.paths[a as usize], self.goals[a as usize]);
            }
            self.total_loss = self.total_loss - old_loss + new_loss;
        } else {
            for &a in &replanned {
                self.space_time.remove(a, &self.paths[a as usize]);
            }
            for (a, path) in old_paths {
                self.space_time.insert(a, &path);
                self.paths[a as usize] = path;
            }
        }
        improved
    }

    /// Space-time A* for one agent against everyone in the table.
    fn plan_one(&self, agent: usize) -> (Option<Vec<PlanNodeIdx>>, usize) {
        let start = self.paths[agent][0];
        let goal = self.goals[agent];
        let table = self.tables[agent];
        let h = |v: PlanNodeIdx| table.raw(v);
        if h(start) == UNREACHABLE {
            return (None, 0);
        }
        // The agent may rest on its goal only after everyone else has passed.
        let mut rest_after = self.space_time.last_visit(goal);
        for w in self.graph.node_conflicts(goal) {
            rest_after = rest_after.max(self.space_time.last_visit(*w));
        }
        if rest_after == Some(u32::MAX) {
            return (None, 0);
        }
        let earliest_rest = rest_after.map_or(0, |t| t + 1);
        let horizon = earliest_rest.max(self.horizon_hint()) + h(start) + 64;

        let mut scratch = self.scratch.borrow_mut();
        let Scratch { open, states, best } = &mut *scratch;
        open.clear();
        states.clear();
        best.clear();
        let key = |v: u32, t: u32| (u64::from(t) << 32) | u64::from(v);
        states.push((start.0, 0, NONE, 0));
        best.insert(key(start.0, 0), 0);
        open.push(Entry {
            f: std::cmp::Reverse(self.heuristic_weight * h(start)),
            t: 0,
            g: std::cmp::Reverse(0),
            node: start.0,
            index: 0,
        });
        let mut expansions = 0usize;
        while let Some(Entry { t, g, node, index: current, .. }) = open.pop() {
            let v = PlanNodeIdx(node);
            let g = g.0;
            if states[current as usize].3 != g || best.get(&key(node, t)).copied() != Some(current) {
                continue; // a better way to this state was found after this entry
            }
            if v == goal && t >= earliest_rest {
                let mut path = Vec::with_capacity(t as usize + 1);
                let mut k = current;
                while k != NONE {
                    path.push(PlanNodeIdx(states[k as usize].0));
                    k = states[k as usize].2;
                }
                path.reverse();
                trim_path(&mut path);
                return (Some(path), expansions);
            }
            expansions += 1;
            if expansions > self.expansion_limit {
                return (None, expansions);
            }
            if t >= horizon {
                continue;
            }
            for &w in self.graph.neighbours(v).iter().chain(std::iter::once(&v)) {
                let hw = h(w);
                if hw == UNREACHABLE || !self.free(v, w, t) {
                    continue;
                }
                let g2 = g + u32::from(!(v == goal && w == goal));
                let k = key(w.0, t + 1);
                if let Some(&seen) = best.get(&k)
                    && states[seen as usize].3 <= g2
                {
                    continue;
                }
                let index = states.len() as u32;
                states.push((w.0, t + 1, current, g2));
                best.insert(k, index);
                open.push(Entry {
                    f: std::cmp::Reverse(g2 + self.heuristic_weight * hw),
                    t: t + 1,
                    g: std::cmp::Reverse(g2),
                    node: w.0,
                    index,
                });
            }
        }
        (None, expansions)
    }

    /// Whether `path` for `agent` conflicts with nobody in the table.
    fn path_free(&self, agent: usize, path: &[PlanNodeIdx]) -> bool {
        let goal = self.goals[agent];
        let arrival = path.len() - 1;
        if path[arrival] != goal {
            return false;
        }
        // Nobody may pass the goal after we rest there.
        let mut last = self.space_time.last_visit(goal);
        for w in self.graph.node_conflicts(goal) {
            last = last.max(self.space_time.last_visit(*w));
        }
        if last.is_some_and(|t| t as usize >= arrival) {
            return false;
        }
        path.windows(2).enumerate().all(|(t, w)| self.free(w[0], w[1], t as u32))
            && (self.space_time.occupant(path[0], 0) == NONE)
    }

    fn horizon_hint(&self) -> u32 {
        self.paths.iter().map(|p| p.len() as u32).max().unwrap_or(0)
    }

    /// Whether the move v → w from t to t+1 is free of every conflict.
    fn free(&self, v: PlanNodeIdx, w: PlanNodeIdx, t: u32) -> bool {
        if self.space_time.occupant(w, t + 1) != NONE {
            return false;
        }
        if self.has_node_conflicts {
            for x in self.graph.node_conflicts(w) {
                if self.space_time.occupant(*x, t + 1) != NONE {
                    return false;
                }
            }
        }
        if v != w {
            // Swap: the agent now on w goes to v.
            let k = self.space_time.occupant(w, t);
            if k != NONE && self.at(k as usize, t + 1) == v {
                return false;
            }
            if !self.has_edge_conflicts {
                return true;
            }
            if let Some(e) = self.graph.edge_index(v, w) {
                for &f in self.graph.edge_conflicts(e) {
                    let (a, b) = self.graph.edge_endpoints(f as usize);
                    let k = self.space_time.occupant(a, t);
                    if k != NONE && self.at(k as usize, t + 1) == b {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn at(&self, agent: usize, t: u32) -> PlanNodeIdx {
        let p = &self.paths[agent];
        p[(t as usize).min(p.len() - 1)]
    }
}

/// An index drawn with probability proportional to its score.
fn pick_weighted(rng: &mut Rng, scores: &[f64]) -> usize {
    let total: f64 = scores.iter().sum();
    let mut x = rng.unit() * total;
    for (k, w) in scores.iter().enumerate() {
        if x < *w {
            return k;
        }
        x -= w;
    }
    scores.len() - 1
}
