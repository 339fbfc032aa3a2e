//! Assignment against brute force on small random cost matrices: the exact
//! solver serves as many orders as possible at minimal total cost; the
//! greedy one is a valid matching; infeasible pairs are never chosen.

use orchestrator::assign::{AssignConfig, assign};
use proptest::prelude::*;

fn total(costs: &[Vec<Option<u32>>], pairs: &[(usize, usize)]) -> u64 {
    pairs.iter().map(|&(o, v)| u64::from(costs[o][v].unwrap())).sum()
}

/// Best (most orders served, then least cost) by trying every matching.
fn brute(costs: &[Vec<Option<u32>>], o: usize, used: &mut Vec<bool>) -> (usize, u64) {
    if o == costs.len() {
        return (0, 0);
    }
    let (mut best_n, mut best_c) = brute(costs, o + 1, used); // order o unserved
    for v in 0..used.len() {
        if let Some(c) = costs[o][v]
            && !used[v]
        {
            used[v] = true;
            let (n, rest) = brute(costs, o + 1, used);
            used[v] = false;
            let (n, total) = (n + 1, rest + u64::from(c));
            if n > best_n || (n == best_n && total < best_c) {
                (best_n, best_c) = (n, total);
            }
        }
    }
    (best_n, best_c)
}

fn valid(costs: &[Vec<Option<u32>>], pairs: &[(usize, usize)], n_vehicles: usize) -> bool {
    let mut orders = vec![false; costs.len()];
    let mut vehicles = vec![false; n_vehicles];
    pairs.iter().all(|&(o, v)| {
        let fresh = !orders[o] && !vehicles[v] && costs[o][v].is_some();
        orders[o] = true;
        vehicles[v] = true;
        fresh
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn exact_assignment_is_optimal_and_greedy_is_valid(
        n_orders in 1usize..6, n_vehicles in 1usize..6,
        cells in proptest::collection::vec(prop::option::weighted(0.8, 0u32..50), 36),
    ) {
        let costs: Vec<Vec<Option<u32>>> =
            (0..n_orders).map(|o| (0..n_vehicles).map(|v| cells[o * 6 + v]).collect()).collect();
        let exact = assign(&costs, &AssignConfig::default());
        prop_assert!(valid(&costs, &exact, n_vehicles));
        let (best_n, best_cost) = brute(&costs, 0, &mut vec![false; n_vehicles]);
        prop_assert_eq!(exact.len(), best_n, "serves as many orders as possible");
        prop_assert_eq!(total(&costs, &exact), best_cost, "at minimal cost");
        let greedy = assign(&costs, &AssignConfig { max_exact: 0, ..AssignConfig::default() });
        prop_assert!(valid(&costs, &greedy, n_vehicles));
        prop_assert!(total(&costs, &greedy) >= best_cost || greedy.len() < best_n);
    }
}

#[test]
fn the_nearest_vehicle_is_not_always_the_right_one() {
    // Order 0 is close to both vehicles; order 1 only to vehicle 0.
    let costs = vec![vec![Some(1), Some(2)], vec![Some(1), Some(100)]];
    assert_eq!(assign(&costs, &AssignConfig::default()), vec![(0, 1), (1, 0)]);
    // Greedy takes the cheapest pair first and pays for it.
    assert_eq!(
        assign(&costs, &AssignConfig { max_exact: 0, ..AssignConfig::default() }),
        vec![(0, 0), (1, 1)]
    );
}

#[test]
fn infeasible_pairs_are_never_assigned() {
    let costs = vec![vec![None, Some(5)], vec![None, Some(1)], vec![None, None]];
    assert_eq!(assign(&costs, &AssignConfig::default()), vec![(1, 1)]);
    assert!(assign(&[], &AssignConfig::default()).is_empty());
}

#[test]
fn large_costs_do_not_overflow() {
    let n = 300;
    let costs: Vec<Vec<Option<u32>>> = (0..n)
        .map(|o| {
            (0..n)
                .map(|v| if (o + v) % 7 == 0 { None } else { Some(u32::MAX - (o * v) as u32 % 1000) })
                .collect()
        })
        .collect();
    let config = AssignConfig { max_exact: n * n, ..AssignConfig::default() };
    let pairs = assign(&costs, &config);
    assert_eq!(pairs.len(), n);
    assert!(pairs.iter().all(|&(o, v)| costs[o][v].is_some()));
}
