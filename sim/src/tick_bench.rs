//! `yard-sim bench tick`: the orchestrator core's tick time with a whole
//! fleet of scripted vehicles (which follow their released base perfectly,
//! one grid cell per second) under a steady stream of transport orders
//! between random free cells (seeded).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use layout::movingai::{self, GridOptions};
use orchestrator::fleet::{EventKind, FleetConfig, Orchestrator, VehicleSpec};
use orchestrator::input::{Input, Reply};
use orchestrator::mapf::rng::Rng;
use orchestrator::orders::{Millis, OrderRequest, OrderStatus};
use orchestrator::scripted::ScriptedVehicle;
use protocol::transport::VehicleId;
use serde::Serialize;

use crate::bench_cmd::{file_name, peak_rss_mb};

/// Options of one run.
#[derive(Clone, Debug)]
pub struct TickRun {
    /// The `.map` file.
    pub map: PathBuf,
    /// Fleet size.
    pub vehicles: usize,
    /// Ticks (1 s of simulated time each).
    pub ticks: u64,
    /// Seed of the starts and the order stream.
    pub seed: u64,
    /// Show a progress bar.
    pub progress: bool,
    /// The core's configuration (footprint and parking are set for grids).
    pub config: FleetConfig,
}

/// One run's figures.
#[derive(Clone, Debug, Serialize)]
pub struct TickResult {
    /// Map file name.
    pub map: String,
    /// Fleet size.
    pub vehicles: usize,
    /// Ticks run.
    pub ticks: u64,
    /// Median tick time of the core, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest tick, ms.
    pub max_ms: f64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// Orders submitted.
    pub orders_submitted: u64,
    /// Orders delivered.
    pub orders_delivered: u64,
    /// Orders delivered in the last quarter of the run (gridlock shows as 0).
    pub delivered_last_quarter: u64,
    /// Wait-for cycles detected.
    pub deadlocks: u64,
    /// Vehicles held by wait-for cycles (the cycles' members and the
    /// chains of waits behind them), mean of samples every 10 ticks over
    /// the last quarter of the run: what jams, not what queues.
    pub jammed_last_quarter: f64,
    /// Peak resident memory, MB.
    pub peak_rss_mb: Option<f64>,
    /// At the end: how many vehicles wait, by reason, and how many move.
    pub end_state: std::collections::BTreeMap<String, usize>,
}

/// The `p` quantile of sorted figures (NaN if there are none).
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The core, a fleet of scripted vehicles on a grid map, and a closed-loop
/// order stream between random free cells (about one order per vehicle in
/// the system): what `bench tick` and `bench soak` drive.
pub(crate) struct ScriptedFleet {
    /// The core.
    pub core: Orchestrator,
    vehicles: Vec<ScriptedVehicle>,
    index: std::collections::BTreeMap<VehicleId, usize>,
    node_ids: Vec<String>,
    rng: Rng,
    inbound: Vec<Input>,
    live: usize,
}

/// What one tick of a [`ScriptedFleet`] did.
pub(crate) struct FleetTick {
    /// The core's step, ms of wall clock.
    pub step_ms: f64,
    /// Orders submitted, delivered, and deadlocks found in it.
    pub submitted: u64,
    pub delivered: u64,
    pub deadlocks: u64,
}

impl ScriptedFleet {
    /// `vehicles` scripted vehicles at seeded random cells of `map`.
    pub fn new(
        map: &std::path::Path,
        vehicles: usize,
        seed: u64,
        config: FleetConfig,
    ) -> anyhow::Result<ScriptedFleet> {
        let map = Arc::new(
            movingai::load_map(map, GridOptions::default())
                .with_context(|| format!("loading {}", map.display()))?
                .value,
        );
        let n_nodes = map.nodes.len();
        if vehicles == 0 || vehicles * 2 > n_nodes {
            bail!("{vehicles} vehicles do not fit on a map of {n_nodes} free cells (at most half)");
        }
        let mut rng = Rng::new(seed);
        let mut cells: Vec<usize> = (0..n_nodes).collect();
        rng.shuffle(&mut cells);
        let node_ids: Vec<String> = map.nodes.iter().map(|n| n.id.clone()).collect();
        let ids: Vec<VehicleId> =
            (0..vehicles).map(|i| VehicleId::new("bench", format!("agv{i:04}"))).collect();
        let specs = ids.iter().map(|id| VehicleSpec::new(id.clone(), movingai::GRID_VEHICLE_TYPE)).collect();
        let core = Orchestrator::new(map.clone(), specs, config)?;
        let scripted: Vec<ScriptedVehicle> = ids
            .iter()
            .zip(&cells)
            .map(|(id, &c)| ScriptedVehicle::new(id.clone(), &map, &node_ids[c], 1.0))
            .collect::<Result<_, _>>()?;
        let index = ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect();
        Ok(ScriptedFleet { core, vehicles: scripted, index, node_ids, rng, inbound: Vec::new(), live: 0 })
    }

    /// One tick at `now` (ms): new orders up to one per vehicle (at most a
    /// twentieth of the fleet per tick), the core's step (timed), the
    /// messages to the vehicles, their moves and states.
    #[expect(clippy::disallowed_methods, reason = "the benchmark measures wall-clock time")]
    pub fn tick(&mut self, now: u64) -> anyhow::Result<FleetTick> {
        let n_vehicles = self.vehicles.len();
        let n_nodes = self.node_ids.len();
        let mut submitted = 0;
        for _ in 0..(n_vehicles / 20).max(1).min(n_vehicles.saturating_sub(self.live)) {
            let a = self.rng.below(n_nodes);
            let mut b = self.rng.below(n_nodes);
            if a == b {
                b = (b + 1) % n_nodes;
            }
            let request = OrderRequest::new(self.node_ids[a].clone(), self.node_ids[b].clone());
            self.inbound.push(Input::Submit { request });
            submitted += 1;
            self.live += 1;
        }
        self.inbound.push(Input::Tick);
        let start = Instant::now();
        let out = self.core.step(Millis(now), std::mem::take(&mut self.inbound));
        let step_ms = start.elapsed().as_secs_f64() * 1000.0;
        if let Some(Reply::Refused(e)) = out.replies.iter().find(|r| matches!(r, Reply::Refused(_))) {
            bail!("an order was refused: {e}");
        }
        let (mut delivered, mut deadlocks) = (0, 0);
        for e in &out.events {
            match &e.kind {
                EventKind::OrderStatus { status, .. } if status.is_terminal() => {
                    self.live = self.live.saturating_sub(1);
                    if *status == OrderStatus::Delivered {
                        delivered += 1;
                    }
                }
                EventKind::Deadlock { .. } => deadlocks += 1,
                _ => {}
            }
        }
        for (id, message) in out.messages {
            if let Some(&i) = self.index.get(&id) {
                self.vehicles[i].receive(message);
            }
        }
        for v in &mut self.vehicles {
            self.inbound.extend(v.step(Millis(now + 1000)).into_iter().map(Input::Vehicle));
        }
        Ok(FleetTick { step_ms, submitted, delivered, deadlocks })
    }
}

/// Runs the core for `run.ticks` ticks and measures each `step`.
pub fn run_tick(run: &TickRun) -> anyhow::Result<TickResult> {
    let mut fleet = ScriptedFleet::new(&run.map, run.vehicles, run.seed, run.config.clone())?;
    let bar = if run.progress { ProgressBar::new(run.ticks) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} ticks {msg}")?);
    let mut times = Vec::with_capacity(run.ticks as usize);
    let (mut submitted, mut delivered, mut late, mut deadlocks) = (0u64, 0u64, 0u64, 0u64);
    let mut jammed = Vec::new();
    for tick in 0..run.ticks {
        let t = fleet.tick(tick * 1000)?;
        times.push(t.step_ms);
        submitted += t.submitted;
        delivered += t.delivered;
        deadlocks += t.deadlocks;
        if tick >= run.ticks * 3 / 4 {
            late += t.delivered;
            if tick % 10 == 0 {
                jammed.push(orchestrator::traffic::waits::held_by_cycles(&fleet.core.waits()) as f64);
            }
        }
        bar.inc(1);
        bar.set_message(format!("{delivered} delivered"));
    }
    let core = &fleet.core;
    bar.finish_and_clear();
    let mut end_state = std::collections::BTreeMap::new();
    let waits = core.waits();
    for i in 0..run.vehicles {
        let key = match waits.get(&orchestrator::traffic::reservations::VehicleIdx(i as u32)) {
            None => "moving",
            Some(w) => match w {
                orchestrator::traffic::waits::WaitReason::Reservation { .. } => "reservation",
                orchestrator::traffic::waits::WaitReason::Fault { .. } => "fault",
                orchestrator::traffic::waits::WaitReason::Action { .. } => "action",
                orchestrator::traffic::waits::WaitReason::NoOrder => "no-order",
                orchestrator::traffic::waits::WaitReason::Paused => "paused",
                orchestrator::traffic::waits::WaitReason::NoRoute { .. } => "no-route",
                orchestrator::traffic::waits::WaitReason::Acknowledgement => "acknowledgement",
                orchestrator::traffic::waits::WaitReason::Starting => "starting",
            },
        };
        *end_state.entry(key.to_string()).or_insert(0) += 1;
    }
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    times.sort_by(f64::total_cmp);
    Ok(TickResult {
        map: file_name(&run.map),
        vehicles: run.vehicles,
        ticks: run.ticks,
        p50_ms: percentile(&times, 0.5),
        p99_ms: percentile(&times, 0.99),
        max_ms: times.last().copied().unwrap_or(f64::NAN),
        mean_ms: mean,
        orders_submitted: submitted,
        orders_delivered: delivered,
        delivered_last_quarter: late,
        deadlocks,
        jammed_last_quarter: jammed.iter().sum::<f64>() / jammed.len().max(1) as f64,
        peak_rss_mb: peak_rss_mb(),
        end_state,
    })
}
