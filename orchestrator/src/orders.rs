//! Transport orders: what a planner asks for (pickup station → drop
//! station, or a milk run: pickup, stops visited in order, drop) and the
//! lifecycle every accepted order goes through. Every
//! accepted order ends Delivered, Failed (with a reason) or Cancelled; each
//! transition is recorded with its time, and illegal ones are refused.

use layout::{Layout, NodeIdx};
use serde::{Deserialize, Serialize};

/// A point in injected time, ms (see [`protocol::instant`]).
pub use protocol::instant::Millis;

/// Where an order is in its life.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum OrderStatus {
    /// Accepted, waiting for a vehicle.
    Queued,
    /// A vehicle is chosen.
    Assigned {
        /// Which vehicle (its serial number).
        vehicle: String,
    },
    /// The vehicle drives to the pickup station.
    ToPickup,
    /// The load is being picked.
    Loading,
    /// On a milk run: the vehicle drives to intermediate stop `stop`
    /// (1-based, in the order of the request's `via`); the history keeps
    /// when each stop was reached (the next status's time).
    ToStop {
        /// Which stop.
        stop: u32,
    },
    /// The vehicle carries the load to the drop station.
    ToDrop,
    /// The load is being dropped.
    Unloading,
    /// Done.
    Delivered,
    /// Given up, with the reason.
    Failed {
        /// Why.
        reason: String,
    },
    /// Cancelled by the user.
    Cancelled,
}

impl OrderStatus {
    /// Whether the order's life is over.
    pub fn is_terminal(&self) -> bool {
        matches!(self, OrderStatus::Delivered | OrderStatus::Failed { .. } | OrderStatus::Cancelled)
    }

    /// Its name, as in events and the status output (`to-pickup`, …).
    pub fn name(&self) -> &'static str {
        match self {
            OrderStatus::Queued => "queued",
            OrderStatus::Assigned { .. } => "assigned",
            OrderStatus::ToPickup => "to-pickup",
            OrderStatus::Loading => "loading",
            OrderStatus::ToStop { .. } => "to-stop",
            OrderStatus::ToDrop => "to-drop",
            OrderStatus::Unloading => "unloading",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Failed { .. } => "failed",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

/// What a user asks for. `from` and `to` name stations of the layout
/// (or, on layouts without stations such as grid maps, nodes); `via`, if
/// given, makes it a milk run: the vehicle picks at `from`, calls at every
/// `via` stop in order, and drops at `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrderRequest {
    /// Pickup station id.
    pub from: String,
    /// Drop station id.
    pub to: String,
    /// Stops between pickup and drop, visited in order (a milk run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// Higher goes first.
    #[serde(default)]
    pub priority: i32,
    /// Not before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_start: Option<Millis>,
    /// Should be delivered by then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Millis>,
    /// Only vehicles of this type may take it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_type: Option<String>,
    /// The kind of load; only vehicles that carry it may take the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_type: Option<String>,
}

impl OrderRequest {
    /// A plain request from one station to another.
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> OrderRequest {
        OrderRequest {
            from: from.into(),
            to: to.into(),
            via: Vec::new(),
            priority: 0,
            earliest_start: None,
            deadline: None,
            vehicle_type: None,
            load_type: None,
        }
    }
}

/// A request that cannot be accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// A station id that the layout does not have.
    #[error("{field}: no station (or node) {id:?} in the layout")]
    UnknownStation {
        /// `from`, `to` or `via[i]`.
        field: String,
        /// The id given.
        id: String,
    },
    /// Pickup and drop are the same station.
    #[error("from and to are the same station {0:?}")]
    SameStation(String),
    /// Two stops in a row are the same place.
    #[error("{field}: {id:?} is the stop just before it too (consecutive stops must differ)")]
    RepeatedStop {
        /// `via[i]` or `to`.
        field: String,
        /// The station id.
        id: String,
    },
    /// More stops than an order may have.
    #[error("via: {0} stops, at most {MAX_VIA} are allowed")]
    TooManyStops(usize),
    /// The deadline comes before the earliest start.
    #[error("deadline {deadline} ms is before the earliest start {earliest_start} ms")]
    DeadlineBeforeStart {
        /// Earliest start.
        earliest_start: Millis,
        /// Deadline.
        deadline: Millis,
    },
    /// A vehicle type no edge of the layout allows.
    #[error("vehicle type {0:?} is not used anywhere in the layout")]
    UnknownVehicleType(String),
}

/// A refused status change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("order {order}: cannot go from {from} to {to}")]
pub struct TransitionError {
    /// The order's id.
    pub order: u64,
    /// Current status.
    pub from: &'static str,
    /// Requested status.
    pub to: &'static str,
}

/// An accepted transport order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportOrder {
    /// Id, unique for the orchestrator's life (and its store's).
    pub id: u64,
    /// Where the load is picked (the station's interaction node).
    pub pickup: NodeIdx,
    /// Where it is dropped.
    pub drop: NodeIdx,
    /// The stops between, in order (a milk run; empty for a plain order).
    pub via: Vec<NodeIdx>,
    /// The request as accepted.
    pub request: OrderRequest,
    /// Every status with the time it began, first `Queued` at acceptance.
    pub history: Vec<(Millis, OrderStatus)>,
}

/// The most intermediate stops one order may have.
pub const MAX_VIA: usize = 64;

/// The node a station id stands for (its first interaction node), or a
/// node id on layouts that have no stations.
pub fn resolve_place(layout: &Layout, id: &str) -> Option<NodeIdx> {
    match layout.station_by_id(id) {
        Some(s) => layout.stations.get(s.index())?.interaction_nodes.first().copied(),
        None if layout.stations.is_empty() => layout.node_by_id(id),
        None => None,
    }
}

/// Checks a request against the layout and accepts it as order `id`.
pub fn accept(
    layout: &Layout,
    id: u64,
    request: OrderRequest,
    now: impl Into<Millis>,
) -> Result<TransportOrder, RequestError> {
    let now = now.into();
    let station = |field: String, sid: &str| {
        resolve_place(layout, sid).ok_or_else(|| RequestError::UnknownStation { field, id: sid.to_string() })
    };
    if request.via.len() > MAX_VIA {
        return Err(RequestError::TooManyStops(request.via.len()));
    }
    let pickup = station("from".into(), &request.from)?;
    let via = (request.via.iter().enumerate())
        .map(|(i, s)| station(format!("via[{i}]"), s))
        .collect::<Result<Vec<_>, _>>()?;
    let drop = station("to".into(), &request.to)?;
    if pickup == drop && via.is_empty() {
        return Err(RequestError::SameStation(request.from));
    }
    let stops: Vec<NodeIdx> = std::iter::once(pickup).chain(via.iter().copied()).chain([drop]).collect();
    if let Some(i) = stops.windows(2).position(|w| w[0] == w[1]) {
        let field = if i + 1 == stops.len() - 1 { "to".to_string() } else { format!("via[{i}]") };
        let id = request.via.get(i).unwrap_or(&request.to).clone();
        return Err(RequestError::RepeatedStop { field, id });
    }
    if let (Some(earliest_start), Some(deadline)) = (request.earliest_start, request.deadline)
        && deadline < earliest_start
    {
        return Err(RequestError::DeadlineBeforeStart { earliest_start, deadline });
    }
    if let Some(t) = &request.vehicle_type
        && !layout.vehicle_types().contains(t)
    {
        return Err(RequestError::UnknownVehicleType(t.clone()));
    }
    Ok(TransportOrder { id, pickup, drop, via, request, history: vec![(now, OrderStatus::Queued)] })
}

impl TransportOrder {
    /// The current status.
    pub fn status(&self) -> &OrderStatus {
        const QUEUED: &OrderStatus = &OrderStatus::Queued;
        self.history.last().map_or(QUEUED, |(_, s)| s)
    }

    /// Moves to `to` at `now` if the lifecycle allows it:
    /// Queued → Assigned → ToPickup → Loading → (ToStop 1 → ToStop 2 → …)
    /// → ToDrop → Unloading → Delivered; before the load is on board an order can go back to
    /// Queued (its vehicle failed, or the pick failed) or be Cancelled; any live order can
    /// Fail; nothing leaves Delivered, Failed or Cancelled.
    pub fn transition(&mut self, now: impl Into<Millis>, to: OrderStatus) -> Result<(), TransitionError> {
        let now = now.into();
        use OrderStatus::*;
        let from = self.status();
        let allowed = match (from, &to) {
            (s, _) if s.is_terminal() => false,
            (_, Failed { .. }) => true,
            (Queued, Assigned { .. })
            | (Assigned { .. }, ToPickup)
            | (ToPickup, Loading)
            | (Loading, ToDrop) => true,
            (Loading, ToStop { stop: 1 }) | (ToStop { .. }, ToDrop) => true,
            (ToStop { stop: a }, ToStop { stop: b }) => *b == a + 1,
            (ToDrop, Unloading) | (Unloading, Delivered) => true,
            (Assigned { .. } | ToPickup | Loading, Queued) => true,
            (Queued | Assigned { .. } | ToPickup, Cancelled) => true,
            _ => false,
        };
        if !allowed {
            return Err(TransitionError { order: self.id, from: from.name(), to: to.name() });
        }
        // Time never runs backwards in the history.
        let at = now.max(self.history.last().map_or(Millis::ZERO, |(t, _)| *t));
        self.history.push((at, to));
        Ok(())
    }
}
