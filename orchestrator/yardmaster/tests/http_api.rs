//! The HTTP API of `yardmaster serve --http`, against the real binary on
//! loopback: every endpoint, every refusal as problem+json naming the
//! field, roles, idempotency keys, paging, and orders answered 201 that
//! survive a SIGKILL. The server binds port 0 and says in its log which
//! port it got, so no port is probed and then raced for.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Proc, map, wait_for};
use serde_json::{Value, json};

mod common;

const OPERATOR: &str = "operator-token-api-test-000001";
const VIEWER: &str = "viewer-token-api-test-0000001";

/// A served orchestrator with two vehicles that never connect (orders stay queued).
struct Server {
    proc: Option<Proc>,
    base: String,
    log: PathBuf,
}

#[expect(clippy::disallowed_methods, reason = "a test of a live process bounds its own wall-clock time")]
fn start(dir: &Path) -> Server {
    let tokens = dir.join("tokens.json");
    std::fs::write(
        &tokens,
        json!([{"token": OPERATOR, "role": "operator"}, {"token": VIEWER, "role": "viewer"}]).to_string(),
    )
    .unwrap();
    let log = dir.join(format!("serve-{}.log", std::fs::read_dir(dir).unwrap().count()));
    let child = Command::new(env!("CARGO_BIN_EXE_yardmaster"))
        .args(["serve", "--layout", &map(dir).display().to_string()])
        .args(["--db", &dir.join("orders.redb").display().to_string()])
        .args(["--vehicle", "AGV-01", "--vehicle", "AGV-02", "--duration", "120"])
        .args(["--listen", &format!("unixsock-stream/{}", dir.join("z.sock").display())])
        .args(["--http", "127.0.0.1:0", "--tokens", &tokens.display().to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let proc = Proc(child);
    let started = Instant::now();
    let base = common::http_base(&log);
    let server = Server { proc: Some(proc), base, log };
    while server.call("GET", "/readyz", None, None).0 != 200 {
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

impl Server {
    /// One request: status, headers we look at, JSON body (or the text as a JSON string).
    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        key: Option<&str>,
    ) -> Reply {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        let url = format!("{}{path}", self.base);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(k) = key {
            request = request.header("Idempotency-Key", k);
        }
        let request =
            request.header("Content-Type", "application/json").body(body.unwrap_or("").to_string()).unwrap();
        let mut response = agent.run(request).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap_or("").to_string());
        let (kind, replayed, www) =
            (header("content-type"), header("idempotent-replayed"), header("www-authenticate"));
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status >= 400 {
            assert_eq!(kind.as_deref(), Some("application/problem+json"), "{method} {path} {status}: {body}");
            assert_eq!(body["status"], status, "{body}");
            assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
        }
        assert!(status < 500 || status == 503, "{method} {path}: {status} {body}");
        Reply { status, body, replayed: replayed.is_some(), www }
    }

    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value) {
        let r = self.request(method, path, token, body, None);
        (r.status, r.body)
    }

    fn kill(&mut self) {
        self.proc.take();
    }
}

struct Reply {
    status: u16,
    body: Value,
    replayed: bool,
    www: Option<String>,
}

#[test]
fn every_endpoint_answers_and_every_refusal_is_problem_json_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let op = Some(OPERATOR);
    let viewer = Some(VIEWER);

    // Open endpoints.
    assert_eq!(s.call("GET", "/healthz", None, None).0, 200);
    let (status, doc) = s.call("GET", "/openapi.json", None, None);
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in
        ["/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/vehicles/{serial}", "/api/v1/events", "/metrics"]
    {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    let (status, page) = s.call("GET", "/", None, None);
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("<title>Yardmaster</title>"));
    assert_eq!(s.call("GET", "/dashboard/app.js", None, None).0, 200);
    assert_eq!(s.call("GET", "/dashboard/nope.js", None, None).0, 404);

    // Authentication and roles.
    let r = s.request("GET", "/api/v1/orders", None, None, None);
    assert_eq!(r.status, 401);
    assert!(r.www.unwrap().starts_with("Bearer"), "401 asks for a bearer token");
    assert_eq!(s.call("GET", "/api/v1/orders", Some("wrong-token-of-no-one-000"), None).0, 401);
    let (status, p) = s.call("POST", "/api/v1/orders", viewer, Some(r#"{"from":"0,0","to":"9,2"}"#));
    assert_eq!(status, 403, "{p}");
    assert_eq!(s.call("GET", "/api/v1/session", viewer, None).1["role"], "viewer");
    assert!(!std::fs::read_to_string(&s.log).unwrap().contains("token-api-test"), "tokens are never logged");

    // Submitting.
    let (status, order) =
        s.call("POST", "/api/v1/orders", op, Some(r#"{"from":"0,0","to":"9,2","priority":3}"#));
    assert_eq!(status, 201, "{order}");
    let id = order["id"].as_u64().unwrap();
    assert_eq!(order["state"], "queued");
    let (status, got) = s.call("GET", &format!("/api/v1/orders/{id}"), viewer, None);
    assert_eq!(status, 200);
    assert_eq!(got["request"]["priority"], 3);
    assert_eq!(got["history"][0]["status"], "queued");
    for (body, status, field) in [
        (r#"{"from":"0,0","to":"9,2""#, 400, "$"),
        (r#"{"from":"0,0","to":5}"#, 400, "$.to"),
        (r#"{"from":"0,0","to":"9,2","colour":"red"}"#, 400, "$.colour"),
        (r#"{"from":"0,0","to":"99,99"}"#, 422, "$.to"),
        (r#"{"from":"0,0","to":"9,2","vehicleType":"crane"}"#, 422, "$.vehicleType"),
        ("[]", 400, "$"),
        (r#"[{"from":"0,0","to":"9,2"},{"from":1}]"#, 400, "$[1].from"),
        ("", 400, "$"),
    ] {
        let (got, p) = s.call("POST", "/api/v1/orders", op, Some(body));
        assert_eq!(got, status, "{body}: {p}");
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    let (status, batch) = s.call(
        "POST",
        "/api/v1/orders",
        op,
        Some(r#"[{"from":"0,0","to":"9,2"},{"from":"0,0","to":"nowhere"}]"#),
    );
    assert_eq!(status, 200);
    assert_eq!(batch["items"][0]["status"], 201);
    assert_eq!(batch["items"][1]["status"], 422);
    assert_eq!(batch["items"][1]["problem"]["field"], "$[1].to", "{batch}");
    assert_eq!(batch["items"][1]["problem"]["value"], "nowhere");

    // Idempotency keys.
    let body = r#"{"from":"1,0","to":"8,2"}"#;
    let first = s.request("POST", "/api/v1/orders", op, Some(body), Some("key-1"));
    let again = s.request("POST", "/api/v1/orders", op, Some(body), Some("key-1"));
    assert_eq!((first.status, again.status), (201, 201));
    assert_eq!(first.body["id"], again.body["id"], "a retry creates nothing");
    assert!(again.replayed && !first.replayed);
    let other = s.request("POST", "/api/v1/orders", op, Some(r#"{"from":"2,0","to":"8,2"}"#), Some("key-1"));
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(other.body["field"], "Idempotency-Key");
    assert_eq!(s.request("POST", "/api/v1/orders", op, Some(body), Some("")).status, 400);

    // Listing and paging: orders 1, 2 (batch item), 3 (keyed) so far.
    let (status, page) = s.call("GET", "/api/v1/orders?limit=2", viewer, None);
    assert_eq!(status, 200);
    let ids: Vec<u64> =
        page["orders"].as_array().unwrap().iter().map(|o| o["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, vec![1, 2]);
    assert_eq!(page["next"], 2);
    let (_, page) = s.call("GET", "/api/v1/orders?limit=2&after=2", viewer, None);
    assert_eq!(page["orders"][0]["id"], 3);
    assert!(page["next"].is_null());
    let (_, page) = s.call("GET", "/api/v1/orders?order=desc&limit=1", viewer, None);
    assert_eq!(page["orders"][0]["id"], 3);
    let (_, page) = s.call("GET", "/api/v1/orders?order=desc&before=3&limit=1", viewer, None);
    assert_eq!((page["orders"][0]["id"].as_u64(), page["next"].as_u64()), (Some(2), Some(2)), "{page}");
    let (_, page) = s.call("GET", "/api/v1/orders?after=1&before=3", viewer, None);
    assert_eq!(page["orders"].as_array().unwrap().len(), 1, "{page}");
    let (_, page) = s.call("GET", "/api/v1/orders?state=delivered", viewer, None);
    assert_eq!(page["orders"], json!([]));
    for (query, field) in [
        ("state=lost", "state"),
        ("limit=0", "limit"),
        ("limit=x", "query"),
        ("colour=red", "query"),
        ("order=up", "order"),
    ] {
        let (status, p) = s.call("GET", &format!("/api/v1/orders?{query}"), viewer, None);
        assert_eq!(status, 400, "{query}: {p}");
        assert_eq!(p["field"], field, "{query}: {p}");
    }
    assert_eq!(s.call("GET", "/api/v1/orders/abc", viewer, None).1["field"], "id");
    assert_eq!(s.call("GET", "/api/v1/orders/999", viewer, None).0, 404);

    // Cancelling.
    assert_eq!(s.call("POST", &format!("/api/v1/orders/{id}/cancel"), viewer, None).0, 403);
    let (status, done) = s.call("POST", &format!("/api/v1/orders/{id}/cancel"), op, None);
    assert_eq!((status, done["done"].as_str()), (200, Some("cancelled")), "{done}");
    assert_eq!(s.call("GET", &format!("/api/v1/orders/{id}"), viewer, None).1["state"], "cancelled");
    assert_eq!(s.call("POST", "/api/v1/orders/999/cancel", op, None).0, 404);

    // Vehicles.
    let (status, fleet) = s.call("GET", "/api/v1/vehicles", viewer, None);
    assert_eq!(status, 200);
    assert_eq!(fleet.as_array().unwrap().len(), 2);
    assert_eq!(fleet[0]["health"], "unplaced", "never connected: {fleet}");
    let (status, v) = s.call("GET", "/api/v1/vehicles/AGV-02", viewer, None);
    assert_eq!((status, v["serial"].as_str()), (200, Some("AGV-02")));
    let (status, p) = s.call("GET", "/api/v1/vehicles/AGV-09", viewer, None);
    assert_eq!((status, p["value"].as_str()), (404, Some("AGV-09")));

    // Places.
    let (status, done) = s.call("POST", "/api/v1/nodes/4,1/close", op, Some(r#"{"reason":"spill"}"#));
    assert_eq!(status, 200, "{done}");
    assert_eq!(s.call("POST", "/api/v1/edges/E-nope/close", op, None).0, 404);
    assert_eq!(s.call("POST", "/api/v1/nodes/4,1/close", op, Some(r#"{"reason":5}"#)).1["field"], "$.reason");
    assert_eq!(s.call("POST", "/api/v1/nodes/4,1/close", op, Some("[]")).0, 400, "a list is not a reason");
    assert_eq!(s.call("POST", "/api/v1/nodes/3,1/close", op, Some("null")).0, 200);
    assert_eq!(s.call("POST", "/api/v1/nodes/3,1/open", op, None).0, 200);
    let (_, closed) = s.call("GET", "/api/v1/places", viewer, None);
    assert_eq!(
        closed,
        json!([{"kind": "node", "id": "4,1", "reason": "spill", "since": closed[0]["since"]}])
    );
    assert_eq!(s.call("POST", "/api/v1/nodes/4,1/open", op, None).0, 200);
    assert_eq!(s.call("POST", "/api/v1/nodes/4,1/open", op, None).0, 409, "not closed any more");

    // What the dashboard reads.
    let (status, layout) = s.call("GET", "/api/v1/layout", viewer, None);
    assert_eq!(status, 200);
    assert_eq!(layout["nodes"].as_array().unwrap().len(), 30);
    assert_eq!(s.call("GET", "/api/v1/congestion", viewer, None).0, 200);
    // The gauges follow the ticks (200 ms): wait for the one after the commands.
    let metrics = wait_for("the gauges after the commands", Duration::from_secs(10), || {
        let (status, metrics) = s.call("GET", "/metrics", viewer, None);
        assert_eq!(status, 200);
        let metrics = metrics.as_str().unwrap().to_string();
        metrics.contains("yardmaster_orders{state=\"queued\"} 2").then_some(metrics)
    });
    for name in [
        "yardmaster_tick_seconds_count",
        "yardmaster_orders{state=\"queued\"} 2",
        "yardmaster_vehicles{health=\"unplaced\"} 2",
    ] {
        assert!(metrics.contains(name), "{name} in\n{metrics}");
    }
    let events = first_event(&s.base, VIEWER);
    assert!(events.contains("event: positions") && events.contains("AGV-01"), "{events}");

    // Nothing else.
    assert_eq!(s.call("GET", "/api/v2/orders", viewer, None).0, 404);
    assert_eq!(s.call("DELETE", "/api/v1/orders", op, None).0, 405);
}

/// Reads the event stream until a `positions` event arrived.
#[expect(clippy::disallowed_methods, reason = "a test of a live process bounds its own wall-clock time")]
fn first_event(base: &str, token: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    write!(stream, "GET /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    while !text.contains("\n\n") || !text.contains("event: positions") {
        assert!(started.elapsed() < Duration::from_secs(10), "no positions event: {text}");
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(_) => continue,
        }
    }
    text
}

#[test]
fn orders_answered_201_survive_a_sigkill_and_a_retry_after_the_restart_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path());
    let mut accepted = Vec::new();
    for k in 0..40 {
        let body = format!(r#"{{"from":"{},0","to":"9,{}"}}"#, k % 9, k % 3);
        let r = s.request("POST", "/api/v1/orders", Some(OPERATOR), Some(&body), Some(&format!("order-{k}")));
        assert_eq!(r.status, 201, "{}", r.body);
        accepted.push((k, body, r.body["id"].as_u64().unwrap()));
    }
    s.kill();
    let s = start(dir.path());
    let (_, page) = s.call("GET", "/api/v1/orders?limit=1000", Some(VIEWER), None);
    let ids: Vec<u64> =
        page["orders"].as_array().unwrap().iter().map(|o| o["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, accepted.iter().map(|a| a.2).collect::<Vec<_>>(), "every order answered 201, once");
    for (k, body, id) in &accepted {
        let r = s.request("POST", "/api/v1/orders", Some(OPERATOR), Some(body), Some(&format!("order-{k}")));
        assert_eq!(
            (r.status, r.body["id"].as_u64()),
            (201, Some(*id)),
            "the retry of order-{k} gets its first answer"
        );
        assert!(r.replayed);
    }
    let (_, page) = s.call("GET", "/api/v1/orders?limit=1000", Some(VIEWER), None);
    assert_eq!(page["orders"].as_array().unwrap().len(), accepted.len(), "no order twice");
}
