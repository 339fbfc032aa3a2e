//! The commands of the one door ([`crate::input::Input`]): restore, submit,
//! cancel, close and reopen. Only [`Orchestrator::step`] calls them.

use layout::NodeIdx;

use super::model::*;
use super::{EventKind, Goal, Orchestrator, tasks};
use crate::input::{Closure, CommandError, PlaceId};
use crate::orders::{Millis, OrderRequest, OrderStatus, RequestError, TransportOrder, accept};
use crate::records::{StoreRecord, StoredOrder};
use crate::traffic::reservations::{Place, VehicleIdx};

/// A refused cancellation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CancelError {
    /// No such order.
    #[error("no order {0}")]
    Unknown(u64),
    /// The order is past the point where it can be cancelled.
    #[error("order {id} is {status}: only queued orders and orders not yet loaded can be cancelled")]
    TooLate {
        /// The order.
        id: u64,
        /// Its status.
        status: &'static str,
    },
}

impl Orchestrator {
    /// Rebuilds the order book from the store after a restart.
    pub(super) fn restore(&mut self, now: Millis, stored: Vec<StoredOrder>) {
        let layout = self.world.resource::<Site>().layout.clone();
        let mut assigned: Vec<(VehicleIdx, u64, Leg, Goal)> = Vec::new();
        let by_serial = self.world.resource::<Fleet>().by_serial.clone();
        let keep = self.world.resource::<Config>().0.finished_kept;
        let mut book = self.world.resource_mut::<OrderBook>();
        let mut journal = Vec::new();
        for s in stored {
            book.next_id = book.next_id.max(s.id + 1);
            let mut order = match accept(&layout, s.id, s.request.clone(), Millis::ZERO) {
                Ok(mut order) => {
                    order.history = s.history;
                    order
                }
                Err(e) => {
                    let mut order = TransportOrder {
                        id: s.id,
                        pickup: NodeIdx(0),
                        drop: NodeIdx(0),
                        via: Vec::new(),
                        request: s.request,
                        history: s.history,
                    };
                    let status = OrderStatus::Failed { reason: format!("after restart: {e}") };
                    if order.transition(now, status.clone()).is_ok() {
                        journal.push(StoreRecord::Status { id: order.id, at: now, status });
                    }
                    order
                }
            };
            let vehicle = order.history.iter().rev().find_map(|(_, s)| match s {
                OrderStatus::Assigned { vehicle } => Some(vehicle.clone()),
                _ => None,
            });
            let leg = match order.status() {
                OrderStatus::Assigned { .. } | OrderStatus::ToPickup | OrderStatus::Loading => {
                    Some(Leg::Pick)
                }
                OrderStatus::ToStop { stop } => Some(Leg::Via(stop.saturating_sub(1))),
                OrderStatus::ToDrop | OrderStatus::Unloading => Some(Leg::Drop),
                _ => None,
            };
            if let Some(leg) = leg {
                match vehicle.and_then(|v| by_serial.get(&v).copied()) {
                    Some(v) => assigned.push((v, order.id, leg, tasks::leg_goal(&order, leg))),
                    None => {
                        let status = if leg == Leg::Pick {
                            OrderStatus::Queued
                        } else {
                            OrderStatus::Failed { reason: "its vehicle is no longer in the fleet".into() }
                        };
                        if order.transition(now, status.clone()).is_ok() {
                            journal.push(StoreRecord::Status { id: order.id, at: now, status });
                        }
                    }
                }
            }
            let (id, ended) = (order.id, order.status().is_terminal());
            book.orders.insert(id, order);
            if ended {
                book.retire(id, keep);
            }
        }
        for (v, order, leg, goal) in assigned {
            let entity = self.world.resource::<Fleet>().entities[v.0 as usize];
            if let Some(mut job) = self.world.get_mut::<Job>(entity) {
                *job = Job { kind: JobKind::Transport { order, leg }, since: now, goal: Some(goal) };
            }
            if let Some(mut drive) = self.world.get_mut::<Drive>(entity) {
                drive.start_new = true;
            }
        }
        self.world.resource_mut::<Outbox>().records.extend(journal);
    }

    /// Accepts a transport order.
    pub(super) fn submit(&mut self, now: Millis, request: OrderRequest) -> Result<u64, RequestError> {
        let layout = self.world.resource::<Site>().layout.clone();
        let mut book = self.world.resource_mut::<OrderBook>();
        let id = book.next_id;
        let order = accept(&layout, id, request.clone(), now)?;
        book.next_id += 1;
        book.orders.insert(id, order);
        let mut out = self.world.resource_mut::<Outbox>();
        out.records.push(StoreRecord::Accepted { id, at: now, request });
        out.event(now, EventKind::OrderAccepted { order: id });
        Ok(id)
    }

    /// Cancels an order that is queued or not yet loaded.
    pub(super) fn cancel(&mut self, now: Millis, id: u64) -> Result<(), CancelError> {
        let mut book = self.world.resource_mut::<OrderBook>();
        let order = book.orders.get_mut(&id).ok_or(CancelError::Unknown(id))?;
        order
            .transition(now, OrderStatus::Cancelled)
            .map_err(|_| CancelError::TooLate { id, status: order.status().name() })?;
        let keep = self.world.resource::<Config>().0.finished_kept;
        self.world.resource_mut::<OrderBook>().retire(id, keep);
        let mut out = self.world.resource_mut::<Outbox>();
        out.records.push(StoreRecord::Status { id, at: now, status: OrderStatus::Cancelled });
        out.event(now, EventKind::OrderStatus { order: id, status: OrderStatus::Cancelled });
        // The vehicle, if any, lets go at the next tick (update tasks).
        Ok(())
    }

    /// Closes (`Some(reason)`) or reopens (`None`) a node or edge.
    pub(super) fn set_closed(
        &mut self,
        now: Millis,
        place: PlaceId,
        reason: Option<String>,
    ) -> Result<(), CommandError> {
        let layout = self.world.resource::<Site>().layout.clone();
        let found = match &place {
            PlaceId::Node(id) => layout.node_by_id(id).map(Place::Node),
            PlaceId::Edge(id) => layout.edge_by_id(id).map(Place::Edge),
        };
        let kind = if matches!(place, PlaceId::Node(_)) { "node" } else { "edge" };
        let Some(found) = found else {
            return Err(CommandError::UnknownPlace { place, kind });
        };
        let mut blocked = self.world.resource_mut::<Blocked>();
        let (record, event) = match reason {
            Some(reason) => {
                let closure = Closure { place: place.clone(), reason: reason.clone(), since: now };
                blocked.closed.insert(found, closure.clone());
                (StoreRecord::Closed { closure }, EventKind::PlaceClosed { place: place.to_string(), reason })
            }
            None => {
                if blocked.closed.remove(&found).is_none() {
                    return Err(CommandError::NotClosed(place));
                }
                (
                    StoreRecord::Opened { place: place.clone(), at: now },
                    EventKind::PlaceOpened { place: place.to_string(), why: None },
                )
            }
        };
        let mut out = self.world.resource_mut::<Outbox>();
        out.records.push(record);
        out.event(now, event);
        Ok(())
    }
}
