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
    /// Orchestrator settings.
    #[serde(default)]
    pub orchestrator: OrchestratorSettings,
    /// What the run must show.
    #[serde(default)]
    pub expect: Expectations,
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
    /// Serial number prefix (`agv` → agv-01, agv-02, …).
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Where they start.
    #[serde(default = "default_start")]
    pub start: Start,
    /// Top speed, m/s.
    #[serde(default = "default_speed")]
    pub max_speed: f64,
    /// Battery at the start, %.
    #[serde(default = "default_battery")]
    pub battery: f64,
    /// Load types they carry (empty: any).
    #[serde(default)]
    pub load_types: Vec<String>,
}

fn default_prefix() -> String {
    "agv".into()
}

fn default_start() -> Start {
    Start::Named("parking".into())
}

fn default_speed() -> f64 {
    1.5
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

fn check(s: &Scenario, name: &str) -> Result<(), ScenarioError> {
    let bad = |field: &str, message: String| {
        Err(ScenarioError::Value { path: name.to_string(), field: field.to_string(), message })
    };
    if !(s.duration_s.is_finite() && s.duration_s > 0.0) {
        return bad("duration_s", format!("found {}; expected a positive number of seconds", s.duration_s));
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
        if !(g.max_speed > 0.0 && g.max_speed.is_finite()) {
            return bad(&format!("fleet[{i}].max_speed"), format!("found {}; expected > 0", g.max_speed));
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
    for (i, f) in s.flows.iter().enumerate() {
        if !(f.per_hour >= 0.0 && f.per_hour.is_finite()) {
            return bad(&format!("flows[{i}].per_hour"), format!("found {}; expected ≥ 0", f.per_hour));
        }
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

/// Reads a scenario file.
pub fn load(path: &Path) -> Result<Loaded, ScenarioError> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|source| ScenarioError::Io { path: shown.clone(), source })?;
    let scenario = parse(&text, &shown)?;
    let layout_path = path.parent().unwrap_or(Path::new(".")).join(&scenario.layout);
    Ok(Loaded { scenario, path: path.to_path_buf(), layout_path })
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
