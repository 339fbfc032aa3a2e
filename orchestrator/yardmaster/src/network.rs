//! `yardmaster secure` (the secured site network from the fleet list) and
//! `yardmaster router` (a Zenoh router for it).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use orchestrator::fleet::FleetEntry;
use protocol::transport::zenoh::{Mode, ZenohConfig};
use yardmaster::secure::{Kit, Member};

/// `secure`'s options.
#[derive(clap::Args)]
pub struct SecureArgs {
    /// The fleet file (`serve --fleet`'s format): every vehicle gets a
    /// certificate, and the Zenoh or the broker's access list by its
    /// `transport`.
    #[arg(long)]
    fleet: PathBuf,
    /// Write the kit here: pki/, zenoh/, mosquitto/.
    #[arg(long)]
    out: PathBuf,
    /// The site (the API's keys and the identities' names).
    #[arg(long, default_value = "site")]
    site: String,
    /// Manufacturer of the fleet file's entries that name none.
    #[arg(long, default_value = "yardmaster")]
    manufacturer: String,
    /// The Zenoh router's endpoint (TLS).
    #[arg(long, default_value = "tls/127.0.0.1:7447")]
    zenoh_listen: String,
    /// The broker's TLS listener, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:8883")]
    mqtt_listen: String,
    /// More host names or addresses the router and the broker are reached
    /// by (their certificates name the listeners' hosts and `localhost`).
    #[arg(long = "name")]
    names: Vec<String>,
    /// Certificates issued now are valid this many days.
    #[arg(long, default_value_t = 365)]
    days: u32,
}

fn host_port(what: &str, text: &str) -> anyhow::Result<(String, u16)> {
    let (host, port) =
        text.rsplit_once(':').with_context(|| format!("{what} {text:?}: expected HOST:PORT"))?;
    let port = port.parse::<u16>().with_context(|| format!("{what} {text:?}: the port is not a number"))?;
    Ok((host.trim_start_matches('[').trim_end_matches(']').to_string(), port))
}

/// Writes the kit and says what it wrote.
pub fn secure(args: &SecureArgs) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(&args.fleet).with_context(|| format!("reading {}", args.fleet.display()))?;
    let fleet: Vec<FleetEntry> = serde_json::from_str(&text)
        .with_context(|| format!("{}: expected serve's --fleet format", args.fleet.display()))?;
    let fleet = fleet
        .iter()
        .map(|e| Member::new(e.manufacturer.as_deref().unwrap_or(&args.manufacturer), &e.serial, e.transport))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| args.fleet.display().to_string())?;
    let zenoh_host = host_port("--zenoh-listen", args.zenoh_listen.trim_start_matches("tls/"))?.0;
    let mqtt_listen = host_port("--mqtt-listen", &args.mqtt_listen)?;
    let mut names = vec![zenoh_host, mqtt_listen.0.clone(), "localhost".to_string()];
    names.extend(args.names.iter().cloned());
    names.sort();
    names.dedup();
    let kit = Kit {
        site: args.site.clone(),
        interface: protocol::transport::mqtt::DEFAULT_INTERFACE.to_string(),
        zenoh_listen: args.zenoh_listen.clone(),
        mqtt_listen,
        names,
        fleet,
    };
    let written = yardmaster::secure::write(&kit, &args.out, args.days)?;
    tracing::warn!(
        "{}/pki/ca-key.pem signs every certificate: a CA for trials; keep it off the site network",
        args.out.display()
    );
    tracing::info!(files = written.len(), vehicles = kit.fleet.len(), out = %args.out.display(), "secured site network written");
    Ok(())
}

/// `router`'s options.
#[derive(clap::Args)]
pub struct RouterArgs {
    /// The router's Zenoh configuration (`secure` writes zenoh/router.json5).
    #[arg(long)]
    zenoh_config: PathBuf,
    /// Stop after this many seconds (default: until SIGINT/SIGTERM).
    #[arg(long)]
    duration: Option<f64>,
    /// Die when the parent process dies (Linux).
    #[arg(long)]
    die_with_parent: bool,
}

/// Runs a Zenoh router until told to stop.
#[expect(clippy::disallowed_methods, reason = "the live process bounds its run with the wall clock")]
pub fn router(args: &RouterArgs) -> anyhow::Result<()> {
    if args.die_with_parent {
        live::die_with_parent().context("--die-with-parent")?;
    }
    let config = ZenohConfig {
        config_file: Some(args.zenoh_config.clone()),
        mode: Mode::Router,
        ..ZenohConfig::default()
    };
    let session =
        config.open().with_context(|| format!("starting the router of {}", args.zenoh_config.display()))?;
    tracing::info!(zid = %session.zid(), config = %args.zenoh_config.display(), "router up");
    let stop = live::shutdown_flag().context("installing the signal handler")?;
    let started = std::time::Instant::now();
    let until = args.duration.map(Duration::from_secs_f64);
    while !stop.load(std::sync::atomic::Ordering::Relaxed) && until.is_none_or(|d| started.elapsed() < d) {
        std::thread::sleep(Duration::from_millis(100));
    }
    use zenoh::Wait as _;
    session.close().wait().map_err(|e| anyhow::anyhow!("closing the router: {e}"))?;
    Ok(())
}
