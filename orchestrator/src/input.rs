//! The one door into the core: [`Input`], every input that can change the
//! orchestrator, and [`Reply`], what the core answers to each.
//!
//! [`crate::fleet::Orchestrator::step`] takes a batch of inputs at one
//! instant and applies them in order; nothing else changes the core. The
//! live process journals exactly these batches and `yard-sim replay` feeds
//! exactly them back (see [`crate::replay`]), so a recording cannot miss an
//! input: there is no other way in.
//!
//! Inputs are serde types (the journal's lines). A vehicle's message is
//! kept as its key and payload text, so that a replay decodes it with the
//! same codec, and rejects the same garbage, as the live link did.
//!
//! ```
//! use orchestrator::input::{Input, PlaceId};
//! let close = Input::Close { place: PlaceId::Node("N7".into()), reason: "spill".into() };
//! let line = serde_json::to_string(&close).unwrap();
//! assert_eq!(line, r#"{"input":"close","place":{"node":"N7"},"reason":"spill"}"#);
//! assert_eq!(serde_json::from_str::<Input>(&line).unwrap(), close);
//! ```

use protocol::transport::OrchestratorEvent;
use serde::{Deserialize, Serialize};

use crate::fleet::CancelError;
use crate::orders::{Millis, OrderRequest, RequestError};
use crate::records::StoredOrder;

/// Everything that can change the orchestrator core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "kebab-case")]
pub enum Input {
    /// Run one tick of the schedule (ingest, tasks, assign, plan, reserve,
    /// emit, monitor) over the vehicle inputs queued since the last tick.
    Tick,
    /// A vehicle's message, presence change or rejected payload, as the
    /// link delivered it; queued for the next tick's ingest.
    Vehicle(#[serde(with = "crate::replay::wire")] OrchestratorEvent),
    /// Accept a transport order (answered [`Reply::Submitted`]).
    Submit {
        /// The request.
        request: OrderRequest,
    },
    /// Cancel an order that is queued or not yet loaded.
    Cancel {
        /// Its id.
        order: u64,
    },
    /// Close a node or edge to traffic: no new release enters it and
    /// routes avoid it; vehicles already released there finish. Durable.
    Close {
        /// Which.
        place: PlaceId,
        /// Why (for operators; never read by the core).
        #[serde(default)]
        reason: String,
    },
    /// Reopen a closed node or edge. Durable.
    Open {
        /// Which.
        place: PlaceId,
    },
    /// After a restart: the orders and closures from the store. Orders in
    /// progress go back to their vehicles, which are re-adopted from their
    /// reported states.
    Restore {
        /// Every live order with its history.
        orders: Vec<StoredOrder>,
        /// Every closed place.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        closed: Vec<Closure>,
        /// The next order id (ids are never reused).
        #[serde(default)]
        next_order: u64,
    },
}

impl Input {
    /// The inputs of one tick: the vehicles' events, then the tick.
    pub fn tick_with(events: Vec<OrchestratorEvent>) -> Vec<Input> {
        let mut inputs: Vec<Input> = events.into_iter().map(Input::Vehicle).collect();
        inputs.push(Input::Tick);
        inputs
    }
}

impl From<OrchestratorEvent> for Input {
    fn from(event: OrchestratorEvent) -> Input {
        Input::Vehicle(event)
    }
}

/// A node or edge of the layout, by its id in the layout file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlaceId {
    /// A node.
    Node(String),
    /// An edge.
    Edge(String),
}

impl std::fmt::Display for PlaceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlaceId::Node(id) => write!(f, "node {id}"),
            PlaceId::Edge(id) => write!(f, "edge {id}"),
        }
    }
}

/// A closed place, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// Which.
    pub place: PlaceId,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// Since when.
    pub since: Millis,
}

/// What the core answers to one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Applied (ticks, vehicle inputs, cancellations, closures, restores).
    Done,
    /// The order was accepted with this id.
    Submitted {
        /// Its id.
        order: u64,
    },
    /// Refused, and why; the core is unchanged.
    Refused(CommandError),
}

/// An operator's command that the core refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The order request is not valid on this layout.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The order cannot be cancelled.
    #[error(transparent)]
    Cancel(#[from] CancelError),
    /// No such node or edge.
    #[error("{place}: no such {kind} in the layout")]
    UnknownPlace {
        /// What was named.
        place: PlaceId,
        /// `node` or `edge`.
        kind: &'static str,
    },
    /// Reopening a place that is not closed.
    #[error("{0} is not closed")]
    NotClosed(PlaceId),
}
