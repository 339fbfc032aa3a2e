//! Journal records: what must be durable before an order is acknowledged.
//!
//! The core stays sans-IO: it emits these records as outputs, and an
//! adapter (the [`crate::store::OrderStore`]) writes them to disk. Replaying
//! the records of an order from the start rebuilds it exactly.

use serde::{Deserialize, Serialize};

use crate::orders::{Millis, OrderRequest, OrderStatus, TransportOrder};

/// One durable fact about a transport order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
pub enum JournalRecord {
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
}

impl JournalRecord {
    /// The order it is about.
    pub fn order(&self) -> u64 {
        match self {
            JournalRecord::Accepted { id, .. } | JournalRecord::Status { id, .. } => *id,
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
    pub fn apply(&mut self, record: &JournalRecord) {
        if let JournalRecord::Status { at, status, .. } = record {
            self.history.push((*at, status.clone()));
        }
    }

    /// The stored form of a live order.
    pub fn of(order: &TransportOrder) -> StoredOrder {
        StoredOrder { id: order.id, request: order.request.clone(), history: order.history.clone() }
    }
}
