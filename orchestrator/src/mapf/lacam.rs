//! LaCAM (Okumura, AAAI 2023): a complete search over configurations that
//! uses PIBT as its successor generator.
//!
//! Each high-level node is a configuration (where every agent is) with a
//! lazily grown tree of low-level constraints ("agent i goes to v next").
//! Popping a constraint, PIBT generates the successor configuration that
//! honours it; configurations seen before are not expanded again. Because
//! every combination of constraints is eventually tried, LaCAM finds a
//! solution whenever one exists (given time and memory); in practice PIBT
//! alone carries the search most of the way and the first solution comes
//! after about as many high-level nodes as the makespan.

use std::collections::{BTreeMap, VecDeque};

use layout::plan_graph::PlanNodeIdx;

use super::distance::DistanceTable;
use super::guides::Guides;
use super::instance::Instance;
use super::pibt::Pibt;
use super::rng::Rng;

/// Limits of one LaCAM run.
pub struct LacamBudget<'s> {
    /// Stop after this many high-level nodes.
    pub max_nodes: usize,
    /// Asked every 64 iterations; `true` stops the search.
    pub should_stop: &'s dyn Fn() -> bool,
}

/// Why LaCAM ended without a solution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LacamFailure {
    /// The budget ran out.
    Budget,
    /// Every configuration reachable was explored: no solution exists.
    NoSolution,
}

struct LowLevel {
    parent: u32,
    who: u32,
    to: u32,
    depth: u32,
}

const ROOT: u32 = u32::MAX;

struct HighLevel {
    config: Vec<PlanNodeIdx>,
    parent: u32,
    priorities: Vec<f32>,
    order: Vec<u32>,
    tree: VecDeque<u32>,
}

fn config_hash(config: &[PlanNodeIdx]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in config {
        h = (h ^ u64::from(v.0)).wrapping_mul(0x0000_0100_0000_01B3);
        h ^= h >> 29;
    }
    h
}

/// Runs LaCAM; returns the sequence of configurations from the starts to
/// the goals, and how many high-level nodes it generated.
pub fn solve(
    instance: &Instance<'_>,
    tables: &[&DistanceTable],
    seed: u64,
    guides: Option<&Guides>,
    budget: &LacamBudget<'_>,
) -> (Result<Vec<Vec<PlanNodeIdx>>, LacamFailure>, usize) {
    let n = instance.n_agents();
    let goals = &instance.goals;
    let mut rng = Rng::new(seed);
    let mut pibt = Pibt::new(instance.graph, tables, &instance.goals, seed.wrapping_add(1));
    if let Some(guides) = guides {
        pibt = pibt.with_guides(guides);
    }
    let mut low: Vec<LowLevel> = Vec::new();
    let mut high: Vec<HighLevel> = Vec::new();
    let mut explored: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    let mut open: Vec<u32> = Vec::new();

    let initial_priorities: Vec<f32> = (0..n)
        .map(|i| {
            tables[i].raw(instance.starts[i]) as f32 / (n.max(1) as f32 * 1000.0) + rng.unit() as f32 * 1e-6
        })
        .collect();
    let make_node = |config: Vec<PlanNodeIdx>, parent: u32, priorities: Vec<f32>| {
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by(|&a, &b| priorities[b as usize].total_cmp(&priorities[a as usize]));
        HighLevel { config, parent, priorities, order, tree: VecDeque::from([ROOT]) }
    };
    let start = make_node(instance.starts.clone(), ROOT, initial_priorities);
    explored.entry(config_hash(&start.config)).or_default().push(0);
    high.push(start);
    open.push(0);

    let mut iterations = 0usize;
    let mut fixed: Vec<(u32, PlanNodeIdx)> = Vec::new();
    while let Some(&top) = open.last() {
        iterations += 1;
        if iterations.is_multiple_of(64) && (budget.should_stop)() {
            return (Err(LacamFailure::Budget), high.len());
        }
        if high.len() >= budget.max_nodes {
            return (Err(LacamFailure::Budget), high.len());
        }
        let node = &mut high[top as usize];
        if node.config == *goals {
            let mut configs = Vec::new();
            let mut k = top;
            while k != ROOT {
                configs.push(high[k as usize].config.clone());
                k = high[k as usize].parent;
            }
            configs.reverse();
            return (Ok(configs), high.len());
        }
        let Some(constraint) = node.tree.pop_front() else {
            open.pop();
            continue;
        };
        // Grow the constraint tree by one agent.
        let depth = if constraint == ROOT { 0 } else { low[constraint as usize].depth };
        if (depth as usize) < n {
            let who = node.order[depth as usize];
            let from = node.config[who as usize];
            let mut options: Vec<PlanNodeIdx> = instance.graph.neighbours(from).to_vec();
            options.push(from);
            rng.shuffle(&mut options);
            for v in options {
                low.push(LowLevel { parent: constraint, who, to: v.0, depth: depth + 1 });
                let id = (low.len() - 1) as u32;
                high[top as usize].tree.push_back(id);
            }
        }
        fixed.clear();
        let mut c = constraint;
        while c != ROOT {
            let l = &low[c as usize];
            fixed.push((l.who, PlanNodeIdx(l.to)));
            c = l.parent;
        }
        fixed.reverse();
        let node = &high[top as usize];
        let Some(next) = pibt.step(&node.config, &node.order, &fixed) else { continue };
        let hash = config_hash(&next);
        let seen = explored
            .get(&hash)
            .and_then(|ids| ids.iter().copied().find(|&id| high[id as usize].config == next));
        if let Some(id) = seen {
            // Revisit it (LaCAM*'s reinsertion keeps the search going through known nodes).
            if !high[id as usize].tree.is_empty() {
                open.push(id);
            }
            continue;
        }
        let priorities: Vec<f32> = (0..n)
            .map(|i| {
                let p = node.priorities[i];
                if next[i] != goals[i] { p + 1.0 } else { p - p.floor() }
            })
            .collect();
        let child = make_node(next, top, priorities);
        let id = high.len() as u32;
        explored.entry(hash).or_default().push(id);
        high.push(child);
        open.push(id);
    }
    (Err(LacamFailure::NoSolution), high.len())
}

/// Turns a configuration sequence into trimmed paths.
pub fn configs_to_paths(configs: &[Vec<PlanNodeIdx>]) -> Vec<Vec<PlanNodeIdx>> {
    let n = configs.first().map_or(0, Vec::len);
    let mut paths: Vec<Vec<PlanNodeIdx>> = (0..n).map(|i| configs.iter().map(|c| c[i]).collect()).collect();
    for p in &mut paths {
        super::instance::trim_path(p);
    }
    paths
}
