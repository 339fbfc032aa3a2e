//! Store records: what must be durable before a command is acknowledged
//! (orders accepted and their status changes, places closed and reopened).
//!
//! The core stays sans-IO: it emits these records as outputs, and an
//! adapter (the order store of the `yardmaster` package, or the
//! simulator's) writes them to disk. Replaying the records of an order from
//! the start rebuilds it exactly. (The *journal* of `yardmaster serve
//! --journal` is something else: every [`crate::input::Input`], see
//! [`crate::replay`].)

use serde::{Deserialize, Serialize};

use crate::input::{Closure, PlaceId};
use crate::orders::{Millis, OrderRequest, OrderStatus, TransportOrder};

/// One durable fact: about a transport order, or a closed place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
pub enum StoreRecord {
    /// An order was accepted.
    Accepted {
        /// Its id.
        id: u64,
        /// When.
        at: Millis,
        /// The request as accepted.
        request: OrderRequest,
    },
    /// An order changed status.
    Status {
        /// Its id.
        id: u64,
        /// When.
        at: Millis,
        /// The new status.
        status: OrderStatus,
    },
    /// A node or edge was closed to traffic.
    Closed {
        /// What, why and since when.
        closure: Closure,
    },
    /// A closed node or edge was reopened.
    Opened {
        /// Which.
        place: PlaceId,
        /// When.
        at: Millis,
    },
}

impl StoreRecord {
    /// The order it is about, if it is about one.
    pub fn order(&self) -> Option<u64> {
        match self {
            StoreRecord::Accepted { id, .. } | StoreRecord::Status { id, .. } => Some(*id),
            StoreRecord::Closed { .. } | StoreRecord::Opened { .. } => None,
        }
    }
}

/// An order as stored: its request and its whole history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOrder {
    /// Id.
    pub id: u64,
    /// The request.
    pub request: OrderRequest,
    /// Every status with its time, first `Queued`.
    pub history: Vec<(Millis, OrderStatus)>,
}

impl StoredOrder {
    /// Applies one record about this order.
    pub fn apply(&mut self, record: &StoreRecord) {
        if let StoreRecord::Status { at, status, .. } = record {
            self.history.push((*at, status.clone()));
        }
    }

    /// The stored form of a live order.
    pub fn of(order: &TransportOrder) -> StoredOrder {
        StoredOrder { id: order.id, request: order.request.clone(), history: order.history.clone() }
    }
}
