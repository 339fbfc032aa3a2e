//! Sustained state traffic through Zenoh on loopback: 1,000 simulated
//! vehicles (250 per publishing session, each with its own agent link,
//! token and publishers) send realistic `state` messages to one
//! orchestrator session, which decodes every one. Prints messages per
//! second and end-to-end latency percentiles (publish → decoded at the
//! orchestrator). `--bench mqtt_bus` is the same through a broker.
//!
//! `cargo bench -p protocol --bench bus [-- --vehicles N --rate MSGS_PER_S --seconds S] [--tls]`
//! Target: ≥ 20,000 states/s with p99 < 20 ms on a 2-core machine.
//!
//! `--tls`: the same over TLS with mutual authentication, as on a secured
//! site (a CA and certificates made for the run), to measure its cost.

use std::net::TcpListener;

mod common;

use common::bus::{Bus, arg, run};
use protocol::transport::zenoh::{ZenohAgentLink, ZenohConfig, ZenohOrchestratorLink};
use protocol::transport::{AgentLink, OrchestratorEvent};

const SESSIONS: usize = 4;

fn main() {
    let bus = Bus {
        name: if std::env::args().any(|a| a == "--tls") {
            "bus benchmark (Zenoh over TLS, mutual authentication)"
        } else {
            "bus benchmark (Zenoh)"
        },
        vehicles: arg("--vehicles", 1000.0) as usize,
        rate: arg("--rate", 25_000.0),
        seconds: arg("--seconds", 6.0),
        threads: SESSIONS,
    };
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let tls = std::env::args().any(|a| a == "--tls").then(tls::Files::make);
    let (master_config, vehicle_config) = match &tls {
        None => {
            let endpoint = format!("tcp/127.0.0.1:{port}");
            (ZenohConfig::listening(endpoint.clone()), ZenohConfig::connecting(endpoint))
        }
        Some(files) => files.configs(port),
    };
    let mut master = ZenohOrchestratorLink::open(&master_config).expect("orchestrator session");
    let open = move |ids: Vec<protocol::transport::VehicleId>| {
        // One session per publishing thread, shared by its vehicles.
        let session = vehicle_config.open().expect("vehicle session");
        ids.into_iter()
            .map(|v| {
                Box::new(ZenohAgentLink::with_session(session.clone(), v).expect("agent link"))
                    as Box<dyn AgentLink>
            })
            .collect()
    };
    run(&bus, open, |wait| master.poll_timeout(wait), |e| matches!(e, OrchestratorEvent::Presence { .. }));
}

/// A CA and the two ends' certificates for `--tls`, in a folder of the run.
mod tls {
    use protocol::transport::zenoh::ZenohConfig;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    pub struct Files {
        dir: tempfile::TempDir,
    }

    fn issue(dir: &std::path::Path, name: &str, sans: Vec<String>, issuer: &Issuer<'_, KeyPair>) {
        let key = KeyPair::generate().expect("key");
        let cert = CertificateParams::new(sans).expect("params").signed_by(&key, issuer).expect("cert");
        std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).expect("write");
        std::fs::write(dir.join(format!("{name}-key.pem")), key.serialize_pem()).expect("write");
    }

    impl Files {
        pub fn make() -> Files {
            let dir = tempfile::tempdir().expect("tempdir");
            let ca_key = KeyPair::generate().expect("key");
            let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let ca = params.self_signed(&ca_key).expect("CA");
            std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write");
            let issuer = Issuer::new(params, ca_key);
            issue(dir.path(), "master", vec!["127.0.0.1".into(), "localhost".into()], &issuer);
            issue(dir.path(), "vehicle", vec![], &issuer);
            Files { dir }
        }

        fn file(&self, name: &str) -> String {
            self.dir.path().join(name).display().to_string()
        }

        /// The orchestrator's (listening) and the vehicles' (connecting) configurations.
        pub fn configs(&self, port: u16) -> (ZenohConfig, ZenohConfig) {
            let endpoint = format!("tls/127.0.0.1:{port}");
            let master = serde_json::json!({
                "listen": { "endpoints": [endpoint] },
                "transport": { "link": { "tls": {
                    "root_ca_certificate": self.file("ca.pem"),
                    "listen_certificate": self.file("master.pem"),
                    "listen_private_key": self.file("master-key.pem"),
                    "enable_mtls": true,
                } } },
            });
            let vehicle = serde_json::json!({
                "connect": { "endpoints": [endpoint] },
                "listen": { "endpoints": [] },
                "transport": { "link": { "tls": {
                    "root_ca_certificate": self.file("ca.pem"),
                    "connect_certificate": self.file("vehicle.pem"),
                    "connect_private_key": self.file("vehicle-key.pem"),
                    "enable_mtls": true,
                    "verify_name_on_connect": true,
                } } },
            });
            let write = |name: &str, v: serde_json::Value| {
                let path = self.dir.path().join(name);
                std::fs::write(&path, v.to_string()).expect("write");
                ZenohConfig { config_file: Some(path), ..ZenohConfig::default() }
            };
            (write("master.json5", master), write("vehicle.json5", vehicle))
        }
    }
}
