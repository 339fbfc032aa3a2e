//! Multi-agent path finding over the plan graph: pure functions, no ECS,
//! no IO, no clock (budgets are iteration counts plus a stop predicate the
//! caller supplies).
//!
//! - [`distance`]: exact distance tables, the heuristics of everything here.
//! - [`instance`]: an instance (graph, starts, goals) and a [`instance::Solution`].
//! - [`validate`]: an independent checker of solutions.
//! - [`guides`]: guide paths that spread agents over the map (space
//!   utilisation), which PIBT follows while it can.
//! - [`pibt`]: priority inheritance with backtracking, one step at a time.
//! - [`lacam`]: LaCAM, complete search over configurations with PIBT as
//!   its successor generator; finds the first solution.
//! - [`lns`]: anytime refinement by large neighbourhood search with
//!   prioritized space-time A*.
//! - [`planner`]: the one entry point: first solution, then refinement
//!   until the budget is spent.

pub mod distance;
pub mod guides;
pub mod instance;
pub mod lacam;
pub mod lns;
pub mod pibt;
pub mod planner;
pub mod rng;
pub mod validate;
