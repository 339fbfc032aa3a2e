//! Property tests of the MAPF planners on random grids and random LIF-like
//! graphs (with footprint conflict sets): every solution passes the
//! independent validator; its cost is never below the optimum found by an
//! exhaustive search of the joint configuration space; an instance the
//! planner calls unsolvable really is; a seed reproduces a run.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use layout::conflicts::Footprint;
use layout::model::*;
use layout::plan_graph::{PlanGraph, PlanGraphConfig, PlanNodeIdx};
use layout::{LoadOptions, load_str};
use nalgebra::Point2;
use orchestrator::mapf::instance::Instance;
use orchestrator::mapf::planner::{Budget, PlanError, PlannerConfig, plan};
use orchestrator::mapf::validate::validate;
use proptest::prelude::*;

fn grid(width: usize, height: usize, blocked: &[bool]) -> Layout {
    let mut text = format!("type octile\nheight {height}\nwidth {width}\nmap\n");
    for y in 0..height {
        for x in 0..width {
            text.push(if blocked[(y * width + x) % blocked.len()] { '@' } else { '.' });
        }
        text.push('\n');
    }
    load_str(&text, "g.map", LoadOptions::default()).unwrap().value
}

/// Random points joined to near neighbours; some edges one-way.
fn lif_like(points: &[(u8, u8)], one_way: &[bool]) -> Layout {
    let mut nodes: Vec<Node> = Vec::new();
    for &(x, y) in points {
        let p = Point2::new(f64::from(x) * 1.5, f64::from(y) * 1.5);
        if nodes.iter().any(|n| (n.position - p).norm() < 1e-9) {
            continue;
        }
        nodes.push(Node::new(format!("n{}", nodes.len()), LevelIdx(0), p));
    }
    let props = vec![EdgeTypeProperties::unrestricted("t")];
    let mut edges = Vec::new();
    let mut k = 0;
    for a in 0..nodes.len() {
        for b in 0..nodes.len() {
            let d = (nodes[a].position - nodes[b].position).norm();
            if a < b && d <= 2.2 {
                let directions: &[(usize, usize)] =
                    if one_way[k % one_way.len()] { &[(a, b)] } else { &[(a, b), (b, a)] };
                k += 1;
                for &(u, v) in directions {
                    edges.push(Edge {
                        id: format!("e{}", edges.len()),
                        name: None,
                        description: None,
                        level: LevelIdx(0),
                        from: NodeIdx(u as u32),
                        to: NodeIdx(v as u32),
                        length: d,
                        vehicle_types: props.clone(),
                    });
                }
            }
        }
    }
    Layout::from_parts(LayoutParts { levels: vec![Level::default()], nodes, edges, ..LayoutParts::default() })
}

fn pick_agents(
    graph: &PlanGraph,
    picks: &[usize],
    n_agents: usize,
) -> Option<(Vec<PlanNodeIdx>, Vec<PlanNodeIdx>)> {
    let n = graph.n_layout_nodes();
    if n < 2 * n_agents {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    for (i, p) in picks.iter().enumerate() {
        let j = i % n;
        order.swap(j, p % n);
    }
    // Starts and goals must not conflict with each other (footprints).
    let mut starts = Vec::new();
    let mut goals = Vec::new();
    let clash = |set: &[PlanNodeIdx], v: PlanNodeIdx| {
        set.iter().any(|w| *w == v || graph.node_conflicts(*w).contains(&v))
    };
    for &v in &order {
        let v = PlanNodeIdx(v as u32);
        if starts.len() < n_agents && !clash(&starts, v) {
            starts.push(v);
        } else if goals.len() < n_agents && !clash(&goals, v) {
            goals.push(v);
        }
    }
    (starts.len() == n_agents && goals.len() == n_agents).then_some((starts, goals))
}

/// Optimal sum of loss by Dijkstra over joint configurations (tiny instances only).
fn optimal_sum_of_loss(graph: &PlanGraph, starts: &[PlanNodeIdx], goals: &[PlanNodeIdx]) -> Option<u64> {
    let n = starts.len();
    let options = |v: PlanNodeIdx| -> Vec<PlanNodeIdx> {
        let mut o = graph.neighbours(v).to_vec();
        o.push(v);
        o
    };
    let mut best: BTreeMap<Vec<PlanNodeIdx>, u64> = BTreeMap::new();
    let mut open = BinaryHeap::new();
    best.insert(starts.to_vec(), 0);
    open.push(Reverse((0u64, starts.to_vec())));
    while let Some(Reverse((cost, q))) = open.pop() {
        if best.get(&q).is_some_and(|&c| c < cost) {
            continue;
        }
        if q == goals {
            return Some(cost);
        }
        // Enumerate joint moves.
        let choices: Vec<Vec<PlanNodeIdx>> = q.iter().map(|&v| options(v)).collect();
        let mut idx = vec![0usize; n];
        'outer: loop {
            let next: Vec<PlanNodeIdx> = (0..n).map(|i| choices[i][idx[i]]).collect();
            if joint_step_valid(graph, &q, &next) {
                let step: u64 = (0..n).filter(|&i| !(q[i] == goals[i] && next[i] == goals[i])).count() as u64;
                let c = cost + step;
                if best.get(&next).is_none_or(|&old| c < old) {
                    best.insert(next.clone(), c);
                    open.push(Reverse((c, next)));
                }
            }
            for i in 0..n {
                idx[i] += 1;
                if idx[i] < choices[i].len() {
                    continue 'outer;
                }
                idx[i] = 0;
            }
            break;
        }
    }
    None
}

fn joint_step_valid(graph: &PlanGraph, q: &[PlanNodeIdx], next: &[PlanNodeIdx]) -> bool {
    let n = q.len();
    for i in 0..n {
        for j in (i + 1)..n {
            if next[i] == next[j] || graph.node_conflicts(next[i]).contains(&next[j]) {
                return false;
            }
            if next[i] == q[j] && next[j] == q[i] && q[i] != q[j] {
                return false;
            }
            if q[i] != next[i]
                && q[j] != next[j]
                && let (Some(e), Some(f)) = (graph.edge_index(q[i], next[i]), graph.edge_index(q[j], next[j]))
                && graph.edge_conflicts(e).contains(&(f as u32))
            {
                return false;
            }
        }
    }
    true
}

fn run(
    graph: &PlanGraph,
    starts: Vec<PlanNodeIdx>,
    goals: Vec<PlanNodeIdx>,
    seed: u64,
) -> Result<(Vec<Vec<PlanNodeIdx>>, u64), PlanError> {
    let instance = Instance { graph, starts, goals };
    let never = || false;
    let budget = Budget { should_stop: &never, max_refine_iterations: 30 };
    let config = PlannerConfig { seed, max_lacam_nodes: 20_000, ..PlannerConfig::default() };
    let outcome = plan(&instance, &config, &budget, &mut |_| {})?;
    let costs = validate(graph, &instance.starts, &instance.goals, &outcome.solution.paths)
        .unwrap_or_else(|v| panic!("invalid solution: {v:?}"));
    Ok((outcome.solution.paths, costs.sum_of_loss))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn grid_solutions_validate_and_are_never_below_the_optimum(
        w in 2usize..5, h in 2usize..5, blocked in proptest::collection::vec(prop::bool::weighted(0.2), 1..20),
        picks in proptest::collection::vec(0usize..64, 8), n_agents in 1usize..4, seed in any::<u64>(),
    ) {
        let map = grid(w, h, &blocked);
        let graph = PlanGraph::build(&map, &PlanGraphConfig::default()).unwrap();
        let Some((starts, goals)) = pick_agents(&graph, &picks, n_agents) else { return Ok(()) };
        let optimum = optimal_sum_of_loss(&graph, &starts, &goals);
        match run(&graph, starts, goals, seed) {
            Ok((_, sol)) => {
                let opt = optimum.expect("the planner solved an instance the exhaustive search calls unsolvable");
                prop_assert!(sol >= opt, "sum of loss {} below the optimum {}", sol, opt);
            }
            Err(PlanError::NoSolution) | Err(PlanError::Instance(_)) => prop_assert!(optimum.is_none(), "missed a solution of cost {:?}", optimum),
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    #[test]
    fn lif_like_solutions_with_footprints_validate(
        points in proptest::collection::vec((0u8..6, 0u8..6), 4..14),
        one_way in proptest::collection::vec(prop::bool::weighted(0.25), 1..8),
        picks in proptest::collection::vec(0usize..64, 8), n_agents in 1usize..4, seed in any::<u64>(),
    ) {
        let site = lif_like(&points, &one_way);
        // A body a little larger than the 1.5 m spacing's half: diagonal neighbours conflict.
        let config = PlanGraphConfig {
            vehicle_speed: 1.5,
            footprint: Some(Footprint { length: 1.2, width: 1.0, clearance: 0.05 }),
            ..PlanGraphConfig::default()
        };
        let graph = PlanGraph::build(&site, &config).unwrap();
        let Some((starts, goals)) = pick_agents(&graph, &picks, n_agents) else { return Ok(()) };
        let optimum = optimal_sum_of_loss(&graph, &starts, &goals);
        match run(&graph, starts, goals, seed) {
            Ok((_, sol)) => {
                let opt = optimum.expect("solved an unsolvable instance");
                prop_assert!(sol >= opt);
            }
            Err(PlanError::NoSolution) | Err(PlanError::Instance(_)) => prop_assert!(optimum.is_none(), "missed a solution of cost {:?}", optimum),
            Err(PlanError::Budget { .. }) => {}
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}

#[test]
fn the_same_seed_and_iteration_budget_give_the_same_solution() {
    let map = grid(8, 8, &[false, false, false, true, false, false, false, false, false, false, false]);
    let graph = PlanGraph::build(&map, &PlanGraphConfig::default()).unwrap();
    let (starts, goals) = pick_agents(&graph, &[3, 17, 29, 41, 5, 60, 11, 2], 8).unwrap();
    let a = run(&graph, starts.clone(), goals.clone(), 42).unwrap();
    let b = run(&graph, starts, goals, 42).unwrap();
    assert_eq!(a, b);
}

#[test]
fn footprints_are_respected_on_the_car_plant() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maps/car-plant.lif.json");
    let site = layout::load(&path, LoadOptions::default()).unwrap().value;
    let graph =
        PlanGraph::build(&site, &PlanGraphConfig { vehicle_speed: 1.5, ..Default::default() }).unwrap();
    assert!(graph.conflict_counts().0 > 0);
    // Twelve vehicles between stations across the plant.
    let spots: Vec<PlanNodeIdx> =
        site.stations.iter().map(|s| graph.plan_node(s.interaction_nodes[0])).collect();
    let starts: Vec<PlanNodeIdx> = spots.iter().step_by(5).take(12).copied().collect();
    let goals: Vec<PlanNodeIdx> = spots.iter().skip(2).step_by(5).take(12).copied().collect();
    let (paths, sol) = run(&graph, starts, goals, 7).unwrap();
    assert_eq!(paths.len(), 12);
    assert!(sol > 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Guide paths (the first solution's steering) are real paths: each
    /// moves along edges from its start to its goal, never longer than the
    /// shortest path plus the margin; and with them on, the planner's
    /// solutions on busier grids still validate.
    #[test]
    fn guide_paths_are_paths_within_the_margin(
        w in 4usize..10, h in 4usize..10, blocked in proptest::collection::vec(prop::bool::weighted(0.15), 1..100),
        picks in proptest::collection::vec(0usize..128, 24), n_agents in 2usize..10, margin in 0u32..6, seed in any::<u64>(),
    ) {
        use orchestrator::mapf::distance::{DistanceCache, DistanceTable, UNREACHABLE};
        use orchestrator::mapf::guides::Guides;
        let map = grid(w, h, &blocked);
        let graph = PlanGraph::build(&map, &PlanGraphConfig::default()).unwrap();
        let Some((starts, goals)) = pick_agents(&graph, &picks, n_agents) else { return Ok(()) };
        let mut cache = DistanceCache::new(&graph);
        for &g in &goals {
            cache.ensure(g);
        }
        let tables: Vec<&DistanceTable> = goals.iter().map(|&g| cache.table(g).unwrap()).collect();
        if starts.iter().zip(&tables).any(|(s, t)| t.raw(*s) == UNREACHABLE) {
            return Ok(());
        }
        let guides = Guides::build(&graph, &tables, &starts, margin, seed, &|| false);
        for i in 0..n_agents {
            let mut at = starts[i];
            let mut steps = 0u32;
            while let Some(next) = guides.next(i, at) {
                prop_assert!(graph.neighbours(at).contains(&next), "agent {}: {:?} → {:?} is no edge", i, at, next);
                at = next;
                steps += 1;
                prop_assert!(steps <= tables[i].raw(starts[i]) + margin, "agent {}: guide longer than allowed", i);
            }
            prop_assert_eq!(at, goals[i], "agent {}'s guide ends at its goal", i);
        }
        let instance = Instance { graph: &graph, starts, goals };
        let never = || false;
        let budget = Budget { should_stop: &never, max_refine_iterations: 20 };
        let config = PlannerConfig { seed, max_lacam_nodes: 50_000, guide_margin: margin, ..PlannerConfig::default() };
        match plan(&instance, &config, &budget, &mut |_| {}) {
            Ok(outcome) => {
                let checked = validate(&graph, &instance.starts, &instance.goals, &outcome.solution.paths);
                prop_assert!(checked.is_ok(), "invalid solution: {:?}", checked.err());
            }
            Err(PlanError::NoSolution) | Err(PlanError::Budget { .. }) => {}
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}
