//! A MAPF instance and its solution.

use layout::plan_graph::{PlanGraph, PlanNodeIdx};

/// Agents with start and goal nodes on a plan graph.
#[derive(Clone, Debug)]
pub struct Instance<'g> {
    /// The graph.
    pub graph: &'g PlanGraph,
    /// Start of each agent.
    pub starts: Vec<PlanNodeIdx>,
    /// Goal of each agent.
    pub goals: Vec<PlanNodeIdx>,
}

/// Why an instance is not well-formed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InstanceError {
    /// Different numbers of starts and goals.
    #[error("{starts} starts but {goals} goals")]
    Mismatch {
        /// Starts given.
        starts: usize,
        /// Goals given.
        goals: usize,
    },
    /// A node index beyond the graph.
    #[error("agent {agent}: node {node} is not in the graph ({n_nodes} nodes)")]
    NoSuchNode {
        /// Agent.
        agent: usize,
        /// The index.
        node: u32,
        /// Graph size.
        n_nodes: usize,
    },
    /// Two agents start (or end) on the same node or conflicting nodes.
    #[error("agents {a} and {b} both {what} on node {node} (or on nodes too close for their footprints)")]
    Collision {
        /// First agent.
        a: usize,
        /// Second agent.
        b: usize,
        /// "start" or "end".
        what: &'static str,
        /// Node of `b`.
        node: u32,
    },
    /// A goal that cannot be reached from the start.
    #[error("agent {agent} cannot reach its goal {goal} from {start}")]
    Unreachable {
        /// Agent.
        agent: usize,
        /// Start node.
        start: u32,
        /// Goal node.
        goal: u32,
    },
}

impl Instance<'_> {
    /// Number of agents.
    pub fn n_agents(&self) -> usize {
        self.starts.len()
    }

    /// Checks sizes, indices and that no two agents share a start or a goal
    /// (or conflicting ones). Reachability is checked by the planners with
    /// their distance tables.
    pub fn check(&self) -> Result<(), InstanceError> {
        if self.starts.len() != self.goals.len() {
            return Err(InstanceError::Mismatch { starts: self.starts.len(), goals: self.goals.len() });
        }
        let n = self.graph.n_nodes();
        for (what, nodes) in [("start", &self.starts), ("end", &self.goals)] {
            let mut owner = vec![u32::MAX; n];
            for (agent, v) in nodes.iter().enumerate() {
                if v.index() >= n {
                    return Err(InstanceError::NoSuchNode { agent, node: v.0, n_nodes: n });
                }
                let clash = std::iter::once(*v).chain(self.graph.node_conflicts(*v).iter().copied());
                for w in clash {
                    let other = owner[w.index()];
                    if other != u32::MAX {
                        return Err(InstanceError::Collision {
                            a: other as usize,
                            b: agent,
                            what,
                            node: v.0,
                        });
                    }
                }
                owner[v.index()] = agent as u32;
            }
        }
        Ok(())
    }
}

/// One path per agent: its node at t = 0, 1, 2, …, ending when it rests at
/// its goal for good (a path is never longer than needed; shorter paths are
/// read as staying at their last node).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solution {
    /// Paths by agent.
    pub paths: Vec<Vec<PlanNodeIdx>>,
}

impl Solution {
    /// Where agent `i` is at time `t`.
    #[inline]
    pub fn at(&self, i: usize, t: usize) -> PlanNodeIdx {
        let p = &self.paths[i];
        p[t.min(p.len() - 1)]
    }

    /// The time by which every agent rests at its goal.
    pub fn makespan(&self) -> usize {
        self.paths.iter().map(|p| p.len().saturating_sub(1)).max().unwrap_or(0)
    }

    /// Sum over agents of the time each last arrives at its goal.
    pub fn sum_of_costs(&self) -> u64 {
        self.paths.iter().map(|p| arrival(p) as u64).sum()
    }

    /// Sum over agents of every step except waiting at the goal.
    pub fn sum_of_loss(&self, goals: &[PlanNodeIdx]) -> u64 {
        self.paths.iter().zip(goals).map(|(p, g)| path_loss(p, *g)).sum()
    }

    /// Drops trailing repeats so each path ends where the agent first rests for good.
    pub fn trim(&mut self) {
        for p in &mut self.paths {
            trim_path(p);
        }
    }
}

/// Index of the last arrival: the first t after which the path never changes.
pub fn arrival(path: &[PlanNodeIdx]) -> usize {
    let Some(last) = path.last() else { return 0 };
    let mut t = path.len() - 1;
    while t > 0 && path[t - 1] == *last {
        t -= 1;
    }
    t
}

/// Steps of a path that are not waits on the goal.
pub fn path_loss(path: &[PlanNodeIdx], goal: PlanNodeIdx) -> u64 {
    path.windows(2).filter(|w| !(w[0] == goal && w[1] == goal)).count() as u64
}

/// Removes trailing repeats.
pub fn trim_path(path: &mut Vec<PlanNodeIdx>) {
    let keep = arrival(path) + 1;
    path.truncate(keep.max(1));
}
