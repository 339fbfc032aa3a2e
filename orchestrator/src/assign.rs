//! Assignment of waiting transport orders to free vehicles.
//!
//! Minimum total cost matching (`pathfinding::kuhn_munkres_min`) on a cost
//! matrix the caller builds from distance tables — for example the steps
//! from a vehicle to the order's pickup — with `None` where a vehicle may
//! not take an order (vehicle type, load restriction, battery). Batches
//! larger than [`AssignConfig::max_exact`] orders × vehicles use a greedy
//! matching (cheapest pair first), which is fast and within a small factor
//! of optimal on typical fleets. Ties break by index, so results are
//! deterministic.

use pathfinding::matrix::Matrix;

/// How to assign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssignConfig {
    /// Largest `orders × vehicles` solved exactly.
    pub max_exact: usize,
    /// Waiting orders considered beyond twice the free vehicles (the
    /// oldest of a priority tier first): a free vehicle takes the nearest
    /// of that many, not just the oldest.
    pub window: usize,
    /// An order waiting this long, ms, goes before the others of its
    /// priority (the cost prefers short orders; none starves). Half an
    /// hour: a busy fleet's orders routinely wait minutes, and a shorter
    /// bound sent vehicles across the site for the far ones left behind
    /// (10 minutes cost the competition's city map 17 % of its tasks).
    pub overdue_ms: u64,
}

impl Default for AssignConfig {
    fn default() -> Self {
        // Kuhn–Munkres is cubic: 200 × 200 takes a few milliseconds.
        AssignConfig { max_exact: 200 * 200, window: 256, overdue_ms: 1_800_000 }
    }
}

/// Cost of an infeasible pair inside the exact solver: larger than any
/// feasible total (at most [`MAX_EXACT_SIDE`] × `u32::MAX` ≈ 4.3e12), so
/// it is only chosen when nothing else is possible (and then dropped from
/// the result); small enough that [`MAX_EXACT_SIDE`] of them sum without
/// overflow (1,000 × 2⁵⁰ ≈ 1.1e18 < 9.2e18).
const INFEASIBLE: i64 = 1 << 50;

/// Largest smaller side of the cost matrix solved exactly.
const MAX_EXACT_SIDE: usize = 1_000;

/// Matches orders (rows of `costs`) to vehicles (columns): each order gets
/// at most one vehicle and each vehicle at most one order, as many orders
/// as possible are served, and among those the total cost is minimal
/// (exact below `max_exact`, greedy above). Returns `(order, vehicle)`
/// pairs sorted by order.
pub fn assign(costs: &[Vec<Option<u32>>], config: &AssignConfig) -> Vec<(usize, usize)> {
    let n_orders = costs.len();
    let n_vehicles = costs.iter().map(Vec::len).max().unwrap_or(0);
    if n_orders == 0 || n_vehicles == 0 {
        return Vec::new();
    }
    let cost = |o: usize, v: usize| costs[o].get(v).copied().flatten();
    if n_orders.saturating_mul(n_vehicles) > config.max_exact || n_orders.min(n_vehicles) > MAX_EXACT_SIDE {
        return greedy(costs, n_vehicles);
    }
    // Kuhn–Munkres needs rows ≤ columns: put the smaller side in the rows.
    let transpose = n_orders > n_vehicles;
    let (rows, cols) = if transpose { (n_vehicles, n_orders) } else { (n_orders, n_vehicles) };
    // Count of infeasible pairs dominates, then the cost: maximise served orders first.
    let mut matrix = Matrix::new(rows, cols, INFEASIBLE);
    for r in 0..rows {
        for c in 0..cols {
            let (o, v) = if transpose { (c, r) } else { (r, c) };
            if let Some(x) = cost(o, v) {
                matrix[(r, c)] = i64::from(x);
            }
        }
    }
    let (_, columns) = pathfinding::kuhn_munkres::kuhn_munkres_min(&matrix);
    let mut pairs: Vec<(usize, usize)> = columns
        .iter()
        .enumerate()
        .map(|(r, &c)| if transpose { (c, r) } else { (r, c) })
        .filter(|&(o, v)| cost(o, v).is_some())
        .collect();
    pairs.sort_unstable();
    pairs
}

fn greedy(costs: &[Vec<Option<u32>>], n_vehicles: usize) -> Vec<(usize, usize)> {
    let mut candidates: Vec<(u32, usize, usize)> = costs
        .iter()
        .enumerate()
        .flat_map(|(o, row)| row.iter().enumerate().filter_map(move |(v, c)| c.map(|c| (c, o, v))))
        .collect();
    candidates.sort_unstable();
    let mut order_taken = vec![false; costs.len()];
    let mut vehicle_taken = vec![false; n_vehicles];
    let mut pairs = Vec::new();
    for (_, o, v) in candidates {
        if !order_taken[o] && !vehicle_taken[v] {
            order_taken[o] = true;
            vehicle_taken[v] = true;
            pairs.push((o, v));
        }
    }
    pairs.sort_unstable();
    pairs
}
