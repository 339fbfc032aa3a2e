//! Load and index the largest benchmark map (den520d, 256 × 257 cells) and
//! the project's car plant: parse, spatial index, footprint conflict sets
//! and plan graph. Target: all of it under 1 s for den520d.
//!
//! Run with `cargo bench -p layout --bench load_and_index`. Besides
//! criterion's timings it prints the sizes built and the process's peak
//! resident memory.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use layout::conflicts::{Footprint, FootprintConflicts};
use layout::plan_graph::{PlanGraph, PlanGraphConfig};
use layout::spatial::SpatialIndex;
use layout::{Layout, LoadOptions};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn everything(
    file: &std::path::Path,
    footprint: Footprint,
) -> (Layout, SpatialIndex, FootprintConflicts, PlanGraph) {
    let site = layout::load(file, LoadOptions::default()).expect("map loads").value;
    let index = SpatialIndex::build(&site);
    let conflicts = FootprintConflicts::compute(&site, &index, footprint);
    let graph =
        PlanGraph::build(&site, &PlanGraphConfig { footprint: Some(footprint), ..Default::default() })
            .expect("plan graph builds");
    (site, index, conflicts, graph)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn bench(c: &mut Criterion) {
    let den = path("../../shared/bench/mapf/maps/den520d.map");
    let plant = path("../maps/car-plant.lif.json");
    for (name, file, footprint) in
        [("den520d", &den, Footprint::GRID_CELL), ("car-plant", &plant, Footprint::FACTORY_AGV)]
    {
        let (site, _, conflicts, graph) = everything(file, footprint);
        let n_conflicts: usize =
            conflicts.nodes.iter().chain(&conflicts.edges).map(|s| s.nodes.len() + s.edges.len()).sum();
        eprintln!(
            "{name}: {} nodes, {} edges; conflict entries {n_conflicts}; plan graph {} nodes, {} edges, {:.1} MiB",
            site.nodes.len(),
            site.edges.len(),
            graph.n_nodes(),
            graph.n_edges(),
            graph.heap_bytes() as f64 / (1024.0 * 1024.0)
        );
        let mut group = c.benchmark_group(name);
        group.sample_size(20);
        group.bench_function("load", |b| {
            b.iter(|| layout::load(black_box(file), LoadOptions::default()).unwrap());
        });
        group.bench_function("spatial_index", |b| b.iter(|| SpatialIndex::build(black_box(&site))));
        let index = SpatialIndex::build(&site);
        group.bench_function("conflict_sets", |b| {
            b.iter(|| FootprintConflicts::compute(black_box(&site), &index, footprint));
        });
        let config = PlanGraphConfig { footprint: Some(footprint), ..Default::default() };
        group.bench_function("plan_graph", |b| {
            b.iter(|| PlanGraph::build(black_box(&site), &config).unwrap());
        });
        group.bench_function("all", |b| b.iter(|| everything(black_box(file), footprint)));
        group.finish();
    }
    if let Some(mib) = peak_rss_mib() {
        eprintln!("peak resident memory of the benchmark process: {mib:.1} MiB");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
