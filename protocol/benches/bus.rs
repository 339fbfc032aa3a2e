//! Sustained state traffic through Zenoh on loopback: 1,000 simulated
//! vehicles (250 per publishing session, each with its own agent link,
//! token and publishers) send realistic `state` messages to one
//! orchestrator session, which decodes every one. Prints messages per
//! second and end-to-end latency percentiles (publish → decoded at the
//! orchestrator). `--bench mqtt_bus` is the same through a broker.
//!
//! `cargo bench -p protocol --bench bus [-- --vehicles N --rate MSGS_PER_S --seconds S]`
//! Target: ≥ 20,000 states/s with p99 < 20 ms on a 2-core machine.

use std::net::TcpListener;

mod common;

use common::bus::{Bus, arg, run};
use protocol::transport::zenoh::{ZenohAgentLink, ZenohConfig, ZenohOrchestratorLink};
use protocol::transport::{AgentLink, OrchestratorEvent};

const SESSIONS: usize = 4;

fn main() {
    let bus = Bus {
        name: "bus benchmark (Zenoh)",
        vehicles: arg("--vehicles", 1000.0) as usize,
        rate: arg("--rate", 25_000.0),
        seconds: arg("--seconds", 6.0),
        threads: SESSIONS,
    };
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("tcp/127.0.0.1:{port}");
    let mut master =
        ZenohOrchestratorLink::open(&ZenohConfig::listening(endpoint.clone())).expect("orchestrator session");
    let open = move |ids: Vec<protocol::transport::VehicleId>| {
        // One session per publishing thread, shared by its vehicles.
        let session = ZenohConfig::connecting(endpoint.clone()).open().expect("vehicle session");
        ids.into_iter()
            .map(|v| {
                Box::new(ZenohAgentLink::with_session(session.clone(), v).expect("agent link"))
                    as Box<dyn AgentLink>
            })
            .collect()
    };
    run(&bus, open, |wait| master.poll_timeout(wait), |e| matches!(e, OrchestratorEvent::Presence { .. }));
}
