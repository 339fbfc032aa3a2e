//! The durable order store: journal records applied to an embedded
//! database (`redb`), one transaction per batch, committed before the
//! caller acknowledges anything. On restart, [`OrderStore::load`] returns
//! the live orders with their history and the closed places, as the core's
//! [`Input::Restore`]. Finished orders move to a table of their own, kept
//! for queries until [`OrderStore::prune`] drops them.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use orchestrator::input::{Closure, Input};
use orchestrator::orders::Millis;
use orchestrator::records::{StoreRecord, StoredOrder};

/// Orders not yet finished.
const ORDERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("orders");
/// Finished orders (delivered, failed, cancelled), until pruned.
const FINISHED: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("finished");
/// Closed places, by their JSON key.
const CLOSED: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("closed");
/// Idempotency keys of the HTTP API: the request's fingerprint and the
/// answer it got, committed with the orders it created.
const IDEMPOTENCY: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("idempotency");
/// Counters.
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
const NEXT_ORDER: &str = "next_order";

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

/// What a restart needs from the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// Orders not yet finished, by id.
    pub orders: Vec<StoredOrder>,
    /// Closed places.
    pub closed: Vec<Closure>,
    /// The next order id (ids are never reused, finished orders included).
    pub next_order: u64,
}

impl Stored {
    /// The core's input that restores this.
    pub fn into_input(self) -> Input {
        Input::Restore { orders: self.orders, closed: self.closed, next_order: self.next_order }
    }
}

/// What a request with an idempotency key was answered, kept so that a
/// retry gets the same answer instead of creating the orders again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Remembered {
    /// A digest of the request (method, path and body): a retry with the
    /// same key but another request is refused.
    pub fingerprint: String,
    /// The HTTP status it got.
    pub status: u16,
    /// The body it got.
    pub body: String,
    /// When, ms (keys are forgotten with the finished orders, after the retention).
    pub at: Millis,
}

/// Which orders [`OrderStore::list`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only orders whose latest status has this name (`queued`, `delivered`, …).
    pub state: Option<String>,
    /// Only orders this vehicle (serial) was assigned.
    pub vehicle: Option<String>,
    /// Only orders accepted at or after this time, ms.
    pub since: Option<Millis>,
    /// Only orders accepted before this time, ms.
    pub until: Option<Millis>,
}

impl OrderFilter {
    /// Whether `order` passes.
    pub fn accepts(&self, order: &StoredOrder) -> bool {
        let accepted = order.history.first().map_or(Millis(0), |h| h.0);
        self.state.as_ref().is_none_or(|s| order.history.last().is_some_and(|h| h.1.name() == s))
            && self.vehicle.as_ref().is_none_or(|v| {
                order.history.iter().any(|h| {
                    matches!(&h.1, orchestrator::orders::OrderStatus::Assigned { vehicle } if vehicle == v)
                })
            })
            && self.since.is_none_or(|s| accepted >= s)
            && self.until.is_none_or(|u| accepted < u)
    }
}

/// Which ids a page of [`OrderStore::list`] covers, and in which order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Only ids above this.
    pub after: Option<u64>,
    /// Only ids below this.
    pub before: Option<u64>,
    /// Newest (largest id) first.
    pub newest_first: bool,
}

/// Orders on disk: the live ones, the finished ones (kept for queries
/// until [`OrderStore::prune`]), and the closed places.
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
        // Make sure the tables exist, so that reading an empty store works.
        let txn = store.db.begin_write().map_err(|e| store.err(e))?;
        txn.open_table(ORDERS).map_err(|e| store.err(e))?;
        txn.open_table(FINISHED).map_err(|e| store.err(e))?;
        txn.open_table(CLOSED).map_err(|e| store.err(e))?;
        txn.open_table(META).map_err(|e| store.err(e))?;
        txn.open_table(IDEMPOTENCY).map_err(|e| store.err(e))?;
        txn.commit().map_err(|e| store.err(e))?;
        Ok(store)
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        db_error(&self.path, e)
    }

    /// Applies `records` in one durable transaction.
    pub fn apply(&self, records: &[StoreRecord]) -> Result<(), StoreError> {
        self.apply_remembering(records, &[])
    }

    /// Applies `records` and remembers the answers to idempotency keys, in
    /// one durable transaction: the orders a keyed request created and the
    /// key are committed together, or neither.
    pub fn apply_remembering(
        &self,
        records: &[StoreRecord],
        keys: &[(String, Remembered)],
    ) -> Result<(), StoreError> {
        if records.is_empty() && keys.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = txn.open_table(IDEMPOTENCY).map_err(|e| self.err(e))?;
            for (key, answer) in keys {
                let bytes = serde_json::to_vec(answer).map_err(|e| self.err(e))?;
                table.insert(key.as_str(), bytes.as_slice()).map_err(|e| self.err(e))?;
            }
        }
        {
            let mut live = txn.open_table(ORDERS).map_err(|e| self.err(e))?;
            let mut finished = txn.open_table(FINISHED).map_err(|e| self.err(e))?;
            let mut closed = txn.open_table(CLOSED).map_err(|e| self.err(e))?;
            let mut meta = txn.open_table(META).map_err(|e| self.err(e))?;
            for record in records {
                match record {
                    StoreRecord::Accepted { id, at, request } => {
                        let order = StoredOrder {
                            id: *id,
                            request: request.clone(),
                            history: vec![(*at, orchestrator::orders::OrderStatus::Queued)],
                        };
                        let next = meta.get(NEXT_ORDER).map_err(|e| self.err(e))?.map_or(1, |v| v.value());
                        meta.insert(NEXT_ORDER, next.max(id + 1)).map_err(|e| self.err(e))?;
                        let bytes = serde_json::to_vec(&order).map_err(|e| self.err(e))?;
                        live.insert(id, bytes.as_slice()).map_err(|e| self.err(e))?;
                    }
                    StoreRecord::Status { id, at, status } => {
                        let bytes = live.get(id).map_err(|e| self.err(e))?.map(|v| v.value().to_vec());
                        let Some(bytes) = bytes else {
                            return Err(StoreError::UnknownOrder { path: self.path.clone(), id: *id });
                        };
                        let mut order = self.decode(*id, &bytes)?;
                        order.history.push((*at, status.clone()));
                        let bytes = serde_json::to_vec(&order).map_err(|e| self.err(e))?;
                        if status.is_terminal() {
                            live.remove(id).map_err(|e| self.err(e))?;
                            finished.insert(id, bytes.as_slice()).map_err(|e| self.err(e))?;
                        } else {
                            live.insert(id, bytes.as_slice()).map_err(|e| self.err(e))?;
                        }
                    }
                    StoreRecord::Closed { closure } => {
                        let key = serde_json::to_string(&closure.place).map_err(|e| self.err(e))?;
                        let bytes = serde_json::to_vec(closure).map_err(|e| self.err(e))?;
                        closed.insert(key.as_str(), bytes.as_slice()).map_err(|e| self.err(e))?;
                    }
                    StoreRecord::Opened { place, .. } => {
                        let key = serde_json::to_string(place).map_err(|e| self.err(e))?;
                        closed.remove(key.as_str()).map_err(|e| self.err(e))?;
                    }
                }
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

    /// What a restart needs: live orders, closed places, the next id.
    pub fn load(&self) -> Result<Stored, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = txn.open_table(ORDERS).map_err(|e| self.err(e))?;
        let mut orders = Vec::new();
        for entry in table.iter().map_err(|e| self.err(e))? {
            let (k, v) = entry.map_err(|e| self.err(e))?;
            orders.push(self.decode(k.value(), v.value())?);
        }
        let mut closed = Vec::new();
        for entry in txn.open_table(CLOSED).map_err(|e| self.err(e))?.iter().map_err(|e| self.err(e))? {
            let (_, v) = entry.map_err(|e| self.err(e))?;
            closed.push(serde_json::from_slice(v.value()).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                id: 0,
                message: format!("a closed place does not decode: {e}"),
            })?);
        }
        let meta = txn.open_table(META).map_err(|e| self.err(e))?;
        let next_order = meta.get(NEXT_ORDER).map_err(|e| self.err(e))?.map_or(1, |v| v.value());
        Ok(Stored { orders, closed, next_order })
    }

    /// One order, live or finished.
    pub fn order(&self, id: u64) -> Result<Option<StoredOrder>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        for table in [ORDERS, FINISHED] {
            let table = txn.open_table(table).map_err(|e| self.err(e))?;
            if let Some(v) = table.get(id).map_err(|e| self.err(e))? {
                return self.decode(id, v.value()).map(Some);
            }
        }
        Ok(None)
    }

    /// The remembered answer to an idempotency key, if it was used.
    pub fn remembered(&self, key: &str) -> Result<Option<Remembered>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = txn.open_table(IDEMPOTENCY).map_err(|e| self.err(e))?;
        let Some(v) = table.get(key).map_err(|e| self.err(e))? else { return Ok(None) };
        serde_json::from_slice(v.value()).map(Some).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            id: 0,
            message: format!("idempotency key {key:?} does not decode: {e}"),
        })
    }

    /// Orders live or finished that pass `filter`, by id, from `cursor`
    /// on, at most `limit` (a page; the next starts after its last id).
    pub fn list(
        &self,
        filter: &OrderFilter,
        cursor: Cursor,
        limit: usize,
    ) -> Result<Vec<StoredOrder>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let live = txn.open_table(ORDERS).map_err(|e| self.err(e))?;
        let finished = txn.open_table(FINISHED).map_err(|e| self.err(e))?;
        type Entries<'a> = Box<
            dyn Iterator<
                    Item = Result<
                        (redb::AccessGuard<'a, u64>, redb::AccessGuard<'a, &'static [u8]>),
                        redb::StorageError,
                    >,
                > + 'a,
        >;
        let from = cursor.after.map_or(0, |a| a.saturating_add(1));
        let to = cursor.before.unwrap_or(u64::MAX);
        let newest_first = cursor.newest_first;
        if from >= to {
            return Ok(Vec::new());
        }
        let (a, b): (Entries<'_>, Entries<'_>) = if newest_first {
            (
                Box::new(live.range(from..to).map_err(|e| self.err(e))?.rev()),
                Box::new(finished.range(from..to).map_err(|e| self.err(e))?.rev()),
            )
        } else {
            (
                Box::new(live.range(from..to).map_err(|e| self.err(e))?),
                Box::new(finished.range(from..to).map_err(|e| self.err(e))?),
            )
        };
        let (mut a, mut b) = (a.peekable(), b.peekable());
        let mut orders = Vec::new();
        while orders.len() < limit {
            // An entry that failed reads as id 0: its error is returned when taken.
            let ka = a.peek().map(|e| e.as_ref().map_or(0, |(k, _)| k.value()));
            let kb = b.peek().map(|e| e.as_ref().map_or(0, |(k, _)| k.value()));
            let take_a = match (ka, kb) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(x), Some(y)) => (x <= y) != newest_first,
            };
            let entry = if take_a { a.next() } else { b.next() };
            let Some(entry) = entry else { break };
            let (k, v) = entry.map_err(|e| self.err(e))?;
            let order = self.decode(k.value(), v.value())?;
            if filter.accepts(&order) {
                orders.push(order);
            }
        }
        Ok(orders)
    }

    /// How many orders the store holds: (live, finished).
    pub fn counts(&self) -> Result<(u64, u64), StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let live = txn.open_table(ORDERS).map_err(|e| self.err(e))?.len().map_err(|e| self.err(e))?;
        let finished = txn.open_table(FINISHED).map_err(|e| self.err(e))?.len().map_err(|e| self.err(e))?;
        Ok((live, finished))
    }

    /// Finished orders with ids in `range`, at most `limit`, by id.
    pub fn finished(
        &self,
        range: std::ops::RangeFrom<u64>,
        limit: usize,
    ) -> Result<Vec<StoredOrder>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = txn.open_table(FINISHED).map_err(|e| self.err(e))?;
        let mut orders = Vec::new();
        for entry in table.range(range).map_err(|e| self.err(e))?.take(limit) {
            let (k, v) = entry.map_err(|e| self.err(e))?;
            orders.push(self.decode(k.value(), v.value())?);
        }
        Ok(orders)
    }

    /// Forgets finished orders that ended before `before` (the retention
    /// setting); returns how many went.
    pub fn prune(&self, before: Millis) -> Result<usize, StoreError> {
        let txn = self.db.begin_write().map_err(|e| self.err(e))?;
        let mut gone = Vec::new();
        {
            let table = txn.open_table(FINISHED).map_err(|e| self.err(e))?;
            for entry in table.iter().map_err(|e| self.err(e))? {
                let (k, v) = entry.map_err(|e| self.err(e))?;
                let order = self.decode(k.value(), v.value())?;
                if order.history.last().is_some_and(|(at, _)| *at < before) {
                    gone.push(k.value());
                }
            }
        }
        {
            let mut table = txn.open_table(FINISHED).map_err(|e| self.err(e))?;
            for id in &gone {
                table.remove(id).map_err(|e| self.err(e))?;
            }
        }
        {
            let mut table = txn.open_table(IDEMPOTENCY).map_err(|e| self.err(e))?;
            table
                .retain(|_, v| {
                    serde_json::from_slice::<Remembered>(v).map_or(true, |r: Remembered| r.at >= before)
                })
                .map_err(|e| self.err(e))?;
        }
        txn.commit().map_err(|e| self.err(e))?;
        Ok(gone.len())
    }
}

fn db_error(path: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database { path: path.to_string(), message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orchestrator::orders::{OrderRequest, OrderStatus};

    #[test]
    fn records_survive_reopening_and_unknown_orders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.redb");
        {
            let store = OrderStore::open(&path).unwrap();
            store
                .apply(&[
                    StoreRecord::Accepted { id: 1, at: Millis(5), request: OrderRequest::new("A", "B") },
                    StoreRecord::Accepted { id: 2, at: Millis(6), request: OrderRequest::new("B", "C") },
                    StoreRecord::Status {
                        id: 1,
                        at: Millis(7),
                        status: OrderStatus::Assigned { vehicle: "v1".into() },
                    },
                ])
                .unwrap();
            let err = store
                .apply(&[StoreRecord::Status { id: 9, at: Millis(8), status: OrderStatus::Cancelled }])
                .unwrap_err();
            assert!(err.to_string().contains("unknown order 9"), "{err}");
        }
        let store = OrderStore::open(&path).unwrap();
        let orders = store.load().unwrap().orders;
        assert_eq!(orders.len(), 2);
        assert_eq!(
            orders[0].history,
            vec![
                (Millis(5), OrderStatus::Queued),
                (Millis(7), OrderStatus::Assigned { vehicle: "v1".into() })
            ]
        );
        assert_eq!(orders[1].request.from, "B");
    }

    #[test]
    fn finished_orders_leave_the_live_table_ids_are_never_reused_and_closures_persist() {
        use orchestrator::input::PlaceId;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.redb");
        let store = OrderStore::open(&path).unwrap();
        let closure = Closure { place: PlaceId::Node("N1".into()), reason: "spill".into(), since: Millis(3) };
        store
            .apply(&[
                StoreRecord::Accepted { id: 1, at: Millis(5), request: OrderRequest::new("A", "B") },
                StoreRecord::Accepted { id: 2, at: Millis(6), request: OrderRequest::new("B", "C") },
                StoreRecord::Status { id: 1, at: Millis(9), status: OrderStatus::Cancelled },
                StoreRecord::Closed { closure: closure.clone() },
                StoreRecord::Closed {
                    closure: Closure {
                        place: PlaceId::Edge("E1".into()),
                        reason: String::new(),
                        since: Millis(4),
                    },
                },
                StoreRecord::Opened { place: PlaceId::Edge("E1".into()), at: Millis(8) },
            ])
            .unwrap();
        drop(store);
        let store = OrderStore::open(&path).unwrap();
        let stored = store.load().unwrap();
        assert_eq!(stored.orders.iter().map(|o| o.id).collect::<Vec<_>>(), vec![2]);
        assert_eq!(stored.closed, vec![closure]);
        assert_eq!(stored.next_order, 3);
        assert_eq!(store.order(1).unwrap().unwrap().history.last().unwrap().1, OrderStatus::Cancelled);
        assert_eq!(store.finished(0.., 10).unwrap().len(), 1);
        assert_eq!(store.prune(Millis(9)).unwrap(), 0, "ended at 9: kept");
        assert_eq!(store.prune(Millis(10)).unwrap(), 1);
        assert!(store.order(1).unwrap().is_none());
        // Every order finished: the next id still follows the last one.
        store
            .apply(&[StoreRecord::Status { id: 2, at: Millis(11), status: OrderStatus::Cancelled }])
            .unwrap();
        assert_eq!(store.load().unwrap().next_order, 3);
    }
}
