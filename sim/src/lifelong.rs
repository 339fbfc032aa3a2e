//! League of Robot Runners (LoRR 2026) lifelong problems: the problem
//! JSON, its grid map (MovingAI with the passable symbols `E` and `S`),
//! the agents file (start locations) and the tasks file (each task a list
//! of errands, visited in order). A location is `row * width + column`;
//! on our grid layouts it is node `"column,row"`.
//!
//! Every malformed file gets an error naming the file, the place (JSON path,
//! or line), the value found and what was expected; nothing panics on file
//! content (`sim/tests/lifelong_problems.rs` holds the corpus and a fuzz).
//!
//! ```no_run
//! let problem = sim::lifelong::load(std::path::Path::new(
//!     "../shared/bench/lifelong/random.domain/random-example_400.json",
//! ))
//! .unwrap();
//! assert_eq!(problem.agents.len(), 400);
//! ```

use std::path::{Path, PathBuf};

use layout::{Layout, LoadOptions};
use serde::Deserialize;

/// The largest agents or tasks file read, bytes.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A loaded problem.
#[derive(Debug)]
pub struct Problem {
    /// The problem file.
    pub path: PathBuf,
    /// The grid, as a layout (node `"column,row"` per free cell).
    pub map: std::sync::Arc<Layout>,
    /// Columns of the grid.
    pub width: u32,
    /// Rows of the grid.
    pub height: u32,
    /// The team's start locations (the first `teamSize` of the agents file).
    pub agents: Vec<u32>,
    /// Every task's errands, in file order.
    pub tasks: Vec<Vec<u32>>,
    /// The open pool holds `num_tasks_reveal × team size` tasks (rounded down, at least 1).
    pub num_tasks_reveal: f64,
    /// Execution ticks one forward move or 90° turn takes.
    pub agent_counter: u32,
    /// The agents' seeded execution delays.
    pub delays: DelayConfig,
}

impl Problem {
    /// How many tasks the open pool holds.
    pub fn pool_size(&self) -> usize {
        // In single precision, truncated, as the competition computes it.
        (((self.num_tasks_reveal as f32) * (self.agents.len() as f32)) as usize).max(1)
    }

    /// The location (`row * width + column`) of every layout node, by node index.
    pub fn node_locations(&self) -> Vec<u32> {
        let cells = self.map.grid.as_ref().map_or(&[][..], |g| &g.cells[..]);
        cells.iter().map(|&(x, y)| y * self.width + x).collect()
    }

    /// The layout node of a location.
    pub fn node(&self, location: u32) -> Option<layout::NodeIdx> {
        self.map.node_by_id(&format!("{},{}", location % self.width, location / self.width))
    }
}

/// How delays are drawn (the reference's README gives the exact rule).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DelayConfig {
    /// Seed of the draws.
    #[serde(default)]
    pub seed: u64,
    /// Shortest delay, ticks.
    pub min_delay: u32,
    /// Longest delay, ticks.
    pub max_delay: u32,
    /// `bernoulli` or `poisson`.
    pub event_model: String,
    /// Chance per agent per tick that a delay starts (bernoulli).
    #[serde(default)]
    pub p_delay: f64,
    /// Mean delays per tick (poisson); absent, `pDelay` × the team size,
    /// as the reference draws them (room-150 at `pDelay` 0.01: 1,464
    /// delays in 1,000 ticks, 1.5 a tick).
    #[serde(default)]
    pub poisson_lambda: Option<f64>,
    /// `uniform` or `gaussian`.
    pub duration_model: String,
    /// Gaussian mean as a share of the range.
    #[serde(default)]
    pub gauss_mean_ratio: f64,
    /// Gaussian deviation as a share of the range.
    #[serde(default)]
    pub gauss_std_ratio: f64,
}

/// The problem JSON as written.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProblemFile {
    map_file: PathBuf,
    agent_file: PathBuf,
    task_file: PathBuf,
    team_size: i64,
    num_tasks_reveal: f64,
    agent_counter: i64,
    #[serde(default = "one")]
    agent_size: f64,
    delay_config: DelayConfig,
}

fn one() -> f64 {
    1.0
}

/// A problem that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemError {
    /// A file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is larger than any problem file may be.
    #[error("{file}: larger than {limit} bytes; expected an agents or tasks file")]
    TooLarge {
        /// The file.
        file: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The problem JSON does not parse, or a field has the wrong type.
    #[error("{file}: at {path}: {message}")]
    Json {
        /// The file.
        file: PathBuf,
        /// The JSON path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A field's value makes no sense.
    #[error("{file}: at {path}: found {found}; expected {expected}")]
    Field {
        /// The file.
        file: PathBuf,
        /// The JSON path.
        path: String,
        /// The value.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// A line of the agents or tasks file is wrong.
    #[error("{file}:{line}: found {found}; expected {expected}")]
    Line {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is there.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The map does not load.
    #[error(transparent)]
    Map(#[from] layout::LoadError),
}

fn read(file: &Path) -> Result<String, ProblemError> {
    use std::io::Read as _;
    let io = |source| ProblemError::Io { file: file.to_path_buf(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(file).map_err(io)?.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ProblemError::TooLarge { file: file.to_path_buf(), limit: MAX_FILE_BYTES });
    }
    String::from_utf8(bytes).map_err(|e| ProblemError::Line {
        file: file.to_path_buf(),
        line: 1,
        found: format!("bytes that are not UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
        expected: "text".into(),
    })
}

/// Loads a problem and the files it names.
pub fn load(path: &Path) -> Result<Problem, ProblemError> {
    let text = read(path)?;
    let file: ProblemFile = {
        let de = &mut serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(de).map_err(|e| ProblemError::Json {
            file: path.to_path_buf(),
            path: format!("$.{}", e.path()),
            message: e.inner().to_string(),
        })?
    };
    let field = |p: &str, found: String, expected: &str| ProblemError::Field {
        file: path.to_path_buf(),
        path: p.into(),
        found,
        expected: expected.into(),
    };
    if file.team_size < 1 {
        return Err(field("$.teamSize", file.team_size.to_string(), "a whole number of agents, at least 1"));
    }
    if !(file.num_tasks_reveal.is_finite() && file.num_tasks_reveal > 0.0 && file.num_tasks_reveal <= 1000.0)
    {
        return Err(field(
            "$.numTasksReveal",
            file.num_tasks_reveal.to_string(),
            "a number above 0, at most 1000",
        ));
    }
    if !(1..=1000).contains(&file.agent_counter) {
        return Err(field("$.agentCounter", file.agent_counter.to_string(), "ticks per action, 1 to 1000"));
    }
    if !(file.agent_size.is_finite() && file.agent_size > 0.0) {
        return Err(field("$.agentSize", file.agent_size.to_string(), "a size above 0"));
    }
    let d = &file.delay_config;
    if d.min_delay > d.max_delay {
        return Err(field(
            "$.delayConfig.minDelay",
            format!("{} (maxDelay {})", d.min_delay, d.max_delay),
            "at most maxDelay",
        ));
    }
    if !matches!(d.event_model.as_str(), "bernoulli" | "poisson") {
        return Err(field(
            "$.delayConfig.eventModel",
            format!("{:?}", d.event_model),
            "\"bernoulli\" or \"poisson\"",
        ));
    }
    if !matches!(d.duration_model.as_str(), "uniform" | "gaussian") {
        return Err(field(
            "$.delayConfig.durationModel",
            format!("{:?}", d.duration_model),
            "\"uniform\" or \"gaussian\"",
        ));
    }
    if !(0.0..=1.0).contains(&d.p_delay) {
        return Err(field("$.delayConfig.pDelay", d.p_delay.to_string(), "a probability from 0 to 1"));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let map_path = dir.join(&file.map_file);
    let map = layout::movingai::load_map(&map_path, LoadOptions::default().grid)?.value;
    let (width, height) = map.grid.as_ref().map_or((0, 0), |g| (g.width, g.height));
    let cell = |loc: u32| map.node_by_id(&format!("{},{}", loc % width.max(1), loc / width.max(1))).is_some();
    let check = |file: &Path, line: usize, loc: u32| {
        if loc >= width.saturating_mul(height) {
            return Err(ProblemError::Line {
                file: file.to_path_buf(),
                line,
                found: format!("location {loc}"),
                expected: format!(
                    "a location below {} (rows × columns of {})",
                    width * height,
                    map_path.display()
                ),
            });
        }
        if !cell(loc) {
            return Err(ProblemError::Line {
                file: file.to_path_buf(),
                line,
                found: format!(
                    "location {loc} (row {}, column {}), a blocked cell",
                    loc / width,
                    loc % width
                ),
                expected: "a passable cell of the map".into(),
            });
        }
        Ok(loc)
    };
    let agent_path = dir.join(&file.agent_file);
    let agent_text = read(&agent_path)?;
    let starts = numbered_lines(&agent_path, &agent_text, "agents")?;
    let team = file.team_size as usize;
    if starts.len() < team {
        return Err(field(
            "$.teamSize",
            team.to_string(),
            &format!("at most the {} agents of {}", starts.len(), agent_path.display()),
        ));
    }
    let mut agents = Vec::with_capacity(team);
    for (line, text) in starts.into_iter().take(team) {
        agents.push(check(&agent_path, line, location(&agent_path, line, text)?)?);
    }
    let task_path = dir.join(&file.task_file);
    let mut tasks = Vec::new();
    let task_text = read(&task_path)?;
    for (line, text) in numbered_lines(&task_path, &task_text, "tasks")? {
        let errands = text
            .split(',')
            .map(|part| location(&task_path, line, part).and_then(|loc| check(&task_path, line, loc)))
            .collect::<Result<Vec<u32>, _>>()?;
        tasks.push(errands);
    }
    if tasks.is_empty() {
        return Err(ProblemError::Line {
            file: task_path,
            line: 2,
            found: "no task".into(),
            expected: "at least one task".into(),
        });
    }
    Ok(Problem {
        path: path.to_path_buf(),
        map: std::sync::Arc::new(map),
        width,
        height,
        agents,
        tasks,
        num_tasks_reveal: file.num_tasks_reveal,
        agent_counter: file.agent_counter as u32,
        delays: file.delay_config,
    })
}

/// The body lines of an agents or tasks file: an optional `#` comment line,
/// the count, then exactly that many lines. Returns (1-based line, text).
fn numbered_lines<'t>(file: &Path, text: &'t str, what: &str) -> Result<Vec<(usize, &'t str)>, ProblemError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty());
    let bad = |line: usize, found: String, expected: String| ProblemError::Line {
        file: file.to_path_buf(),
        line,
        found,
        expected,
    };
    let mut first = lines.next();
    if first.is_some_and(|(_, l)| l.starts_with('#')) {
        first = lines.next();
    }
    let Some((n_line, n_text)) = first else {
        return Err(bad(1, "an empty file".into(), format!("the number of {what}, then one per line")));
    };
    let count: usize = n_text
        .parse()
        .map_err(|_| bad(n_line, format!("{n_text:?}"), format!("the number of {what} (a whole number)")))?;
    let body: Vec<(usize, &str)> = lines.collect();
    if body.len() != count {
        let at = body.last().map_or(n_line, |l| l.0);
        return Err(bad(
            at,
            format!("{} lines of {what}", body.len()),
            format!("{count}, as line {n_line} says"),
        ));
    }
    Ok(body)
}

fn location(file: &Path, line: usize, text: &str) -> Result<u32, ProblemError> {
    text.trim().parse().map_err(|_| ProblemError::Line {
        file: file.to_path_buf(),
        line,
        found: format!("{:?}", text.trim()),
        expected: "a location: a whole number row × width + column".into(),
    })
}
