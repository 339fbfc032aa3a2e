//! The League of Robot Runners problem format: the competition's example
//! problems load (reference data), and a corpus of malformed problems —
//! each one mistake in an otherwise good problem — gets an error naming the
//! file, the place, the value and what was expected; random bytes in the
//! agents and tasks files never panic.

use std::path::Path;

use proptest::prelude::*;

const MAP: &str = "type octile\nheight 3\nwidth 4\nmap\n..E.\n.@S.\n....\n";
const PROBLEM: &str = r#"{
    "mapFile": "grid.map", "agentFile": "a.agents", "teamSize": 2, "taskFile": "t.tasks",
    "numTasksReveal": 1.5, "agentCounter": 3, "agentSize": 1.0,
    "delayConfig": {"seed": 0, "minDelay": 1, "maxDelay": 4, "eventModel": "bernoulli", "pDelay": 0.01,
                    "durationModel": "uniform", "gaussMeanRatio": 0.5, "gaussStdRatio": 0.22}
}"#;
const AGENTS: &str = "# version for LoRR 2026\n3\n0\n11\n3\n";
const TASKS: &str = "# version for LoRR 2026\n2\n2,6,8\n9\n";

/// Writes a problem folder with the given files (`None`: the good one).
fn write(dir: &Path, problem: &str, map: &str, agents: &str, tasks: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("grid.map"), map).unwrap();
    std::fs::write(dir.join("a.agents"), agents).unwrap();
    std::fs::write(dir.join("t.tasks"), tasks).unwrap();
    let path = dir.join("p.json");
    std::fs::write(&path, problem).unwrap();
    path
}

#[test]
fn a_good_problem_loads_with_its_team_tasks_and_pool() {
    let dir = tempfile::tempdir().unwrap();
    let p = sim::lifelong::load(&write(dir.path(), PROBLEM, MAP, AGENTS, TASKS)).unwrap();
    assert_eq!((p.width, p.height), (4, 3));
    assert_eq!(p.agents, vec![0, 11], "the first teamSize agents");
    assert_eq!(p.tasks, vec![vec![2, 6, 8], vec![9]]);
    assert_eq!(p.pool_size(), 3);
    assert_eq!(p.agent_counter, 3);
    // E and S are passable; location 6 is row 1, column 2 (the S).
    assert_eq!(p.map.node(p.node(6).unwrap()).id, "2,1");
    assert_eq!(p.map.node(p.node(2).unwrap()).id, "2,0");
}

#[test]
fn malformed_problems_name_the_file_the_place_the_value_and_what_was_expected() {
    let cases: &[(&str, &str, &str, &str, &[&str])] = &[
        (
            &PROBLEM.replace("\"teamSize\": 2", "\"teamSize\": 0"),
            AGENTS,
            TASKS,
            MAP,
            &["p.json", "$.teamSize", "found 0"],
        ),
        (
            &PROBLEM.replace("\"teamSize\": 2", "\"teamSize\": 9"),
            AGENTS,
            TASKS,
            MAP,
            &["$.teamSize", "at most the 3 agents"],
        ),
        (
            &PROBLEM.replace("\"teamSize\": 2", "\"teamSize\": \"two\""),
            AGENTS,
            TASKS,
            MAP,
            &["$.teamSize", "invalid type"],
        ),
        (
            &PROBLEM.replace("\"agentCounter\": 3", "\"agentCounter\": 0"),
            AGENTS,
            TASKS,
            MAP,
            &["$.agentCounter", "found 0"],
        ),
        (&PROBLEM.replace("1.5", "-1"), AGENTS, TASKS, MAP, &["$.numTasksReveal", "found -1"]),
        (
            &PROBLEM.replace("\"bernoulli\"", "\"sometimes\""),
            AGENTS,
            TASKS,
            MAP,
            &["$.delayConfig.eventModel", "sometimes"],
        ),
        (
            &PROBLEM.replace("\"minDelay\": 1", "\"minDelay\": 9"),
            AGENTS,
            TASKS,
            MAP,
            &["$.delayConfig.minDelay", "maxDelay 4"],
        ),
        (
            &PROBLEM.replace("\"pDelay\": 0.01", "\"pDelay\": 2"),
            AGENTS,
            TASKS,
            MAP,
            &["$.delayConfig.pDelay", "found 2"],
        ),
        (&PROBLEM.replace("\"mapFile\": \"grid.map\",", ""), AGENTS, TASKS, MAP, &["p.json", "mapFile"]),
        ("{ not json", AGENTS, TASKS, MAP, &["p.json", "key must be a string"]),
        (PROBLEM, "# c\n3\n0\n11\n", TASKS, MAP, &["a.agents", "2 lines of agents", "3, as line 2 says"]),
        (PROBLEM, "# c\nthree\n0\n", TASKS, MAP, &["a.agents:2", "\"three\"", "number of agents"]),
        (PROBLEM, "# c\n2\n0\nx7\n", TASKS, MAP, &["a.agents:4", "\"x7\"", "a location"]),
        (PROBLEM, "# c\n2\n0\n12\n", TASKS, MAP, &["a.agents:4", "location 12", "below 12"]),
        (PROBLEM, "# c\n2\n0\n5\n", TASKS, MAP, &["a.agents:4", "blocked cell", "passable"]),
        (PROBLEM, AGENTS, "# c\n1\n2,,8\n", MAP, &["t.tasks:3", "\"\"", "a location"]),
        (PROBLEM, AGENTS, "# c\n1\n2,999\n", MAP, &["t.tasks:3", "location 999"]),
        (PROBLEM, AGENTS, "# c\n0\n", MAP, &["t.tasks", "no task"]),
        (PROBLEM, AGENTS, "", MAP, &["t.tasks:1", "an empty file"]),
        (
            PROBLEM,
            AGENTS,
            TASKS,
            "type octile\nheight 3\nwidth 4\nmap\n..Q.\n....\n....\n",
            &["grid.map", "'Q'"],
        ),
    ];
    for (problem, agents, tasks, map, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), problem, map, agents, tasks);
        let err = match sim::lifelong::load(&path) {
            Ok(_) => panic!("accepted a malformed problem; expected an error with {expected:?}"),
            Err(e) => e.to_string(),
        };
        for part in *expected {
            assert!(err.contains(part), "{err:?} should contain {part:?}");
        }
    }
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), PROBLEM, MAP, AGENTS, TASKS);
    std::fs::remove_file(dir.path().join("t.tasks")).unwrap();
    let err = sim::lifelong::load(&path).unwrap_err().to_string();
    assert!(err.contains("t.tasks") && err.contains("cannot read"), "{err}");
}

#[test]
fn the_competitions_examples_load() {
    let rows: &[(&str, usize, usize)] = &[
        ("maze.domain/maze-example_40.json", 40, 160),
        ("room.domain/room-example_150.json", 150, 1_375),
        ("random.domain/random-example_400.json", 400, 3_200),
        ("city.domain/bos-example_600.json", 600, 3_600),
        ("warehouse.domain/fulfill-example_2500.json", 2_500, 22_500),
    ];
    for (file, agents, tasks) in rows {
        let Some(path) = tests::reference(&format!("bench/lifelong/{file}"), "LoRR example problems") else {
            return;
        };
        let p = sim::lifelong::load(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((p.agents.len(), p.tasks.len()), (*agents, *tasks), "{file}");
        assert!(p.tasks.iter().all(|t| !t.is_empty()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_agents_and_tasks_files_never_panic(
        agents in proptest::collection::vec(any::<u8>(), 0..200),
        tasks in "[#0-9,\\n -]{0,200}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("grid.map"), MAP).unwrap();
        std::fs::write(dir.path().join("a.agents"), &agents).unwrap();
        std::fs::write(dir.path().join("t.tasks"), &tasks).unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, PROBLEM).unwrap();
        let _ = sim::lifelong::load(&path);
    }
}
