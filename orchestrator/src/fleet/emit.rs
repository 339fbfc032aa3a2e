//! System 6: VDA 5050 messages. Each order or update carries the base —
//! exactly the places reserved for the vehicle, from its decision point on
//! — and a horizon along the shortest way to the job's goal. Messages the
//! vehicle has not taken within [`super::FleetConfig::resend_after_ms`]
//! are sent again from the decision point the vehicle reports, so a lost
//! message costs a pause, never a stuck vehicle.

use bevy_ecs::prelude::*;
use layout::{EdgeIdx, NodeIdx};
use protocol::messages::{Action, BlockingType, Header, InstantActions, PROTOCOL_VERSION, Timestamp};
use protocol::transport::ToVehicle;

use super::EventKind;
use super::model::*;
use crate::orders::Millis;
use crate::vda::{OrderTarget, order_for_path};

/// The order id prefix of a transport leg: `T{order}-pick` /
/// `T{order}-via{k}` / `T{order}-drop`.
pub(super) fn leg_tag(order: u64, leg: Leg) -> String {
    match leg {
        Leg::Pick => format!("T{order}-pick"),
        Leg::Via(k) => format!("T{order}-via{k}"),
        Leg::Drop => format!("T{order}-drop"),
    }
}

/// The transport order and leg a VDA order id of ours serves
/// (`T{order}-pick-{ms}` / `T{order}-via{k}-{ms}` / `T{order}-drop-{ms}`), parsed whole: the
/// inverse of [`leg_tag`] followed by `-{ms}`. A vehicle's report names its
/// order by this id; after a restart, it is how the core knows whether the
/// order the vehicle runs is the leg of its restored job.
pub(super) fn transport_of(order_id: &str) -> Option<(u64, Leg)> {
    let rest = order_id.strip_prefix('T')?;
    let (order, rest) = rest.split_once('-')?;
    let (leg, ms) = rest.split_once('-')?;
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let leg = match leg {
        "pick" => Leg::Pick,
        "drop" => Leg::Drop,
        k if k.strip_prefix("via").is_some_and(all_digits) => Leg::Via(k[3..].parse().ok()?),
        _ => return None,
    };
    (all_digits(order) && all_digits(ms)).then_some(())?;
    Some((order.parse().ok()?, leg))
}

/// The action run at a job's goal, with an id derived from the order id.
pub(super) fn goal_action(order_id: &str, action_type: &str) -> Action {
    Action {
        action_type: action_type.into(),
        action_id: format!("{order_id}/{action_type}"),
        action_description: None,
        blocking_type: BlockingType::Hard,
        action_parameters: None,
    }
}

/// An instant action.
pub(super) fn instant(action_type: &str, id: &str) -> Action {
    Action {
        action_type: action_type.into(),
        action_id: id.into(),
        action_description: None,
        blocking_type: BlockingType::Hard,
        action_parameters: None,
    }
}

/// Sends what changed: instant actions, new orders, updates, resends.
pub(super) fn emit(
    site: Res<'_, Site>,
    clock: Res<'_, Clock>,
    config: Res<'_, Config>,
    mut routes: ResMut<'_, Routes>,
    mut out: ResMut<'_, Outbox>,
    mut vehicles: Query<'_, '_, (&Vehicle, &Report, &Health, &Job, &mut Drive)>,
) {
    let now = clock.now;
    let layout = &site.layout;
    let mut items: Vec<_> = vehicles.iter_mut().collect();
    items.sort_by_key(|v| v.0.idx);
    for (vehicle, report, health, job, mut drive) in items {
        if !drive.instant.is_empty() {
            drive.headers.1 += 1;
            let message = InstantActions {
                header: header(drive.headers.1, now, vehicle),
                actions: std::mem::take(&mut drive.instant),
            };
            out.messages.push((vehicle.id.clone(), ToVehicle::InstantActions(message)));
        }
        if *health != Health::Ok {
            continue;
        }
        let Some(order_id) = drive.order_id.clone() else { continue };
        let ours = report.order_id == order_id;
        let due = now >= drive.sent_at + config.0.resend_after_ms;
        // A job changed while the vehicle still holds a horizon of the old
        // order (e.g. a cut-back update was lost): cut it back again.
        if drive.start_new
            && ours
            && !report.order_done
            && report.released.is_empty()
            && drive.ahead() == 0
            && due
        {
            drive.truncate = true;
        }
        let from_seq = if drive.fresh {
            drive.base.front().map(|b| b.1)
        } else if !drive.extend.is_empty() {
            drive.base.get(drive.base.len() - 1 - drive.extend.len()).map(|b| b.1)
        } else if drive.truncate {
            drive.base.back().map(|b| b.1)
        } else if due && !ours && report.seen.is_some_and(|s| s > drive.sent_at) {
            // The new order never arrived: send it again, whole (even if the
            // job has changed since: the vehicle must finish this base first).
            drive.base.front().map(|b| b.1)
        } else if due
            && ours
            && report.update_id < drive.update_id
            && report.seen.is_some_and(|s| s > drive.sent_at)
        {
            // An update never arrived: continue from where the vehicle stands.
            Some(report.known_seq.max(drive.base.front().map_or(0, |b| b.1)))
        } else {
            None
        };
        let Some(from_seq) = from_seq else { continue };
        let resend = drive.extend.is_empty() && !drive.fresh && !drive.truncate;
        let start = drive.base.iter().position(|b| b.1 >= from_seq).unwrap_or(0);
        let mut nodes: Vec<NodeIdx> = drive.base.iter().skip(start).map(|b| b.0).collect();
        let mut edges: Vec<EdgeIdx> = drive.edges.iter().skip(start).copied().collect();
        let n_released = nodes.len();
        // The horizon: the rest of the way, unless the goal is released or the order is cut back.
        if !drive.goal_released
            && !drive.truncate
            && !drive.start_new
            && let (Some((goal, _)), Some(end)) = (job.goal, drive.end())
            && let Some(tables) = routes.tables.get_mut(vehicle.road)
        {
            for (e, n) in tables.path(end, goal, config.0.horizon_nodes) {
                edges.push(e);
                nodes.push(n);
            }
        }
        if !resend {
            drive.update_id = if drive.fresh { 0 } else { drive.update_id + 1 };
        }
        drive.headers.0 += 1;
        let target = OrderTarget {
            manufacturer: &vehicle.id.manufacturer,
            serial_number: &vehicle.id.serial_number,
            order_id: &order_id,
            order_update_id: drive.update_id,
            header_id: drive.headers.0,
            first_sequence_id: from_seq,
        };
        match order_for_path(layout, &nodes, &edges, n_released, &target, now) {
            Ok(mut order) => {
                if let Some((seq, action)) = &drive.goal_action
                    && let Some(node) = order.nodes.iter_mut().find(|n| n.sequence_id == *seq && n.released)
                {
                    node.actions = vec![action.clone()];
                }
                drive.has_horizon = nodes.len() > n_released;
                drive.horizon = nodes[n_released..].to_vec();
                drive.sent_at = now;
                out.messages.push((vehicle.id.clone(), ToVehicle::Order(Box::new(order))));
            }
            Err(e) => out.event(
                now,
                EventKind::InternalError {
                    vehicle: Some(vehicle.id.serial_number.clone()),
                    what: format!("could not build order {order_id}: {e}"),
                },
            ),
        }
        drive.fresh = false;
        drive.truncate = false;
        drive.arrive = false;
        drive.extend.clear();
    }
}

fn header(header_id: u32, now: Millis, vehicle: &Vehicle) -> Header {
    Header {
        header_id,
        timestamp: Timestamp::at(now),
        version: PROTOCOL_VERSION.into(),
        manufacturer: vehicle.id.manufacturer.clone(),
        serial_number: vehicle.id.serial_number.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_order_ids_parse_back_to_their_leg_and_nothing_else_does() {
        assert_eq!(transport_of(&format!("{}-123", leg_tag(42, Leg::Pick))), Some((42, Leg::Pick)));
        assert_eq!(transport_of(&format!("{}-0", leg_tag(7, Leg::Drop))), Some((7, Leg::Drop)));
        assert_eq!(transport_of(&format!("{}-5", leg_tag(7, Leg::Via(3)))), Some((7, Leg::Via(3))));
        assert_eq!(transport_of("T7-via-5"), None);
        assert_eq!(transport_of("T7-viax-5"), None);
        for other in
            ["", "T", "T42-pick", "T42-pick-", "T42-picks-1", "T4x-pick-1", "AGV-01-move-5", "T42-pick-1-2"]
        {
            assert_eq!(transport_of(other), None, "{other:?}");
        }
    }
}
