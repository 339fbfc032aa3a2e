//! Systems 4 and 5: plan the next moves (asynchronous PIBT over the
//! vehicles whose base runs short) and keep the reservation table in step
//! with where vehicles are.

use bevy_ecs::prelude::*;
use layout::NodeIdx;

use super::model::*;
use crate::orders::Millis;
use crate::traffic::reservations::{Place, VehicleIdx};
use crate::traffic::step::{Decision, Mover, plan_step};
use crate::traffic::waits::WaitReason;

/// The pseudo-vehicle that holds closed nodes.
pub(super) fn site_holder(n_vehicles: usize) -> VehicleIdx {
    VehicleIdx(n_vehicles as u32)
}

/// Whether the vehicle may get more base now.
fn ready(health: &Health, report: &Report, drive: &Drive, release_ahead: usize) -> bool {
    if *health != Health::Ok || report.paused || drive.base.is_empty() || drive.truncate {
        return false;
    }
    if drive.start_new {
        // A new order only once the vehicle is done with the last one.
        let ours =
            drive.order_id.as_deref().is_none_or(|o| o == report.order_id || report.order_id.is_empty());
        return drive.ahead() == 0 && (report.order_done || report.order_id.is_empty()) && ours;
    }
    !drive.goal_released && drive.ahead() < release_ahead
}

/// System 4: one step of asynchronous PIBT.
#[expect(clippy::too_many_arguments, reason = "a system takes the resources it uses")]
pub(super) fn plan(
    site: Res<'_, Site>,
    config: Res<'_, Config>,
    clock: Res<'_, Clock>,
    mut routes: ResMut<'_, Routes>,
    mut reservations: ResMut<'_, Reservations>,
    mut deadlocks: ResMut<'_, Deadlocks>,
    mut blocked: ResMut<'_, Blocked>,
    mut vehicles: Query<'_, '_, (&Vehicle, &Report, &Health, &Job, &mut Drive, &mut Waiting)>,
) {
    let now = clock.now;
    let mut items: Vec<_> = vehicles.iter_mut().collect();
    items.sort_by_key(|v| v.0.idx);
    let table = &mut reservations.0;

    // Routing avoids closed places and nodes held by fenced vehicles.
    let mut avoid: Vec<NodeIdx> = Vec::new();
    let mut avoid_edges: Vec<layout::EdgeIdx> = Vec::new();
    for place in blocked.closed.keys() {
        match *place {
            Place::Node(n) => avoid.push(n),
            Place::Edge(e) => avoid_edges.push(e),
        }
    }
    for (vehicle, _, health, ..) in &items {
        if matches!(health, Health::Fenced { .. }) {
            avoid.extend(table.held_by(vehicle.idx).filter_map(|p| match p {
                Place::Node(n) => Some(n),
                Place::Edge(_) => None,
            }));
        }
    }
    avoid.sort_unstable();
    avoid.dedup();
    let avoid = (avoid, avoid_edges);
    if avoid != blocked.applied {
        for t in &mut routes.tables {
            t.set_blocked(&avoid.0, &avoid.1);
        }
        blocked.applied = avoid;
    }

    for item in &mut items {
        item.5.reason = None;
    }
    let starting = items.iter().any(|(_, _, h, ..)| **h == Health::Unplaced)
        && now < clock.started.unwrap_or(Millis::ZERO) + config.0.startup_grace_ms;
    if starting {
        for item in &mut items {
            item.5.reason = Some(WaitReason::Starting);
        }
        return;
    }

    // The ready vehicles, highest priority first: those with somewhere to
    // go, oldest job first (PIBT's priority: it grows until the goal is
    // reached, so the most urgent vehicle keeps precedence over the ones it
    // pushes instead of trading places with them).
    let mut ready_idx: Vec<usize> = (0..items.len())
        .filter(|&i| {
            let (_, report, health, _, drive, _) = &items[i];
            ready(health, report, drive, config.0.release_ahead)
        })
        .collect();
    // A new job whose goal is where the vehicle stands needs no move.
    ready_idx.retain(|&i| {
        let (_, _, _, job, drive, _) = &mut items[i];
        let here = drive.end();
        if drive.start_new && job.goal.is_some_and(|(g, _)| Some(g) == here) {
            drive.arrive = true;
            return false;
        }
        true
    });
    ready_idx.sort_by_key(|&i| {
        let (vehicle, _, _, job, _, _) = &items[i];
        (
            !deadlocks.must_move.contains(&vehicle.idx),
            deadlocks.yielding.contains_key(&vehicle.idx),
            job.goal.is_none(),
            job.since,
            vehicle.idx,
        )
    });
    // Every planning vehicle holds its goal's distance table through the
    // step: as many goals as the tables' memory budget holds plan this
    // step, the highest priority first; the others plan at the next.
    let per_table = site.layout.nodes.len().max(1) * size_of::<u32>();
    let max_goals = (config.0.distance_cache_bytes / per_table).max(16);
    let mut seen = std::collections::BTreeSet::new();
    let keep = ready_idx
        .iter()
        .position(|&i| items[i].3.goal.is_some_and(|g| seen.insert(g.0)) && seen.len() > max_goals)
        .unwrap_or(ready_idx.len());
    ready_idx.truncate(keep);
    let goals: Vec<Option<NodeIdx>> = ready_idx.iter().map(|&i| items[i].3.goal.map(|g| g.0)).collect();
    let dists: Vec<Option<crate::traffic::routing::Table>> = ready_idx
        .iter()
        .zip(&goals)
        .map(|(&i, g)| g.map(|g| routes.tables[items[i].0.road].shared(g)))
        .collect();
    let movers: Vec<Mover<'_>> = ready_idx
        .iter()
        .zip(&goals)
        .map(|(&i, &goal)| {
            let (vehicle, report, _, _, drive, _) = &items[i];
            Mover {
                vehicle: vehicle.idx,
                at: drive.end().unwrap_or(NodeIdx(0)),
                goal,
                must_move: deadlocks.must_move.contains(&vehicle.idx),
                roads: routes.tables[vehicle.road].roads(),
                closed_edges: &blocked.applied.1,
                tail: drive.tail.iter().map(|t| t.0).collect(),
                pushable: vehicle.tail_m <= 0.0,
                straight: (config.0.quarter_turn_ms > 0)
                    .then(|| straight_ahead(&site.layout, routes.tables[vehicle.road].roads(), drive, report))
                    .flatten(),
                turns_in_place: config.0.quarter_turn_ms > 0,
            }
        })
        .collect();
    let mut dist = |m: usize, node: NodeIdx| {
        dists[m].as_ref().map_or(crate::traffic::routing::UNREACHABLE, |d| d.get(node.index()))
    };
    // Driving on: moving, healthy and not paused (a vehicle that broke
    // down while driving may still say it drives).
    let driving: Vec<bool> =
        items.iter().map(|item| item.1.driving && *item.2 == Health::Ok && !item.1.paused).collect();
    let decisions = plan_step(&movers, table, &site.bodies, &mut dist, clock.tick, &driving);
    deadlocks.must_move.clear();
    for ((&i, decision), goal) in ready_idx.iter().zip(decisions).zip(goals) {
        let (_, _, _, _, drive, waiting) = &mut items[i];
        match decision {
            Decision::Move { edge, to } => {
                drive.extend.push((edge, to));
            }
            Decision::Stay => {}
            Decision::Wait(b) => {
                waiting.reason = Some(match (b, goal) {
                    (Some(b), _) => WaitReason::Reservation { place: b.wanted, holder: b.by },
                    (None, Some(goal)) => WaitReason::NoRoute { goal },
                    (None, None) => WaitReason::NoOrder,
                });
            }
        }
    }
}

/// The node straight ahead of a vehicle's decision point, facing as it
/// will there: along the last edge of its base, or as it reports (within
/// 10°).
fn straight_ahead(
    layout: &layout::Layout,
    roads: &crate::traffic::routing::RoadGraph,
    drive: &Drive,
    report: &Report,
) -> Option<NodeIdx> {
    let at = drive.end()?;
    let here = layout.node(at).position;
    let facing = match drive.edges.back() {
        Some(&e) => {
            let from = layout.node(layout.edge(e).from).position;
            (here.y - from.y).atan2(here.x - from.x)
        }
        None => report.position?.2,
    };
    roads.out(at).iter().find_map(|&(_, to, _)| {
        let p = layout.node(to).position;
        let off = ((p.y - here.y).atan2(p.x - here.x) - facing).rem_euclid(std::f64::consts::TAU);
        (off.min(std::f64::consts::TAU - off) < 10f64.to_radians()).then_some(to)
    })
}

/// System 5: add decided moves to the bases (opening a new order where
/// the job changed) and hold closed nodes. (Places vehicles have passed
/// are released at ingest, before planning, so that a vehicle pushed back
/// the way it came re-reserves what it left.)
pub(super) fn reserve_and_release(
    site: Res<'_, Site>,
    clock: Res<'_, Clock>,
    mut reservations: ResMut<'_, Reservations>,
    blocked: Res<'_, Blocked>,
    fleet: Res<'_, Fleet>,
    mut vehicles: Query<'_, '_, (&Vehicle, &Report, &Health, &Job, &mut Drive)>,
) {
    let table = &mut reservations.0;
    let mut items: Vec<_> = vehicles.iter_mut().collect();
    items.sort_by_key(|v| v.0.idx);
    for (vehicle, _, health, job, mut drive) in items {
        if *health != Health::Ok {
            continue;
        }
        if drive.start_new && (!drive.extend.is_empty() || drive.arrive) {
            // A new order: its first node is where the vehicle stands.
            let here = drive.end().unwrap_or(NodeIdx(0));
            drive.base.clear();
            drive.base.push_back((here, 0));
            drive.edges.clear();
            let tag = match &job.kind {
                JobKind::Idle => format!("{}-move", vehicle.id.serial_number),
                JobKind::Transport { order, leg } => super::emit::leg_tag(*order, *leg),
                JobKind::Charge { .. } => format!("{}-charge", vehicle.id.serial_number),
                JobKind::Park { .. } => format!("{}-park", vehicle.id.serial_number),
                JobKind::Vacate { .. } => format!("{}-clear", vehicle.id.serial_number),
            };
            drive.order_id = Some(format!("{tag}-{}", clock.now));
            drive.serves = match &job.kind {
                JobKind::Transport { order, leg } => Some((*order, *leg)),
                _ => None,
            };
            drive.update_id = 0;
            drive.start_new = false;
            drive.fresh = true;
            drive.has_horizon = false;
            drive.horizon.clear();
        }
        let extend = std::mem::take(&mut drive.extend);
        let mut at_goal = drive.arrive;
        for &(edge, to) in &extend {
            let seq = drive.base.back().map_or(0, |b| b.1 + 2);
            drive.base.push_back((to, seq));
            drive.edges.push_back(edge);
            at_goal |= job.goal.is_some_and(|(g, _)| g == to);
        }
        drive.extend = extend;
        if at_goal && let Some((goal, kind)) = job.goal {
            drive.goal_released = true;
            let seq = drive.base.iter().rev().find(|b| b.0 == goal).map_or(0, |b| b.1);
            let order_id = drive.order_id.clone().unwrap_or_default();
            drive.goal_action = kind.map(|k| (seq, super::emit::goal_action(&order_id, k)));
        }
    }

    // Closed places are held by the site as soon as they are free; reopened ones let go.
    let holder = site_holder(fleet.entities.len());
    let held: Vec<Place> = table.held_by(holder).collect();
    let reopened: Vec<Place> = held.iter().copied().filter(|p| !blocked.closed.contains_key(p)).collect();
    table.release(holder, &reopened);
    for &place in blocked.closed.keys() {
        let _ = table.try_reserve(&site.bodies, holder, &[place]);
    }
}
