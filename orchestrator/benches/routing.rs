//! Distance tables of traffic control, one goal at a time: breadth-first
//! search on a plain grid against Dial's bucket queue on the same grid
//! with its one-way grain (`FleetConfig::grain`), on the competition's
//! game map (orz900d, 1491 × 656) and the warehouse of the one-shot
//! benchmark. `cargo bench -p orchestrator --bench routing`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use layout::NodeIdx;
use layout::movingai::{self, GridOptions};
use orchestrator::traffic::grain::Grain;
use orchestrator::traffic::routing::RoadGraph;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench").join(rel)
}

fn bench(c: &mut Criterion) {
    let maps = [
        ("warehouse-10-20-10-2-1", "mapf/maps/warehouse-10-20-10-2-1.map"),
        ("orz900d", "lifelong/game.domain/maps/orz900d.map"),
    ];
    let mut group = c.benchmark_group("routing/table");
    group.sample_size(20);
    for (name, rel) in maps {
        let Ok(loaded) = movingai::load_map(&data(rel), GridOptions::default()) else {
            eprintln!("skipping {name}: ../shared/bench/{rel} is missing");
            continue;
        };
        let map = loaded.value;
        let n = map.nodes.len();
        let (blocked, blocked_edges) = (vec![false; n], Vec::new());
        let goal = NodeIdx((n / 2) as u32);
        for (kind, grain) in [("bfs", Grain::NONE), ("grain-10", Grain { factor: 10.0 })] {
            let roads = RoadGraph::build_with_grain(&map, "default", 1.0, grain);
            group.bench_function(format!("{name}/{kind}"), |b| {
                b.iter(|| roads.distances(black_box(goal), &blocked, &blocked_edges));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
