//! System 7: every wait has a reason. Vehicles that do not move get one
//! (the planner's, or their fault, action, pause or lack of work); the
//! wait-for graph's cycles that last [`super::FleetConfig::deadlock_after_ms`]
//! are deadlocks: reported, and broken — the cycle's vehicle with the most
//! free ways out must make way at the next step, then plans after the
//! others for [`super::FleetConfig::yield_ms`].

use std::collections::BTreeMap;

use bevy_ecs::prelude::*;
use protocol::messages::ActionStatus;

use super::EventKind;
use super::model::*;
use crate::traffic::reservations::{Place, VehicleIdx};
use crate::traffic::waits::{WaitReason, wait_for_cycles};

/// Fills in wait reasons and tracks deadlocks.
pub(super) fn monitor(
    clock: Res<'_, Clock>,
    routes: Res<'_, Routes>,
    reservations: Res<'_, Reservations>,
    config: Res<'_, Config>,
    mut out: ResMut<'_, Outbox>,
    mut deadlocks: ResMut<'_, Deadlocks>,
    mut vehicles: Query<'_, '_, (&Vehicle, &Report, &Health, &Job, &Drive, &mut Waiting)>,
) {
    let now = clock.now;
    let mut items: Vec<_> = vehicles.iter_mut().collect();
    items.sort_by_key(|v| v.0.idx);
    let mut names = Vec::with_capacity(items.len());
    let mut waits: BTreeMap<VehicleIdx, WaitReason> = BTreeMap::new();
    for (vehicle, report, health, job, drive, waiting) in &mut items {
        names.push(vehicle.id.serial_number.clone());
        let goal_action = drive.goal_action.as_ref().map(|(_, a)| a.action_id.as_str());
        let running = report.actions.iter().find(|(id, s)| {
            Some(id.as_str()) == goal_action && !s.is_terminal() && **s != ActionStatus::Waiting
        });
        let reason = match health {
            Health::Unplaced => Some(WaitReason::Starting),
            Health::Fenced { reason, .. } => Some(WaitReason::Fault { description: reason.to_string() }),
            Health::Ok if report.paused => Some(WaitReason::Paused),
            Health::Ok => {
                if let Some((id, _)) = running {
                    Some(WaitReason::Action { action_id: id.clone() })
                } else if waiting.reason.is_some() {
                    waiting.reason.clone()
                } else if drive.ahead() > 0 || report.driving {
                    None
                } else if job.goal.is_none() {
                    Some(WaitReason::NoOrder)
                } else if drive.order_id.as_deref() != Some(report.order_id.as_str()) {
                    Some(WaitReason::Acknowledgement)
                } else {
                    None
                }
            }
        };
        if let Some(r) = &reason {
            waits.insert(vehicle.idx, r.clone());
        }
        waiting.reason = reason;
    }
    let cycles = wait_for_cycles(&waits);
    let mut next = BTreeMap::new();
    for cycle in cycles {
        let since = deadlocks.cycles.get(&cycle).copied().unwrap_or(now);
        // Most cycles dissolve by themselves within a few steps (a pushed
        // vehicle moves on); one that lasts is a deadlock: reported and broken.
        if now.saturating_sub(since) >= config.0.deadlock_after_ms {
            deadlocks.detected += 1;
            let vehicles = cycle.iter().map(|v| names[v.0 as usize].clone()).collect();
            out.event(now, EventKind::Deadlock { vehicles });
            // The vehicle with the most free ways out (free, or held by an
            // idle vehicle it can push) makes way (the one at a junction,
            // not the one in a dead end), and then gives way for
            // a while so that it does not retake what it freed.
            let free_ways = |v: VehicleIdx| {
                let (vehicle, _, _, _, drive, _) = &items[v.0 as usize];
                let Some(at) = drive.end() else { return 0 };
                routes.tables.get(vehicle.road).map_or(0, |t| {
                    t.roads()
                        .out(at)
                        .iter()
                        .filter(|(_, to, _)| match reservations.0.holder(Place::Node(*to)) {
                            None => true,
                            // An idle vehicle there is pushed out of the way.
                            Some(h) => {
                                items.get(h.0 as usize).is_some_and(|i| matches!(i.3.kind, JobKind::Idle))
                            }
                        })
                        .count()
                })
            };
            // Of those that have a way out, one that can back up makes way
            // before a train (which cannot back up over its trailers).
            let reverses = |v: VehicleIdx| items[v.0 as usize].0.tail_m <= 0.0;
            let victim = cycle.iter().copied().max_by_key(|&v| {
                let ways = free_ways(v);
                (ways > 0, reverses(v), ways, items[v.0 as usize].3.since, v.0)
            });
            if let Some(v) = victim {
                deadlocks.must_move.insert(v);
                deadlocks.yielding.insert(v, now + config.0.yield_ms);
                out.event(now, EventKind::DeadlockBreak { vehicle: names[v.0 as usize].clone() });
            }
            next.insert(cycle, now);
        } else {
            next.insert(cycle, since);
        }
    }
    deadlocks.yielding.retain(|_, until| *until > now);
    deadlocks.cycles = next;
}
