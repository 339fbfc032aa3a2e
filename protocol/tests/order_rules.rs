//! The order rules both sides use: shape validation, the vehicle's
//! acceptance flow (conformance checklist 3–8 of PROTOCOL.md) and update
//! stitching.

mod common;

use common::*;
use protocol::messages::{ErrorType, Order};
use protocol::order_rules::{
    ActiveOrder, OrderVerdict, check_continuation, classify_order, decision_point, validate_order,
};

/// n0 –e1– n2 –e3– n4 ... with `released` nodes in the base.
fn order(id: &str, update: u32, first_seq: u32, ids: &[&str], released: usize) -> Order {
    let mut o = rich_order();
    o.order_id = id.into();
    o.order_update_id = update;
    o.nodes = ids
        .iter()
        .enumerate()
        .map(|(i, n)| order_node(n, first_seq + 2 * i as u32, i < released, vec![]))
        .collect();
    o.edges = ids
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            order_edge(
                &format!("{}-{}", w[0], w[1]),
                first_seq + 2 * i as u32 + 1,
                w[0],
                w[1],
                i + 1 < released,
            )
        })
        .collect();
    o
}

fn validation_error(o: &Order) -> String {
    let err = validate_order(o).unwrap_err();
    assert_eq!(err.error_type, ErrorType::ValidationError);
    err.description
}

#[test]
fn well_formed_orders_pass() {
    validate_order(&order("o", 0, 0, &["a", "b", "c", "d"], 2)).unwrap();
    validate_order(&order("o", 3, 8, &["d", "e"], 2)).unwrap();
    validate_order(&order("o", 0, 0, &["a"], 1)).unwrap();
    validate_order(&rich_order()).unwrap();
}

#[test]
fn malformed_orders_are_validation_errors() {
    let base = order("o", 0, 0, &["a", "b", "c"], 2);
    type Mutation = Box<dyn Fn(&mut Order)>;
    let cases: Vec<(Mutation, &str)> = vec![
        (Box::new(|o| o.nodes.clear()), "at least one node"),
        (Box::new(|o| o.order_id.clear()), "orderId is empty"),
        (
            Box::new(|o| {
                o.edges.pop();
            }),
            "need 2 edges",
        ),
        (Box::new(|o| o.nodes[1].sequence_id = 3), "expected 2"),
        (Box::new(|o| o.edges[0].sequence_id = 2), "expected 1"),
        (
            Box::new(|o| {
                o.nodes.iter_mut().for_each(|n| n.sequence_id += 1);
                o.edges.iter_mut().for_each(|e| e.sequence_id += 1);
            }),
            "even",
        ),
        (Box::new(|o| o.edges[1].end_node_id = "z".into()), "lies between nodes b and c"),
        (Box::new(|o| o.nodes[0].released = false), "first node must be released"),
        (
            Box::new(|o| {
                o.nodes[2].released = true;
                o.edges[1].released = false;
            }),
            "after the horizon",
        ),
        (Box::new(|o| o.edges[1].released = true), "must end on a node"),
        (
            Box::new(|o| {
                o.nodes[0].actions = vec![action("x", protocol::messages::BlockingType::Hard)];
                o.nodes[1].actions = vec![action("x", protocol::messages::BlockingType::Hard)];
            }),
            "actionId x is used twice",
        ),
    ];
    for (mutate, needle) in cases {
        let mut o = base.clone();
        mutate(&mut o);
        let text = validation_error(&o);
        assert!(text.contains(needle), "wanted {needle:?} in {text:?}");
    }
}

#[test]
fn the_acceptance_flow() {
    let running = order("o1", 2, 0, &["a", "b", "c", "d"], 2); // decision point b (seq 2)
    let stitch = decision_point(&running).unwrap().clone();
    assert_eq!((stitch.node_id.as_str(), stitch.sequence_id), ("b", 2));
    let active = ActiveOrder { order_id: "o1", order_update_id: 2, stitch_node: &stitch, finished: false };
    let at_a = |n: &protocol::messages::Node| n.node_id == "a";

    // Idle vehicle: a new order must start where it is.
    assert_eq!(classify_order(None, &order("o1", 0, 0, &["a", "b"], 2), at_a), Ok(OrderVerdict::NewOrder));
    let e = classify_order(None, &order("o1", 0, 0, &["x", "b"], 2), at_a).unwrap_err();
    assert_eq!(e.error_type, ErrorType::NoRouteError);
    assert!(e.references.contains(&("nodeId".into(), "x".into())));

    // 6: lower update id → orderUpdateError.
    let e = classify_order(Some(active), &order("o1", 1, 2, &["b", "c"], 2), at_a).unwrap_err();
    assert_eq!(e.error_type, ErrorType::OrderUpdateError);
    // 7: equal update id → resend, ignored.
    assert_eq!(
        classify_order(Some(active), &order("o1", 2, 0, &["a", "b", "c", "d"], 2), at_a),
        Ok(OrderVerdict::Resend)
    );
    // 5: a higher update stitching at the decision point is taken...
    let mut update = order("o1", 3, 2, &["b", "c", "d"], 3);
    update.nodes[0] = stitch.clone();
    assert_eq!(classify_order(Some(active), &update, at_a), Ok(OrderVerdict::Update));
    // ...one stitching elsewhere is not,
    let e = classify_order(Some(active), &order("o1", 3, 4, &["c", "d"], 2), at_a).unwrap_err();
    assert_eq!(e.error_type, ErrorType::OrderUpdateError);
    // ...nor one whose stitching node changed content.
    let mut changed = update.clone();
    changed.nodes[0].actions = vec![action("new", protocol::messages::BlockingType::Hard)];
    assert_eq!(
        classify_order(Some(active), &changed, at_a).unwrap_err().error_type,
        ErrorType::OrderUpdateError
    );
    // 8: a new order while busy is rejected; once done it is taken.
    let other = order("o2", 0, 0, &["a", "e"], 2);
    assert_eq!(
        classify_order(Some(active), &other, at_a).unwrap_err().error_type,
        ErrorType::OrderUpdateError
    );
    let done = ActiveOrder { finished: true, ..active };
    assert_eq!(classify_order(Some(done), &other, at_a), Ok(OrderVerdict::NewOrder));
    // A malformed order is a validation error before anything else.
    let mut bad = update.clone();
    bad.edges.clear();
    assert_eq!(classify_order(Some(active), &bad, at_a).unwrap_err().error_type, ErrorType::ValidationError);
}

#[test]
fn continuation_of_our_own_updates() {
    let first = order("o", 0, 0, &["a", "b", "c"], 2);
    let mut next = order("o", 1, 2, &["b", "c", "d"], 2);
    next.nodes[0] = first.nodes[1].clone();
    check_continuation(&first, &next).unwrap();
    let mut same_id = next.clone();
    same_id.order_update_id = 0;
    assert!(check_continuation(&first, &same_id).is_err());
    let wrong_stitch = order("o", 1, 4, &["c", "d"], 2);
    assert_eq!(
        check_continuation(&first, &wrong_stitch).unwrap_err().error_type,
        ErrorType::OrderUpdateError
    );
}

#[test]
fn rejections_become_vehicle_errors_with_references() {
    let e = classify_order(None, &order("o9", 0, 0, &["x"], 1), |_| false).unwrap_err();
    let err = e.to_error();
    let refs = err.error_references.unwrap();
    assert!(refs.iter().any(|r| r.reference_key == "orderId" && r.reference_value == "o9"));
    assert_eq!(err.error_type, ErrorType::NoRouteError);
    assert!(err.error_description.unwrap().contains("x"));
}
