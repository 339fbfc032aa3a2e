//! `yard-sim live`: a mixed fleet on real `yardmaster` and `agv-agent`
//! processes over Zenoh on loopback, observed from outside by a Zenoh
//! client on the `--listen` endpoint. Needs the binaries built next to
//! `yard-sim` (CI runs `cargo build --workspace --bins` first). Bounded:
//! 300 simulated seconds at 10× speed, and the processes stop with the run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use protocol::topic::{Topic, TopicKey};
use protocol::transport::zenoh::{Mode, ZenohConfig};
use zenoh::Wait as _;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn a_scenario_runs_live_and_an_outside_client_sees_every_vda_message() {
    let yard_sim = PathBuf::from(env!("CARGO_BIN_EXE_yard-sim"));
    for bin in ["yardmaster", "agv-agent"] {
        let path = yard_sim.with_file_name(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
        assert!(path.exists(), "{} is missing: run `cargo build --workspace --bins` first", path.display());
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("live.toml");
    let plant = repo().join("maps/car-plant.lif.json");
    std::fs::write(
        &scenario,
        format!(
            r#"
name = "Live smoke"
layout = {plant:?}
seed = 3
duration_s = 300

[[fleet]]
count = 2
vehicle_type = "yard.compact-agv"
start = "parking"

[[fleet]]
count = 1
vehicle_type = "yard.tugger"
prefix = "tug"
manufacturer = "towco"
start = "charging"
trailers = []

[[orders]]
from = "SM-L03"
to = "SM-L05"
vehicle_type = "yard.compact-agv"

[[orders]]
at_s = 5
from = "REWORK-1"
to = "REWORK-3"
vehicle_type = "yard.compact-agv"

[[orders]]
at_s = 10
from = "WH-DOCK-1"
to = "WH-DOCK-3"
vehicle_type = "yard.tugger"

[[orders]]
at_s = 20
from = "NO-SUCH-STATION"
to = "SM-L03"

[expect]
min_delivered = 3
max_collisions = 0
max_lost_orders = 0
"#
        ),
    )
    .unwrap();

    // The outside observer: a Zenoh client of the run's router, on a Unix
    // socket in the test's folder (the router binds it; nothing else does).
    let endpoint = format!("unixsock-stream/{}", dir.path().join("observe.sock").display());
    let report = dir.path().join("out");
    let mut run = Command::new(&yard_sim)
        .args(["live", &scenario.display().to_string(), "--speed", "10", "--listen", &endpoint])
        .args(["--report", &report.display().to_string()])
        .spawn()
        .unwrap();
    let observer = {
        let mut tries = 0;
        loop {
            std::thread::sleep(Duration::from_millis(300));
            let config = ZenohConfig { mode: Mode::Client, ..ZenohConfig::connecting(&endpoint) };
            match config.open() {
                Ok(session) => break session,
                Err(e) => {
                    tries += 1;
                    assert!(tries < 50, "could not connect to {endpoint}: {e}");
                }
            }
        }
    };
    let seen = std::sync::Arc::new(std::sync::Mutex::new((std::collections::BTreeSet::new(), 0)));
    let sink = seen.clone();
    let _subscriber = observer
        .declare_subscriber("vda5050/**")
        .callback(move |sample| {
            let Ok(key) = TopicKey::parse(sample.key_expr().as_str()) else { return };
            let mut seen = sink.lock().unwrap();
            match key.topic {
                Topic::State => {
                    seen.0.insert(format!("{}/{}", key.manufacturer, key.serial_number));
                }
                Topic::Order => seen.1 += 1,
                _ => {}
            }
        })
        .wait()
        .unwrap();
    let status = run.wait().unwrap();
    let (states, orders) = seen.lock().unwrap().clone();
    assert!(status.success(), "yard-sim live failed: {status}; logs in {}", report.display());
    // Two manufacturers on one site, each vehicle under its own.
    assert_eq!(states.into_iter().collect::<Vec<_>>(), ["towco/tug-01", "yardsim/agv-01", "yardsim/agv-02"]);
    assert!(orders >= 3, "the observer saw {orders} order messages");

    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["submitted"], 3);
    assert_eq!(r["refused"], 1, "the unknown station is refused with a note: {}", r["notes"]);
    assert_eq!(r["delivered"], 3);
    assert_eq!(r["collisions"], 0);
    assert_eq!(r["lost"], 0);
    let tugger = r["final_status"].as_array().unwrap().iter().find(|v| v["serial"] == "tug-01").unwrap();
    assert_eq!(tugger["vehicle_type"], "yard.tugger");
    let events = std::fs::read_to_string(report.join("events.jsonl")).unwrap();
    assert_eq!(events.matches("\"status\":\"delivered\"").count(), 3, "{events}");
    for file in ["replay.html", "yardmaster.log", "yardmaster.journal"] {
        assert!(report.join(file).exists(), "{file} is missing");
    }
    // The live run's recording replays clean on a fresh core.
    let replay = Command::new(&yard_sim)
        .args(["replay", &report.join("yardmaster.journal").display().to_string()])
        .output()
        .unwrap();
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stdout));
}

#[test]
fn a_live_run_whose_orchestrator_refuses_the_fleet_says_why() {
    let yard_sim = PathBuf::from(env!("CARGO_BIN_EXE_yard-sim"));
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("bad.toml");
    let grid = repo().join("maps/grid-warehouse.map");
    std::fs::write(
        &scenario,
        format!("name = \"bad\"\nlayout = {grid:?}\nduration_s = 10\n[[fleet]]\ncount = 1\nvehicle_type = \"hovercraft\"\n"),
    )
    .unwrap();
    let out = Command::new(&yard_sim)
        .args([
            "live",
            &scenario.display().to_string(),
            "--report",
            &dir.path().join("out").display().to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("yardmaster exited early") && stderr.contains("hovercraft"), "{stderr}");
}

/// The pids of `pid`'s children (Linux `/proc`).
fn children_of(pid: u32) -> Vec<u32> {
    let path = format!("/proc/{pid}/task/{pid}/children");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Whether a process is still running (a zombie is not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

#[expect(clippy::disallowed_methods, reason = "a test of live processes bounds its own wall-clock time")]
fn launcher_leaves_no_child(signal: &str) {
    let yard_sim = PathBuf::from(env!("CARGO_BIN_EXE_yard-sim"));
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("long.toml");
    let grid = repo().join("maps/grid-warehouse.map");
    std::fs::write(
        &scenario,
        format!("name = \"long\"\nlayout = {grid:?}\nduration_s = 3600\n[[fleet]]\ncount = 2\nvehicle_type = \"default\"\n"),
    )
    .unwrap();
    let mut launcher = Command::new(&yard_sim)
        .args([
            "live",
            &scenario.display().to_string(),
            "--report",
            &dir.path().join("out").display().to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for both children (yardmaster, agv-agent) to be up.
    let start = std::time::Instant::now();
    let kids = loop {
        let kids = children_of(launcher.id());
        if kids.len() >= 2 {
            break kids;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the launcher started no children");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_secs(2));
    let status = Command::new("kill").args([signal, &launcher.id().to_string()]).status().unwrap();
    assert!(status.success());
    let _ = launcher.wait();
    let start = std::time::Instant::now();
    while kids.iter().any(|&k| alive(k)) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "children {kids:?} outlived the launcher killed with {signal}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_launcher_stopped_with_sigterm_stops_its_children() {
    launcher_leaves_no_child("-TERM");
}

#[test]
fn a_launcher_killed_with_sigkill_leaves_no_orphan() {
    launcher_leaves_no_child("-KILL");
}

#[test]
fn a_live_fleet_on_both_transports_delivers_through_a_broker_of_its_own() {
    if tests::program("mosquitto", "mosquitto", "yard-sim live with an MQTT fleet group").is_none() {
        return;
    }
    let yard_sim = PathBuf::from(env!("CARGO_BIN_EXE_yard-sim"));
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("both.toml");
    let plant = repo().join("maps/car-plant.lif.json");
    std::fs::write(
        &scenario,
        format!(
            r#"
name = "Live on Zenoh and MQTT"
layout = {plant:?}
seed = 5
duration_s = 240

[[fleet]]
count = 1
vehicle_type = "yard.compact-agv"
start = "parking"

[[fleet]]
count = 1
vehicle_type = "yard.compact-agv"
prefix = "mq"
manufacturer = "brokerco"
start = "parking"
transport = "mqtt"

[[orders]]
from = "SM-L03"
to = "SM-L05"

[[orders]]
at_s = 2
from = "REWORK-1"
to = "REWORK-3"

[expect]
min_delivered = 2
max_collisions = 0
max_lost_orders = 0
"#
        ),
    )
    .unwrap();
    let report = dir.path().join("out");
    let status = Command::new(&yard_sim)
        .args(["live", &scenario.display().to_string(), "--speed", "10"])
        .args(["--report", &report.display().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "yard-sim live failed: {status}; logs in {}", report.display());
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["delivered"], 2, "{}", r["notes"]);
    assert_eq!(r["collisions"], 0);
    let serials: Vec<&str> =
        r["final_status"].as_array().unwrap().iter().filter_map(|v| v["serial"].as_str()).collect();
    assert_eq!(serials, ["agv-01", "mq-01"]);
    assert!(
        r["final_status"].as_array().unwrap().iter().all(|v| v["node"].is_string() && v["fenced"].is_null()),
        "both placed and never fenced: {}",
        r["final_status"]
    );
    assert!(report.join("mosquitto.log").exists(), "the run started its own broker");
}
