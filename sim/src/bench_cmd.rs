//! `yard-sim bench mapf`: run the MAPF planner on a MovingAI instance and
//! report what the MAPF literature reports (see `docs/benchmarks.md`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use layout::movingai::{self, GridOptions};
use layout::plan_graph::{PlanGraph, PlanGraphConfig};
use orchestrator::mapf::instance::{Instance, Solution};
use orchestrator::mapf::planner::{self, Budget, PlanEvent, PlannerConfig};
use orchestrator::mapf::validate::validate;
use serde::Serialize;

/// One run's figures, as printed and written with `--out`.
#[derive(Clone, Debug, Serialize)]
pub struct MapfResult {
    /// Map file name.
    pub map: String,
    /// Scenario file name.
    pub scen: String,
    /// Agents (the first N of the scenario).
    pub agents: usize,
    /// Whether a valid solution was found.
    pub solved: bool,
    /// Wall time of the whole run, ms.
    pub runtime_ms: f64,
    /// Wall time to the first solution, ms (distance tables included).
    pub first_solution_ms: Option<f64>,
    /// Sum of costs of the final solution.
    pub soc: Option<u64>,
    /// Sum of loss of the final solution.
    pub sum_of_loss: Option<u64>,
    /// Sum of loss of the first solution.
    pub first_sum_of_loss: Option<u64>,
    /// Makespan of the final solution.
    pub makespan: Option<u64>,
    /// Sum of shortest path lengths.
    pub lower_bound: u64,
    /// Guide paths: crossings left between them and replanning rounds run.
    pub guides: (u64, u32),
    /// LaCAM configurations generated.
    pub lacam_nodes: usize,
    /// LNS iterations run and kept.
    pub refine_iterations: (u64, u64),
    /// LNS searches that failed, and search expansions in all.
    pub refine_searches: (u64, u64),
    /// Peak resident memory of this process, MB.
    pub peak_rss_mb: Option<f64>,
    /// Why not solved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Cells `[x, y]` of every agent from t = 0 to the makespan.
    pub paths: Vec<Vec<[u32; 2]>>,
}

/// Peak resident memory of this process (Linux), MB.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Options of one run.
#[derive(Clone, Debug)]
pub struct MapfRun {
    /// The `.map` file.
    pub map: PathBuf,
    /// The `.scen` file.
    pub scen: PathBuf,
    /// Agents to take.
    pub agents: usize,
    /// Wall-clock limit, s.
    pub time_limit: f64,
    /// Seed.
    pub seed: u64,
    /// Refinement iteration cap (for reproducible runs).
    pub max_refine_iterations: u64,
    /// Guide paths' margin (0: no guide paths).
    pub guide_margin: u32,
}

/// The last component of a path, for reports.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Runs the planner once.
#[expect(clippy::disallowed_methods, reason = "the benchmark measures wall-clock time")]
pub fn run_mapf(run: &MapfRun) -> anyhow::Result<MapfResult> {
    let map = movingai::load_map(&run.map, GridOptions::default()).with_context(|| "loading the map")?.value;
    let scen = movingai::load_scen(&run.scen).with_context(|| "loading the scenario")?;
    if run.agents > scen.len() {
        bail!("{} has {} agents, {} asked for", run.scen.display(), scen.len(), run.agents);
    }
    let graph = PlanGraph::build(&map, &PlanGraphConfig::default())?;
    let agents = &scen[..run.agents];
    let starts = planner::cells_to_nodes(&map, &graph, &agents.iter().map(|a| a.start).collect::<Vec<_>>())
        .context("a start cell is blocked or off the map")?;
    let goals = planner::cells_to_nodes(&map, &graph, &agents.iter().map(|a| a.goal).collect::<Vec<_>>())
        .context("a goal cell is blocked or off the map")?;
    let instance = Instance { graph: &graph, starts, goals };
    let lower_bound = planner::lower_bound(&instance).context("some goal is unreachable")?;

    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(run.time_limit.max(0.0));
    let should_stop = || Instant::now() >= deadline;
    let budget = Budget { should_stop: &should_stop, max_refine_iterations: run.max_refine_iterations };
    let config = PlannerConfig { seed: run.seed, guide_margin: run.guide_margin, ..PlannerConfig::default() };
    let mut first_solution_ms = None;
    let outcome = planner::plan(&instance, &config, &budget, &mut |event| {
        if let PlanEvent::FirstSolution(_) = event {
            first_solution_ms = Some(started.elapsed().as_secs_f64() * 1e3);
        }
    });
    let runtime_ms = started.elapsed().as_secs_f64() * 1e3;
    let grid = map.grid.as_ref().context("not a grid map")?;
    let cell = |v: layout::plan_graph::PlanNodeIdx| {
        let n = graph.layout_node(v).map_or(0, |n| n.index());
        let (x, y) = grid.cells[n];
        [x, y]
    };
    let mut result = MapfResult {
        map: file_name(&run.map),
        scen: file_name(&run.scen),
        agents: run.agents,
        solved: false,
        runtime_ms,
        first_solution_ms,
        soc: None,
        sum_of_loss: None,
        first_sum_of_loss: None,
        makespan: None,
        lower_bound,
        guides: (0, 0),
        lacam_nodes: 0,
        refine_iterations: (0, 0),
        refine_searches: (0, 0),
        peak_rss_mb: None,
        error: None,
        paths: Vec::new(),
    };
    match outcome {
        Ok(outcome) => {
            let Solution { paths } = &outcome.solution;
            match validate(&graph, &instance.starts, &instance.goals, paths) {
                Ok(costs) => {
                    result.solved = true;
                    result.soc = Some(costs.sum_of_costs);
                    result.sum_of_loss = Some(costs.sum_of_loss);
                    result.makespan = Some(costs.makespan);
                    let horizon = costs.makespan as usize;
                    result.paths = paths
                        .iter()
                        .map(|p| (0..=horizon).map(|t| cell(p[t.min(p.len() - 1)])).collect())
                        .collect();
                }
                Err(violations) => result.error = Some(format!("INVALID solution: {violations:?}")),
            }
            result.first_sum_of_loss = Some(outcome.first_sum_of_loss);
            result.lacam_nodes = outcome.lacam_nodes;
            result.guides = outcome.guides;
            result.refine_iterations = outcome.refine_iterations;
            result.refine_searches = outcome.refine_searches;
        }
        Err(e) => result.error = Some(e.to_string()),
    }
    result.peak_rss_mb = peak_rss_mb();
    Ok(result)
}
