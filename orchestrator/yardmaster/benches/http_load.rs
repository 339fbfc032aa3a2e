//! The HTTP API's load benchmark (a benchmark, not a timed test):
//! `yardmaster serve --http` on loopback takes order submissions at a
//! fixed open-loop rate from many keep-alive clients for a while; then it
//! is killed with SIGKILL and restarted on the same store, and every order
//! answered 201 must be there, once, and a retry of each must get its
//! first answer back.
//!
//! ```text
//! cargo bench -p yardmaster --bench http_load -- [--rate 1000] [--seconds 60] [--clients 32]
//! ```
//!
//! Latency is measured from when each request was due (not when it was
//! sent), so a stalled server cannot hide its stall. It prints one JSON line.

#![expect(
    clippy::print_stdout,
    clippy::disallowed_methods,
    reason = "a benchmark prints its figures and reads the clock"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

const TOKEN: &str = "operator-token-load-bench-0001";

struct Options {
    rate: f64,
    seconds: f64,
    clients: usize,
}

fn options() -> Options {
    let mut o = Options { rate: 1000.0, seconds: 60.0, clients: 32 };
    let args: Vec<String> = std::env::args().collect();
    for pair in args.windows(2) {
        match pair[0].as_str() {
            "--rate" => o.rate = pair[1].parse().expect("--rate N"),
            "--seconds" => o.seconds = pair[1].parse().expect("--seconds S"),
            "--clients" => o.clients = pair[1].parse().expect("--clients N"),
            _ => {}
        }
    }
    o
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path, layout: &Path) -> (Proc, String) {
    let log = dir.join(format!("serve-{}.log", std::fs::read_dir(dir).map_or(0, |d| d.count())));
    let child = Command::new(env!("CARGO_BIN_EXE_yardmaster"))
        .args(["serve", "--layout", &layout.display().to_string()])
        .args(["--db", &dir.join("orders.redb").display().to_string(), "--vehicles", "50"])
        .args(["--listen", &format!("unixsock-stream/{}", dir.join("z.sock").display())])
        .args(["--http", "127.0.0.1:0", "--tokens", &dir.join("tokens.json").display().to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("yardmaster");
    let proc = Proc(child);
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(at) = text.find("addr=127.0.0.1:") {
            let port: String = text[at + 15..].chars().take_while(char::is_ascii_digit).collect();
            let base = format!("http://127.0.0.1:{port}");
            while get(&base, "/readyz").is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
            return (proc, base);
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn get(base: &str, path: &str) -> Option<Value> {
    let mut r = agent()
        .get(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .call()
        .ok()?;
    if r.status() != 200 {
        return None;
    }
    let text = r.body_mut().read_to_string().ok()?;
    Some(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn submit(agent: &ureq::Agent, base: &str, key: &str, body: &str) -> (u16, Option<u64>, bool) {
    match agent
        .post(format!("{base}/api/v1/orders"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Idempotency-Key", key)
        .header("Content-Type", "application/json")
        .send(body)
    {
        Ok(mut r) => {
            let replayed = r.headers().contains_key("idempotent-replayed");
            let status = r.status().as_u16();
            let v: Value = r.body_mut().read_json().unwrap_or(Value::Null);
            (status, v["id"].as_u64(), replayed)
        }
        Err(_) => (0, None, false),
    }
}

/// One submission: its key and body, and what it got.
struct Sent {
    key: String,
    body: String,
    status: u16,
    id: Option<u64>,
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("tokens.json"), json!([{"token": TOKEN, "role": "operator"}]).to_string())
        .expect("tokens");
    let layout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../maps/grid-warehouse.map");
    let (server, base) = start(dir.path(), &layout);
    let nodes: Vec<String> = get(&base, "/api/v1/layout").expect("layout")["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let total = (o.rate * o.seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / o.rate);
    let latency = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds")));
    let sent = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let t0 = Instant::now() + Duration::from_millis(200);
    let threads: Vec<_> = (0..o.clients)
        .map(|c| {
            let (base, nodes, latency, sent) = (base.clone(), nodes.clone(), latency.clone(), sent.clone());
            let clients = o.clients;
            std::thread::spawn(move || {
                let agent = agent();
                let mut mine = Vec::new();
                for k in (c..total).step_by(clients) {
                    let due = t0 + interval * k as u32;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let (a, b) = (&nodes[(k * 7919) % nodes.len()], &nodes[(k * 104_729 + 1) % nodes.len()]);
                    let to = if a == b { &nodes[(k + 1) % nodes.len()] } else { b };
                    let body = format!(r#"{{"from":"{a}","to":"{to}"}}"#);
                    let key = format!("load-{k}");
                    let (status, id, _) = submit(&agent, &base, &key, &body);
                    let us = due.elapsed().as_micros() as u64;
                    latency.lock().expect("latency").saturating_record(us.max(1));
                    mine.push(Sent { key, body, status, id });
                }
                sent.lock().expect("sent").extend(mine);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client");
    }
    let wall = t0.elapsed().as_secs_f64();
    let mut sent = std::mem::take(&mut *sent.lock().expect("sent"));
    sent.sort_by(|a, b| a.key.cmp(&b.key));
    let created = sent.iter().filter(|s| s.status == 201).count();
    let h = latency.lock().expect("latency").clone();
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;

    // SIGKILL, restart on the same store, and check.
    drop(server);
    let (_server, base) = start(dir.path(), &layout);
    let mut stored = Vec::new();
    let mut after: Option<u64> = None;
    loop {
        let path = match after {
            Some(a) => format!("/api/v1/orders?limit=1000&after={a}"),
            None => "/api/v1/orders?limit=1000".into(),
        };
        let page = get(&base, &path).expect("orders page");
        stored.extend(page["orders"].as_array().expect("orders").iter().filter_map(|o| o["id"].as_u64()));
        match page["next"].as_u64() {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let mut answered: Vec<u64> =
        sent.iter().filter_map(|s| if s.status == 201 { s.id } else { None }).collect();
    answered.sort_unstable();
    let missing = answered.iter().filter(|id| stored.binary_search(id).is_err()).count();
    let mut unique = stored.clone();
    unique.dedup();
    let agent = agent();
    let retried_wrong = sent
        .iter()
        .filter(|s| s.status == 201)
        .filter(|s| {
            let (status, id, replayed) = submit(&agent, &base, &s.key, &s.body);
            !(status == 201 && id == s.id && replayed)
        })
        .count();
    println!(
        "{}",
        json!({
            "bench": "http_load",
            "target_rate": o.rate,
            "seconds": o.seconds,
            "clients": o.clients,
            "submitted": sent.len(),
            "answered_201": created,
            "other_answers": sent.len() - created,
            "achieved_rate": (sent.len() as f64 / wall * 10.0).round() / 10.0,
            "latency_ms": {"p50": ms(0.5), "p90": ms(0.9), "p99": ms(0.99), "max": h.max() as f64 / 1000.0},
            "after_sigkill": {
                "stored": stored.len(),
                "missing_201": missing,
                "duplicates": stored.len() - unique.len(),
                "extra_orders": stored.len().saturating_sub(answered.len()),
                "retries_not_replayed": retried_wrong,
            },
        })
    );
}
