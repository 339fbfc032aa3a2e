//! The rules of VDA 5050 orders, used by both sides: the orchestrator
//! checks what it sends, the agent checks what it receives.
//!
//! - [`validate_order`]: the shape of one order (alternating nodes and
//!   edges, even / odd contiguous sequence ids, edges joining their
//!   neighbours, base before horizon, base ending on a node, unique action
//!   ids).
//! - [`classify_order`]: the vehicle's acceptance flow for an order given
//!   what it is doing (new order, update, resend, or a rejection with the
//!   standard error type).
//! - [`check_continuation`]: that an update correctly continues a previous
//!   order.

use std::collections::BTreeSet;

use crate::messages::{Error, ErrorLevel, ErrorReference, ErrorType, Node, Order};

/// Why an order is not taken: the standard error type, a description and
/// the references that go into the vehicle's `errors` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// `validationError`, `orderUpdateError`, `noRouteError`, …
    pub error_type: ErrorType,
    /// For people.
    pub description: String,
    /// E.g. `orderId`, `orderUpdateId`, `nodeId`.
    pub references: Vec<(String, String)>,
}

impl Rejection {
    fn new(error_type: ErrorType, description: impl Into<String>, order: &Order) -> Rejection {
        Rejection {
            error_type,
            description: description.into(),
            references: vec![
                ("headerId".into(), order.header.header_id.to_string()),
                ("orderId".into(), order.order_id.clone()),
                ("orderUpdateId".into(), order.order_update_id.to_string()),
            ],
        }
    }

    fn with(mut self, key: &str, value: impl Into<String>) -> Rejection {
        self.references.push((key.to_string(), value.into()));
        self
    }

    /// The `errors` entry a vehicle reports (a warning: the vehicle goes on).
    pub fn to_error(&self) -> Error {
        Error {
            error_type: self.error_type.clone(),
            error_references: Some(
                self.references
                    .iter()
                    .map(|(k, v)| ErrorReference { reference_key: k.clone(), reference_value: v.clone() })
                    .collect(),
            ),
            error_description: Some(self.description.clone()),
            error_hint: None,
            error_level: ErrorLevel::Warning,
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error_type.as_str(), self.description)
    }
}

/// Checks the shape of an order; a failure is a `validationError`.
pub fn validate_order(order: &Order) -> Result<(), Rejection> {
    let invalid = |text: String| Rejection::new(ErrorType::ValidationError, text, order);
    if order.order_id.is_empty() {
        return Err(invalid("orderId is empty".into()));
    }
    let Some(first) = order.nodes.first() else {
        return Err(invalid("an order needs at least one node".into()));
    };
    if order.edges.len() + 1 != order.nodes.len() {
        return Err(invalid(format!(
            "{} nodes need {} edges, found {}",
            order.nodes.len(),
            order.nodes.len() - 1,
            order.edges.len()
        )));
    }
    if first.sequence_id % 2 != 0 {
        return Err(invalid(format!("node sequence ids are even; the first node has {}", first.sequence_id))
            .with("nodeId", &first.node_id));
    }
    for (i, node) in order.nodes.iter().enumerate() {
        let want = u64::from(first.sequence_id) + 2 * i as u64;
        if u64::from(node.sequence_id) != want {
            return Err(invalid(format!("nodes[{i}] has sequenceId {}, expected {want}", node.sequence_id))
                .with("nodeId", &node.node_id));
        }
        if node.node_id.is_empty() {
            return Err(invalid(format!("nodes[{i}] has an empty nodeId")));
        }
    }
    for (i, edge) in order.edges.iter().enumerate() {
        let want = u64::from(first.sequence_id) + 2 * i as u64 + 1;
        if u64::from(edge.sequence_id) != want {
            return Err(invalid(format!("edges[{i}] has sequenceId {}, expected {want}", edge.sequence_id))
                .with("edgeId", &edge.edge_id));
        }
        let (from, to) = (&order.nodes[i], &order.nodes[i + 1]);
        if edge.start_node_id != from.node_id || edge.end_node_id != to.node_id {
            return Err(invalid(format!(
                "edges[{i}] goes {} → {}, but it lies between nodes {} and {}",
                edge.start_node_id, edge.end_node_id, from.node_id, to.node_id
            ))
            .with("edgeId", &edge.edge_id));
        }
    }
    // Released elements form a prefix of the sequence node, edge, node, …
    // and the base ends on a node.
    if !first.released {
        return Err(invalid("the first node must be released (base)".into()).with("nodeId", &first.node_id));
    }
    let mut in_horizon = false;
    for i in 0..order.nodes.len() {
        let elements = [
            Some((order.nodes[i].released, &order.nodes[i].node_id)),
            order.edges.get(i).map(|e| (e.released, &e.edge_id)),
        ];
        for (released, id) in elements.into_iter().flatten() {
            if released && in_horizon {
                return Err(invalid(format!("{id} is released but comes after the horizon began")));
            }
            in_horizon |= !released;
        }
    }
    if let Some((i, edge)) =
        order.edges.iter().enumerate().find(|(i, e)| e.released && !order.nodes[i + 1].released)
    {
        return Err(invalid(format!(
            "the base ends on edge {} (edges[{i}]); it must end on a node",
            edge.edge_id
        )));
    }
    let mut action_ids = BTreeSet::new();
    let actions =
        order.nodes.iter().flat_map(|n| &n.actions).chain(order.edges.iter().flat_map(|e| &e.actions));
    for action in actions {
        if !action_ids.insert(action.action_id.as_str()) {
            return Err(invalid(format!("actionId {} is used twice", action.action_id))
                .with("actionId", &action.action_id));
        }
    }
    Ok(())
}

/// The last released node of an order: its decision point.
pub fn decision_point(order: &Order) -> Option<&Node> {
    order.nodes.iter().take_while(|n| n.released).last()
}

/// What the vehicle is doing, as the acceptance flow needs to know it.
#[derive(Clone, Copy, Debug)]
pub struct ActiveOrder<'a> {
    /// The current (or last) order's id.
    pub order_id: &'a str,
    /// Its update id.
    pub order_update_id: u32,
    /// Where an update must stitch: the decision point while the order
    /// runs, the last node reached once it is done.
    pub stitch_node: &'a Node,
    /// Whether the order is done (no node states left, all actions over).
    pub finished: bool,
}

/// What to do with an incoming order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderVerdict {
    /// A new order: replace the (finished) current one.
    NewOrder,
    /// An update of the current order: append its base, replace the horizon.
    Update,
    /// The same order and update again: ignore it, no error.
    Resend,
}

fn same_stitch(a: &Node, b: &Node) -> bool {
    a.node_id == b.node_id
        && a.sequence_id == b.sequence_id
        && a.node_position == b.node_position
        && a.actions == b.actions
}

/// The vehicle's acceptance flow (VDA 5050 2.1, condensed in
/// `PROTOCOL.md`). `starts_here` says whether a new order's first node is
/// where the vehicle stands.
pub fn classify_order(
    current: Option<ActiveOrder<'_>>,
    incoming: &Order,
    starts_here: impl Fn(&Node) -> bool,
) -> Result<OrderVerdict, Rejection> {
    validate_order(incoming)?;
    let first = &incoming.nodes[0];
    let new_order = |_: ()| {
        if starts_here(first) {
            Ok(OrderVerdict::NewOrder)
        } else {
            Err(Rejection::new(
                ErrorType::NoRouteError,
                format!("the order starts at node {}, which is not where the vehicle is", first.node_id),
                incoming,
            )
            .with("nodeId", &first.node_id))
        }
    };
    let Some(current) = current else { return new_order(()) };
    if incoming.order_id != current.order_id {
        if current.finished {
            return new_order(());
        }
        return Err(Rejection::new(
            ErrorType::OrderUpdateError,
            format!("order {} is still running; a new order is taken only when it is done", current.order_id),
            incoming,
        ));
    }
    if incoming.order_update_id < current.order_update_id {
        return Err(Rejection::new(
            ErrorType::OrderUpdateError,
            format!(
                "orderUpdateId {} is lower than the current {}",
                incoming.order_update_id, current.order_update_id
            ),
            incoming,
        ));
    }
    if incoming.order_update_id == current.order_update_id {
        return Ok(OrderVerdict::Resend);
    }
    if !same_stitch(first, current.stitch_node) {
        return Err(Rejection::new(
            ErrorType::OrderUpdateError,
            format!(
                "the update starts at node {} (sequence {}) but must stitch at node {} (sequence {})",
                first.node_id,
                first.sequence_id,
                current.stitch_node.node_id,
                current.stitch_node.sequence_id
            ),
            incoming,
        )
        .with("nodeId", &first.node_id));
    }
    Ok(OrderVerdict::Update)
}

/// Checks that `update` correctly continues `previous` (same order id,
/// higher update id, stitched at the previous decision point, both valid).
pub fn check_continuation(previous: &Order, update: &Order) -> Result<(), Rejection> {
    validate_order(previous)?;
    let stitch = decision_point(previous).ok_or_else(|| {
        Rejection::new(ErrorType::ValidationError, "the previous order has no base", previous)
    })?;
    let current = ActiveOrder {
        order_id: &previous.order_id,
        order_update_id: previous.order_update_id,
        stitch_node: stitch,
        finished: false,
    };
    match classify_order(Some(current), update, |_| false)? {
        OrderVerdict::Update => Ok(()),
        OrderVerdict::Resend => Err(Rejection::new(
            ErrorType::OrderUpdateError,
            "the update has the same orderUpdateId as the previous order",
            update,
        )),
        OrderVerdict::NewOrder => Err(Rejection::new(ErrorType::OrderUpdateError, "not an update", update)),
    }
}
