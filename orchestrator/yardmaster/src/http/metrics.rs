//! `/metrics` in the Prometheus (OpenMetrics) text format: tick time and
//! state latency histograms, orders by state, vehicles by health, orders
//! finished by outcome, HTTP answers by status class.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::auth::Role;
use super::problem::Problem;
use super::{Shared, State};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HealthLabel {
    health: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClassLabel {
    class: String,
}

/// The process's metrics (cheap to update from the loop: atomics).
pub struct Metrics {
    registry: Registry,
    tick: Histogram,
    latency: Histogram,
    orders: Family<StateLabel, Gauge>,
    vehicles: Family<HealthLabel, Gauge>,
    finished: Family<OutcomeLabel, Counter>,
    submitted: Counter,
    answers: Family<ClassLabel, Counter>,
}

impl Metrics {
    /// Registered, at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("yardmaster");
        let tick = Histogram::new(exponential_buckets(0.000_25, 2.0, 16));
        let latency = Histogram::new(exponential_buckets(0.000_5, 2.0, 16));
        let orders = Family::<StateLabel, Gauge>::default();
        let vehicles = Family::<HealthLabel, Gauge>::default();
        let finished = Family::<OutcomeLabel, Counter>::default();
        let submitted = Counter::default();
        let answers = Family::<ClassLabel, Counter>::default();
        registry.register("tick_seconds", "Time the core took per tick", tick.clone());
        registry.register("state_latency_seconds", "Vehicle state age on arrival", latency.clone());
        registry.register("orders", "Live orders by state", orders.clone());
        registry.register(
            "vehicles",
            "Vehicles by health (ok, fenced, unplaced) and waiting",
            vehicles.clone(),
        );
        registry.register("orders_finished", "Orders finished since start, by outcome", finished.clone());
        registry.register("orders_submitted", "Orders accepted through the HTTP API", submitted.clone());
        registry.register("http_answers", "HTTP answers by status class", answers.clone());
        Metrics { registry, tick, latency, orders, vehicles, finished, submitted, answers }
    }

    /// A tick took `ms`.
    pub fn tick(&self, ms: f64) {
        self.tick.observe(ms / 1000.0);
    }

    /// A state arrived `ms` after its timestamp.
    pub fn latency(&self, ms: f64) {
        self.latency.observe(ms.max(0.0) / 1000.0);
    }

    /// Live orders by state name (states absent go to zero).
    pub fn orders(&self, by_state: &std::collections::BTreeMap<&'static str, i64>) {
        for state in super::orders::STATES {
            let n = by_state.get(state).copied().unwrap_or(0);
            self.orders.get_or_create(&StateLabel { state: state.into() }).set(n);
        }
    }

    /// An order finished: `delivered`, `failed` or `cancelled`.
    pub fn finished(&self, outcome: &str) {
        self.finished.get_or_create(&OutcomeLabel { outcome: outcome.into() }).inc();
    }

    pub(super) fn vehicles(&self, vehicles: &[orchestrator::fleet::VehicleStatus]) {
        for health in ["ok", "fenced", "unplaced", "waiting"] {
            let n = vehicles
                .iter()
                .filter(|v| if health == "waiting" { v.waiting.is_some() } else { v.health == health })
                .count();
            self.vehicles.get_or_create(&HealthLabel { health: health.into() }).set(n as i64);
        }
    }

    pub(super) fn submitted(&self, answer: &super::bridge::Answer) {
        if answer.replayed {
            return;
        }
        let n = if answer.status == 201 { 1 } else { answer.body.matches("\"status\":201").count() as u64 };
        self.submitted.inc_by(n);
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// The metrics (a viewer's token, as every read).
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn handler(state: State, headers: HeaderMap) -> Result<Response, Problem> {
    state.tokens.require(&headers, Role::Viewer)?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.encode(),
    )
        .into_response())
}

/// Counts every answer by status class.
pub async fn count(state: axum::extract::State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let class = format!("{}xx", response.status().as_u16() / 100);
    state.metrics.answers.get_or_create(&ClassLabel { class }).inc();
    response
}
