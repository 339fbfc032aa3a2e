//! The OpenAPI 3.1 document, generated from the handlers and the answer
//! types (`utoipa`): what `/openapi.json` serves, and what CI's
//! generated-request fuzzer checks the server against.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).description(Some(
                "A token of the --tokens file; its role (viewer, operator, admin) says what it may do",
            )).build()),
        );
    }
}

/// The API's document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Yardmaster", description = "The fleet orchestrator's HTTP API: transport orders, vehicles, places, events."),
    paths(
        super::orders::submit, super::orders::list, super::orders::get, super::orders::cancel,
        super::vehicles::list, super::vehicles::get, super::vehicles::layout, super::vehicles::congestion,
        super::places::close_node, super::places::open_node, super::places::close_edge, super::places::open_edge,
        super::places::list, super::events::stream, super::metrics::handler, super::health, super::ready, super::session,
    ),
    modifiers(&Bearer),
    tags(
        (name = "orders", description = "Transport orders"),
        (name = "vehicles", description = "The fleet and the layout"),
        (name = "places", description = "Closing and reopening nodes and edges"),
        (name = "events", description = "The live stream"),
        (name = "health", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

/// The document as JSON.
pub fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

/// `/openapi.json` (no token needed).
pub async fn handler() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], document()).into_response()
}
