//! Scenario files (TOML): a layout, a fleet, an order stream, faults, a
//! duration and a seed, and the expectations a run must meet.
//!
//! ```toml
//! name = "Line-side supply"
//! layout = "../maps/car-plant.lif.json"   # relative to this file
//! seed = 7
//! duration_s = 1800
//!
//! [[fleet]]
//! count = 6
//! vehicle_type = "yard.compact-agv"
//! start = "parking"                       # parking | charging | random | [node ids]
//!
//! [[flows]]                               # Poisson arrivals
//! from = ["WH-PICK-*"]
//! to = ["SM-L*"]
//! per_hour = 60
//!
//! [[faults]]
//! kind = "breakdown"
//! vehicle = "agv-03"
//! at_s = 600
//! duration_s = 300
//!
//! [expect]
//! min_delivered = 20
//! max_collisions = 0
//! ```
//!
//! Unknown keys and bad values are errors that name the file, the line and
//! the key.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::variants::{Override, ResolveError};

/// A scenario as written.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name.
    pub name: String,
    /// What it shows.
    #[serde(default)]
    pub description: String,
    /// Layout file (LIF or MovingAI), relative to the scenario file.
    pub layout: PathBuf,
    /// Seed of every random choice.
    #[serde(default)]
    pub seed: u64,
    /// Simulated time, s.
    pub duration_s: f64,
    /// The simulator's time step, ms.
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u64,
    /// The orchestrator's tick period, ms.
    #[serde(default = "default_orchestrator_ms")]
    pub orchestrator_ms: u64,
    /// Vehicle groups.
    pub fleet: Vec<FleetGroup>,
    /// The network between the orchestrator and the vehicles.
    #[serde(default)]
    pub network: Network,
    /// Explicit orders.
    #[serde(default)]
    pub orders: Vec<ExplicitOrder>,
    /// Random order streams.
    #[serde(default)]
    pub flows: Vec<Flow>,
    /// Faults.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// Nodes closed to traffic for the whole run (what closing an aisle costs).
    #[serde(default)]
    pub closed_nodes: Vec<String>,
    /// Orchestrator settings.
    #[serde(default)]
    pub orchestrator: OrchestratorSettings,
    /// What the run must show.
    #[serde(default)]
    pub expect: Expectations,
    /// A short variant for CI (`yard-sim run --ci`): a shorter duration
    /// with expectations of its own, checked in CI.
    #[serde(default)]
    pub ci: Option<CiVariant>,
}

/// The short CI variant of a long scenario.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CiVariant {
    /// Simulated time, s (flows and faults keep their times).
    pub duration_s: f64,
    /// What the short run must show (replaces `[expect]`).
    #[serde(default)]
    pub expect: Expectations,
}

impl Scenario {
    /// The CI variant as a scenario of its own (itself if it has none).
    pub fn ci_variant(&self) -> Scenario {
        let mut s = self.clone();
        if let Some(ci) = self.ci.clone() {
            s.duration_s = ci.duration_s;
            s.expect = ci.expect;
            s.name = format!("{} (CI variant)", self.name);
        }
        s
    }
}

fn default_tick_ms() -> u64 {
    100
}

fn default_orchestrator_ms() -> u64 {
    200
}

/// Where a group's vehicles start.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Start {
    /// `parking`, `charging` (stations of that kind, then any free node) or `random`.
    Named(String),
    /// These nodes, in order.
    Nodes(Vec<String>),
}

/// A group of identical vehicles.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FleetGroup {
    /// How many.
    pub count: usize,
    /// Their type, as the layout names it.
    pub vehicle_type: String,
    /// Serial number prefix (`agv` → agv-01, agv-02, …); serial numbers
    /// are unique across the site, whatever the manufacturer.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Manufacturer (the VDA 5050 topic's and header's; default `yardsim`):
    /// one site runs vehicles of several manufacturers.
    #[serde(default = "default_manufacturer")]
    pub manufacturer: String,
    /// Where they start.
    #[serde(default = "default_start")]
    pub start: Start,
    /// Top speed, m/s (default: the type's, see [`crate::vehicles`]).
    #[serde(default)]
    pub max_speed: Option<f64>,
    /// Acceleration and braking, m/s² (default: the type's).
    #[serde(default)]
    pub acceleration: Option<f64>,
    /// Turning rate on the spot, °/s (default: the type's).
    #[serde(default)]
    pub turn_rate_deg_s: Option<f64>,
    /// Turns at a node up to this are driven as a curve, sharper ones on
    /// the spot, ° (default: the type's).
    #[serde(default)]
    pub max_curve_deg: Option<f64>,
    /// Lateral acceleration in curves, m/s² (default: the type's).
    #[serde(default)]
    pub lateral_acceleration: Option<f64>,
    /// Body length, m (default: the type's).
    #[serde(default)]
    pub length: Option<f64>,
    /// Body width, m (default: the type's).
    #[serde(default)]
    pub width: Option<f64>,
    /// A tugger train's trailers, first one first (default: the type's).
    #[serde(default)]
    pub trailers: Option<Vec<TrailerSpec>>,
    /// Battery at the start, %.
    #[serde(default = "default_battery")]
    pub battery: f64,
    /// Load types they carry (empty: any).
    #[serde(default)]
    pub load_types: Vec<String>,
    /// How `yard-sim live` connects them: `zenoh` (the default) or `mqtt`
    /// (through a Mosquitto it starts on loopback). `yard-sim run` ignores it.
    #[serde(default)]
    pub transport: orchestrator::fleet::Transport,
}

/// A trailer of a tugger train in a scenario.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrailerSpec {
    /// Length, m.
    pub length: f64,
    /// Width, m.
    pub width: f64,
}

fn default_manufacturer() -> String {
    crate::engine::MANUFACTURER.into()
}

fn default_prefix() -> String {
    "agv".into()
}

fn default_start() -> Start {
    Start::Named("parking".into())
}

fn default_battery() -> f64 {
    100.0
}

/// Latency, jitter and loss of every message.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// One-way latency, ms.
    #[serde(default = "default_latency")]
    pub latency_ms: u64,
    /// Uniform jitter added, ms.
    #[serde(default)]
    pub jitter_ms: u64,
    /// Share of messages lost, 0–1.
    #[serde(default)]
    pub loss: f64,
}

fn default_latency() -> u64 {
    20
}

impl Default for Network {
    fn default() -> Self {
        Network { latency_ms: default_latency(), jitter_ms: 0, loss: 0.0 }
    }
}

/// One order at a given time.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExplicitOrder {
    /// When, s.
    #[serde(default)]
    pub at_s: f64,
    /// Pickup station.
    pub from: String,
    /// Drop station.
    pub to: String,
    /// Stops between, visited in order (a milk run).
    #[serde(default)]
    pub via: Vec<String>,
    /// Priority.
    #[serde(default)]
    pub priority: i32,
    /// How many such orders.
    #[serde(default = "one")]
    pub count: usize,
    /// Vehicle type constraint.
    #[serde(default)]
    pub vehicle_type: Option<String>,
}

fn one() -> usize {
    1
}

/// Poisson arrivals between station groups.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Pickup stations: ids, `*` at the end matches a prefix.
    pub from: Vec<String>,
    /// Drop stations, same form.
    pub to: Vec<String>,
    /// Stops between pickup and drop (a milk run): each entry is one stop,
    /// a station id or prefix pattern of the same form, drawn per order.
    #[serde(default)]
    pub via: Vec<String>,
    /// Mean arrivals per hour.
    pub per_hour: f64,
    /// Active from, s.
    #[serde(default)]
    pub start_s: f64,
    /// Active until, s (default: the end).
    #[serde(default)]
    pub end_s: Option<f64>,
    /// Vehicle type constraint.
    #[serde(default)]
    pub vehicle_type: Option<String>,
}

/// What goes wrong, and when.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FaultSpec {
    /// A vehicle stops with a FATAL error (for `duration_s`, or for good).
    Breakdown {
        /// Its serial number.
        vehicle: String,
        /// When, s.
        at_s: f64,
        /// For how long, s.
        #[serde(default)]
        duration_s: Option<f64>,
    },
    /// A node is closed to traffic for a while.
    BlockNode {
        /// Its id.
        node: String,
        /// When, s.
        at_s: f64,
        /// For how long, s.
        duration_s: f64,
    },
    /// Messages are lost with probability `loss` for a while.
    MessageLoss {
        /// When, s.
        at_s: f64,
        /// For how long, s.
        duration_s: f64,
        /// Share lost, 0–1.
        loss: f64,
    },
    /// Latency jumps for a while.
    LatencySpike {
        /// When, s.
        at_s: f64,
        /// For how long, s.
        duration_s: f64,
        /// Extra latency, ms.
        latency_ms: u64,
    },
    /// A vehicle's agent restarts (its order state is lost).
    AgentRestart {
        /// Its serial number.
        vehicle: String,
        /// When, s.
        at_s: f64,
    },
    /// The orchestrator restarts from its database.
    OrchestratorRestart {
        /// When, s.
        at_s: f64,
    },
    /// A vehicle's battery drains faster than rated.
    BatteryDrain {
        /// Its serial number.
        vehicle: String,
        /// From when, s.
        at_s: f64,
        /// Times the rated drain.
        factor: f64,
    },
}

impl FaultSpec {
    /// When it starts, s.
    pub fn at_s(&self) -> f64 {
        match self {
            FaultSpec::Breakdown { at_s, .. }
            | FaultSpec::BlockNode { at_s, .. }
            | FaultSpec::MessageLoss { at_s, .. }
            | FaultSpec::LatencySpike { at_s, .. }
            | FaultSpec::AgentRestart { at_s, .. }
            | FaultSpec::OrchestratorRestart { at_s }
            | FaultSpec::BatteryDrain { at_s, .. } => *at_s,
        }
    }
}

/// Orchestrator settings a scenario may change.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OrchestratorSettings {
    /// Charge under which idle vehicles go charging, %.
    #[serde(default)]
    pub battery_low: Option<f64>,
    /// Charge at which charging stops, %.
    #[serde(default)]
    pub battery_resume: Option<f64>,
    /// Idle time before parking, s.
    #[serde(default)]
    pub park_after_s: Option<f64>,
    /// Nodes released ahead of each vehicle.
    #[serde(default)]
    pub release_ahead: Option<usize>,
    /// What a quarter turn in place costs the vehicles, s (default 0:
    /// they drive corners as curves); above 0 traffic control counts turns.
    #[serde(default)]
    pub quarter_turn_s: Option<f64>,
    /// On a grid map, what a move against the one-way grain costs routing,
    /// as a multiple of its time (1: no grain; default: the grid
    /// configuration's, as `yardmaster serve` runs grids). Ignored elsewhere.
    #[serde(default)]
    pub grain: Option<f64>,
}

/// What a run must show; absent means not checked.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// At least this many orders delivered.
    pub min_delivered: Option<u64>,
    /// At least this many deliveries per hour.
    pub min_throughput_per_hour: Option<f64>,
    /// 95th percentile of order latency (accepted → delivered) at most this, s.
    pub max_p95_latency_s: Option<f64>,
    /// Footprint overlaps at most (0).
    pub max_collisions: Option<u64>,
    /// Orders not ended at the end, beyond those still in progress: at most.
    pub max_lost_orders: Option<u64>,
    /// No deadlock (lasting wait-for cycle) longer than this, s.
    pub max_deadlock_s: Option<f64>,
    /// Orders not progressing (no status change for `stuck_after_s`) at
    /// the end: at most this many.
    pub max_stuck_orders: Option<u64>,
    /// An order is stuck after this long without a status change, s (600).
    pub stuck_after_s: Option<f64>,
    /// After the last order arrives, every order has ended within this, s.
    pub drain_s: Option<f64>,
}

/// A scenario file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// Not readable.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML, or not a scenario.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value that does not make sense.
    #[error("{path}: {field}: {message}")]
    Value {
        /// The file.
        path: String,
        /// Which key.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl From<ResolveError> for ScenarioError {
    fn from(e: ResolveError) -> ScenarioError {
        ScenarioError::Value { path: e.file.display().to_string(), field: e.field, message: e.message }
    }
}

/// A loaded scenario and where it came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The scenario.
    pub scenario: Scenario,
    /// Its file.
    pub path: PathBuf,
    /// The layout file, resolved.
    pub layout_path: PathBuf,
}

/// Parses scenario text; `name` is used in errors.
pub fn parse(text: &str, name: &str) -> Result<Scenario, ScenarioError> {
    let scenario: Scenario = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |span| line_col(text, span.start));
        ScenarioError::Syntax { path: name.to_string(), line, column, message: e.message().to_string() }
    })?;
    check(&scenario, name)?;
    Ok(scenario)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The largest scenario file read, bytes.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// The longest simulated time, s (31 days).
pub const MAX_DURATION_S: f64 = 31.0 * 86_400.0;
/// The most vehicles in a scenario.
pub const MAX_VEHICLES: usize = 20_000;
/// The highest arrival rate of one flow, orders per hour.
pub const MAX_PER_HOUR: f64 = 1_000_000.0;
/// The most orders a run may draw (explicit ones plus the flows' expected arrivals).
pub const MAX_ORDERS: f64 = 10_000_000.0;

/// The dearest move against a grid's grain a scenario may ask for.
const MAX_GRAIN: f64 = 1_000.0;

fn check(s: &Scenario, name: &str) -> Result<(), ScenarioError> {
    let bad = |field: &str, message: String| {
        Err(ScenarioError::Value { path: name.to_string(), field: field.to_string(), message })
    };
    let durations = [("duration_s", s.duration_s)]
        .into_iter()
        .chain(s.ci.as_ref().map(|c| ("ci.duration_s", c.duration_s)));
    for (field, d) in durations {
        if !(d.is_finite() && d > 0.0 && d <= MAX_DURATION_S) {
            return bad(
                field,
                format!(
                    "found {d:?}; expected a number of seconds above 0 and at most {MAX_DURATION_S} (31 days)"
                ),
            );
        }
    }
    if let Some(g) = s.orchestrator.grain
        && !(g.is_finite() && (1.0..=MAX_GRAIN).contains(&g))
    {
        return bad(
            "orchestrator.grain",
            format!("found {g:?}; expected a factor from 1 (no grain) to {MAX_GRAIN}"),
        );
    }
    let n_vehicles: usize = s.fleet.iter().map(|g| g.count).fold(0, usize::saturating_add);
    if n_vehicles > MAX_VEHICLES {
        return bad("fleet", format!("found {n_vehicles} vehicles; expected at most {MAX_VEHICLES}"));
    }
    let expected_orders = s.orders.iter().map(|o| o.count as f64).sum::<f64>()
        + s.flows.iter().map(|f| f.per_hour * s.duration_s / 3600.0).sum::<f64>();
    for (i, f) in s.flows.iter().enumerate() {
        if !(0.0..=MAX_PER_HOUR).contains(&f.per_hour) {
            return bad(
                &format!("flows[{i}].per_hour"),
                format!("found {}; expected 0 to {MAX_PER_HOUR}", f.per_hour),
            );
        }
    }
    if expected_orders > MAX_ORDERS {
        return bad(
            "flows",
            format!("about {expected_orders:.0} orders over the run; expected at most {MAX_ORDERS}"),
        );
    }
    let times = s
        .orders
        .iter()
        .enumerate()
        .map(|(i, o)| (format!("orders[{i}].at_s"), o.at_s))
        .chain(s.faults.iter().enumerate().map(|(i, f)| (format!("faults[{i}].at_s"), f.at_s())));
    for (field, t) in times {
        if !(0.0..=MAX_DURATION_S).contains(&t) {
            return bad(&field, format!("found {t:?}; expected a time from 0 to {MAX_DURATION_S} s"));
        }
    }
    if s.tick_ms == 0 || s.orchestrator_ms == 0 || !s.orchestrator_ms.is_multiple_of(s.tick_ms) {
        return bad(
            "orchestrator_ms",
            format!(
                "found tick_ms {} and orchestrator_ms {}; expected positive values, orchestrator_ms a multiple of tick_ms",
                s.tick_ms, s.orchestrator_ms
            ),
        );
    }
    if s.fleet.iter().map(|g| g.count).sum::<usize>() == 0 {
        return bad("fleet", "no vehicles; expected at least one group with count > 0".into());
    }
    for (i, g) in s.fleet.iter().enumerate() {
        let trailers = g.trailers.iter().flatten().enumerate();
        let dims = [
            ("max_speed", g.max_speed, 10.0),
            ("acceleration", g.acceleration, 10.0),
            ("turn_rate_deg_s", g.turn_rate_deg_s, 720.0),
            ("max_curve_deg", g.max_curve_deg, 180.0),
            ("lateral_acceleration", g.lateral_acceleration, 10.0),
            ("length", g.length, 50.0),
            ("width", g.width, 10.0),
        ]
        .into_iter()
        .map(|(k, v, max)| (k.to_string(), v, max))
        .chain(trailers.flat_map(|(j, t)| {
            [
                (format!("trailers[{j}].length"), Some(t.length), 50.0),
                (format!("trailers[{j}].width"), Some(t.width), 10.0),
            ]
        }));
        for (key, value, max) in dims {
            if let Some(v) = value
                && !(v > 0.0 && v <= max)
            {
                return bad(
                    &format!("fleet[{i}].{key}"),
                    format!("found {v}; expected a number > 0 and at most {max}"),
                );
            }
        }
        if !(0.0..=100.0).contains(&g.battery) {
            return bad(&format!("fleet[{i}].battery"), format!("found {}; expected 0–100", g.battery));
        }
        if let Start::Named(n) = &g.start
            && !matches!(n.as_str(), "parking" | "charging" | "random")
        {
            return bad(
                &format!("fleet[{i}].start"),
                format!("found {n:?}; expected \"parking\", \"charging\", \"random\" or a list of node ids"),
            );
        }
    }
    if !(0.0..=1.0).contains(&s.network.loss) {
        return bad("network.loss", format!("found {}; expected a share between 0 and 1", s.network.loss));
    }
    for (i, f) in s.faults.iter().enumerate() {
        let loss = match f {
            FaultSpec::MessageLoss { loss, .. } => Some(*loss),
            _ => None,
        };
        if loss.is_some_and(|l| !(0.0..=1.0).contains(&l)) {
            return bad(
                &format!("faults[{i}].loss"),
                format!("found {loss:?}; expected a share between 0 and 1"),
            );
        }
    }
    Ok(())
}

/// Reads a scenario file (at most [`MAX_FILE_BYTES`]), with the bases it
/// `extends` (see [`crate::variants`]).
pub fn load(path: &Path) -> Result<Loaded, ScenarioError> {
    load_with(path, &[])
}

/// Reads a scenario file and its bases, then applies `overrides` in order
/// (`yard-sim run --set`).
pub fn load_with(path: &Path, overrides: &[Override]) -> Result<Loaded, ScenarioError> {
    let shown = path.display().to_string();
    let text = read_text(path)?;
    let table = parse_table(&text, &shown)?;
    if !table.contains_key("extends") && !table.contains_key("set") && overrides.is_empty() {
        // One plain file: errors keep their line and column.
        let scenario = parse(&text, &shown)?;
        let layout_path = path.parent().unwrap_or(Path::new(".")).join(&scenario.layout);
        return Ok(Loaded { scenario, path: path.to_path_buf(), layout_path });
    }
    let mut read = |p: &Path| parse_table(&read_text(p)?, &p.display().to_string());
    let resolved = crate::variants::resolve::<ScenarioError>(path, table, &mut read)?;
    let mut merged = resolved.table;
    for o in overrides {
        o.apply(&mut merged).map_err(|e| ScenarioError::Value {
            path: shown.clone(),
            field: format!("--set {}", e.path),
            message: e.message,
        })?;
    }
    let label = if resolved.chain.len() > 1 {
        let bases: Vec<String> = resolved.chain[1..].iter().map(|p| p.display().to_string()).collect();
        format!("{shown} (extends {})", bases.join(" → "))
    } else {
        shown
    };
    let scenario: Scenario =
        serde_path_to_error::deserialize(toml::Value::Table(merged)).map_err(|e| ScenarioError::Value {
            path: label.clone(),
            field: e.path().to_string(),
            message: e.inner().message().to_string(),
        })?;
    check(&scenario, &label)?;
    let layout_path = resolved.layout_dir.join(&scenario.layout);
    Ok(Loaded { scenario, path: path.to_path_buf(), layout_path })
}

/// Parses TOML text into a table; syntax errors name the line and column.
fn parse_table(text: &str, name: &str) -> Result<toml::Table, ScenarioError> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let (line, column) = e.span().map_or((1, 1), |span| line_col(text, span.start));
        ScenarioError::Syntax { path: name.to_string(), line, column, message: e.message().to_string() }
    })
}

/// A file's text, at most [`MAX_FILE_BYTES`], UTF-8.
fn read_text(path: &Path) -> Result<String, ScenarioError> {
    use std::io::Read as _;
    let shown = path.display().to_string();
    let io = |source| ScenarioError::Io { path: shown.clone(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(io)?.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ScenarioError::Value {
            path: shown,
            field: "(file)".into(),
            message: format!("larger than {MAX_FILE_BYTES} bytes; expected a scenario file"),
        });
    }
    String::from_utf8(bytes).map_err(|e| ScenarioError::Value {
        path: shown.clone(),
        field: "(file)".into(),
        message: format!("not UTF-8 text (byte {}); expected TOML", e.utf8_error().valid_up_to()),
    })
}

/// Whether a station id matches a pattern (`*` at the end: prefix).
pub fn matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "name = \"t\"\nlayout = \"x.map\"\nduration_s = 10\n[[fleet]]\ncount = 1\nvehicle_type = \"default\"\n";

    #[test]
    fn a_minimal_scenario_parses_with_defaults() {
        let s = parse(GOOD, "t.toml").unwrap();
        assert_eq!(s.tick_ms, 100);
        assert_eq!(s.fleet[0].start, Start::Named("parking".into()));
        assert_eq!(s.network.latency_ms, 20);
    }

    #[test]
    fn bad_input_names_the_line_and_the_key() {
        let cases = [
            (format!("{GOOD}colour = \"red\"\n"), "t.toml:7:1", "unknown field `colour`"),
            (format!("{GOOD}[expect]\nmin_delivered = \"many\"\n"), "t.toml:8:17", "invalid type"),
            (GOOD.replace("duration_s = 10", "duration_s = -5"), "duration_s", "found -5"),
            (format!("{GOOD}[[faults]]\nkind = \"meteor\"\nat_s = 1\n"), "t.toml:", "meteor"),
            (format!("{GOOD}[network]\nloss = 2.0\n"), "network.loss", "found 2"),
            (GOOD.replace("count = 1", "count = 1\nstart = \"roof\""), "fleet[0].start", "\"roof\""),
            // Absurd sizes are refused, not run until killed.
            (GOOD.replace("duration_s = 10", "duration_s = 1e308"), "duration_s", "at most"),
            (GOOD.replace("duration_s = 10", "duration_s = nan"), "duration_s", "found NaN"),
            (
                format!("{GOOD}[[flows]]\nfrom = [\"A\"]\nto = [\"B\"]\nper_hour = 1e12\n"),
                "flows[0].per_hour",
                "1000000000000",
            ),
            (
                format!("{GOOD}[[flows]]\nfrom = [\"A\"]\nto = [\"B\"]\nper_hour = 1e6\n")
                    .replace("duration_s = 10", "duration_s = 2e6"),
                "flows",
                "orders over the run",
            ),
            (GOOD.replace("count = 1", "count = 1000000"), "fleet", "1000000 vehicles"),
            (
                format!("{GOOD}[[orders]]\nat_s = 1e300\nfrom = \"A\"\nto = \"B\"\n"),
                "orders[0].at_s",
                "found 1e300",
            ),
            (format!("{GOOD}[ci]\nduration_s = -1\n"), "ci.duration_s", "found -1"),
            (format!("{GOOD}[orchestrator]\ngrain = 0.5\n"), "orchestrator.grain", "found 0.5"),
            (format!("{GOOD}[orchestrator]\ngrain = inf\n"), "orchestrator.grain", "found inf"),
        ];
        for (text, place, what) in cases {
            let err = parse(&text, "t.toml").unwrap_err().to_string();
            assert!(err.contains(place) && err.contains(what), "{err:?} should name {place} and {what}");
        }
    }

    #[test]
    fn station_patterns() {
        assert!(matches("SM-L*", "SM-L01"));
        assert!(!matches("SM-L*", "SM-U01"));
        assert!(matches("QA-VISION-1", "QA-VISION-1"));
    }
}
