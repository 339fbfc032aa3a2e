//! The one-shot MAPF entry point: distance tables, LaCAM for a first
//! solution, then LNS refinement until the budget is spent.
//!
//! Budgets are counted in iterations and, for callers with a clock, by a
//! stop predicate; with an iteration budget only, the same instance and
//! seed give the same solution bit for bit.

use layout::plan_graph::PlanNodeIdx;

use super::distance::{DistanceCache, DistanceTable, UNREACHABLE};
use super::guides::Guides;
use super::instance::{Instance, InstanceError, Solution};
use super::lacam::{self, LacamBudget, LacamFailure};
use super::lns::Lns;

/// How to plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannerConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Refine the first solution (LNS) until the budget is spent.
    pub refine: bool,
    /// Cap on LaCAM's high-level nodes (memory guard).
    pub max_lacam_nodes: usize,
    /// Guide paths (space utilisation) up to this many steps longer than
    /// shortest steer the first solution; 0 turns them off.
    pub guide_margin: u32,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig { seed: 0, refine: true, max_lacam_nodes: 2_000_000, guide_margin: 10 }
    }
}

/// When to stop.
pub struct Budget<'s> {
    /// Asked regularly; `true` ends the search (first solution) or the
    /// refinement (afterwards).
    pub should_stop: &'s dyn Fn() -> bool,
    /// Refinement iterations at most.
    pub max_refine_iterations: u64,
}

/// What the planner reports as it goes.
#[derive(Debug)]
pub enum PlanEvent<'a> {
    /// Distance tables are ready.
    TablesReady,
    /// The first solution.
    FirstSolution(&'a Solution),
}

/// Why there is no solution.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The instance is malformed.
    #[error(transparent)]
    Instance(#[from] InstanceError),
    /// The budget ran out before a first solution.
    #[error("no solution found within the budget ({lacam_nodes} configurations explored)")]
    Budget {
        /// High-level nodes generated.
        lacam_nodes: usize,
    },
    /// The whole reachable configuration space was explored.
    #[error("the instance has no solution")]
    NoSolution,
}

/// A planning run's result.
#[derive(Clone, Debug)]
pub struct PlanOutcome {
    /// The best solution.
    pub solution: Solution,
    /// Guide paths: crossings left between them, and replanning rounds
    /// (both 0 without guides).
    pub guides: (u64, u32),
    /// LaCAM high-level nodes generated.
    pub lacam_nodes: usize,
    /// Sum of loss of the first solution.
    pub first_sum_of_loss: u64,
    /// LNS iterations run and accepted.
    pub refine_iterations: (u64, u64),
    /// LNS searches that failed, and A* expansions in all.
    pub refine_searches: (u64, u64),
    /// Heap bytes of the distance tables.
    pub table_bytes: usize,
}

/// Plans paths for every agent of `instance`.
pub fn plan(
    instance: &Instance<'_>,
    config: &PlannerConfig,
    budget: &Budget<'_>,
    on_event: &mut dyn FnMut(PlanEvent<'_>),
) -> Result<PlanOutcome, PlanError> {
    instance.check()?;
    let mut cache = DistanceCache::new(instance.graph);
    for (agent, &goal) in instance.goals.iter().enumerate() {
        cache.ensure(goal);
        let start = instance.starts[agent];
        if cache.table(goal).map_or(UNREACHABLE, |t| t.raw(start)) == UNREACHABLE {
            return Err(InstanceError::Unreachable { agent, start: start.0, goal: goal.0 }.into());
        }
    }
    let tables: Vec<&DistanceTable> = instance.goals.iter().filter_map(|&g| cache.table(g)).collect();
    on_event(PlanEvent::TablesReady);

    let guides = (config.guide_margin > 0).then(|| {
        Guides::build(
            instance.graph,
            &tables,
            &instance.starts,
            config.guide_margin,
            config.seed.wrapping_add(3),
            budget.should_stop,
        )
    });
    let lacam_budget = LacamBudget { max_nodes: config.max_lacam_nodes, should_stop: budget.should_stop };
    let (result, lacam_nodes) = lacam::solve(instance, &tables, config.seed, guides.as_ref(), &lacam_budget);
    let guide_figures = guides.as_ref().map_or((0, 0), |g| (g.crossings, g.rounds));
    drop(guides);
    let configs = match result {
        Ok(configs) => configs,
        Err(LacamFailure::Budget) => return Err(PlanError::Budget { lacam_nodes }),
        Err(LacamFailure::NoSolution) => return Err(PlanError::NoSolution),
    };
    let first = Solution { paths: lacam::configs_to_paths(&configs) };
    drop(configs);
    on_event(PlanEvent::FirstSolution(&first));
    let first_sum_of_loss = first.sum_of_loss(&instance.goals);
    let mut refine_iterations = (0, 0);
    let mut refine_failures = (0, 0);
    let solution = if config.refine && budget.max_refine_iterations > 0 && !(budget.should_stop)() {
        let mut lns =
            Lns::new(instance.graph, &tables, &instance.goals, first.paths, config.seed.wrapping_add(7));
        while lns.iterations < budget.max_refine_iterations {
            if lns.iterations.is_multiple_of(8) && (budget.should_stop)() {
                break;
            }
            lns.step();
        }
        refine_iterations = (lns.iterations, lns.accepted);
        refine_failures = (lns.failed_searches, lns.expansions);
        Solution { paths: lns.into_paths() }
    } else {
        first
    };
    Ok(PlanOutcome {
        solution,
        guides: guide_figures,
        lacam_nodes,
        first_sum_of_loss,
        refine_iterations,
        refine_searches: refine_failures,
        table_bytes: cache.heap_bytes(),
    })
}

/// Sum over agents of their shortest path lengths: a lower bound of both
/// sum of costs and sum of loss.
pub fn lower_bound(instance: &Instance<'_>) -> Option<u64> {
    let mut cache = DistanceCache::new(instance.graph);
    let mut total = 0u64;
    for (s, g) in instance.starts.iter().zip(&instance.goals) {
        total += u64::from(cache.get(*g).to_goal(*s)?);
    }
    Some(total)
}

/// Agents' nodes for MovingAI cells, for callers holding grid coordinates.
pub fn cells_to_nodes(
    layout: &layout::Layout,
    graph: &layout::plan_graph::PlanGraph,
    cells: &[(u32, u32)],
) -> Option<Vec<PlanNodeIdx>> {
    let grid = layout.grid.as_ref()?;
    cells.iter().map(|&(x, y)| grid.node_at(layout, x, y).map(|n| graph.plan_node(n))).collect()
}
