//! Driving the released base as one path, and node arrival.

use protocol::messages::{Action, ActionStatus, BlockingType, Node};

use super::{Agent, DriverCommand, Outputs, PathLeg};

impl Agent {
    /// The vehicle is on `node`: it becomes the last node and its actions start.
    pub(super) fn arrive_at(&mut self, node: Node, out: &mut Outputs) {
        self.distance_since_last_node = Some(0.0);
        self.last_node = Some(node);
        self.start_node_actions(out);
        self.dirty = true;
    }

    /// Starts the last node's waiting actions in order: NONE and SOFT ones
    /// may run together; a HARD one waits until everything before it is
    /// over and runs alone, holding back the ones after it.
    pub(super) fn start_node_actions(&mut self, out: &mut Outputs) {
        let Some(node) = self.last_node.clone() else { return };
        let mut running_before = false;
        for action in &node.actions {
            match self.actions.get(&action.action_id).map(|(_, s)| s.action_status) {
                Some(ActionStatus::Waiting) => {
                    if action.blocking_type == BlockingType::Hard && running_before {
                        return; // waits for what runs before it
                    }
                    out.commands.push(DriverCommand::StartAction(action.clone()));
                    self.set_action_status(&action.action_id, ActionStatus::Initializing, None);
                    if action.blocking_type == BlockingType::Hard {
                        return; // runs alone
                    }
                    running_before = true;
                }
                Some(status) if !status.is_terminal() => {
                    if action.blocking_type == BlockingType::Hard {
                        return; // still running alone
                    }
                    running_before = true;
                }
                _ => {}
            }
        }
    }

    /// The driver says it reached `node_id`, the next node of its path.
    pub(super) fn node_reached(&mut self, node_id: &str, out: &mut Outputs) {
        if self.handed == 0
            || self.edge_states.is_empty()
            || self.node_states.first().is_none_or(|n| n.node_id != node_id)
        {
            // Not the node we sent it to: ignore (the next state still tells the truth).
            return;
        }
        let edge = self.edge_states.remove(0);
        // Edge actions end with the edge.
        for action in &edge.actions {
            let running =
                self.actions.get(&action.action_id).is_some_and(|(_, s)| !s.action_status.is_terminal());
            if running {
                self.set_action_status(&action.action_id, ActionStatus::Finished, None);
            }
        }
        let node = self.node_states.remove(0);
        self.handed -= 1;
        self.arrive_at(node, out);
        if self.handed > 0 {
            self.enter_edge(out);
        }
    }

    /// Whether a SOFT or HARD action on the last node is still running.
    fn held_by_actions(&self) -> bool {
        let Some(node) = &self.last_node else { return false };
        node.actions.iter().any(|a| {
            a.blocking_type != BlockingType::None
                && self.actions.get(&a.action_id).is_some_and(|(_, s)| !s.action_status.is_terminal())
        })
    }

    /// How many legs from the front the vehicle may drive without a stop:
    /// released edges to released nodes, up to and including the first
    /// node where a SOFT or HARD action makes it stop.
    fn drivable(&self) -> usize {
        let mut legs = 0;
        for (edge, node) in self.edge_states.iter().zip(&self.node_states) {
            if !(edge.released && node.released) {
                break; // never beyond the base
            }
            legs += 1;
            if node.actions.iter().any(|a| a.blocking_type != BlockingType::None) {
                break;
            }
        }
        legs
    }

    /// Starts the waiting actions of the edge the vehicle enters (the first one).
    fn enter_edge(&mut self, out: &mut Outputs) {
        let Some(edge) = self.edge_states.first() else { return };
        let waiting: Vec<Action> = edge
            .actions
            .iter()
            .filter(|a| {
                self.actions.get(&a.action_id).is_some_and(|(_, s)| s.action_status == ActionStatus::Waiting)
            })
            .cloned()
            .collect();
        for action in waiting {
            self.set_action_status(&action.action_id, ActionStatus::Initializing, None);
            out.commands.push(DriverCommand::StartAction(action));
        }
    }

    /// Finishes a pending cancel once the vehicle stands on a node, and
    /// hands the driver the path it may drive: more of it when more is
    /// released, less of it on a cancel (the next node only).
    pub(super) fn advance(&mut self, out: &mut Outputs) {
        if self.cancelling.is_some() && self.handed == 0 {
            self.finish_cancel();
        }
        if self.handed == 0 {
            self.start_node_actions(out);
            if self.paused || self.held_by_actions() {
                return;
            }
        }
        let target = if self.cancelling.is_some() {
            self.handed.min(self.edge_states.len())
        } else {
            self.drivable().max(self.handed)
        };
        if target == self.handed {
            return;
        }
        let starting = self.handed == 0;
        self.handed = target;
        if starting {
            self.enter_edge(out);
        }
        let path = self
            .edge_states
            .iter()
            .zip(&self.node_states)
            .take(target)
            .map(|(edge, to)| PathLeg { edge: edge.clone(), to: to.clone() })
            .collect();
        out.commands.push(DriverCommand::Drive { path });
        self.dirty = true;
    }

    fn finish_cancel(&mut self) {
        let Some(cancel_id) = self.cancelling.take() else { return };
        self.node_states.clear();
        self.edge_states.clear();
        let waiting: Vec<String> = self
            .actions
            .iter()
            .filter(|(id, (_, s))| !self.instant_ids.contains(*id) && !s.action_status.is_terminal())
            .map(|(id, _)| id.clone())
            .collect();
        for id in waiting {
            self.set_action_status(&id, ActionStatus::Failed, Some("cancelled".into()));
        }
        self.set_action_status(&cancel_id, ActionStatus::Finished, None);
    }
}
