//! `GET /api/v1/events`: server-sent events. `event` carries one of the
//! core's events (the JSON the Zenoh event key carries); `positions`,
//! every tick, carries every vehicle's pose and state and the fleet's
//! figures; `lagged` says how many a slow client missed.

use std::convert::Infallible;

use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use serde::Serialize;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::auth::Role;
use super::problem::Problem;
use super::{Snapshot, State};

/// The fleet's figures of a tick, sent with the positions.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Orders waiting for a vehicle.
    pub queued: usize,
    /// Orders not finished.
    pub live: usize,
    /// Orders delivered since the process started.
    pub delivered: u64,
    /// Orders failed since the process started.
    pub failed: u64,
    /// The tick's planning time, ms.
    pub tick_ms: f64,
}

/// A vehicle's state in `positions`: 0 idle, 1 on a job and moving,
/// 2 waiting, 3 fenced, 4 not placed yet.
fn code(v: &orchestrator::fleet::VehicleStatus) -> u8 {
    match v.health.as_str() {
        "fenced" => 3,
        "unplaced" => 4,
        _ if v.waiting.is_some() && v.job != "idle" => 2,
        _ if v.job == "idle" => 0,
        _ => 1,
    }
}

/// One vehicle in `positions`: serial, x, y, theta, state, loaded.
type Row<'a> = (&'a str, Option<f64>, Option<f64>, Option<f64>, u8, bool);

#[derive(Serialize)]
struct Positions<'a> {
    at: u64,
    stats: &'a Stats,
    /// `[serial, x, y, theta, state, loaded]` per vehicle (x, y, theta null before its first pose).
    vehicles: Vec<Row<'a>>,
}

/// The `positions` event of a tick.
pub fn positions(snapshot: &Snapshot, stats: &Stats) -> String {
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let vehicles = snapshot
        .vehicles
        .iter()
        .map(|v| {
            let (x, y, t) = match v.position {
                Some((x, y, t)) => (Some(round(x)), Some(round(y)), Some(round(t))),
                None => (None, None, None),
            };
            (v.serial.as_str(), x, y, t, code(v), !v.loads.is_empty())
        })
        .collect();
    serde_json::to_string(&Positions { at: snapshot.at.0, stats, vehicles }).unwrap_or_default()
}

/// Server-sent events: the core's events and every tick's positions.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses(
        (status = 200, description = "An endless stream: `event: event` (a core event), `event: positions` (every tick: `{at, stats, vehicles: [[serial, x, y, theta, state, loaded]]}`, state 0 idle, 1 moving on a job, 2 waiting, 3 fenced, 4 unplaced), `event: lagged` (events missed by a slow client)", body = String, content_type = "text/event-stream"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn stream(state: State, headers: HeaderMap) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Viewer)?;
    let events = BroadcastStream::new(state.events.subscribe()).map(|item| {
        Ok::<_, Infallible>(match item {
            Ok(e) => Event::default().event(e.name).data(e.data.as_str()),
            Err(BroadcastStreamRecvError::Lagged(n)) => Event::default().event("lagged").data(n.to_string()),
        })
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}
