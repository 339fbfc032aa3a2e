//! What a run measured, the expectations checked against it, the trace
//! format, and the independent safety check over the trace.

use std::collections::BTreeMap;

use orchestrator::fleet::{Event, EventKind, Orchestrator};
use orchestrator::orders::OrderStatus;

use crate::Ms;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::scenario::{Expectations, Scenario};

/// A box of a body in a trace line: centre, heading, size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TraceBox {
    /// Centre x, m.
    pub x: f64,
    /// Centre y, m.
    pub y: f64,
    /// Heading, rad.
    pub theta: f64,
    /// Length along the heading, m.
    pub length: f64,
    /// Width across it, m.
    pub width: f64,
}

/// One vehicle's position in a trace line, and its body: a `length` ×
/// `width` box centred on (`x`, `y`) along `theta`, and for a tugger
/// train each trailer's box (`boxes`).
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
    /// Body length, m.
    pub length: f64,
    /// Body width, m.
    pub width: f64,
    /// Trailers, first one first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub boxes: Vec<TraceBox>,
}

impl TracePoint {
    /// Every box of the vehicle: its body, then its trailers.
    pub fn all_boxes(&self) -> impl Iterator<Item = TraceBox> + '_ {
        let body =
            TraceBox { x: self.x, y: self.y, theta: self.theta, length: self.length, width: self.width };
        std::iter::once(body).chain(self.boxes.iter().copied())
    }
}

/// Every vehicle's position at one time (a line of `--trace`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Frame {
    /// Simulated time, ms.
    pub t: Ms,
    /// Positions.
    pub vehicles: Vec<TracePoint>,
}

impl TraceBox {
    fn corners(&self) -> [(f64, f64); 4] {
        let (c, s) = (self.theta.cos(), self.theta.sin());
        let (l, w) = (self.length / 2.0, self.width / 2.0);
        [(l, w), (-l, w), (-l, -w), (l, -w)].map(|(a, b)| (self.x + a * c - b * s, self.y + a * s + b * c))
    }

    /// Radius of the circle around the centre that holds the box.
    fn reach(&self) -> f64 {
        0.5 * self.length.hypot(self.width)
    }

    /// Whether two boxes overlap (touching is not overlapping): the
    /// separating axis test on the four edge normals.
    pub fn overlaps(&self, other: &TraceBox) -> bool {
        let (a, b) = (self.corners(), other.corners());
        let axes = [
            self.theta,
            self.theta + std::f64::consts::FRAC_PI_2,
            other.theta,
            other.theta + std::f64::consts::FRAC_PI_2,
        ];
        axes.iter().all(|t| {
            let (ux, uy) = (t.cos(), t.sin());
            let project = |ps: &[(f64, f64); 4]| {
                ps.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                    let d = p.0 * ux + p.1 * uy;
                    (lo.min(d), hi.max(d))
                })
            };
            let ((a0, a1), (b0, b1)) = (project(&a), project(&b));
            a0 < b1 - 1e-9 && b0 < a1 - 1e-9
        })
    }
}

/// Pairs of vehicles whose bodies (every vehicle's own oriented boxes,
/// trailers included) overlap in a frame, each pair once. Independent of
/// the orchestrator: positions and bodies only.
pub fn overlaps(frame: &Frame) -> Vec<(String, String)> {
    let mut boxes: Vec<(usize, TraceBox)> =
        frame.vehicles.iter().enumerate().flat_map(|(i, v)| v.all_boxes().map(move |b| (i, b))).collect();
    boxes.sort_by(|a, b| a.1.x.total_cmp(&b.1.x).then(a.0.cmp(&b.0)));
    let widest = boxes.iter().map(|b| b.1.reach()).fold(0.0, f64::max);
    let mut pairs = std::collections::BTreeSet::new();
    for (k, (i, a)) in boxes.iter().enumerate() {
        for (j, b) in &boxes[k + 1..] {
            if b.x - a.x >= a.reach() + widest {
                break;
            }
            if i != j && (a.x - b.x).hypot(a.y - b.y) < a.reach() + b.reach() && a.overlaps(b) {
                let (p, q) = (&frame.vehicles[*i].id, &frame.vehicles[*j].id);
                pairs.insert(if p <= q {
                    (p.to_string(), q.to_string())
                } else {
                    (q.to_string(), p.to_string())
                });
            }
        }
    }
    pairs.into_iter().collect()
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
    /// Time spent moving (changing position), s.
    pub moving_s: f64,
    /// Share of time with a job.
    pub utilisation: f64,
    /// Share of time idle.
    pub idle: f64,
}

/// How far a vehicle drove, and for how long it was moving.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Travel {
    /// Distance, m.
    pub distance_m: f64,
    /// Time with a change of position, ms.
    pub moving_ms: u64,
}

impl Travel {
    /// Takes in one step of `dt_ms` over which the vehicle moved `step_m`.
    pub fn add(&mut self, step_m: f64, dt_ms: u64) {
        if step_m > 1e-6 {
            self.distance_m += step_m;
            self.moving_ms += dt_ms;
        }
    }
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
    /// Average speed while moving over the fleet (distance over time with
    /// a change of position), m/s; `None` if nobody moved.
    pub moving_speed_mps: Option<f64>,
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
        travel: &[Travel],
        accepted_at: &BTreeMap<u64, Ms>,
    ) {
        let known: BTreeMap<u64, OrderStatus> = core.orders().map(|o| (o.id, o.status().clone())).collect();
        self.finish_with(duration, core.vehicles(), &known, travel, accepted_at);
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
        travel: &[Travel],
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
        let (metres, moving_ms) =
            travel.iter().fold((0.0, 0u64), |(d, t), v| (d + v.distance_m, t + v.moving_ms));
        self.moving_speed_mps =
            (moving_ms > 0).then(|| (metres * 1000.0 / moving_ms as f64 * 1000.0).round() / 1000.0);
        for (i, v) in self.per_vehicle.iter_mut().enumerate() {
            let t = travel.get(i).copied().unwrap_or_default();
            v.distance_m = (t.distance_m * 100.0).round() / 100.0;
            v.moving_s = t.moving_ms as f64 / 1000.0;
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

    fn point(id: &str, x: f64, y: f64, theta: f64) -> TracePoint {
        TracePoint { id: std::sync::Arc::from(id), x, y, theta, length: 1.2, width: 0.8, boxes: vec![] }
    }

    fn frame(points: Vec<TracePoint>) -> Frame {
        Frame { t: 0, vehicles: points }
    }

    #[test]
    fn oriented_boxes_overlap_only_where_they_do() {
        let pair = |b: TracePoint| overlaps(&frame(vec![point("a", 0.0, 0.0, 0.0), b]));
        // Side by side, 0.85 m apart (0.8 m wide): clear; 0.75 m: hit.
        assert!(pair(point("b", 0.0, 0.85, 0.0)).is_empty());
        assert_eq!(pair(point("b", 0.0, 0.75, 0.0)).len(), 1);
        // Nose to tail 1.25 m apart (1.2 m long): clear.
        assert!(pair(point("b", 1.25, 0.0, 0.0)).is_empty());
        // Crossing at 90°, centres 0.95 m apart along x: the second's
        // half-width 0.4 + the first's half-length 0.6 = 1.0 > 0.95: hit.
        assert_eq!(pair(point("b", 0.95, 0.0, std::f64::consts::FRAC_PI_2)).len(), 1);
        assert!(pair(point("b", 1.05, 0.0, std::f64::consts::FRAC_PI_2)).is_empty());
        // Discs would overlap here (centres 1.3 m apart diagonally), bodies do not.
        assert!(pair(point("b", 0.9, 0.95, 0.0)).is_empty());
        // A trailer behind one vehicle hits another; its own trailer never counts.
        let mut train = point("t", 10.0, 0.0, 0.0);
        train.boxes = vec![TraceBox { x: 7.5, y: 0.0, theta: 0.0, length: 2.0, width: 1.0 }];
        assert!(overlaps(&frame(vec![train.clone()])).is_empty());
        assert_eq!(
            overlaps(&frame(vec![train, point("b", 6.2, 0.0, 0.0)])),
            vec![("b".to_string(), "t".to_string())]
        );
    }

    #[test]
    fn overlaps_are_found_like_brute_force() {
        let mut s = 7u64;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 33) as f64 / (1u64 << 31) as f64
        };
        for _ in 0..50 {
            let pts: Vec<TracePoint> = (0..30)
                .map(|i| point(&format!("v{i:02}"), next() * 15.0, next() * 15.0, next() * 6.3))
                .collect();
            let mut brute = Vec::new();
            for (i, a) in pts.iter().enumerate() {
                for b in &pts[i + 1..] {
                    if a.all_boxes().next().unwrap().overlaps(&b.all_boxes().next().unwrap()) {
                        brute.push((a.id.to_string(), b.id.to_string()));
                    }
                }
            }
            brute.sort();
            assert_eq!(overlaps(&frame(pts)), brute);
        }
    }
}
