//! Our own validator of a lifelong run in the League of Robot Runners
//! output format ([`Output`]), independent of whoever produced it (our
//! `bench lifelong`, or the reference): it knows only the problem and the
//! file.
//!
//! It replays every agent from its start under MAPF_T — one letter per
//! tick, a forward move or quarter turn takes `agentCounter` ticks, `W`
//! pauses a move, any other letter continues an unfinished one — and
//! checks that every forward move stays on the map and enters only free
//! cells; that no two agents' unit squares overlap at any instant of any
//! tick (which forbids vertex and swap conflicts and lets a follower enter
//! a cell only as fast as its leader leaves it; exact integer arithmetic in
//! 1/`agentCounter` cell units); that nobody acts inside a delay; and it
//! re-runs the task bookkeeping (the reveal rule, the recorded assignments,
//! errands ticked off in order when an agent stands on its task's next
//! errand at the end of a tick) and compares the events, the tasks list and
//! the finished count with the file's.

use crate::lifelong::Problem;
use crate::lifelong_output::Output;

/// The most error messages kept (all are counted).
pub const MAX_MESSAGES: usize = 100;

/// What the validator found.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// The first errors, in the order found.
    pub errors: Vec<String>,
    /// Errors found in all.
    pub error_count: usize,
    /// Ticks replayed.
    pub ticks: u64,
    /// Tasks finished by the replay.
    pub tasks_finished: u64,
}

impl Verdict {
    /// Whether the run is valid.
    pub fn valid(&self) -> bool {
        self.error_count == 0
    }

    fn err(&mut self, message: String) {
        self.error_count += 1;
        if self.errors.len() < MAX_MESSAGES {
            self.errors.push(message);
        }
    }
}

/// A motion under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Forward,
    Clockwise,
    CounterClockwise,
}

/// One agent in the replay.
#[derive(Clone, Copy, Debug)]
struct Agent {
    row: i64,
    col: i64,
    ori: u8,
    counter: u32,
    kind: Option<Kind>,
}

const DROW: [i64; 4] = [0, 1, 0, -1];
const DCOL: [i64; 4] = [1, 0, -1, 0];

/// Checks `output` against `problem`.
pub fn check(problem: &Problem, output: &Output) -> Verdict {
    let mut v = Verdict::default();
    let n = problem.agents.len();
    let m = problem.agent_counter;
    if output.team_size != n {
        v.err(format!("teamSize {} differs from the problem's {n}", output.team_size));
        return v;
    }
    if output.agent_max_counter != m {
        v.err(format!(
            "agentMaxCounter {} differs from the problem's agentCounter {m}",
            output.agent_max_counter
        ));
    }
    if !output.action_model.is_empty() && output.action_model != "MAPF_T" {
        v.err(format!("actionModel {:?}, expected \"MAPF_T\"", output.action_model));
    }
    let cols = problem.width;
    for (k, s) in output.start.iter().enumerate().take(n) {
        let l = problem.agents[k];
        if (s.0, s.1) != (l / cols, l % cols) {
            v.err(format!(
                "start[{k}] is ({}, {}), the agents file says ({}, {})",
                s.0,
                s.1,
                l / cols,
                l % cols
            ));
        }
    }
    let letters = match parse_paths(problem, output) {
        Ok(letters) => letters,
        Err(e) => {
            v.err(e);
            return v;
        }
    };
    let ticks = letters.first().map_or(0, Vec::len);
    if let Some(k) = letters.iter().position(|l| l.len() != ticks) {
        v.err(format!("actualPaths[{k}] covers {} ticks, agent 0 covers {ticks}", letters[k].len()));
        return v;
    }
    if ticks as u64 > output.makespan {
        v.err(format!("actualPaths cover {ticks} ticks, more than makespan {}", output.makespan));
    }
    v.ticks = ticks as u64;
    check_delays(output, &letters, &mut v);
    let locations = replay(problem, &letters, &mut v);
    check_tasks(problem, output, &locations, &mut v);
    v
}

/// Every agent's letters, from its path string.
fn parse_paths(problem: &Problem, output: &Output) -> Result<Vec<Vec<u8>>, String> {
    let n = problem.agents.len();
    if output.actual_paths.len() != n {
        return Err(format!("actualPaths has {} strings, expected {n}", output.actual_paths.len()));
    }
    let cols = problem.width;
    (output.actual_paths.iter().enumerate())
        .map(|(k, s)| {
            let (letters, first) = parse_path(s).map_err(|e| format!("actualPaths[{k}]: {e}"))?;
            let l = problem.agents[k];
            if let Some(h) = first
                && h != (0, l / cols, l % cols, 0, 0)
            {
                return Err(format!(
                    "actualPaths[{k}]: first segment header {h:?} is not the start state (0, {}, {}, 0, 0)",
                    l / cols,
                    l % cols
                ));
            }
            Ok(letters)
        })
        .collect()
}

/// A segment header: tick, row, column, orientation, counter.
type Header = (u64, u32, u32, u32, u32);

/// A path string's letters and its first header.
fn parse_path(s: &str) -> Result<(Vec<u8>, Option<Header>), String> {
    let mut letters = Vec::new();
    let mut first = None;
    let mut rest = s.trim();
    while !rest.is_empty() {
        let seg = rest.strip_prefix("[(").ok_or_else(|| format!("expected \"[(\" at {:?}", head(rest)))?;
        let (header, body) =
            seg.split_once("):(").ok_or_else(|| format!("no \"):(\" after {:?}", head(seg)))?;
        let (body, after) =
            body.split_once(")]").ok_or_else(|| format!("no \")]\" after {:?}", head(body)))?;
        let fields: Vec<&str> = header.split(',').collect();
        let num = |i: usize| -> Result<u32, String> {
            let f = fields.get(i).map(|f| f.trim()).unwrap_or("");
            f.parse().map_err(|_| {
                format!("segment header {header:?}: field {} is {f:?}, expected a number", i + 1)
            })
        };
        if fields.len() != 5 {
            return Err(format!("segment header {header:?}: expected t,row,col,ori,counter"));
        }
        if first.is_none() {
            first = Some((u64::from(num(0)?), num(1)?, num(2)?, num(3)?, num(4)?));
        }
        for token in body.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (letter, count) = token.split_once(' ').unwrap_or((token, ""));
            let count: usize = count
                .trim()
                .parse()
                .map_err(|_| format!("action run {token:?}: expected a letter and a count"))?;
            let letter = match letter {
                "F" | "R" | "C" | "W" | "T" => letter.as_bytes()[0],
                _ => return Err(format!("action run {token:?}: unknown letter (expected F, R, C, W or T)")),
            };
            if letters.len() + count > 10_000_000 {
                return Err("more than 10,000,000 ticks".into());
            }
            letters.extend(std::iter::repeat_n(letter, count));
        }
        rest = after.trim_start();
    }
    Ok((letters, first))
}

fn head(s: &str) -> String {
    s.chars().take(24).collect()
}

fn check_delays(output: &Output, letters: &[Vec<u8>], v: &mut Verdict) {
    for (k, intervals) in output.delay_intervals.iter().enumerate().take(letters.len()) {
        for &(from, until) in intervals {
            let (from, until) = (from as usize, (until as usize).min(letters[k].len()));
            if let Some(j) = (from..until).find(|&j| letters[k][j] != b'W') {
                v.err(format!(
                    "agent {k} acted ({}) at tick {j} inside its delay [{from}, {until})",
                    letters[k][j] as char
                ));
            }
        }
    }
}

/// Replays every agent, checking moves and footprints; each agent's
/// location after every tick (index 0: the start).
#[expect(clippy::needless_range_loop, reason = "tick j indexes every agent's letters")]
fn replay(problem: &Problem, letters: &[Vec<u8>], v: &mut Verdict) -> Vec<Vec<u32>> {
    let (rows, cols) = (i64::from(problem.height), i64::from(problem.width));
    let m = problem.agent_counter.max(1);
    let mut passable = vec![false; (rows * cols) as usize];
    for l in problem.node_locations() {
        if let Some(p) = passable.get_mut(l as usize) {
            *p = true;
        }
    }
    let n = letters.len();
    let ticks = letters.first().map_or(0, Vec::len);
    let mut agents: Vec<Agent> = (problem.agents.iter())
        .map(|&l| Agent {
            row: i64::from(l) / cols,
            col: i64::from(l) % cols,
            ori: 0,
            counter: 0,
            kind: None,
        })
        .collect();
    let mut locations: Vec<Vec<u32>> = agents.iter().map(|a| vec![(a.row * cols + a.col) as u32]).collect();
    let mut owner: Vec<(u32, u32)> = vec![(u32::MAX, 0); (rows * cols) as usize];
    for (k, a) in agents.iter().enumerate() {
        let cell = (a.row * cols + a.col) as usize;
        if owner[cell].0 == 0 {
            v.err(format!("agents {} and {k} start in the same cell", owner[cell].1));
        }
        owner[cell] = (0, k as u32);
    }
    for j in 0..ticks {
        let before = agents.clone();
        for (k, a) in agents.iter_mut().enumerate() {
            step(a, letters[k][j], m, &passable, cols, rows, k, j, v);
        }
        // Cells each agent's square touches this tick; pairs sharing one are checked exactly.
        let stamp = j as u32 + 1;
        let mut shared: Vec<(usize, usize)> = Vec::new();
        for k in 0..n {
            for cell in covered(&before[k], &agents[k], cols, rows) {
                let o = &mut owner[cell];
                if o.0 == stamp && o.1 as usize != k {
                    shared.push((o.1 as usize, k));
                } else {
                    *o = (stamp, k as u32);
                }
            }
        }
        shared.sort_unstable();
        shared.dedup();
        for (a, b) in shared {
            if overlap(&before[a], &agents[a], &before[b], &agents[b], m) {
                let kind = if (agents[a].row, agents[a].col) == (agents[b].row, agents[b].col) {
                    "vertex conflict: both in one cell"
                } else if (agents[a].row, agents[a].col) == (before[b].row, before[b].col)
                    && (agents[b].row, agents[b].col) == (before[a].row, before[a].col)
                {
                    "swap conflict"
                } else {
                    "their squares overlap"
                };
                v.err(format!(
                    "tick {j}: agents {a} at ({}, {}) and {b} at ({}, {}): {kind}",
                    agents[a].row, agents[a].col, agents[b].row, agents[b].col
                ));
            }
        }
        for (k, a) in agents.iter().enumerate() {
            locations[k].push((a.row * cols + a.col) as u32);
        }
    }
    locations
}

/// One tick of one agent under MAPF_T.
#[expect(clippy::too_many_arguments, reason = "the replay's state, passed down")]
fn step(
    a: &mut Agent,
    letter: u8,
    m: u32,
    passable: &[bool],
    cols: i64,
    rows: i64,
    k: usize,
    j: usize,
    v: &mut Verdict,
) {
    let kind = match (a.kind, letter) {
        (Some(_), b'W') => return,
        (Some(kind), _) => kind,
        (None, b'F') => {
            let (r, c) = (a.row + DROW[a.ori as usize], a.col + DCOL[a.ori as usize]);
            if !(0..rows).contains(&r) || !(0..cols).contains(&c) {
                v.err(format!("agent {k} at tick {j}: moves off the map from ({}, {})", a.row, a.col));
                return;
            }
            if !passable[(r * cols + c) as usize] {
                v.err(format!(
                    "agent {k} at tick {j}: moves from ({}, {}) into the obstacle ({r}, {c})",
                    a.row, a.col
                ));
                return;
            }
            Kind::Forward
        }
        (None, b'R') => Kind::Clockwise,
        (None, b'C') => Kind::CounterClockwise,
        (None, _) => return,
    };
    a.counter += 1;
    a.kind = Some(kind);
    if a.counter < m {
        return;
    }
    a.counter = 0;
    a.kind = None;
    match kind {
        Kind::Forward => {
            a.row += DROW[a.ori as usize];
            a.col += DCOL[a.ori as usize];
        }
        Kind::Clockwise => a.ori = (a.ori + 1) % 4,
        Kind::CounterClockwise => a.ori = (a.ori + 3) % 4,
    }
}

/// The square's top-left corner, in 1/m cell units.
fn corner(a: &Agent, m: u32) -> (i64, i64) {
    let f = if a.kind == Some(Kind::Forward) { i64::from(a.counter) } else { 0 };
    let m = i64::from(m);
    (a.row * m + DROW[a.ori as usize] * f, a.col * m + DCOL[a.ori as usize] * f)
}

/// Cells an agent's square touches during a tick (its cell, and the next
/// one while it moves forward).
fn covered(before: &Agent, after: &Agent, cols: i64, rows: i64) -> Vec<usize> {
    let mut cells = vec![(before.row * cols + before.col) as usize];
    let moving = before.kind == Some(Kind::Forward) || after.kind == Some(Kind::Forward);
    if moving || (after.row, after.col) != (before.row, before.col) {
        let (r, c) = (before.row + DROW[before.ori as usize], before.col + DCOL[before.ori as usize]);
        if (0..rows).contains(&r) && (0..cols).contains(&c) {
            cells.push((r * cols + c) as usize);
        }
    }
    cells
}

/// Whether two unit squares moving linearly over a tick overlap (touching
/// is fine) at some instant: g(t) = min(S − |dx(t)|, S − |dy(t)|) is
/// concave, so its maximum over [0, 1] is at an end or where dx, dy, dx − dy
/// or dx + dy is 0; all such t are rational and tested exactly.
fn overlap(a0: &Agent, a1: &Agent, b0: &Agent, b1: &Agent, m: u32) -> bool {
    let (pa0, pa1, pb0, pb1) = (corner(a0, m), corner(a1, m), corner(b0, m), corner(b1, m));
    let (dy0, dx0) = (pa0.0 - pb0.0, pa0.1 - pb0.1);
    let (dy1, dx1) = (pa1.0 - pb1.0, pa1.1 - pb1.1);
    let s = i64::from(m);
    // t = p / q in [0, 1].
    let mut candidates: Vec<(i64, i64)> = vec![(0, 1), (1, 1)];
    for (c0, c1) in [(dx0, dx1), (dy0, dy1), (dx0 - dy0, dx1 - dy1), (dx0 + dy0, dx1 + dy1)] {
        // c0 + (c1 − c0) t = 0.
        let q = c1 - c0;
        if q != 0 {
            let (p, q) = if q > 0 { (-c0, q) } else { (c0, -q) };
            if (0..=q).contains(&p) {
                candidates.push((p, q));
            }
        }
    }
    candidates.iter().any(|&(p, q)| {
        let x = dx0 * q + (dx1 - dx0) * p;
        let y = dy0 * q + (dy1 - dy0) * p;
        s * q - x.abs() > 0 && s * q - y.abs() > 0
    })
}

/// The task bookkeeping, re-run from the reveal rule and the schedule.
fn check_tasks(problem: &Problem, output: &Output, locations: &[Vec<u32>], v: &mut Verdict) {
    let n = problem.agents.len();
    let pool = problem.pool_size();
    let mut entries: Vec<(i64, usize, i64)> = Vec::new();
    for (a, s) in output.actual_schedule.iter().enumerate().take(n) {
        let items: Vec<&str> = s.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        for (i, item) in items.iter().enumerate() {
            let Some((t, task)) = item
                .split_once(':')
                .and_then(|(t, k)| Some((t.parse::<i64>().ok()?, k.parse::<i64>().ok()?)))
            else {
                v.err(format!("actualSchedule[{a}]: item {item:?}, expected stamp:task"));
                continue;
            };
            // The reference stamps its first assignment with an uninitialised value.
            let t = if i == 0 && !(0..=output.makespan as i64).contains(&t) { -1 } else { t };
            entries.push((t, a, task));
        }
    }
    entries.sort_by_key(|e| e.0);
    let mut errands: Vec<Vec<u32>> = Vec::new();
    let mut revealed_at: Vec<u64> = Vec::new();
    let mut done: Vec<usize> = Vec::new();
    let mut finished_at: Vec<Option<u64>> = Vec::new();
    let mut finished = 0u64;
    let mut held: Vec<Option<usize>> = vec![None; n];
    let mut holder: Vec<Option<usize>> = Vec::new();
    let mut reveal = |at: u64,
                      errands: &mut Vec<Vec<u32>>,
                      done: &mut Vec<usize>,
                      finished_at: &mut Vec<Option<u64>>,
                      holder: &mut Vec<Option<usize>>,
                      finished: u64| {
        while errands.len() < pool + finished as usize && !problem.tasks.is_empty() {
            errands.push(problem.tasks[errands.len() % problem.tasks.len()].clone());
            revealed_at.push(at);
            done.push(0);
            finished_at.push(None);
            holder.push(None);
        }
    };
    reveal(0, &mut errands, &mut done, &mut finished_at, &mut holder, 0);
    let mut events = Vec::new();
    let mut next = 0;
    for j in 0..v.ticks {
        let tau = j + 1;
        let from = next;
        while next < entries.len() && entries[next].0 < tau as i64 {
            next += 1;
        }
        let batch = &entries[from..next];
        // Old holdings go first, so that hand-overs in one batch are legal.
        for &(t, a, task) in batch {
            if let Some(old) = held[a]
                && task != old as i64
            {
                if done[old] > 0 {
                    v.err(format!("agent {a} was moved off task {old} after its first errand (stamp {t})"));
                }
                if holder[old] == Some(a) {
                    holder[old] = None;
                }
                held[a] = None;
            }
        }
        for &(t, a, task) in batch {
            if task < 0 {
                continue;
            }
            let task = task as usize;
            if task >= errands.len() || finished_at[task].is_some() {
                v.err(format!("agent {a} was given task {task}, which is not open (stamp {t})"));
                continue;
            }
            if let Some(h) = holder[task]
                && h != a
                && held[h] == Some(task)
            {
                v.err(format!("task {task} was given to agents {h} and {a} at once (stamp {t})"));
            }
            holder[task] = Some(a);
            held[a] = Some(task);
        }
        let mut any = false;
        for a in 0..n {
            let Some(task) = held[a] else { continue };
            if errands[task].get(done[task]) != Some(&locations[a][j as usize + 1]) {
                continue;
            }
            done[task] += 1;
            events.push((tau, a, task, done[task]));
            if done[task] == errands[task].len() {
                held[a] = None;
                holder[task] = None;
                finished_at[task] = Some(tau);
                finished += 1;
                any = true;
            }
        }
        if any {
            reveal(tau, &mut errands, &mut done, &mut finished_at, &mut holder, finished);
        }
    }
    v.tasks_finished = finished;
    if output.num_task_finished != finished {
        v.err(format!("numTaskFinished is {} but the replay finishes {finished}", output.num_task_finished));
    }
    if let Some(i) =
        (0..events.len().max(output.events.len())).find(|&i| events.get(i) != output.events.get(i))
    {
        v.err(format!(
            "events differ from the replay at entry {i}: the file has {:?}, the replay {:?}",
            output.events.get(i),
            events.get(i)
        ));
    }
    let cols = problem.width;
    for (id, at, cells) in &output.tasks {
        let at = *at;
        let want: Option<Vec<u32>> =
            errands.get(*id).map(|e| e.iter().flat_map(|&l| [l / cols, l % cols]).collect());
        if want.as_ref() != Some(cells) || revealed_at.get(*id) != Some(&at) {
            v.err(format!(
                "tasks: task {id} revealed at {at} with {cells:?} is not what the reveal rule gives"
            ));
            break;
        }
    }
}
