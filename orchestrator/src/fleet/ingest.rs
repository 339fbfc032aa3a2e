//! System 1, ingest: vehicle messages into the fleet model, placement of
//! vehicles on the layout (re-adopting the orders they run after a
//! restart), and fencing of vehicles the orchestrator can no longer trust.

use bevy_ecs::prelude::*;
use layout::NodeIdx;
use nalgebra::Point2;
use protocol::messages::{
    ActionStatus, AgvClass, ConnectionState, ErrorLevel, Factsheet, State, action_types,
};
use protocol::transport::{FromVehicle, OrchestratorEvent};

use super::EventKind;
use super::emit::{goal_action, transport_of};
use super::model::*;
use crate::orders::Millis;
use crate::traffic::reservations::Place;
use crate::vda::route_edges;

type VehicleItem<'a> = (&'a Vehicle, Mut<'a, Report>, Mut<'a, Health>, &'a Job, Mut<'a, Drive>);

/// Reads the inbox, then places, checks and fences every vehicle.
#[expect(clippy::too_many_arguments, reason = "a system takes the resources it uses")]
pub(super) fn ingest(
    mut inbox: ResMut<'_, Inbox>,
    mut out: ResMut<'_, Outbox>,
    mut site: ResMut<'_, Site>,
    fleet: Res<'_, Fleet>,
    clock: Res<'_, Clock>,
    config: Res<'_, Config>,
    mut reservations: ResMut<'_, Reservations>,
    mut vehicles: Query<'_, '_, (&Vehicle, &mut Report, &mut Health, &Job, &mut Drive)>,
) {
    let now = clock.now;
    for event in std::mem::take(&mut inbox.0) {
        let (vehicle, message) = match event {
            OrchestratorEvent::Rejected(e) => {
                let vehicle = Some(e.key.serial_number.clone());
                out.event(now, EventKind::InputRejected { vehicle, reason: e.to_string() });
                continue;
            }
            OrchestratorEvent::Presence { vehicle, state } => (vehicle, Err(state)),
            OrchestratorEvent::Message { vehicle, message } => (vehicle, Ok(message)),
        };
        let Some(&idx) = fleet.by_id.get(&vehicle) else {
            out.event(
                now,
                EventKind::InputRejected {
                    vehicle: Some(vehicle.serial_number.clone()),
                    reason: format!("{vehicle} is not a vehicle of this fleet"),
                },
            );
            continue;
        };
        let Ok((_, mut report, ..)) = vehicles.get_mut(fleet.entities[idx.0 as usize]) else { continue };
        match message {
            Err(state) => {
                if state == ConnectionState::Online {
                    // A new session: its header ids may start again.
                    report.last_state = None;
                }
                report.connection = Some(state);
            }
            Ok(FromVehicle::Connection(c)) => {
                if c.connection_state == ConnectionState::Online {
                    report.last_state = None;
                }
                report.connection = Some(c.connection_state);
            }
            Ok(FromVehicle::State(state)) => {
                if is_stale(&report, &state) {
                    report.stale_dropped += 1;
                    continue;
                }
                if let Err(reason) = apply_state(&mut report, &state, &site, config.0.max_offset_m, now) {
                    out.event(
                        now,
                        EventKind::InputRejected { vehicle: Some(vehicle.serial_number.clone()), reason },
                    );
                }
            }
            Ok(FromVehicle::Factsheet(sheet)) => {
                let Ok((vehicle, ..)) = vehicles.get(fleet.entities[idx.0 as usize]) else { continue };
                if vehicle.body.is_none() {
                    let clearance = config.0.footprint.clearance;
                    if let Some(kind) = adopt_body(vehicle, &sheet, clearance, &mut site, &reservations.0) {
                        out.event(now, kind);
                    }
                    continue;
                }
                for (field, fleet_says, sheet_says) in factsheet_mismatches(vehicle, &sheet) {
                    out.event(
                        now,
                        EventKind::FactsheetMismatch {
                            vehicle: vehicle.id.serial_number.clone(),
                            field: field.into(),
                            fleet: fleet_says,
                            factsheet: sheet_says,
                        },
                    );
                }
            }
            Ok(FromVehicle::Visualization(_)) => {}
        }
    }

    let mut items: Vec<VehicleItem<'_>> = vehicles.iter_mut().collect();
    items.sort_by_key(|v| v.0.idx);
    for (vehicle, report, mut health, job, mut drive) in items {
        let serial = &vehicle.id.serial_number;
        let table = &mut reservations.0;
        match health.clone() {
            Health::Unplaced => {
                let Some(node) = report.node else { continue };
                match place(vehicle, &report, job, &mut drive, table, &site, node) {
                    Ok(()) => {
                        *health = Health::Ok;
                        // Its factsheet says what it is: checked against the fleet file.
                        let id = format!("factsheet-{}-{now}", vehicle.id.serial_number);
                        drive.instant.push(super::emit::instant(action_types::FACTSHEET_REQUEST, &id));
                    }
                    Err(reason) => fence(&mut health, &mut out, now, serial, reason),
                }
            }
            Health::Ok => {
                if let Some(reason) = distrust(&report, &drive, &config.0, now, &site) {
                    if let Some(node) = report.node {
                        // Hold where it physically is, if nobody else does.
                        let _ = table.try_reserve(&site.bodies, vehicle.idx, &[Place::Node(node)]);
                    }
                    drive.extend.clear();
                    fence(&mut health, &mut out, now, serial, reason);
                } else {
                    release_passed(vehicle, &report, &mut drive, table, &site.layout);
                    release_ended(vehicle, &report, &mut drive, table);
                }
            }
            Health::Fenced { reason, .. } => {
                if matches!(reason, FenceReason::CancelUnconfirmed { .. }) {
                    // The handshake gave up: an operator's restart of the vehicle (a new
                    // connection) starts it again.
                    if report.last_state.is_some() {
                        continue;
                    }
                    drive.cancel = None;
                }
                if distrust(&report, &drive, &config.0, now, &site)
                    .is_some_and(|r| !matches!(r, FenceReason::NotReleased { .. }))
                {
                    continue;
                }
                let Some(node) = report.node else { continue };
                match resync(vehicle, &report, &mut drive, &config.0, now) {
                    Resync::Waiting => continue,
                    Resync::GaveUp(reason) => {
                        fence(&mut health, &mut out, now, serial, reason);
                        continue;
                    }
                    Resync::Stopped => {}
                }
                let keep: Vec<Place> =
                    table.held_by(vehicle.idx).filter(|p| *p == Place::Node(node)).collect();
                table.release_all_except(vehicle.idx, &keep);
                match table.try_reserve(&site.bodies, vehicle.idx, &[Place::Node(node)]) {
                    Ok(()) => {
                        reset_drive(&mut drive, &report, node);
                        drive.cancel = None;
                        *health = Health::Ok;
                        out.event(now, EventKind::VehicleRecovered { vehicle: serial.clone() });
                    }
                    Err(b) => {
                        // Still physically there: hold what we can, stay fenced.
                        let _ = b;
                    }
                }
            }
        }
    }
}

/// Takes the body a factsheet gives for a vehicle the fleet file gives
/// none, if it changes anything and if the vehicle's places stay clear of
/// every other holder's with it; the event that says what happened.
fn adopt_body(
    vehicle: &Vehicle,
    sheet: &Factsheet,
    clearance: f64,
    site: &mut Site,
    table: &crate::traffic::reservations::ReservationTable,
) -> Option<EventKind> {
    let p = &sheet.physical_parameters;
    let body = super::Body::new(p.length, p.width);
    let event = |adopted, reason| EventKind::BodyFromFactsheet {
        vehicle: vehicle.id.serial_number.clone(),
        length: p.length,
        width: p.width,
        adopted,
        reason,
    };
    if let Err(why) = body.check() {
        return Some(event(false, Some(format!("factsheet physicalParameters: {why}"))));
    }
    let footprint = body.footprint(clearance);
    if site.bodies.footprint(vehicle.idx) == footprint {
        return None;
    }
    let Site { layout, spatial, bodies, .. } = site;
    let grown = bodies.with_body(vehicle.idx, footprint, layout, spatial);
    let held: Vec<Place> = table.held_by(vehicle.idx).collect();
    if let Some(b) = held.iter().find_map(|&p| table.blocker(&grown, vehicle.idx, p)) {
        let reason = format!("its body would reach {:?}, held by vehicle #{}", b.held, b.by.0);
        return Some(event(false, Some(reason)));
    }
    *bodies = grown;
    Some(event(true, None))
}

/// Where a factsheet contradicts the fleet file: (field, fleet file, factsheet).
fn factsheet_mismatches(vehicle: &Vehicle, sheet: &Factsheet) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if sheet.manufacturer != vehicle.id.manufacturer {
        out.push(("manufacturer", vehicle.id.manufacturer.clone(), sheet.manufacturer.clone()));
    }
    let Some(body) = &vehicle.body else { return out };
    let p = &sheet.physical_parameters;
    for (field, fleet, factsheet) in [
        ("physicalParameters.length", body.length, p.length),
        ("physicalParameters.width", body.width, p.width),
    ] {
        if (fleet - factsheet).abs() > 0.01 {
            out.push((field, format!("{fleet} m"), format!("{factsheet} m")));
        }
    }
    let tugger = sheet.type_specification.agv_class == AgvClass::Tugger;
    let train = !body.trailers.is_empty();
    if tugger != train {
        let trailers = format!("{} trailers", body.trailers.len());
        out.push((
            "typeSpecification.agvClass",
            trailers,
            format!("{:?}", sheet.type_specification.agv_class),
        ));
    }
    out
}

/// Releases every place before the node the vehicle reports having
/// reached on our order (places it will pass again stay held); a tugger
/// train keeps the places its trailers are still on (its tail).
fn release_passed(
    vehicle: &Vehicle,
    report: &Report,
    drive: &mut Drive,
    table: &mut crate::traffic::reservations::ReservationTable,
    layout: &layout::Layout,
) {
    if drive.order_id.as_deref() != Some(report.order_id.as_str()) {
        return;
    }
    let Some(node) = report.node else { return };
    let Some(k) = drive.base.iter().position(|&(n, s)| n == node && s == report.seq).filter(|&k| k > 0)
    else {
        return;
    };
    let gone_nodes: Vec<NodeIdx> = drive.base.drain(..k).map(|b| b.0).collect();
    let m = k.min(drive.edges.len());
    let gone_edges: Vec<_> = drive.edges.drain(..m).collect();
    for (i, n) in gone_nodes.into_iter().enumerate() {
        drive.tail.push_back((Place::Node(n), 0.0));
        if let Some(&e) = gone_edges.get(i) {
            drive.tail.push_back((Place::Edge(e), layout.edge(e).length));
        }
    }
    // Out of the tail, oldest first, what lies farther behind than it reaches.
    let mut behind: f64 = drive.tail.iter().map(|t| t.1).sum();
    let mut release = Vec::new();
    while let Some(&(place, metres)) = drive.tail.front() {
        let near_end = if matches!(place, Place::Edge(_)) { behind - metres } else { behind };
        if near_end < vehicle.tail_m {
            break;
        }
        drive.tail.pop_front();
        behind -= metres;
        release.push(place);
    }
    release.retain(|p| {
        let ahead = match *p {
            Place::Node(n) => drive.base.iter().any(|b| b.0 == n),
            Place::Edge(e) => drive.edges.contains(&e),
        };
        !ahead && !drive.tail.iter().any(|t| t.0 == *p)
    });
    table.release(vehicle.idx, &release);
}

/// A vehicle whose order ended before it reached the end of the base we
/// hold for it — the order it ran when it was adopted, cancelled since,
/// stopped at its next node — stands where the base ends: the places
/// beyond are free again (else it would wait for that base forever).
fn release_ended(
    vehicle: &Vehicle,
    report: &Report,
    drive: &mut Drive,
    table: &mut crate::traffic::reservations::ReservationTable,
) {
    let Some(node) = report.node else { return };
    if !(drive.start_new && report.order_done && drive.ahead() > 0 && report.released.is_empty()) {
        return;
    }
    if drive.order_id.as_deref() != Some(report.order_id.as_str()) || drive.update_id != report.update_id {
        return; // not the order the base was adopted from, or an update is on its way
    }
    drive.base.clear();
    drive.base.push_back((node, report.seq));
    drive.edges.clear();
    drive.tail.clear();
    drive.goal_released = false;
    drive.goal_action = None;
    table.release_all_except(vehicle.idx, &[Place::Node(node)]);
}

fn fence(health: &mut Health, out: &mut Outbox, now: Millis, serial: &str, reason: FenceReason) {
    out.event(now, EventKind::VehicleFenced { vehicle: serial.to_string(), reason: reason.to_string() });
    *health = Health::Fenced { reason, since: now };
}

/// Whether a state is older than the last one applied (by header id or
/// timestamp), or the same one again. Header ids wrap at `u32::MAX`.
fn is_stale(report: &Report, state: &State) -> bool {
    let Some((last_id, last_ms)) = report.last_state else { return false };
    let ms = state.header.timestamp.unix_millis();
    let behind = last_id.wrapping_sub(state.header.header_id) < u32::MAX / 2;
    behind || ms < last_ms
}

/// How many `cancelOrder` a fenced vehicle is sent before the core gives up.
const MAX_CANCEL_ATTEMPTS: u32 = 5;

/// Where the resynchronisation of a fenced vehicle stands.
enum Resync {
    /// It runs no order (or confirmed the cancellation): re-place it.
    Stopped,
    /// A `cancelOrder` is out; wait for its answer.
    Waiting,
    /// It never confirmed: stay fenced, stop asking.
    GaveUp(FenceReason),
}

/// The bounded handshake that stops a fenced vehicle's old order: a
/// `cancelOrder` every `resend_after_ms` until its state shows the order
/// stopped, or the cancel action FAILED (`noOrderToCancel`: nothing left
/// to cancel), at most
/// [`MAX_CANCEL_ATTEMPTS`] times.
fn resync(
    vehicle: &Vehicle,
    report: &Report,
    drive: &mut Drive,
    config: &super::FleetConfig,
    now: Millis,
) -> Resync {
    // FAILED: the vehicle had nothing to cancel (`noOrderToCancel`). A
    // FINISHED cancel still needs the state to show the order stopped
    // (the vehicle drives on to its next node first).
    let nothing_to_cancel =
        drive.cancel.as_ref().is_some_and(|(id, _)| report.actions.get(id) == Some(&ActionStatus::Failed));
    if nothing_to_cancel || report.order_done || report.order_id.is_empty() {
        return Resync::Stopped;
    }
    if drive.cancel_at.is_some_and(|t| now < t + config.resend_after_ms) {
        return Resync::Waiting;
    }
    let attempts = drive.cancel.as_ref().map_or(0, |c| c.1);
    if attempts >= MAX_CANCEL_ATTEMPTS {
        return Resync::GaveUp(FenceReason::CancelUnconfirmed { attempts });
    }
    drive.cancel_at = Some(now);
    let id = format!("cancel-{}-{now}", vehicle.id.serial_number);
    drive.instant.push(super::emit::instant(action_types::CANCEL_ORDER, &id));
    drive.cancel = Some((id, attempts + 1));
    Resync::Waiting
}

/// A fresh base at `node`, the next order a new one.
fn reset_drive(drive: &mut Drive, report: &Report, node: NodeIdx) {
    drive.tail.clear();
    drive.base.clear();
    drive.base.push_back((node, report.seq));
    drive.edges.clear();
    drive.extend.clear();
    drive.goal_action = None;
    drive.goal_released = false;
    drive.has_horizon = false;
    drive.horizon.clear();
    drive.truncate = false;
    drive.start_new = true;
    drive.order_id = (!report.order_id.is_empty()).then(|| report.order_id.clone());
    drive.serves = None;
    drive.update_id = report.update_id;
}

/// Why the vehicle can no longer be trusted, if it cannot.
fn distrust(
    report: &Report,
    drive: &Drive,
    config: &super::FleetConfig,
    now: Millis,
    site: &Site,
) -> Option<FenceReason> {
    match report.connection {
        Some(ConnectionState::ConnectionBroken) => return Some(FenceReason::ConnectionBroken),
        Some(ConnectionState::Offline) => return Some(FenceReason::Offline),
        _ => {}
    }
    if let Some(seen) = report.seen
        && now.saturating_sub(seen) > config.stale_after_ms
    {
        return Some(FenceReason::Silent { for_ms: now - seen });
    }
    if let Some(error) = &report.fatal {
        return Some(FenceReason::Fatal { error: error.clone() });
    }
    if let Some(node) = report.node
        && !drive.base.is_empty()
        && !drive.base.iter().any(|(n, _)| *n == node)
    {
        return Some(FenceReason::NotReleased { node: site.layout.node(node).id.clone() });
    }
    None
}

/// Places a vehicle where it reports to be, holding the places it was
/// already released (from its state) and re-adopting its order if it is
/// the leg of its (restored) job.
fn place(
    vehicle: &Vehicle,
    report: &Report,
    job: &Job,
    drive: &mut Drive,
    table: &mut crate::traffic::reservations::ReservationTable,
    site: &Site,
    node: NodeIdx,
) -> Result<(), FenceReason> {
    let layout = &site.layout;
    let unplaceable = |why: String| FenceReason::Unplaceable { why };
    let running = !report.order_done && !report.order_id.is_empty();
    let mut route = vec![(node, report.seq)];
    if running {
        route.extend(report.released.iter().copied().filter(|(_, s)| *s > report.seq));
    }
    let nodes: Vec<NodeIdx> = route.iter().map(|r| r.0).collect();
    let edges = route_edges(layout, &nodes)
        .map_err(|e| unplaceable(format!("its released route is not on the layout: {e}")))?;
    let places: Vec<Place> =
        nodes.iter().map(|n| Place::Node(*n)).chain(edges.iter().map(|e| Place::Edge(*e))).collect();
    if let Err(b) = table.try_reserve(&site.bodies, vehicle.idx, &places) {
        // At least hold the node it stands on, if free.
        let _ = table.try_reserve(&site.bodies, vehicle.idx, &[Place::Node(node)]);
        return Err(unplaceable(format!(
            "it reports being on {} but {:?} there is held by vehicle #{}",
            layout.node(node).id,
            b.held,
            b.by.0
        )));
    }
    reset_drive(drive, report, node);
    drive.base = route.into_iter().collect();
    drive.edges = edges.into_iter().collect();
    if running {
        let ours = match &job.kind {
            JobKind::Transport { order, leg } => transport_of(&report.order_id) == Some((*order, *leg)),
            _ => false,
        };
        if ours {
            // Re-adopt: updates continue its order.
            drive.serves = transport_of(&report.order_id);
            drive.start_new = false;
            drive.has_horizon = true;
            drive.truncate = false;
            if let Some((goal, kind)) = job.goal
                && let Some(&(_, seq)) = drive.base.iter().find(|(n, _)| *n == goal)
            {
                drive.goal_released = true;
                drive.goal_action = kind.map(|k| (seq, goal_action(&report.order_id, k)));
            }
        } else {
            let at = report.seen.unwrap_or(Millis::ZERO);
            drive.cancel_at = Some(at);
            let id = format!("cancel-{}-{at}", vehicle.id.serial_number);
            drive.instant.push(super::emit::instant(action_types::CANCEL_ORDER, &id));
        }
    }
    Ok(())
}

/// Updates the report from a state message, or says why it is refused.
fn apply_state(
    report: &mut Report,
    state: &State,
    site: &Site,
    max_offset: f64,
    now: Millis,
) -> Result<(), String> {
    let layout = &site.layout;
    if let Some(p) = &state.agv_position
        && !p.map_id.is_empty()
        && !site.map_ids.is_empty()
        && !site.map_ids.contains(&p.map_id)
    {
        return Err(format!(
            "state: agvPosition.mapId {:?} is not a map of this layout (expected one of {})",
            p.map_id,
            site.map_ids.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let node = if state.last_node_id.is_empty() {
        None
    } else {
        Some(layout.node_by_id(&state.last_node_id).ok_or_else(|| {
            format!("state: lastNodeId {:?} is not a node of the layout", state.last_node_id)
        })?)
    };
    if let Some(p) = &state.agv_position
        && p.position_initialized
        // Near its last node: on the layout, no need to ask the index.
        && node.is_none_or(|n| (layout.node(n).position - Point2::new(p.x, p.y)).norm() > max_offset)
    {
        let at = Point2::new(p.x, p.y);
        let level = node.map(|n| layout.node(n).level).unwrap_or(layout::LevelIdx(0));
        let near_node = site.spatial.nearest_node(level, at).map_or(f64::INFINITY, |(_, d)| d);
        let near_edge = site.spatial.nearest_edge(level, at).map_or(f64::INFINITY, |(_, d)| d);
        if near_node.min(near_edge) > max_offset {
            return Err(format!(
                "state: agvPosition ({:.2}, {:.2}) is {:.1} m from the nearest road of the layout",
                p.x,
                p.y,
                near_node.min(near_edge)
            ));
        }
    }
    let mut released = Vec::new();
    for (i, ns) in state.node_states.iter().enumerate() {
        if ns.released {
            let n = layout.node_by_id(&ns.node_id).ok_or_else(|| {
                format!("state: nodeStates[{i}].nodeId {:?} is not a node of the layout", ns.node_id)
            })?;
            released.push((n, ns.sequence_id));
        }
    }
    released.sort_by_key(|r| r.1);
    report.seen = Some(now);
    report.last_state = Some((state.header.header_id, state.header.timestamp.unix_millis()));
    if report.connection.is_none_or(|c| c != ConnectionState::Online) {
        report.connection = Some(ConnectionState::Online);
    }
    if node.is_some() {
        report.node = node;
        report.seq = state.last_node_sequence_id;
    }
    report.known_seq = released.last().map_or(state.last_node_sequence_id, |r| r.1);
    report.released = released;
    report.order_id.clone_from(&state.order_id);
    report.update_id = state.order_update_id;
    report.order_done =
        state.node_states.is_empty() && state.action_states.iter().all(|a| a.action_status.is_terminal());
    report.paused = state.paused.unwrap_or(false);
    report.battery = state.battery_state.battery_charge;
    report.charging = state.battery_state.charging;
    report.driving = state.driving;
    report.fatal = state
        .errors
        .iter()
        .find(|e| e.error_level == ErrorLevel::Fatal)
        .map(|e| e.error_description.clone().unwrap_or_else(|| e.error_type.as_str().to_string()));
    report.errors = state
        .errors
        .iter()
        .map(|e| {
            let level = if e.error_level == ErrorLevel::Fatal { "FATAL" } else { "WARNING" };
            match &e.error_description {
                Some(d) => format!("{level} {}: {d}", e.error_type.as_str()),
                None => format!("{level} {}", e.error_type.as_str()),
            }
        })
        .collect();
    report.operating_mode =
        serde_json::to_value(state.operating_mode).ok().and_then(|v| v.as_str().map(str::to_string));
    report.loads = state
        .loads
        .iter()
        .flatten()
        .map(|l| l.load_id.clone().or_else(|| l.load_type.clone()).unwrap_or_else(|| "load".into()))
        .collect();
    report.position = state.agv_position.as_ref().map(|p| (p.x, p.y, p.theta));
    report.actions = state.action_states.iter().map(|a| (a.action_id.clone(), a.action_status)).collect();
    Ok(())
}
