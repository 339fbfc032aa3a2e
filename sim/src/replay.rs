//! `replay.html`: the operator's dashboard playing a recorded run, one
//! self-contained file (no network): the layout, every vehicle moving
//! along a timeline, the orders table and an order's history rebuilt
//! from the events, the flow plots, the same panels as the live page.

use layout::Layout;
use serde::Serialize;
use yardmaster::http::views::LayoutView;

use crate::report::{Frame, Metrics};

/// The recording the page plays (`dashboard/replay.js` reads it).
#[derive(Serialize)]
struct Recording<'a> {
    title: &'a str,
    /// Time between two frames, ms.
    step: u64,
    layout: LayoutView,
    frames: Vec<RecordedFrame<'a>>,
    events: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct RecordedFrame<'a> {
    at: u64,
    stats: Stats,
    /// `[serial, x, y, theta]`, in metres and radians, rounded to centimetres.
    vehicles: Vec<(&'a str, f64, f64, f64)>,
}

#[derive(Serialize)]
struct Stats {
    queued: u64,
    delivered: u64,
}

/// Frames kept: at most one per this many ms of simulated time.
const STEP_MS: u64 = 1000;

/// The page for a run: the layout, the frames (one per second at most),
/// the figures and the events (JSON lines; lines that do not parse are left out).
pub fn html(layout: &Layout, frames: &[Frame], metrics: &Metrics, events: &[String]) -> String {
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let series = &metrics.series;
    let mut kept = Vec::new();
    let mut last: Option<u64> = None;
    for f in frames {
        if last.is_some_and(|t| f.t < t + STEP_MS) {
            continue;
        }
        last = Some(f.t);
        // The figures of the last sample at or before the frame.
        let k = series.t_s.partition_point(|s| *s * 1000.0 <= f.t as f64);
        let pick = |v: &[u64]| if k == 0 { 0 } else { v.get(k - 1).copied().unwrap_or(0) };
        kept.push(RecordedFrame {
            at: f.t,
            stats: Stats { queued: pick(&series.queue), delivered: pick(&series.delivered) },
            vehicles: f.vehicles.iter().map(|v| (&*v.id, round(v.x), round(v.y), round(v.theta))).collect(),
        });
    }
    let title = format!(
        "{} — {} delivered in {:.0} s ({:.1}/h), p95 latency {}, collisions {}, deadlocks {}",
        metrics.scenario,
        metrics.delivered,
        metrics.duration_s,
        metrics.throughput_per_hour,
        metrics.latency_s.p95.map_or("-".into(), |v| format!("{v:.0} s")),
        metrics.collisions,
        metrics.deadlocks
    );
    let recording = Recording {
        title: &title,
        step: STEP_MS,
        layout: LayoutView::of(layout),
        frames: kept,
        events: events.iter().filter_map(|e| serde_json::from_str(e).ok()).collect(),
    };
    yardmaster::http::dashboard::standalone(
        &serde_json::to_string(&recording).unwrap_or_else(|_| "{}".into()),
    )
}
