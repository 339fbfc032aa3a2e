//! Sustained state traffic through Zenoh on loopback: 1,000 simulated
//! vehicles (250 per publishing session, each with its own agent link,
//! token and publishers) send realistic `state` messages to one
//! orchestrator session, which decodes every one. Prints messages per
//! second and end-to-end latency percentiles (publish → decoded at the
//! orchestrator).
//!
//! `cargo bench -p protocol --bench bus [-- --vehicles N --rate MSGS_PER_S --seconds S]`
//! Target: ≥ 20,000 states/s with p99 < 20 ms on a 2-core machine.

#![expect(clippy::disallowed_methods, reason = "a benchmark measures wall-clock time")]
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

use common::sample_state;
use protocol::messages::State;
use protocol::transport::zenoh::{ZenohAgentLink, ZenohConfig, ZenohOrchestratorLink};
use protocol::transport::{AgentLink, FromVehicle, OrchestratorEvent, VehicleId};

const SESSIONS: usize = 4;

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1e6
}

fn main() {
    let n_vehicles = arg("--vehicles", 1000.0) as usize;
    let rate = arg("--rate", 25_000.0);
    let seconds = arg("--seconds", 6.0);
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("tcp/127.0.0.1:{port}");
    let mut master =
        ZenohOrchestratorLink::open(&ZenohConfig::listening(endpoint.clone())).expect("orchestrator session");

    let base = Instant::now();
    // Send time (ns since `base`) of the latest message of each vehicle,
    // indexed by vehicle; the header id says which message it was.
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..n_vehicles).map(|_| AtomicU64::new(0)).collect());
    let sent_id: Arc<Vec<AtomicU64>> = Arc::new((0..n_vehicles).map(|_| AtomicU64::new(u64::MAX)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let total_sent = Arc::new(AtomicU64::new(0));

    let mut threads = Vec::new();
    for s in 0..SESSIONS {
        let (endpoint, sent_at, sent_id, stop, total_sent) =
            (endpoint.clone(), sent_at.clone(), sent_id.clone(), stop.clone(), total_sent.clone());
        let range: Vec<usize> = (0..n_vehicles).filter(|i| i % SESSIONS == s).collect();
        threads.push(std::thread::spawn(move || {
            let session = ZenohConfig::connecting(endpoint).open().expect("vehicle session");
            let mut links: Vec<(usize, ZenohAgentLink, State)> = range
                .iter()
                .map(|&i| {
                    let v = VehicleId::new("bench", format!("V{i:04}"));
                    let state = sample_state(&v, 0);
                    (i, ZenohAgentLink::with_session(session.clone(), v).expect("agent link"), state)
                })
                .collect();
            std::thread::sleep(Duration::from_secs(2)); // let routes settle
            let per_thread_rate = rate / SESSIONS as f64;
            let started = Instant::now();
            let mut n: u64 = 0;
            let mut header_id = 0u32;
            while !stop.load(Ordering::Relaxed) {
                header_id += 1;
                for (i, link, state) in links.iter_mut() {
                    // Pace to the target rate.
                    let due = started + Duration::from_secs_f64(n as f64 / per_thread_rate);
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    state.header.header_id = header_id;
                    sent_id[*i].store(u64::from(header_id), Ordering::Relaxed);
                    sent_at[*i].store(base.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    link.send(&FromVehicle::State(Box::new(state.clone()))).expect("send");
                    n += 1;
                    total_sent.fetch_add(1, Ordering::Relaxed);
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
            }
            drop(links);
        }));
    }

    // Wait for the fleet to be online, then measure.
    let mut online = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while online < n_vehicles && Instant::now() < deadline {
        online += master
            .poll_timeout(Duration::from_millis(100))
            .iter()
            .filter(|e| matches!(e, OrchestratorEvent::Presence { .. }))
            .count();
    }
    // Warm up for a second, then count.
    let warm_until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < warm_until {
        master.poll_timeout(Duration::from_millis(20));
    }
    let t0 = Instant::now();
    let sent0 = total_sent.load(Ordering::Relaxed);
    let (mut received, mut rejected) = (0u64, 0u64);
    let mut latencies: Vec<u64> = Vec::new();
    while t0.elapsed() < Duration::from_secs_f64(seconds) {
        for event in master.poll_timeout(Duration::from_millis(10)) {
            match event {
                OrchestratorEvent::Message { vehicle, message: FromVehicle::State(s) } => {
                    received += 1;
                    let arrived = base.elapsed().as_nanos() as u64;
                    if let Ok(i) = vehicle.serial_number[1..].parse::<usize>() {
                        // Only the latest message per vehicle has its send time on record.
                        if sent_id[i].load(Ordering::Relaxed) == u64::from(s.header.header_id) {
                            latencies.push(arrived.saturating_sub(sent_at[i].load(Ordering::Relaxed)));
                        }
                    }
                }
                OrchestratorEvent::Rejected(_) => rejected += 1,
                _ => {}
            }
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let sent = total_sent.load(Ordering::Relaxed) - sent0;
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    latencies.sort_unstable();
    let bytes = protocol::codec::encode(&sample_state(&VehicleId::new("bench", "V0000"), 1))
        .map(|b| b.len())
        .unwrap_or(0);
    println!(
        "bus benchmark: {n_vehicles} vehicles online {online}, {SESSIONS} publishing sessions, state {bytes} bytes, offered {rate:.0}/s"
    );
    println!("  sent      {:>10.0} states/s", sent as f64 / elapsed);
    println!(
        "  received  {:>10.0} states/s (decoded at the orchestrator), rejected {rejected}",
        received as f64 / elapsed
    );
    println!(
        "  latency   p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples)",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        latencies.len()
    );
}
