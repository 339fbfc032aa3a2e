//! PIBT: priority inheritance with backtracking (Okumura et al.), the
//! one-step configuration generator.
//!
//! Agents choose their next node in priority order, each preferring the
//! candidate (neighbours and staying) closest to its goal. An agent that
//! wants a node held by a lower-priority agent makes that agent choose
//! first (priority inheritance); if the pushed agent finds no way out, the
//! pusher tries its next candidate (backtracking). LaCAM fixes some agents'
//! moves as constraints and lets PIBT place the rest.
//!
//! With footprint conflict sets (non-grid layouts) a node is free only if
//! no agent is or will be on a node of its conflict set, and a move is
//! allowed only if no conflicting edge is taken in the same step.

use layout::plan_graph::{PlanGraph, PlanNodeIdx};

use super::distance::DistanceTable;
use super::guides::Guides;
use super::rng::Rng;

const NONE: u32 = u32::MAX;

/// Scratch state for one-step generation; reuse it across steps.
pub struct Pibt<'a> {
    graph: &'a PlanGraph,
    tables: &'a [&'a DistanceTable],
    goals: &'a [PlanNodeIdx],
    swap_enabled: bool,
    occupied_now: Vec<u32>,
    occupied_next: Vec<u32>,
    next: Vec<u32>,
    edge_taken_at: Vec<u32>,
    step_stamp: u32,
    has_node_conflicts: bool,
    has_edge_conflicts: bool,
    rng: Rng,
    candidates: Vec<(u32, u64, u32)>,
    guides: Option<&'a Guides>,
}

impl<'a> Pibt<'a> {
    /// Scratch for `tables.len()` agents on `graph`; `tables[i]` is agent
    /// i's goal table and `goals[i]` its goal. The swap operation (for
    /// corridors) is used on graphs without footprint conflict sets.
    pub fn new(
        graph: &'a PlanGraph,
        tables: &'a [&'a DistanceTable],
        goals: &'a [PlanNodeIdx],
        seed: u64,
    ) -> Pibt<'a> {
        let (node_conflicts, edge_conflicts) = graph.conflict_counts();
        Pibt {
            graph,
            tables,
            goals,
            swap_enabled: node_conflicts == 0 && edge_conflicts == 0,
            occupied_now: vec![NONE; graph.n_nodes()],
            occupied_next: vec![NONE; graph.n_nodes()],
            next: vec![NONE; tables.len()],
            edge_taken_at: if edge_conflicts > 0 { vec![0; graph.n_edges()] } else { Vec::new() },
            step_stamp: 0,
            has_node_conflicts: node_conflicts > 0,
            has_edge_conflicts: edge_conflicts > 0,
            rng: Rng::new(seed),
            candidates: Vec::new(),
            guides: None,
        }
    }

    /// Prefers each agent's guide path (see [`Guides`]) while it is on it.
    pub fn with_guides(mut self, guides: &'a Guides) -> Pibt<'a> {
        self.guides = Some(guides);
        self
    }

    /// The next configuration from `current`: agents in `order` (highest
    /// priority first), with `fixed` agents' next nodes imposed. Returns
    /// `None` if the constraints cannot be met.
    pub fn step(
        &mut self,
        current: &[PlanNodeIdx],
        order: &[u32],
        fixed: &[(u32, PlanNodeIdx)],
    ) -> Option<Vec<PlanNodeIdx>> {
        self.step_stamp = self.step_stamp.wrapping_add(1).max(1);
        for (i, v) in current.iter().enumerate() {
            self.occupied_now[v.index()] = i as u32;
        }
        let result = self.fill(current, order, fixed);
        for (i, v) in current.iter().enumerate() {
            self.occupied_now[v.index()] = NONE;
            if self.next[i] != NONE {
                self.occupied_next[self.next[i] as usize] = NONE;
            }
        }
        self.next.iter_mut().for_each(|n| *n = NONE);
        result
    }

    fn fill(
        &mut self,
        current: &[PlanNodeIdx],
        order: &[u32],
        fixed: &[(u32, PlanNodeIdx)],
    ) -> Option<Vec<PlanNodeIdx>> {
        for &(i, v) in fixed {
            let from = current[i as usize];
            if v != from && !self.graph.neighbours(from).contains(&v) {
                return None;
            }
            if !self.free_next(v) {
                return None;
            }
            // No swap with an agent already fixed.
            let k = self.occupied_now[v.index()];
            if k != NONE && k != i && self.next[k as usize] == from.0 {
                return None;
            }
            if !self.move_allowed(from, v) {
                return None;
            }
            self.reserve(i, from, v);
        }
        for &i in order {
            if self.next[i as usize] == NONE {
                self.push(i, NONE, current);
            }
        }
        // With footprints an agent can give up a node after a pushed agent
        // took its old one; a final check keeps the generator sound.
        for (i, &n) in self.next.iter().enumerate() {
            if self.occupied_next[n as usize] != i as u32 {
                return None;
            }
        }
        if self.has_node_conflicts {
            for (i, &n) in self.next.iter().enumerate() {
                for w in self.graph.node_conflicts(PlanNodeIdx(n)) {
                    let other = self.occupied_next[w.index()];
                    if other != NONE && other != i as u32 {
                        return None;
                    }
                }
            }
        }
        Some(self.next.iter().map(|&n| PlanNodeIdx(n)).collect())
    }

    fn free_next(&self, v: PlanNodeIdx) -> bool {
        if self.occupied_next[v.index()] != NONE {
            return false;
        }
        !self.has_node_conflicts
            || self.graph.node_conflicts(v).iter().all(|w| self.occupied_next[w.index()] == NONE)
    }

    fn move_allowed(&self, from: PlanNodeIdx, to: PlanNodeIdx) -> bool {
        if !self.has_edge_conflicts || from == to {
            return true;
        }
        let Some(e) = self.graph.edge_index(from, to) else { return false };
        self.graph.edge_conflicts(e).iter().all(|&f| self.edge_taken_at[f as usize] != self.step_stamp)
    }

    fn reserve(&mut self, i: u32, from: PlanNodeIdx, v: PlanNodeIdx) {
        self.next[i as usize] = v.0;
        self.occupied_next[v.index()] = i;
        if self.has_edge_conflicts
            && from != v
            && let Some(e) = self.graph.edge_index(from, v)
        {
            self.edge_taken_at[e] = self.step_stamp;
        }
    }

    /// Agents now on `v` or on nodes conflicting with it, other than `i`.
    fn blockers(&self, i: u32, v: PlanNodeIdx) -> impl Iterator<Item = u32> + '_ {
        let here = self.occupied_now[v.index()];
        let around: &[PlanNodeIdx] = if self.has_node_conflicts { self.graph.node_conflicts(v) } else { &[] };
        std::iter::once(here)
            .chain(around.iter().map(|w| self.occupied_now[w.index()]))
            .filter(move |&k| k != NONE && k != i)
    }

    fn push(&mut self, i: u32, pusher: u32, current: &[PlanNodeIdx]) -> bool {
        let from = current[i as usize];
        let table = self.tables[i as usize];
        let mut candidates = std::mem::take(&mut self.candidates);
        let base = candidates.len();
        for &v in self.graph.neighbours(from).iter().chain(std::iter::once(&from)) {
            candidates.push((table.raw(v), self.rng.next_u64(), v.0));
        }
        // The guide path's next node comes first, then the closest to the goal.
        if let Some(g) = self.guides.and_then(|guides| guides.next(i as usize, from))
            && let Some(c) = candidates[base..].iter_mut().find(|c| c.2 == g.0)
        {
            c.0 = 0;
        }
        candidates[base..].sort_unstable();
        // Swap (LaCAM2): in a corridor, moving towards an agent that must
        // pass us is hopeless; back off instead and pull it after us.
        let swap_agent = if self.swap_enabled {
            self.swap_partner(i, PlanNodeIdx(candidates[base].2), current)
        } else {
            None
        };
        if swap_agent.is_some() {
            candidates[base..].reverse();
        }
        let mut chosen = false;
        for c in base..candidates.len() {
            let v = PlanNodeIdx(candidates[c].2);
            if candidates[c].0 == super::distance::UNREACHABLE {
                continue;
            }
            if !self.free_next(v) {
                continue;
            }
            if pusher != NONE && v == current[pusher as usize] {
                continue; // no swap with the agent that pushed us
            }
            let occupant = self.occupied_now[v.index()];
            if occupant != NONE && occupant != i && self.next[occupant as usize] == from.0 {
                continue; // no swap with an agent already moving (or fixed) into our node
            }
            if !self.move_allowed(from, v) {
                continue;
            }
            self.reserve(i, from, v);
            // Everyone on v (or too close to it) must move out of the way first.
            let mut ok = true;
            let blockers: Vec<u32> = self.blockers(i, v).collect();
            for k in blockers {
                let k_next = self.next[k as usize];
                if k_next == NONE {
                    self.candidates = candidates;
                    let moved = self.push(k, i, current);
                    candidates = std::mem::take(&mut self.candidates);
                    if !moved || self.conflicts_with(PlanNodeIdx(self.next[k as usize]), v) {
                        ok = false;
                        break;
                    }
                } else if self.conflicts_with(PlanNodeIdx(k_next), v) {
                    ok = false;
                    break;
                }
            }
            if ok {
                chosen = true;
                if c == base
                    && let Some(k) = swap_agent
                    && self.next[k as usize] == NONE
                    && self.occupied_next[from.index()] == NONE
                {
                    self.next[k as usize] = from.0;
                    self.occupied_next[from.index()] = k;
                }
                break;
            }
            // Give v back unless a pushed agent now stays there.
            if self.occupied_next[v.index()] == i {
                self.occupied_next[v.index()] = NONE;
            }
            self.next[i as usize] = NONE;
        }
        candidates.truncate(base);
        self.candidates = candidates;
        if chosen {
            return true;
        }
        // Stay. (Our own node is free for us: anyone who wanted it had to push us.)
        self.next[i as usize] = from.0;
        self.occupied_next[from.index()] = i;
        false
    }

    /// The agent to swap with, if a swap is both required and possible
    /// (LaCAM2's `swap_possible_and_required`).
    fn swap_partner(&self, i: u32, best: PlanNodeIdx, current: &[PlanNodeIdx]) -> Option<u32> {
        let here = current[i as usize];
        if best == here {
            return None;
        }
        // The usual case: the agent on our best node must come our way.
        let j = self.occupied_now[best.index()];
        if j != NONE
            && self.next[j as usize] == NONE
            && self.swap_required(i, j, here, best)
            && self.swap_possible(best, here)
        {
            return Some(j);
        }
        // Clearing: a neighbour that must get past us to where we want to go.
        for &u in self.graph.neighbours(here) {
            let k = self.occupied_now[u.index()];
            if k == NONE || best == u {
                continue;
            }
            if self.swap_required(k, i, here, best) && self.swap_possible(best, here) {
                return Some(k);
            }
        }
        None
    }

    /// Neighbours of `v` an agent could be pulled to, other than `from`
    /// and dead ends where an agent already rests on its goal.
    fn pull_options(&self, v: PlanNodeIdx, from: PlanNodeIdx) -> (usize, Option<PlanNodeIdx>) {
        let mut n = 0;
        let mut last = None;
        for &u in self.graph.neighbours(v) {
            let a = self.occupied_now[u.index()];
            let resting = self.graph.neighbours(u).len() == 1 && a != NONE && self.goals[a as usize] == u;
            if u != from && !resting {
                n += 1;
                last = Some(u);
            }
        }
        (n, last)
    }

    fn swap_required(
        &self,
        pusher: u32,
        puller: u32,
        pusher_at: PlanNodeIdx,
        puller_at: PlanNodeIdx,
    ) -> bool {
        let d = |agent: u32, v: PlanNodeIdx| self.tables[agent as usize].raw(v);
        let (mut v_pusher, mut v_puller) = (pusher_at, puller_at);
        let mut steps = 0;
        while d(pusher, v_puller) < d(pusher, v_pusher) && steps < self.graph.n_nodes() {
            steps += 1;
            let (n, next) = self.pull_options(v_puller, v_pusher);
            if n >= 2 {
                return false; // room to pass
            }
            let Some(next) = next else { break };
            v_pusher = v_puller;
            v_puller = next;
        }
        d(puller, v_pusher) < d(puller, v_puller)
            && (d(pusher, v_pusher) == 0 || d(pusher, v_puller) < d(pusher, v_pusher))
    }

    fn swap_possible(&self, pusher_at: PlanNodeIdx, puller_at: PlanNodeIdx) -> bool {
        let (mut v_pusher, mut v_puller) = (pusher_at, puller_at);
        let mut steps = 0;
        while v_puller != pusher_at && steps < self.graph.n_nodes() {
            steps += 1;
            let (n, next) = self.pull_options(v_puller, v_pusher);
            if n >= 2 {
                return true;
            }
            let Some(next) = next else { return false };
            v_pusher = v_puller;
            v_puller = next;
        }
        false
    }

    fn conflicts_with(&self, a: PlanNodeIdx, b: PlanNodeIdx) -> bool {
        a == b || (self.has_node_conflicts && self.graph.node_conflicts(a).contains(&b))
    }
}
