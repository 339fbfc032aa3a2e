//! A vehicle's VDA 5050 factsheet against the fleet file: the core asks
//! every vehicle it places for its factsheet, and a factsheet whose body
//! or class contradicts the fleet file gets a clear event naming the
//! field and both values; one that agrees gets none. Where the fleet file
//! gives no body, the factsheet's is taken if the vehicle's places stay
//! clear of every other vehicle's with it.

use std::path::PathBuf;
use std::sync::Arc;

use agv_agent::agent::{Agent, AgentConfig, AgentInput};
use agv_agent::emulated::{EmulatedConfig, factsheet};
use orchestrator::fleet::{Body, EventKind, FleetConfig, Orchestrator, Trailer, VehicleSpec};
use orchestrator::input::Input;
use protocol::messages::{AgvPosition, ConnectionState, Node, State, action_types};
use protocol::transport::{FromVehicle, OrchestratorEvent, ToVehicle, VehicleId};

fn plant() -> Arc<layout::Layout> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maps/car-plant.lif.json");
    Arc::new(layout::load(&path, layout::LoadOptions::default()).unwrap().value)
}

/// The first state of an agent placed on `node` at (`x`, `y`).
fn state_at(id: &VehicleId, node: &str, x: f64, y: f64) -> State {
    let mut agent = Agent::new(AgentConfig::new(&id.manufacturer, &id.serial_number, "hall-1"));
    agent.step(0, [AgentInput::place(Node::new(node, 0, true), AgvPosition::new(x, y, 0.0, "hall-1"))]);
    agent.current_state(0)
}

#[test]
fn a_factsheet_that_contradicts_the_fleet_file_gets_an_event_naming_the_field() {
    let site = plant();
    let id = VehicleId::new("yardsim", "tug-01");
    let mut spec = VehicleSpec::new(id.clone(), "yard.tugger");
    spec.body = Some(Body { length: 2.4, width: 1.1, trailers: vec![Trailer { length: 2.0, width: 1.0 }] });
    let mut core = Orchestrator::new(site.clone(), vec![spec], FleetConfig::default()).unwrap();
    let node = site.nodes.iter().find(|n| n.id == "N0970-0100").unwrap();
    let hello = |m| Input::Vehicle(OrchestratorEvent::Message { vehicle: id.clone(), message: m });
    let out = core.step(
        1_000,
        vec![
            Input::Vehicle(OrchestratorEvent::Presence {
                vehicle: id.clone(),
                state: ConnectionState::Online,
            }),
            hello(FromVehicle::State(Box::new(state_at(&id, &node.id, node.position.x, node.position.y)))),
            Input::Tick,
        ],
    );
    // Placed: the core asks for the factsheet.
    let asked = out.messages.iter().any(|(to, m)| {
        *to == id
            && matches!(m, ToVehicle::InstantActions(a)
                if a.actions.iter().any(|a| a.action_type == action_types::FACTSHEET_REQUEST))
    });
    assert!(asked, "no factsheetRequest in {:?}", out.messages);

    // A compact carrier's factsheet for a tugger train of the fleet file.
    let carrier = factsheet(&EmulatedConfig::factory_agv("hall-1"), "yardsim", "tug-01");
    let out = core.step(2_000, vec![hello(FromVehicle::Factsheet(Box::new(carrier))), Input::Tick]);
    let mut mismatches: Vec<(String, String, String)> = out
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::FactsheetMismatch { vehicle, field, fleet, factsheet } => {
                assert_eq!(vehicle, "tug-01");
                Some((field.clone(), fleet.clone(), factsheet.clone()))
            }
            _ => None,
        })
        .collect();
    mismatches.sort();
    assert_eq!(
        mismatches,
        [
            ("physicalParameters.length".to_string(), "2.4 m".to_string(), "1.2 m".to_string()),
            ("physicalParameters.width".to_string(), "1.1 m".to_string(), "0.8 m".to_string()),
            ("typeSpecification.agvClass".to_string(), "1 trailers".to_string(), "Carrier".to_string()),
        ]
    );

    // The train's own factsheet agrees: no event.
    let mut train = EmulatedConfig::factory_agv("hall-1");
    train.body = (2.4, 1.1);
    train.trailers = vec![(2.0, 1.0)];
    let out = core
        .step(3_000, vec![hello(FromVehicle::Factsheet(Box::new(factsheet(&train, "yardsim", "tug-01"))))]);
    assert!(
        !out.events.iter().any(|e| matches!(e.kind, EventKind::FactsheetMismatch { .. })),
        "{:?}",
        out.events
    );
}

#[test]
fn a_vehicle_without_a_body_in_the_fleet_file_takes_its_factsheets_if_it_fits() {
    let site = plant();
    let (a, b) = (VehicleId::new("acme", "agv-01"), VehicleId::new("acme", "agv-02"));
    let specs = vec![
        VehicleSpec::new(a.clone(), "yard.compact-agv"),
        VehicleSpec::new(b.clone(), "yard.compact-agv"),
    ];
    let mut core = Orchestrator::new(site.clone(), specs, FleetConfig::default()).unwrap();
    let msg =
        |id: &VehicleId, m| Input::Vehicle(OrchestratorEvent::Message { vehicle: id.clone(), message: m });
    // Two parking bays 6 m apart (x = 97 and 103, y = 10).
    let mut inputs = Vec::new();
    for (id, node) in [(&a, "N0970-0100"), (&b, "N1030-0100")] {
        let n = site.nodes.iter().find(|n| n.id == node).unwrap();
        inputs.push(Input::Vehicle(OrchestratorEvent::Presence {
            vehicle: id.clone(),
            state: ConnectionState::Online,
        }));
        inputs.push(msg(id, FromVehicle::State(Box::new(state_at(id, node, n.position.x, n.position.y)))));
    }
    inputs.push(Input::Tick);
    core.step(1_000, inputs);
    let body_events = |out: &orchestrator::fleet::Outbound| -> Vec<(f64, bool, Option<String>)> {
        out.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::BodyFromFactsheet { length, adopted, reason, .. } => {
                    Some((*length, *adopted, reason.clone()))
                }
                _ => None,
            })
            .collect()
    };
    let sheet = |length: f64, width: f64| {
        let mut config = EmulatedConfig::factory_agv("hall-1");
        config.body = (length, width);
        FromVehicle::Factsheet(Box::new(factsheet(&config, "acme", "agv-01")))
    };
    // A 10 m body on the bay would reach the neighbour's: refused, the default kept.
    let out = core.step(2_000, vec![msg(&a, sheet(10.0, 2.0)), Input::Tick]);
    let events = body_events(&out);
    assert_eq!(events.len(), 1, "{:?}", out.events);
    assert!(!events[0].1 && events[0].2.as_deref().is_some_and(|r| r.contains("#1")), "{events:?}");
    assert_eq!(core.bodies().footprint(orchestrator::traffic::reservations::VehicleIdx(0)).length, 1.2);
    // A 3 m body fits: taken, and traffic control uses it.
    let out = core.step(3_000, vec![msg(&a, sheet(3.0, 1.2)), Input::Tick]);
    assert_eq!(body_events(&out), [(3.0, true, None)]);
    let now = core.bodies().footprint(orchestrator::traffic::reservations::VehicleIdx(0));
    assert_eq!((now.length, now.width), (3.0, 1.2));
    assert_eq!(core.bodies().footprint(orchestrator::traffic::reservations::VehicleIdx(1)).length, 1.2);
    // The same factsheet again changes nothing and says nothing.
    let out = core.step(4_000, vec![msg(&a, sheet(3.0, 1.2)), Input::Tick]);
    assert!(body_events(&out).is_empty());
}
