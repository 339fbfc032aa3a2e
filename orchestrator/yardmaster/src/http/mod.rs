//! The operator's surface of `yardmaster serve --http ADDR --tokens FILE`:
//! an HTTP API (axum on a tokio runtime of its own threads) beside the
//! Zenoh one, and the web dashboard it serves.
//!
//! The core stays in the serve loop, sync and sans-IO. Reads (orders,
//! vehicles, places) are answered here, from the order store (redb reads
//! run beside the loop's writes) and from a [`Snapshot`] the loop
//! publishes every tick. Commands go to the loop as [`bridge::Call`]s: it
//! steps the core with every call waiting, commits the store records
//! before it answers, and the handler answers the client.
//!
//! | | |
//! |---|---|
//! | `POST /api/v1/orders` | submit one order or a batch (`Idempotency-Key`) |
//! | `GET /api/v1/orders` | list, by `state`, `vehicle`, `since`, `until`, paged by `after` and `limit` |
//! | `GET /api/v1/orders/{id}` | one order and its history |
//! | `POST /api/v1/orders/{id}/cancel` | cancel |
//! | `GET /api/v1/vehicles`, `/api/v1/vehicles/{serial}` | the fleet |
//! | `POST /api/v1/nodes/{id}/close`, `…/open`, the same for `edges` | close and reopen places |
//! | `GET /api/v1/places` | the closed places |
//! | `GET /api/v1/layout`, `/api/v1/congestion` | what the dashboard draws |
//! | `GET /api/v1/events` | server-sent events: the core's events and vehicle positions |
//! | `GET /healthz`, `/readyz`, `/metrics`, `/openapi.json`, `/` | health, readiness, Prometheus, OpenAPI 3.1, dashboard |

pub mod auth;
pub mod bridge;
pub mod dashboard;
mod events;
pub mod metrics;
pub mod openapi;
mod orders;
mod places;
pub mod problem;
mod vehicles;
pub mod views;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use orchestrator::fleet::VehicleStatus;
use orchestrator::input::Closure;
use orchestrator::orders::Millis;
use tokio::sync::broadcast;

use crate::store::OrderStore;
use auth::Tokens;
use problem::Problem;

/// What the loop shows the handlers, replaced every tick.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The tick's time.
    pub at: Millis,
    /// Every vehicle.
    pub vehicles: Vec<VehicleStatus>,
    /// The closed places.
    pub closed: Vec<Closure>,
    /// Vehicle-ticks of waiting, by node id.
    pub congestion: BTreeMap<String, u64>,
}

/// One server-sent event: its name and JSON data.
#[derive(Clone, Debug)]
pub struct Streamed {
    /// `event` (one of the core's events) or `positions` (every vehicle, each tick).
    pub name: &'static str,
    /// JSON.
    pub data: String,
}

/// What every handler shares.
pub struct Shared {
    tokens: Tokens,
    store: Arc<OrderStore>,
    calls: bridge::Calls,
    snapshot: RwLock<Arc<Snapshot>>,
    events: broadcast::Sender<Arc<Streamed>>,
    metrics: metrics::Metrics,
    layout: String,
    tick_ms: u64,
    /// The loop ticked since this process started (the store is restored).
    ready: std::sync::atomic::AtomicBool,
}

type State = axum::extract::State<Arc<Shared>>;

/// Events a slow subscriber may fall behind before it misses some.
const EVENT_BACKLOG: usize = 1024;

/// The HTTP server, seen from the loop.
pub struct Server {
    shared: Arc<Shared>,
    inbox: bridge::Inbox,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Where it listens (the port the OS chose, for `:0`).
    pub addr: SocketAddr,
}

/// How to start the server.
pub struct Options {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Who may do what.
    pub tokens: Tokens,
    /// The order store (read here, written by the loop).
    pub store: Arc<OrderStore>,
    /// The layout.
    pub layout: Arc<layout::Layout>,
    /// The loop's tick period, ms.
    pub tick_ms: u64,
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("--http {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime could not start.
    #[error("starting the HTTP runtime: {0}")]
    Runtime(std::io::Error),
}

impl Server {
    /// Binds `options.addr` (so that a taken port fails here, at start)
    /// and serves on a runtime of two threads.
    pub fn start(options: Options) -> Result<Server, ServeError> {
        let listener = std::net::TcpListener::bind(options.addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| ServeError::Bind { addr: options.addr, source })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind { addr: options.addr, source })?;
        let (calls, inbox) = bridge::channel();
        let shared = Arc::new(Shared {
            tokens: options.tokens,
            store: options.store,
            calls,
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            events: broadcast::channel(EVENT_BACKLOG).0,
            metrics: metrics::Metrics::new(),
            layout: serde_json::to_string(&views::LayoutView::of(&options.layout)).unwrap_or_default(),
            tick_ms: options.tick_ms,
            ready: std::sync::atomic::AtomicBool::new(false),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("yardmaster-http")
            .enable_all()
            .build()
            .map_err(ServeError::Runtime)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        let thread = std::thread::Builder::new()
            .name("yardmaster-http".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!(error = %e, "the HTTP listener failed");
                            return;
                        }
                    };
                    let served = axum::serve(listener, app).with_graceful_shutdown(async {
                        let _ = stopped.await;
                    });
                    if let Err(e) = served.await {
                        tracing::error!(error = %e, "the HTTP server failed");
                    }
                });
                runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            })
            .map_err(ServeError::Runtime)?;
        tracing::info!(%addr, "HTTP API and dashboard");
        Ok(Server { shared, inbox, stop: Some(stop), thread: Some(thread), addr })
    }

    /// The calls waiting for the loop.
    pub fn inbox(&self) -> &bridge::Inbox {
        &self.inbox
    }

    /// The metrics the loop feeds.
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.shared.metrics
    }

    /// Publishes the tick's picture: handlers read it, the event stream
    /// sends every vehicle's position.
    pub fn publish(&self, snapshot: Snapshot, stats: Stats) {
        self.shared.metrics.vehicles(&snapshot.vehicles);
        if self.shared.events.receiver_count() > 0 {
            let data = events::positions(&snapshot, &stats);
            let _ = self.shared.events.send(Arc::new(Streamed { name: "positions", data }));
        }
        if let Ok(mut s) = self.shared.snapshot.write() {
            *s = Arc::new(snapshot);
        }
        self.shared.ready.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Replaces the closed places after a command step (the rest waits for the tick).
    pub fn refresh_closed(&self, closed: Vec<Closure>) {
        if let Ok(mut s) = self.shared.snapshot.write() {
            Arc::make_mut(&mut s).closed = closed;
        }
    }

    /// Sends one of the core's events (JSON) to the stream's subscribers.
    pub fn event(&self, json: &str) {
        if self.shared.events.receiver_count() > 0 {
            let _ = self.shared.events.send(Arc::new(Streamed { name: "event", data: json.to_string() }));
        }
    }

    /// Stops serving: open connections get a second to finish.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

pub use events::Stats;

impl Shared {
    fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(dashboard::index))
        .route("/dashboard/{file}", get(dashboard::asset))
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics::handler))
        .route("/openapi.json", get(openapi::handler))
        .route("/api/v1/session", get(session))
        .route("/api/v1/orders", post(orders::submit).get(orders::list))
        .route("/api/v1/orders/{id}", get(orders::get))
        .route("/api/v1/orders/{id}/cancel", post(orders::cancel))
        .route("/api/v1/vehicles", get(vehicles::list))
        .route("/api/v1/vehicles/{serial}", get(vehicles::get))
        .route("/api/v1/nodes/{id}/close", post(places::close_node))
        .route("/api/v1/nodes/{id}/open", post(places::open_node))
        .route("/api/v1/edges/{id}/close", post(places::close_edge))
        .route("/api/v1/edges/{id}/open", post(places::open_edge))
        .route("/api/v1/places", get(places::list))
        .route("/api/v1/layout", get(vehicles::layout))
        .route("/api/v1/congestion", get(vehicles::congestion))
        .route("/api/v1/events", get(events::stream))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), metrics::count))
        .with_state(shared)
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process serves HTTP", body = String, content_type = "text/plain")))]
async fn health() -> &'static str {
    "ok\n"
}

/// The process can take orders: the store is restored and the loop ticks.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Ready", body = String, content_type = "text/plain"),
    (status = 503, description = "Not ready yet", body = Problem, content_type = "application/problem+json")))]
async fn ready(state: State) -> Result<&'static str, Problem> {
    if state.ready.load(std::sync::atomic::Ordering::Acquire) {
        Ok("ready\n")
    } else {
        Err(Problem::unavailable("the order store is not restored yet"))
    }
}

/// Who the caller is.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Session {
    /// The token's role: `viewer`, `operator` or `admin`.
    role: String,
}

/// The caller's role (the dashboard shows an operator's forms only to operators).
#[utoipa::path(get, path = "/api/v1/session", tag = "health", responses(
    (status = 200, description = "The token's role", body = Session),
    (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn session(state: State, headers: axum::http::HeaderMap) -> Result<axum::response::Response, Problem> {
    let role = state.tokens.require(&headers, auth::Role::Viewer)?;
    Ok(json(StatusCode::OK, &Session { role: role.name().into() }))
}

async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::not_found(format!("no resource at {}", uri.path()))
        .field("path")
        .value(uri.path())
        .expected("a path of the API (see /openapi.json) or the dashboard at /")
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Problem {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "", format!("{method} is not a method of {}", uri.path()))
        .field("method")
        .value(method.as_str())
}

/// Sends a call to the loop and waits for its answer.
async fn call(
    shared: &Shared,
    inputs: Vec<orchestrator::input::Input>,
    keyed: Option<bridge::Keyed>,
    answer: bridge::Answerer,
) -> Result<bridge::Answer, Problem> {
    let (reply, answered) = tokio::sync::oneshot::channel();
    shared.calls.try_send(bridge::Call { inputs, keyed, answer, reply }).map_err(|e| match e {
        std::sync::mpsc::TrySendError::Full(_) => {
            Problem::unavailable("too many requests wait for the orchestrator; retry shortly")
        }
        std::sync::mpsc::TrySendError::Disconnected(_) => {
            Problem::unavailable("the orchestrator is stopping")
        }
    })?;
    match tokio::time::timeout(CALL_TIMEOUT, answered).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(_)) => Err(Problem::unavailable("the orchestrator stopped before it answered")),
        Err(_) => Err(Problem::unavailable(
            "the orchestrator did not answer in time; the request may still be applied (retry with the same Idempotency-Key)",
        )),
    }
}

/// How long a handler waits for the loop.
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// An answer as a response: JSON, or problem+json for errors.
fn respond(answer: bridge::Answer) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let kind = if status.is_success() { "application/json" } else { problem::PROBLEM_JSON };
    let mut response = (status, [(axum::http::header::CONTENT_TYPE, kind)], answer.body).into_response();
    if answer.replayed {
        response.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
    }
    response
}

/// A JSON response.
fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(value).unwrap_or_default(),
    )
        .into_response()
}

/// A path parameter, or a problem naming it.
fn path(
    p: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<String, Problem> {
    p.map(|axum::extract::Path(s)| s).map_err(|e| problem::rejection(e, "path"))
}
