//! `/api/v1/orders`: submit (one order or a batch, with an idempotency
//! key), list, get, cancel. A 201 is sent only once the order is in the
//! store.
#![expect(unused_qualifications, reason = "in the code utoipa generates for query parameters")]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orchestrator::input::{Input, Reply};
use orchestrator::orders::{Millis, OrderRequest, OrderStatus};
use orchestrator::records::StoredOrder;
use serde::Deserialize;
use sha2::Digest as _;
use utoipa::{IntoParams, ToSchema};

use super::auth::Role;
use super::bridge::{Answer, Keyed};
use super::problem::{self, Problem};
use super::views::{BatchAnswer, BatchItem, OrderPage, OrderView};
use super::{Shared, State, call, json, respond};
use crate::store::{Cursor, OrderFilter};

/// One order request, or a list of them (a batch, each accepted or refused on its own).
#[derive(ToSchema, Deserialize)]
#[expect(dead_code, reason = "documents the body; parsed by hand to name the JSON path at fault")]
#[serde(untagged)]
pub enum Submission {
    /// One order.
    One(OrderRequest),
    /// A batch.
    Many(Vec<OrderRequest>),
}

/// Orders one batch may carry.
pub const MAX_BATCH: usize = 1000;

/// Longest `Idempotency-Key`.
pub const MAX_KEY: usize = 255;

fn accepted(id: u64, request: &OrderRequest, now: Millis) -> OrderView {
    OrderView::from(&StoredOrder { id, request: request.clone(), history: vec![(now, OrderStatus::Queued)] })
}

fn answer_one(inputs: &[Input], replies: &[Reply], now: Millis) -> Answer {
    let item = item(inputs.first(), replies.first(), now, "$");
    let (status, body) = match (item.order, item.problem) {
        (Some(order), _) => (201, serde_json::to_string(&order)),
        (None, Some(p)) => (p.status, serde_json::to_string(&p)),
        (None, None) => (503, Ok(String::new())),
    };
    Answer { status, body: body.unwrap_or_default(), replayed: false }
}

fn answer_batch(inputs: &[Input], replies: &[Reply], now: Millis) -> Answer {
    let items = inputs
        .iter()
        .zip(replies)
        .enumerate()
        .map(|(i, (input, reply))| item(Some(input), Some(reply), now, &format!("$[{i}]")))
        .collect();
    let body = serde_json::to_string(&BatchAnswer { items }).unwrap_or_default();
    Answer { status: 200, body, replayed: false }
}

fn item(input: Option<&Input>, reply: Option<&Reply>, now: Millis, at: &str) -> BatchItem {
    match (input, reply) {
        (Some(Input::Submit { request }), Some(Reply::Submitted { order })) => {
            BatchItem { status: 201, order: Some(accepted(*order, request, now)), problem: None }
        }
        (_, Some(Reply::Refused(e))) => {
            let p = problem::of_command(e, at);
            BatchItem { status: p.status, order: None, problem: Some(p) }
        }
        _ => {
            let p = Problem::unavailable("the core gave no reply to this order");
            BatchItem { status: p.status, order: None, problem: Some(p) }
        }
    }
}

/// The request's idempotency key, checked.
fn keyed(headers: &HeaderMap, path: &str, body: &[u8]) -> Result<Option<Keyed>, Problem> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().filter(|k| {
        !k.is_empty() && k.len() <= MAX_KEY && k.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    });
    let Some(key) = key else {
        return Err(Problem::bad_request("invalid-header", "the Idempotency-Key header is not a usable key")
            .field("Idempotency-Key")
            .value(String::from_utf8_lossy(value.as_bytes()))
            .expected(format!("1 to {MAX_KEY} printable ASCII characters (a UUID, say)")));
    };
    let mut digest = sha2::Sha256::new();
    digest.update(b"POST ");
    digest.update(path.as_bytes());
    digest.update(b"\n");
    digest.update(body);
    let fingerprint = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(Keyed { key: key.to_string(), fingerprint }))
}

fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Problem> {
    body.map_err(|e| problem::rejection(e, "body"))
}

/// Submit an order, or a batch of orders.
///
/// The body is the order request of the Zenoh `orders/add` API, or a list
/// of them (at most 1,000). One order is answered 201 with the order,
/// once it is in the store; a batch is answered 200 with one item per
/// order, each 201 (accepted, in the store) or a problem. With an
/// `Idempotency-Key`, a retry gets the first answer again (header
/// `Idempotent-Replayed: true`) and creates nothing.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders",
    request_body(content = Submission, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and request get the first answer back")),
    responses(
        (status = 201, description = "Accepted and stored", body = OrderView),
        (status = 200, description = "A batch: one outcome per order", body = BatchAnswer),
        (status = 400, description = "Not an order request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not submit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this key is in flight", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused: the layout cannot serve it, or the key was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The orchestrator cannot answer now", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn submit(
    state: State,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Operator)?;
    let body = body_of(body)?;
    let keyed = keyed(&headers, "/api/v1/orders", &body)?;
    let batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let answer = if batch {
        let requests: Vec<OrderRequest> = problem::json_body(&body, "a list of order requests")?;
        if requests.is_empty() || requests.len() > MAX_BATCH {
            return Err(Problem::bad_request(
                "invalid-body",
                format!("a batch of {} orders", requests.len()),
            )
            .field("$")
            .expected(format!("1 to {MAX_BATCH} order requests")));
        }
        let inputs = requests.into_iter().map(|request| Input::Submit { request }).collect();
        call(&state, inputs, keyed, answer_batch).await?
    } else {
        let request: OrderRequest = problem::json_body(
            &body,
            "an order request {\"from\": STATION, \"to\": STATION, \"via\"?, \"priority\"?, \"earliestStart\"?, \"deadline\"?, \"vehicleType\"?, \"loadType\"?}",
        )?;
        call(&state, vec![Input::Submit { request }], keyed, answer_one).await?
    };
    state.metrics.submitted(&answer);
    Ok(respond(answer))
}

/// The order states, for `state=`.
pub(super) const STATES: [&str; 10] = [
    "queued",
    "assigned",
    "to-pickup",
    "loading",
    "to-stop",
    "to-drop",
    "unloading",
    "delivered",
    "failed",
    "cancelled",
];

/// The most orders one page holds.
pub const MAX_PAGE: usize = 1000;

/// Which orders to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only orders in this state (their latest status).
    #[param(value_type = Option<String>, example = "queued")]
    state: Option<String>,
    /// Only orders assigned to this vehicle (serial number) at some time.
    vehicle: Option<String>,
    /// Only orders accepted at or after this time, ms since the Unix epoch.
    since: Option<u64>,
    /// Only orders accepted before this time, ms since the Unix epoch.
    until: Option<u64>,
    /// `asc` (oldest first, the default) or `desc` (newest first).
    #[param(value_type = Option<String>, example = "desc")]
    order: Option<String>,
    /// Only orders with a larger id (oldest first: pass the previous page's `next`).
    after: Option<u64>,
    /// Only orders with a smaller id (newest first: pass the previous page's `next`).
    before: Option<u64>,
    /// At most this many (1 to 1,000; default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// List orders, live and finished (until the store's retention), by id
/// (`order=desc`: newest first).
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(ListQuery),
    responses(
        (status = 200, description = "A page of orders", body = OrderPage),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store failed", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    state: State,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Viewer)?;
    let Query(q) = query.map_err(|e| problem::rejection(e, "query"))?;
    if let Some(s) = &q.state
        && !STATES.contains(&s.as_str())
    {
        return Err(Problem::bad_request("invalid-parameter", format!("state={s} is not an order state"))
            .field("state")
            .value(s.clone())
            .expected(STATES.join(", ")));
    }
    // Ids and times are int64 in the document (what JSON clients can hold).
    for (name, value) in [("since", q.since), ("until", q.until), ("after", q.after), ("before", q.before)] {
        if let Some(v) = value
            && v > i64::MAX as u64
        {
            return Err(Problem::bad_request("invalid-parameter", format!("{name}={v} is out of range"))
                .field(name)
                .value(v.to_string())
                .expected(format!("0 to {}", i64::MAX)));
        }
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::bad_request("invalid-parameter", format!("limit={limit} is out of range"))
            .field("limit")
            .value(limit.to_string())
            .expected(format!("1 to {MAX_PAGE}")));
    }
    let newest_first = match q.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(Problem::bad_request(
                "invalid-parameter",
                format!("order={other} is not a sort order"),
            )
            .field("order")
            .value(other)
            .expected("asc or desc"));
        }
    };
    let cursor = Cursor { after: q.after, before: q.before, newest_first };
    let filter = OrderFilter {
        state: q.state,
        vehicle: q.vehicle,
        since: q.since.map(Millis),
        until: q.until.map(Millis),
    };
    let shared: Arc<Shared> = state.0.clone();
    let orders = tokio::task::spawn_blocking(move || shared.store.list(&filter, cursor, limit + 1))
        .await
        .map_err(|e| Problem::unavailable(format!("listing failed: {e}")))?
        .map_err(|e| Problem::unavailable(e.to_string()))?;
    let more = orders.len() > limit;
    let orders: Vec<OrderView> = orders.iter().take(limit).map(OrderView::from).collect();
    let next = if more { orders.last().map(|o| o.id) } else { None };
    Ok(json(StatusCode::OK, &OrderPage { orders, next }))
}

fn id_of(id: &str) -> Result<u64, Problem> {
    id.parse().map_err(|_| {
        Problem::bad_request("invalid-parameter", format!("{id:?} is not an order id"))
            .field("id")
            .value(id)
            .expected("a whole number (an order id)")
    })
}

/// One order, live or finished, with its history.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = u64, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 400, description = "Not an id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order (or pruned after the retention)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store failed", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(
    state: State,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Viewer)?;
    let id = id_of(&super::path(id)?)?;
    match state.store.order(id).map_err(|e| Problem::unavailable(e.to_string()))? {
        Some(order) => Ok(json(StatusCode::OK, &OrderView::from(&order))),
        None => Err(Problem::not_found(format!("no order {id}")).field("id").value(id.to_string())),
    }
}

fn answer_cancel(inputs: &[Input], replies: &[Reply], _: Millis) -> Answer {
    super::places::answer_done(inputs, replies, "$")
}

/// Cancel an order (queued, or not yet loaded).
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders",
    params(("id" = u64, Path, description = "The order's id")),
    responses(
        (status = 200, description = "Cancelled", body = super::views::Done),
        (status = 400, description = "Not an id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not cancel", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too late: loaded, or finished", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The orchestrator cannot answer now", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn cancel(
    state: State,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Operator)?;
    let order = id_of(&super::path(id)?)?;
    Ok(respond(call(&state, vec![Input::Cancel { order }], None, answer_cancel).await?))
}
