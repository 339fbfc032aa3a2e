//! One step of asynchronous PIBT: which vehicles get their next node.
//!
//! Vehicles move asynchronously; a vehicle is *ready* when its released
//! base runs short, and only ready vehicles are planned, each from the
//! end of its base (its decision point). Everything else anyone holds in
//! the [`ReservationTable`] is an obstacle. In priority order, each ready
//! vehicle tries its candidate next nodes, best first by time-to-goal,
//! waiting in place being one candidate (PIBT, Okumura et al. 2022, in
//! the time-independent form of "Offline Time-Independent MAPF", 2023):
//!
//! - a free candidate is reserved at once — the edge and the node, with
//!   their footprint conflict sets — and becomes the vehicle's move;
//! - a candidate held only by another ready vehicle standing at its
//!   decision point *pushes* it: that vehicle plans next, must leave (it
//!   may not wait, nor take the pusher's node), and if it can, the pusher
//!   waits for the node to clear (priority inheritance); if it cannot, the
//!   pusher tries its next candidate (backtracking);
//! - but where vehicles turn in place, a ready vehicle queued behind one
//!   that is driving on (its best way on is held by it) is not pushed:
//!   the pusher waits, since the queue is about to move and sending it
//!   back costs it two about-turns, a way back and a way on again;
//! - a vehicle with nothing better than staying waits, and says for whom.
//!
//! Reserving before moving keeps vehicles apart whatever the timing, and
//! nodes are held until the vehicle reports it has passed them, so swaps
//! and following into a node still occupied are impossible by construction.

use layout::NodeIdx;

use super::bodies::Bodies;
use super::reservations::{Blocked, Place, ReservationTable, VehicleIdx};
use super::routing::{RoadGraph, UNREACHABLE};

/// A ready vehicle.
#[derive(Clone, Debug)]
pub struct Mover<'r> {
    /// Who.
    pub vehicle: VehicleIdx,
    /// Its decision point (the last node of its base).
    pub at: NodeIdx,
    /// Where it wants to go; `None` for an idle vehicle (it stays unless pushed).
    pub goal: Option<NodeIdx>,
    /// It must leave `at` this step if it can (deadlock breaking).
    pub must_move: bool,
    /// The roads it may use.
    pub roads: &'r RoadGraph,
    /// Edges closed to traffic, sorted: never a candidate.
    pub closed_edges: &'r [layout::EdgeIdx],
    /// Places it holds behind it, under its trailers (a tugger train): at
    /// a dead end it may drive back onto them (they are not its base ahead).
    pub tail: Vec<Place>,
    /// Whether another vehicle may push it back out of its way (a train
    /// may not: it cannot back up over its trailers).
    pub pushable: bool,
    /// The node straight ahead of `at` as the vehicle will face there, if
    /// any: among moves equally good, it goes straight on rather than
    /// turning (a turn in place costs time; on a grid, of the many shortest
    /// ways, the one with the fewest turns).
    pub straight: Option<NodeIdx>,
    /// It turns in place to change direction (a turn costs time: MAPF_T),
    /// so being pushed back costs it two about-turns.
    pub turns_in_place: bool,
}

/// What a ready vehicle does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Drive along `edge` to `to` (both now reserved for it).
    Move {
        /// The edge.
        edge: layout::EdgeIdx,
        /// Its end.
        to: NodeIdx,
    },
    /// Nothing better than staying (at its goal, or idle).
    Stay,
    /// It would move but cannot; `Blocked` names the place and who holds it.
    Wait(Option<Blocked>),
}

/// A candidate next step: time-to-goal, tie-break, and the move (`None`: stay).
type Candidate = (u32, u64, Option<(layout::EdgeIdx, NodeIdx)>);

struct Planner<'a, 'r> {
    movers: &'a [Mover<'r>],
    /// Mover index by vehicle index.
    by_vehicle: Vec<Option<usize>>,
    table: &'a mut ReservationTable,
    bodies: &'a Bodies,
    dist: &'a mut dyn FnMut(usize, NodeIdx) -> u32,
    decided: Vec<bool>,
    out: Vec<Decision>,
    salt: u64,
    /// Which vehicles (by index) report that they are driving.
    driving: &'a [bool],
}

fn mix(a: u64, b: u64, c: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.rotate_left(21) ^ c.rotate_left(42);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

/// Plans one step for `movers`, given in priority order (highest first).
/// `dist(i, node)` is mover `i`'s time-to-goal from `node`. Moves are
/// reserved in `table` as they are decided; `salt` varies tie-breaking
/// between steps; `driving[v]` says whether vehicle `v` is on its way
/// (a vehicle whose best way on is straight ahead, behind one that is
/// driving, follows it rather than turning off; vehicles that turn freely
/// have no `straight` and never do). Returns one decision per mover.
pub fn plan_step(
    movers: &[Mover<'_>],
    table: &mut ReservationTable,
    bodies: &Bodies,
    dist: &mut dyn FnMut(usize, NodeIdx) -> u32,
    salt: u64,
    driving: &[bool],
) -> Vec<Decision> {
    let n_vehicles = movers.iter().map(|m| m.vehicle.0 as usize + 1).max().unwrap_or(0);
    let mut by_vehicle = vec![None; n_vehicles];
    for (i, m) in movers.iter().enumerate() {
        by_vehicle[m.vehicle.0 as usize] = Some(i);
    }
    let mut planner = Planner {
        movers,
        by_vehicle,
        table,
        bodies,
        dist,
        decided: vec![false; movers.len()],
        out: vec![Decision::Stay; movers.len()],
        salt,
        driving,
    };
    for i in 0..movers.len() {
        if !planner.decided[i] {
            planner.plan(i, None);
        }
    }
    planner.out
}

impl Planner<'_, '_> {
    /// Plans mover `i`; `pushed_from` is the pusher's node when pushed.
    /// Returns whether `i` leaves its node (or, unpushed, is settled).
    fn plan(&mut self, i: usize, pushed_by: Option<(NodeIdx, VehicleIdx)>) -> bool {
        self.decided[i] = true;
        let pushed_from = pushed_by.map(|p| p.0);
        let m = &self.movers[i];
        let (at, vehicle, must_move) = (m.at, m.vehicle, m.must_move || pushed_from.is_some());
        let here = self.cost(i, at);
        let pusher_goal = pushed_by
            .and_then(|(_, by)| self.by_vehicle.get(by.0 as usize).copied().flatten())
            .and_then(|p| self.movers[p].goal);
        // Candidates: (cost, tie, Some(edge, to)) and staying (None).
        let mut candidates: Vec<Candidate> = m
            .roads
            .out(at)
            .iter()
            .filter(|(e, to, _)| Some(*to) != pushed_from && m.closed_edges.binary_search(e).is_err())
            .map(|&(e, to, _)| {
                // Ties: a pushed vehicle keeps out of its pusher's goal
                // (it would have to be pushed out again), then free nodes
                // first (fewer pushes), straight on next (no turn), then at
                // random.
                let pushers_goal = u64::from(pusher_goal == Some(to)) << 63;
                let occupied = u64::from(self.table.holder(Place::Node(to)).is_some()) << 62;
                let turn = u64::from(m.straight.is_some_and(|s| s != to)) << 61;
                let tie = pushers_goal
                    | occupied
                    | turn
                    | (mix(self.salt, u64::from(vehicle.0), u64::from(to.0)) >> 3);
                (self.cost(i, to), tie, Some((e, to)))
            })
            .collect();
        if !must_move {
            candidates.push((here, 0, None));
        }
        candidates.sort_unstable_by_key(|&(cost, tie, mv)| (cost, mv.is_some(), tie));
        let best_move = candidates.iter().filter(|c| c.2.is_some()).map(|c| c.0).min();
        // A pushed vehicle that cannot leave waits for its pusher to go.
        let mut first_block =
            pushed_by.map(|(node, by)| Blocked { wanted: Place::Node(node), held: Place::Node(node), by });
        let mut own_better = false;
        for (cost, _, mv) in candidates {
            let Some((edge, to)) = mv else {
                // Staying short of the goal is waiting: for whom, or for a
                // route (`None`) — unless the way on is the node it is still
                // leaving (it was pushed; it comes back once it has arrived).
                self.out[i] = if self.movers[i].goal.is_some_and(|g| g != at) && !own_better {
                    Decision::Wait(first_block)
                } else {
                    Decision::Stay
                };
                return true;
            };
            // Unreachable, or a node it is still leaving: turning back into
            // its own released base would undo the move it is making.
            if cost == UNREACHABLE {
                continue;
            }
            // A train turns back onto its own trailers' places only at a
            // dead end (a station's spur), where there is no other way on.
            let in_tail = self.movers[i].tail.contains(&Place::Node(to));
            let dead_end = self.movers[i].roads.out(at).len() == 1;
            if self.table.holder(Place::Node(to)) == Some(vehicle) && !(in_tail && dead_end) {
                // (A way back over its own trailers is no way on: the train
                // waits for what blocks it ahead, and says so.)
                own_better |= cost < here && !in_tail;
                continue;
            }
            // Queue short of a goal occupied by a busy vehicle (one that is
            // not planning, e.g. running its action there): waiting on the
            // node in front of it would wall it in at a dead-end station.
            // (A ready occupant is pushed instead.)
            if let Some(goal) = self.movers[i].goal
                && to != goal
                && let Some(holder) = self.table.holder(Place::Node(goal)).filter(|h| *h != vehicle)
                && self.by_vehicle.get(holder.0 as usize).copied().flatten().is_none()
                && self.movers[i].roads.out(to).iter().any(|(_, n, _)| *n == goal)
            {
                if pushed_by.is_none() {
                    first_block.get_or_insert(Blocked {
                        wanted: Place::Node(goal),
                        held: Place::Node(goal),
                        by: holder,
                    });
                }
                continue;
            }
            let places = [Place::Edge(edge), Place::Node(to)];
            let blocked = places.iter().find_map(|&p| self.table.blocker(self.bodies, vehicle, p));
            match blocked {
                None => {
                    if self.table.try_reserve(self.bodies, vehicle, &places).is_ok() {
                        self.out[i] = Decision::Move { edge, to };
                        return true;
                    }
                }
                Some(b) => {
                    if pushed_by.is_none() {
                        first_block.get_or_insert(b);
                    }
                    // Straight on is best and the vehicle ahead is driving
                    // on: follow it (a turn off costs as much as the wait).
                    let follow = !must_move
                        && self.movers[i].straight == Some(to)
                        && best_move == Some(cost)
                        && self.driving.get(b.by.0 as usize).copied().unwrap_or(false);
                    if follow {
                        self.out[i] = Decision::Wait(Some(b));
                        return true;
                    }
                    // Push a ready, undecided vehicle standing at its decision point there.
                    let pushable = self.by_vehicle.get(b.by.0 as usize).copied().flatten().filter(|&j| {
                        !self.decided[j]
                            && self.movers[j].pushable
                            && self.movers[j].at == to
                            && b.held == Place::Node(to)
                    });
                    // A vehicle queued behind one driving on is about to
                    // follow it: the pusher waits for it rather than
                    // sending it back (a way back and a way on again cost
                    // it far more than the wait costs the pusher).
                    if !must_move && pushable.is_some_and(|j| self.follows_a_driver(j)) {
                        self.out[i] = Decision::Wait(Some(b));
                        return true;
                    }
                    if let Some(j) = pushable
                        && self.plan(j, Some((at, vehicle)))
                    {
                        self.out[i] = Decision::Wait(Some(b));
                        return true;
                    }
                }
            }
        }
        self.out[i] = Decision::Wait(first_block);
        false
    }

    /// Whether mover `j`, a vehicle that turns in place, has its best way on (nearest its goal, straight on
    /// first) held by a vehicle that is driving: `j` is queued behind it
    /// and will move as soon as it has.
    fn follows_a_driver(&mut self, j: usize) -> bool {
        let m = &self.movers[j];
        if m.goal.is_none() || !m.turns_in_place {
            return false;
        }
        let (roads, at, straight) = (m.roads, m.at, m.straight);
        let best = roads.out(at).iter().map(|&(_, to, _)| (self.cost(j, to), Some(to) != straight, to)).min();
        best.is_some_and(|(cost, _, to)| {
            cost < self.cost(j, at)
                && self
                    .table
                    .holder(Place::Node(to))
                    .is_some_and(|h| self.driving.get(h.0 as usize).copied().unwrap_or(false))
        })
    }

    /// Time-to-goal of mover `i` from `node`; an idle vehicle prefers where it is.
    fn cost(&mut self, i: usize, node: NodeIdx) -> u32 {
        match self.movers[i].goal {
            Some(_) => (self.dist)(i, node),
            None => u32::from(node != self.movers[i].at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::routing::DistanceTables;
    use layout::{LoadOptions, load_str};

    fn corridor() -> layout::Layout {
        // A corridor with one siding above its middle.
        load_str("type octile\nheight 2\nwidth 5\nmap\n@@.@@\n.....\n", "c.map", LoadOptions::default())
            .unwrap()
            .value
    }

    /// The map's road graph and grid-cell bodies.
    fn roads_and_bodies(map: &layout::Layout) -> (RoadGraph, Bodies) {
        let roads = RoadGraph::build(map, "default", 1.0);
        let conflicts = Bodies::uniform(layout::conflicts::FootprintConflicts::compute(
            map,
            &layout::spatial::SpatialIndex::build(map),
            layout::conflicts::Footprint::GRID_CELL,
        ));
        (roads, conflicts)
    }

    #[test]
    fn a_pushed_vehicle_steps_aside_and_the_pusher_waits_for_it() {
        let map = corridor();
        let id = |s: &str| map.node_by_id(s).unwrap();
        let (roads, conflicts) = roads_and_bodies(&map);
        let mut table = ReservationTable::new(map.nodes.len(), map.edges.len(), 2);
        let (a, b) = (VehicleIdx(0), VehicleIdx(1));
        table.try_reserve(&conflicts, a, &[Place::Node(id("1,1"))]).unwrap();
        table.try_reserve(&conflicts, b, &[Place::Node(id("2,1"))]).unwrap();
        let movers = [
            Mover {
                vehicle: a,
                at: id("1,1"),
                goal: Some(id("4,1")),
                must_move: false,
                roads: &roads,
                closed_edges: &[],
                tail: Vec::new(),
                pushable: true,
                straight: None,
                turns_in_place: false,
            },
            Mover {
                vehicle: b,
                at: id("2,1"),
                goal: None,
                must_move: false,
                roads: &roads,
                closed_edges: &[],
                tail: Vec::new(),
                pushable: true,
                straight: None,
                turns_in_place: false,
            },
        ];
        let mut tables = DistanceTables::new(roads.clone(), 1 << 20);
        let goal = id("4,1");
        let mut dist = |_: usize, n: NodeIdx| tables.distance(n, goal);
        let out = plan_step(&movers, &mut table, &conflicts, &mut dist, 7, &[]);
        // b is pushed off a's path (forward or into the siding), a waits for b's node.
        assert!(matches!(out[1], Decision::Move { .. }), "{out:?}");
        match out[0] {
            Decision::Wait(Some(Blocked { held, by, .. })) => {
                assert_eq!((held, by), (Place::Node(id("2,1")), b));
            }
            other => panic!("a should wait for b, not {other:?}"),
        }
        // Idle and unpushed, a vehicle stays.
        let mut t2 = ReservationTable::new(map.nodes.len(), map.edges.len(), 2);
        t2.try_reserve(&conflicts, b, &[Place::Node(id("2,1"))]).unwrap();
        let out = plan_step(&movers[1..], &mut t2, &conflicts, &mut dist, 7, &[]);
        assert_eq!(out, vec![Decision::Stay]);
    }

    #[test]
    fn a_vehicle_queued_behind_a_driving_one_is_not_pushed_back() {
        // a → b → k in the corridor, all bound east; k holds the node ahead
        // of b. Pushed, b would have to back into the siding.
        let map = corridor();
        let id = |s: &str| map.node_by_id(s).unwrap();
        let (roads, conflicts) = roads_and_bodies(&map);
        let (a, b, k) = (VehicleIdx(0), VehicleIdx(1), VehicleIdx(2));
        let goal = id("4,1");
        let mover = |vehicle, at: &str, straight: &str| Mover {
            vehicle,
            at: id(at),
            goal: Some(goal),
            must_move: false,
            roads: &roads,
            closed_edges: &[],
            tail: Vec::new(),
            pushable: true,
            straight: Some(id(straight)),
            turns_in_place: true,
        };
        let movers = [mover(a, "1,1", "2,1"), mover(b, "2,1", "3,1")];
        let mut tables = DistanceTables::new(roads.clone(), 1 << 20);
        let mut dist = |_: usize, n: NodeIdx| tables.distance(n, goal);
        let mut run = |k_driving: bool| {
            let mut table = ReservationTable::new(map.nodes.len(), map.edges.len(), 3);
            for (v, n) in [(a, "1,1"), (b, "2,1"), (k, "3,1")] {
                table.try_reserve(&conflicts, v, &[Place::Node(id(n))]).unwrap();
            }
            plan_step(&movers, &mut table, &conflicts, &mut dist, 7, &[false, false, k_driving])
        };
        // k drives on: b waits to follow it, and a waits for b.
        let out = run(true);
        assert!(matches!(out[1], Decision::Wait(Some(Blocked { by, .. })) if by == k), "{out:?}");
        assert!(matches!(out[0], Decision::Wait(Some(Blocked { by, .. })) if by == b), "{out:?}");
        // k stands: PIBT pushes b into the siding, out of a's way.
        let out = run(false);
        assert!(matches!(out[1], Decision::Move { to, .. } if to == id("2,0")), "{out:?}");
    }
}
