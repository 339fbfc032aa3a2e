//! The scripted vehicle in MAPF_T mode, driven by the core on a small
//! grid: it turns in place, a quarter turn at a time, before leaving a node
//! in another direction; a hold pauses whatever it does; and it reports
//! what it did each tick.

mod common;

use common::{grid, vid};
use orchestrator::fleet::{FleetConfig, Orchestrator, VehicleSpec};
use orchestrator::input::Input;
use orchestrator::orders::{Millis, OrderRequest};
use orchestrator::scripted::{Activity, ScriptedVehicle};

/// Drives one vehicle from (0, 1) (row 1, facing east) on an order to
/// `to` and back to `from`; `hold` = (tick, ticks). Returns one letter a tick.
fn drive(from: &str, to: &str, hold: Option<(u64, u64)>, ticks: u64) -> String {
    let map = grid(&["...", "...", "..."]);
    // No grain: the shortest ways are the straight ones this test counts turns on.
    let config = FleetConfig {
        park_after_ms: None,
        quarter_turn_ms: 2_000,
        grain: orchestrator::traffic::grain::Grain::NONE,
        ..FleetConfig::grid()
    };
    let mut core = Orchestrator::new(map.clone(), vec![VehicleSpec::new(vid(0), "default")], config).unwrap();
    let mut v = ScriptedVehicle::new(vid(0), &map, from, 0.5).unwrap().with_turns(2_000, 0.0);
    v.action_ms = 0;
    let mut inbound = vec![Input::Submit { request: OrderRequest::new(from, to) }];
    let mut letters = String::new();
    for t in 0..ticks {
        let now = t * 1000;
        inbound.push(Input::Tick);
        let out = core.step(Millis(now), std::mem::take(&mut inbound));
        for (_, m) in out.messages {
            v.receive(m);
        }
        if let Some((at, n)) = hold
            && at == t
        {
            v.hold(Millis(now), Millis(now + n * 1000));
        }
        inbound.extend(v.step(Millis(now + 1000)).into_iter().map(Input::Vehicle));
        letters.push(match v.activity() {
            Activity::Forward => 'F',
            Activity::TurnClockwise => 'R',
            Activity::TurnCounterClockwise => 'C',
            Activity::Held => 'H',
            Activity::Idle => 'W',
        });
    }
    letters
}

#[test]
fn it_turns_in_place_before_it_leaves_in_another_direction() {
    // The pickup is where it stands, the drop "2,0": two cells east and
    // one north, three moves of 2 ticks.
    let letters = drive("0,1", "2,0", None, 16);
    assert_eq!(letters.matches('F').count(), 6, "{letters}");
    // Heading east, it reaches "2,0" either by going north first (a
    // counter-clockwise quarter turn at the start) or east first (a quarter
    // turn at the corner): either way exactly one quarter turn of 2 ticks.
    assert_eq!(letters.matches('C').count() + letters.matches('R').count(), 2, "{letters}");
    assert!(letters.trim_end_matches('W').len() <= 1 + 3 * 2 + 2 + 2, "{letters}");
}

#[test]
fn a_hold_pauses_the_move_and_nothing_starts_during_it() {
    let free = drive("0,1", "2,1", None, 12);
    // Held from tick 3, half-way through its first move.
    let held = drive("0,1", "2,1", Some((3, 3)), 12);
    assert_eq!(&free[2..4], "FF", "{free}");
    assert_eq!(&held[2..7], "FHHHF", "{held}");
    // The same work, three ticks later.
    assert_eq!(free.matches('F').count(), held.matches('F').count(), "{free} / {held}");
    let end = |s: &str| s.trim_end_matches('W').len();
    assert_eq!(end(&held), end(&free) + 3, "{free} / {held}");
}
