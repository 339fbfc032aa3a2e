//! The durable order store: journal records applied to an embedded
//! database (`redb`), one transaction per batch, committed before the
//! caller acknowledges anything. On restart, [`OrderStore::load`] returns
//! every order with its history, for [`crate::fleet::Orchestrator::restore`].

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::journal::{JournalRecord, StoredOrder};

const ORDERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("orders");

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("order store {path}: {message}")]
    Database {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
    /// A stored record does not decode (a corrupt or foreign file).
    #[error("order store {path}: order {id} does not decode: {message}")]
    Corrupt {
        /// The file.
        path: String,
        /// The order.
        id: u64,
        /// Why.
        message: String,
    },
    /// A status for an order the store does not have.
    #[error("order store {path}: status for unknown order {id}")]
    UnknownOrder {
        /// The file.
        path: String,
        /// The order.
        id: u64,
    },
}

/// Orders on disk.
pub struct OrderStore {
    db: Database,
    path: String,
}

impl std::fmt::Debug for OrderStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderStore").field("path", &self.path).finish()
    }
}

impl OrderStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<OrderStore, StoreError> {
        let shown = path.display().to_string();
        let db = Database::create(path).map_err(|e| db_error(&shown, e))?;
        let store = OrderStore { db, path: shown };
        // Make sure the table exists, so that reading an empty store works.
        let txn = store.db.begin_write().map_err(|e| store.err(e))?;
        txn.open_table(ORDERS).map_err(|e| store.err(e))?;
        txn.commit().map_err(|e| store.err(e))?;
        Ok(store)
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        db_error(&self.path, e)
    }

    /// Applies `records` in one durable transaction.
    pub fn apply(&self, records: &[JournalRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = txn.open_table(ORDERS).map_err(|e| self.err(e))?;
            for record in records {
                let id = record.order();
                let mut order = match record {
                    JournalRecord::Accepted { id, at, request } => StoredOrder {
                        id: *id,
                        request: request.clone(),
                        history: vec![(*at, crate::orders::OrderStatus::Queued)],
                    },
                    JournalRecord::Status { .. } => {
                        let bytes = table.get(id).map_err(|e| self.err(e))?.map(|v| v.value().to_vec());
                        let Some(bytes) = bytes else {
                            return Err(StoreError::UnknownOrder { path: self.path.clone(), id });
                        };
                        let mut order = self.decode(id, &bytes)?;
                        order.apply(record);
                        order
                    }
                };
                order.id = id;
                let bytes = serde_json::to_vec(&order).map_err(|e| self.err(e))?;
                table.insert(id, bytes.as_slice()).map_err(|e| self.err(e))?;
            }
        }
        txn.commit().map_err(|e| self.err(e))
    }

    fn decode(&self, id: u64, bytes: &[u8]) -> Result<StoredOrder, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            id,
            message: e.to_string(),
        })
    }

    /// Every stored order, by id.
    pub fn load(&self) -> Result<Vec<StoredOrder>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = txn.open_table(ORDERS).map_err(|e| self.err(e))?;
        let mut orders = Vec::new();
        for entry in table.iter().map_err(|e| self.err(e))? {
            let (k, v) = entry.map_err(|e| self.err(e))?;
            orders.push(self.decode(k.value(), v.value())?);
        }
        Ok(orders)
    }
}

fn db_error(path: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database { path: path.to_string(), message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::{OrderRequest, OrderStatus};

    #[test]
    fn records_survive_reopening_and_unknown_orders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.redb");
        {
            let store = OrderStore::open(&path).unwrap();
            store
                .apply(&[
                    JournalRecord::Accepted { id: 1, at: 5, request: OrderRequest::new("A", "B") },
                    JournalRecord::Accepted { id: 2, at: 6, request: OrderRequest::new("B", "C") },
                    JournalRecord::Status {
                        id: 1,
                        at: 7,
                        status: OrderStatus::Assigned { vehicle: "v1".into() },
                    },
                ])
                .unwrap();
            let err = store
                .apply(&[JournalRecord::Status { id: 9, at: 8, status: OrderStatus::Cancelled }])
                .unwrap_err();
            assert!(err.to_string().contains("unknown order 9"), "{err}");
        }
        let store = OrderStore::open(&path).unwrap();
        let orders = store.load().unwrap();
        assert_eq!(orders.len(), 2);
        assert_eq!(
            orders[0].history,
            vec![(5, OrderStatus::Queued), (7, OrderStatus::Assigned { vehicle: "v1".into() })]
        );
        assert_eq!(orders[1].request.from, "B");
    }
}
