//! `yard-sim bench lifelong`: the orchestrator core that `yardmaster
//! serve` runs (`fleet::Orchestrator` with the grid configuration, its
//! assignment and traffic control) on a League of Robot Runners problem.
//!
//! Each problem agent is a scripted vehicle that moves as MAPF_T says: a
//! forward move or a quarter turn takes `agentCounter` ticks, it starts
//! facing east, and it suffers the problem's random delays, which the core
//! does not know in advance ([`crate::lifelong_delays`]). Tasks are revealed
//! as the competition's rule says and each becomes a transport order: its
//! first errand the pickup, the last the drop, those between `via` stops
//! (a milk run). One tick is one second of the core's time; the core steps
//! every tick.
//!
//! Which errands an agent has done is counted by the competition's rule
//! (standing on its task's next errand at the end of a tick), from the
//! assignments the core makes; the run is then checked by
//! [`crate::lifelong_check`], which knows nothing of this module, and can
//! be written in the reference's output format ([`crate::lifelong_output`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use layout::movingai;
use orchestrator::fleet::{EventKind, FleetConfig, Orchestrator, VehicleSpec};
use orchestrator::input::{Input, Reply};
use orchestrator::orders::{Millis, OrderRequest, OrderStatus};
use orchestrator::scripted::{Activity, ScriptedVehicle};
use protocol::transport::VehicleId;
use serde::Serialize;

use crate::bench_cmd::{file_name, peak_rss_mb};
use crate::lifelong::Problem;
use crate::lifelong_delays::Delays;
use crate::lifelong_output::{Output, Record};
use crate::tick_bench::percentile;

/// Core time of one tick, ms.
pub const TICK_MS: u64 = 1_000;

/// Options of one run.
#[derive(Clone, Debug)]
pub struct LifelongRun {
    /// The problem JSON.
    pub problem: PathBuf,
    /// Execution ticks.
    pub ticks: u64,
    /// Seed of the delays (default: the problem's `delayConfig.seed`).
    pub seed: Option<u64>,
    /// Show a progress bar.
    pub progress: bool,
    /// The grid's one-way grain (`None`: the grid configuration's).
    pub grain: Option<f64>,
}

/// Planning time per tick, ms.
#[derive(Clone, Debug, Serialize)]
pub struct TickTimes {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// One run's figures: the line `bench lifelong` prints.
#[derive(Clone, Debug, Serialize)]
pub struct LifelongResult {
    /// Problem file name.
    pub problem: String,
    /// Team size.
    pub agents: usize,
    /// Ticks run.
    pub ticks: u64,
    /// Tasks finished (every errand visited in order).
    pub tasks_finished: u64,
    /// Orders the core reports delivered (a task whose last errand was
    /// passed on the way counts as finished before it is delivered).
    pub orders_delivered: u64,
    /// The core's step per tick, ms of wall clock.
    pub planning_ms: TickTimes,
    /// Wall time of the whole run, s.
    pub wall_s: f64,
    /// Peak resident memory, MB.
    pub peak_rss_mb: Option<f64>,
    /// Wait-for cycles the core broke.
    pub deadlocks: u64,
    /// Delays suffered (count, ticks in all).
    pub delays: (u64, u64),
    /// The independent validator's verdict.
    pub valid: bool,
    /// Its first errors, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// The bookkeeping of tasks by the competition's rule.
struct Tasks {
    /// Errands of every revealed task, by task id.
    errands: Vec<Vec<u32>>,
    /// Errands done, by task id.
    done: Vec<usize>,
    /// When each was revealed.
    revealed_at: Vec<u64>,
    /// The task each agent holds.
    held: Vec<Option<usize>>,
    finished: u64,
    /// Tasks revealed but not yet submitted to the core.
    to_submit: Vec<usize>,
}

impl Tasks {
    /// The core's events of a tick: assignments (and take-backs) change
    /// who holds which task; returns orders delivered and deadlocks broken.
    fn apply(
        &mut self,
        events: &[orchestrator::fleet::Event],
        order_task: &mut BTreeMap<u64, usize>,
        by_serial: &BTreeMap<String, usize>,
        record: &mut Record,
        tick: u64,
    ) -> (u64, u64) {
        let (mut delivered, mut deadlocks) = (0, 0);
        for e in events {
            match &e.kind {
                EventKind::OrderStatus { order, status } => {
                    let Some(&task) = order_task.get(order) else { continue };
                    match status {
                        OrderStatus::Assigned { vehicle } => {
                            if let Some(&agent) = by_serial.get(vehicle) {
                                self.held[agent] = Some(task);
                                record.assign(tick, agent, Some(task));
                            }
                        }
                        OrderStatus::Queued => {
                            if let Some(agent) = self.held.iter().position(|h| *h == Some(task)) {
                                self.held[agent] = None;
                                record.assign(tick, agent, None);
                            }
                        }
                        OrderStatus::Delivered => delivered += 1,
                        _ => {}
                    }
                    if status.is_terminal() {
                        order_task.remove(order);
                    }
                }
                EventKind::Deadlock { .. } => deadlocks += 1,
                _ => {}
            }
        }
        (delivered, deadlocks)
    }

    /// Errands, by the competition's rule: at the end of the tick, in
    /// agent order, an agent standing on its task's next errand has done
    /// it. Whether a task finished.
    fn tick_off(&mut self, locations: &[u32], record: &mut Record, tick: u64) -> bool {
        let mut finished = false;
        for (agent, &here) in locations.iter().enumerate() {
            let Some(task) = self.held[agent] else { continue };
            let errands = &self.errands[task];
            if errands.get(self.done[task]) != Some(&here) {
                continue;
            }
            self.done[task] += 1;
            record.event(tick + 1, agent, task, self.done[task]);
            if self.done[task] == errands.len() {
                self.held[agent] = None;
                self.finished += 1;
                finished = true;
            }
        }
        finished
    }

    fn reveal(&mut self, problem: &Problem, pool: usize, at: u64) {
        while self.errands.len() < pool + self.finished as usize && !problem.tasks.is_empty() {
            let id = self.errands.len();
            self.errands.push(problem.tasks[id % problem.tasks.len()].clone());
            self.done.push(0);
            self.revealed_at.push(at);
            self.to_submit.push(id);
        }
    }
}

/// Runs the problem.
#[expect(clippy::disallowed_methods, reason = "the benchmark measures wall-clock time")]
pub fn run_lifelong(run: &LifelongRun) -> anyhow::Result<(LifelongResult, Output)> {
    let started = Instant::now();
    let problem = crate::lifelong::load(&run.problem)?;
    let n = problem.agents.len();
    let (mut core, mut vehicles, by_serial) = fleet_for(&problem, run.grain)?;
    let node_loc = problem.node_locations();
    let mut delays = Delays::new(&problem.delays, run.seed, n)?;
    let pool = problem.pool_size();
    let mut tasks = Tasks {
        errands: Vec::new(),
        done: Vec::new(),
        revealed_at: Vec::new(),
        held: vec![None; n],
        finished: 0,
        to_submit: Vec::new(),
    };
    tasks.reveal(&problem, pool, 0);
    let mut record = Record::new(&problem, run.ticks);
    let mut order_task: BTreeMap<u64, usize> = BTreeMap::new();
    let mut inbound: Vec<Input> = Vec::new();
    let mut times = Vec::with_capacity(run.ticks as usize);
    let (mut delivered, mut deadlocks) = (0u64, 0u64);
    let bar = if run.progress { ProgressBar::new(run.ticks) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} ticks {msg}")?);
    for tick in 0..run.ticks {
        let now = tick * TICK_MS;
        // Newly revealed tasks become orders.
        let submitted: Vec<usize> = std::mem::take(&mut tasks.to_submit);
        for &task in &submitted {
            inbound.push(Input::Submit { request: order_of(&problem, &tasks.errands[task])? });
        }
        inbound.push(Input::Tick);
        let t0 = Instant::now();
        let out = core.step(Millis(now), std::mem::take(&mut inbound));
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        let mut next_submitted = submitted.iter();
        for reply in &out.replies {
            match reply {
                Reply::Submitted { order } => {
                    let task = next_submitted.next().context("more orders accepted than submitted")?;
                    order_task.insert(*order, *task);
                }
                Reply::Refused(e) => bail!("the core refused a task's order: {e}"),
                Reply::Done => {}
            }
        }
        let (d, k) = tasks.apply(&out.events, &mut order_task, &by_serial, &mut record, tick);
        delivered += d;
        deadlocks += k;
        for (id, message) in out.messages {
            if let Some(&i) = by_serial.get(&id.serial_number) {
                vehicles[i].receive(message);
            }
        }
        for (agent, ticks) in delays.draw(tick) {
            vehicles[agent].hold(Millis(now), Millis(now + ticks * TICK_MS));
            record.delay(agent, tick, tick + ticks);
        }
        for (agent, v) in vehicles.iter_mut().enumerate() {
            inbound.extend(v.step(Millis(now + TICK_MS)).into_iter().map(Input::Vehicle));
            let letter = match v.activity() {
                Activity::Forward => b'F',
                Activity::TurnClockwise => b'R',
                Activity::TurnCounterClockwise => b'C',
                Activity::Idle | Activity::Held => b'W',
            };
            record.act(agent, letter, node_loc[v.node().index()], orientation(v.heading()));
        }
        let locations: Vec<u32> = vehicles.iter().map(|v| node_loc[v.node().index()]).collect();
        if tasks.tick_off(&locations, &mut record, tick) {
            tasks.reveal(&problem, pool, tick + 1);
        }
        bar.inc(1);
        bar.set_message(format!("{} tasks finished", tasks.finished));
    }
    bar.finish_and_clear();
    record.finish(&tasks.errands, &tasks.revealed_at, tasks.finished);
    let output = record.to_output();
    let verdict = crate::lifelong_check::check(&problem, &output);
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    times.sort_by(f64::total_cmp);
    let result = LifelongResult {
        problem: file_name(&run.problem),
        agents: n,
        ticks: run.ticks,
        tasks_finished: tasks.finished,
        orders_delivered: delivered,
        planning_ms: TickTimes {
            p50: percentile(&times, 0.5),
            p99: percentile(&times, 0.99),
            max: times.last().copied().unwrap_or(0.0),
            mean,
        },
        wall_s: started.elapsed().as_secs_f64(),
        peak_rss_mb: peak_rss_mb(),
        deadlocks,
        delays: delays.totals(),
        valid: verdict.valid(),
        errors: verdict.errors.iter().take(10).cloned().collect(),
    };
    Ok((result, output))
}

/// The core (serve's grid configuration, turns costed) and one MAPF_T
/// vehicle per agent, with the agents' serial numbers.
fn fleet_for(
    problem: &Problem,
    grain: Option<f64>,
) -> anyhow::Result<(Orchestrator, Vec<ScriptedVehicle>, BTreeMap<String, usize>)> {
    let n = problem.agents.len();
    let m = u64::from(problem.agent_counter);
    let map = problem.map.clone();
    let ids: Vec<VehicleId> = (0..n).map(|i| VehicleId::new("lorr", format!("agent{i:05}"))).collect();
    let specs = ids.iter().map(|id| VehicleSpec::new(id.clone(), movingai::GRID_VEHICLE_TYPE)).collect();
    // The vehicles turn in place, a quarter turn taking as long as a move.
    let grid = FleetConfig::grid();
    let grain = orchestrator::traffic::grain::Grain::factor_or(grain, grid.grain);
    let config = FleetConfig { park_after_ms: None, quarter_turn_ms: m * TICK_MS, grain, ..grid };
    let core = Orchestrator::new(map.clone(), specs, config)?;
    let mut vehicles = Vec::with_capacity(n);
    for (i, &loc) in problem.agents.iter().enumerate() {
        let node = problem.node(loc).with_context(|| format!("agent {i} starts on a blocked cell {loc}"))?;
        let mut v = ScriptedVehicle::new(ids[i].clone(), &map, &map.node(node).id, 1.0 / m as f64)?
            .with_turns(m * TICK_MS, 0.0);
        v.action_ms = 0;
        vehicles.push(v);
    }
    let by_serial = ids.iter().enumerate().map(|(i, id)| (id.serial_number.clone(), i)).collect();
    Ok((core, vehicles, by_serial))
}

/// The transport order of a task: first errand the pickup, last the drop,
/// those between stops on the way.
fn order_of(problem: &Problem, errands: &[u32]) -> anyhow::Result<OrderRequest> {
    let node = |loc: u32| -> anyhow::Result<String> {
        let idx = problem.node(loc).with_context(|| format!("errand on a blocked cell {loc}"))?;
        Ok(problem.map.node(idx).id.clone())
    };
    let (Some(&first), Some(&last)) = (errands.first(), errands.last()) else {
        bail!("a task without errands");
    };
    let mut request = OrderRequest::new(node(first)?, node(last)?);
    if errands.len() > 2 {
        request.via = errands[1..errands.len() - 1].iter().map(|&l| node(l)).collect::<Result<_, _>>()?;
    }
    Ok(request)
}

/// The MAPF_T orientation (0 east, 1 south, 2 west, 3 north) of a heading
/// (radians, counter-clockwise from east on a map whose y axis points north).
pub fn orientation(heading: f64) -> u8 {
    let quarters = (-heading / std::f64::consts::FRAC_PI_2).round() as i64;
    quarters.rem_euclid(4) as u8
}
