//! The bus benchmarks' harness, whatever the transport: N vehicles in a
//! few publishing threads (each vehicle its own agent link) send states
//! at a paced rate to one orchestrator link, which decodes every one; it
//! prints messages per second and end-to-end latency percentiles
//! (publish → decoded at the orchestrator).

#![expect(clippy::disallowed_methods, reason = "a benchmark measures wall-clock time")]
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use protocol::messages::State;
use protocol::transport::{AgentLink, FromVehicle, OrchestratorEvent, VehicleId};

use super::sample_state;

/// A command-line number, or `default`.
pub fn arg(name: &str, default: f64) -> f64 {
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

/// One run's setting.
pub struct Bus {
    /// What is measured, for the first line.
    pub name: &'static str,
    /// Vehicles.
    pub vehicles: usize,
    /// States per second offered, in all.
    pub rate: f64,
    /// Seconds measured.
    pub seconds: f64,
    /// Publishing threads.
    pub threads: usize,
}

/// Runs it: `open` makes the agent links of one thread's vehicles (in that
/// thread), `poll` polls the orchestrator's link, `online` says whether an
/// event tells that a vehicle came online.
pub fn run(
    bus: &Bus,
    open: impl Fn(Vec<VehicleId>) -> Vec<Box<dyn AgentLink>> + Send + Sync + 'static,
    mut poll: impl FnMut(Duration) -> Vec<OrchestratorEvent>,
    online: impl Fn(&OrchestratorEvent) -> bool,
) {
    let n_vehicles = bus.vehicles;
    let base = Instant::now();
    // Send time (ns since `base`) of the latest message of each vehicle;
    // the header id says which message it was.
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..n_vehicles).map(|_| AtomicU64::new(0)).collect());
    let sent_id: Arc<Vec<AtomicU64>> = Arc::new((0..n_vehicles).map(|_| AtomicU64::new(u64::MAX)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let total_sent = Arc::new(AtomicU64::new(0));
    let open = Arc::new(open);
    let mut threads = Vec::new();
    for s in 0..bus.threads {
        let (sent_at, sent_id, stop, total_sent, open) =
            (sent_at.clone(), sent_id.clone(), stop.clone(), total_sent.clone(), open.clone());
        let mine: Vec<usize> = (0..n_vehicles).filter(|i| i % bus.threads == s).collect();
        let per_thread_rate = bus.rate / bus.threads as f64;
        threads.push(std::thread::spawn(move || {
            let ids: Vec<VehicleId> =
                mine.iter().map(|i| VehicleId::new("bench", format!("V{i:04}"))).collect();
            let mut links: Vec<(usize, Box<dyn AgentLink>, State)> = mine
                .iter()
                .zip(open(ids.clone()))
                .zip(&ids)
                .map(|((&i, link), v)| (i, link, sample_state(v, 0)))
                .collect();
            std::thread::sleep(Duration::from_secs(2)); // let routes and subscriptions settle
            let started = Instant::now();
            let (mut n, mut header_id) = (0u64, 0u32);
            while !stop.load(Ordering::Relaxed) {
                header_id += 1;
                for (i, link, state) in links.iter_mut() {
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

    // Wait for the fleet to be online, warm up, then measure.
    let mut up = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    while up < n_vehicles && Instant::now() < deadline {
        up += poll(Duration::from_millis(100)).iter().filter(|e| online(e)).count();
    }
    let warm_until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < warm_until {
        poll(Duration::from_millis(20));
    }
    let t0 = Instant::now();
    let sent0 = total_sent.load(Ordering::Relaxed);
    let (mut received, mut rejected) = (0u64, 0u64);
    let mut latencies: Vec<u64> = Vec::new();
    while t0.elapsed() < Duration::from_secs_f64(bus.seconds) {
        for event in poll(Duration::from_millis(10)) {
            match event {
                OrchestratorEvent::Message { vehicle, message: FromVehicle::State(s) } => {
                    received += 1;
                    let arrived = base.elapsed().as_nanos() as u64;
                    if let Ok(i) = vehicle.serial_number[1..].parse::<usize>()
                        && sent_id[i].load(Ordering::Relaxed) == u64::from(s.header.header_id)
                    {
                        // Only the latest message per vehicle has its send time on record.
                        latencies.push(arrived.saturating_sub(sent_at[i].load(Ordering::Relaxed)));
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
        "{}: {n_vehicles} vehicles online {up}, {} publishing threads, state {bytes} bytes, offered {:.0}/s",
        bus.name, bus.threads, bus.rate
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
