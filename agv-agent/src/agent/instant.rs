//! Instant actions: startPause, stopPause, cancelOrder, stateRequest,
//! factsheetRequest, initPosition are the agent's own; startCharging and
//! stopCharging go to the driver, which reports their progress as it does
//! for node actions; anything else fails with an error.

use protocol::messages::*;
use protocol::transport::FromVehicle;

use super::{Agent, DriverCommand, Millis, Outputs};

fn param<'a>(action: &'a Action, key: &str) -> Option<&'a serde_json::Value> {
    action.action_parameters.as_ref()?.iter().find(|p| p.key == key).map(|p| &p.value)
}

impl Agent {
    pub(super) fn on_instant_actions(&mut self, now: Millis, batch: &InstantActions, out: &mut Outputs) {
        for action in &batch.actions {
            self.instant_ids.insert(action.action_id.clone());
            self.register_action(action.clone());
            let id = action.action_id.as_str();
            match action.action_type.as_str() {
                action_types::START_PAUSE => {
                    self.paused = true;
                    out.commands.push(DriverCommand::Pause);
                    self.set_action_status(id, ActionStatus::Finished, None);
                }
                action_types::STOP_PAUSE => {
                    self.paused = false;
                    out.commands.push(DriverCommand::Resume);
                    self.set_action_status(id, ActionStatus::Finished, None);
                }
                action_types::STATE_REQUEST => {
                    self.set_action_status(id, ActionStatus::Finished, None);
                    self.dirty = true;
                }
                action_types::FACTSHEET_REQUEST => match self.config.factsheet.clone() {
                    Some(mut factsheet) => {
                        factsheet.header_id = Some(*self.header_ids.get("factsheet").unwrap_or(&0));
                        let _ = self.header("factsheet", now);
                        factsheet.timestamp = Some(Timestamp::at(now));
                        out.messages.push(FromVehicle::Factsheet(factsheet));
                        self.set_action_status(id, ActionStatus::Finished, None);
                    }
                    None => self.fail(id, "noFactsheet", "this vehicle has no factsheet configured"),
                },
                action_types::CANCEL_ORDER => {
                    if self.order_finished() {
                        self.set_action_status(id, ActionStatus::Failed, None);
                        self.push_error(Error {
                            error_type: ErrorType::NoOrderToCancel,
                            error_references: Some(vec![ErrorReference {
                                reference_key: "actionId".into(),
                                reference_value: id.to_string(),
                            }]),
                            error_description: Some("cancelOrder with no order to cancel".into()),
                            error_hint: None,
                            error_level: ErrorLevel::Warning,
                        });
                        self.dirty = true;
                    } else {
                        // Stop at the next node: keep only the edge being driven.
                        if self.handed > 0 {
                            self.node_states.truncate(1);
                            self.edge_states.truncate(1);
                        }
                        self.cancelling = Some(id.to_string());
                        self.set_action_status(id, ActionStatus::Running, None);
                    }
                }
                action_types::INIT_POSITION => {
                    let num = |k| param(action, k).and_then(serde_json::Value::as_f64);
                    let text = |k| param(action, k).and_then(|v| v.as_str().map(String::from));
                    match (num("x"), num("y"), num("theta"), text("lastNodeId")) {
                        (Some(x), Some(y), Some(theta), Some(node_id)) => {
                            let map_id = text("mapId").unwrap_or_else(|| self.config.map_id.clone());
                            let node = Node {
                                node_id,
                                sequence_id: 0,
                                node_description: None,
                                released: true,
                                node_position: None,
                                actions: vec![],
                            };
                            let position = AgvPosition {
                                x,
                                y,
                                theta,
                                map_id,
                                map_description: None,
                                position_initialized: true,
                                localization_score: None,
                                deviation_range: None,
                            };
                            self.init_position(node, position);
                            self.set_action_status(id, ActionStatus::Finished, None);
                        }
                        _ => {
                            self.fail(id, "validationError", "initPosition needs x, y, theta and lastNodeId");
                        }
                    }
                }
                action_types::START_CHARGING | action_types::STOP_CHARGING => {
                    out.commands.push(DriverCommand::StartAction(action.clone()));
                    self.dirty = true;
                }
                other => {
                    let message = format!("unknown instant action {other:?}");
                    self.fail(id, "orderError", &message);
                }
            }
        }
    }

    fn fail(&mut self, action_id: &str, error_type: &str, description: &str) {
        self.set_action_status(action_id, ActionStatus::Failed, Some(description.to_string()));
        self.push_error(Error {
            error_type: ErrorType::from(error_type.to_string()),
            error_references: Some(vec![ErrorReference {
                reference_key: "actionId".into(),
                reference_value: action_id.to_string(),
            }]),
            error_description: Some(description.to_string()),
            error_hint: None,
            error_level: ErrorLevel::Warning,
        });
        self.dirty = true;
    }
}
