//! Fault tolerance of the live processes over Zenoh on loopback: the
//! `yardmaster` binary and `agv-agent` processes, killed with SIGKILL
//! mid-order. Each test picks free ports, bounds its own time and kills
//! what it started (also when it fails).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills its process when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn yardmaster() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_yardmaster"))
}

/// The `agv-agent` binary, built next to `yardmaster` (CI builds all binaries first).
fn agv_agent() -> PathBuf {
    let path = yardmaster().with_file_name(format!("agv-agent{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing: run `cargo build --workspace --bins` first", path.display());
    path
}

/// A Zenoh endpoint on a Unix socket in the test's own folder: the path is
/// unique to the test, and the process that listens on it binds it once —
/// no TCP port is probed, freed and then bound again by another process.
fn socket(dir: &Path, name: &str) -> String {
    format!("unixsock-stream/{}", dir.join(format!("{name}.sock")).display())
}

/// A 10 × 3 open grid.
fn map(dir: &Path) -> PathBuf {
    let path = dir.join("yard.map");
    std::fs::write(&path, "type octile\nheight 3\nwidth 10\nmap\n..........\n..........\n..........\n")
        .unwrap();
    path
}

fn agent(map: &Path, serial_prefix: &str, start: &str, listen: &str, log: &Path) -> Proc {
    Proc(
        Command::new(agv_agent())
            .args(["--layout", &map.display().to_string(), "--count", "1", "--serial-prefix", serial_prefix])
            .args(["--start", start, "--listen", listen, "--duration", "240"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap(),
    )
}

fn serve(map: &Path, db: &Path, agents: &[&str], api: &str, log: &Path) -> Proc {
    let mut cmd = Command::new(yardmaster());
    cmd.args(["serve", "--layout", &map.display().to_string(), "--db", &db.display().to_string()])
        .args(["--journal", &log.with_file_name("serve.journal").display().to_string()])
        .args(["--vehicle", "A-01", "--vehicle", "B-01", "--listen", api, "--duration", "240"]);
    for port in agents {
        cmd.args(["--connect", port]);
    }
    Proc(cmd.stdout(Stdio::null()).stderr(std::fs::File::create(log).unwrap()).spawn().unwrap())
}

/// Two vehicles (A-01 on 0,0 and B-01 on 9,2) and an orchestrator on the
/// 10 × 3 grid, every vehicle placed; the processes stop when it is dropped.
struct Site {
    _processes: Vec<Proc>,
    /// The orchestrator's API endpoint.
    api: String,
}

impl Site {
    fn start(dir: &Path) -> Site {
        let grid = map(dir);
        let (pa, pb, api) = (socket(dir, "a"), socket(dir, "b"), socket(dir, "api"));
        let processes = vec![
            agent(&grid, "A", "0,0", &pa, &dir.join("a.log")),
            agent(&grid, "B", "9,2", &pb, &dir.join("b.log")),
            serve(&grid, &dir.join("orders.redb"), &[&pa, &pb], &api, &dir.join("serve.log")),
        ];
        wait_placed(&api);
        Site { _processes: processes, api }
    }
}

/// Runs a client command against the API; its JSON answer.
fn ask(api: &str, args: &[&str]) -> Option<serde_json::Value> {
    let out = Command::new(yardmaster()).args(args).args(["--connect", api]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

#[expect(clippy::disallowed_methods, reason = "a test of live processes bounds its own wall-clock time")]
fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Waits until the orchestrator answers and has placed every vehicle.
fn wait_placed(api: &str) {
    std::thread::sleep(Duration::from_secs(2));
    wait_for("every vehicle placed", Duration::from_secs(30), || {
        let s = ask(api, &["status"])?;
        s.as_array()?.iter().all(|v| !v["node"].is_null()).then_some(())
    });
}

fn order_status(api: &str, id: u64) -> Option<String> {
    let list = ask(api, &["order", "list"])?;
    let order = list.as_array()?.iter().find(|o| o["id"] == id)?;
    order["status"]["status"].as_str().map(str::to_string)
}

/// The serial number of the vehicle whose job is `order N`.
fn carrier(api: &str, id: u64) -> Option<String> {
    let status = ask(api, &["status"])?;
    status
        .as_array()?
        .iter()
        .find(|v| v["job"].as_str().is_some_and(|j| j.starts_with(&format!("order {id}:"))))
        .and_then(|v| v["serial"].as_str().map(str::to_string))
}

#[test]
fn a_killed_agent_is_fenced_and_another_vehicle_delivers_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let grid = map(dir.path());
    let (pa, pb, api) = (socket(dir.path(), "a"), socket(dir.path(), "b"), socket(dir.path(), "api"));
    let (pa, pb, api) = (pa.as_str(), pb.as_str(), api.as_str());
    let mut a = Some(agent(&grid, "A", "0,0", pa, &dir.path().join("a.log")));
    let mut b = Some(agent(&grid, "B", "9,2", pb, &dir.path().join("b.log")));
    let _server =
        serve(&grid, &dir.path().join("orders.redb"), &[pa, pb], api, &dir.path().join("serve.log"));
    wait_placed(api);
    let id = ask(api, &["order", "add", "--from", "4,1", "--to", "8,1"]).unwrap()["id"].as_u64().unwrap();
    let first = wait_for("an assignment", Duration::from_secs(30), || carrier(api, id));
    // Kill it mid-order: once it is on its way (its order says so, and it has left its start).
    wait_for("the vehicle on its way", Duration::from_secs(30), || {
        let moving = ask(api, &["status"])?
            .as_array()?
            .iter()
            .any(|v| v["serial"] == first.as_str() && v["node"] != "0,0" && v["node"] != "9,2");
        (order_status(api, id)? == "to-pickup" && moving).then_some(())
    });
    if first == "A-01" {
        a.take();
    } else {
        b.take();
    }
    wait_for("the killed vehicle to be fenced", Duration::from_secs(30), || {
        let s = ask(api, &["status"])?;
        let v = s.as_array()?.iter().find(|v| v["serial"] == first.as_str())?.clone();
        v["fenced"].as_str().map(str::to_string)
    });
    let second = wait_for("another vehicle to take the order", Duration::from_secs(60), || {
        carrier(api, id).filter(|c| *c != first)
    });
    assert_ne!(second, first);
    wait_for("delivery", Duration::from_secs(150), || (order_status(api, id)? == "delivered").then_some(()));
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(log.contains("vehicle-fenced"), "the server logged the fence");
    // The recording of this run, faults included, replays to the same outputs.
    drop(_server);
    let report = replay_journal(&dir.path().join("serve.journal"));
    assert!(report.steps > 50, "{report:?}");
    assert!(report.mismatches.is_empty(), "replay differs: {report:?}");
}

fn replay_journal(path: &Path) -> orchestrator::replay::ReplayReport {
    let text = std::fs::read_to_string(path).unwrap();
    let mut load = |header: &orchestrator::replay::Header| {
        let path = Path::new(&header.layout);
        let site = layout::load(path, layout::LoadOptions::default()).map_err(|e| e.to_string())?.value;
        Ok((std::fs::read(path).map_err(|e| e.to_string())?, std::sync::Arc::new(site)))
    };
    orchestrator::replay::replay(text.lines().map(str::to_string), &mut load).unwrap()
}

#[test]
fn a_killed_orchestrator_restarts_from_its_database_and_every_order_is_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let grid = map(dir.path());
    let db = dir.path().join("orders.redb");
    let (pa, pb, api) = (socket(dir.path(), "a"), socket(dir.path(), "b"), socket(dir.path(), "api"));
    let (pa, pb, api) = (pa.as_str(), pb.as_str(), api.as_str());
    let _a = agent(&grid, "A", "0,0", pa, &dir.path().join("a.log"));
    let _b = agent(&grid, "B", "9,2", pb, &dir.path().join("b.log"));
    let mut server = Some(serve(&grid, &db, &[pa, pb], api, &dir.path().join("serve1.log")));
    wait_placed(api);
    let ids: Vec<u64> = [("2,1", "7,0"), ("8,1", "3,2"), ("5,0", "1,1")]
        .iter()
        .map(|(a, b)| ask(api, &["order", "add", "--from", a, "--to", b]).unwrap()["id"].as_u64().unwrap())
        .collect();
    wait_for("an order in progress", Duration::from_secs(60), || {
        ids.iter()
            .any(|&id| order_status(api, id).is_some_and(|s| s == "to-drop" || s == "to-pickup"))
            .then_some(())
    });
    // An operator closes a node: a durable command.
    let closed = ask(api, &["node", "close", "4,2", "--reason", "spill"]).expect("node close answered");
    assert_eq!(closed["closed"]["node"], "4,2", "{closed}");
    // SIGKILL, then the same database again.
    server.take();
    let _server = serve(&grid, &db, &[pa, pb], api, &dir.path().join("serve2.log"));
    std::thread::sleep(Duration::from_secs(2));
    let list = wait_for("the restarted server", Duration::from_secs(30), || ask(api, &["order", "list"]));
    assert_eq!(list.as_array().map(Vec::len), Some(ids.len()), "every accepted order is still there: {list}");
    let places = ask(api, &["node", "list"]).expect("node list answered");
    assert_eq!(places[0]["place"]["node"], "4,2", "the closure survived the restart: {places}");
    assert_eq!(places[0]["reason"], "spill");
    wait_for("every order delivered", Duration::from_secs(200), || {
        ids.iter().all(|&id| order_status(api, id).is_some_and(|s| s == "delivered")).then_some(())
    });
    let opened = ask(api, &["node", "open", "4,2"]).expect("node open answered");
    assert_eq!(opened["opened"]["node"], "4,2");
    assert_eq!(ask(api, &["node", "list"]), Some(serde_json::json!([])));
    // The journal was appended to, not truncated: both runs are in it and replay.
    let report = replay_journal(&dir.path().join("serve.journal"));
    assert_eq!(report.runs, 2, "{report:?}");
    assert!(report.mismatches.is_empty(), "replay differs: {report:?}");
}

#[test]
fn a_stale_state_published_again_is_dropped_and_the_vehicle_keeps_working() {
    use protocol::topic::Topic;
    use protocol::transport::VehicleId;
    use zenoh::Wait as _;
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path());
    let api = site.api.as_str();
    // Listen to A's states as any observer on the network can.
    let session = protocol::transport::zenoh::ZenohConfig::connecting(api.to_string()).open().unwrap();
    let a_key = VehicleId::new("yardmaster", "A-01").key(Topic::State).unwrap().to_string();
    let states = session.declare_subscriber(a_key.as_str()).wait().unwrap();
    let old = wait_for("a state of A", Duration::from_secs(30), || {
        states.recv_timeout(Duration::from_secs(1)).ok().flatten().map(|s| s.payload().to_bytes().to_vec())
    });
    let id = ask(api, &["order", "add", "--from", "5,1", "--to", "8,0"]).unwrap()["id"].as_u64().unwrap();
    wait_for("the order under way", Duration::from_secs(60), || {
        matches!(order_status(api, id)?.as_str(), "to-pickup" | "loading" | "to-drop").then_some(())
    });
    // The old state again on A's key, as a late duplicate would arrive.
    for _ in 0..3 {
        session.put(a_key.as_str(), old.clone()).wait().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    wait_for("delivery", Duration::from_secs(150), || (order_status(api, id)? == "delivered").then_some(()));
    let status = ask(api, &["status"]).unwrap();
    assert!(status.as_array().unwrap().iter().all(|v| v["fenced"].is_null()), "nobody fenced: {status}");
    let a = status.as_array().unwrap().iter().find(|v| v["serial"] == "A-01").unwrap();
    assert!(a["stale_dropped"].as_u64().unwrap() >= 3, "the stale states were counted: {a}");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(!log.contains("vehicle-fenced"), "no fence at all");
    session.close().wait().ok();
}

#[test]
fn garbage_and_impersonation_are_rejected_and_the_fleet_works_on() {
    use protocol::topic::Topic;
    use protocol::transport::VehicleId;
    use zenoh::Wait as _;
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(dir.path());
    let api = site.api.as_str();
    // A rogue publisher on the network: garbage on A's key, and a state that
    // claims to be A's on B's key.
    let session = protocol::transport::zenoh::ZenohConfig::connecting(api.to_string()).open().unwrap();
    let a_key = VehicleId::new("yardmaster", "A-01").key(Topic::State).unwrap().to_string();
    let b_key = VehicleId::new("yardmaster", "B-01").key(Topic::State).unwrap().to_string();
    let impostor = r#"{"headerId":1,"timestamp":"2026-11-27T12:00:00.00Z","version":"2.1.0","manufacturer":"yardmaster","serialNumber":"A-01","orderId":"","orderUpdateId":0,"lastNodeId":"5,1","lastNodeSequenceId":0,"driving":false,"operatingMode":"AUTOMATIC","nodeStates":[],"edgeStates":[],"actionStates":[],"batteryState":{"batteryCharge":50.0,"charging":false},"errors":[],"safetyState":{"eStop":"NONE","fieldViolation":false}}"#;
    for _ in 0..3 {
        session.put(a_key.as_str(), "{ this is not json").wait().unwrap();
        session.put(b_key.as_str(), impostor).wait().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let id = ask(api, &["order", "add", "--from", "2,1", "--to", "7,1"]).unwrap()["id"].as_u64().unwrap();
    wait_for("delivery", Duration::from_secs(150), || (order_status(api, id)? == "delivered").then_some(()));
    let status = ask(api, &["status"]).unwrap();
    assert!(status.as_array().unwrap().iter().all(|v| v["fenced"].is_null()), "nobody fenced: {status}");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(log.matches("input-rejected").count() >= 6, "each rogue message was rejected and counted");
    assert!(log.contains("not JSON") && log.contains("serialNumber"), "the reasons say what was wrong");
    session.close().wait().ok();
}
