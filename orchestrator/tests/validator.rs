//! The independent validator catches every broken rule and recomputes costs.

use layout::conflicts::Footprint;
use layout::plan_graph::{PlanGraph, PlanGraphConfig, PlanNodeIdx};
use layout::{LoadOptions, load_str};
use orchestrator::mapf::validate::{Violation, validate};

/// A 3×3 open grid: node "x,y".
fn grid() -> (layout::Layout, PlanGraph) {
    let map =
        load_str("type octile\nheight 3\nwidth 3\nmap\n...\n...\n...\n", "g.map", LoadOptions::default())
            .unwrap()
            .value;
    let graph = PlanGraph::build(&map, &PlanGraphConfig::default()).unwrap();
    (map, graph)
}

fn at(map: &layout::Layout, id: &str) -> PlanNodeIdx {
    PlanNodeIdx(map.node_by_id(id).unwrap().0)
}

#[test]
fn a_valid_solution_gets_its_costs() {
    let (m, g) = grid();
    let a = |id| at(&m, id);
    let starts = [a("0,0"), a("2,2")];
    let goals = [a("2,0"), a("2,1")];
    let paths = vec![vec![a("0,0"), a("1,0"), a("2,0")], vec![a("2,2"), a("2,2"), a("2,1")]];
    let costs = validate(&g, &starts, &goals, &paths).unwrap();
    assert_eq!((costs.sum_of_costs, costs.sum_of_loss, costs.makespan), (4, 4, 2));
    // Waiting on the goal then leaving and coming back: loss counts the detour.
    let paths =
        vec![vec![a("0,0"), a("1,0"), a("2,0"), a("2,0"), a("1,0"), a("2,0")], vec![a("2,2"), a("2,1")]];
    let costs = validate(&g, &starts, &goals, &paths).unwrap();
    assert_eq!((costs.sum_of_costs, costs.sum_of_loss), (5 + 1, 4 + 1));
}

#[test]
fn every_rule_is_checked() {
    let (m, g) = grid();
    let a = |id| at(&m, id);
    type Case = (Vec<Vec<PlanNodeIdx>>, fn(&Violation) -> bool);
    let starts = [a("0,0"), a("2,0")];
    let goals = [a("2,0"), a("0,0")];
    let cases: Vec<Case> = vec![
        (vec![vec![a("0,0"), a("2,0")], vec![a("2,0"), a("0,0")]], |v| matches!(v, Violation::Jump { .. })),
        (vec![vec![a("1,1"), a("2,0")], vec![a("2,0"), a("0,0")]], |v| {
            matches!(v, Violation::WrongStart { agent: 0 })
        }),
        (vec![vec![a("0,0"), a("1,0")], vec![a("2,0"), a("1,1")]], |v| {
            matches!(v, Violation::WrongGoal { .. })
        }),
        (vec![vec![a("0,0"), a("1,0"), a("2,0")], vec![a("2,0"), a("1,0"), a("0,0")]], |v| {
            matches!(v, Violation::Vertex { t: 1, .. })
        }),
        (vec![vec![a("0,0"), a("1,0"), a("2,0")], vec![a("2,0"), a("2,0"), a("1,0"), a("0,0")]], |v| {
            matches!(v, Violation::Swap { t: 2, .. })
        }),
        (vec![vec![], vec![a("2,0")]], |v| matches!(v, Violation::EmptyPath { agent: 0 })),
    ];
    for (paths, check) in cases {
        let errors = validate(&g, &starts, &goals, &paths).unwrap_err();
        assert!(errors.iter().any(check), "{paths:?}: {errors:?}");
    }
    assert!(matches!(
        validate(&g, &starts, &goals, &[vec![a("0,0")]]).unwrap_err()[0],
        Violation::PathCount { .. }
    ));
}

#[test]
fn footprints_make_neighbours_conflict() {
    let map = load_str("type octile\nheight 1\nwidth 4\nmap\n....\n", "row.map", LoadOptions::default())
        .unwrap()
        .value;
    let wide = PlanGraphConfig {
        footprint: Some(Footprint { length: 1.0, width: 1.0, clearance: 0.0 }),
        ..Default::default()
    };
    let g = PlanGraph::build(&map, &wide).unwrap();
    let a = |id: &str| PlanNodeIdx(map.node_by_id(id).unwrap().0);
    // Two agents one cell apart are fine on a plain grid, not with 1.41 m separation.
    let starts = [a("0,0"), a("2,0")];
    let goals = [a("0,0"), a("3,0")];
    let paths = vec![vec![a("0,0"), a("0,0")], vec![a("2,0"), a("3,0")]];
    assert!(validate(&g, &starts, &goals, &paths).is_ok());
    let starts = [a("0,0"), a("1,0")];
    let goals = [a("0,0"), a("3,0")];
    let paths = vec![vec![a("0,0")], vec![a("1,0"), a("2,0"), a("3,0")]];
    let errors = validate(&g, &starts, &goals, &paths).unwrap_err();
    assert!(errors.iter().any(|v| matches!(v, Violation::Footprint { t: 0, .. })), "{errors:?}");
}
