//! Every wait has a reason: why each vehicle is not moving, and the
//! wait-for cycles (deadlocks) among them.
//!
//! A vehicle waits for at most one other vehicle (the holder of the place
//! it needs next, see [`super::reservations::Blocked`]), so the wait-for
//! graph is a functional graph: following "waits for" from any vehicle
//! ends either at a vehicle that is not waiting for anyone or in exactly
//! one cycle. Cycles are reported smallest vehicle first, in a
//! deterministic order.

use std::collections::BTreeMap;

use super::reservations::{Place, VehicleIdx};

/// Why a vehicle does not move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitReason {
    /// It needs `place`, held (or blocked by a conflicting place) by `holder`.
    Reservation {
        /// What it needs.
        place: Place,
        /// Who is in the way.
        holder: VehicleIdx,
    },
    /// It has a fault.
    Fault {
        /// The vehicle's error text.
        description: String,
    },
    /// An action on its node is running.
    Action {
        /// The action's id.
        action_id: String,
    },
    /// It has nothing to do.
    NoOrder,
    /// It is paused.
    Paused,
    /// Its goal cannot be reached now (closed nodes or fenced vehicles in the way).
    NoRoute {
        /// The goal.
        goal: layout::NodeIdx,
    },
    /// Its last order message is not acknowledged yet.
    Acknowledgement,
    /// Not placed yet: it has not reported where it is, or the fleet is still starting.
    Starting,
}

/// The wait-for cycles among `waits`: each cycle lists its vehicles,
/// starting with the smallest, in waiting order; cycles sorted.
pub fn wait_for_cycles(waits: &BTreeMap<VehicleIdx, WaitReason>) -> Vec<Vec<VehicleIdx>> {
    let next = |v: VehicleIdx| match waits.get(&v) {
        Some(WaitReason::Reservation { holder, .. }) => Some(*holder),
        _ => None,
    };
    // 0 = unvisited, 1 = on the current walk, 2 = done.
    let mut mark: BTreeMap<VehicleIdx, u8> = BTreeMap::new();
    let mut cycles = Vec::new();
    for &start in waits.keys() {
        if mark.get(&start).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut walk = Vec::new();
        let mut v = Some(start);
        while let Some(cur) = v {
            match mark.get(&cur).copied().unwrap_or(0) {
                0 => {
                    mark.insert(cur, 1);
                    walk.push(cur);
                    v = next(cur);
                }
                1 => {
                    // Back on this walk: the cycle is the walk from `cur` on.
                    let at = walk.iter().position(|&w| w == cur).unwrap_or(0);
                    let mut cycle = walk[at..].to_vec();
                    let smallest = cycle.iter().enumerate().min_by_key(|(_, w)| **w).map_or(0, |(i, _)| i);
                    cycle.rotate_left(smallest);
                    cycles.push(cycle);
                    break;
                }
                _ => break,
            }
        }
        for w in walk {
            mark.insert(w, 2);
        }
    }
    cycles.sort();
    cycles
}

/// How many vehicles of `waits` are held by a wait-for cycle: its
/// members, and those that wait, down a chain of waits, on one of them
/// (what a jam holds; a chain that ends at a vehicle that moves or runs
/// an action is a queue, not a jam).
pub fn held_by_cycles(waits: &BTreeMap<VehicleIdx, WaitReason>) -> usize {
    let mut held: BTreeMap<VehicleIdx, bool> =
        wait_for_cycles(waits).into_iter().flatten().map(|v| (v, true)).collect();
    for &start in waits.keys() {
        let mut walk = Vec::new();
        let mut v = start;
        // Every chain ends at a vehicle that is not waiting, or in a cycle
        // (whose members are known), so the walk ends.
        let answer = loop {
            if let Some(&known) = held.get(&v) {
                break known;
            }
            walk.push(v);
            match waits.get(&v) {
                Some(WaitReason::Reservation { holder, .. }) => v = *holder,
                _ => break false,
            }
        };
        for w in walk {
            held.insert(w, answer);
        }
    }
    held.into_iter().filter(|&(v, h)| h && waits.contains_key(&v)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::NodeIdx;

    fn waits(pairs: &[(u32, u32)]) -> BTreeMap<VehicleIdx, WaitReason> {
        pairs
            .iter()
            .map(|&(a, b)| {
                (
                    VehicleIdx(a),
                    WaitReason::Reservation { place: Place::Node(NodeIdx(b)), holder: VehicleIdx(b) },
                )
            })
            .collect()
    }

    #[test]
    fn chains_are_not_cycles_and_cycles_are_found_once() {
        assert!(wait_for_cycles(&waits(&[(1, 2), (2, 3)])).is_empty());
        let v = |x| VehicleIdx(x);
        assert_eq!(wait_for_cycles(&waits(&[(3, 1), (1, 2), (2, 3), (4, 1)])), vec![vec![v(1), v(2), v(3)]]);
        assert_eq!(
            wait_for_cycles(&waits(&[(5, 6), (6, 5), (7, 8), (8, 7)])),
            vec![vec![v(5), v(6)], vec![v(7), v(8)]]
        );
    }

    #[test]
    fn a_jam_holds_its_cycle_and_the_chains_behind_it_but_not_a_queue() {
        // 1 ⇄ 2 is a head-on pair, 3 and 4 queue behind it; 5 waits for 6,
        // which moves (it is not waiting).
        let w = waits(&[(1, 2), (2, 1), (3, 1), (4, 3), (5, 6)]);
        assert_eq!(held_by_cycles(&w), 4);
        assert_eq!(held_by_cycles(&waits(&[(5, 6), (7, 5)])), 0);
        assert_eq!(held_by_cycles(&BTreeMap::new()), 0);
    }

    #[test]
    fn other_reasons_end_a_chain() {
        let mut w = waits(&[(1, 2)]);
        w.insert(VehicleIdx(2), WaitReason::Fault { description: "estop".into() });
        assert!(wait_for_cycles(&w).is_empty());
    }
}
