//! System 7: every wait has a reason. Vehicles that do not move get one
//! (the planner's, or their fault, action, pause or lack of work); the
//! wait-for graph's cycles are deadlocks, reported when they appear and
//! broken when they last [`super::FleetConfig::deadlock_ticks`] ticks:
//! every vehicle of the cycle must make way at the next step, and the
//! ones that can, do.

use std::collections::BTreeMap;

use bevy_ecs::prelude::*;
use protocol::messages::ActionStatus;

use super::EventKind;
use super::model::*;
use crate::traffic::reservations::VehicleIdx;
use crate::traffic::waits::{WaitReason, wait_for_cycles};

/// Fills in wait reasons and tracks deadlocks.
pub(super) fn monitor(
    clock: Res<'_, Clock>,
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
            Health::Fenced { reason, .. } => Some(WaitReason::Fault { description: reason.clone() }),
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
        let ticks = deadlocks.cycles.get(&cycle).copied().unwrap_or(0) + 1;
        if ticks == 1 {
            deadlocks.detected += 1;
            let vehicles = cycle.iter().map(|v| names[v.0 as usize].clone()).collect();
            out.event(now, EventKind::Deadlock { vehicles });
        }
        if ticks >= config.0.deadlock_ticks {
            // Everyone in the cycle must make way at the next step: those
            // that can leave do (PIBT still prefers moves toward the goal),
            // which opens the cycle.
            for &v in &cycle {
                deadlocks.must_move.insert(v);
                out.event(now, EventKind::DeadlockBreak { vehicle: names[v.0 as usize].clone() });
            }
            next.insert(cycle, 0);
        } else {
            next.insert(cycle, ticks);
        }
    }
    deadlocks.cycles = next;
}
