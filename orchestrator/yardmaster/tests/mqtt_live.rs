//! One site, both worlds: `yardmaster serve` drives one vehicle over Zenoh
//! and one over MQTT through a real Mosquitto, both `agv-agent` processes;
//! they deliver a batch of orders between them, and the MQTT vehicle,
//! killed with SIGKILL, is reported CONNECTIONBROKEN by the broker's last
//! will and fenced.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Proc, http, http_base, map, wait_for};
use serde_json::json;

const TOKEN: &str = "operator-token-mqtt-test-00001";

#[test]
fn a_mixed_zenoh_and_mqtt_fleet_delivers_and_a_killed_mqtt_vehicle_is_fenced() {
    let Some(broker) = tests::Broker::start("yardmaster: a mixed Zenoh + MQTT fleet") else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = map(d);
    std::fs::write(d.join("tokens.json"), json!([{"token": TOKEN, "role": "operator"}]).to_string()).unwrap();
    std::fs::write(
        d.join("fleet.json"),
        json!([
            {"serial": "Z-01", "vehicleType": "default", "transport": "zenoh"},
            {"serial": "M-01", "vehicleType": "default", "transport": "mqtt"},
        ])
        .to_string(),
    )
    .unwrap();
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_yardmaster"));
    let agent_bin = bin.with_file_name(format!("agv-agent{}", std::env::consts::EXE_SUFFIX));
    assert!(
        agent_bin.exists(),
        "{} is missing: run `cargo build --workspace --bins` first",
        agent_bin.display()
    );
    let zenoh = format!("unixsock-stream/{}", d.join("z.sock").display());
    let log = |name: &str| std::fs::File::create(d.join(name)).unwrap();
    let agent = |args: &[&str], name: &str| {
        Proc(
            Command::new(&agent_bin)
                .args([
                    "--layout",
                    &grid.display().to_string(),
                    "--count",
                    "1",
                    "--state-interval-ms",
                    "1000",
                ])
                .args(["--duration", "330"])
                .args(args)
                .stdout(Stdio::null())
                .stderr(log(name))
                .spawn()
                .unwrap(),
        )
    };
    let _zenoh_vehicle = agent(&["--serial-prefix", "Z", "--start", "0,0", "--listen", &zenoh], "z.log");
    let mut mqtt_vehicle =
        agent(&["--serial-prefix", "M", "--start", "9,2", "--mqtt", &broker.url()], "m.log");
    let _serve = Proc(
        Command::new(&bin)
            .args([
                "serve",
                "--layout",
                &grid.display().to_string(),
                "--db",
                &d.join("orders.redb").display().to_string(),
            ])
            .args(["--fleet", &d.join("fleet.json").display().to_string(), "--connect", &zenoh])
            .args(["--mqtt", &broker.url(), "--duration", "330"])
            .args(["--http", "127.0.0.1:0", "--tokens", &d.join("tokens.json").display().to_string()])
            .stdout(Stdio::null())
            .stderr(log("serve.log"))
            .spawn()
            .unwrap(),
    );
    let base = http_base(&d.join("serve.log"));
    let health = |serial: &str| {
        http(&base, "GET", &format!("/api/v1/vehicles/{serial}"), TOKEN, None).1["health"].clone()
    };
    wait_for("both vehicles placed", Duration::from_secs(40), || {
        (health("Z-01") == "ok" && health("M-01") == "ok").then_some(())
    });

    let orders: Vec<_> = (0..6)
        .map(|k| json!({"from": format!("{},{}", k, k % 3), "to": format!("{},{}", 9 - k, (k + 1) % 3)}))
        .collect();
    let (status, batch) = http(&base, "POST", "/api/v1/orders", TOKEN, Some(&json!(orders).to_string()));
    assert_eq!(status, 200, "{batch}");
    let ids: Vec<u64> =
        batch["items"].as_array().unwrap().iter().map(|i| i["order"]["id"].as_u64().unwrap()).collect();
    // On this small yard the grid's one-way grain sends vehicles round by
    // the next row where a move goes against it: six orders take about
    // 105 s of simulated driving (`yard-sim run` of the same yard).
    let vehicles = wait_for("every order delivered", Duration::from_secs(240), || {
        let mut by = std::collections::BTreeSet::new();
        for id in &ids {
            let (_, o) = http(&base, "GET", &format!("/api/v1/orders/{id}"), TOKEN, None);
            if o["state"] != "delivered" {
                return None;
            }
            by.insert(o["vehicle"].as_str().unwrap_or_default().to_string());
        }
        Some(by)
    });
    assert!(
        vehicles.contains("M-01") && vehicles.contains("Z-01"),
        "both transports delivered: {vehicles:?}"
    );

    // SIGKILL: no goodbye; the broker publishes the vehicle's last will.
    let _ = mqtt_vehicle.0.kill();
    let _ = mqtt_vehicle.0.wait();
    wait_for("the killed MQTT vehicle fenced", Duration::from_secs(30), || {
        (health("M-01") == "fenced").then_some(())
    });
    let (_, v) = http(&base, "GET", "/api/v1/vehicles/M-01", TOKEN, None);
    assert!(v["fenced"].as_str().is_some_and(|f| f.to_lowercase().contains("connection")), "{v}");
    assert_eq!(health("Z-01"), "ok", "the Zenoh vehicle goes on");
}
