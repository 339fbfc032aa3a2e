//! The independent solution checker. It shares no code with the planners:
//! given the graph, starts, goals and paths it checks every rule and
//! recomputes the costs. Tests and benchmarks pass every solution through it.
//!
//! Rules: each path starts at its agent's start and ends at its goal (an
//! agent stays at its last node afterwards); each step waits or follows a
//! plan-graph edge; no two agents on one node at one time (vertex), on
//! nodes of each other's footprint conflict sets (footprint), or swapping
//! along an edge (swap); no two agents traversing conflicting edges in the
//! same step (footprint, edges).

use layout::plan_graph::{PlanGraph, PlanNodeIdx};

/// Costs recomputed from a valid solution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Costs {
    /// Sum over agents of the time each last arrives at its goal.
    pub sum_of_costs: u64,
    /// Sum over agents of every step except waiting on the goal.
    pub sum_of_loss: u64,
    /// Largest arrival time.
    pub makespan: u64,
}

/// A broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Wrong number of paths.
    PathCount {
        /// Paths given.
        paths: usize,
        /// Agents.
        agents: usize,
    },
    /// A path is empty.
    EmptyPath {
        /// Agent.
        agent: usize,
    },
    /// Path does not begin at the start.
    WrongStart {
        /// Agent.
        agent: usize,
    },
    /// Path does not end at the goal.
    WrongGoal {
        /// Agent.
        agent: usize,
    },
    /// A step that is neither a wait nor an edge.
    Jump {
        /// Agent.
        agent: usize,
        /// Time of arrival.
        t: usize,
    },
    /// Two agents on one node.
    Vertex {
        /// Agents.
        agents: (usize, usize),
        /// Time.
        t: usize,
        /// Node.
        node: u32,
    },
    /// Two agents on conflicting nodes.
    Footprint {
        /// Agents.
        agents: (usize, usize),
        /// Time.
        t: usize,
    },
    /// Two agents swap along an edge.
    Swap {
        /// Agents.
        agents: (usize, usize),
        /// Time of arrival.
        t: usize,
    },
    /// Two agents traverse conflicting edges in one step.
    EdgeFootprint {
        /// Agents.
        agents: (usize, usize),
        /// Time of arrival.
        t: usize,
    },
}

/// Checks a solution; `Ok` holds its recomputed costs, `Err` the first
/// violations found (at most 20).
pub fn validate(
    graph: &PlanGraph,
    starts: &[PlanNodeIdx],
    goals: &[PlanNodeIdx],
    paths: &[Vec<PlanNodeIdx>],
) -> Result<Costs, Vec<Violation>> {
    let mut errors = Vec::new();
    if paths.len() != starts.len() || goals.len() != starts.len() {
        return Err(vec![Violation::PathCount { paths: paths.len(), agents: starts.len() }]);
    }
    for (i, p) in paths.iter().enumerate() {
        let (Some(first), Some(last)) = (p.first(), p.last()) else {
            errors.push(Violation::EmptyPath { agent: i });
            continue;
        };
        if *first != starts[i] {
            errors.push(Violation::WrongStart { agent: i });
        }
        if *last != goals[i] {
            errors.push(Violation::WrongGoal { agent: i });
        }
        for t in 1..p.len() {
            let (u, v) = (p[t - 1], p[t]);
            if u != v && !graph.neighbours(u).contains(&v) {
                errors.push(Violation::Jump { agent: i, t });
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let horizon = paths.iter().map(Vec::len).max().unwrap_or(1);
    let at = |i: usize, t: usize| paths[i][t.min(paths[i].len() - 1)];
    let n = graph.n_nodes();
    let mut who = vec![u32::MAX; n];
    let mut stamp = vec![u32::MAX; n];
    for t in 0..horizon {
        // Vertex and footprint conflicts at time t.
        for i in 0..paths.len() {
            let v = at(i, t);
            if stamp[v.index()] == t as u32 {
                errors.push(Violation::Vertex { agents: (who[v.index()] as usize, i), t, node: v.0 });
            }
            stamp[v.index()] = t as u32;
            who[v.index()] = i as u32;
        }
        for i in 0..paths.len() {
            let v = at(i, t);
            for w in graph.node_conflicts(v) {
                if stamp[w.index()] == t as u32 && who[w.index()] as usize != i {
                    errors.push(Violation::Footprint { agents: (i, who[w.index()] as usize), t });
                }
            }
        }
        // Swap and edge-footprint conflicts on the step t-1 → t.
        if t > 0 {
            let mut moves: Vec<(u32, u32, usize)> = (0..paths.len())
                .filter_map(|i| {
                    let (u, v) = (at(i, t - 1), at(i, t));
                    (u != v).then_some((u.0, v.0, i))
                })
                .collect();
            moves.sort_unstable();
            for &(u, v, i) in &moves {
                if let Ok(k) = moves.binary_search_by(|m| (m.0, m.1).cmp(&(v, u)))
                    && moves[k].2 > i
                {
                    errors.push(Violation::Swap { agents: (i, moves[k].2), t });
                }
            }
            let mut edge_owner: Vec<(usize, usize)> = moves
                .iter()
                .filter_map(|&(u, v, i)| graph.edge_index(PlanNodeIdx(u), PlanNodeIdx(v)).map(|e| (e, i)))
                .collect();
            edge_owner.sort_unstable();
            for &(e, i) in &edge_owner {
                for &f in graph.edge_conflicts(e) {
                    let start = edge_owner.partition_point(|x| x.0 < f as usize);
                    for &(g, j) in &edge_owner[start..] {
                        if g != f as usize {
                            break;
                        }
                        if j != i {
                            errors.push(Violation::EdgeFootprint { agents: (i, j), t });
                        }
                    }
                }
            }
        }
        if errors.len() >= 20 {
            break;
        }
    }
    if !errors.is_empty() {
        errors.truncate(20);
        return Err(errors);
    }
    let mut costs = Costs { sum_of_costs: 0, sum_of_loss: 0, makespan: 0 };
    for (i, p) in paths.iter().enumerate() {
        let mut last_arrival = p.len() - 1;
        while last_arrival > 0 && p[last_arrival - 1] == goals[i] {
            last_arrival -= 1;
        }
        costs.sum_of_costs += last_arrival as u64;
        costs.makespan = costs.makespan.max(last_arrival as u64);
        for t in 1..p.len() {
            if !(p[t - 1] == goals[i] && p[t] == goals[i]) {
                costs.sum_of_loss += 1;
            }
        }
    }
    Ok(costs)
}
