//! What the core tells operators, logs and reports: [`Event`]s.

use serde::Serialize;

use crate::orders::{Millis, OrderStatus};

/// Something that happened, for logs, reports and operators.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Event {
    /// When (injected time, ms).
    pub at: Millis,
    /// What.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The kinds of [`Event`].
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    /// An order was accepted.
    OrderAccepted {
        /// Its id.
        order: u64,
    },
    /// An order changed status.
    OrderStatus {
        /// Its id.
        order: u64,
        /// The new status.
        status: OrderStatus,
    },
    /// A vehicle was fenced.
    VehicleFenced {
        /// Its serial number.
        vehicle: String,
        /// Why.
        reason: String,
    },
    /// A fenced vehicle is back in service.
    VehicleRecovered {
        /// Its serial number.
        vehicle: String,
    },
    /// The core failed at something of its own making (a bug, not the
    /// vehicle's fault); the vehicle is not blamed.
    InternalError {
        /// The vehicle concerned, if any.
        vehicle: Option<String>,
        /// What failed.
        what: String,
    },
    /// A vehicle's VDA 5050 factsheet contradicts what the fleet file
    /// says of it (traffic control keeps the fleet file's body: fix the
    /// file, or the vehicle).
    FactsheetMismatch {
        /// Its serial number.
        vehicle: String,
        /// The factsheet field, as its JSON path.
        field: String,
        /// What the fleet file says.
        fleet: String,
        /// What the factsheet says.
        factsheet: String,
    },
    /// A vehicle the fleet file gives no body reported its own in its
    /// factsheet: traffic control takes it (`adopted`), unless the bigger
    /// body would reach places another vehicle holds (then it keeps the
    /// default and says why; the next factsheet is tried again).
    BodyFromFactsheet {
        /// Its serial number.
        vehicle: String,
        /// Length, m.
        length: f64,
        /// Width, m.
        width: f64,
        /// Whether traffic control uses it now.
        adopted: bool,
        /// Why not, if not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An input was refused.
    InputRejected {
        /// From whom, if known.
        vehicle: Option<String>,
        /// Why.
        reason: String,
    },
    /// A node or edge was closed to traffic.
    PlaceClosed {
        /// Which (`node ID` or `edge ID`).
        place: String,
        /// Why.
        reason: String,
    },
    /// A closed node or edge was reopened.
    PlaceOpened {
        /// Which.
        place: String,
        /// Why, when the core reopened it itself (the place left the layout).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
    },
    /// A wait-for cycle that lasted: a deadlock (it is being broken).
    Deadlock {
        /// Its vehicles.
        vehicles: Vec<String>,
    },
    /// A vehicle in a lasting cycle was told to make way.
    DeadlockBreak {
        /// The vehicle.
        vehicle: String,
    },
}
