//! What the tests of the live binaries share: processes killed when
//! dropped, the 10 × 3 grid, bounded waits, and the HTTP API's address
//! read from the server's log.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// Kills its process when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A 10 × 3 open grid: nodes are named `x,y`.
pub fn map(dir: &Path) -> PathBuf {
    let path = dir.join("yard.map");
    std::fs::write(&path, "type octile\nheight 3\nwidth 10\nmap\n..........\n..........\n..........\n")
        .unwrap();
    path
}

/// Polls `probe` every 100 ms until it gives a value, for at most `limit`.
#[expect(clippy::disallowed_methods, reason = "a test of live processes bounds its own wall-clock time")]
pub fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The HTTP API's base URL, from the log line `serve --http 127.0.0.1:0` writes.
pub fn http_base(log: &Path) -> String {
    wait_for("the HTTP API's address in the log", Duration::from_secs(30), || {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let at = text.find("addr=127.0.0.1:")?;
        let port: String = text[at + 15..].chars().take_while(char::is_ascii_digit).collect();
        Some(format!("http://127.0.0.1:{port}"))
    })
}

/// A JSON request with a bearer token: status and body.
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body(body.unwrap_or("").to_string())
        .unwrap();
    match agent.run(request) {
        Ok(mut r) => {
            let status = r.status().as_u16();
            let text = r.body_mut().read_to_string().unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
        }
        Err(e) => (0, serde_json::Value::String(e.to_string())),
    }
}
