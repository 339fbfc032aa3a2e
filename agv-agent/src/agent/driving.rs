//! Driving the released base one edge at a time, and node arrival.

use protocol::messages::{ActionStatus, BlockingType, Node};

use super::{Agent, DriverCommand, Outputs};

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

    /// The driver says it reached `node_id`, the end of the edge it drives.
    pub(super) fn node_reached(&mut self, node_id: &str, out: &mut Outputs) {
        if self.driving_edge.is_none()
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
        self.driving_edge = None;
        self.arrive_at(node, out);
    }

    /// Whether a SOFT or HARD action on the last node is still running.
    fn held_by_actions(&self) -> bool {
        let Some(node) = &self.last_node else { return false };
        node.actions.iter().any(|a| {
            a.blocking_type != BlockingType::None
                && self.actions.get(&a.action_id).is_some_and(|(_, s)| !s.action_status.is_terminal())
        })
    }

    /// Finishes a pending cancel once the vehicle stands on a node, and
    /// sends the vehicle along the next released edge when it may go.
    pub(super) fn advance(&mut self, out: &mut Outputs) {
        if self.cancelling.is_some() && self.driving_edge.is_none() {
            self.finish_cancel();
        }
        if self.driving_edge.is_none() {
            self.start_node_actions(out);
        }
        if self.paused || self.driving_edge.is_some() || self.held_by_actions() {
            return;
        }
        let (Some(edge), Some(node)) = (self.edge_states.first(), self.node_states.first()) else { return };
        // Never beyond the base: both the edge and its end node must be released.
        if !(edge.released && node.released) {
            return;
        }
        let (edge, node) = (edge.clone(), node.clone());
        for action in &edge.actions {
            let waiting = self
                .actions
                .get(&action.action_id)
                .is_some_and(|(_, s)| s.action_status == ActionStatus::Waiting);
            if waiting {
                out.commands.push(DriverCommand::StartAction(action.clone()));
                self.set_action_status(&action.action_id, ActionStatus::Initializing, None);
            }
        }
        self.driving_edge = Some(edge.sequence_id);
        out.commands.push(DriverCommand::DriveEdge { edge: Box::new(edge), to: Box::new(node) });
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
