//! How the core is set up: its configuration, the fleet it runs, and the
//! fleet file's entries.

use layout::conflicts::Footprint;
use protocol::transport::VehicleId;

use crate::assign::AssignConfig;
use crate::traffic::grain::Grain;

/// How the orchestrator behaves.
#[derive(Clone, Debug)]
pub struct FleetConfig {
    /// Nodes released ahead of a vehicle (the base beyond where it is).
    pub release_ahead: usize,
    /// Nodes of the unreleased horizon sent with each order.
    pub horizon_nodes: usize,
    /// Top speed assumed where the layout gives none, m/s.
    pub speed: f64,
    /// The footprint of vehicles whose spec gives no body (conflict
    /// sets), and the clearance added around every body.
    pub footprint: Footprint,
    /// A vehicle silent this long is fenced, ms. VDA 5050 vehicles send a
    /// state at least every 30 s, so the default waits 45 s; a vanished
    /// process is caught at once by its presence (liveliness) instead.
    pub stale_after_ms: u64,
    /// After start (or restart), releases wait until every vehicle has
    /// reported or this long has passed, ms.
    pub startup_grace_ms: u64,
    /// An order message not acknowledged this long is sent again, ms.
    pub resend_after_ms: u64,
    /// Below this charge (%) an idle vehicle goes to charge and takes no orders.
    pub battery_low: f64,
    /// Charging stops at this charge (%).
    pub battery_resume: f64,
    /// An idle vehicle goes to park after this long, ms (`None`: never).
    pub park_after_ms: Option<u64>,
    /// A wait-for cycle lasting this long is a deadlock, and is broken, ms.
    pub deadlock_after_ms: u64,
    /// The vehicle that breaks a cycle gives way for this long, ms.
    pub yield_ms: u64,
    /// A reported position farther than this from every node and edge is off the layout, m.
    pub max_offset_m: f64,
    /// An order whose load sits on a fenced vehicle fails after this long, ms.
    pub load_fault_timeout_ms: u64,
    /// Assignment.
    pub assign: AssignConfig,
    /// What a quarter turn in place costs the fleet's vehicles, ms (0:
    /// they drive corners as curves, turning is free). Above 0, traffic
    /// control counts turns: of equally short ways a vehicle goes straight
    /// on, and it follows a vehicle driving on ahead of it rather than
    /// turning off (a turn would cost as much as the wait).
    pub quarter_turn_ms: u64,
    /// One-way conventions routing prefers on grid maps (see [`Grain`]).
    pub grain: Grain,
    /// Memory for distance tables, bytes.
    pub distance_cache_bytes: usize,
    /// Finished orders kept in the core for queries (the latest ones; the
    /// store keeps them all until its retention). The live book holds only
    /// orders in progress, so a process running for months scans no more
    /// each tick than the work at hand.
    pub finished_kept: usize,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            release_ahead: 2,
            horizon_nodes: 8,
            speed: 1.0,
            footprint: Footprint::FACTORY_AGV,
            stale_after_ms: 45_000,
            startup_grace_ms: 5_000,
            resend_after_ms: 2_000,
            battery_low: 25.0,
            battery_resume: 90.0,
            park_after_ms: Some(20_000),
            deadlock_after_ms: 20_000,
            yield_ms: 20_000,
            max_offset_m: 1.5,
            load_fault_timeout_ms: 600_000,
            assign: AssignConfig::default(),
            quarter_turn_ms: 0,
            grain: Grain::NONE,
            distance_cache_bytes: 512 << 20,
            finished_kept: 1_000,
        }
    }
}

impl FleetConfig {
    /// Settings for 1 m grid maps: a cell-sized footprint, and a grain
    /// whose moves against it cost 10 times their time (measured in
    /// docs/benchmarks.md: on the warehouse grid it lifts 500 vehicles'
    /// deliveries 3.5-fold and 1,000 vehicles' 6.6-fold). Distance tables
    /// keep the default 512 MiB: 1 GiB made the competition's game map's
    /// ticks faster (mean 61 → 40 ms) but its peak memory 1.85 times the
    /// reference planner's at 1,000 ticks, where 512 MiB keeps it at
    /// 1.3 times.
    pub fn grid() -> FleetConfig {
        FleetConfig {
            footprint: Footprint::GRID_CELL,
            grain: Grain { factor: 10.0 },
            ..FleetConfig::default()
        }
    }
}

/// Gap between the bodies of a train (tractor, trailers), m.
pub const HITCH_M: f64 = 0.5;

/// A trailer of a tugger train.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Trailer {
    /// Length, m.
    pub length: f64,
    /// Width, m.
    pub width: f64,
}

/// A vehicle's body: its own box (centred on the point it reports) and,
/// for a tugger train, the trailers it pulls, each [`HITCH_M`] behind the
/// one before.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    /// Length, m.
    pub length: f64,
    /// Width, m.
    pub width: f64,
    /// Trailers, the first one behind the tractor first.
    pub trailers: Vec<Trailer>,
}

impl Body {
    /// A body without trailers.
    pub fn new(length: f64, width: f64) -> Body {
        Body { length, width, trailers: Vec::new() }
    }

    /// The footprint traffic control keeps clear around the reported
    /// point and around every place held behind it: a box as long and as
    /// wide as the largest part of the train, with `clearance`. Trailers
    /// are on the places behind, held for [`Body::reach_behind`].
    pub fn footprint(&self, clearance: f64) -> Footprint {
        let length = self.trailers.iter().map(|t| t.length).fold(self.length, f64::max);
        let width = self.trailers.iter().map(|t| t.width).fold(self.width, f64::max);
        Footprint { length, width, clearance }
    }

    /// How far the trailers reach behind the body's rear, m (0 without).
    pub fn tail(&self) -> f64 {
        self.trailers.iter().map(|t| HITCH_M + t.length).sum()
    }

    /// How far behind its centre the places it passed stay under it, m:
    /// its rear half and its trailers (0 without trailers: its own
    /// footprint covers its rear).
    pub fn reach_behind(&self) -> f64 {
        if self.trailers.is_empty() { 0.0 } else { self.length / 2.0 + self.tail() }
    }

    /// Every dimension a positive finite number of metres, at most 100.
    pub fn check(&self) -> Result<(), String> {
        let dims = [("length", self.length), ("width", self.width)].into_iter().chain(
            self.trailers.iter().flat_map(|t| [("trailer length", t.length), ("trailer width", t.width)]),
        );
        for (what, v) in dims {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                return Err(format!("{what} {v} m; expected a positive number of metres, at most 100"));
            }
        }
        Ok(())
    }
}

/// A vehicle of the fleet.
#[derive(Clone, Debug, PartialEq)]
pub struct VehicleSpec {
    /// Its id.
    pub id: VehicleId,
    /// Its type, as the layout names it.
    pub vehicle_type: String,
    /// Load types it can carry (empty: any).
    pub load_types: Vec<String>,
    /// Its body (`None`: [`FleetConfig::footprint`]).
    pub body: Option<Body>,
}

impl VehicleSpec {
    /// A vehicle of a type, carrying any load, with the default body.
    pub fn new(id: VehicleId, vehicle_type: impl Into<String>) -> VehicleSpec {
        VehicleSpec { id, vehicle_type: vehicle_type.into(), load_types: Vec::new(), body: None }
    }

    /// The footprint traffic control uses for it.
    pub fn footprint(&self, config: &FleetConfig) -> Footprint {
        self.body.as_ref().map_or(config.footprint, |b| b.footprint(config.footprint.clearance))
    }
}

/// A vehicle as a site's fleet file lists it (`yardmaster serve --fleet`):
/// `{"serial": "agv-01", "vehicleType": "yard.compact-agv", "loadTypes": ["KLT"]}`,
/// optionally with its `"manufacturer"` (default: the site's), its
/// `"length"` and `"width"` in metres and, for a tugger train, its
/// `"trailers": [{"length": 2.0, "width": 1.0}, …]`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetEntry {
    /// Manufacturer (default: the one the orchestrator is started with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Serial number.
    pub serial: String,
    /// Its type, as the layout names it.
    pub vehicle_type: String,
    /// Load types it can carry (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_types: Vec<String>,
    /// Body length, m (with `width`; default: the orchestrator's footprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<f64>,
    /// Body width, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Trailers of a tugger train.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trailers: Vec<Trailer>,
    /// How the live orchestrator reaches it (the core does not look).
    #[serde(default, skip_serializing_if = "Transport::is_zenoh")]
    pub transport: Transport,
}

/// How a vehicle is reached: Zenoh (our agent), or a VDA 5050 MQTT broker.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Zenoh (the default).
    #[default]
    Zenoh,
    /// MQTT, through the broker `yardmaster serve --mqtt` names.
    Mqtt,
}

impl Transport {
    fn is_zenoh(&self) -> bool {
        *self == Transport::Zenoh
    }
}

impl FleetEntry {
    /// An entry of the site's manufacturer with the default body.
    pub fn new(serial: impl Into<String>, vehicle_type: impl Into<String>) -> FleetEntry {
        FleetEntry {
            manufacturer: None,
            serial: serial.into(),
            vehicle_type: vehicle_type.into(),
            load_types: Vec::new(),
            length: None,
            width: None,
            trailers: Vec::new(),
            transport: Transport::Zenoh,
        }
    }

    /// The vehicle, of its own manufacturer or else `manufacturer`.
    pub fn spec(&self, manufacturer: &str) -> VehicleSpec {
        let body = match (self.length, self.width) {
            (Some(length), Some(width)) => Some(Body { length, width, trailers: self.trailers.clone() }),
            _ => None,
        };
        VehicleSpec {
            id: VehicleId::new(self.manufacturer.as_deref().unwrap_or(manufacturer), &self.serial),
            vehicle_type: self.vehicle_type.clone(),
            load_types: self.load_types.clone(),
            body,
        }
    }
}

/// The fleet cannot be set up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// Two vehicles with one id.
    #[error("vehicle {0} is listed twice")]
    DuplicateVehicle(String),
    /// A body with a dimension that is not a positive number of metres.
    #[error("vehicle {vehicle}: body {why}")]
    BadBody {
        /// The vehicle.
        vehicle: String,
        /// What is wrong.
        why: String,
    },
    /// A vehicle type no edge allows (on a layout that names types).
    #[error("vehicle {vehicle}: type {vehicle_type:?} may use no edge of the layout (types: {known})")]
    UnknownType {
        /// The vehicle.
        vehicle: String,
        /// Its type.
        vehicle_type: String,
        /// The layout's types.
        known: String,
    },
}
