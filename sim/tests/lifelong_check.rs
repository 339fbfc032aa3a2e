//! Our lifelong validator on hand-made runs of a tiny problem: each
//! corrupted run — an agent walked into a resting neighbour, a follower
//! faster than its leader, a swap, an obstacle, the map's edge, an action
//! inside a delay, an inflated count, an event given to the wrong agent, a
//! task taken after its first errand — is rejected with a message naming
//! it, and legal runs (waiting, follow-the-leader, a finished task) pass.

use std::path::Path;

use sim::lifelong_check::check;
use sim::lifelong_output::Output;

// Two rows, five columns; (1, 2) is an obstacle.
const MAP: &str = "type octile\nheight 2\nwidth 5\nmap\n.....\n..@..\n";
const PROBLEM: &str = r#"{
    "mapFile": "m.map", "agentFile": "a.agents", "teamSize": 2, "taskFile": "t.tasks",
    "numTasksReveal": 1.0, "agentCounter": 2, "agentSize": 1.0,
    "delayConfig": {"seed": 0, "minDelay": 1, "maxDelay": 2, "eventModel": "bernoulli", "pDelay": 0.0,
                    "durationModel": "uniform"}
}"#;
// Agents at (0, 0) and (0, 1); task 0 goes to (0, 3), task 1 to (1, 0) then (1, 1).
const AGENTS: &str = "#\n2\n0\n1\n";
const TASKS: &str = "#\n2\n3\n5,6\n";

fn problem(dir: &Path) -> sim::lifelong::Problem {
    std::fs::write(dir.join("m.map"), MAP).unwrap();
    std::fs::write(dir.join("a.agents"), AGENTS).unwrap();
    std::fs::write(dir.join("t.tasks"), TASKS).unwrap();
    std::fs::write(dir.join("p.json"), PROBLEM).unwrap();
    sim::lifelong::load(&dir.join("p.json")).unwrap()
}

/// A path string from the start `(row, col)` and one letter per tick.
fn path(row: u32, col: u32, letters: &str) -> String {
    let runs: Vec<String> =
        letters.as_bytes().chunk_by(|a, b| a == b).map(|r| format!("{} {}", r[0] as char, r.len())).collect();
    format!("[(0,{row},{col},0,0):({})]", runs.join(","))
}

/// A run where agent 0 does `a` and agent 1 does `b` (same length), no tasks assigned.
fn run(a: &str, b: &str) -> Output {
    Output {
        action_model: "MAPF_T".into(),
        team_size: 2,
        start: vec![(0, 0, "E".into()), (0, 1, "E".into())],
        makespan: a.len() as u64,
        agent_max_counter: 2,
        actual_paths: vec![path(0, 0, a), path(0, 1, b)],
        actual_schedule: vec![String::new(), String::new()],
        tasks: vec![(0, 0, vec![0, 3]), (1, 0, vec![1, 0, 1, 1])],
        ..Output::default()
    }
}

fn errors(p: &sim::lifelong::Problem, o: &Output) -> String {
    let v = check(p, o);
    v.errors.join("\n")
}

#[test]
fn legal_runs_pass() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    assert_eq!(errors(&p, &run("WWWW", "WWWW")), "");
    // Follow the leader: both move east together, squares only touching.
    assert_eq!(errors(&p, &run("FFFF", "FFFF")), "");
    // The follower starts a tick after its leader: never closer than touching.
    assert_eq!(errors(&p, &run("WFFF", "FFFF")), "");
    // A move paused by a wait, then finished.
    assert_eq!(errors(&p, &run("WWWW", "FWWF")), "");
}

#[test]
fn collisions_are_found_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    // Agent 0 walks into agent 1, which rests.
    let e = errors(&p, &run("FFWW", "WWWW"));
    assert!(e.contains("vertex conflict") || e.contains("overlap"), "{e}");
    // A follower faster than its leader: it starts first.
    let e = errors(&p, &run("FFFF", "WFFF"));
    assert!(e.contains("overlap"), "{e}");
    // Agent 1 turns round (two clockwise quarter turns) and the two swap cells.
    let e = errors(&p, &run("WWWWFF", "RRRRFF"));
    assert!(e.contains("swap") || e.contains("vertex") || e.contains("overlap"), "{e}");
}

#[test]
fn moves_into_obstacles_or_off_the_map_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    // Agent 1 east to (0, 2), turns south, into the obstacle (1, 2).
    let e = errors(&p, &run("WWWWWW", "FFRRFF"));
    assert!(e.contains("obstacle (1, 2)"), "{e}");
    // Agent 0 turns north and drives off the map.
    let e = errors(&p, &run("CCFF", "WWWW"));
    assert!(e.contains("off the map"), "{e}");
}

#[test]
fn actions_inside_a_delay_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    let mut o = run("WWWW", "FFWW");
    o.delay_intervals = vec![vec![], vec![(1, 3)]];
    let e = errors(&p, &o);
    assert!(e.contains("agent 1 acted (F) at tick 1 inside its delay"), "{e}");
    o.actual_paths[1] = path(0, 1, "FWWF");
    assert_eq!(errors(&p, &o), "", "a move paused through the delay is fine");
}

#[test]
fn tasks_are_recounted_from_the_schedule_and_the_positions() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    // Agent 1 takes task 0 (errand (0, 3)) before tick 0 and drives east two cells.
    let mut o = run("WWWWW", "FFFFW");
    o.actual_schedule = vec![String::new(), "0:0".into()];
    o.num_task_finished = 1;
    o.events = vec![(4, 1, 0, 1)];
    // Task 0 finished at 4, so task 2 (line 0 again) is revealed then.
    o.tasks.push((2, 4, vec![0, 3]));
    assert_eq!(errors(&p, &o), "");

    let mut inflated = o.clone();
    inflated.num_task_finished = 2;
    assert!(errors(&p, &inflated).contains("numTaskFinished is 2 but the replay finishes 1"));

    let mut moved = o.clone();
    moved.events = vec![(4, 0, 0, 1)];
    assert!(errors(&p, &moved).contains("events differ from the replay at entry 0"));

    let mut unclaimed = o.clone();
    unclaimed.events.clear();
    assert!(errors(&p, &unclaimed).contains("events differ"));

    let mut bad_reveal = o.clone();
    bad_reveal.tasks[2].1 = 3;
    assert!(errors(&p, &bad_reveal).contains("reveal rule"));

    // Agent 1 holds task 1, stands on its first errand (1, 0)? It cannot
    // reach it here; instead give agent 0 task 1: its first errand is
    // (1, 0), one move south; then take the task from it.
    let mut taken = run("RRFFWW", "WWWWWW");
    taken.actual_schedule = vec!["0:1,5:0".into(), String::new()];
    taken.events = vec![(4, 0, 1, 1)];
    let e = errors(&p, &taken);
    assert!(e.contains("agent 0 was moved off task 1 after its first errand"), "{e}");

    let mut twice = run("WWWW", "WWWW");
    twice.actual_schedule = vec!["0:1".into(), "0:1".into()];
    assert!(errors(&p, &twice).contains("task 1 was given to agents 0 and 1 at once"));

    let mut closed = run("WWWW", "WWWW");
    closed.actual_schedule = vec!["0:7".into(), String::new()];
    assert!(errors(&p, &closed).contains("task 7, which is not open"));
}

#[test]
fn malformed_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    let mut o = run("WW", "WW");
    o.actual_paths[1] = "[(0,0,1,0,0):(X 2)]".into();
    assert!(errors(&p, &o).contains("actualPaths[1]: action run \"X 2\": unknown letter"));
    o.actual_paths[1] = "[(0,0,1,0,0):(W two)]".into();
    assert!(errors(&p, &o).contains("expected a letter and a count"));
    o.actual_paths[1] = "[(0,0,3,0,0):(W 2)]".into();
    assert!(errors(&p, &o).contains("is not the start state"));
    o.actual_paths[1] = "garbage".into();
    assert!(errors(&p, &o).contains("actualPaths[1]"));
    o.actual_paths[1] = path(0, 1, "WWW");
    assert!(errors(&p, &o).contains("covers 3 ticks"));
    o.actual_paths.pop();
    assert!(errors(&p, &o).contains("expected 2"));
    let mut o = run("WW", "WW");
    o.actual_schedule[0] = "zero:one".into();
    assert!(errors(&p, &o).contains("expected stamp:task"));
}

proptest::proptest! {
    /// Whatever an output file holds, the validator answers (an error or a
    /// verdict) and never panics: random path strings, schedules, events.
    #[test]
    fn arbitrary_outputs_never_panic(
        a in "[\\[\\]():,0-9FRCWTX -]{0,60}",
        b in "[FRCW]{0,12}",
        schedule in "[0-9:,-]{0,12}",
        events in proptest::collection::vec((0u64..20, 0usize..3, 0usize..5, 0usize..4), 0..4),
        claimed in 0u64..3,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = problem(dir.path());
        let mut o = run(&b, &b);
        o.actual_paths[0] = a;
        o.actual_schedule[1] = schedule;
        o.events = events;
        o.num_task_finished = claimed;
        o.delay_intervals = vec![vec![(3, 1)], vec![(0, 100)]];
        let _ = check(&p, &o);
    }
}
