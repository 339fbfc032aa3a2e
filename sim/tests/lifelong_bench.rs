//! `bench lifelong` end to end on the competition's maze problem: the run
//! finishes tasks, our validator and the reference's `validate.py` both
//! accept it in the exact mode, and the same seed gives the same bytes.

use std::path::PathBuf;

use sim::lifelong_run::{LifelongRun, run_lifelong};

fn maze() -> Option<PathBuf> {
    tests::reference("bench/lifelong/maze.domain/maze-example_40.json", "bench lifelong on the maze problem")
}

fn run(problem: PathBuf, ticks: u64, seed: Option<u64>) -> (sim::lifelong_run::LifelongResult, String) {
    let (result, output) =
        run_lifelong(&LifelongRun { problem, ticks, seed, progress: false, grain: None }).unwrap();
    (result, serde_json::to_string(&output).unwrap())
}

#[test]
fn a_maze_run_finishes_tasks_validly_and_deterministically() {
    let Some(problem) = maze() else { return };
    let (result, bytes) = run(problem.clone(), 400, None);
    assert!(result.valid, "{:?}", result.errors);
    assert!(result.tasks_finished >= 10, "{result:?}");
    assert!(result.orders_delivered <= result.tasks_finished + 40);
    let (again, bytes_again) = run(problem.clone(), 400, None);
    assert_eq!(bytes, bytes_again, "same problem and seed, same output");
    assert_eq!(result.tasks_finished, again.tasks_finished);
    let (_, other) = run(problem, 400, Some(99));
    assert_ne!(bytes, other, "another delay seed, another run");
}

#[test]
fn the_reference_validator_accepts_our_output_in_its_exact_mode() {
    let Some(problem) = maze() else { return };
    let Some(validate) =
        tests::reference("bench/lifelong/reference/validate.py", "the reference's validator")
    else {
        return;
    };
    let (result, bytes) = run(problem.clone(), 300, None);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    std::fs::write(&out, bytes).unwrap();
    let python = std::process::Command::new("python3").arg(&validate).arg(&problem).arg(&out).output();
    let Ok(output) = python else {
        panic!("python3 is needed to run the reference's validate.py");
    };
    let line = String::from_utf8_lossy(&output.stdout);
    let verdict: serde_json::Value =
        serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(verdict["valid"], true, "{line}");
    assert_eq!(verdict["mode"], "exact", "{line}");
    assert_eq!(verdict["tasks_finished_checked"], result.tasks_finished, "{line}");
}
