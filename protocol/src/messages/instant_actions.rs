//! `instantActions`: master control → vehicle, actions to run now.

use serde::{Deserialize, Serialize};

use super::{Action, Header};

/// A batch of instant actions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstantActions {
    /// Common header.
    #[serde(flatten)]
    pub header: Header,
    /// The actions, in order.
    pub actions: Vec<Action>,
}

/// The predefined action types Yardmaster uses (others are vendor-specific).
pub mod action_types {
    /// Pick up a load.
    pub const PICK: &str = "pick";
    /// Drop a load.
    pub const DROP: &str = "drop";
    /// Start charging.
    pub const START_CHARGING: &str = "startCharging";
    /// Stop charging.
    pub const STOP_CHARGING: &str = "stopCharging";
    /// Pause driving and actions.
    pub const START_PAUSE: &str = "startPause";
    /// Resume.
    pub const STOP_PAUSE: &str = "stopPause";
    /// Cancel the current order.
    pub const CANCEL_ORDER: &str = "cancelOrder";
    /// Send a state now.
    pub const STATE_REQUEST: &str = "stateRequest";
    /// Send the factsheet.
    pub const FACTSHEET_REQUEST: &str = "factsheetRequest";
    /// Set the vehicle's position.
    pub const INIT_POSITION: &str = "initPosition";
    /// Position precisely at a station.
    pub const FINE_POSITIONING: &str = "finePositioning";
    /// Wait for an external trigger.
    pub const WAIT_FOR_TRIGGER: &str = "waitForTrigger";
}
