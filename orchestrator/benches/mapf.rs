//! PIBT and LaCAM on a mid-size instance (warehouse-10-20-10-2-1, first 200
//! agents of random-1), for regressions: one PIBT step from the starts, and
//! LaCAM to the first solution (distance tables included).
//! `cargo bench -p orchestrator --bench mapf`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use layout::movingai::{self, GridOptions};
use layout::plan_graph::{PlanGraph, PlanGraphConfig};
use orchestrator::mapf::distance::{DistanceCache, DistanceTable};
use orchestrator::mapf::instance::Instance;
use orchestrator::mapf::pibt::Pibt;
use orchestrator::mapf::planner::{self, Budget, PlannerConfig};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/mapf").join(rel)
}

fn bench(c: &mut Criterion) {
    let map =
        movingai::load_map(&data("maps/warehouse-10-20-10-2-1.map"), GridOptions::default()).unwrap().value;
    let scen = movingai::load_scen(&data("scen/warehouse-10-20-10-2-1-random-1.scen")).unwrap();
    let graph = PlanGraph::build(&map, &PlanGraphConfig::default()).unwrap();
    let agents = &scen[..200];
    let starts =
        planner::cells_to_nodes(&map, &graph, &agents.iter().map(|a| a.start).collect::<Vec<_>>()).unwrap();
    let goals =
        planner::cells_to_nodes(&map, &graph, &agents.iter().map(|a| a.goal).collect::<Vec<_>>()).unwrap();
    let instance = Instance { graph: &graph, starts: starts.clone(), goals: goals.clone() };

    let mut cache = DistanceCache::new(&graph);
    goals.iter().for_each(|g| cache.ensure(*g));
    let tables: Vec<&DistanceTable> = goals.iter().filter_map(|g| cache.table(*g)).collect();
    let order: Vec<u32> = (0..200).collect();
    let mut pibt = Pibt::new(&graph, &tables, &goals, 1);
    c.bench_function("pibt/step/warehouse-200", |b| {
        b.iter(|| pibt.step(black_box(&starts), &order, &[]).unwrap());
    });

    let never = || false;
    let budget = Budget { should_stop: &never, max_refine_iterations: 0 };
    let config = PlannerConfig { refine: false, ..PlannerConfig::default() };
    let mut group = c.benchmark_group("lacam");
    group.sample_size(20);
    group.bench_function("first_solution/warehouse-200", |b| {
        b.iter(|| planner::plan(black_box(&instance), &config, &budget, &mut |_| {}).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
