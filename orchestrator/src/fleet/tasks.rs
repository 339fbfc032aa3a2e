//! Systems 2 and 3: update tasks from what vehicles report, and assign
//! work (transport orders, charging, parking) to free vehicles.

use bevy_ecs::prelude::*;
use layout::{Layout, NodeIdx, StationIdx, StationKind};
use protocol::messages::{ActionStatus, action_types};

use super::EventKind;
use super::model::*;
use crate::assign::assign as match_orders;
use crate::orders::{Millis, OrderStatus, TransportOrder};
use crate::records::StoreRecord;
use crate::traffic::routing::UNREACHABLE;

/// Changes a vehicle's job: the next order is a new one, and an order in
/// flight with a horizon is cut back to its base.
pub(super) fn set_job(
    job: &mut Job,
    drive: &mut Drive,
    kind: JobKind,
    goal: Option<(NodeIdx, Option<&'static str>)>,
    now: Millis,
) {
    *job = Job { kind, since: now, goal };
    drive.start_new = true;
    drive.goal_released = false;
    drive.goal_action = None;
    if drive.has_horizon {
        drive.truncate = true;
    }
}

/// The goal of transport leg `leg` of `order`.
pub(super) fn leg_goal(order: &TransportOrder, leg: Leg) -> (NodeIdx, Option<&'static str>) {
    match leg {
        Leg::Pick => (order.pickup, Some(action_types::PICK)),
        Leg::Via(k) => (order.via.get(k as usize).copied().unwrap_or(order.drop), None),
        Leg::Drop => (order.drop, Some(action_types::DROP)),
    }
}

/// The time of an order's loaded legs (pickup, stops, drop), ms, if every
/// one can be driven.
fn loaded_ms(order: &TransportOrder, tables: &mut crate::traffic::routing::DistanceTables) -> Option<u64> {
    let stops: Vec<NodeIdx> =
        std::iter::once(order.pickup).chain(order.via.iter().copied()).chain([order.drop]).collect();
    stops.windows(2).try_fold(0u64, |total, w| {
        let leg = tables.distance(w[0], w[1]);
        (leg != UNREACHABLE).then_some(total + u64::from(leg))
    })
}

/// The leg after `leg` (the load is on board), with the status it starts.
fn next_leg(order: &TransportOrder, leg: Leg) -> (Leg, OrderStatus) {
    let next = match leg {
        Leg::Pick => 0,
        Leg::Via(k) => k as usize + 1,
        Leg::Drop => return (Leg::Drop, OrderStatus::ToDrop),
    };
    if next < order.via.len() {
        (Leg::Via(next as u32), OrderStatus::ToStop { stop: next as u32 + 1 })
    } else {
        (Leg::Drop, OrderStatus::ToDrop)
    }
}

/// The load is on board and the vehicle drives on to the next stop.
#[expect(clippy::too_many_arguments, reason = "the pieces of one system's state it changes")]
fn drive_on(
    book: &mut OrderBook,
    out: &mut Outbox,
    keep: usize,
    now: Millis,
    order: u64,
    leg: Leg,
    job: &mut Job,
    drive: &mut Drive,
) {
    let Some((next, status)) = book.orders.get(&order).map(|o| next_leg(o, leg)) else { return };
    advance(book, out, keep, now, order, status);
    let goal = book.orders.get(&order).map(|o| leg_goal(o, next));
    set_job(job, drive, JobKind::Transport { order, leg: next }, goal, now);
}

fn station_node(layout: &Layout, s: StationIdx) -> Option<NodeIdx> {
    layout.stations.get(s.index())?.interaction_nodes.first().copied()
}

/// Moves an order to `status`, journaling it; illegal moves are ignored
/// (the lifecycle guards against double reports).
fn advance(
    book: &mut OrderBook,
    out: &mut Outbox,
    keep: usize,
    now: Millis,
    id: u64,
    status: OrderStatus,
) -> bool {
    let Some(order) = book.orders.get_mut(&id) else { return false };
    if order.transition(now, status.clone()).is_err() {
        return false;
    }
    if status.is_terminal() {
        book.retire(id, keep);
    }
    out.records.push(StoreRecord::Status { id, at: now, status: status.clone() });
    out.event(now, EventKind::OrderStatus { order: id, status });
    true
}

/// System 2: action states advance orders; fenced vehicles give their
/// orders back; charging ends.
pub(super) fn update_tasks(
    mut book: ResMut<'_, OrderBook>,
    mut out: ResMut<'_, Outbox>,
    mut claims: ResMut<'_, Claims>,
    clock: Res<'_, Clock>,
    config: Res<'_, Config>,
    mut vehicles: Query<'_, '_, (&Vehicle, &Report, &Health, &mut Job, &mut Drive)>,
) {
    let now = clock.now;
    let keep = config.0.finished_kept;
    let mut items: Vec<_> = vehicles.iter_mut().collect();
    items.sort_by_key(|v| v.0.idx);
    for (vehicle, report, health, mut job, mut drive) in items {
        let fenced_since = match health {
            Health::Fenced { since, .. } => Some(*since),
            _ => None,
        };
        let action = drive
            .goal_action
            .as_ref()
            .and_then(|(_, a)| report.actions.get(&a.action_id).map(|s| (*s, a.action_type.clone())));
        match job.kind.clone() {
            JobKind::Idle => {}
            JobKind::Transport { order, leg } => {
                let Some(status) = book.orders.get(&order).map(|o| o.status().clone()) else {
                    set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                    continue;
                };
                if status.is_terminal() {
                    set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                    continue;
                }
                if status == (OrderStatus::Assigned { vehicle: vehicle.id.serial_number.clone() })
                    && drive.serves == Some((order, leg))
                {
                    advance(&mut book, &mut out, keep, now, order, OrderStatus::ToPickup);
                }
                if let Some(since) = fenced_since {
                    let loaded = matches!(
                        status,
                        OrderStatus::ToStop { .. } | OrderStatus::ToDrop | OrderStatus::Unloading
                    );
                    if !loaded && advance(&mut book, &mut out, keep, now, order, OrderStatus::Queued) {
                        set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                    } else if loaded && now.saturating_sub(since) >= config.0.load_fault_timeout_ms {
                        let reason = format!(
                            "vehicle {} has been out of service for {} s with the load on board",
                            vehicle.id.serial_number,
                            (now - since) / 1000
                        );
                        advance(&mut book, &mut out, keep, now, order, OrderStatus::Failed { reason });
                        set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                    }
                    continue;
                }
                if let Leg::Via(_) = leg {
                    // A stop is called at by standing on it at the end of the released way.
                    let here = job.goal.map(|g| g.0);
                    if drive.goal_released
                        && drive.ahead() == 0
                        && report.node.is_some()
                        && report.node == here
                    {
                        drive_on(&mut book, &mut out, keep, now, order, leg, &mut job, &mut drive);
                    }
                    continue;
                }
                let Some((state, _)) = action else { continue };
                match (leg, state) {
                    (Leg::Pick, ActionStatus::Running | ActionStatus::Finished) => {
                        advance(&mut book, &mut out, keep, now, order, OrderStatus::Loading);
                        if state == ActionStatus::Finished {
                            drive_on(&mut book, &mut out, keep, now, order, leg, &mut job, &mut drive);
                        }
                    }
                    (Leg::Drop, ActionStatus::Running | ActionStatus::Finished) => {
                        advance(&mut book, &mut out, keep, now, order, OrderStatus::Unloading);
                        if state == ActionStatus::Finished {
                            advance(&mut book, &mut out, keep, now, order, OrderStatus::Delivered);
                            set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                        }
                    }
                    (Leg::Via(_), _) => {}
                    (Leg::Pick, ActionStatus::Failed) => {
                        advance(&mut book, &mut out, keep, now, order, OrderStatus::Queued);
                        set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                    }
                    (Leg::Drop, ActionStatus::Failed) => {
                        let reason = format!("the drop failed on vehicle {}", vehicle.id.serial_number);
                        advance(&mut book, &mut out, keep, now, order, OrderStatus::Failed { reason });
                        set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                    }
                    _ => {}
                }
            }
            JobKind::Charge { station, charging } => {
                if fenced_since.is_some() {
                    claims.by_station.remove(&station);
                    set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                } else if !charging {
                    match action {
                        Some((ActionStatus::Finished, _)) => {
                            job.kind = JobKind::Charge { station, charging: true };
                        }
                        Some((ActionStatus::Failed, _)) => {
                            claims.by_station.remove(&station);
                            set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                        }
                        _ => {}
                    }
                } else if report.battery >= config.0.battery_resume {
                    let id = format!("stop-charging-{}-{now}", vehicle.id.serial_number);
                    drive.instant.push(super::emit::instant(action_types::STOP_CHARGING, &id));
                    claims.by_station.remove(&station);
                    set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                }
            }
            JobKind::Vacate { node } => {
                if fenced_since.is_some() || drive.goal_released && drive.ahead() == 0 {
                    claims.by_node.remove(&node);
                    set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                }
            }
            JobKind::Park { station } => {
                if fenced_since.is_some() {
                    claims.by_station.remove(&station);
                    set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                } else if drive.goal_released && drive.ahead() == 0 {
                    // Parked: it stays idle there, keeping the spot.
                    set_job(&mut job, &mut drive, JobKind::Idle, None, now);
                }
            }
        }
    }
}

/// System 3: queued orders to free vehicles (minimum-cost matching per
/// priority tier), low batteries to chargers, long-idle vehicles to parking.
#[expect(clippy::too_many_arguments, reason = "a system takes the resources it uses")]
pub(super) fn assign(
    mut book: ResMut<'_, OrderBook>,
    mut out: ResMut<'_, Outbox>,
    mut claims: ResMut<'_, Claims>,
    mut routes: ResMut<'_, Routes>,
    reservations: Res<'_, Reservations>,
    site: Res<'_, Site>,
    clock: Res<'_, Clock>,
    config: Res<'_, Config>,
    mut vehicles: Query<'_, '_, (&Vehicle, &Report, &Health, &mut Job, &mut Drive)>,
) {
    let now = clock.now;
    let keep = config.0.finished_kept;
    let layout = &site.layout;
    let mut items: Vec<_> = vehicles.iter_mut().collect();
    items.sort_by_key(|v| v.0.idx);
    claims.by_node.retain(|n, v| {
        items
            .get(v.0 as usize)
            .is_some_and(|item| matches!(item.3.kind, JobKind::Vacate { node } if node == *n))
    });
    // Claims of vehicles that neither go to nor stand on the spot lapse.
    claims.by_station.retain(|s, v| {
        let node = station_node(layout, *s);
        items.get(v.0 as usize).is_some_and(|(_, report, _, job, drive)| {
            matches!(job.kind, JobKind::Charge { station, .. } | JobKind::Park { station } if station == *s)
                || (matches!(job.kind, JobKind::Idle) && drive.end() == node && report.node == node)
        })
    });
    let free = |item: &(&Vehicle, &Report, &Health, Mut<'_, Job>, Mut<'_, Drive>)| {
        *item.2 == Health::Ok
            && matches!(item.3.kind, JobKind::Idle | JobKind::Park { .. } | JobKind::Vacate { .. })
            && item.1.battery >= config.0.battery_low
            && !item.1.paused
    };

    // Orders, by priority tier.
    let mut queued: Vec<&TransportOrder> = book
        .orders
        .values()
        .filter(|o| *o.status() == OrderStatus::Queued && o.request.earliest_start.is_none_or(|t| t <= now))
        .collect();
    // An order waiting past `overdue_ms` goes before the others of its
    // priority: the cost below prefers short orders, and none may starve.
    let overdue_after = config.0.assign.overdue_ms;
    let tier_of = |o: &TransportOrder| {
        let queued_at = o.history.last().map_or(now, |h| h.0);
        (o.request.priority, now.saturating_sub(queued_at) >= overdue_after)
    };
    queued.sort_by_key(|o| {
        (std::cmp::Reverse(tier_of(o)), o.request.deadline.unwrap_or(Millis(u64::MAX)), o.id)
    });
    let Routes { tables: road_tables, loaded: loaded_cache, .. } = &mut *routes;
    let queued_ids: std::collections::BTreeSet<u64> = queued.iter().map(|o| o.id).collect();
    loaded_cache.retain(|(id, _), _| queued_ids.contains(id));
    let mut taken = vec![false; items.len()];
    let mut assignments: Vec<(u64, usize)> = Vec::new();
    let mut start = 0;
    while start < queued.len() {
        let tier = tier_of(queued[start]);
        let end = queued[start..].iter().position(|o| tier_of(o) != tier).map_or(queued.len(), |p| start + p);
        let candidates: Vec<usize> = (0..items.len()).filter(|&v| !taken[v] && free(&items[v])).collect();
        if candidates.is_empty() {
            break;
        }
        // Bound the matrix: a tier larger than the free fleet waits its turn.
        let rows: Vec<&TransportOrder> =
            queued[start..end].iter().copied().take(candidates.len() * 2 + config.0.assign.window).collect();
        let costs: Vec<Vec<Option<u32>>> = rows
            .iter()
            .map(|o| {
                candidates
                    .iter()
                    .map(|&v| {
                        let (vehicle, ..) = &items[v];
                        let drive = &items[v].4;
                        let fits_type =
                            o.request.vehicle_type.as_ref().is_none_or(|t| *t == vehicle.vehicle_type);
                        let fits_load =
                            o.request.load_type.as_ref().is_none_or(|t| {
                                vehicle.load_types.is_empty() || vehicle.load_types.contains(t)
                            });
                        let from = drive.end()?;
                        if !fits_type || !fits_load {
                            return None;
                        }
                        let tables = road_tables.get_mut(vehicle.road)?;
                        let to_pick = tables.distance(from, o.pickup);
                        // The loaded legs depend on the order and the roads only.
                        let generation = tables.generation();
                        let cached = loaded_cache.get(&(o.id, vehicle.road)).filter(|c| c.0 == generation);
                        let legs = match cached {
                            Some(&(_, legs)) => legs,
                            None => {
                                let legs = loaded_ms(o, tables);
                                loaded_cache.insert((o.id, vehicle.road), (generation, legs));
                                legs
                            }
                        };
                        // The whole order's time: the empty drive and the loaded legs (shortest first
                        // finishes the most orders; overdue ones go first, above).
                        let whole = u64::from(to_pick) + legs?;
                        (to_pick != UNREACHABLE).then_some((whole / 100).min(u64::from(u32::MAX)) as u32)
                    })
                    .collect()
            })
            .collect();
        for (o, c) in match_orders(&costs, &config.0.assign) {
            let v = candidates[c];
            taken[v] = true;
            assignments.push((rows[o].id, v));
        }
        start = end;
    }
    for (order, v) in assignments {
        let (vehicle, _, _, job, drive) = &mut items[v];
        match job.kind {
            JobKind::Park { station } => {
                claims.by_station.remove(&station);
            }
            JobKind::Vacate { node } => {
                claims.by_node.remove(&node);
            }
            _ => {}
        }
        let serial = vehicle.id.serial_number.clone();
        advance(&mut book, &mut out, keep, now, order, OrderStatus::Assigned { vehicle: serial });
        let goal = book.orders.get(&order).map(|o| leg_goal(o, Leg::Pick));
        set_job(job, drive, JobKind::Transport { order, leg: Leg::Pick }, goal, now);
    }

    // Idle vehicles leave work stations at once, so as not to block them.
    let station_nodes: Vec<bool> = {
        let mut mask = vec![false; layout.nodes.len()];
        for s in &layout.stations {
            for n in &s.interaction_nodes {
                if let Some(m) = mask.get_mut(n.index()) {
                    *m = true;
                }
            }
        }
        mask
    };
    for (vehicle, _, health, job, drive) in &mut items {
        if **health != Health::Ok || !matches!(job.kind, JobKind::Idle) || drive.ahead() > 0 {
            continue;
        }
        let Some(from) = drive.end() else { continue };
        let on_work_station = layout.stations.iter().any(|s| {
            !matches!(s.kind, StationKind::Parking | StationKind::Charging)
                && s.interaction_nodes.contains(&from)
        });
        if !on_work_station {
            continue;
        }
        let Some(tables) = routes.tables.get(vehicle.road) else { continue };
        let free = |n: NodeIdx| {
            !station_nodes.get(n.index()).copied().unwrap_or(true)
                && !claims.by_node.contains_key(&n)
                && reservations.0.holder(crate::traffic::reservations::Place::Node(n)).is_none()
        };
        if let Some(node) = nearest(tables.roads(), from, free, 64) {
            claims.by_node.insert(node, vehicle.idx);
            set_job(job, drive, JobKind::Vacate { node }, Some((node, None)), now);
        }
    }

    // Low batteries to the nearest free charger; long-idle vehicles to parking.
    for (vehicle, report, health, job, drive) in &mut items {
        if **health != Health::Ok || !matches!(job.kind, JobKind::Idle | JobKind::Park { .. }) {
            continue;
        }
        let Some(from) = drive.end() else { continue };
        let low = report.seen.is_some() && report.battery < config.0.battery_low && !report.charging;
        let idle_long = matches!(job.kind, JobKind::Idle)
            && config.0.park_after_ms.is_some_and(|t| now.saturating_sub(job.since) >= t);
        let kind = if low {
            StationKind::Charging
        } else if idle_long {
            StationKind::Parking
        } else {
            continue;
        };
        let already = layout.stations.iter().enumerate().any(|(i, s)| {
            s.kind == kind
                && s.interaction_nodes.first() == Some(&from)
                && claims.by_station.get(&StationIdx(i as u32)).is_none_or(|c| *c == vehicle.idx)
        });
        if kind == StationKind::Parking && already {
            // Already parked: just remember the spot.
            if let Some(i) = layout.stations.iter().position(|s| s.interaction_nodes.first() == Some(&from)) {
                claims.by_station.insert(StationIdx(i as u32), vehicle.idx);
            }
            job.since = now;
            continue;
        }
        let Some(tables) = routes.tables.get_mut(vehicle.road) else { continue };
        let best = layout
            .stations
            .iter()
            .enumerate()
            .filter(|(i, s)| s.kind == kind && !claims.by_station.contains_key(&StationIdx(*i as u32)))
            .filter_map(|(i, s)| {
                let node = *s.interaction_nodes.first()?;
                let d = tables.distance(from, node);
                (d != UNREACHABLE).then_some((d, i, node))
            })
            .min();
        let Some((_, i, node)) = best else {
            job.since = now;
            continue;
        };
        let station = StationIdx(i as u32);
        claims.by_station.insert(station, vehicle.idx);
        if kind == StationKind::Charging {
            let goal = Some((node, Some(action_types::START_CHARGING)));
            set_job(job, drive, JobKind::Charge { station, charging: false }, goal, now);
        } else {
            set_job(job, drive, JobKind::Park { station }, Some((node, None)), now);
        }
    }
}

/// The nearest node (fewest edges) from `from` that `accept`s, looking at
/// most `limit` nodes.
fn nearest(
    roads: &crate::traffic::routing::RoadGraph,
    from: NodeIdx,
    accept: impl Fn(NodeIdx) -> bool,
    limit: usize,
) -> Option<NodeIdx> {
    let mut seen = std::collections::BTreeSet::from([from]);
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(v) = queue.pop_front() {
        if seen.len() > limit {
            break;
        }
        for &(_, to, _) in roads.out(v) {
            if seen.insert(to) {
                if accept(to) {
                    return Some(to);
                }
                queue.push_back(to);
            }
        }
    }
    None
}
