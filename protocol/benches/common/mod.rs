//! A typical state message, shared by the benchmarks, and the bus benchmarks' harness.

#[allow(dead_code, reason = "the codec benchmark uses only the state")]
pub mod bus;

use protocol::messages::*;
use protocol::transport::VehicleId;

/// A driving vehicle's state with four node and edge states left: about 1.4 kB.
pub fn sample_state(v: &VehicleId, header_id: u32) -> State {
    State {
        header: Header {
            header_id,
            timestamp: Timestamp::from_unix_millis(1_795_516_803_120),
            version: PROTOCOL_VERSION.into(),
            manufacturer: v.manufacturer.clone(),
            serial_number: v.serial_number.clone(),
        },
        maps: None,
        order_id: "order-000123".into(),
        order_update_id: 4,
        zone_set_id: None,
        last_node_id: "N0750-0400".into(),
        last_node_sequence_id: 8,
        driving: true,
        paused: Some(false),
        new_base_request: Some(false),
        distance_since_last_node: Some(1.7),
        operating_mode: OperatingMode::Automatic,
        node_states: (0..4)
            .map(|i| NodeState {
                node_id: format!("N{:04}-0400", 800 + 50 * i),
                sequence_id: 10 + 2 * i,
                node_description: None,
                released: i < 2,
                node_position: Some(StateNodePosition {
                    x: 80.0 + 5.0 * f64::from(i),
                    y: 40.0,
                    theta: None,
                    map_id: "hall-1".into(),
                }),
            })
            .collect(),
        edge_states: (0..4)
            .map(|i| EdgeState {
                edge_id: format!("E{i}"),
                sequence_id: 9 + 2 * i,
                edge_description: None,
                released: i < 2,
                trajectory: None,
            })
            .collect(),
        agv_position: Some(AgvPosition {
            x: 76.7,
            y: 40.0,
            theta: 0.0,
            map_id: "hall-1".into(),
            map_description: None,
            position_initialized: true,
            localization_score: Some(0.97),
            deviation_range: Some(0.02),
        }),
        velocity: Some(Velocity { vx: Some(1.5), vy: Some(0.0), omega: Some(0.0) }),
        loads: None,
        action_states: vec![ActionState {
            action_id: "pick-000123".into(),
            action_type: Some("pick".into()),
            action_description: None,
            action_status: ActionStatus::Waiting,
            result_description: None,
        }],
        battery_state: BatteryState {
            battery_charge: 76.0,
            battery_voltage: None,
            battery_health: None,
            charging: false,
            reach: None,
        },
        errors: vec![],
        information: None,
        safety_state: SafetyState { e_stop: EStop::None, field_violation: false },
    }
}
