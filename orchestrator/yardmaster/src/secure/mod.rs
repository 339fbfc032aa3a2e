//! A site network nobody else can give orders on, generated from the
//! fleet list (`yardmaster secure`): a CA for trials and a certificate per
//! identity ([`pki`]), the Zenoh router's configuration with TLS, mutual
//! authentication and access control, and every client's ([`zenoh_acl`]),
//! and the same for a Mosquitto broker ([`mosquitto`]).
//!
//! Identities are certificates' common names: the orchestrator
//! `orchestrator@{site}`, an operator tool `operator@{site}`, a vehicle
//! `{manufacturer}/{serialNumber}` (neither may contain `/`, so no two
//! identities share a name).
//!
//! ```
//! use yardmaster::secure::{Kit, Member};
//! use orchestrator::fleet::Transport;
//! let kit = Kit {
//!     site: "plant".into(),
//!     interface: "uagv".into(),
//!     zenoh_listen: "tls/127.0.0.1:7447".into(),
//!     mqtt_listen: ("127.0.0.1".into(), 8883),
//!     names: vec!["127.0.0.1".into(), "localhost".into()],
//!     fleet: vec![Member::new("acme", "agv-1", Transport::Zenoh).unwrap()],
//! };
//! let dir = tempfile::tempdir().unwrap();
//! let written = yardmaster::secure::write(&kit, dir.path(), 30).unwrap();
//! assert!(written.iter().any(|p| p.ends_with("zenoh/router.json5")));
//! let router = std::fs::read_to_string(dir.path().join("zenoh/router.json5")).unwrap();
//! assert!(router.contains("acme/agv-1"));
//! ```

pub mod mosquitto;
pub mod pki;
pub mod zenoh_acl;

use std::path::{Path, PathBuf};

use orchestrator::fleet::Transport;
use protocol::topic::{Topic, TopicKey};

/// Why a kit could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SecureError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A certificate or key could not be made or read.
    #[error("certificates: {0}")]
    Pki(String),
    /// The fleet list or an option names something that cannot be secured.
    #[error("{0}")]
    Invalid(String),
}

/// One vehicle of the fleet list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its manufacturer.
    pub manufacturer: String,
    /// Its serial number.
    pub serial: String,
    /// Zenoh or MQTT: which of the two access lists it goes into.
    pub transport: Transport,
}

impl Member {
    /// A vehicle, if its names can be topic segments, certificate names
    /// and ACL entries (none of `/ * $ # ? +`, white space or control
    /// characters).
    pub fn new(manufacturer: &str, serial: &str, transport: Transport) -> Result<Member, SecureError> {
        TopicKey::new(manufacturer, serial, Topic::State)
            .map_err(|e| SecureError::Invalid(format!("vehicle {manufacturer:?}/{serial:?}: {e}")))?;
        Ok(Member { manufacturer: manufacturer.into(), serial: serial.into(), transport })
    }

    /// Its certificate's common name, `manufacturer/serial`.
    pub fn common_name(&self) -> String {
        format!("{}/{}", self.manufacturer, self.serial)
    }

    fn file(&self) -> String {
        format!("vehicles/{}/{}", self.manufacturer, self.serial)
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Kit {
    /// The site (the API's `yardmaster/{site}/**` keys, the identities' names).
    pub site: String,
    /// The MQTT topics' interfaceName.
    pub interface: String,
    /// The Zenoh router's TLS endpoint, `tls/HOST:PORT`.
    pub zenoh_listen: String,
    /// The broker's TLS listener, host and port.
    pub mqtt_listen: (String, u16),
    /// The router's and broker's host names and addresses (their certificates' names).
    pub names: Vec<String>,
    /// The vehicles.
    pub fleet: Vec<Member>,
}

impl Kit {
    /// The orchestrator's common name.
    pub fn orchestrator_name(&self) -> String {
        format!("orchestrator@{}", self.site)
    }

    /// An operator tool's common name.
    pub fn operator_name(&self) -> String {
        format!("operator@{}", self.site)
    }

    fn check(&self) -> Result<(), SecureError> {
        if !self.zenoh_listen.starts_with("tls/") {
            return Err(SecureError::Invalid(format!(
                "the Zenoh endpoint {:?}: expected tls/HOST:PORT",
                self.zenoh_listen
            )));
        }
        if self.site.is_empty()
            || self.site.contains(['/', '*', '$', '#', '?'])
            || self.site.contains(char::is_whitespace)
        {
            return Err(SecureError::Invalid(format!("the site {:?}: expected a plain name", self.site)));
        }
        let mut seen = std::collections::BTreeSet::new();
        for m in &self.fleet {
            if !seen.insert(m.common_name()) {
                return Err(SecureError::Invalid(format!("vehicle {} is listed twice", m.common_name())));
            }
        }
        Ok(())
    }
}

fn json5(value: &serde_json::Value) -> String {
    // JSON is JSON5; pretty, so that a site can read what it runs.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn put(path: PathBuf, text: &str, written: &mut Vec<PathBuf>) -> Result<(), SecureError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| SecureError::Io { path: parent.into(), source })?;
    }
    std::fs::write(&path, text).map_err(|source| SecureError::Io { path: path.clone(), source })?;
    written.push(path);
    Ok(())
}

/// Writes the kit into `out`: `pki/` (the CA, kept if it exists, and a
/// certificate per identity, kept if issued before), `zenoh/` (the
/// router's and every client's configuration) and `mosquitto/` (the
/// broker's configuration and ACL). Returns the files written.
pub fn write(kit: &Kit, out: &Path, days: u32) -> Result<Vec<PathBuf>, SecureError> {
    kit.check()?;
    std::fs::create_dir_all(out).map_err(|source| SecureError::Io { path: out.into(), source })?;
    let out = std::fs::canonicalize(out).map_err(|source| SecureError::Io { path: out.into(), source })?;
    let pki = pki::Pki::open_or_create(&out.join("pki"), days)?;
    let ca = pki.ca().display().to_string();
    let mut written = vec![pki.ca()];
    use pki::Role::{Client, Server};
    let router = pki.issue("router", &format!("router@{}", kit.site), Server, &kit.names)?;
    let broker = pki.issue("broker", &format!("broker@{}", kit.site), Server, &kit.names)?;
    let orchestrator = pki.issue("orchestrator", &kit.orchestrator_name(), Client, &[])?;
    let operator = pki.issue("operator", &kit.operator_name(), Client, &[])?;
    let zenoh = out.join("zenoh");
    put(zenoh.join("router.json5"), &json5(&zenoh_acl::router_config(kit, &ca, &router)), &mut written)?;
    put(
        zenoh.join("orchestrator.json5"),
        &json5(&zenoh_acl::client_config(kit, &ca, &orchestrator)),
        &mut written,
    )?;
    put(zenoh.join("operator.json5"), &json5(&zenoh_acl::client_config(kit, &ca, &operator)), &mut written)?;
    for m in &kit.fleet {
        let identity = pki.issue(&m.file(), &m.common_name(), Client, &[])?;
        if m.transport == Transport::Zenoh {
            let config = zenoh_acl::client_config(kit, &ca, &identity);
            put(zenoh.join(format!("{}.json5", m.file())), &json5(&config), &mut written)?;
        }
        written.push(identity.cert);
    }
    let acl_path = out.join("mosquitto/acl");
    put(acl_path.clone(), &mosquitto::acl(kit), &mut written)?;
    let conf = mosquitto::conf(kit, &ca, &broker, &acl_path.display().to_string());
    put(out.join("mosquitto/mosquitto.conf"), &conf, &mut written)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kit(fleet: Vec<Member>) -> Kit {
        Kit {
            site: "plant".into(),
            interface: "uagv".into(),
            zenoh_listen: "tls/127.0.0.1:7447".into(),
            mqtt_listen: ("127.0.0.1".into(), 8883),
            names: vec!["127.0.0.1".into(), "localhost".into()],
            fleet,
        }
    }

    #[test]
    fn zenoh_reads_every_configuration_and_the_acl_names_each_vehicle() {
        let dir = tempfile::tempdir().unwrap();
        let fleet = vec![
            Member::new("acme", "z-1", Transport::Zenoh).unwrap(),
            Member::new("acme", "m-1", Transport::Mqtt).unwrap(),
        ];
        write(&kit(fleet), dir.path(), 30).unwrap();
        for file in ["router", "orchestrator", "operator", "vehicles/acme/z-1"] {
            let path = dir.path().join(format!("zenoh/{file}.json5"));
            zenoh::Config::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        assert!(
            !dir.path().join("zenoh/vehicles/acme/m-1.json5").exists(),
            "an MQTT vehicle has no Zenoh client"
        );
        let router = std::fs::read_to_string(dir.path().join("zenoh/router.json5")).unwrap();
        assert!(router.contains("\"acme/z-1\"") && !router.contains("acme/m-1"), "{router}");
        let acl = std::fs::read_to_string(dir.path().join("mosquitto/acl")).unwrap();
        assert!(acl.contains("user acme/m-1\n") && !acl.contains("z-1"), "{acl}");
        assert!(acl.contains("topic read uagv/v2/acme/m-1/order\n"), "{acl}");
    }

    #[test]
    fn a_second_run_keeps_the_ca_and_what_it_issued_and_adds_new_vehicles() {
        let dir = tempfile::tempdir().unwrap();
        let one = vec![Member::new("acme", "a", Transport::Zenoh).unwrap()];
        write(&kit(one.clone()), dir.path(), 30).unwrap();
        let read = |p: &str| std::fs::read(dir.path().join(p)).unwrap();
        let (ca, a) = (read("pki/ca.pem"), read("pki/vehicles/acme/a.pem"));
        let mut two = one;
        two.push(Member::new("acme", "b", Transport::Mqtt).unwrap());
        write(&kit(two), dir.path(), 30).unwrap();
        assert_eq!(read("pki/ca.pem"), ca);
        assert_eq!(read("pki/vehicles/acme/a.pem"), a);
        assert!(dir.path().join("pki/vehicles/acme/b.pem").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join("pki/ca-key.pem")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the CA key is readable by others: {mode:o}");
        }
    }

    #[test]
    fn what_cannot_be_secured_is_refused_with_the_reason() {
        for (m, s, expected) in [
            ("ac/me", "a", "not a valid key segment"),
            ("acme", "a\u{7}b", "not a valid key segment"),
            ("acme", "a+b", "not a valid key segment"),
            ("acme", "", "not a valid key segment"),
        ] {
            let e = Member::new(m, s, Transport::Zenoh).unwrap_err().to_string();
            assert!(e.contains(expected), "{m}/{s}: {e}");
        }
        let dir = tempfile::tempdir().unwrap();
        let mut k = kit(vec![]);
        k.zenoh_listen = "tcp/127.0.0.1:7447".into();
        assert!(write(&k, dir.path(), 1).unwrap_err().to_string().contains("expected tls/"));
        let twice = vec![Member::new("acme", "a", Transport::Zenoh).unwrap(); 2];
        assert!(write(&kit(twice), dir.path(), 1).unwrap_err().to_string().contains("listed twice"));
    }

    proptest::proptest! {
        #[test]
        fn any_vehicle_name_gets_an_answer_not_a_panic(m in "\\PC{0,12}", s in "\\PC{0,12}") {
            if let Ok(member) = Member::new(&m, &s, Transport::Mqtt) {
                proptest::prop_assert_eq!(member.common_name().matches('/').count(), 1);
            }
        }
    }
}
