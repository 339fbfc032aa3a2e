//! Each holder its own body: the footprint conflict sets between every
//! pair of bodies that meet.
//!
//! A fleet of compact carriers and tugger trains has a few distinct
//! bodies (footprints). Two vehicles conflict when their own discs
//! overlap, so the sets depend on the pair: a tugger next to a tugger
//! needs more room than a carrier next to a carrier. [`Bodies`] gives
//! every holder of the reservation table (vehicles, then the site, which
//! holds closed places as a point) a body class, and keeps one
//! [`FootprintConflicts`] per pair of classes, computed once.
//!
//! ```
//! use layout::conflicts::Footprint;
//! use orchestrator::traffic::bodies::Bodies;
//! use orchestrator::traffic::reservations::VehicleIdx;
//! let map = "type octile\nheight 1\nwidth 3\nmap\n...\n";
//! let site = layout::load_str(map, "demo.map", layout::LoadOptions::default()).unwrap().value;
//! let index = layout::spatial::SpatialIndex::build(&site);
//! let big = Footprint { length: 1.6, width: 1.0, clearance: 0.1 };
//! let bodies = Bodies::compute(&site, &index, &[Footprint::GRID_CELL, big]);
//! assert_eq!(bodies.classes(), 3); // two bodies, and the site's point
//! assert!(bodies.between(VehicleIdx(0), VehicleIdx(1)).separation > 1.0);
//! ```

use std::sync::Arc;

use layout::Layout;
use layout::conflicts::{Footprint, FootprintConflicts};
use layout::spatial::SpatialIndex;

use super::reservations::VehicleIdx;

/// The body of the site, which holds closed places: a point.
pub const SITE_BODY: Footprint = Footprint { length: 0.0, width: 0.0, clearance: 0.0 };

/// Body classes of the holders and the conflict sets of every pair.
#[derive(Clone, Debug)]
pub struct Bodies {
    /// Class of each holder, by index; holders past the end are of `rest`.
    class_of: Vec<usize>,
    /// The class of holders not listed (the site).
    rest: usize,
    /// The footprint of each class.
    footprints: Vec<Footprint>,
    /// `sets[i * k + j]`: class `i` against class `j` (shared with `j, i`).
    sets: Vec<Arc<FootprintConflicts>>,
}

impl Bodies {
    /// One body for everyone (the site included).
    pub fn uniform(conflicts: FootprintConflicts) -> Bodies {
        let footprint = conflicts.footprint;
        Bodies { class_of: Vec::new(), rest: 0, footprints: vec![footprint], sets: vec![Arc::new(conflicts)] }
    }

    /// Holder `i` has body `bodies[i]`; the holders after them (the site)
    /// are a point. One computation per pair of distinct bodies.
    pub fn compute(layout: &Layout, index: &SpatialIndex, bodies: &[Footprint]) -> Bodies {
        let mut footprints: Vec<Footprint> = Vec::new();
        let mut class_of = Vec::with_capacity(bodies.len());
        for body in bodies.iter().chain(std::iter::once(&SITE_BODY)) {
            let class = footprints.iter().position(|f| f == body).unwrap_or_else(|| {
                footprints.push(*body);
                footprints.len() - 1
            });
            class_of.push(class);
        }
        let rest = class_of.pop().unwrap_or(0);
        let k = footprints.len();
        let mut sets: Vec<Option<Arc<FootprintConflicts>>> = vec![None; k * k];
        for i in 0..k {
            for j in i..k {
                let set =
                    Arc::new(FootprintConflicts::compute_pair(layout, index, footprints[i], footprints[j]));
                sets[j * k + i] = Some(set.clone());
                sets[i * k + j] = Some(set);
            }
        }
        Bodies { class_of, rest, footprints, sets: sets.into_iter().flatten().collect() }
    }

    /// The same, with holder `holder` of body `footprint`: a new class
    /// (its sets against every class computed now) if no holder has that
    /// body yet. The sets already computed are shared, not copied.
    pub fn with_body(
        &self,
        holder: VehicleIdx,
        footprint: Footprint,
        layout: &Layout,
        index: &SpatialIndex,
    ) -> Bodies {
        let mut out = self.clone();
        let i = holder.0 as usize;
        if out.class_of.len() <= i {
            out.class_of.resize(i + 1, out.rest);
        }
        let class = match out.footprints.iter().position(|f| *f == footprint) {
            Some(c) => c,
            None => {
                let k = self.footprints.len();
                let mut footprints = self.footprints.clone();
                footprints.push(footprint);
                let new: Vec<Arc<FootprintConflicts>> = footprints
                    .iter()
                    .map(|f| Arc::new(FootprintConflicts::compute_pair(layout, index, footprint, *f)))
                    .collect();
                let mut sets = Vec::with_capacity((k + 1) * (k + 1));
                for a in 0..=k {
                    for b in 0..=k {
                        sets.push(match (a == k, b == k) {
                            (false, false) => self.sets[a * k + b].clone(),
                            (true, _) => new[b].clone(),
                            (false, true) => new[a].clone(),
                        });
                    }
                }
                out.footprints = footprints;
                out.sets = sets;
                k
            }
        };
        out.class_of[i] = class;
        out
    }

    /// Number of body classes.
    pub fn classes(&self) -> usize {
        self.footprints.len()
    }

    /// The class of a holder.
    pub fn class(&self, holder: VehicleIdx) -> usize {
        self.class_of.get(holder.0 as usize).copied().unwrap_or(self.rest)
    }

    /// The footprint of a holder.
    pub fn footprint(&self, holder: VehicleIdx) -> Footprint {
        self.footprints[self.class(holder)]
    }

    /// The sets of class `i` against class `j`.
    pub fn pair(&self, i: usize, j: usize) -> &FootprintConflicts {
        &self.sets[i * self.footprints.len() + j]
    }

    /// The sets between two holders.
    pub fn between(&self, a: VehicleIdx, b: VehicleIdx) -> &FootprintConflicts {
        self.pair(self.class(a), self.class(b))
    }
}

impl From<FootprintConflicts> for Bodies {
    fn from(conflicts: FootprintConflicts) -> Bodies {
        Bodies::uniform(conflicts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corridor() -> (Layout, SpatialIndex) {
        let map = "type octile\nheight 1\nwidth 8\nmap\n........\n";
        let site = layout::load_str(map, "c.map", layout::LoadOptions::default()).unwrap().value;
        let index = SpatialIndex::build(&site);
        (site, index)
    }

    #[test]
    fn pairs_use_the_sum_of_their_radii() {
        let (site, index) = corridor();
        let small = Footprint { length: 0.7, width: 0.7, clearance: 0.0 }; // r ≈ 0.49
        let long = Footprint { length: 2.6, width: 1.0, clearance: 0.1 }; // r ≈ 1.49
        let bodies = Bodies::compute(&site, &index, &[small, long, small]);
        assert_eq!(bodies.classes(), 3);
        assert_eq!(bodies.class(VehicleIdx(0)), bodies.class(VehicleIdx(2)));
        let n = |i: u32| layout::NodeIdx(i);
        // Cells are 1 m apart: small–small fit side by side, small–long
        // reach one cell (0.49 + 1.49 < 2), long–long two cells (2.98 < 3).
        let near = |a, b| {
            let set = bodies.between(VehicleIdx(a), VehicleIdx(b)).of_node(n(3));
            set.nodes.clone()
        };
        assert!(near(0, 2).is_empty());
        assert_eq!(near(0, 1), vec![n(2), n(4)]);
        assert_eq!(near(1, 1), vec![n(1), n(2), n(4), n(5)]);
        // Symmetric: the same sets whoever asks.
        assert_eq!(near(0, 1), near(1, 0));
        // A holder given a new body gets its own class, the others keep theirs.
        let wide = Footprint { length: 2.6, width: 2.6, clearance: 0.0 }; // r ≈ 1.84
        let grown = bodies.with_body(VehicleIdx(2), wide, &site, &index);
        assert_eq!((grown.classes(), grown.footprint(VehicleIdx(2))), (4, wide));
        assert_eq!(grown.footprint(VehicleIdx(0)), small);
        assert_eq!(
            grown.between(VehicleIdx(2), VehicleIdx(1)),
            &FootprintConflicts::compute_pair(&site, &index, wide, long)
        );
        assert_eq!(grown.between(VehicleIdx(0), VehicleIdx(1)), bodies.between(VehicleIdx(0), VehicleIdx(1)));
        // The site (a point) keeps a long body one cell off what it holds.
        let site_holder = VehicleIdx(3);
        assert_eq!(bodies.footprint(site_holder), SITE_BODY);
        assert_eq!(bodies.between(site_holder, VehicleIdx(1)).of_node(n(3)).nodes, vec![n(2), n(4)]);
    }
}
