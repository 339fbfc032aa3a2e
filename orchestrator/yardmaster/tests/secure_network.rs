//! Nobody else gives orders: a site secured with what `yardmaster secure`
//! generates from the fleet list — a Zenoh router with TLS, mutual
//! authentication and access control (`yardmaster router`), and a
//! Mosquitto broker with TLS, client certificates and an ACL — all real
//! processes on loopback (one vehicle on MQTT 5). Clients without a certificate cannot connect; a
//! vehicle's certificate publishing an order to another vehicle, a state
//! under another vehicle's serial, or an order request to the API is
//! refused and never reaches its target (spies holding the target's own
//! certificate hear the orchestrator's messages, never the rogue's); the
//! fleet keeps delivering meanwhile.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Proc, http, http_base, map, wait_for};
use protocol::transport::mqtt::MqttTls;
use protocol::transport::zenoh::{Mode, ZenohConfig};
use serde_json::json;
use zenoh::Wait as _;

const TOKEN: &str = "operator-token-secure-test-0001";
const SITE: &str = "secured";
const ROGUE: &str = "rogue-was-here";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// What a spy heard.
type Heard = Arc<Mutex<Vec<String>>>;

fn heard_any(heard: &Heard) -> usize {
    heard.lock().unwrap().len()
}

fn heard_rogue(heard: &Heard) -> usize {
    heard.lock().unwrap().iter().filter(|m| m.contains(ROGUE)).count()
}

/// A Zenoh session with a kit's client configuration.
fn zenoh_as(config: &Path) -> Result<zenoh::Session, protocol::transport::TransportError> {
    ZenohConfig { config_file: Some(config.to_path_buf()), mode: Mode::Client, ..ZenohConfig::default() }
        .open()
}

fn zenoh_spy(session: &zenoh::Session, key: &str) -> (zenoh::pubsub::Subscriber<()>, Heard) {
    let heard: Heard = Arc::default();
    let h = heard.clone();
    let sub = session
        .declare_subscriber(key.to_string())
        .callback(move |s| {
            h.lock().unwrap().push(String::from_utf8_lossy(&s.payload().to_bytes()).into_owned());
        })
        .wait()
        .unwrap();
    (sub, heard)
}

/// An MQTT client with a certificate of the kit (or none: CA only).
fn mqtt_as(
    kit: &Path,
    port: u16,
    client_id: &str,
    cert: Option<&str>,
) -> (rumqttc::Client, rumqttc::Connection) {
    let tls = MqttTls {
        ca: kit.join("pki/ca.pem"),
        identity: cert.map(|c| (kit.join(format!("pki/{c}.pem")), kit.join(format!("pki/{c}-key.pem")))),
    };
    let mut o = rumqttc::MqttOptions::new(client_id, "127.0.0.1", port);
    o.set_transport(rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Rustls(Arc::new(
        tls.client_config().unwrap(),
    ))));
    o.set_keep_alive(Duration::from_secs(5));
    rumqttc::Client::new(o, 64)
}

/// Runs an MQTT client's loop on a thread: whether it connected, and what it heard.
fn mqtt_loop(mut connection: rumqttc::Connection) -> (Arc<std::sync::atomic::AtomicBool>, Heard) {
    let connected = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let heard: Heard = Arc::default();
    let (c, h) = (connected.clone(), heard.clone());
    std::thread::spawn(move || {
        for event in connection.iter() {
            match event {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                    c.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    h.lock().unwrap().push(String::from_utf8_lossy(&p.payload).into_owned());
                }
                Ok(_) => {}
                Err(rumqttc::ConnectionError::RequestsDone) => break,
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    });
    (connected, heard)
}

struct Site {
    dir: tempfile::TempDir,
    kit: PathBuf,
    zenoh_port: u16,
    mqtt_port: u16,
    _procs: Vec<Proc>,
    base: String,
}

fn bins() -> (PathBuf, PathBuf) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_yardmaster"));
    let agent = bin.with_file_name(format!("agv-agent{}", std::env::consts::EXE_SUFFIX));
    assert!(agent.exists(), "{} is missing: run `cargo build --workspace --bins` first", agent.display());
    (bin, agent)
}

const FLEET: [(&str, &str, &str); 4] =
    [("Z-01", "zenoh", "0,0"), ("Z-02", "zenoh", "9,0"), ("M-01", "mqtt", "0,2"), ("M-02", "mqtt", "9,2")];

/// Generates the kit and starts the router, the broker, the orchestrator and four vehicles.
fn start_site(mosquitto: &Path) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let grid = map(&d);
    let (bin, agent_bin) = bins();
    let fleet: Vec<_> = FLEET
        .iter()
        .map(|(serial, transport, _)| json!({"serial": serial, "vehicleType": "default", "transport": transport}))
        .collect();
    std::fs::write(d.join("fleet.json"), json!(fleet).to_string()).unwrap();
    std::fs::write(d.join("tokens.json"), json!([{"token": TOKEN, "role": "operator"}]).to_string()).unwrap();
    let (zenoh_port, mqtt_port) = (free_port(), free_port());
    let kit = d.join("kit");
    let status = Command::new(&bin)
        .args(["secure", "--fleet", &d.join("fleet.json").display().to_string(), "--out"])
        .arg(&kit)
        .args(["--site", SITE, "--zenoh-listen", &format!("tls/127.0.0.1:{zenoh_port}")])
        .args(["--mqtt-listen", &format!("127.0.0.1:{mqtt_port}")])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "yardmaster secure failed");

    let log = |name: &str| std::fs::File::create(d.join(name)).unwrap();
    let mut procs = Vec::new();
    // Started as root, Mosquitto drops to the `mosquitto` user, which cannot
    // read the test's private folder: here it stays root (docs/deployment.md).
    let mut conf = std::fs::read_to_string(kit.join("mosquitto/mosquitto.conf")).unwrap();
    if nix::unistd::geteuid().is_root() {
        conf.push_str("user root\n");
    }
    std::fs::write(d.join("mosquitto.conf"), conf).unwrap();
    procs.push(Proc(
        Command::new(mosquitto)
            .arg("-c")
            .arg(d.join("mosquitto.conf"))
            .stderr(log("mosquitto.log"))
            .spawn()
            .unwrap(),
    ));
    procs.push(Proc(
        Command::new(&bin)
            .args(["router", "--zenoh-config"])
            .arg(kit.join("zenoh/router.json5"))
            .args(["--duration", "260"])
            .stderr(log("router.log"))
            .spawn()
            .unwrap(),
    ));
    for port in [zenoh_port, mqtt_port] {
        wait_for("the router and the broker listening", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
    }
    let pki = |file: &str| kit.join(format!("pki/{file}")).display().to_string();
    let mqtt_url = format!("mqtts://127.0.0.1:{mqtt_port}");
    for (serial, transport, start) in FLEET {
        let mut agent = Command::new(&agent_bin);
        agent.args(["--layout", &grid.display().to_string(), "--serial", serial, "--start", start]).args([
            "--state-interval-ms",
            "1000",
            "--duration",
            "260",
        ]);
        if transport == "zenoh" {
            agent.arg("--zenoh-config").arg(kit.join(format!("zenoh/vehicles/yardmaster/{serial}.json5")));
        } else {
            let me = format!("vehicles/yardmaster/{serial}");
            agent.args(["--mqtt", &mqtt_url, "--mqtt-ca", &pki("ca.pem")]);
            agent.args([
                "--mqtt-cert",
                &pki(&format!("{me}.pem")),
                "--mqtt-key",
                &pki(&format!("{me}-key.pem")),
            ]);
            if serial == "M-02" {
                // One vehicle speaks MQTT 5, the rest of the site 3.1.1.
                agent.args(["--mqtt-version", "5"]);
            }
        }
        procs.push(Proc(agent.stdout(Stdio::null()).stderr(log(&format!("{serial}.log"))).spawn().unwrap()));
    }
    procs.push(Proc(
        Command::new(&bin)
            .args(["serve", "--layout", &grid.display().to_string(), "--db"])
            .arg(d.join("orders.redb"))
            .args(["--fleet", &d.join("fleet.json").display().to_string(), "--site", SITE])
            .arg("--zenoh-config")
            .arg(kit.join("zenoh/orchestrator.json5"))
            .args(["--mqtt", &mqtt_url, "--mqtt-ca", &pki("ca.pem")])
            .args(["--mqtt-cert", &pki("orchestrator.pem"), "--mqtt-key", &pki("orchestrator-key.pem")])
            .args(["--http", "127.0.0.1:0", "--tokens", &d.join("tokens.json").display().to_string()])
            .args(["--duration", "260"])
            .stdout(Stdio::null())
            .stderr(log("serve.log"))
            .spawn()
            .unwrap(),
    ));
    let base = http_base(&d.join("serve.log"));
    Site { dir, kit, zenoh_port, mqtt_port, _procs: procs, base }
}

/// A client without a certificate, or speaking plain TCP, is not let in.
fn strangers_cannot_connect(site: &Site) {
    let ca_only = site.dir.path().join("ca-only.json5");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.kit.join("zenoh/operator.json5")).unwrap())
            .unwrap();
    let tls = &mut config["transport"]["link"]["tls"];
    tls.as_object_mut().unwrap().retain(|k, _| k == "root_ca_certificate" || k == "verify_name_on_connect");
    std::fs::write(&ca_only, config.to_string()).unwrap();
    assert!(zenoh_as(&ca_only).is_err(), "a Zenoh client without a certificate connected");
    let plain = ZenohConfig {
        mode: Mode::Client,
        connect: vec![format!("tcp/127.0.0.1:{}", site.zenoh_port)],
        ..ZenohConfig::default()
    };
    assert!(plain.open().is_err(), "a plain TCP Zenoh client connected to the TLS router");

    let (_client, connection) = mqtt_as(&site.kit, site.mqtt_port, "stranger", None);
    let (connected, _) = mqtt_loop(connection);
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !connected.load(std::sync::atomic::Ordering::SeqCst),
        "an MQTT client without a certificate connected"
    );
}

#[test]
fn on_a_secured_site_only_the_orchestrator_gives_orders_and_the_fleet_delivers() {
    let Some(mosquitto) = tests::program("mosquitto", "mosquitto", "yardmaster: the secured site network")
    else {
        return;
    };
    let site = start_site(&mosquitto);
    strangers_cannot_connect(&site);
    let base = site.base.clone();
    let health = |serial: &str| {
        http(&base, "GET", &format!("/api/v1/vehicles/{serial}"), TOKEN, None).1["health"].clone()
    };
    wait_for("every vehicle placed", Duration::from_secs(60), || {
        FLEET.iter().all(|(serial, _, _)| health(serial) == "ok").then_some(())
    });

    // Spies hold the targets' own certificates (or the orchestrator's):
    // they hear what legitimately goes there.
    let zenoh_config = |who: &str| site.kit.join(format!("zenoh/{who}.json5"));
    let z02 = zenoh_as(&zenoh_config("vehicles/yardmaster/Z-02")).unwrap();
    let watcher = zenoh_as(&zenoh_config("orchestrator")).unwrap();
    let (_s1, z_orders) = zenoh_spy(&z02, "vda5050/v2/yardmaster/Z-02/order");
    let (_s2, z_states) = zenoh_spy(&watcher, "vda5050/v2/yardmaster/Z-02/state");
    let (m02, connection) = mqtt_as(&site.kit, site.mqtt_port, "spy-M-02", Some("vehicles/yardmaster/M-02"));
    let (_, m_orders) = mqtt_loop(connection);
    m02.subscribe("uagv/v2/yardmaster/M-02/order", rumqttc::QoS::AtLeastOnce).unwrap();
    let (mwatch, connection) = mqtt_as(&site.kit, site.mqtt_port, "spy-orchestrator", Some("orchestrator"));
    let (_, m_states) = mqtt_loop(connection);
    mwatch.subscribe("uagv/v2/yardmaster/M-02/state", rumqttc::QoS::AtLeastOnce).unwrap();

    // The rogues: Z-01's and M-01's own certificates.
    let rogue = zenoh_as(&zenoh_config("vehicles/yardmaster/Z-01")).unwrap();
    let (mrogue, connection) =
        mqtt_as(&site.kit, site.mqtt_port, "rogue-M-01", Some("vehicles/yardmaster/M-01"));
    let (mrogue_up, _) = mqtt_loop(connection);
    let fake = json!({"orderId": ROGUE, "headerId": 1, "serialNumber": "Z-02"}).to_string();
    let act = || {
        rogue.put("vda5050/v2/yardmaster/Z-02/order", fake.clone()).wait().unwrap();
        rogue.put("vda5050/v2/yardmaster/Z-02/state", fake.clone()).wait().unwrap();
        for (topic, _) in [("order", 0), ("state", 1)] {
            let _ = mrogue.publish(
                format!("uagv/v2/yardmaster/M-02/{topic}"),
                rumqttc::QoS::AtLeastOnce,
                false,
                fake.clone(),
            );
        }
    };

    // Each vehicle's start is a pickup: each gets an order of its own.
    let orders: Vec<_> = FLEET
        .iter()
        .map(|(_, _, start)| json!({"from": start, "to": if start.starts_with('0') { "5,1" } else { "4,1" }}))
        .chain((0..4).map(|k| json!({"from": format!("{},1", 2 + k), "to": format!("{},{}", 7 - k, k % 3)})))
        .collect();
    let (status, batch) = http(&base, "POST", "/api/v1/orders", TOKEN, Some(&json!(orders).to_string()));
    assert_eq!(status, 200, "{batch}");
    let ids: Vec<u64> =
        batch["items"].as_array().unwrap().iter().map(|i| i["order"]["id"].as_u64().unwrap()).collect();
    // Rogues act all along; on a timeout the orders' and vehicles' states say why.
    let mut states = Vec::new();
    let delivered = (0..900).any(|_| {
        act();
        states = ids
            .iter()
            .map(|id| http(&base, "GET", &format!("/api/v1/orders/{id}"), TOKEN, None).1["state"].clone())
            .collect();
        let done = states.iter().all(|s| s == "delivered");
        if !done {
            std::thread::sleep(Duration::from_millis(200));
        }
        done
    });
    let (_, fleet) = http(&base, "GET", "/api/v1/vehicles", TOKEN, None);
    assert!(delivered, "not every order delivered in 3 minutes: {states:?}; vehicles: {fleet}");
    assert!(
        mrogue_up.load(std::sync::atomic::Ordering::SeqCst),
        "the MQTT rogue was connected (with its own certificate)"
    );

    // The API: a vehicle's certificate gets no answer; an operator's does.
    let ask = |session: &zenoh::Session, what: &str, body: String| {
        let replies = session
            .get(protocol::topic::api_key(SITE, what))
            .payload(body)
            .timeout(Duration::from_secs(3))
            .wait()
            .unwrap();
        replies.iter().filter_map(|r| r.into_result().ok()).count()
    };
    let request = json!({"from": "1,1", "to": "8,1"}).to_string();
    assert_eq!(ask(&rogue, "orders/add", request), 0, "a vehicle's order request was answered");
    assert_eq!(ask(&rogue, "status", String::new()), 0, "a vehicle read the API");
    let operator = zenoh_as(&zenoh_config("operator")).unwrap();
    assert_eq!(ask(&operator, "status", String::new()), 1, "the operator's certificate is answered");
    let (_, listed) = http(&base, "GET", "/api/v1/orders", TOKEN, None);
    assert_eq!(
        listed["orders"].as_array().map(Vec::len),
        Some(ids.len()),
        "no order came in but ours: {listed}"
    );

    for (what, heard) in [
        ("Z-02's orders", &z_orders),
        ("Z-02's states", &z_states),
        ("M-02's orders", &m_orders),
        ("M-02's states", &m_states),
    ] {
        assert!(heard_any(heard) > 0, "the spy on {what} heard nothing: the check would prove nothing");
        assert_eq!(heard_rogue(heard), 0, "a rogue message reached {what}");
    }
    let (_, fleet) = http(&base, "GET", "/api/v1/vehicles", TOKEN, None);
    for v in fleet.as_array().unwrap() {
        assert_eq!(v["health"], "ok", "{v}");
    }
}
