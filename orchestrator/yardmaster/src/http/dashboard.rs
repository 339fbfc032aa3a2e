//! The web dashboard: one page and its modules, compiled into the binary
//! (no CDN; it works offline). The page asks for a token, or takes
//! `/?token=…` once and keeps it in the tab's session storage.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};

use super::problem::Problem;

/// The dashboard's files: name, media type, content.
const FILES: &[(&str, &str, &str)] = &[
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../dashboard/app.js")),
    ("map.js", "text/javascript; charset=utf-8", include_str!("../../dashboard/map.js")),
    ("plots.js", "text/javascript; charset=utf-8", include_str!("../../dashboard/plots.js")),
    ("api.js", "text/javascript; charset=utf-8", include_str!("../../dashboard/api.js")),
    ("style.css", "text/css; charset=utf-8", include_str!("../../dashboard/style.css")),
];

/// The page.
pub async fn index() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        include_str!("../../dashboard/index.html"),
    )
        .into_response()
}

/// One of its files.
pub async fn asset(file: Result<Path<String>, axum::extract::rejection::PathRejection>) -> Response {
    let name = match super::path(file) {
        Ok(n) => n,
        Err(p) => return p.into_response(),
    };
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, *kind), (header::CACHE_CONTROL, "no-cache")], *body)
                .into_response()
        }
        None => {
            Problem::not_found(format!("no dashboard file {name}")).field("file").value(name).into_response()
        }
    }
}
