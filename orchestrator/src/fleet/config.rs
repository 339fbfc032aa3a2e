//! How the core is set up: its configuration, the fleet it runs, and the
//! fleet file's entries.

use layout::conflicts::Footprint;
use protocol::transport::VehicleId;

use crate::assign::AssignConfig;

/// How the orchestrator behaves.
#[derive(Clone, Debug)]
pub struct FleetConfig {
    /// Nodes released ahead of a vehicle (the base beyond where it is).
    pub release_ahead: usize,
    /// Nodes of the unreleased horizon sent with each order.
    pub horizon_nodes: usize,
    /// Top speed assumed where the layout gives none, m/s.
    pub speed: f64,
    /// The vehicles' footprint (conflict sets).
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
            distance_cache_bytes: 256 << 20,
            finished_kept: 1_000,
        }
    }
}

impl FleetConfig {
    /// Settings for 1 m grid maps (cell-sized footprint).
    pub fn grid() -> FleetConfig {
        FleetConfig { footprint: Footprint::GRID_CELL, ..FleetConfig::default() }
    }
}

/// A vehicle of the fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VehicleSpec {
    /// Its id.
    pub id: VehicleId,
    /// Its type, as the layout names it.
    pub vehicle_type: String,
    /// Load types it can carry (empty: any).
    pub load_types: Vec<String>,
}

impl VehicleSpec {
    /// A vehicle of a type, carrying any load.
    pub fn new(id: VehicleId, vehicle_type: impl Into<String>) -> VehicleSpec {
        VehicleSpec { id, vehicle_type: vehicle_type.into(), load_types: Vec::new() }
    }
}

/// A vehicle as a site's fleet file lists it (`yardmaster serve --fleet`):
/// `{"serial": "agv-01", "vehicleType": "yard.compact-agv", "loadTypes": ["KLT"]}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetEntry {
    /// Serial number.
    pub serial: String,
    /// Its type, as the layout names it.
    pub vehicle_type: String,
    /// Load types it can carry (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_types: Vec<String>,
}

impl FleetEntry {
    /// The vehicle of this manufacturer.
    pub fn spec(&self, manufacturer: &str) -> VehicleSpec {
        VehicleSpec {
            id: VehicleId::new(manufacturer, &self.serial),
            vehicle_type: self.vehicle_type.clone(),
            load_types: self.load_types.clone(),
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
