//! What a run measured, the expectations checked against it, the trace
//! format, and the independent safety check over the trace.

use std::collections::BTreeMap;

use orchestrator::fleet::{Event, EventKind, Orchestrator};
use orchestrator::orders::OrderStatus;

use crate::Ms;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::scenario::{Expectations, Scenario};

/// One vehicle's position in a trace line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TracePoint {
    /// Serial number.
    pub id: std::sync::Arc<str>,
    /// x, m.
    pub x: f64,
    /// y, m.
    pub y: f64,
    /// Heading, rad.
    pub theta: f64,
}

/// Every vehicle's position at one time (a line of `--trace`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Frame {
    /// Simulated time, ms.
    pub t: Ms,
    /// Positions.
    pub vehicles: Vec<TracePoint>,
}

/// Pairs of vehicles whose footprints (discs of `radius`) overlap in a
/// frame. Independent of the orchestrator: positions only.
pub fn overlaps(frame: &Frame, radius: f64) -> Vec<(String, String)> {
    let mut pts: Vec<&TracePoint> = frame.vehicles.iter().collect();
    pts.sort_by(|a, b| a.x.total_cmp(&b.x).then_with(|| a.id.cmp(&b.id)));
    let reach = 2.0 * radius;
    let mut out = Vec::new();
    for (i, a) in pts.iter().enumerate() {
        for b in &pts[i + 1..] {
            if b.x - a.x >= reach {
                break;
            }
            if (a.x - b.x).hypot(a.y - b.y) < reach - 1e-9 {
                out.push((a.id.to_string(), b.id.to_string()));
            }
        }
    }
    out
}

/// Latency percentiles, s.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

/// One vehicle's figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VehicleFigures {
    /// Serial number.
    pub id: String,
    /// Distance driven, m.
    pub distance_m: f64,
    /// Share of time with a job.
    pub utilisation: f64,
    /// Share of time idle.
    pub idle: f64,
}

/// One expectation's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// Which.
    pub name: String,
    /// The limit.
    pub limit: f64,
    /// What the run showed.
    pub value: f64,
    /// Met.
    pub pass: bool,
}

/// Series over time for the plots.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Series {
    /// Sample times, s.
    pub t_s: Vec<f64>,
    /// Orders waiting for a vehicle.
    pub queue: Vec<u64>,
    /// Orders delivered so far.
    pub delivered: Vec<u64>,
}

/// What a run measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Metrics {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Simulated time, s.
    pub duration_s: f64,
    /// Vehicles.
    pub vehicles: usize,
    /// Orders accepted.
    pub submitted: u64,
    /// Orders refused by the orchestrator.
    pub refused: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed (with a reason).
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
    /// Still in progress at the end.
    pub in_progress: u64,
    /// Accepted, not ended by the events, and not in progress in the
    /// orchestrator at the end (must be 0). Counted from the events, not
    /// from the orchestrator's order book.
    pub lost: u64,
    /// In progress at the end but without a status change for
    /// `stuck_after_s`.
    pub stuck: u64,
    /// From the last arrival until every order had ended, s (`None`: some
    /// never ended).
    pub drain_s: Option<f64>,
    /// Deliveries per hour.
    pub throughput_per_hour: f64,
    /// Order latency, accepted → delivered.
    pub latency_s: Latency,
    /// Footprint overlaps seen in the trace (must be 0).
    pub collisions: u64,
    /// Deadlocks found and broken.
    pub deadlocks: u64,
    /// The longest deadlock, s.
    pub max_deadlock_s: f64,
    /// Order updates sent (base extensions and replans).
    pub updates: u64,
    /// Vehicles fenced.
    pub fenced: u64,
    /// Messages sent over the simulated network.
    pub messages_sent: u64,
    /// Of which lost.
    pub messages_lost: u64,
    /// By vehicle.
    pub per_vehicle: Vec<VehicleFigures>,
    /// Expectations.
    pub expectations: Vec<Verdict>,
    /// SHA-256 of the event log.
    pub events_sha256: String,
    /// Fault injections and refusals, with times (s).
    pub notes: Vec<(f64, String)>,
    /// For the plots.
    pub series: Series,
    /// Every vehicle's status at the end (job, wait reason).
    pub final_status: Vec<orchestrator::fleet::VehicleStatus>,
    #[serde(skip)]
    latencies: Vec<f64>,
    #[serde(skip)]
    busy: Vec<u64>,
    #[serde(skip)]
    samples: u64,
    #[serde(skip)]
    deadlock_runs: BTreeMap<Vec<String>, (Ms, u32)>,
    #[serde(skip)]
    deadlock_after_s: f64,
    #[serde(skip)]
    stuck_after_s: f64,
    /// Every accepted order's latest status and since when, from the events.
    #[serde(skip)]
    orders: BTreeMap<u64, (OrderStatus, Ms)>,
    /// When the last order arrived, and when the last order ended.
    #[serde(skip)]
    last_arrival: Option<Ms>,
    #[serde(skip)]
    last_end: Option<Ms>,
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted.get(i).copied()
}

impl Metrics {
    /// Empty figures for a scenario and its vehicles.
    pub fn new(scenario: &Scenario, names: &[String]) -> Metrics {
        Metrics {
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            vehicles: names.len(),
            per_vehicle: names
                .iter()
                .map(|n| VehicleFigures { id: n.clone(), ..VehicleFigures::default() })
                .collect(),
            busy: vec![0; names.len()],
            deadlock_after_s: orchestrator::fleet::FleetConfig::default().deadlock_after_ms as f64 / 1000.0,
            stuck_after_s: scenario.expect.stuck_after_s.unwrap_or(600.0),
            ..Metrics::default()
        }
    }

    /// Records a note (fault, refusal).
    pub fn note(&mut self, now: Ms, text: String) {
        self.notes.push((now as f64 / 1000.0, text));
    }

    /// Takes in one event of the core.
    pub fn on_event(&mut self, e: &Event, accepted_at: &BTreeMap<u64, Ms>) {
        let at: Ms = e.at.as_ms();
        match &e.kind {
            EventKind::OrderAccepted { order } => {
                self.orders.insert(*order, (OrderStatus::Queued, at));
                self.last_arrival = Some(self.last_arrival.map_or(at, |t| t.max(at)));
            }
            EventKind::OrderStatus { order, status } => {
                self.orders.insert(*order, (status.clone(), at));
                if status.is_terminal() {
                    self.last_end = Some(self.last_end.map_or(at, |t| t.max(at)));
                }
            }
            _ => {}
        }
        match &e.kind {
            EventKind::OrderStatus { order, status: OrderStatus::Delivered } => {
                self.delivered += 1;
                if let Some(t0) = accepted_at.get(order) {
                    self.latencies.push(at.saturating_sub(*t0) as f64 / 1000.0);
                }
            }
            EventKind::VehicleFenced { .. } => self.fenced += 1,
            EventKind::Deadlock { vehicles } => {
                self.deadlocks += 1;
                let run = self.deadlock_runs.entry(vehicles.clone()).or_insert((at, 0));
                // Back-to-back breaks of the same cycle are one long deadlock.
                let gap = at.saturating_sub(run.0) as f64 / 1000.0;
                run.1 = if gap <= self.deadlock_after_s * 1.5 && run.1 > 0 { run.1 + 1 } else { 1 };
                run.0 = at;
                self.max_deadlock_s = self.max_deadlock_s.max(f64::from(run.1) * self.deadlock_after_s);
            }
            _ => {}
        }
    }

    /// Samples the fleet (utilisation, queue).
    pub fn sample(&mut self, now: Ms, core: &Orchestrator) {
        let queued = || self.orders.values().filter(|(s, _)| *s == OrderStatus::Queued).count() as u64;
        let queued = queued();
        self.sample_fleet(now, &core.busy(), || queued);
    }

    /// Samples the fleet from what it is doing (`busy`, in fleet order) and
    /// the number of orders waiting for a vehicle (asked for every 10 s).
    pub fn sample_fleet(&mut self, now: Ms, busy: &[bool], queued: impl FnOnce() -> u64) {
        self.samples += 1;
        for (i, busy) in busy.iter().enumerate() {
            if *busy && let Some(b) = self.busy.get_mut(i) {
                *b += 1;
            }
        }
        if now.is_multiple_of(10_000) {
            self.series.t_s.push(now as f64 / 1000.0);
            self.series.queue.push(queued());
            self.series.delivered.push(self.delivered);
        }
    }

    /// Final figures.
    pub fn finish(
        &mut self,
        duration: Ms,
        core: &Orchestrator,
        distances: &[f64],
        accepted_at: &BTreeMap<u64, Ms>,
    ) {
        let known: BTreeMap<u64, OrderStatus> = core.orders().map(|o| (o.id, o.status().clone())).collect();
        self.finish_with(duration, core.vehicles(), &known, distances, accepted_at);
    }

    /// Final figures from the fleet's final status and the statuses of the
    /// orders the orchestrator still has (`known`: its live orders at
    /// least). Every accepted order must have ended by the events, or be in
    /// progress there; one that is neither is lost.
    pub fn finish_with(
        &mut self,
        duration: Ms,
        final_status: Vec<orchestrator::fleet::VehicleStatus>,
        known: &BTreeMap<u64, OrderStatus>,
        distances: &[f64],
        accepted_at: &BTreeMap<u64, Ms>,
    ) {
        self.duration_s = duration as f64 / 1000.0;
        self.final_status = final_status;
        let end = duration;
        for id in accepted_at.keys() {
            match self.orders.get(id) {
                Some((OrderStatus::Failed { .. }, _)) => self.failed += 1,
                Some((OrderStatus::Cancelled, _)) => self.cancelled += 1,
                Some((OrderStatus::Delivered, _)) => {}
                Some((_, since)) if known.get(id).is_some_and(|s| !s.is_terminal()) => {
                    self.in_progress += 1;
                    if end.saturating_sub(*since) as f64 / 1000.0 > self.stuck_after_s {
                        self.stuck += 1;
                    }
                }
                // Accepted, not ended, and the orchestrator does not have it in progress.
                _ => self.lost += 1,
            }
        }
        let all_ended = self.in_progress == 0 && self.lost == 0;
        self.drain_s = match (all_ended, self.last_arrival) {
            (true, Some(arrival)) => {
                Some(self.last_end.unwrap_or(arrival).saturating_sub(arrival) as f64 / 1000.0)
            }
            (true, None) => Some(0.0),
            (false, _) => None,
        };
        self.throughput_per_hour = self.delivered as f64 * 3600.0 / self.duration_s.max(1e-9);
        self.latencies.sort_by(f64::total_cmp);
        self.latency_s = Latency {
            p50: percentile(&self.latencies, 0.5),
            p95: percentile(&self.latencies, 0.95),
            p99: percentile(&self.latencies, 0.99),
        };
        for (i, v) in self.per_vehicle.iter_mut().enumerate() {
            v.distance_m = (distances.get(i).copied().unwrap_or(0.0) * 100.0).round() / 100.0;
            v.utilisation = self.busy.get(i).copied().unwrap_or(0) as f64 / self.samples.max(1) as f64;
            v.idle = 1.0 - v.utilisation;
        }
    }

    /// Checks the expectations.
    pub fn evaluate(&mut self, expect: &Expectations) {
        let mut out = Vec::new();
        let mut at_least = |name: &str, limit: Option<f64>, value: f64| {
            if let Some(limit) = limit {
                out.push(Verdict { name: name.into(), limit, value, pass: value >= limit });
            }
        };
        at_least("min_delivered", expect.min_delivered.map(|v| v as f64), self.delivered as f64);
        at_least("min_throughput_per_hour", expect.min_throughput_per_hour, self.throughput_per_hour);
        let mut at_most = |name: &str, limit: Option<f64>, value: f64| {
            if let Some(limit) = limit {
                out.push(Verdict { name: name.into(), limit, value, pass: value <= limit });
            }
        };
        at_most("max_p95_latency_s", expect.max_p95_latency_s, self.latency_s.p95.unwrap_or(f64::INFINITY));
        at_most("max_collisions", expect.max_collisions.map(|v| v as f64), self.collisions as f64);
        at_most("max_lost_orders", expect.max_lost_orders.map(|v| v as f64), self.lost as f64);
        at_most("max_deadlock_s", expect.max_deadlock_s, self.max_deadlock_s);
        at_most("max_stuck_orders", expect.max_stuck_orders.map(|v| v as f64), self.stuck as f64);
        at_most("drain_s", expect.drain_s, self.drain_s.unwrap_or(f64::INFINITY));
        self.expectations = out;
    }

    /// Whether every expectation holds.
    pub fn passed(&self) -> bool {
        self.expectations.iter().all(|v| v.pass)
    }

    /// Seals the event log's hash into the figures.
    pub fn seal(&mut self, events: &[String]) {
        self.events_sha256 = sha256_hex(events.join("\n").as_bytes());
    }
}

/// SHA-256 in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(points: &[(&str, f64, f64)]) -> Frame {
        Frame {
            t: 0,
            vehicles: points
                .iter()
                .map(|(id, x, y)| TracePoint { id: std::sync::Arc::from(*id), x: *x, y: *y, theta: 0.0 })
                .collect(),
        }
    }

    #[test]
    fn overlaps_are_found_like_brute_force() {
        let mut s = 7u64;
        for _ in 0..50 {
            let pts: Vec<(String, f64, f64)> = (0..30)
                .map(|i| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let x = (s >> 33) as f64 / (1u64 << 31) as f64 * 20.0;
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let y = (s >> 33) as f64 / (1u64 << 31) as f64 * 20.0;
                    (format!("v{i:02}"), x, y)
                })
                .collect();
            let f = frame(&pts.iter().map(|(a, x, y)| (a.as_str(), *x, *y)).collect::<Vec<_>>());
            let mut brute = Vec::new();
            for (i, a) in pts.iter().enumerate() {
                for b in &pts[i + 1..] {
                    if (a.1 - b.1).hypot(a.2 - b.2) < 1.6 - 1e-9 {
                        let (p, q) = if a.1 <= b.1 { (a, b) } else { (b, a) };
                        brute.push((p.0.clone(), q.0.clone()));
                    }
                }
            }
            let mut got = overlaps(&f, 0.8);
            got.sort();
            brute.sort();
            assert_eq!(got, brute);
        }
        assert!(overlaps(&frame(&[("a", 0.0, 0.0), ("b", 1.7, 0.0)]), 0.8).is_empty());
    }
}
