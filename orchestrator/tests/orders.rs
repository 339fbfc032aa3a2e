//! Transport orders on the car plant: requests are validated against the
//! layout, only legal transitions happen, every transition is recorded, and
//! no order leaves a terminal state.

use std::path::PathBuf;

use orchestrator::orders::{Millis, OrderRequest, OrderStatus, RequestError, accept};
use proptest::prelude::*;

fn plant() -> &'static layout::Layout {
    static PLANT: std::sync::OnceLock<layout::Layout> = std::sync::OnceLock::new();
    PLANT.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maps/car-plant.lif.json");
        layout::load(&path, layout::LoadOptions::default()).unwrap().value
    })
}

fn request(from: &str, to: &str) -> OrderRequest {
    OrderRequest::new(from, to)
}

#[test]
fn requests_are_checked_against_the_layout() {
    let site = plant();
    assert!(accept(site, 1, request("WH-PICK-A1", "SM-L01"), 0).is_ok());
    let cases = [
        (
            request("NOWHERE", "SM-L01"),
            RequestError::UnknownStation { field: "from".into(), id: "NOWHERE".into() },
        ),
        (
            request("WH-PICK-A1", "SM-X99"),
            RequestError::UnknownStation { field: "to".into(), id: "SM-X99".into() },
        ),
        (request("SM-L01", "SM-L01"), RequestError::SameStation("SM-L01".into())),
        (
            OrderRequest {
                earliest_start: Some(Millis(10)),
                deadline: Some(Millis(5)),
                ..request("WH-PICK-A1", "SM-L01")
            },
            RequestError::DeadlineBeforeStart { earliest_start: Millis(10), deadline: Millis(5) },
        ),
        (
            OrderRequest { vehicle_type: Some("forklift".into()), ..request("WH-PICK-A1", "SM-L01") },
            RequestError::UnknownVehicleType("forklift".into()),
        ),
    ];
    for (req, want) in cases {
        assert_eq!(accept(site, 2, req, 0).unwrap_err(), want);
    }
}

fn milk_run(from: &str, via: &[&str], to: &str) -> OrderRequest {
    OrderRequest { via: via.iter().map(|s| s.to_string()).collect(), ..request(from, to) }
}

#[test]
fn a_milk_run_names_its_stops_and_each_must_exist_and_differ_from_the_one_before() {
    let site = plant();
    let order = accept(site, 1, milk_run("WH-PICK-A1", &["SM-L01", "SM-L02"], "SM-U03"), 0).unwrap();
    assert_eq!(order.via.len(), 2);
    assert_eq!(
        site.node(order.via[1]).id,
        site.node(orchestrator::orders::resolve_place(site, "SM-L02").unwrap()).id
    );
    // A round trip back to the pickup is a milk run, not a same-station order.
    assert!(accept(site, 1, milk_run("WH-PICK-A1", &["SM-L01"], "WH-PICK-A1"), 0).is_ok());
    let cases = [
        (
            milk_run("WH-PICK-A1", &["SM-L01", "NOWHERE"], "SM-U03"),
            RequestError::UnknownStation { field: "via[1]".into(), id: "NOWHERE".into() },
        ),
        (
            milk_run("WH-PICK-A1", &["WH-PICK-A1"], "SM-U03"),
            RequestError::RepeatedStop { field: "via[0]".into(), id: "WH-PICK-A1".into() },
        ),
        (
            milk_run("WH-PICK-A1", &["SM-L01", "SM-U03"], "SM-U03"),
            RequestError::RepeatedStop { field: "to".into(), id: "SM-U03".into() },
        ),
        (
            milk_run("WH-PICK-A1", &["SM-L01"; orchestrator::orders::MAX_VIA + 1], "SM-U03"),
            RequestError::TooManyStops(orchestrator::orders::MAX_VIA + 1),
        ),
    ];
    for (req, want) in cases {
        assert_eq!(accept(site, 2, req, 0).unwrap_err(), want);
    }
    // The JSON request: `via` is optional and round-trips.
    let json = r#"{"from": "WH-PICK-A1", "via": ["SM-L01"], "to": "SM-U03"}"#;
    let parsed: OrderRequest = serde_json::from_str(json).unwrap();
    assert_eq!(parsed.via, vec!["SM-L01".to_string()]);
    assert!(!serde_json::to_string(&request("A", "B")).unwrap().contains("via"));
}

#[test]
fn a_milk_run_calls_at_its_stops_in_order() {
    let site = plant();
    let mut order = accept(site, 7, milk_run("WH-DOCK-1", &["SM-L01", "SM-L02"], "SM-U03"), 0).unwrap();
    for s in [OrderStatus::Assigned { vehicle: "AGV-01".into() }, OrderStatus::ToPickup, OrderStatus::Loading]
    {
        order.transition(1, s).unwrap();
    }
    // Stops cannot be skipped or called at out of order.
    assert!(order.clone().transition(2, OrderStatus::ToStop { stop: 2 }).is_err());
    order.transition(2, OrderStatus::ToStop { stop: 1 }).unwrap();
    assert!(order.clone().transition(3, OrderStatus::ToStop { stop: 3 }).is_err());
    assert!(order.clone().transition(3, OrderStatus::Cancelled).is_err(), "the load is on board");
    order.transition(3, OrderStatus::ToStop { stop: 2 }).unwrap();
    for s in [OrderStatus::ToDrop, OrderStatus::Unloading, OrderStatus::Delivered] {
        order.transition(4, s).unwrap();
    }
    assert_eq!(order.history.len(), 9);
}

#[test]
fn a_delivery_goes_through_every_stage_with_times() {
    let site = plant();
    let mut order = accept(site, 7, request("WH-DOCK-1", "SM-U03"), 1_000).unwrap();
    let stages = [
        OrderStatus::Assigned { vehicle: "AGV-01".into() },
        OrderStatus::ToPickup,
        OrderStatus::Loading,
        OrderStatus::ToDrop,
        OrderStatus::Unloading,
        OrderStatus::Delivered,
    ];
    for (k, stage) in stages.iter().enumerate() {
        order.transition(2_000 + k as u64 * 1_000, stage.clone()).unwrap();
    }
    assert_eq!(order.history.len(), 7);
    assert_eq!(order.history[0], (Millis(1_000), OrderStatus::Queued));
    assert_eq!(*order.status(), OrderStatus::Delivered);
    let err = order.transition(9_000, OrderStatus::Cancelled).unwrap_err();
    assert_eq!(err.to_string(), "order 7: cannot go from delivered to cancelled");
}

#[test]
fn a_failed_vehicle_requeues_before_the_load_is_on_board_but_not_after() {
    let site = plant();
    let mut order = accept(site, 1, request("WH-DOCK-1", "SM-U03"), 0).unwrap();
    order.transition(1, OrderStatus::Assigned { vehicle: "AGV-01".into() }).unwrap();
    order.transition(2, OrderStatus::ToPickup).unwrap();
    order.transition(3, OrderStatus::Queued).unwrap();
    order.transition(4, OrderStatus::Assigned { vehicle: "AGV-02".into() }).unwrap();
    order.transition(5, OrderStatus::ToPickup).unwrap();
    order.transition(6, OrderStatus::Loading).unwrap();
    order.transition(7, OrderStatus::ToDrop).unwrap();
    assert!(order.transition(7, OrderStatus::Queued).is_err(), "the load is on the failed vehicle");
    order
        .transition(7, OrderStatus::Failed { reason: "vehicle AGV-02 broke down with the load".into() })
        .unwrap();
    assert!(order.status().is_terminal());
}

fn status(k: u8) -> OrderStatus {
    match k % 9 {
        0 => OrderStatus::Queued,
        1 => OrderStatus::Assigned { vehicle: "V".into() },
        2 => OrderStatus::ToPickup,
        3 => OrderStatus::Loading,
        4 => OrderStatus::ToDrop,
        5 => OrderStatus::Unloading,
        6 => OrderStatus::Delivered,
        7 => OrderStatus::Failed { reason: "r".into() },
        _ => OrderStatus::Cancelled,
    }
}

proptest! {
    #[test]
    fn random_transitions_never_leave_a_terminal_state_and_time_never_runs_back(
        steps in proptest::collection::vec((0u8..9, 0u64..1_000), 1..40),
    ) {
        let site = plant();
        let mut order = accept(site, 1, request("WH-DOCK-1", "SM-U03"), 0).unwrap();
        for (k, now) in steps {
            let before = order.clone();
            match order.transition(now, status(k)) {
                Ok(()) => prop_assert!(!before.status().is_terminal()),
                Err(_) => prop_assert_eq!(&order, &before, "a refused transition changes nothing"),
            }
        }
        prop_assert!(order.history.windows(2).all(|w| w[0].0 <= w[1].0));
        prop_assert!(order.history.iter().filter(|(_, s)| s.is_terminal()).count() <= 1);
    }
}
