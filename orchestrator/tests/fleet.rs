//! The orchestrator core end to end with scripted vehicles over an
//! in-memory exchange: deliveries on the car plant, stitched updates,
//! fencing and requeueing, restart from the order store, bad input,
//! head-on traffic, charging. Every tick passes the independent safety
//! check of `common::check_safety`.

mod common;

use common::{Harness, MemoryStore, grid, plant, vid};
use orchestrator::fleet::{EventKind, FleetConfig, Orchestrator, VehicleSpec};
use orchestrator::input::{CommandError, PlaceId};
use orchestrator::orders::{Millis, OrderRequest, OrderStatus, RequestError};
use orchestrator::traffic::waits::WaitReason;
use protocol::messages::{AgvPosition, ConnectionState};
use protocol::transport::{FromVehicle, OrchestratorEvent, VehicleId};

const AGV: &str = "yard.compact-agv";
const PARKING: [&str; 6] =
    ["N0970-0100", "N1030-0100", "N0970-0150", "N1030-0150", "N0970-0200", "N1030-0200"];

fn plant_config() -> FleetConfig {
    FleetConfig { park_after_ms: None, ..FleetConfig::default() }
}

#[test]
fn a_fleet_delivers_every_order_on_the_car_plant() {
    let site = plant();
    let mut h = Harness::new(&site, AGV, &PARKING, plant_config());
    let lines = ["SM-L01", "SM-L04", "SM-U02", "SM-U07", "SM-L09", "QA-VISION-1"];
    let picks = ["WH-PICK-A1", "WH-PICK-B3", "WH-PICK-C2", "WH-PICK-D4", "WH-DOCK-2", "WH-PICK-E1"];
    for k in 0..12 {
        h.submit_at(0, OrderRequest::new(picks[k % 6], lines[(k * 5) % 6])).unwrap();
    }
    assert!(
        h.run_until(4_000, |h| h.all_delivered()),
        "not delivered after {} ticks ({} deadlocks, {} breaks): {:?}",
        h.ticks,
        h.count(|e| matches!(e, EventKind::Deadlock { .. })),
        h.count(|e| matches!(e, EventKind::DeadlockBreak { .. })),
        h.core.vehicles()
    );
    for order in h.core.orders() {
        let names: Vec<&str> = order.history.iter().map(|(_, s)| s.name()).collect();
        assert_eq!(
            names,
            ["queued", "assigned", "to-pickup", "loading", "to-drop", "unloading", "delivered"],
            "order {}",
            order.id
        );
        assert!(order.history.windows(2).all(|w| w[0].0 <= w[1].0), "time runs forward");
    }
    // Updates stitched: no vehicle ever refused a message.
    assert!(h.vehicles.iter().all(|v| v.refused() == 0), "a vehicle refused an order or update");
    // Every vehicle is idle soon (after clearing the stations), and says so.
    assert!(h.run_until(100, |h| h.core.vehicles().iter().all(|v| v.job == "idle")));
    h.tick();
    assert!(h.core.vehicles().iter().all(|v| v.job == "idle" && v.waiting.as_deref() == Some("no order")));
}

#[test]
fn a_failed_vehicle_is_fenced_and_its_order_delivered_by_another() {
    let site = plant();
    let mut h = Harness::new(&site, AGV, &PARKING[..2], plant_config());
    let order = h.submit_at(0, OrderRequest::new("WH-PICK-C3", "SM-U05")).unwrap();
    // Wait until one vehicle is on its way, then break it down.
    assert!(h.run_until(200, |h| h.core.order(order).unwrap().status() == &OrderStatus::ToPickup));
    // Out on the main road (not in the parking lane, which it would block).
    h.run_until(15, |_| false);
    let broken = h.first_carrier(order);
    h.vehicles[broken].fault = Some("drive unit overheated".into());
    assert!(h.run_until(3_000, |h| h.all_delivered()), "{:?}", h.core.vehicles());
    let history = &h.core.order(order).unwrap().history;
    let assigned: Vec<&OrderStatus> =
        history.iter().map(|(_, s)| s).filter(|s| matches!(s, OrderStatus::Assigned { .. })).collect();
    assert_eq!(assigned.len(), 2, "{history:?}");
    assert_ne!(assigned[0], assigned[1]);
    assert!(history.iter().any(|(_, s)| *s == OrderStatus::Queued && history[0].1 == OrderStatus::Queued));
    assert_eq!(
        h.count(|e| matches!(e, EventKind::VehicleFenced { reason, .. } if reason.contains("overheated"))),
        1
    );
    // The broken vehicle says why it does not move and still holds where it stands.
    let status = &h.core.vehicles()[broken];
    assert!(status.fenced.as_deref().is_some_and(|r| r.contains("FATAL")), "{status:?}");
    assert!(h.core.waits().values().any(|w| matches!(w, WaitReason::Fault { .. })));
    // Repaired, it comes back into service.
    h.vehicles[broken].fault = None;
    assert!(h.run_until(100, |h| h.core.vehicles()[broken].fenced.is_none()));
    assert_eq!(h.count(|e| matches!(e, EventKind::VehicleRecovered { .. })), 1);
    let again = h.submit_at(h.now, OrderRequest::new("WH-PICK-A2", "SM-L03")).unwrap();
    assert!(h.run_until(3_000, |h| h.core.order(again).unwrap().status().is_terminal()));
    assert!(h.all_delivered());
}

#[test]
fn a_silent_vehicle_is_fenced_and_resynchronises_when_it_returns() {
    let site = plant();
    let mut h =
        Harness::new(&site, AGV, &PARKING[..2], FleetConfig { stale_after_ms: 5_000, ..plant_config() });
    let order = h.submit_at(0, OrderRequest::new("WH-PICK-B1", "SM-L02")).unwrap();
    assert!(h.run_until(200, |h| h.core.order(order).unwrap().status() == &OrderStatus::ToPickup));
    let gone = h.first_carrier(order);
    // Out of the parking lane first, so that it does not wall the other one in.
    h.run_until(15, |_| false);
    h.silent.insert(gone);
    h.deaf.insert(gone);
    assert!(h.run_until(20, |h| h.core.vehicles()[gone].fenced.is_some()));
    assert!(h.core.vehicles()[gone].fenced.as_deref().unwrap().contains("no state"));
    assert!(h.run_until(3_000, |h| h.all_delivered()));
    h.silent.clear();
    h.deaf.clear();
    assert!(h.run_until(100, |h| h.core.vehicles()[gone].fenced.is_none()), "{:?}", h.core.vehicles()[gone]);
}

#[test]
fn restarting_from_the_store_loses_nothing() {
    let site = plant();
    let mut h = Harness::new(&site, AGV, &PARKING[..4], plant_config());
    h.store = Some(MemoryStore::default());
    let pairs = [
        ("WH-PICK-A1", "SM-L01"),
        ("WH-PICK-B2", "SM-U03"),
        ("WH-DOCK-1", "REWORK-1"),
        ("WH-PICK-E4", "SM-L10"),
    ];
    for k in 0..8 {
        let (a, b) = pairs[k % 4];
        h.submit_at(0, OrderRequest::new(a, b)).unwrap();
    }
    // Durable before acknowledged: every submission's record is in the store.
    assert_eq!(h.store.as_ref().unwrap().orders.len(), 8);
    // Run until some are delivered and others in flight, then "kill" the core.
    assert!(h.run_until(3_000, |h| {
        h.core.orders().any(|o| *o.status() == OrderStatus::Delivered)
            && h.core.orders().any(|o| matches!(o.status(), OrderStatus::ToDrop))
    }));
    let before: Vec<(u64, String)> = h.core.orders().map(|o| (o.id, o.status().name().to_string())).collect();
    let store = h.store.clone().unwrap();
    let live_before: Vec<(u64, String)> =
        before.iter().filter(|(id, _)| store.orders.contains_key(id)).cloned().collect();
    assert_eq!(store.orders.len() + store.finished.len(), 8);
    assert!(!store.finished.is_empty(), "finished orders leave the live table");
    let specs = (0..4).map(|i| VehicleSpec::new(vid(i), AGV)).collect();
    let mut core = Orchestrator::new(site, specs, plant_config()).unwrap();
    core.step(h.now, vec![store.restore()]);
    let after: Vec<(u64, String)> = core.orders().map(|o| (o.id, o.status().name().to_string())).collect();
    assert_eq!(live_before, after, "the store has every live order as it was");
    h.core = core;
    assert!(h.run_until(6_000, |h| h.all_delivered()), "{:?}", h.core.vehicles());
    // Orders in flight were re-adopted, not handed to another vehicle.
    let store = h.store.as_ref().unwrap();
    assert!(store.orders.is_empty(), "every order ended: {:?}", store.orders.keys());
    for order in store.finished.values() {
        let assigned =
            order.history.iter().filter(|(_, s)| matches!(s, OrderStatus::Assigned { .. })).count();
        assert_eq!(assigned, 1, "order {} was reassigned: {:?}", order.id, order.history);
    }
    let ids = h.submit_at(h.now, OrderRequest::new("WH-PICK-A3", "SM-U01")).unwrap();
    assert_eq!(ids, 9, "ids continue after the stored ones");
}

#[test]
fn bad_input_is_flagged_and_never_corrupts_the_fleet() {
    let site = plant();
    let mut h = Harness::new(&site, AGV, &PARKING[..2], plant_config());
    h.tick();
    h.tick();
    // Orders naming unknown places are refused with the field and value.
    let err = h.submit_at(0, OrderRequest::new("WH-PICK-Z9", "SM-L01")).unwrap_err();
    assert_eq!(
        err,
        CommandError::Request(RequestError::UnknownStation { field: "from".into(), id: "WH-PICK-Z9".into() })
    );
    // A state from a vehicle that is not in the fleet.
    let mut stranger = h.vehicles[0].state(h.now.into());
    stranger.header.serial_number = "intruder".into();
    let intruder = VehicleId::new("yard", "intruder");
    h.pending.push(OrchestratorEvent::Message {
        vehicle: intruder,
        message: FromVehicle::State(Box::new(stranger)),
    });
    // A state on another map, one far off the layout, one naming a node the layout lacks.
    let mut other_map = h.vehicles[0].state(h.now.into());
    other_map.agv_position = Some(AgvPosition::new(10.0, 10.0, 0.0, "another-plant"));
    let mut far = h.vehicles[0].state(h.now.into());
    far.agv_position = Some(AgvPosition::new(5_000.0, -300.0, 0.0, site.levels[0].id.clone()));
    let mut unknown_node = h.vehicles[0].state(h.now.into());
    unknown_node.last_node_id = "N9999-9999".into();
    for s in [other_map, far, unknown_node] {
        h.pending
            .push(OrchestratorEvent::Message { vehicle: vid(0), message: FromVehicle::State(Box::new(s)) });
    }
    h.tick();
    let rejected: Vec<String> = h
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::InputRejected { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(rejected.len(), 4, "{rejected:?}");
    assert!(rejected[0].contains("not a vehicle of this fleet"));
    assert!(rejected[1].contains("\"another-plant\" is not a map"));
    assert!(rejected[2].contains("from the nearest road"));
    assert!(rejected[3].contains("lastNodeId \"N9999-9999\""));
    assert_eq!(
        h.core.vehicles()[0].node.as_deref(),
        Some(PARKING[0]),
        "the model kept the vehicle where it is"
    );
    // A vehicle reporting a node never released to it is fenced (it deviated).
    let mut deviated = h.vehicles[1].state(h.now.into());
    deviated.last_node_id = "N0230-0100".into();
    h.pending.push(OrchestratorEvent::Message {
        vehicle: vid(1),
        message: FromVehicle::State(Box::new(deviated)),
    });
    h.tick();
    assert!(
        h.core.vehicles()[1].fenced.as_deref().is_some_and(|r| r.contains("not released")),
        "{:?}",
        h.core.vehicles()[1]
    );
    // The rest of the fleet works on.
    let order = h.submit_at(h.now, OrderRequest::new("WH-PICK-A1", "SM-L01")).unwrap();
    assert!(h.run_until(3_000, |h| h.core.order(order).unwrap().status().is_terminal()));
    assert_eq!(*h.core.order(order).unwrap().status(), OrderStatus::Delivered);
}

#[test]
fn head_on_vehicles_in_a_corridor_pass_by_the_siding() {
    // A corridor with one siding: two vehicles must swap ends.
    let map = grid(&["@@@.@@@", "......."]);
    let mut h = Harness::new(&map, "default", &["0,1", "6,1"], FleetConfig::grid());
    let a = h.submit_at(0, OrderRequest::new("5,1", "6,1")).unwrap();
    let b = h.submit_at(0, OrderRequest::new("1,1", "0,1")).unwrap();
    assert!(h.run_until(300, |h| h.all_ended()), "{:?}", h.core.vehicles());
    assert!(h.all_delivered());
    let _ = (a, b);
}

#[test]
fn two_vehicles_on_an_open_grid_with_its_grain_deliver_a_batch() {
    // The live MQTT test's yard: 10 × 3 open cells, two vehicles at
    // opposite corners, six orders criss-crossing it; the grain makes
    // half the moves dear, none impossible.
    let map = grid(&["..........", "..........", ".........."]);
    let mut h = Harness::new(&map, "default", &["0,0", "9,2"], FleetConfig::grid());
    for k in 0..6 {
        let from = format!("{},{}", k, k % 3);
        let to = format!("{},{}", 9 - k, (k + 1) % 3);
        h.submit_at(0, OrderRequest::new(from, to)).unwrap();
    }
    assert!(h.run_until(600, |h| h.all_ended()), "{:?}", h.core.vehicles());
    assert!(h.all_delivered());
}

#[test]
fn every_wait_names_its_reason_and_deadlocks_are_broken() {
    // A ring of four cells fully occupied by four vehicles that each want the next cell.
    let map = grid(&["..", ".."]);
    let starts = ["0,0", "1,0", "1,1", "0,1"];
    let mut h = Harness::new(&map, "default", &starts, FleetConfig::grid());
    for (from, to) in [("1,0", "1,1"), ("1,1", "0,1"), ("0,1", "0,0"), ("0,0", "1,0")] {
        h.submit_at(0, OrderRequest::new(from, to)).unwrap();
    }
    h.run_until(25, |_| false);
    let waits = h.core.waits();
    assert!(!waits.is_empty());
    assert!(waits.values().all(|w| !matches!(w, WaitReason::Starting)), "{waits:?}");
    // Nobody can move in a full ring: the wait-for cycle is found and reported, and stays a fact.
    assert!(h.core.deadlocks_detected() >= 1, "{:?}", h.core.vehicles());
    assert!(h.count(|e| matches!(e, EventKind::Deadlock { vehicles } if vehicles.len() >= 2)) >= 1);
    assert!(h.core.vehicles().iter().all(|v| v.waiting.is_some()));
}

#[test]
fn a_low_battery_sends_an_idle_vehicle_to_charge_and_back_to_work() {
    let site = plant();
    let mut h =
        Harness::new(&site, AGV, &PARKING[..1], FleetConfig { battery_resume: 60.0, ..plant_config() });
    h.vehicles[0].set_battery(20.0);
    h.vehicles[0].charge_per_s = 5.0;
    let order = h.submit_at(0, OrderRequest::new("WH-PICK-A1", "SM-L01")).unwrap();
    assert!(
        h.run_until(2_000, |h| h.core.vehicles()[0].job.starts_with("charging")),
        "{:?}",
        h.core.vehicles()
    );
    assert_eq!(
        *h.core.order(order).unwrap().status(),
        OrderStatus::Queued,
        "no orders while the battery is low"
    );
    assert!(h.run_until(3_000, |h| h.all_delivered()), "{:?}", h.core.vehicles());
    assert!(h.vehicles[0].battery() >= 60.0 - 1e-9);
}

#[test]
fn presence_loss_fences_at_once() {
    let site = plant();
    let mut h = Harness::new(&site, AGV, &PARKING[..2], plant_config());
    h.run_until(3, |_| false);
    h.pending.push(OrchestratorEvent::Presence { vehicle: vid(1), state: ConnectionState::ConnectionBroken });
    h.silent.insert(1);
    h.tick();
    assert_eq!(h.core.vehicles()[1].fenced.as_deref(), Some("connection broken"));
}

#[test]
fn the_same_inputs_give_the_same_outputs() {
    let run = || {
        let site = plant();
        let mut h = Harness::new(&site, AGV, &PARKING[..4], FleetConfig::default());
        h.record = true;
        h.loss = (42, 30);
        for (k, (a, b)) in
            [("WH-PICK-A1", "SM-L01"), ("WH-PICK-C2", "SM-U05"), ("WH-DOCK-3", "REWORK-2")].iter().enumerate()
        {
            h.submit_at(k as u64 * 1000, OrderRequest::new(*a, *b)).unwrap();
        }
        h.run_until(600, |_| false);
        h.log
    };
    let (a, b) = (run(), run());
    assert!(a.len() > 100, "the run did something");
    assert_eq!(a, b);
}

#[test]
fn a_recording_replays_to_the_same_outputs_and_a_tampered_one_does_not() {
    use orchestrator::input::Input;
    use orchestrator::replay::{Header, ReplayError, Step, VERSION, digest, layout_digest, replay};
    let site = plant();
    let bytes = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maps/car-plant.lif.json"),
    )
    .unwrap();
    let header = Header {
        journal: "yardmaster".into(),
        version: VERSION,
        layout: "car-plant.lif.json".into(),
        layout_sha256: layout_digest(&bytes),
        continues: false,
        manufacturer: "yard".into(),
        serials: (0..2).map(|i| vid(i).serial_number).collect(),
        vehicle_type: AGV.into(),
        fleet: Vec::new(),
    };
    // Record a run the way `yardmaster serve --journal` does: every batch
    // of inputs, exactly as the core was stepped with it.
    let mut h = Harness::new(&site, AGV, &PARKING[..2], FleetConfig::default());
    let mut lines = vec![serde_json::to_string(&header).unwrap()];
    let mut record = |h: &mut Harness, now: u64, inputs: Vec<Input>| {
        let out = h.core.step(now, inputs.clone());
        lines.push(serde_json::to_string(&Step { now: now.into(), inputs, out: digest(&out) }).unwrap());
        out
    };
    let submit = Input::Submit { request: OrderRequest::new("WH-PICK-B2", "SM-U04") };
    // A refused command is an input too: its reply is part of the digest.
    let refused = Input::Close { place: PlaceId::Node("no-such-node".into()), reason: "test".into() };
    record(&mut h, 0, vec![submit, refused]);
    for _ in 0..900 {
        let now = h.now;
        let inputs = Input::tick_with(std::mem::take(&mut h.pending));
        let out = record(&mut h, now, inputs);
        for (id, message) in out.messages {
            let i = h.vehicles.iter().position(|v| *v.id() == id).unwrap();
            h.vehicles[i].receive(message);
        }
        h.now += 1000;
        for v in &mut h.vehicles {
            h.pending.extend(v.step(h.now));
        }
    }
    assert!(h.all_delivered(), "the recorded run delivered its order");
    let mut load = |_: &Header| Ok((bytes.clone(), site.clone()));
    let report = replay(lines.iter().cloned(), &mut load).unwrap();
    assert_eq!((report.runs, report.steps), (1, 901));
    assert!(report.mismatches.is_empty(), "{report:?}");
    // Change where one vehicle said it was, once: the outputs differ.
    let at = lines.iter().position(|l| l.contains("lastNodeId") && l.contains("v01")).unwrap();
    let tampered: Vec<String> =
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i == at {
                    l.replacen(r#"\"lastNodeId\":\""#, r#"\"lastNodeId\":\"X"#, 1)
                } else {
                    l.clone()
                }
            })
            .collect();
    assert_ne!(tampered[at], lines[at], "the tampering changed the line");
    let report = replay(tampered.into_iter(), &mut load).unwrap();
    assert!(!report.mismatches.is_empty(), "a tampered recording must not replay clean");
    assert!(report.mismatches.iter().all(|m| !m.parts.is_empty()), "each mismatch says what differs");
    // Another layout is refused, naming both digests.
    let mut other = |_: &Header| Ok((b"another layout".to_vec(), site.clone()));
    match replay(lines.iter().cloned(), &mut other) {
        Err(ReplayError::LayoutDiffers { line: 1, recorded, .. }) => {
            assert_eq!(recorded, header.layout_sha256);
        }
        other => panic!("expected LayoutDiffers, got {other:?}"),
    }
}

#[test]
fn a_late_state_after_a_newer_one_is_dropped_and_never_fences() {
    // Regression: a stale state arriving after a newer one (a latency spike
    // ending, a late duplicate) read as "reported node not released",
    // fenced the vehicle and cancelled its order.
    let site = plant();
    let mut h = Harness::new(&site, AGV, &PARKING[..2], plant_config());
    h.reorder = (0x9E37_79B9_7F4A_7C15, 300, 300);
    for (a, b) in [("WH-PICK-A1", "SM-L01"), ("WH-PICK-B2", "SM-U03"), ("WH-PICK-C3", "SM-L04")] {
        h.submit_at(0, OrderRequest::new(a, b)).unwrap();
    }
    assert!(
        h.run_until(4_000, |h| h.all_delivered() && h.core.live_orders() == 0),
        "{:?}",
        h.core.vehicles()
    );
    assert_eq!(h.count(|e| matches!(e, EventKind::VehicleFenced { .. })), 0, "{:?}", h.events);
    let dropped: u64 = h.core.vehicles().iter().map(|v| v.stale_dropped).sum();
    assert!(dropped > 10, "late and duplicate states are counted: {dropped}");
}

#[test]
fn a_fenced_vehicle_that_never_confirms_the_cancel_stays_fenced_without_flooding() {
    let site = grid(&["..........", ".........."]);
    let mut h = Harness::new(&site, "default", &["0,0"], FleetConfig::grid());
    let order = h.submit_at(0, OrderRequest::new("9,0", "0,1")).unwrap();
    assert!(
        h.run_until(100, |h| matches!(h.core.order(order).unwrap().status(), OrderStatus::ToPickup)),
        "{:?}",
        h.core.order(order)
    );
    h.tick();
    // The vehicle hears nothing more (so never stops its order) and
    // reports from a node it was not released: it is fenced, and the
    // core asks it to cancel.
    let i = h.first_carrier(order);
    h.deaf.insert(i);
    h.vehicles[i].fault = Some("stuck".into());
    let before = h.events.len();
    h.run_until(600, |_| false);
    let fenced = &h.core.vehicles()[i].fenced;
    assert!(fenced.as_deref().is_some_and(|r| r.contains("FATAL")), "{fenced:?}");
    // Clear the fault: now the vehicle runs an order it will never hear cancelled.
    h.vehicles[i].fault = None;
    h.record = true;
    h.run_until(600, |_| false);
    let cancels: Vec<&String> =
        h.log.iter().filter(|l| l.contains("InstantActions") && l.contains("cancelOrder")).collect();
    assert!(!cancels.is_empty() && cancels.len() <= 5, "at most 5 cancelOrder, not a flood: {cancels:#?}");
    let fenced = h.core.vehicles()[i].fenced.clone().unwrap_or_default();
    assert!(fenced.contains("did not confirm the cancellation"), "{fenced}");
    assert!(h.events.len() - before < 50, "no flood of events");
}

#[test]
fn a_closed_node_is_avoided_survives_a_restart_and_reopens() {
    use orchestrator::input::{Input, Reply};
    let site = grid(&[".....", "....."]);
    let mut h = Harness::new(&site, "default", &["0,0"], FleetConfig::grid());
    h.store = Some(MemoryStore::default());
    let closed = site.node_by_id("2,0").unwrap();
    let close = Input::Close { place: PlaceId::Node("2,0".into()), reason: "spill".into() };
    assert_eq!(h.command_at(0, close), Reply::Done);
    assert_eq!(h.store.as_ref().unwrap().closed.len(), 1, "the closure is durable at once");
    // Unknown places and reopening what is open are refused, naming the place.
    match h.command_at(0, Input::Close { place: PlaceId::Edge("nope".into()), reason: String::new() }) {
        Reply::Refused(e) => assert!(e.to_string().contains("edge nope"), "{e}"),
        other => panic!("{other:?}"),
    }
    match h.command_at(0, Input::Open { place: PlaceId::Node("1,1".into()) }) {
        Reply::Refused(CommandError::NotClosed(p)) => assert_eq!(p, PlaceId::Node("1,1".into())),
        other => panic!("{other:?}"),
    }
    h.submit_at(0, OrderRequest::new("4,0", "0,0")).unwrap();
    let mut crossed = false;
    assert!(h.run_until(300, |h| {
        crossed |= h.vehicles[0].node() == closed;
        h.all_delivered() && h.core.live_orders() == 0
    }));
    assert!(!crossed, "the vehicle never entered the closed node");
    // A restart restores the closure from the store.
    let store = h.store.clone().unwrap();
    let specs = vec![VehicleSpec::new(vid(0), "default")];
    let mut core = Orchestrator::new(site.clone(), specs, FleetConfig::grid()).unwrap();
    core.step(h.now, vec![store.restore()]);
    assert_eq!(core.closed().len(), 1);
    assert_eq!(core.closed()[0].reason, "spill");
    h.core = core;
    let now = h.now;
    assert_eq!(h.command_at(now, Input::Open { place: PlaceId::Node("2,0".into()) }), Reply::Done);
    assert!(h.core.closed().is_empty());
    assert!(h.store.as_ref().unwrap().closed.is_empty(), "the reopening is durable");
    // Closing an edge: the vehicle routes around it too.
    let edge =
        site.edges.iter().position(|e| site.node(e.from).id == "1,0" && site.node(e.to).id == "2,0").unwrap();
    let edge_id = site.edges[edge].id.clone();
    assert_eq!(
        h.command_at(now, Input::Close { place: PlaceId::Edge(edge_id), reason: String::new() }),
        Reply::Done
    );
    h.submit_at(now, OrderRequest::new("1,0", "3,0")).unwrap();
    let from = site.node_by_id("1,0").unwrap();
    let mut path = vec![h.vehicles[0].node()];
    assert!(h.run_until(300, |h| {
        if path.last() != Some(&h.vehicles[0].node()) {
            path.push(h.vehicles[0].node());
        }
        h.core.live_orders() == 0
    }));
    assert!(path.windows(2).all(|w| w != [from, closed]), "drove the closed edge: {path:?}");
    assert!(h.all_delivered());
}

/// Regression: a core that starts while a vehicle drives an order it does
/// not know (here: the old core's parking move) cancels it; the vehicle
/// stops at its next node, short of the base it had been released. The
/// places beyond are free again and the vehicle takes new work (it used to
/// wait for the rest of that base forever).
#[test]
fn a_vehicle_whose_foreign_order_was_cancelled_at_adoption_takes_new_work() {
    let site = plant();
    let config = FleetConfig { park_after_ms: Some(1_000), ..FleetConfig::default() };
    // Away from the parking spots: idle, it is sent to park.
    let mut h = Harness::new(&site, AGV, &["N0750-0500"], config.clone());
    assert!(
        h.run_until(200, |h| h.core.vehicles()[0].released_ahead >= 2
            && h.core.vehicles()[0].job.contains("park")),
        "{:?}",
        h.core.vehicles()
    );
    // The core restarts mid-move, from an empty store.
    let mut core = Orchestrator::new(site, vec![VehicleSpec::new(vid(0), AGV)], config).unwrap();
    core.step(h.now, vec![MemoryStore::default().restore()]);
    h.core = core;
    let order = h.submit_at(h.now, OrderRequest::new("WH-PICK-A1", "SM-L01")).unwrap();
    assert!(
        h.run_until(3_000, |h| h.core.order(order).is_some_and(|o| *o.status() == OrderStatus::Delivered)),
        "{:?}",
        h.core.vehicles()
    );
}

/// A tugger train keeps the places its trailers are on: every node it
/// passed stays held until the train's tail has left it; a carrier lets
/// go of a node as soon as it has passed it (unless its base comes back
/// there, as out of a station's spur).
#[test]
fn a_train_holds_the_places_under_its_trailers_until_its_tail_has_left() {
    use orchestrator::fleet::{Body, Trailer};
    use orchestrator::traffic::reservations::{Place, VehicleIdx};
    let site = plant();
    let train = Body { length: 2.4, width: 1.1, trailers: vec![Trailer { length: 2.0, width: 1.0 }; 3] };
    let reach = train.length / 2.0 + train.tail(); // 8.7 m behind its centre
    let mut kept = Vec::new();
    for body in [Some(train), None] {
        let mut spec = VehicleSpec::new(vid(0), AGV);
        spec.body = body.clone();
        let mut h = Harness::new(&site, AGV, &[PARKING[0]], plant_config());
        h.core = Orchestrator::new(site.clone(), vec![spec], plant_config()).unwrap();
        let order = h.submit_at(0, OrderRequest::new("WH-PICK-A1", "SM-L10")).unwrap();
        let mut passed: Vec<layout::NodeIdx> = Vec::new();
        let mut kept_behind = 0;
        let delivered = h.run_until(3_000, |h| {
            let Some(now) = h.core.vehicles()[0].node.as_deref().and_then(|n| site.node_by_id(n)) else {
                return false;
            };
            if passed.last() != Some(&now) {
                passed.push(now);
            }
            // Walk back along the nodes passed: those within reach stay held.
            let mut behind = 0.0;
            for w in passed.windows(2).rev() {
                let edge = site.out_edges(w[0]).iter().find(|e| site.edge(**e).to == w[1]).copied();
                behind += edge.map_or(0.0, |e| site.edge(e).length);
                let held = h.core.reservations().holder(Place::Node(w[0])) == Some(VehicleIdx(0));
                if behind < reach && body.is_some() {
                    assert!(held, "{} m behind, {} is free under the trailers", behind, site.node(w[0]).id);
                }
                kept_behind += usize::from(held && behind > 0.0 && w[0] != now);
            }
            h.core.order(order).is_some_and(|o| *o.status() == OrderStatus::Delivered)
        });
        assert!(delivered, "{:?}", h.core.vehicles());
        kept.push(kept_behind);
    }
    // Node-ticks held behind the vehicle: the train's trailers, against the
    // carrier's spur road nodes only.
    assert!(kept[0] > 3 * kept[1] + 10, "train {} against carrier {}", kept[0], kept[1]);
}

#[test]
fn a_milk_run_calls_at_every_stop_in_order_and_survives_a_restart() {
    let site = plant();
    let mut h = Harness::new(&site, AGV, &PARKING[..3], plant_config());
    h.store = Some(MemoryStore::default());
    let stops = |via: &[&str]| via.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let runs = [
        ("WH-PICK-A1", stops(&["SM-L01", "SM-L04"]), "SM-U02"),
        ("WH-PICK-B3", stops(&["SM-U07"]), "WH-PICK-B3"),
        ("WH-DOCK-2", stops(&["SM-L09", "QA-VISION-1", "SM-L01"]), "REWORK-1"),
    ];
    for (from, via, to) in &runs {
        h.submit_at(0, OrderRequest { via: via.clone(), ..OrderRequest::new(*from, *to) }).unwrap();
    }
    // Where every vehicle stood at every tick.
    let mut stood: Vec<(u64, String, String)> = Vec::new();
    let mut watch = |h: &Harness| {
        for v in &h.vehicles {
            stood.push((h.now, v.id().serial_number.clone(), site.node(v.node()).id.clone()));
        }
    };
    // Restart once the longest run has called at its first stop.
    assert!(h.run_until(3_000, |h| {
        watch(h);
        h.core.orders().any(|o| matches!(o.status(), OrderStatus::ToStop { stop: 2 }))
    }));
    let store = h.store.clone().unwrap();
    let specs = (0..3).map(|i| VehicleSpec::new(vid(i), AGV)).collect();
    let mut core = Orchestrator::new(site.clone(), specs, plant_config()).unwrap();
    core.step(h.now, vec![store.restore()]);
    h.core = core;
    assert!(
        h.run_until(6_000, |h| {
            watch(h);
            h.all_delivered()
        }),
        "{:?}",
        h.core.vehicles()
    );
    let store = h.store.as_ref().unwrap();
    for (id, (_, via, _)) in (1..).zip(&runs) {
        let order = store.finished.get(&id).expect("finished");
        let names: Vec<String> = order
            .history
            .iter()
            .map(|(_, s)| match s {
                OrderStatus::ToStop { stop } => format!("to-stop-{stop}"),
                s => s.name().to_string(),
            })
            .collect();
        let mut want = vec!["queued", "assigned", "to-pickup", "loading"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        want.extend((1..=via.len()).map(|k| format!("to-stop-{k}")));
        want.extend(["to-drop", "unloading", "delivered"].map(String::from));
        assert_eq!(names, want, "order {id}");
        // Each stop was really called at: its vehicle stood on it between
        // the stop's status and the next.
        let carrier = order.history.iter().find_map(|(_, s)| match s {
            OrderStatus::Assigned { vehicle } => Some(vehicle.clone()),
            _ => None,
        });
        for (k, stop) in via.iter().enumerate() {
            let node = &site.node(orchestrator::orders::resolve_place(&site, stop).unwrap()).id;
            let i = order.history.iter().position(|(_, s)| *s == OrderStatus::ToStop { stop: k as u32 + 1 });
            let (from, to) = (order.history[i.unwrap()].0, order.history[i.unwrap() + 1].0);
            assert!(
                stood.iter().any(|(t, v, n)| Some(v) == carrier.as_ref()
                    && n == node
                    && (from..=to).contains(&Millis(*t))),
                "order {id}: stop {stop} was never called at"
            );
        }
    }
    assert!(h.vehicles.iter().all(|v| v.refused() == 0));
}

/// When each of `orders` was first assigned, ms.
fn assigned_at(h: &Harness, order: u64) -> u64 {
    let history = &h.core.order(order).expect("a known order").history;
    history
        .iter()
        .find_map(|(t, s)| matches!(s, OrderStatus::Assigned { .. }).then_some(t.0))
        .unwrap_or_else(|| panic!("order {order} was never assigned: {history:?}"))
}

/// One vehicle on a 30-cell corridor delivers a long order while two more
/// wait: a far one queued at once, a near one queued late. Returns when
/// each of the far and the near one was assigned.
fn far_and_near_assigned_at(overdue_ms: u64) -> (u64, u64) {
    let map = grid(&["..............................", "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@."]);
    let mut config = FleetConfig::grid();
    config.assign.overdue_ms = overdue_ms;
    let mut h = Harness::new(&map, "default", &["0,0"], config);
    let long = h.submit_at(0, OrderRequest::new("0,0", "29,0")).unwrap();
    assert!(h.run_until(10, |h| h.core.order(long).is_some_and(|o| o.history.len() > 1)));
    // The far order: its pickup is at the corridor's other end from the drop.
    let far = h.submit_at(h.now, OrderRequest::new("0,0", "1,0")).unwrap();
    assert!(h.run_until(120, |h| h.core.order(long).is_some_and(|o| *o.status() == OrderStatus::ToDrop)));
    for _ in 0..20 {
        h.tick();
    }
    // The near order: picked up where the long one is dropped.
    let near = h.submit_at(h.now, OrderRequest::new("29,0", "28,0")).unwrap();
    assert!(h.run_until(300, |h| h.all_ended()), "{:?}", h.core.vehicles());
    assert!(h.all_delivered());
    (assigned_at(&h, far), assigned_at(&h, near))
}

#[test]
fn the_shortest_order_goes_first_until_one_is_overdue() {
    // Nothing overdue: the near order is the shorter whole and goes first.
    let (far, near) = far_and_near_assigned_at(3_600_000);
    assert!(near < far, "near assigned at {near} ms, far at {far} ms");
    // The far order has waited past the bound when the vehicle is free,
    // the near one not: the far one goes first.
    let (far, near) = far_and_near_assigned_at(20_000);
    assert!(far < near, "far assigned at {far} ms, near at {near} ms");
}
