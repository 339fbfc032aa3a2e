//! The web dashboard: one page and its modules, compiled into the binary
//! (no CDN; it works offline). The page asks for a token, or takes
//! `/?token=…` once and keeps it in the tab's session storage.
//!
//! [`standalone`] makes the same page a single file that plays a recorded
//! run (the simulator's `replay.html`): the stylesheet inlined, the modules
//! as `data:` URLs in the import map, the recording in the page.

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
    ("replay.js", "text/javascript; charset=utf-8", include_str!("../../dashboard/replay.js")),
    ("style.css", "text/css; charset=utf-8", include_str!("../../dashboard/style.css")),
];

const INDEX: &str = include_str!("../../dashboard/index.html");

/// The dashboard as one self-contained page playing `recording` (JSON:
/// `{title, layout, step, frames: [{at, stats, vehicles: [[serial, x, y,
/// theta]]}], events}`; see `dashboard/replay.js`).
pub fn standalone(recording: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let css = FILES.iter().find(|f| f.0 == "style.css").map_or("", |f| f.2);
    let imports: serde_json::Map<String, serde_json::Value> = FILES
        .iter()
        .filter(|f| f.0.ends_with(".js"))
        .map(|(name, _, body)| {
            (format!("yardmaster/{name}"), format!("data:text/javascript;base64,{}", b64.encode(body)).into())
        })
        .collect();
    let map = serde_json::json!({ "imports": imports }).to_string();
    // Inside <script>, only `</` can end the element early; `<\/` means the same in JSON.
    let data = recording.replace("</", "<\\/");
    INDEX
        .replace(r#"<link rel="stylesheet" href="/dashboard/style.css">"#, &format!("<style>\n{css}</style>"))
        .replace(
            r#"<script type="importmap">{"imports": {"yardmaster/": "/dashboard/"}}</script>"#,
            &format!(
                "<script id=\"replay-data\" type=\"application/json\">{data}</script>\n<script type=\"importmap\">{map}</script>"
            ),
        )
        .replace(r#"<script type="module" src="/dashboard/app.js"></script>"#, r#"<script type="module">import 'yardmaster/app.js';</script>"#)
}

/// The page.
pub async fn index() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        INDEX,
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_standalone_page_carries_everything_and_nothing_ends_its_data_early() {
        let page = super::standalone(r#"{"title":"a </script> title","frames":[],"events":[],"layout":{}}"#);
        assert!(page.contains(r#"<script id="replay-data" type="application/json">"#));
        assert!(page.contains(r#"a <\/script> title"#), "the data cannot close its element");
        assert!(page.contains("\"yardmaster/app.js\":\"data:text/javascript;base64,"));
        assert!(page.contains("#timeline"), "the stylesheet is inlined");
        assert!(!page.contains("/dashboard/"), "no file is fetched");
    }
}
