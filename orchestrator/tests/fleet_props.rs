//! Property tests of the orchestrator core: on random small grid layouts
//! with random fleets and order streams — and messages lost at random —
//! the independent safety check holds after every tick and every order
//! ends (delivered).

mod common;

use common::{Harness, grid};
use orchestrator::fleet::FleetConfig;
use orchestrator::orders::OrderRequest;
use proptest::prelude::*;

fn connected(cells: &[(usize, usize)]) -> bool {
    let Some(&first) = cells.first() else { return true };
    let mut seen = vec![first];
    let mut i = 0;
    while i < seen.len() {
        let (x, y) = seen[i];
        i += 1;
        for &(a, b) in cells {
            if x.abs_diff(a) + y.abs_diff(b) == 1 && !seen.contains(&(a, b)) {
                seen.push((a, b));
            }
        }
    }
    seen.len() == cells.len()
}

/// Whether removing any one cell leaves the rest connected: then vehicles
/// can always pass one another (a corridor with a dead end is not, and
/// there an order behind another vehicle can be impossible).
fn biconnected(cells: &[(usize, usize)]) -> bool {
    (0..cells.len()).all(|i| {
        let rest: Vec<(usize, usize)> =
            cells.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, c)| *c).collect();
        connected(&rest)
    })
}

/// A random grid whose passable cells are biconnected, with the cells listed.
fn layout_strategy() -> impl Strategy<Value = (Vec<String>, Vec<(usize, usize)>)> {
    (4usize..9, 3usize..7, proptest::collection::vec(0u8..100, 64))
        .prop_map(|(w, h, noise)| {
            let mut rows: Vec<Vec<u8>> = (0..h)
                .map(|y| {
                    (0..w).map(|x| if noise[(y * w + x) % noise.len()] < 15 { b'@' } else { b'.' }).collect()
                })
                .collect();
            // Keep the largest connected part only.
            let mut best: Vec<(usize, usize)> = Vec::new();
            let mut seen = vec![vec![false; w]; h];
            for sy in 0..h {
                for sx in 0..w {
                    if rows[sy][sx] != b'.' || seen[sy][sx] {
                        continue;
                    }
                    let mut part = vec![(sx, sy)];
                    seen[sy][sx] = true;
                    let mut i = 0;
                    while i < part.len() {
                        let (x, y) = part[i];
                        i += 1;
                        let next = [(x.wrapping_sub(1), y), (x + 1, y), (x, y.wrapping_sub(1)), (x, y + 1)];
                        for (nx, ny) in next {
                            if nx < w && ny < h && rows[ny][nx] == b'.' && !seen[ny][nx] {
                                seen[ny][nx] = true;
                                part.push((nx, ny));
                            }
                        }
                    }
                    if part.len() > best.len() {
                        best = part;
                    }
                }
            }
            for (y, row) in rows.iter_mut().enumerate() {
                for (x, c) in row.iter_mut().enumerate() {
                    if !best.contains(&(x, y)) {
                        *c = b'@';
                    }
                }
            }
            best.sort_unstable();
            (rows.into_iter().map(|r| String::from_utf8(r).unwrap()).collect(), best)
        })
        .prop_filter("passing places everywhere", |(_, cells)| biconnected(cells))
}

/// Runs one random case; `Err` says what went wrong.
fn scenario(
    rows: &[String],
    cells: &[(usize, usize)],
    picks: &[(u16, u16, u64)],
    n_vehicles: usize,
    vehicle_seed: u64,
    loss: (u64, u32),
) -> Result<(), String> {
    scenario_with(rows, cells, picks, n_vehicles, vehicle_seed, loss, (0, 0, 0)).map(|_| ())
}

/// How a case ended: every order's final status, vehicles fenced, states dropped as stale.
#[derive(Debug, PartialEq, Eq)]
struct Ending {
    statuses: Vec<(u64, &'static str)>,
    fenced: usize,
    stale: u64,
}

/// [`scenario`] with the vehicles' messages reordered and duplicated (see `Harness::reorder`).
fn scenario_with(
    rows: &[String],
    cells: &[(usize, usize)],
    picks: &[(u16, u16, u64)],
    n_vehicles: usize,
    vehicle_seed: u64,
    loss: (u64, u32),
    reorder: (u64, u32, u32),
) -> Result<Ending, String> {
    // At most a third of the free cells hold vehicles.
    let n_vehicles = n_vehicles.min(cells.len() / 3).max(1);
    let map = grid(&rows.iter().map(String::as_str).collect::<Vec<_>>());
    let mut order: Vec<usize> = (0..cells.len()).collect();
    let mut s = vehicle_seed | 1;
    for i in (1..order.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        order.swap(i, (s % (i as u64 + 1)) as usize);
    }
    let name = |c: (usize, usize)| format!("{},{}", c.0, c.1);
    let starts: Vec<String> = order.iter().take(n_vehicles).map(|&i| name(cells[i])).collect();
    let start_refs: Vec<&str> = starts.iter().map(String::as_str).collect();
    // Every other case's vehicles turn in place (MAPF_T: a quarter turn
    // takes as long as a move), and traffic control counts the turns.
    let turns = vehicle_seed & 2 != 0;
    let quarter_turn_ms = if turns { 1_000 } else { 0 };
    let config = FleetConfig { park_after_ms: Some(5_000), quarter_turn_ms, ..FleetConfig::grid() };
    let mut h = Harness::new(&map, "default", &start_refs, config);
    if turns {
        h.vehicles = std::mem::take(&mut h.vehicles).into_iter().map(|v| v.with_turns(1_000, 0.0)).collect();
    }
    h.loss = loss;
    h.reorder = reorder;
    let mut requests: Vec<(u64, OrderRequest)> = picks
        .iter()
        .filter_map(|&(a, b, at)| {
            let (a, b) = (cells[a as usize % cells.len()], cells[b as usize % cells.len()]);
            (a != b).then(|| (at, OrderRequest::new(name(a), name(b))))
        })
        .collect();
    requests.sort_by_key(|r| r.0);
    let n_orders = requests.len();
    for tick in 0..20u64 {
        for (_, r) in requests.iter().filter(|r| r.0 == tick) {
            let now = h.now;
            h.submit_at(now, r.clone()).map_err(|e| e.to_string())?;
        }
        h.tick();
    }
    if h.core.orders().count() != n_orders {
        return Err("an order went missing".into());
    }
    if !h.run_until(1_500, |h| h.all_ended()) {
        return Err(format!(
            "orders not ended after {} ticks on\n{}\n{:?}\n{:?}",
            h.ticks,
            rows.join("\n"),
            h.core.orders().map(|o| (o.id, o.status().name())).collect::<Vec<_>>(),
            h.core.vehicles()
        ));
    }
    if !h.all_delivered() {
        return Err("an order ended without delivery".into());
    }
    let mut statuses: Vec<(u64, &'static str)> = h.core.orders().map(|o| (o.id, o.status().name())).collect();
    statuses.sort_unstable();
    let fenced = h.count(|e| matches!(e, orchestrator::fleet::EventKind::VehicleFenced { .. }));
    Ok(Ending { statuses, fenced, stale: h.core.vehicles().iter().map(|v| v.stale_dropped).sum() })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_order_ends_and_no_two_vehicles_ever_conflict(
        (rows, cells) in layout_strategy(),
        picks in proptest::collection::vec((any::<u16>(), any::<u16>(), 0u64..20), 1..8),
        n_vehicles in 1usize..6,
        vehicle_seed in any::<u64>(),
        loss in prop_oneof![Just(0u32), 1u32..80],
        loss_seed in any::<u64>(),
    ) {
        prop_assume!(cells.len() >= 6);
        let result = scenario(&rows, &cells, &picks, n_vehicles, vehicle_seed, (loss_seed, loss));
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Late and duplicated states are dropped, never applied: the fleet
    /// ends as it does with in-order delivery — every order delivered, no
    /// vehicle fenced — and the drops are counted.
    #[test]
    fn reordered_and_duplicated_states_change_nothing(
        (rows, cells) in layout_strategy(),
        picks in proptest::collection::vec((any::<u16>(), any::<u16>(), 0u64..20), 1..6),
        n_vehicles in 1usize..5,
        vehicle_seed in any::<u64>(),
        late in 50u32..400,
        twice in 50u32..400,
        seed in any::<u64>(),
    ) {
        prop_assume!(cells.len() >= 6);
        let in_order = scenario_with(&rows, &cells, &picks, n_vehicles, vehicle_seed, (0, 0), (0, 0, 0));
        let shuffled =
            scenario_with(&rows, &cells, &picks, n_vehicles, vehicle_seed, (0, 0), (seed | 1, late, twice));
        let (in_order, shuffled) = match (in_order, shuffled) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => return Err(TestCaseError::fail(format!("in order: {a:?}\nshuffled: {b:?}"))),
        };
        prop_assert_eq!(&in_order.statuses, &shuffled.statuses);
        prop_assert_eq!(shuffled.fenced, 0, "a late or duplicate state fenced a vehicle");
        prop_assert_eq!(in_order.stale, 0);
        prop_assert!(shuffled.stale > 0, "the link reordered nothing?");
    }
}

/// Cases proptest once found, kept as plain regression tests.
#[test]
fn regressions() {
    let loop_map: Vec<String> = ["....@", ".@@..", "....."].iter().map(|s| s.to_string()).collect();
    let loop_cells =
        [(0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 2), (3, 0), (3, 1), (3, 2), (4, 1), (4, 2)];
    // A lost order message while the job changes (the old base is resent, without a horizon).
    scenario(
        &loop_map,
        &loop_cells,
        &[(7714, 0, 16), (54397, 17910, 8)],
        4,
        17569275887391043566,
        (6609827735973758702, 50),
    )
    .unwrap();
    scenario(
        &loop_map,
        &loop_cells,
        &[(58707, 4, 0), (54265, 151, 6), (52886, 9532, 15)],
        4,
        17354807122070729070,
        (0, 0),
    )
    .unwrap();
}
