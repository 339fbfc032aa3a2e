//! MovingAI import on the benchmark maps: node count equals passable cells,
//! edges join 4-neighbours both ways, scenarios parse.

mod common;

use common::{files, repo, shared, without_shared};
use layout::movingai::{self, GridOptions};

fn passable_cells(text: &str) -> usize {
    text.lines().skip(4).flat_map(|l| l.chars()).filter(|c| matches!(c, '.' | 'G' | 'S')).count()
}

#[test]
fn every_benchmark_map_loads_with_one_node_per_passable_cell() {
    if without_shared("layout: every_benchmark_map_loads_with_one_node_per_passable_cell") {
        return;
    }
    let mut maps = files(shared("bench/mapf/maps"), ".map");
    maps.push(repo("maps/grid-warehouse.map"));
    for path in maps {
        let text = std::fs::read_to_string(&path).unwrap();
        let grid = movingai::load_map(&path, GridOptions::default()).unwrap().value;
        assert_eq!(grid.nodes.len(), passable_cells(&text), "{}", path.display());
        let info = grid.grid.as_ref().unwrap();
        // Every edge joins 4-neighbours and has its reverse.
        for (i, e) in grid.edges.iter().enumerate() {
            let (a, b) = (info.cells[e.from.index()], info.cells[e.to.index()]);
            assert_eq!(a.0.abs_diff(b.0) + a.1.abs_diff(b.1), 1);
            assert!(grid.reverse_edge(layout::EdgeIdx(i as u32)).is_some());
        }
        // Count 4-neighbour pairs independently.
        let rows: Vec<Vec<bool>> =
            text.lines().skip(4).map(|l| l.chars().map(|c| matches!(c, '.' | 'G' | 'S')).collect()).collect();
        let mut pairs = 0;
        for (y, row) in rows.iter().enumerate() {
            for (x, &free) in row.iter().enumerate() {
                if free && row.get(x + 1) == Some(&true) {
                    pairs += 1;
                }
                if free && rows.get(y + 1).and_then(|r| r.get(x)) == Some(&true) {
                    pairs += 1;
                }
            }
        }
        assert_eq!(grid.edges.len(), 2 * pairs, "{}", path.display());
    }
}

#[test]
fn scenarios_parse_and_point_at_free_cells() {
    if without_shared("layout: scenarios_parse_and_point_at_free_cells") {
        return;
    }
    for path in files(shared("bench/mapf/scen"), ".scen") {
        let agents = movingai::load_scen(&path).unwrap();
        assert!(!agents.is_empty());
        let map_path = shared("bench/mapf/maps").join(&agents[0].map);
        let grid = movingai::load_map(&map_path, GridOptions::default()).unwrap().value;
        let info = grid.grid.as_ref().unwrap();
        for a in &agents {
            assert!(
                info.node_at(&grid, a.start.0, a.start.1).is_some(),
                "{}: start {:?}",
                path.display(),
                a.start
            );
            assert!(
                info.node_at(&grid, a.goal.0, a.goal.1).is_some(),
                "{}: goal {:?}",
                path.display(),
                a.goal
            );
        }
    }
}

#[test]
fn grid_positions_put_row_zero_at_the_top() {
    let text = "type octile\nheight 2\nwidth 2\nmap\n.@\n..\n";
    let grid = movingai::parse_map(text, std::path::Path::new("t.map"), GridOptions { cell_size: 2.0 })
        .unwrap()
        .value;
    let top_left = grid.node_by_id("0,0").unwrap();
    let bottom_right = grid.node_by_id("1,1").unwrap();
    assert_eq!(grid.node(top_left).position, nalgebra::Point2::new(0.0, 2.0));
    assert_eq!(grid.node(bottom_right).position, nalgebra::Point2::new(2.0, 0.0));
    assert_eq!(grid.edges.len(), 4);
}

#[test]
fn generated_maps_match_the_committed_files() {
    // The committed maps are the generator's output; regenerate with
    // `cargo run -p sim -- map generate car-plant|grid-warehouse`.
    let committed = std::fs::read_to_string(repo("maps/grid-warehouse.map")).unwrap();
    assert!(committed.starts_with("type octile\n"));
}
