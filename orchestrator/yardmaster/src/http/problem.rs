//! Errors as `application/problem+json` (RFC 9457): every refusal names
//! what was wrong — the field (a JSON path or parameter), the value, and
//! what was expected — so that a script or an operator can fix the request.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem detail (RFC 9457) with Yardmaster's extension members.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Problem {
    /// What kind of problem: a URI reference (`/problems/…`), or
    /// `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// This occurrence, in words.
    pub detail: String,
    /// The request field at fault: a JSON path into the body
    /// (`$.items[2].from`), a path parameter or a query parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The value that was refused, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What was expected instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

impl Problem {
    /// A problem of `status` with a kind slug (`invalid-body`, …) and a detail.
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: if slug.is_empty() { "about:blank".into() } else { format!("/problems/{slug}") },
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            value: None,
            expected: None,
        }
    }

    /// 400: the request could not be read.
    pub fn bad_request(slug: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, slug, detail)
    }

    /// 404: nothing there.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    /// 422: understood, and refused by the core (unknown station, …).
    pub fn refused(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", detail)
    }

    /// 503: the orchestrator cannot answer now.
    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// The same, naming the field at fault.
    pub fn field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }

    /// The same, naming the refused value.
    pub fn value(mut self, value: impl Into<String>) -> Problem {
        self.value = Some(value.into());
        self
    }

    /// The same, saying what was expected.
    pub fn expected(mut self, expected: impl Into<String>) -> Problem {
        self.expected = Some(expected.into());
        self
    }

    /// Its HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"yardmaster\""));
        }
        response
    }
}

/// What an extractor's rejection becomes: the same status, as a problem.
pub fn rejection(rejection: impl IntoResponse + std::fmt::Display, field: &str) -> Problem {
    let text = rejection.to_string();
    let status = rejection.into_response().status();
    Problem::new(status, "invalid-request", text).field(field)
}

/// A JSON body into `T`, naming the JSON path at fault on failure.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], expected: &str) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let syntax = inner.is_syntax() || inner.is_eof();
        // Not JSON: the whole body is at fault (the detail gives line and column).
        let field = match path.as_str() {
            _ if syntax => "$".to_string(),
            "." | "" => "$".to_string(),
            p if p.starts_with('[') => format!("${p}"),
            p => format!("$.{p}"),
        };
        let kind = if syntax { "invalid-json" } else { "invalid-body" };
        Problem::bad_request(kind, format!("{field}: {inner}")).field(field).expected(expected)
    })?;
    de.end()
        .map_err(|e| Problem::bad_request("invalid-json", format!("$: {e}")).field("$").expected(expected))?;
    Ok(value)
}

/// The core's refusal of a command as a problem: 404 for what does not
/// exist, 409 for what cannot be done now, 422 for a request the layout
/// cannot serve; `prefix` is the JSON path of the request in the body.
pub fn of_command(e: &orchestrator::input::CommandError, prefix: &str) -> Problem {
    use orchestrator::fleet::CancelError;
    use orchestrator::input::CommandError;
    use orchestrator::orders::RequestError;
    let detail = e.to_string();
    match e {
        CommandError::Cancel(CancelError::Unknown(id)) => {
            Problem::not_found(detail).field("id").value(id.to_string()).expected("the id of an order")
        }
        CommandError::Cancel(CancelError::TooLate { .. }) | CommandError::NotClosed(_) => {
            Problem::new(StatusCode::CONFLICT, "conflict", detail)
        }
        CommandError::UnknownPlace { place, kind } => Problem::not_found(detail)
            .field("id")
            .value(match place {
                orchestrator::input::PlaceId::Node(id) | orchestrator::input::PlaceId::Edge(id) => id.clone(),
            })
            .expected(format!("the id of a {kind} of the layout")),
        CommandError::Request(RequestError::UnknownStation { field, id }) => Problem::refused(detail)
            .field(format!("{prefix}.{field}"))
            .value(id.clone())
            .expected("the id of a station of the layout (or of a node, on layouts without stations)"),
        CommandError::Request(RequestError::UnknownVehicleType(t)) => Problem::refused(detail)
            .field(format!("{prefix}.vehicleType"))
            .value(t.clone())
            .expected("a vehicle type of the layout"),
        CommandError::Request(_) => Problem::refused(detail).field(prefix.to_string()),
        _ => Problem::refused(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only its parsing is tested")]
    struct Body {
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "only its parsing is tested")]
    struct Item {
        from: String,
    }

    #[test]
    fn bad_bodies_name_the_json_path_and_what_was_expected() {
        let p = json_body::<Body>(br#"{"items":[{"from":"A"},{"from":3}]}"#, "a list").unwrap_err();
        assert_eq!(p.status, 400);
        assert_eq!(p.field.as_deref(), Some("$.items[1].from"), "{p:?}");
        assert!(p.detail.contains("expected a string"), "{p:?}");
        let p = json_body::<Body>(b"{\"items\": [", "a list").unwrap_err();
        assert_eq!(p.kind, "/problems/invalid-json");
        let p = json_body::<Body>(br#"{"items":[]} x"#, "a list").unwrap_err();
        assert!(p.detail.contains("trailing"), "{p:?}");
        let p = json_body::<Body>(br#"{"items":[],"x":1}"#, "a list").unwrap_err();
        assert!(p.detail.contains("unknown field `x`"), "{p:?}");
    }

    #[test]
    fn a_problem_is_problem_json_and_401_asks_for_a_bearer_token() {
        let r = Problem::new(StatusCode::UNAUTHORIZED, "", "no token").into_response();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert!(r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap().starts_with("Bearer"));
    }

    proptest::proptest! {
        #[test]
        fn any_body_is_an_order_request_or_a_400_naming_a_json_path(body in proptest::collection::vec(proptest::num::u8::ANY, 0..120)) {
            if let Err(p) = json_body::<Vec<orchestrator::orders::OrderRequest>>(&body, "a list") {
                proptest::prop_assert_eq!(p.status, 400);
                proptest::prop_assert!(p.field.as_deref().is_some_and(|f| f.starts_with('$')), "{:?}", p);
            }
        }
    }
}
