//! From routes on the layout to VDA 5050 orders.
//!
//! A route is a list of layout nodes joined by layout edges. The first
//! `n_released` nodes (and the edges between them) form the base — the
//! part the orchestrator has reserved — and the rest goes out as the
//! unreleased horizon. An update re-sends the route from the current
//! decision point with its sequence ids unchanged, so it stitches.

use layout::{EdgeIdx, Layout, NodeIdx};
use protocol::messages::{self as vda, Header, NodePosition, Order, PROTOCOL_VERSION, Timestamp};

/// A route that cannot become an order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// No nodes.
    #[error("an empty route")]
    Empty,
    /// Two consecutive nodes are not joined by an edge.
    #[error("no edge from {from} to {to}")]
    NoEdge {
        /// From node id.
        from: String,
        /// To node id.
        to: String,
    },
    /// The base must hold at least the first node and at most the route.
    #[error("{released} released nodes for a route of {len}")]
    BadBase {
        /// Released nodes asked for.
        released: usize,
        /// Route length.
        len: usize,
    },
}

/// Who the order is for and which order it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderTarget<'a> {
    /// Vehicle manufacturer.
    pub manufacturer: &'a str,
    /// Vehicle serial number.
    pub serial_number: &'a str,
    /// Order id.
    pub order_id: &'a str,
    /// Update id (0 for a new order).
    pub order_update_id: u32,
    /// Header id to use.
    pub header_id: u32,
    /// Sequence id of the route's first node (0 for a new order, the
    /// decision point's for an update).
    pub first_sequence_id: u32,
}

/// The edges along a route (the first edge between each pair).
pub fn route_edges(layout: &Layout, route: &[NodeIdx]) -> Result<Vec<EdgeIdx>, RouteError> {
    route
        .windows(2)
        .map(|w| {
            layout.out_edges(w[0]).iter().copied().find(|e| layout.edge(*e).to == w[1]).ok_or_else(|| {
                RouteError::NoEdge { from: layout.node(w[0]).id.clone(), to: layout.node(w[1]).id.clone() }
            })
        })
        .collect()
}

/// Builds the order for `route` with its first `n_released` nodes released.
pub fn order_for_route(
    layout: &Layout,
    route: &[NodeIdx],
    n_released: usize,
    target: &OrderTarget<'_>,
    now: protocol::instant::Millis,
) -> Result<Order, RouteError> {
    let edges = route_edges(layout, route)?;
    order_for_path(layout, route, &edges, n_released, target, now)
}

/// Builds the order for the path `nodes` joined by exactly `edges` (one
/// fewer), with its first `n_released` nodes released.
pub fn order_for_path(
    layout: &Layout,
    route: &[NodeIdx],
    edges: &[EdgeIdx],
    n_released: usize,
    target: &OrderTarget<'_>,
    now: protocol::instant::Millis,
) -> Result<Order, RouteError> {
    if route.is_empty() {
        return Err(RouteError::Empty);
    }
    if n_released == 0 || n_released > route.len() {
        return Err(RouteError::BadBase { released: n_released, len: route.len() });
    }
    if edges.len() + 1 != route.len() {
        return Err(RouteError::BadBase { released: n_released, len: route.len() });
    }
    if let Some(i) = (0..edges.len()).find(|&i| {
        let e = layout.edge(edges[i]);
        e.from != route[i] || e.to != route[i + 1]
    }) {
        return Err(RouteError::NoEdge {
            from: layout.node(route[i]).id.clone(),
            to: layout.node(route[i + 1]).id.clone(),
        });
    }
    let map_id = |n: NodeIdx| {
        let node = layout.node(n);
        node.map_id.clone().unwrap_or_else(|| {
            layout.levels.get(node.level.index()).map_or_else(String::new, |l| l.id.clone())
        })
    };
    let nodes = route
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let node = layout.node(n);
            vda::Node {
                node_position: Some(NodePosition {
                    x: node.position.x,
                    y: node.position.y,
                    theta: None,
                    allowed_deviation_xy: None,
                    allowed_deviation_theta: None,
                    map_id: map_id(n),
                    map_description: None,
                }),
                ..vda::Node::new(node.id.clone(), target.first_sequence_id + 2 * i as u32, i < n_released)
            }
        })
        .collect();
    let edges = edges
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            let edge = layout.edge(e);
            vda::Edge {
                length: Some(edge.length),
                max_speed: edge.vehicle_types.iter().filter_map(|p| p.max_speed).reduce(f64::max),
                ..vda::Edge::new(
                    edge.id.clone(),
                    target.first_sequence_id + 2 * i as u32 + 1,
                    layout.node(edge.from).id.clone(),
                    layout.node(edge.to).id.clone(),
                    i + 1 < n_released,
                )
            }
        })
        .collect();
    Ok(Order {
        header: Header {
            header_id: target.header_id,
            timestamp: Timestamp::at(now),
            version: PROTOCOL_VERSION.into(),
            manufacturer: target.manufacturer.into(),
            serial_number: target.serial_number.into(),
        },
        order_id: target.order_id.into(),
        order_update_id: target.order_update_id,
        zone_set_id: None,
        nodes,
        edges,
    })
}
