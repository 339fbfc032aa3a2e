//! The car plant of `maps/car-plant.lif.json`: a 200 m × 120 m body-shop
//! and final-assembly hall, authored as code so that every coordinate is
//! reviewable.
//!
//! ```text
//!  y=120 ┌───────────────── perimeter road (two-way, 2 m/s) ─────────────────┐
//!        │ warehouse: 5 one-way aisles │ x=75 ┌ upper supply lane (west) ─┐ x=185
//!        │ x=15..55, pick stations     │  ║   │ ██ assembly line y=80 ██  │ ║ ▣ vision
//!        │ (compact AGVs only)         │  ║   └ lower supply lane (east) ─┘ ║   inspection
//!  y=40  ├──────────────── spine road (two-way, 2 m/s) ─────────────────────┤
//!        │ docks ▣▣▣▣  x=20: chargers  x=100: parking  x=120..140: tugger  │
//!        │                                    sidings   x=150: rework loop │
//!  y=0   └──────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Vehicle types: `yard.compact-agv` goes everywhere; `yard.tugger` (a
//! tugger train) may not enter the narrow warehouse aisles or the rework
//! loop, so it collects at the warehouse docks; it parks on its own
//! sidings, long enough for the train, and compact AGVs at the x=100 bays.

use std::collections::BTreeMap;

use layout::model::*;
use nalgebra::Point2;

/// The small load carrier that may go anywhere.
pub const COMPACT: &str = "yard.compact-agv";
/// The tugger train, kept out of narrow aisles.
pub const TUGGER: &str = "yard.tugger";
const BOTH: &[&str] = &[COMPACT, TUGGER];
const COMPACT_ONLY: &[&str] = &[COMPACT];
const TUGGER_ONLY: &[&str] = &[TUGGER];

/// Main roads.
const ROAD_SPEED: f64 = 2.0;
/// Vertical connectors between the spine and the perimeter.
const CONNECTOR_SPEED: f64 = 1.5;
/// Supply lanes along the line.
const LANE_SPEED: f64 = 1.2;
/// Warehouse aisles and the rework loop.
const AISLE_SPEED: f64 = 1.0;
/// Short spurs into stations.
const SPUR_SPEED: f64 = 0.5;

#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    stations: Vec<Station>,
    at: BTreeMap<(i64, i64), NodeIdx>,
}

fn key(x: f64, y: f64) -> (i64, i64) {
    ((x * 10.0).round() as i64, (y * 10.0).round() as i64)
}

impl Builder {
    fn node(&mut self, x: f64, y: f64) -> NodeIdx {
        let k = key(x, y);
        if let Some(n) = self.at.get(&k) {
            return *n;
        }
        let idx = NodeIdx(self.nodes.len() as u32);
        self.nodes.push(Node {
            id: format!("N{:04}-{:04}", k.0, k.1),
            name: None,
            description: None,
            map_id: Some("hall-1".into()),
            level: LevelIdx(0),
            position: Point2::new(x, y),
            vehicle_types: Vec::new(),
        });
        self.at.insert(k, idx);
        idx
    }

    fn edge(&mut self, a: NodeIdx, b: NodeIdx, types: &[&str], speed: f64) {
        let (pa, pb) = (self.nodes[a.index()].position, self.nodes[b.index()].position);
        let id = format!("{}>{}", self.nodes[a.index()].id, self.nodes[b.index()].id);
        self.edges.push(Edge {
            id,
            name: None,
            description: None,
            level: LevelIdx(0),
            from: a,
            to: b,
            length: (pb - pa).norm(),
            vehicle_types: types
                .iter()
                .map(|t| EdgeTypeProperties {
                    vehicle_orientation: Some(0.0),
                    orientation_type: Some(OrientationType::Tangential),
                    rotation_allowed: false,
                    max_speed: Some(speed),
                    ..EdgeTypeProperties::unrestricted(*t)
                })
                .collect(),
        });
    }

    /// A polyline road through `points`, split every `step` metres.
    fn road(&mut self, points: &[(f64, f64)], step: f64, two_way: bool, types: &[&str], speed: f64) {
        let mut chain = Vec::new();
        for w in points.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
            let n = (len / step).round().max(1.0) as usize;
            for i in 0..n {
                let t = i as f64 / n as f64;
                chain.push(self.node(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t));
            }
        }
        if let Some(&(x, y)) = points.last() {
            chain.push(self.node(x, y));
        }
        for w in chain.windows(2) {
            self.edge(w[0], w[1], types, speed);
            if two_way {
                self.edge(w[1], w[0], types, speed);
            }
        }
    }

    /// A station on a two-way spur from road node `(x, y)` to `(sx, sy)`.
    #[expect(clippy::too_many_arguments, reason = "a table-like authoring helper")]
    fn station(
        &mut self,
        (x, y): (f64, f64),
        (sx, sy): (f64, f64),
        id: &str,
        name: &str,
        actions: &[&str],
        types: &[&str],
        height: f64,
    ) {
        let road = self.node(x, y);
        let spot = self.node(sx, sy);
        self.edge(road, spot, types, SPUR_SPEED);
        self.edge(spot, road, types, SPUR_SPEED);
        let node = &mut self.nodes[spot.index()];
        node.name = Some(name.to_string());
        node.vehicle_types = types
            .iter()
            .map(|t| NodeTypeProperties {
                vehicle_type: (*t).to_string(),
                theta: None,
                actions: actions
                    .iter()
                    .map(|a| ActionTemplate {
                        action_type: (*a).to_string(),
                        description: None,
                        requirement: Some(RequirementType::Conditional),
                        blocking: BlockingType::Hard,
                        parameters: Vec::new(),
                    })
                    .collect(),
            })
            .collect();
        let texts = [id, name];
        let kind = StationKind::infer(&texts, actions.iter().copied());
        self.stations.push(Station {
            id: id.to_string(),
            name: Some(name.to_string()),
            description: None,
            level: LevelIdx(0),
            interaction_nodes: vec![spot],
            height: Some(height),
            position: None,
            kind,
        });
    }
}

/// Builds the car plant.
pub fn build() -> Layout {
    let mut b = Builder::default();
    // Perimeter and spine: two-way main roads for every vehicle.
    b.road(
        &[(0.0, 0.0), (200.0, 0.0), (200.0, 120.0), (0.0, 120.0), (0.0, 0.0)],
        5.0,
        true,
        BOTH,
        ROAD_SPEED,
    );
    b.road(&[(0.0, 40.0), (200.0, 40.0)], 5.0, true, BOTH, ROAD_SPEED);
    // Connectors.
    for x in [75.0, 185.0] {
        b.road(&[(x, 40.0), (x, 120.0)], 5.0, true, BOTH, CONNECTOR_SPEED);
    }
    for x in [20.0, 100.0, 150.0] {
        b.road(&[(x, 40.0), (x, 0.0)], 5.0, true, BOTH, CONNECTOR_SPEED);
    }
    // Warehouse: five one-way aisles, alternating north / south.
    for (k, x) in [15.0, 25.0, 35.0, 45.0, 55.0].into_iter().enumerate() {
        let (from, to) = if k % 2 == 0 { (40.0, 120.0) } else { (120.0, 40.0) };
        b.road(&[(x, from), (x, to)], 4.0, false, COMPACT_ONLY, AISLE_SPEED);
        for (j, y) in [56.0, 72.0, 88.0, 104.0].into_iter().enumerate() {
            let aisle = char::from(b'A' + k as u8);
            b.station(
                (x, y),
                (x + 2.5, y),
                &format!("WH-PICK-{aisle}{}", j + 1),
                &format!("Warehouse pick {aisle}{}", j + 1),
                &["pick"],
                COMPACT_ONLY,
                0.8,
            );
        }
    }
    for (j, x) in [30.0, 40.0, 50.0, 60.0].into_iter().enumerate() {
        b.station(
            (x, 40.0),
            (x, 35.0),
            &format!("WH-DOCK-{}", j + 1),
            &format!("Warehouse outbound dock {}", j + 1),
            &["pick"],
            BOTH,
            0.8,
        );
    }
    // Assembly line supply lanes: east-bound below the line, west-bound above.
    b.road(&[(75.0, 75.0), (185.0, 75.0)], 5.0, false, BOTH, LANE_SPEED);
    b.road(&[(185.0, 85.0), (75.0, 85.0)], 5.0, false, BOTH, LANE_SPEED);
    for (j, x) in (0..10).map(|i| 85.0 + 10.0 * f64::from(i)).enumerate() {
        b.station(
            (x, 75.0),
            (x, 77.5),
            &format!("SM-L{:02}", j + 1),
            &format!("Line-side supermarket L{:02} (lower)", j + 1),
            &["drop"],
            BOTH,
            0.9,
        );
        b.station(
            (x, 85.0),
            (x, 82.5),
            &format!("SM-U{:02}", j + 1),
            &format!("Line-side supermarket U{:02} (upper)", j + 1),
            &["drop"],
            BOTH,
            0.9,
        );
    }
    b.station((185.0, 80.0), (192.0, 80.0), "QA-VISION-1", "Vision inspection", &["drop", "pick"], BOTH, 0.9);
    // Rework: a one-way loop for compact AGVs, east along y=25, back along y=15.
    b.road(
        &[(150.0, 25.0), (190.0, 25.0), (190.0, 15.0), (150.0, 15.0)],
        5.0,
        false,
        COMPACT_ONLY,
        AISLE_SPEED,
    );
    for (j, x) in [160.0, 170.0, 180.0].into_iter().enumerate() {
        b.station(
            (x, 25.0),
            (x, 28.0),
            &format!("REWORK-{}", j + 1),
            &format!("Rework bay {}", j + 1),
            &["drop", "pick"],
            COMPACT_ONLY,
            0.9,
        );
    }
    // Chargers on both sides of the x=20 connector.
    for (j, y) in [10.0, 15.0, 20.0, 25.0, 30.0].into_iter().enumerate() {
        b.station(
            (20.0, y),
            (23.0, y),
            &format!("CHG-{:02}", j + 1),
            &format!("Charger {:02}", j + 1),
            &["startCharging", "stopCharging"],
            BOTH,
            0.0,
        );
    }
    for (j, y) in [10.0, 20.0, 30.0].into_iter().enumerate() {
        b.station(
            (20.0, y),
            (17.0, y),
            &format!("CHG-{:02}", j + 6),
            &format!("Charger {:02}", j + 6),
            &["startCharging", "stopCharging"],
            BOTH,
            0.0,
        );
    }
    // Parking for compact AGVs on both sides of the x=100 connector.
    for (j, y) in [10.0, 15.0, 20.0, 25.0, 30.0].into_iter().enumerate() {
        for (side, sx) in [(1, 97.0), (2, 103.0)] {
            b.station(
                (100.0, y),
                (sx, y),
                &format!("PARK-{:02}", 2 * j + side),
                &format!("Parking {:02}", 2 * j + side),
                &[],
                COMPACT_ONLY,
                0.0,
            );
        }
    }
    // Tugger trains park on sidings long enough for the whole train (15 m
    // off the spine, then the bay): a train there keeps its trailers off
    // the roads.
    for (j, x) in [120.0, 130.0, 140.0].into_iter().enumerate() {
        b.road(&[(x, 40.0), (x, 25.0)], 5.0, true, TUGGER_ONLY, CONNECTOR_SPEED);
        b.station(
            (x, 25.0),
            (x, 22.0),
            &format!("TUG-PARK-{}", j + 1),
            &format!("Tugger train parking {}", j + 1),
            &[],
            TUGGER_ONLY,
            0.0,
        );
    }

    // Road nodes may be used by every type that may use an edge touching them.
    let mut types: Vec<Vec<String>> = vec![Vec::new(); b.nodes.len()];
    for e in &b.edges {
        for p in &e.vehicle_types {
            types[e.from.index()].push(p.vehicle_type.clone());
            types[e.to.index()].push(p.vehicle_type.clone());
        }
    }
    for (node, mut ts) in b.nodes.iter_mut().zip(types) {
        if node.vehicle_types.is_empty() {
            ts.sort();
            ts.dedup();
            node.vehicle_types = ts
                .into_iter()
                .map(|vehicle_type| NodeTypeProperties { vehicle_type, theta: None, actions: Vec::new() })
                .collect();
        }
    }

    Layout::from_parts(LayoutParts {
        meta: MetaInformation {
            project_identification: "Yardmaster car plant (body shop and final assembly)".into(),
            creator: "Yardmaster map generator (yard-sim map generate car-plant)".into(),
            export_timestamp: "2026-11-27T00:00:00.00Z".into(),
            lif_version: "0.11.0".into(),
        },
        levels: vec![Level {
            id: "hall-1".into(),
            name: Some("Hall 1: warehouse, assembly line, inspection, rework".into()),
            version: "1".into(),
            level_id: Some("0".into()),
            description: Some("Ground floor. Units: metres, m/s.".into()),
        }],
        nodes: b.nodes,
        edges: b.edges,
        stations: b.stations,
        grid: None,
    })
}
