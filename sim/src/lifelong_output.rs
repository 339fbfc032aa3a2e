//! A lifelong run in the League of Robot Runners output format (the
//! reference's `README.md` lists the fields): what the reference's
//! `validate.py` checks in its exact mode and the competition's visualiser
//! reads. [`Output`] is that file's shape, read back by
//! [`crate::lifelong_check`] (ours, or the reference's own output).

use serde::{Deserialize, Serialize};

use crate::lifelong::Problem;

/// Ticks per path segment.
pub const SEGMENT: u64 = 100;

/// The output file (the fields we write and check; others are ignored).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// `"MAPF_T"`.
    #[serde(default)]
    pub action_model: String,
    /// `"2026 LoRR"`.
    #[serde(default)]
    pub version: String,
    /// Agents.
    pub team_size: usize,
    /// `[row, col, "E"]` per agent.
    #[serde(default)]
    pub start: Vec<(u32, u32, String)>,
    /// Tasks finished, as claimed.
    pub num_task_finished: u64,
    /// Ticks recorded.
    pub makespan: u64,
    /// Ticks per move or quarter turn.
    pub agent_max_counter: u32,
    /// Ticks per path segment.
    #[serde(default)]
    pub output_segment_size: u64,
    /// Always 0 here.
    #[serde(default)]
    pub num_planner_errors: u64,
    /// Always 0 here.
    #[serde(default)]
    pub num_schedule_errors: u64,
    /// Always 0 here.
    #[serde(default)]
    pub num_entry_timeouts: u64,
    /// What each agent did, one letter per tick, in segments.
    pub actual_paths: Vec<String>,
    /// What was asked of each agent (the same here: nothing is refused).
    #[serde(default)]
    pub planner_paths: Vec<String>,
    /// Each agent's delays, `[start, end)` in ticks.
    #[serde(default)]
    pub delay_intervals: Vec<Vec<(u64, u64)>>,
    /// `[timestep, agent, task, errands done]`.
    #[serde(default)]
    pub events: Vec<(u64, usize, usize, usize)>,
    /// `[task, reveal tick, [row, col, row, col, …]]`.
    #[serde(default)]
    pub tasks: Vec<(usize, u64, Vec<u32>)>,
    /// `"stamp:task,…"` per agent (-1: none).
    #[serde(default)]
    pub actual_schedule: Vec<String>,
    /// The same.
    #[serde(default)]
    pub planner_schedule: Vec<String>,
    /// Refused moves (none).
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    /// Refused assignments (none).
    #[serde(default)]
    pub schedule_errors: Vec<serde_json::Value>,
}

/// A run being recorded.
#[derive(Clone, Debug)]
pub struct Record {
    columns: u32,
    counter: u32,
    starts: Vec<u32>,
    /// Letters per agent.
    letters: Vec<Vec<u8>>,
    /// State at the start of every segment: (location, orientation, counter).
    headers: Vec<Vec<(u32, u8, u32)>>,
    /// Progress of each agent's current move or turn, ticks.
    progress: Vec<u32>,
    delays: Vec<Vec<(u64, u64)>>,
    events: Vec<(u64, usize, usize, usize)>,
    schedule: Vec<Vec<(u64, i64)>>,
    tasks: Vec<(usize, u64, Vec<u32>)>,
    finished: u64,
    ticks: u64,
}

impl Record {
    /// An empty record of `ticks` ticks of `problem`.
    pub fn new(problem: &Problem, ticks: u64) -> Record {
        let n = problem.agents.len();
        Record {
            columns: problem.width,
            counter: problem.agent_counter,
            starts: problem.agents.clone(),
            letters: vec![Vec::with_capacity(ticks as usize); n],
            headers: problem.agents.iter().map(|&l| vec![(l, 0, 0)]).collect(),
            progress: vec![0; n],
            delays: vec![Vec::new(); n],
            events: Vec::new(),
            schedule: vec![Vec::new(); n],
            tasks: Vec::new(),
            finished: 0,
            ticks,
        }
    }

    /// What `agent` did this tick (`F`, `R`, `C` or `W`) and where it stands
    /// after it.
    pub fn act(&mut self, agent: usize, letter: u8, location: u32, orientation: u8) {
        let letters = &mut self.letters[agent];
        letters.push(letter);
        if letter != b'W' {
            self.progress[agent] = (self.progress[agent] + 1) % self.counter.max(1);
        }
        if (letters.len() as u64).is_multiple_of(SEGMENT) && (letters.len() as u64) < self.ticks {
            self.headers[agent].push((location, orientation, self.progress[agent]));
        }
    }

    /// The core gave `agent` a task (or took it back) before tick `tick`.
    pub fn assign(&mut self, tick: u64, agent: usize, task: Option<usize>) {
        self.schedule[agent].push((tick, task.map_or(-1, |t| t as i64)));
    }

    /// `agent` is held still on ticks `from..until`.
    pub fn delay(&mut self, agent: usize, from: u64, until: u64) {
        self.delays[agent].push((from, until.min(self.ticks)));
    }

    /// At the end of tick `timestep − 1`, `agent` has done `done` errands of `task`.
    pub fn event(&mut self, timestep: u64, agent: usize, task: usize, done: usize) {
        self.events.push((timestep, agent, task, done));
    }

    /// The revealed tasks and the count finished.
    pub fn finish(&mut self, errands: &[Vec<u32>], revealed_at: &[u64], finished: u64) {
        let cell = |l: u32| [l / self.columns, l % self.columns];
        self.tasks = (errands.iter().zip(revealed_at).enumerate())
            .map(|(id, (e, &at))| (id, at, e.iter().flat_map(|&l| cell(l)).collect()))
            .collect();
        self.finished = finished;
    }

    /// The output file.
    pub fn to_output(&self) -> Output {
        let paths: Vec<String> = (0..self.letters.len()).map(|a| self.path(a)).collect();
        let schedule: Vec<String> = (self.schedule.iter())
            .map(|s| s.iter().map(|(t, task)| format!("{t}:{task}")).collect::<Vec<_>>().join(","))
            .collect();
        Output {
            action_model: "MAPF_T".into(),
            version: "2026 LoRR".into(),
            team_size: self.letters.len(),
            start: self.starts.iter().map(|&l| (l / self.columns, l % self.columns, "E".into())).collect(),
            num_task_finished: self.finished,
            makespan: self.letters.first().map_or(self.ticks, |l| l.len() as u64),
            agent_max_counter: self.counter,
            output_segment_size: SEGMENT,
            num_planner_errors: 0,
            num_schedule_errors: 0,
            num_entry_timeouts: 0,
            planner_paths: paths.clone(),
            actual_paths: paths,
            delay_intervals: self.delays.clone(),
            events: self.events.clone(),
            tasks: self.tasks.clone(),
            planner_schedule: schedule.clone(),
            actual_schedule: schedule,
            errors: Vec::new(),
            schedule_errors: Vec::new(),
        }
    }

    /// One agent's path string: `[(t,row,col,ori,counter):(F 3,W 2,…)]…`.
    fn path(&self, agent: usize) -> String {
        let mut s = String::new();
        for (k, chunk) in self.letters[agent].chunks(SEGMENT as usize).enumerate() {
            let (l, o, c) = self.headers[agent].get(k).copied().unwrap_or((self.starts[agent], 0, 0));
            let runs = runs(chunk).map(|(letter, n)| format!("{} {n}", letter as char)).collect::<Vec<_>>();
            s.push_str(&format!(
                "[({},{},{},{o},{c}):({})]",
                k as u64 * SEGMENT,
                l / self.columns,
                l % self.columns,
                runs.join(",")
            ));
        }
        s
    }
}

/// Runs of equal letters: (letter, length).
fn runs(letters: &[u8]) -> impl Iterator<Item = (u8, usize)> + '_ {
    letters.chunk_by(|a, b| a == b).map(|run| (run[0], run.len()))
}
