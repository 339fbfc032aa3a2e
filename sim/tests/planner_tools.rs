//! The planner's tools: scenario variants (`extends`, `[set]`, `--set`),
//! `yard-sim sweep`, `yard-sim compare`, and the outputs for other tools —
//! JUnit XML checked against the Jenkins xUnit schema by Python's
//! `xmlschema`, and the OCEL 2.0 log checked against the standard's JSON
//! schema and loaded by `pm4py`, its counts matched with the report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sim::engine::RunOptions;
use sim::run_cmd::{run_file, run_file_with};
use sim::scenario::load_with;
use sim::sweep::{SweepSpec, run_sweep};
use sim::variants::Override;

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn sets(list: &[&str]) -> Vec<Override> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

fn short() -> RunOptions {
    RunOptions { keep_trace: false, ..RunOptions::default() }
}

#[test]
fn a_scenario_extends_its_base_and_layout_stays_relative_to_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let base = scenarios().join("line-side-supply.toml");
    std::fs::create_dir(dir.path().join("variants")).unwrap();
    let child = dir.path().join("variants/faster.toml");
    let text = format!(
        "extends = {:?}\nname = \"Faster line\"\n[expect]\nmin_delivered = 1\n[set]\n\"flows[0].per_hour\" = 30\n\"fleet[0].count\" = 3\n",
        base.display().to_string()
    );
    std::fs::write(&child, text).unwrap();
    let loaded = load_with(&child, &sets(&["flows[1].per_hour=5"])).unwrap();
    let s = &loaded.scenario;
    assert_eq!(s.name, "Faster line");
    assert_eq!((s.flows[0].per_hour, s.flows[1].per_hour), (30.0, 5.0));
    assert_eq!(s.fleet[0].count, 3);
    assert_eq!(s.expect.min_delivered, Some(1));
    // The other expectations come from the base; its layout from its folder.
    assert_eq!(s.expect.max_collisions, Some(0));
    assert!(loaded.layout_path.is_file(), "{}", loaded.layout_path.display());
    assert_eq!(s.duration_s, 1800.0);
}

#[test]
fn bad_variants_name_the_file_the_key_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let base = scenarios().join("line-side-supply.toml").display().to_string();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    write("a.toml", "extends = \"b.toml\"\n");
    write("b.toml", "extends = \"a.toml\"\n");
    let cases: Vec<(PathBuf, Vec<Override>, &str)> = vec![
        (dir.path().join("a.toml"), vec![], "leads back"),
        (write("missing.toml", "extends = \"nowhere.toml\"\n"), vec![], "nowhere.toml"),
        (
            write("typed.toml", &format!("extends = {base:?}\n[set]\n\"fleet[0].count\" = \"many\"\n")),
            vec![],
            "fleet[0].count",
        ),
        (
            write("past.toml", &format!("extends = {base:?}\n[set]\n\"flows[7].per_hour\" = 1\n")),
            vec![],
            "has 2 entries",
        ),
        (
            write("unknown.toml", &format!("extends = {base:?}\ncolour = \"red\"\n")),
            vec![],
            "unknown field `colour`",
        ),
        (write("ext.toml", "extends = 3\n"), vec![], "expected a file name"),
        (write("syntax.toml", "extends = \n"), vec![], "syntax.toml:1:"),
        (
            write("plain.toml", &format!("extends = {base:?}\n")),
            sets(&["fleet[0].count=-2"]),
            "fleet[0].count",
        ),
        (dir.path().join("plain.toml"), sets(&["duration_s=-1"]), "found -1"),
        (dir.path().join("plain.toml"), sets(&["fleet.count=1"]), "applied to an array"),
    ];
    for (file, overrides, what) in cases {
        let err = load_with(&file, &overrides).unwrap_err().to_string();
        assert!(err.contains(what), "{}: {err:?} should say {what:?}", file.display());
    }
}

#[test]
fn set_changes_the_run_and_closed_nodes_cost_flow() {
    let file = scenarios().join("line-side-supply.toml");
    let plain = run_file(&file, &short(), false).unwrap();
    let two = run_file_with(&file, &short(), &sets(&["fleet[0].count=2"]), false).unwrap();
    assert_eq!(two.outcome.metrics.vehicles, 2);
    assert!(two.outcome.metrics.delivered < plain.outcome.metrics.delivered);
    assert_ne!(two.sha256, plain.sha256);
    let unknown = run_file_with(&file, &short(), &sets(&["closed_nodes=[\"NO-SUCH-NODE\"]"]), false);
    let err = format!("{:#}", unknown.err().unwrap());
    assert!(err.contains("closed_nodes") && err.contains("NO-SUCH-NODE"), "{err}");
}

#[test]
fn a_sweep_is_the_same_whatever_the_workers_and_each_point_is_a_plain_run() {
    let file = scenarios().join("line-side-supply.toml");
    let loaded = load_with(&file, &sets(&["duration_s=900"])).unwrap();
    let spec = SweepSpec {
        fleet: vec![1, 4],
        rates: vec![0.5, 1.0],
        seeds: 2,
        group: None,
        ci: false,
        jobs: 1,
        progress: false,
    };
    let one = run_sweep(&loaded, &spec).unwrap();
    let two = run_sweep(&loaded, &SweepSpec { jobs: 2, ..spec }).unwrap();
    assert_eq!(one, two);
    assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&two).unwrap());
    assert_eq!(one.points.len(), 8);
    assert_eq!(one.seeds, vec![7, 8]);
    // A point is the scenario's variant run on its own: same report bytes.
    let p = one.points.iter().find(|p| p.fleet == 4 && p.rate_scale == 1.0 && p.seed == 8).unwrap();
    let alone =
        run_file_with(&file, &short(), &sets(&["duration_s=900", "fleet[0].count=4", "seed=8"]), false)
            .unwrap();
    let m = &alone.outcome.metrics;
    assert_eq!((p.delivered, p.deadlocks), (m.delivered, m.deadlocks));
    // More vehicles deliver more at the full rate; one vehicle cannot keep up.
    let delivered = |f: usize, r: f64| {
        one.points.iter().filter(|p| p.fleet == f && p.rate_scale == r).map(|p| p.delivered).sum::<u64>()
    };
    assert!(delivered(4, 1.0) > delivered(1, 1.0), "{:?}", one.points);
    let dir = tempfile::tempdir().unwrap();
    sim::sweep_report::write(dir.path(), &one).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 9, "{csv}");
    let html = std::fs::read_to_string(dir.path().join("sweep.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 4, "four plots");
    assert!(html.contains("rate ×0.5") && html.contains("Throughput"));
    let again: sim::sweep::Sweep =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("sweep.json")).unwrap()).unwrap();
    assert_eq!(again, one);
}

#[test]
fn compare_finds_regressions_flips_and_bad_input() {
    let file = scenarios().join("line-side-supply.toml");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, result: &sim::run_cmd::RunResult| {
        let d = dir.path().join(name).join("line-side-supply");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("report.json"), &result.report).unwrap();
    };
    let base = run_file(&file, &short(), false).unwrap();
    let worse = run_file_with(&file, &short(), &sets(&["fleet[0].count=2"]), false).unwrap();
    write("base", &base);
    write("same", &base);
    write("worse", &worse);
    let same = sim::compare::compare(&dir.path().join("base"), &dir.path().join("same"), 0.05).unwrap();
    assert!(!same.regressed() && same.flips.is_empty() && !same.changes.is_empty());
    let c = sim::compare::compare(&dir.path().join("base"), &dir.path().join("worse"), 0.05).unwrap();
    assert!(c.regressed());
    let delivered = c.changes.iter().find(|c| c.figure == "delivered").unwrap();
    assert!(delivered.regression && delivered.ratio.unwrap() < 1.0);
    assert!(c.flips.iter().any(|f| f.was && f.expectation == "min_delivered"), "{:?}", c.flips);
    let md = c.markdown(0.05);
    assert!(md.contains("REGRESSION") && md.contains("now FAILS"), "{md}");
    // Worse → base: deliveries and latency improve, the expectation passes again.
    let back = sim::compare::compare(&dir.path().join("worse"), &dir.path().join("base"), 0.05).unwrap();
    let improved = |f: &str| back.changes.iter().any(|c| c.figure == f && c.improvement);
    assert!(improved("delivered") && improved("p95_latency_s"), "{:?}", back.changes);
    assert!(back.flips.iter().any(|f| !f.was && f.expectation == "min_delivered"), "{:?}", back.flips);
    // Bad input says which file and what.
    std::fs::create_dir_all(dir.path().join("broken/x")).unwrap();
    std::fs::write(dir.path().join("broken/x/report.json"), "{ not json").unwrap();
    let err = sim::compare::compare(&dir.path().join("base"), &dir.path().join("broken"), 0.05)
        .unwrap_err()
        .to_string();
    assert!(err.contains("report.json") && err.contains("line 1"), "{err}");
    let err = sim::compare::compare(&dir.path().join("base"), &dir.path().join("nothing"), 0.05)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no such file"), "{err}");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = sim::compare::compare(&dir.path().join("base"), &empty, 0.05).unwrap_err().to_string();
    assert!(err.contains("no report.json"), "{err}");
}

fn case_run(file: &Path, overrides: &[&str]) -> sim::ci_report::CaseRun {
    let r = run_file_with(file, &short(), &sets(overrides), false).unwrap();
    sim::ci_report::CaseRun {
        file: file.display().to_string(),
        metrics: r.outcome.metrics,
        sha256: r.sha256,
        wall_s: 0.25,
        determinism: Some(None),
    }
}

#[test]
fn junit_validates_against_the_jenkins_schema_and_says_what_failed() {
    let file = scenarios().join("line-side-supply.toml");
    let runs = vec![
        case_run(&file, &[]),
        case_run(&file, &["expect.min_delivered=1000", "name=\"Too hopeful <&>\""]),
    ];
    let xml = sim::ci_report::junit(&runs).unwrap();
    assert!(xml.contains("min_delivered: expected at least 1000, got"), "{xml}");
    assert!(xml.contains("Too hopeful &lt;&amp;&gt;"), "names are escaped: {xml}");
    let failures = runs.iter().flat_map(|r| &r.metrics.expectations).filter(|v| !v.pass).count();
    assert_eq!(failures, 1);
    assert!(xml.contains(&format!("failures=\"{failures}\"")));
    let md = sim::ci_report::summary_md(&runs);
    assert!(md.contains("1 of 2 scenarios passed") && md.contains("expected at least 1000"), "{md}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    std::fs::write(&path, &xml).unwrap();
    sim::ci_report::append(&dir.path().join("summary.md"), &md).unwrap();
    sim::ci_report::append(&dir.path().join("summary.md"), &md).unwrap();
    let both = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert_eq!(both.matches("### yard-sim run").count(), 2, "appended, as CI summaries are");
    if !tests::python_with(&["xmlschema"], "JUnit XML checked against the Jenkins xUnit schema") {
        return;
    }
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit-10.xsd");
    let script = "import sys, xmlschema\ns = xmlschema.XMLSchema(sys.argv[1])\nerrs = [str(e) for e in s.iter_errors(sys.argv[2])]\nprint('\\n'.join(errs))\nsys.exit(1 if errs else 0)";
    let out = Command::new("python3").args(["-c", script]).arg(&xsd).arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // And a document the schema must reject (a test case without a name).
    std::fs::write(&path, xml.replacen("<testcase name=\"", "<testcase nom=\"", 1)).unwrap();
    let bad = Command::new("python3").args(["-c", script]).arg(&xsd).arg(&path).output().unwrap();
    assert!(!bad.status.success(), "the check can fail");
}

fn ocel_schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/ocel20-schema-json.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
}

#[test]
fn the_ocel_log_is_valid_loads_in_pm4py_and_matches_the_report() {
    let start = time::macros::datetime!(2026-03-02 06:00 UTC);
    let schema = ocel_schema();
    for name in ["milk-run.toml", "charging-shift.toml", "orchestrator-restart.toml"] {
        let r = run_file(&scenarios().join(name), &short(), false).unwrap();
        let m = &r.outcome.metrics;
        let doc = serde_json::to_value(r.outcome.process.document(start).unwrap()).unwrap();
        let errors: Vec<String> =
            schema.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let counts = r.outcome.process.counts();
        let count = |a: &str| counts.get(a).copied().unwrap_or(0) as u64;
        assert_eq!(count(sim::ocel::activity::ACCEPTED), m.submitted, "{name}");
        assert_eq!(count(sim::ocel::activity::DELIVERED), m.delivered, "{name}");
        assert_eq!(count(sim::ocel::activity::DROPPED), m.delivered, "{name}");
        assert_eq!(count(sim::ocel::activity::FAILED), m.failed, "{name}");
        assert_eq!(count(sim::ocel::activity::FENCED), m.fenced, "{name}");
        assert!(count(sim::ocel::activity::PICKED) >= m.delivered, "{name}");
        if name == "milk-run.toml" {
            assert!(
                count(sim::ocel::activity::STOP) >= m.delivered,
                "{name}: every milk run calls at a stop"
            );
        }
        if name == "charging-shift.toml" {
            assert!(count(sim::ocel::activity::CHARGED) > 0, "{name}: {counts:?}");
        }
        // Every relationship points at an object of the log.
        let ids: std::collections::BTreeSet<&str> =
            doc["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
        for e in doc["events"].as_array().unwrap() {
            for rel in e["relationships"].as_array().unwrap() {
                assert!(ids.contains(rel["objectId"].as_str().unwrap()), "{name}: {rel} dangles");
            }
        }
        assert!(doc["events"][0]["time"].as_str().unwrap().starts_with("2026-03-02T06:"), "{name}");
        pm4py_agrees(name, &doc, &counts, m.submitted, m.vehicles);
    }
    // The schema is not a formality: a log without times is refused.
    let mut broken = serde_json::json!({"eventTypes": [], "objectTypes": [], "objects": [], "events": [{"id": "e1", "type": "x"}]});
    assert!(!schema.is_valid(&broken));
    broken["events"][0]["time"] = "yesterday".into();
    assert!(!schema.is_valid(&broken));
}

/// Loads the log with pm4py and compares its counts with ours.
fn pm4py_agrees(
    name: &str,
    doc: &serde_json::Value,
    counts: &BTreeMap<&str, usize>,
    orders: u64,
    vehicles: usize,
) {
    if !tests::python_with(&["pm4py"], "the OCEL 2.0 log loaded by pm4py") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonocel");
    std::fs::write(&path, serde_json::to_vec(doc).unwrap()).unwrap();
    let script = "import sys, json, pm4py\n\
        log = pm4py.read_ocel2_json(sys.argv[1])\n\
        print(json.dumps({'activities': log.events['ocel:activity'].value_counts().to_dict(),\n\
                          'types': log.objects['ocel:type'].value_counts().to_dict(),\n\
                          'relations': len(log.relations)}))";
    let out = Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{name}: pm4py: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line =
        stdout.lines().rev().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("{name}: {stdout}"));
    let got: serde_json::Value = serde_json::from_str(line).unwrap();
    for (activity, n) in counts {
        assert_eq!(
            got["activities"][activity].as_u64(),
            Some(*n as u64),
            "{name}: {activity} in pm4py: {got}"
        );
    }
    assert_eq!(got["types"]["transport order"].as_u64(), Some(orders), "{name}: {got}");
    assert_eq!(got["types"]["load"].as_u64(), Some(orders), "{name}: {got}");
    assert_eq!(got["types"]["vehicle"].as_u64(), Some(vehicles as u64), "{name}: {got}");
    let relations: usize =
        doc["events"].as_array().unwrap().iter().map(|e| e["relationships"].as_array().unwrap().len()).sum();
    assert_eq!(got["relations"].as_u64(), Some(relations as u64), "{name}: {got}");
}

#[test]
fn the_command_line_sweeps_and_compares_with_exit_codes_for_ci() {
    let bin = env!("CARGO_BIN_EXE_yard-sim");
    let file = scenarios().join("line-side-supply.toml");
    let dir = tempfile::tempdir().unwrap();
    let sweep = |out: &str, extra: &[&str]| {
        Command::new(bin)
            .args(["sweep"])
            .arg(&file)
            .args(["--fleet", "2,6", "--rate-scale", "1", "--set", "duration_s=900"])
            .args(["--set", "expect.min_delivered=2", "--set", "expect.max_p95_latency_s=3000", "--report"])
            .arg(dir.path().join(out))
            .args(extra)
            .output()
            .unwrap()
    };
    let a = sweep("a", &[]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let stdout = String::from_utf8_lossy(&a.stdout);
    assert!(stdout.contains("smallest fleet meeting every expectation"), "{stdout}");
    for f in ["sweep.json", "sweep.csv", "sweep.md", "sweep.html", "throughput.svg", "p95-latency.svg"] {
        assert!(dir.path().join("a").join(f).is_file(), "{f}");
    }
    let b = sweep("b", &["--set", "fleet[0].max_speed=0.5"]);
    assert!(b.status.code().is_some());
    let compare = |x: &str, y: &str| {
        Command::new(bin).args(["compare"]).arg(dir.path().join(x)).arg(dir.path().join(y)).output().unwrap()
    };
    let same = compare("a", "a");
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stdout));
    let slower = compare("a", "b");
    assert_eq!(
        slower.status.code(),
        Some(1),
        "half speed is a regression: {}",
        String::from_utf8_lossy(&slower.stdout)
    );
    assert!(String::from_utf8_lossy(&slower.stdout).contains("REGRESSION"));
    // A bad range is a usage error that says what was expected.
    let bad = Command::new(bin).args(["sweep"]).arg(&file).args(["--fleet", "9..3"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("FROM ≤ TO"));
    // --junit and --ocel from the command line.
    let run = Command::new(bin)
        .arg("run")
        .arg(&file)
        .args(["--set", "duration_s=600", "--junit"])
        .arg(dir.path().join("j.xml"))
        .arg("--ocel")
        .arg(dir.path().join("log.json"))
        .args(["--summary-md"])
        .arg(dir.path().join("s.md"))
        .output()
        .unwrap();
    let xml = std::fs::read_to_string(dir.path().join("j.xml")).unwrap();
    assert!(xml.contains("<testsuite name=\"Line-side supply\""), "{xml}");
    assert_eq!(run.status.success(), !xml.contains("<failure"));
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("log.json")).unwrap()).unwrap();
    assert!(ocel_schema().is_valid(&log));
    assert!(std::fs::read_to_string(dir.path().join("s.md")).unwrap().contains("| Line-side supply |"));
}

proptest::proptest! {
    /// Whatever is typed after --set, --fleet or --rate-scale: an answer or an error, never a panic.
    #[test]
    fn command_line_parsers_never_panic(text in ".{0,40}") {
        let mut t: toml::Table = toml::from_str("[[fleet]]\ncount = 1\n").unwrap();
        if let Ok(o) = text.parse::<Override>() {
            let _ = o.apply(&mut t);
        }
        let _ = sim::sweep::parse_fleet_range(&text);
        let _ = sim::sweep::parse_rate_range(&text);
    }
}
