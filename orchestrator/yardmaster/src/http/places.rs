//! Closing and reopening nodes and edges, and the list of closed places.
//! A closure is durable: it stays across restarts until reopened.

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orchestrator::input::{Input, PlaceId, Reply};
use orchestrator::orders::Millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Role;
use super::bridge::Answer;
use super::problem::{self, Problem};
use super::views::{ClosureView, Done};
use super::{State, call, json, respond};

/// Why a place is closed (the body of `…/close`, optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Shown to operators.
    #[serde(default)]
    pub reason: String,
}

/// The answer to a command that gives `Reply::Done` (cancel, close, open).
pub fn answer_done(inputs: &[Input], replies: &[Reply], at: &str) -> Answer {
    let (status, body) = match (inputs.first(), replies.first()) {
        (Some(input), Some(Reply::Done)) => {
            let (done, target) = match input {
                Input::Cancel { order } => ("cancelled", format!("order {order}")),
                Input::Close { place, .. } => ("closed", place.to_string()),
                Input::Open { place } => ("opened", place.to_string()),
                _ => ("done", String::new()),
            };
            (200, serde_json::to_string(&Done { done: done.into(), target }))
        }
        (_, Some(Reply::Refused(e))) => {
            let p = problem::of_command(e, at);
            (p.status, serde_json::to_string(&p))
        }
        _ => {
            let p = Problem::unavailable("the core gave no reply");
            (p.status, serde_json::to_string(&p))
        }
    };
    Answer { status, body: body.unwrap_or_default(), replayed: false }
}

fn answer(inputs: &[Input], replies: &[Reply], _: Millis) -> Answer {
    answer_done(inputs, replies, "$")
}

async fn close(
    state: State,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
    place: fn(String) -> PlaceId,
) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Operator)?;
    let id = super::path(id)?;
    let body = body.map_err(|e| problem::rejection(e, "body"))?;
    let expected = "{\"reason\": \"…\"}, null or no body";
    let request: CloseRequest = match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => CloseRequest::default(),
        Some(b'{') => problem::json_body(&body, expected)?,
        Some(_) => match problem::json_body::<serde_json::Value>(&body, expected)? {
            serde_json::Value::Null => CloseRequest::default(),
            other => {
                return Err(Problem::bad_request(
                    "invalid-body",
                    format!("$: the body is {other}; expected an object"),
                )
                .field("$")
                .expected(expected));
            }
        },
    };
    let input = Input::Close { place: place(id), reason: request.reason };
    Ok(respond(call(&state, vec![input], None, answer).await?))
}

async fn open(
    state: State,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    place: fn(String) -> PlaceId,
) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Operator)?;
    let id = super::path(id)?;
    Ok(respond(call(&state, vec![Input::Open { place: place(id) }], None, answer).await?))
}

/// Close a node: no new release enters it and routes avoid it; vehicles
/// already released there finish.
#[utoipa::path(post, path = "/api/v1/nodes/{id}/close", tag = "places",
    params(("id" = String, Path, description = "The node's id in the layout")),
    request_body(content = Option<CloseRequest>, content_type = "application/json"),
    responses(
        (status = 200, description = "Closed", body = Done),
        (status = 400, description = "A bad body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not close places", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The orchestrator cannot answer now", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn close_node(
    state: State,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    close(state, headers, id, body, PlaceId::Node).await
}

/// Close an edge.
#[utoipa::path(post, path = "/api/v1/edges/{id}/close", tag = "places",
    params(("id" = String, Path, description = "The edge's id in the layout")),
    request_body(content = Option<CloseRequest>, content_type = "application/json"),
    responses(
        (status = 200, description = "Closed", body = Done),
        (status = 400, description = "A bad body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not close places", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such edge", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The orchestrator cannot answer now", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn close_edge(
    state: State,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    close(state, headers, id, body, PlaceId::Edge).await
}

/// Reopen a node.
#[utoipa::path(post, path = "/api/v1/nodes/{id}/open", tag = "places",
    params(("id" = String, Path, description = "The node's id in the layout")),
    responses(
        (status = 200, description = "Reopened", body = Done),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not reopen places", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such node", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is not closed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The orchestrator cannot answer now", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn open_node(
    state: State,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    open(state, headers, id, PlaceId::Node).await
}

/// Reopen an edge.
#[utoipa::path(post, path = "/api/v1/edges/{id}/open", tag = "places",
    params(("id" = String, Path, description = "The edge's id in the layout")),
    responses(
        (status = 200, description = "Reopened", body = Done),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not reopen places", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such edge", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is not closed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The orchestrator cannot answer now", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn open_edge(
    state: State,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    open(state, headers, id, PlaceId::Edge).await
}

/// The closed nodes and edges.
#[utoipa::path(get, path = "/api/v1/places", tag = "places",
    responses(
        (status = 200, description = "Closed places", body = Vec<ClosureView>),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(state: State, headers: HeaderMap) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Viewer)?;
    let closed: Vec<ClosureView> = state.snapshot().closed.iter().map(ClosureView::from).collect();
    Ok(json(StatusCode::OK, &closed))
}
