//! Every scenario in `scenarios/`: it runs, it is deterministic (two runs,
//! the same report bytes, and the same bytes as the committed golden hash:
//! across processes, commits and machines), the independent safety check
//! over its trace finds no overlap, no order is lost, and every expectation
//! holds — in full where the scenario is short enough for CI, else in its
//! `[ci]` variant with that variant's own expectations.

use std::path::{Path, PathBuf};

use sim::engine::RunOptions;
use sim::golden::{Golden, Variant};
use sim::report::overlaps;
use sim::run_cmd::run_file;

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// CI budget: scenarios up to this long (simulated seconds × vehicles) run in full.
const FULL_RUN_BUDGET: f64 = 2_400.0 * 8.0;

#[test]
fn there_are_at_least_eight_scenarios() {
    assert!(scenarios().len() >= 8, "{:?}", scenarios());
}

#[test]
fn every_scenario_is_deterministic_safe_and_meets_its_expectations() {
    let golden = Golden::load(&Golden::path_for(&scenarios()[0])).unwrap();
    let mut drifted = Vec::new();
    for file in scenarios() {
        let loaded = sim::scenario::load(&file).unwrap();
        let size =
            loaded.scenario.duration_s * loaded.scenario.fleet.iter().map(|g| g.count).sum::<usize>() as f64;
        let full = size <= FULL_RUN_BUDGET;
        assert!(
            full || loaded.scenario.ci.is_some(),
            "{}: too long for CI in full ({size} vehicle-seconds); give it a [ci] variant",
            file.display()
        );
        let options = RunOptions { ci: !full, ..RunOptions::default() };
        let a = run_file(&file, &options, false).unwrap();
        let b = run_file(&file, &options, false).unwrap();
        let name = file.display();
        assert_eq!(a.sha256, b.sha256, "{name}: two runs, two reports");
        let variant = if full { Variant::Full } else { Variant::Ci };
        if golden.get(&file, variant) != Some(&a.sha256) {
            drifted.push(format!(
                "{name} ({variant:?}): {} now, {:?} committed",
                a.sha256,
                golden.get(&file, variant)
            ));
        }
        assert_eq!(a.outcome.events, b.outcome.events, "{name}: two runs, two event logs");
        let m = &a.outcome.metrics;
        // Every vehicle's own oriented body (and trailers) in every frame.
        let bodies_ok =
            a.outcome.trace.iter().flat_map(|f| &f.vehicles).all(|v| v.length > 0.0 && v.width > 0.0);
        assert!(bodies_ok, "{name}: a trace point without a body");
        let bad: Vec<_> = a.outcome.trace.iter().filter(|f| !overlaps(f).is_empty()).map(|f| f.t).collect();
        assert!(bad.is_empty(), "{name}: footprints overlap at {bad:?}");
        assert_eq!(m.collisions, 0, "{name}");
        let contradicted: Vec<_> =
            a.outcome.events.iter().filter(|e| e.contains("factsheet-mismatch")).collect();
        assert!(contradicted.is_empty(), "{name}: factsheets contradict the fleet: {contradicted:?}");
        assert_eq!(m.lost, 0, "{name}: lost orders");
        assert!(m.submitted > 0, "{name}: no orders");
        let failed: Vec<_> = m.expectations.iter().filter(|v| !v.pass).collect();
        assert!(failed.is_empty(), "{name}: {failed:?}");
        assert!(!m.expectations.is_empty(), "{name}: no expectation checked");
    }
    assert!(
        drifted.is_empty(),
        "report hashes differ from scenarios/golden.json:\n{}\nIf the change is intended, re-mint them: \
         `cargo run --release -p sim -- run --bless scenarios/*.toml` and \
         `cargo run --release -p sim -- run --ci --bless scenarios/grid-warehouse-200.toml`",
        drifted.join("\n")
    );
}

#[test]
fn the_report_folder_has_the_json_the_events_and_a_replay_page() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/orchestrator-restart.toml");
    let options = RunOptions { duration_scale: 0.4, ..RunOptions::default() };
    let result = run_file(&file, &options, false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let loaded = sim::scenario::load(&file).unwrap();
    sim::run_cmd::write_report(dir.path(), &result, &loaded.layout_path).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    for key in [
        "delivered",
        "throughput_per_hour",
        "latency_s",
        "per_vehicle",
        "collisions",
        "expectations",
        "events_sha256",
    ] {
        assert!(report.get(key).is_some(), "report.json lacks {key}");
    }
    assert!(report["notes"].to_string().contains("orchestrator restarted"), "{}", report["notes"]);
    let html = std::fs::read_to_string(dir.path().join("replay.html")).unwrap();
    // The dashboard's page with the run in it (tests/browser plays it in Chromium).
    for needle in [
        "<canvas id=\"map\"",
        "<script id=\"replay-data\" type=\"application/json\">{",
        "\"frames\":[{\"at\":0,",
        "\"event\":\"order-accepted\"",
        "id=\"slider\"",
        "id=\"plot-throughput\"",
        "id=\"plot-queue\"",
        "\"yardmaster/app.js\":\"data:text/javascript;base64,",
        "QA-VISION-1",
    ] {
        assert!(html.contains(needle), "replay.html lacks {needle}");
    }
    assert!(!html.contains("http://") && !html.contains("https://"), "no network");
    let trace = dir.path().join("trace.jsonl");
    sim::run_cmd::write_trace(&trace, &result).unwrap();
    let first = std::fs::read_to_string(&trace).unwrap();
    let line: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(line["t"], 0);
    assert!(line["vehicles"][0]["x"].is_f64() && line["vehicles"][0]["theta"].is_f64());
}
