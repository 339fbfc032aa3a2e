//! The reservation table: which vehicle holds which layout node or edge.
//!
//! Safety by reservation: a vehicle may drive only over places it holds,
//! and it may take a place only if neither the place nor anything in its
//! footprint conflict set against that vehicle's body (see
//! [`super::bodies`]) is held by another vehicle. Reserving is
//! all-or-nothing, so a refused request changes nothing, and the refusal
//! names the place and the vehicle in the way (every wait has a reason).
//! [`check_invariant`] verifies, independently and by brute force, that no
//! two vehicles hold conflicting places.

use std::collections::BTreeSet;

use layout::conflicts::FootprintConflicts;
use layout::{EdgeIdx, NodeIdx};

use super::bodies::Bodies;

/// Dense index of a vehicle in the orchestrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct VehicleIdx(pub u32);

/// A reservable place of the layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// A node.
    Node(NodeIdx),
    /// A directed edge.
    Edge(EdgeIdx),
}

/// Why a reservation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// The place asked for.
    pub wanted: Place,
    /// The place held by someone else that conflicts with it (maybe the same).
    pub held: Place,
    /// Who holds it.
    pub by: VehicleIdx,
}

/// Who holds what.
#[derive(Clone, Debug)]
pub struct ReservationTable {
    node_holder: Vec<Option<VehicleIdx>>,
    edge_holder: Vec<Option<VehicleIdx>>,
    held: Vec<BTreeSet<Place>>,
}

fn conflicts_of<'c>(conflicts: &'c FootprintConflicts, place: Place) -> impl Iterator<Item = Place> + 'c {
    let set = match place {
        Place::Node(n) => conflicts.of_node(n),
        Place::Edge(e) => conflicts.of_edge(e),
    };
    std::iter::once(place)
        .chain(set.nodes.iter().map(|n| Place::Node(*n)))
        .chain(set.edges.iter().map(|e| Place::Edge(*e)))
}

impl ReservationTable {
    /// An empty table for a layout's nodes and edges and `n_vehicles` vehicles.
    pub fn new(n_nodes: usize, n_edges: usize, n_vehicles: usize) -> ReservationTable {
        ReservationTable {
            node_holder: vec![None; n_nodes],
            edge_holder: vec![None; n_edges],
            held: vec![BTreeSet::new(); n_vehicles],
        }
    }

    /// Who holds `place`.
    pub fn holder(&self, place: Place) -> Option<VehicleIdx> {
        match place {
            Place::Node(n) => self.node_holder.get(n.index()).copied().flatten(),
            Place::Edge(e) => self.edge_holder.get(e.index()).copied().flatten(),
        }
    }

    /// Everything `vehicle` holds, sorted.
    pub fn held_by(&self, vehicle: VehicleIdx) -> impl Iterator<Item = Place> + '_ {
        self.held.get(vehicle.0 as usize).into_iter().flatten().copied()
    }

    /// Why `vehicle` cannot take `place` now, if it cannot: a place in
    /// the conflict set of `place` between its body and another holder's
    /// is held by that holder.
    pub fn blocker(&self, bodies: &Bodies, vehicle: VehicleIdx, place: Place) -> Option<Blocked> {
        let mine = bodies.class(vehicle);
        (0..bodies.classes()).find_map(|theirs| {
            conflicts_of(bodies.pair(mine, theirs), place).find_map(|q| match self.holder(q) {
                Some(by) if by != vehicle && bodies.class(by) == theirs => {
                    Some(Blocked { wanted: place, held: q, by })
                }
                _ => None,
            })
        })
    }

    /// Reserves every place of `places` for `vehicle`, or nothing: the
    /// first conflict found is returned and the table is unchanged.
    pub fn try_reserve(
        &mut self,
        bodies: &Bodies,
        vehicle: VehicleIdx,
        places: &[Place],
    ) -> Result<(), Blocked> {
        for &place in places {
            if let Some(blocked) = self.blocker(bodies, vehicle, place) {
                return Err(blocked);
            }
        }
        for &place in places {
            self.set(place, Some(vehicle));
            if let Some(set) = self.held.get_mut(vehicle.0 as usize) {
                set.insert(place);
            }
        }
        Ok(())
    }

    /// Releases places `vehicle` holds (others are ignored).
    pub fn release(&mut self, vehicle: VehicleIdx, places: &[Place]) {
        for &place in places {
            if self.holder(place) == Some(vehicle) {
                self.set(place, None);
                if let Some(set) = self.held.get_mut(vehicle.0 as usize) {
                    set.remove(&place);
                }
            }
        }
    }

    /// Releases everything `vehicle` holds except `keep`.
    pub fn release_all_except(&mut self, vehicle: VehicleIdx, keep: &[Place]) {
        let drop: Vec<Place> = self.held_by(vehicle).filter(|p| !keep.contains(p)).collect();
        self.release(vehicle, &drop);
    }

    fn set(&mut self, place: Place, holder: Option<VehicleIdx>) {
        let slot = match place {
            Place::Node(n) => self.node_holder.get_mut(n.index()),
            Place::Edge(e) => self.edge_holder.get_mut(e.index()),
        };
        if let Some(slot) = slot {
            *slot = holder;
        }
    }
}

/// Checks, by brute force over every pair of held places, that no two
/// vehicles hold the same or conflicting places (for their two bodies).
/// Independent of the table's own bookkeeping: it reads only `holder`.
pub fn check_invariant(
    table: &ReservationTable,
    bodies: &Bodies,
    n_nodes: usize,
    n_edges: usize,
) -> Result<(), (Place, VehicleIdx, Place, VehicleIdx)> {
    let places: Vec<(Place, VehicleIdx)> = (0..n_nodes as u32)
        .map(|i| Place::Node(NodeIdx(i)))
        .chain((0..n_edges as u32).map(|i| Place::Edge(EdgeIdx(i))))
        .filter_map(|p| table.holder(p).map(|v| (p, v)))
        .collect();
    for (i, &(p, a)) in places.iter().enumerate() {
        for &(q, b) in &places[i + 1..] {
            if a != b && conflicts_of(bodies.between(a, b), p).any(|x| x == q) {
                return Err((p, a, q, b));
            }
        }
    }
    Ok(())
}
