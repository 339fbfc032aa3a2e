//! The fleet as the loop saw it at its last tick, the layout, and where
//! vehicles waited (the congestion heat map).
#![expect(unused_qualifications, reason = "in the code utoipa generates for query parameters")]

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Role;
use super::problem::{self, Problem};
use super::views::{CongestionView, LayoutView, NodeWaits, VehicleView};
use super::{State, json};

/// Every vehicle.
#[utoipa::path(get, path = "/api/v1/vehicles", tag = "vehicles",
    responses(
        (status = 200, description = "The fleet, in the fleet file's order", body = Vec<VehicleView>),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(state: State, headers: HeaderMap) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Viewer)?;
    let vehicles: Vec<VehicleView> = state.snapshot().vehicles.iter().map(VehicleView::from).collect();
    Ok(json(StatusCode::OK, &vehicles))
}

/// Which manufacturer, when serials repeat across manufacturers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VehicleQuery {
    /// The vehicle's manufacturer (needed only when two manufacturers use the serial).
    manufacturer: Option<String>,
}

/// One vehicle: pose, battery, loads, operating mode, errors, order,
/// released base and horizon, and why it waits.
#[utoipa::path(get, path = "/api/v1/vehicles/{serial}", tag = "vehicles",
    params(("serial" = String, Path, description = "Its serial number"), VehicleQuery),
    responses(
        (status = 200, description = "The vehicle", body = VehicleView),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such vehicle", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Several manufacturers use this serial: name one", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(
    state: State,
    headers: HeaderMap,
    serial: Result<Path<String>, PathRejection>,
    query: Result<Query<VehicleQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Viewer)?;
    let serial = super::path(serial)?;
    let Query(q) = query.map_err(|e| problem::rejection(e, "query"))?;
    let snapshot = state.snapshot();
    let found: Vec<_> = snapshot
        .vehicles
        .iter()
        .filter(|v| v.serial == serial && q.manufacturer.as_ref().is_none_or(|m| *m == v.manufacturer))
        .collect();
    match found.as_slice() {
        [v] => Ok(json(StatusCode::OK, &VehicleView::from(*v))),
        [] => Err(Problem::not_found(format!("no vehicle {serial}"))
            .field("serial")
            .value(serial)
            .expected("the serial number of a vehicle of the fleet")),
        _ => Err(Problem::new(
            StatusCode::CONFLICT,
            "ambiguous",
            format!("several manufacturers have a vehicle {serial}"),
        )
        .field("manufacturer")
        .expected("manufacturer=NAME")),
    }
}

/// The layout: levels, nodes, directed edges, stations.
#[utoipa::path(get, path = "/api/v1/layout", tag = "vehicles",
    responses(
        (status = 200, description = "The layout", body = LayoutView),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn layout(state: State, headers: HeaderMap) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Viewer)?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], state.layout.clone()).into_response())
}

/// Where vehicles waited since the process started, most first.
#[utoipa::path(get, path = "/api/v1/congestion", tag = "vehicles",
    responses(
        (status = 200, description = "Waiting by node", body = CongestionView),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn congestion(state: State, headers: HeaderMap) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Viewer)?;
    let snapshot = state.snapshot();
    let mut nodes: Vec<NodeWaits> = snapshot
        .congestion
        .iter()
        .map(|(node, waits)| NodeWaits { node: node.clone(), waits: *waits })
        .collect();
    nodes.sort_by(|a, b| b.waits.cmp(&a.waits).then_with(|| a.node.cmp(&b.node)));
    Ok(json(StatusCode::OK, &CongestionView { tick_ms: state.tick_ms, nodes }))
}
